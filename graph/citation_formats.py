"""RIS and CSL-JSON exports, ready for Zotero's import (File → Import…).

Each paper carries its citation key (:mod:`graph.citekeys`, the BibTeX export's), title, authors,
year, venue, DOI, arXiv id, a URL, the abstract, and a note saying why it is on the map (a seed,
or its relatedness and the evidence behind it), so a collection imported back keeps the reason.
RIS holds one line per value, so every value is written on one line (white space collapsed), which
also means no title can end a record and start another.

>>> import networkx as nx
>>> g = nx.DiGraph(); g.add_node("p", title="SYNTH paper", year=2020, authors=["Ada Lovelace"])
>>> print(ris_text(g, ["p"]).splitlines()[:4])
['TY  - GEN', 'ID  - lovelace2020synth', 'TI  - SYNTH paper', 'AU  - Lovelace, Ada']
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from .citekeys import PARTICLES, citation_keys

if TYPE_CHECKING:
    import networkx as nx

    from .analysis.results import MapAnalysis

def _line(value) -> str:
    return " ".join(str(value).split())


def split_name(name: str) -> tuple[str, str]:
    """``(given, family)`` of an author as sources write names (``Given Family`` or ``Family, Given``);
    particles (``van``, ``de``) stay with the family name; a single word is a family name.

    >>> split_name("Ashish Vaswani"), split_name("Dao, Tri"), split_name("Ludwig van Beethoven")
    (('Ashish', 'Vaswani'), ('Tri', 'Dao'), ('Ludwig', 'van Beethoven'))
    """
    name = _line(name)
    if "," in name:
        family, _, given = name.partition(",")
        return given.strip(), family.strip()
    parts = name.split(" ")
    if len(parts) == 1:
        return "", name
    start = len(parts) - 1
    while start > 1 and parts[start - 1].lower() in PARTICLES:
        start -= 1
    return " ".join(parts[:start]), " ".join(parts[start:])


def paper_url(pid: str, d: Mapping) -> str | None:
    """The page to link: the paper's page at its source, else arXiv, else its DOI."""
    from .model import PaperLinks

    return PaperLinks.of_node(dict(d)).landing_page()


def why_on_map(pid: str, d: Mapping, analysis: "MapAnalysis | None", map_name: str | None = None) -> str:
    """A one-line note: why this paper is on the map (a seed and its section, or its relatedness
    and the evidence behind it)."""
    where = f"the citegraph map {map_name}" if map_name else "a citegraph map"
    if d.get("is_seed"):
        section = d.get("seed_section")
        return f"Seed of {where}" + (f" (section: {_line(section)})" if section else "") + "."
    parts = [f"On {where}"]
    if analysis is not None and pid in analysis.related.index:
        row = analysis.related.loc[pid]
        rel = row.get("relatedness")
        if rel == rel and rel is not None:
            parts.append(f"relatedness {float(rel):.2f}")
        why = row.get("why")
        if isinstance(why, str) and why:
            parts.append(why)
    return _line("; ".join(parts)) + "."


def reference(pid: str, d: Mapping, key: str, note: str) -> dict:
    """One paper as the fields the RIS and CSL-JSON writers share (None where the data has none)."""
    year = d.get("year")
    text = lambda name: _line(d.get(name) or "") or None
    url = paper_url(pid, d)
    return {
        "key": key,
        "title": _line(d["title"]),
        "authors": [split_name(a) for a in d.get("authors") or [] if _line(a)],
        "year": year if isinstance(year, int) and not isinstance(year, bool) else None,
        "venue": text("venue"),
        "doi": text("doi"),
        "arxiv_id": text("arxiv_id"),
        # RIS readers (rispy, Zotero) split a UR line at ";": encoded, it is the same address
        "url": _line(url).replace(";", "%3B") or None if url else None,
        "abstract": text("abstract"),
        "note": note,
    }


def references(g: "nx.DiGraph", nodes: Sequence[str] | None = None, analysis: "MapAnalysis | None" = None,
               map_name: str | None = None, notes: Mapping[str, str] | None = None) -> list[dict]:
    """:func:`reference` of each of ``nodes`` with a title (default: every titled paper of ``g``), keyed
    as in the BibTeX export; ``notes`` (paper -> text) replaces the note of the papers it names."""
    keys = citation_keys({p: d for p, d in g.nodes(data=True) if d.get("title")})
    out = []
    for pid in nodes if nodes is not None else list(g.nodes):
        d = g.nodes[pid]
        if not _line(d.get("title") or ""):
            continue
        note = (notes or {}).get(pid) or why_on_map(pid, d, analysis, map_name)
        out.append(reference(pid, d, keys[pid], _line(note)))
    return out


def ris_text(g: "nx.DiGraph", nodes: Sequence[str] | None = None, analysis: "MapAnalysis | None" = None,
             map_name: str | None = None, notes: Mapping[str, str] | None = None) -> str:
    """RIS of ``nodes`` (see :func:`references`): ``JOUR`` with a venue, else ``GEN``; the arXiv id as
    ``arXiv:ID`` in a note, as Zotero writes it."""
    out = []
    for r in references(g, nodes, analysis, map_name, notes):
        lines = [("TY", "JOUR" if r["venue"] else "GEN"), ("ID", r["key"]), ("TI", r["title"])]
        lines += [("AU", f"{fam}, {giv}" if giv else fam) for giv, fam in r["authors"]]
        if r["year"] is not None:
            lines.append(("PY", str(r["year"])))
        if r["venue"]:
            lines.append(("T2", r["venue"]))
        if r["doi"]:
            lines.append(("DO", r["doi"]))
        if r["url"]:
            lines.append(("UR", r["url"]))
        if r["abstract"]:
            lines.append(("AB", r["abstract"]))
        if r["arxiv_id"]:
            lines.append(("N1", f"arXiv:{r['arxiv_id']}"))
        lines.append(("N1", r["note"]))
        lines.append(("ER", ""))
        out.append("\n".join(f"{tag}  - {value}" for tag, value in lines) + "\n")
    return "\n".join(out)


def csl_json_text(g: "nx.DiGraph", nodes: Sequence[str] | None = None, analysis: "MapAnalysis | None" = None,
                  map_name: str | None = None, notes: Mapping[str, str] | None = None) -> str:
    """CSL-JSON of ``nodes`` (see :func:`references`): ``article-journal`` with a venue, else ``article``;
    the arXiv id as ``number`` ``arXiv:ID`` (Zotero's preprint field) and in the note."""
    items = []
    for r in references(g, nodes, analysis, map_name, notes):
        item: dict = {"id": r["key"], "type": "article-journal" if r["venue"] else "article",
                      "title": r["title"], "citation-key": r["key"]}
        if r["authors"]:
            item["author"] = [{"family": fam, "given": giv} if giv else {"family": fam} for giv, fam in r["authors"]]
        if r["year"] is not None:
            item["issued"] = {"date-parts": [[r["year"]]]}
        if r["venue"]:
            item["container-title"] = r["venue"]
        if r["doi"]:
            item["DOI"] = r["doi"]
        if r["url"]:
            item["URL"] = r["url"]
        if r["abstract"]:
            item["abstract"] = r["abstract"]
        note = r["note"]
        if r["arxiv_id"]:
            if not r["venue"]:
                item["number"] = f"arXiv:{r['arxiv_id']}"
            note = f"arXiv: {r['arxiv_id']}\n{note}"
        item["note"] = note
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


WRITERS: dict[str, Callable[..., str]] = {"ris": ris_text, "csl-json": csl_json_text}
