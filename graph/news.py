"""What is new since the last map of a seed set: ``citegraph news``.

A run of :func:`whats_new`:

1. takes the previous map of the same seeds: the last snapshot ``news`` kept in the store (or,
   with ``since``, the last one taken on or before that date); before any ``news`` run, the map
   the store holds (as ``citegraph map`` built it, rebuilt from the store without a request);
2. plans what refreshing costs and says it before the first request, under the same budget rule
   as ``map`` (a step planned longer than ``max_plan_seconds`` needs ``confirm`` or ``--yes``):
   one batch of fresh details (citation counts) for the map's papers, the citation lists of the
   seeds and of the map's core (its ``core`` most related papers), then the details of the papers
   found;
3. rebuilds the map from the store with what came in (a citer of the core that the new listing adds,
   citing at least ``min_evidence`` core papers, joins it too), and compares: the papers new to the map,
   most related first, with why; and the papers whose citation counts jumped;
4. keeps a snapshot of the new map (the newest per seed set, plus the last one of each earlier
   month for a year: what ``--since`` can ask for, and no more).

Without network nothing is changed: the first request's failure is said once
(:class:`NoNetworkError`), before anything was written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .errors import CitegraphError, NothingUsableError, SourceError, StoreError
from .expansion import ExpansionOptions, Expander, _duration, build_graph, expand
from .seeds import Seed
from .store import Store
from .text import display_title, plural

SNAPSHOT_TABLE = """
CREATE TABLE IF NOT EXISTS news_snapshots (
    seed_key TEXT NOT NULL,
    taken_at REAL NOT NULL,
    seeds TEXT NOT NULL,
    papers TEXT NOT NULL,
    PRIMARY KEY (seed_key, taken_at)
)
"""
MONTHS_KEPT = 12
JUMP_MIN = 3  # new citations for a jump: at least this many, and at least JUMP_SHARE of the old count
JUMP_SHARE = 0.1


class NoNetworkError(SourceError):
    """The source could not be reached: ``news`` changed nothing."""


@dataclass(frozen=True)
class NewPaper:
    """A paper on the map now that was not on it before, and why it is there."""

    paper_id: str
    title: str | None
    year: int | None
    authors: list[str]
    venue: str | None
    relatedness: float
    why: str
    url: str | None
    cites_seeds: int
    doi: str | None = None
    arxiv_id: str | None = None


@dataclass(frozen=True)
class CitationJump:
    """A paper of both maps whose citation count grew by a jump."""

    paper_id: str
    title: str | None
    before: int
    after: int

    @property
    def gained(self) -> int:
        return self.after - self.before


@dataclass
class News:
    """What changed for a seed set: new papers (most related first) and citation jumps (largest first)."""

    seed_key: str
    seeds: list[str]
    baseline: str  # what the map was compared with, in words
    baseline_at: float | None
    taken_at: float
    new: list[NewPaper]
    jumps: list[CitationJump]
    map_papers: int
    requests: int
    plan: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-able data (``citegraph news --json``)."""
        out = dataclasses.asdict(self)
        for j, jump in zip(out["jumps"], self.jumps):
            j["gained"] = jump.gained
        return out


# -- snapshots ---------------------------------------------------------------------------------------------
def seed_key(seed_ids: Sequence[str]) -> str:
    """The name of a seed set in the snapshots: its paper ids, whatever their order.

    >>> seed_key(["b", "a"]) == seed_key(["a", "b"])
    True
    """
    return hashlib.sha1("\n".join(sorted(set(seed_ids))).encode()).hexdigest()[:16]


def _table(store: Store) -> None:
    # the store's own tables and schema version stay as they are: this table is news's alone
    try:
        store._db.execute(SNAPSHOT_TABLE)
    except Exception as exc:  # sqlite3.DatabaseError: read-only, full, damaged
        raise StoreError(f"cannot keep news snapshots in {store.path} ({exc}); pass --store with a writable "
                         "store") from None


def _have_table(store: Store) -> bool:
    # reading creates nothing: a run that fails (no network) leaves the store as it was
    return bool(store._read("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'news_snapshots'"))


def load_snapshot(store: Store, key: str, before: float | None = None) -> tuple[float, dict] | None:
    """``(taken_at, {paper id: {"relatedness", "citations", "title"}})`` of the newest snapshot of ``key``
    (taken at or before ``before`` when given), or None."""
    if not _have_table(store):
        return None
    sql = "SELECT taken_at, papers FROM news_snapshots WHERE seed_key = ?"
    params: list = [key]
    if before is not None:
        sql += " AND taken_at <= ?"
        params.append(before)
    rows = store._read(sql + " ORDER BY taken_at DESC LIMIT 1", params)
    if not rows:
        return None
    try:
        papers = json.loads(rows[0][1])
    except ValueError:
        return None
    return (rows[0][0], papers) if isinstance(papers, dict) else None


def new_on_map(store: Store, seed_ids: Sequence[str]) -> dict[str, str]:
    """The papers the latest ``news`` run of these seeds that found any brought to the map, each with
    that run's day (``citegraph serve`` marks them); a later run that found nothing keeps them marked."""
    snap = load_snapshot(store, seed_key(seed_ids))
    if snap is None:
        return {}
    came = {p: v["new_on"] for p, v in snap[1].items() if isinstance(v, dict) and isinstance(v.get("new_on"), str)}
    latest = max(came.values(), default=None)
    return {p: day for p, day in came.items() if day == latest}


def oldest_snapshot(store: Store, key: str) -> float | None:
    """When the oldest snapshot of ``key`` was taken."""
    if not _have_table(store):
        return None
    rows = store._read("SELECT MIN(taken_at) FROM news_snapshots WHERE seed_key = ?", [key])
    return rows[0][0] if rows else None


def save_snapshot(store: Store, key: str, seeds: Sequence[str], papers: dict, taken_at: float) -> None:
    """Keep this map of ``key`` and drop the snapshots no ``--since`` needs: of the months before the newest
    snapshot's, the last snapshot of each for :data:`MONTHS_KEPT` months is kept."""
    _table(store)
    store._exec_many("INSERT OR REPLACE INTO news_snapshots VALUES (?, ?, ?, ?)",
                     [(key, taken_at, json.dumps(sorted(seeds)), json.dumps(papers, ensure_ascii=False))])
    times = [r[0] for r in store._read("SELECT taken_at FROM news_snapshots WHERE seed_key = ? ORDER BY taken_at",
                                       [key])]
    keep = {times[-1]}
    last_of_month: dict[str, float] = {}
    for t in times:
        last_of_month[_month(t)] = t  # sorted: the last one wins
    for month in sorted(last_of_month, reverse=True)[:MONTHS_KEPT + 1]:
        keep.add(last_of_month[month])
    drop = [(key, t) for t in times if t not in keep]
    if drop:
        store._exec_many("DELETE FROM news_snapshots WHERE seed_key = ? AND taken_at = ?", drop)


def _month(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m")


def snapshot_of(graph, analysis) -> dict:
    """What a snapshot keeps of a map: each map paper's relatedness, citation count and title."""
    rel = analysis.related["relatedness"]
    return {str(p): {"relatedness": round(float(rel.get(p, 0.0)), 6),
                     "citations": graph.nodes[p].get("citation_count"), "title": graph.nodes[p].get("title")}
            for p in analysis.nodes}


# -- the run -----------------------------------------------------------------------------------------------
def whats_new(seeds: Sequence[Seed], *, store: Store, source, options: ExpansionOptions | None = None,
              top: int = 100, method: str = "salton", resolution: float = 1.0, since: dt.date | None = None,
              core: int = 10, log: Callable[[str], None] = lambda m: None) -> News:
    """Refresh what can have changed for ``seeds`` and compare with their previous map (module doc)."""
    from .analysis import analyse
    from .versions import merge_versions

    opt = dataclasses.replace(options or ExpansionOptions(progress=False), refresh=False, offline=False)
    if options is not None and options.offline:
        raise CitegraphError("news asks the source what is new, which --offline forbids; drop --offline "
                             "(`citegraph map --offline` shows the map as the store has it)")
    if source is None:
        raise CitegraphError("news needs a source to ask (Semantic Scholar or --corpus)")
    # 1. the previous map: the store's, rebuilt without a request
    # coupling as an online run decides it: offline, expansion turns it on wherever citers of a seed
    # reference were ever listed, and news lists the core's (seed references among them)
    coupled = opt.coupled if opt.coupled is not None else source.limits.cheap_citations
    opt = dataclasses.replace(opt, coupled=coupled)
    quiet = dataclasses.replace(opt, offline=True, progress=False, on_progress=None)
    before = expand(list(seeds), store, None, quiet)
    seed_ids = [r.paper_id for r in before.resolved]
    if not seed_ids or before.missing:
        lacking = f" (it lacks the {before.missing[0]})" if before.missing else ""
        raise NothingUsableError(f"no map of these seeds in the store yet{lacking}: run `citegraph map` on them "
                                 "first with the same options and --store, then `citegraph news` tells what "
                                 "changed since")
    key = seed_key(seed_ids)
    before_analysis = analyse(before.graph, seed_ids, top=top, method=method, resolution=resolution,
                              references=before.references)
    store_map = snapshot_of(before.graph, before_analysis)
    notes: list[str] = []
    if since is not None:
        cut = dt.datetime.combine(since, dt.time.max, dt.timezone.utc).timestamp()
        snap = load_snapshot(store, key, before=cut)
        if snap is None:
            oldest = oldest_snapshot(store, key)
            raise NothingUsableError(
                f"no news snapshot of these seeds on or before {since.isoformat()}"
                + (f"; the oldest is of {_day(oldest)}" if oldest else "; news has not run on them yet")
                + ": drop --since to compare with the map in the store")
        baseline_at, baseline = snap
        baseline_text = f"the map of {_day(baseline_at)} (news snapshot)"
    else:
        snap = load_snapshot(store, key)
        if snap is not None:
            baseline_at, baseline = snap
            baseline_text = f"the map of {_day(baseline_at)} (last news run)"
        else:
            baseline_at, baseline = None, store_map
            baseline_text = "the map in the store (first news run of these seeds)"

    # 2. the plan, said before the first request
    seed_set = set(seed_ids)
    core_ids = [p for p in before_analysis.nodes if p not in seed_set][:core]
    listed = seed_ids + core_ids
    limit = opt.max_citations if source.limits.list_cap is None else source.limits.capped(opt.max_citations)
    counts = {p: before.graph.nodes[p].get("citation_count") for p in listed if p in before.graph}
    n_list = sum(source.limits.pages(min(limit, counts.get(p) or limit)) for p in listed)
    map_ids = list(before_analysis.nodes)
    n_details = source.limits.batches(len(map_ids))
    total = n_details + n_list + 1
    what = (f"refresh the citation counts of the {len(map_ids)} map papers, list the citations of "
            f"{plural(len(seed_ids), 'seed')} and {len(core_ids)} core papers (up to {limit} each), then fetch "
            "the details of the new papers found")
    if source.limits.metered:
        seconds = source.seconds_for(total)
        plan = [f"news plan: {what}: about {plural(total, 'request')} ({n_details} + {n_list} + 1 per "
                f"{source.limits.batch_size} new papers)" + (f", about {_duration(seconds)}" if seconds >= 1 else "")]
    else:
        plan = [f"news plan: {what}, from {source.label}"]
    for line in plan:
        log(line)
    seconds = source.seconds_for(total)
    if opt.max_plan_seconds is not None and seconds > opt.max_plan_seconds:
        if not (opt.confirm is not None and opt.confirm(f"news makes about {total:,} requests.")):
            from .errors import PlanTooLongError

            raise PlanTooLongError(f"news would make about {total:,} requests, longer than the budget; pass --yes, "
                                   "or lower --core / --max-citations. Nothing was requested")
    requests_before = source.requests

    # 3. fresh details of the map's papers: the first request, so a missing network is known at once
    batch = source.limits.batch_size
    for start in range(0, len(map_ids), batch):
        try:
            got = source.fetch_papers(map_ids[start:start + batch], with_references=False)
        except (SourceError, OSError) as exc:
            if start == 0:
                raise NoNetworkError(f"cannot reach {source.label} ({exc}); nothing was changed: run "
                                     "`citegraph news` again when it can be reached") from None
            raise
        store.put_papers(f.record for f in got if f is not None)
    # the core's citers as listed before: only a citer the new listing adds is news (a paper that has
    # cited the core for years is not, though the map never listed it)
    core_listed_before = set(store.get_list_states(core_ids, "citations"))
    known_citers = {e.citing for e in store.edges_touching(core_ids, direction="in", listed_only=True)}
    refresh = Expander(store, source, dataclasses.replace(opt, refresh=True, max_plan_seconds=None), log,
                       limits=source.limits)
    refresh.fetch_citations(listed, what="seeds and core papers")

    # 4. the map now: expansion from the store (fetching the details of what is new), plus the new
    # citers of the core that build on it (citing at least min_evidence of its papers)
    after = expand(list(seeds), store, source, dataclasses.replace(opt, max_plan_seconds=None), log=log)
    graph, references = after.graph, after.references
    cites: dict[str, int] = {}
    for e in store.edges_touching([c for c in core_ids if c in core_listed_before], direction="in",
                                  listed_only=True):
        if e.citing not in graph and e.citing not in known_citers:
            cites[e.citing] = cites.get(e.citing, 0) + 1
    extra = sorted(p for p, n in cites.items() if n >= opt.min_evidence)
    if extra:
        refresh.opt = dataclasses.replace(refresh.opt, refresh=False)
        refresh.fetch_details(extra, "new papers citing the map's core")
        have = store.get_papers(extra)
        extra = [p for p in extra if p in have]
        members = set(graph.nodes) | set(extra)
        out_edges = store.edges_touching(members, direction="out")
        graph = build_graph(store, members, after.seeds, out_edges)
        references = {}
        for e in out_edges:
            references.setdefault(e.citing, []).append(e.cited)
        graph, references, _ = merge_versions(graph, references)
    seed_now = list(graph.graph["seeds"])
    analysis = analyse(graph, seed_now, top=top, method=method, resolution=resolution, references=references)
    now_map = snapshot_of(graph, analysis)

    # 5. compare
    from .citation_formats import paper_url

    why = analysis.related["why"] if "why" in analysis.related else None
    seeds_now = set(seed_now)
    new = []
    for p in analysis.nodes:
        if p in baseline or p in seeds_now:
            continue
        d = graph.nodes[p]
        new.append(NewPaper(
            paper_id=p, title=d.get("title"), year=d.get("year"), authors=list(d.get("authors") or []),
            venue=d.get("venue"), relatedness=now_map[p]["relatedness"],
            why=str(why.get(p)) if why is not None and isinstance(why.get(p), str) else "",
            url=paper_url(p, d), cites_seeds=sum(1 for s in seeds_now if graph.has_edge(p, s)),
            doi=d.get("doi"), arxiv_id=d.get("arxiv_id")))
    new.sort(key=lambda n: (-n.relatedness, n.paper_id))
    jumps = []
    for p, now in now_map.items():
        old = baseline.get(p, {}).get("citations")
        after_count = now.get("citations")
        if isinstance(old, int) and isinstance(after_count, int):
            gained = after_count - old
            if gained >= max(JUMP_MIN, math.ceil(JUMP_SHARE * old)):
                jumps.append(CitationJump(p, now.get("title"), old, after_count))
    jumps.sort(key=lambda j: (-j.gained, j.paper_id))
    taken_at = time.time()
    # the day each paper came in through news, carried from snapshot to snapshot (`serve` marks them)
    new_ids = {n.paper_id for n in new}
    for p, entry in now_map.items():
        came = _day(taken_at) if p in new_ids else (baseline.get(p) or {}).get("new_on")
        if came:
            entry["new_on"] = came
    save_snapshot(store, key, seed_ids, now_map, taken_at)
    if after.failures or refresh.failures:
        notes.append(f"{plural(len(after.failures) + len(refresh.failures), 'request')} failed; "
                     "the rest is compared (run again to complete it)")
    return News(seed_key=key, seeds=seed_ids, baseline=baseline_text, baseline_at=baseline_at, taken_at=taken_at,
                new=new, jumps=jumps, map_papers=len(analysis.nodes), requests=source.requests - requests_before,
                plan=plan + refresh.plan + after.plan, notes=notes)


def _day(t: float | None) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d") if t else "?"


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- outputs -----------------------------------------------------------------------------------------------
def news_markdown(news: News, *, title: str = "citegraph news") -> str:
    """The news as a markdown document: new papers (a numbered list with why) and citation jumps."""
    lines = [f"# {title}", "", f"{_day(news.taken_at)}: compared with {news.baseline}; "
             f"{plural(len(news.new), 'new paper')} on the map of {news.map_papers}.", ""]
    if news.new:
        lines += ["## New on the map", ""]
        for i, n in enumerate(news.new, start=1):
            head = display_title(n.title) or n.paper_id
            link = f"[{_md(head)}]({n.url})" if n.url else f"**{_md(head)}**"
            meta = ", ".join(x for x in [n.authors[0] + (" et al." if len(n.authors) > 1 else "") if n.authors else "",
                                         str(n.year) if n.year else "", n.venue or ""] if x)
            lines.append(f"{i}. {link}" + (f" ({_md(meta)})" if meta else "") + f" — relatedness {n.relatedness:.2f}")
            if n.why:
                lines.append(f"   {_md(n.why)}")
        lines.append("")
    if news.jumps:
        lines += ["## Citations jumped", ""]
        for j in news.jumps:
            lines.append(f"- {_md(display_title(j.title) or j.paper_id)}: {j.before:,} → {j.after:,} (+{j.gained:,})")
        lines.append("")
    if not news.new and not news.jumps:
        lines += ["Nothing new.", ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in " ".join(str(text).split()))


def atom_feed(news: News, *, title: str = "citegraph news", previous: str | None = None, keep: int = 100) -> str:
    """An Atom 1.0 feed of the new papers (one entry each, newest run first), with the entries of
    ``previous`` (the feed file as it was) after them, up to ``keep`` entries."""
    from xml.etree import ElementTree as ET

    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)
    q = lambda tag: f"{{{ns}}}{tag}"
    feed = ET.Element(q("feed"))
    ET.SubElement(feed, q("title")).text = _xml(title)
    ET.SubElement(feed, q("id")).text = f"urn:citegraph:news:{news.seed_key}"
    ET.SubElement(feed, q("updated")).text = _iso(news.taken_at)
    author = ET.SubElement(feed, q("author"))
    ET.SubElement(author, q("name")).text = "citegraph"
    ET.SubElement(feed, q("generator")).text = "citegraph"
    entries = []
    for n in news.new:
        e = ET.Element(q("entry"))
        ET.SubElement(e, q("title")).text = _xml(display_title(n.title) or n.paper_id)
        ET.SubElement(e, q("id")).text = f"urn:citegraph:news:{news.seed_key}:{_xml(n.paper_id)}"
        ET.SubElement(e, q("updated")).text = _iso(news.taken_at)
        if n.url:
            ET.SubElement(e, q("link"), href=n.url)
        for name in n.authors[:10]:
            a = ET.SubElement(e, q("author"))
            ET.SubElement(a, q("name")).text = _xml(name)
        summary = f"Relatedness {n.relatedness:.2f}" + (f"; {n.why}" if n.why else "") + \
            (f" ({n.year})" if n.year else "")
        ET.SubElement(e, q("summary")).text = _xml(summary)
        entries.append(e)
    ids = {e.find(q("id")).text for e in entries}
    if previous:
        try:
            old = ET.fromstring(previous)
            for e in old.findall(q("entry")):
                got = e.find(q("id"))
                if got is not None and got.text not in ids:
                    ids.add(got.text)
                    entries.append(e)
        except ET.ParseError:
            pass  # a damaged feed file is replaced by this run's entries
    for e in entries[:keep]:
        feed.append(e)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


def _xml(text: str) -> str:
    """Text XML 1.0 can hold (no control characters)."""
    from .export import xml_safe

    return " ".join(xml_safe(str(text)).split())


def new_papers_graph(news: News):
    """The new papers as a graph the RIS, CSL-JSON and BibTeX writers take, and a note for each saying
    since when it is new and why it is on the map."""
    import networkx as nx

    g = nx.DiGraph()
    notes = {}
    for n in news.new:
        g.add_node(n.paper_id, title=n.title, year=n.year, authors=n.authors, venue=n.venue, doi=n.doi,
                   arxiv_id=n.arxiv_id)
        notes[n.paper_id] = (f"New on the citegraph map on {_day(news.taken_at)} (compared with {news.baseline}); "
                             f"relatedness {n.relatedness:.2f}" + (f"; {n.why}" if n.why else ""))
    return g, notes
