"""Saving a session's seeds: as a text seed file, or the seeds added appended to the markdown reading
list they came from. Both read back as seeds (``citegraph map FILE`` maps the same papers)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .model import PaperLinks
from .outputs import is_reading_list, write_text
from .seeds import markdown_title

if TYPE_CHECKING:
    from .pipeline import MapRun
    from .seeds import Seed


@dataclass(frozen=True)
class SaveResult:
    """Where :func:`save_seed_rows` wrote, and how many seeds."""

    path: Path
    kind: str  # "text" | "markdown"
    seeds: int
    added: int


def seed_rows(run: MapRun, seeds: Sequence[Seed]) -> list[dict]:
    """The ``seeds`` as ``{"paper_id", "title", "input", "section", "arxiv_id", "doi", "links", "added"}``
    (resolved ones as the map ``run`` has them; unresolved ones keep their input)."""
    rows = []
    current = set(seeds)
    for r in run.expansion.seeds:
        if r.seed not in current:
            continue
        d = run.graph.nodes[r.paper_id] if r.paper_id and r.paper_id in run.graph else {}
        rows.append({"paper_id": r.paper_id, "title": d.get("title") or r.seed.title,
                     "input": r.seed.input, "section": r.seed.section,
                     "arxiv_id": d.get("arxiv_id"), "doi": d.get("doi"),
                     "links": asdict(PaperLinks.of_node(d)), "added": r.seed.source == "<added>"})
    return rows


def save_seed_rows(target: Path, rows: list[dict], *, removed: list[dict] = (),
                   appended: set | None = None) -> SaveResult:
    """Save seed ``rows`` (as :meth:`graph.session.Explorer.seed_rows` gives them) to ``target``: a
    markdown reading list gets the seeds added appended under a dated heading, and the ``removed``
    ones (``{"paper_id", "title"}``) in a comment block, since its numbered items are the author's own
    and stay untouched; any other file becomes the exact current list, one ID a line. ``appended``
    (the session's, kept between calls) remembers what earlier appends wrote, so an append writes only
    what is new since the last one, and nothing at all when nothing is."""
    if is_reading_list(target):
        return _append_markdown(target, rows, removed, set() if appended is None else appended)
    # the title goes on a comment line of its own above the ID: the seed reader takes whole-line
    # comments only (an ID followed by "# title" on one line would be skipped)
    lines = [f"# citegraph seeds, saved {_now()}: one ID a line, each under its title"]
    for r in rows:
        ident = r["paper_id"] or r["input"]
        title = " ".join((r["title"] or "").split())
        if title and ident != title:
            lines.append(f"# {title}")
        lines.append(ident)
    write_text(target, "\n".join(lines) + "\n")
    return SaveResult(target, "text", len(rows), sum(r["added"] for r in rows))


def _append_markdown(target: Path, rows: list[dict], removed: list[dict], done: set) -> SaveResult:
    # only what no earlier append of this session wrote: pressed twice, the second appends nothing
    added = [r for r in rows if r["added"] and r["paper_id"] and r["paper_id"] not in done]
    removed = [r for r in removed if ("removed", r["paper_id"]) not in done]
    if not added and not removed:
        return SaveResult(target, "markdown", len(rows), 0)
    parts = [f"\n\n## Added in citegraph serve ({_now()})\n"]
    for n, r in enumerate(added, start=1):
        # escaped: a link or markup in a title must not become the entry's link when read back
        parts.append(f"{n}. **{markdown_title(r['title'] or r['input'])}**\n   - {_paper_link(r)}\n")
    if removed:
        parts.append("\n<!-- removed from the seeds in citegraph serve:\n")
        parts.extend(f"  {r['paper_id']}  {' '.join((r['title'] or '').split()).replace('--', '- -')}\n"
                     for r in removed)
        parts.append("-->\n")
    old = target.read_text(encoding="utf-8") if target.exists() else ""
    write_text(target, old.rstrip("\n") + "".join(parts))
    done.update(r["paper_id"] for r in added)
    done.update(("removed", r["paper_id"]) for r in removed)
    return SaveResult(target, "markdown", len(rows), len(added))


def _paper_link(row: dict) -> str:
    """A link the reading-list parser takes back as an ID: the arXiv or DOI page, else the source's
    page of the paper, else its id as it is (``CorpusId:N`` reads back)."""
    links = row["links"]
    return links["arxiv"] or links["doi"] or links["page"] or row["paper_id"]


def _now() -> str:
    return _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
