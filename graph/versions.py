"""One node per work: merge the versions of a paper that sources list separately.

Semantic Scholar lists a preprint and its published version as two papers, and
corpora carry copies (the arXiv CS corpus has lower-cased duplicates without a
year). Two records are one work when they share a DOI or an arXiv ID, or when
their normalised titles are equal (at least :data:`MIN_TITLE_WORDS` words), and
nothing contradicts it: different arXiv IDs, different (non-empty) titles, years
more than :data:`MAX_YEAR_GAP` apart, or author lists with no surname in common (an
unknown title or year or an empty author list contradicts nothing). Different DOIs
do not contradict it: a preprint's DOI differs from the published version's.

Only real identifiers count (:mod:`graph.identifiers`): ``N/A``, ``0`` or a DOI prefix alone
name no work. One DOI or arXiv ID carried by records whose titles differ is a data error: they
stay apart and the clash is reported. A DOI, arXiv ID or title shared by more than
:data:`MAX_VERSIONS` records is no one work's either (front matter titled "Table of Contents",
a placeholder that passed as a DOI): it merges nothing and is reported. So grouping is
near-linear on any input: each record is compared with at most a bounded number of others.

The merged node keeps the id of the best-documented record (a seed first, then
details, citations, in-graph citations, id), every other id in ``merged_ids``,
the union of the edges, and fields the kept record lacks from the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

import networkx as nx

from .identifiers import record_arxiv, record_doi
from .ids import normalise_title

MIN_TITLE_WORDS = 3
MAX_YEAR_GAP = 1
# more records than this sharing one DOI, arXiv ID or title are not versions of one work
MAX_VERSIONS = 50
MAX_PROBLEMS_LISTED = 20


def _arxiv_key(value) -> str | None:
    value = record_arxiv(value)
    return re.sub(r"v\d+$", "", value.lower()) if value else None


def _surnames(authors: Iterable[str] | None) -> frozenset[str]:
    out = set()
    for name in authors or ():
        words = re.findall(r"\w+", str(name).casefold())
        if words:
            out.add(words[-1])
    return frozenset(out)


def _year(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class _Features:
    """What the rules read of one record, computed once."""

    doi: str | None
    arxiv: str | None
    title: str
    year: int | None
    surnames: frozenset

    @classmethod
    def of(cls, d: dict) -> "_Features":
        return cls(record_doi(d.get("doi")), _arxiv_key(d.get("arxiv_id")), normalise_title(d.get("title") or ""),
                   _year(d.get("year")), _surnames(d.get("authors")))


def _features_contradict(a: _Features, b: _Features) -> bool:
    if a.arxiv and b.arxiv and a.arxiv != b.arxiv:
        return True
    if a.title and b.title and a.title != b.title:
        return True
    if a.year is not None and b.year is not None and abs(a.year - b.year) > MAX_YEAR_GAP:
        return True
    return bool(a.surnames and b.surnames and not a.surnames & b.surnames)


def _contradicted(a: dict, b: dict) -> bool:
    """Whether anything says two records are different works: two arXiv IDs (a source lists all
    arXiv versions of a paper as one), two different titles, years more than :data:`MAX_YEAR_GAP`
    apart, or author lists with no surname in common. Missing values contradict nothing."""
    return _features_contradict(_Features.of(a), _Features.of(b))


def _shared_key(a: _Features, b: _Features) -> bool:
    return bool((a.doi and a.doi == b.doi) or (a.arxiv and a.arxiv == b.arxiv)
                or (a.title and a.title == b.title and len(a.title.split()) >= MIN_TITLE_WORDS))


def same_work(a: dict, b: dict) -> bool:
    """Whether two node attribute dicts describe the same work (see the module's rules).

    >>> same_work({"title": "Attention Is All You Need", "year": 2017},
    ...           {"title": "attention is all you need", "year": None})
    True
    >>> same_work({"title": "Attention Is All You Need", "year": 2017}, {"title": "Attention is all you need",
    ...           "year": 2021})
    False
    >>> same_work({"doi": "N/A", "title": "One paper here"}, {"doi": "N/A", "title": "Another paper there"})
    False
    """
    fa, fb = _Features.of(a), _Features.of(b)
    return _shared_key(fa, fb) and not _features_contradict(fa, fb)


class _Group:
    """What a group of records says about itself, enough to tell whether it contradicts another
    group without comparing every pair of records: no two records of a group contradict each
    other, so it has at most one arXiv ID and one title, its years span at most MAX_YEAR_GAP, and
    only its distinct author sets need comparing."""

    __slots__ = ("size", "arxiv", "title", "year_min", "year_max", "author_sets")

    def __init__(self, f: _Features) -> None:
        self.size = 1
        self.arxiv, self.title = f.arxiv, f.title
        self.year_min = self.year_max = f.year
        self.author_sets = {f.surnames} if f.surnames else set()

    def contradicts(self, other: "_Group") -> bool:
        if self.arxiv and other.arxiv and self.arxiv != other.arxiv:
            return True
        if self.title and other.title and self.title != other.title:
            return True
        if self.year_min is not None and other.year_min is not None and \
                max(self.year_max, other.year_max) - min(self.year_min, other.year_min) > MAX_YEAR_GAP:
            return True
        return any(not a & b for a in self.author_sets for b in other.author_sets)

    def absorb(self, other: "_Group") -> None:
        self.size += other.size
        self.arxiv = self.arxiv or other.arxiv
        self.title = self.title or other.title
        if other.year_min is not None:
            self.year_min = other.year_min if self.year_min is None else min(self.year_min, other.year_min)
            self.year_max = other.year_max if self.year_max is None else max(self.year_max, other.year_max)
        self.author_sets |= other.author_sets


@dataclass
class VersionGrouping:
    """The groups of :func:`version_groups`, what the data got wrong, and how many group
    comparisons it took (bounded by a multiple of the number of records)."""

    groups: list[list]
    problems: list[str] = field(default_factory=list)
    comparisons: int = 0


def group_versions(G: nx.DiGraph) -> VersionGrouping:
    """Groups of two or more nodes of ``G`` that are versions of one work (each sorted with the
    node to keep first), and the identifiers that the data shares wrongly (see the module)."""
    features = {n: _Features.of(d) for n, d in G.nodes(data=True)}
    parent = {n: n for n in G}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    groups = {n: _Group(f) for n, f in features.items()}  # root -> what its group says
    buckets: dict[tuple, list] = {}
    for n, f in features.items():
        for key in (("DOI", f.doi), ("arXiv ID", f.arxiv),
                    ("title", f.title if len(f.title.split()) >= MIN_TITLE_WORDS else None)):
            if key[1]:
                buckets.setdefault(key, []).append(n)
    out = VersionGrouping([])
    crowded: list[str] = []
    clashes: list[str] = []
    refused: set[tuple] = set()  # root pairs that contradict: they still do once either grows
    for (kind, value), members in buckets.items():
        if len(members) < 2:
            continue
        if len(members) > MAX_VERSIONS:
            crowded.append(f"the {kind} {value[:80]!r} is shared by {len(members):,} records (e.g. "
                           f"{', '.join(map(str, members[:3]))}): too many to be versions of one work; kept apart")
            continue
        if kind != "title" and len({features[m].title for m in members} - {""}) > 1:
            clashes.append(f"the {kind} {value[:80]!r} is shared by records with different titles ("
                           f"{', '.join(map(str, members[:3]))}{', …' if len(members) > 3 else ''}): a data error "
                           "in the source; they are kept apart")
        for i, u in enumerate(members):
            for v in members[i + 1:]:
                ru, rv = find(u), find(v)
                if ru == rv or (ru, rv) in refused:
                    continue
                out.comparisons += 1
                gu, gv = groups[ru], groups[rv]
                # same_work is not transitive (an undated copy matches two dated works): join two
                # groups only if no record of one contradicts a record of the other
                if gu.size + gv.size > MAX_VERSIONS or gu.contradicts(gv):
                    refused.add((ru, rv))
                    continue
                parent[ru] = rv
                gv.absorb(groups.pop(ru))
    for lines in (clashes, crowded):
        out.problems.extend(lines[:MAX_PROBLEMS_LISTED])
        if len(lines) > MAX_PROBLEMS_LISTED:
            out.problems.append(f"… and {len(lines) - MAX_PROBLEMS_LISTED:,} more like it")
    members_of: dict = {}
    for n in G:
        members_of.setdefault(find(n), []).append(n)

    def keep_first(n):
        d = G.nodes[n]
        return (not d.get("is_seed"), not d.get("has_details", d.get("title") is not None),
                -(d.get("citation_count") or 0), -G.in_degree(n), str(n))

    out.groups = [sorted(g, key=keep_first) for g in members_of.values() if len(g) > 1]
    return out


def version_groups(G: nx.DiGraph) -> list[list]:
    """Groups of two or more nodes of ``G`` that are versions of one work, each sorted with
    the node to keep first (see :func:`group_versions`)."""
    return group_versions(G).groups


def merge_versions(G: nx.DiGraph, references: dict | None = None) -> tuple[nx.DiGraph, dict, dict]:
    """``G`` with each work's versions merged into one node.

    Returns ``(graph, references, alias)``: the merged graph (``merged_ids`` on merged
    nodes lists every id of the work, the kept one first; ``graph.graph["seeds"]`` is
    mapped and deduplicated; ``graph.graph["version_problems"]`` says which identifiers the data
    shares wrongly), the reference lists with merged ids mapped, and ``alias`` ``{merged-away id:
    kept id}``.

    >>> G = nx.DiGraph([("a", "b"), ("c", "b2")])
    >>> G.nodes["b"].update(title="A Paper About Graphs", year=2020)
    >>> G.nodes["b2"].update(title="a paper about graphs")
    >>> H, _, alias = merge_versions(G)
    >>> alias, sorted(H.predecessors("b"))
    ({'b2': 'b'}, ['a', 'c'])
    """
    grouping = group_versions(G)
    groups = grouping.groups
    if not groups:
        if grouping.problems:
            G.graph["version_problems"] = grouping.problems
        return G, references or {}, {}
    alias = {n: g[0] for g in groups for n in g[1:]}
    H = nx.DiGraph()
    H.graph.update(G.graph)
    if grouping.problems:
        H.graph["version_problems"] = grouping.problems
    # filled directly, as add_node and add_edge would (each a copy of the attributes): they checked and
    # copied each of a map's 50,000 edges (0.15 s of every serve action)
    node, succ, pred = H._node, H._succ, H._pred
    for n, d in G.nodes(data=True):
        if n not in alias:
            node[n], succ[n], pred[n] = dict(d), {}, {}
    for g in groups:
        kept = H.nodes[g[0]]
        for other in g[1:]:
            for k, v in G.nodes[other].items():
                if kept.get(k) in (None, "", []) and v not in (None, "", []):
                    kept[k] = v
            kept["is_seed"] = bool(kept.get("is_seed") or G.nodes[other].get("is_seed"))
        kept["merged_ids"] = list(g)
    to = lambda n: alias.get(n, n)
    for u, v, d in G.edges(data=True):
        a, b = to(u), to(v)
        if a == b:
            continue
        kept = succ[a].get(b)
        if kept is None:
            succ[a][b] = pred[b][a] = dict(d)
            continue
        # the same citation seen from two versions: keep what either knows
        if d.get("is_influential") is not None:
            kept["is_influential"] = bool(kept.get("is_influential")) or bool(d["is_influential"])
        for key in ("intents", "contexts"):
            if d.get(key):
                kept[key] = list(dict.fromkeys(list(kept.get(key) or []) + list(d[key])))
    H.graph["seeds"] = list(dict.fromkeys(to(s) for s in G.graph.get("seeds", [])))
    refs = {}
    for n, lst in (references or {}).items():
        refs.setdefault(to(n), [])
        refs[to(n)].extend(to(r) for r in lst)
    refs = {n: list(dict.fromkeys(r for r in lst if r != n)) for n, lst in refs.items()}
    return H, refs, alias


def merged_ids_text(attrs: dict) -> str | None:
    """A node's ``merged_ids`` as one table cell (``"a; b"``), ``None`` for a single record.

    >>> merged_ids_text({"merged_ids": ["b", "b2"]}), merged_ids_text({})
    ('b; b2', None)
    """
    return "; ".join(map(str, attrs.get("merged_ids") or [])) or None
