"""One node per work: merge the versions of a paper that sources list separately.

Semantic Scholar lists a preprint and its published version as two papers, and
corpora carry copies (the arXiv CS corpus has lower-cased duplicates without a
year). Two records are one work when they share a DOI or an arXiv ID, or when
their normalised titles are equal (at least :data:`MIN_TITLE_WORDS` words) and
nothing contradicts it: different arXiv IDs, years more than
:data:`MAX_YEAR_GAP` apart, or author lists with no surname in common (an
unknown year or an empty author list contradicts nothing). Different DOIs do not
contradict it: a preprint's DOI differs from the published version's.

The merged node keeps the id of the best-documented record (a seed first, then
details, citations, in-graph citations, id), every other id in ``merged_ids``,
the union of the edges, and fields the kept record lacks from the others.
"""

from __future__ import annotations

import re
from typing import Iterable

import networkx as nx

from .ids import normalise_title

MIN_TITLE_WORDS = 3
MAX_YEAR_GAP = 1


def _arxiv_key(value) -> str | None:
    if not value:
        return None
    return re.sub(r"v\d+$", "", str(value).strip().lower()) or None


def _surnames(authors: Iterable[str] | None) -> set[str]:
    out = set()
    for name in authors or ():
        words = re.findall(r"\w+", str(name).casefold())
        if words:
            out.add(words[-1])
    return out


def _contradicted(a: dict, b: dict) -> bool:
    """Whether anything says two records are different works: two arXiv IDs (a source lists all
    arXiv versions of a paper as one), years more than :data:`MAX_YEAR_GAP` apart, or author
    lists with no surname in common. Missing values contradict nothing."""
    arxiv_a, arxiv_b = _arxiv_key(a.get("arxiv_id")), _arxiv_key(b.get("arxiv_id"))
    if arxiv_a and arxiv_b and arxiv_a != arxiv_b:
        return True
    ya, yb = a.get("year"), b.get("year")
    if ya and yb and abs(int(ya) - int(yb)) > MAX_YEAR_GAP:
        return True
    sa, sb = _surnames(a.get("authors")), _surnames(b.get("authors"))
    return bool(sa and sb and not sa & sb)


def same_work(a: dict, b: dict) -> bool:
    """Whether two node attribute dicts describe the same work (see the module's rules).

    >>> same_work({"title": "Attention Is All You Need", "year": 2017},
    ...           {"title": "attention is all you need", "year": None})
    True
    >>> same_work({"title": "Attention Is All You Need", "year": 2017}, {"title": "Attention is all you need",
    ...           "year": 2021})
    False
    """
    doi_a, doi_b = (str(d.get("doi") or "").strip().lower() for d in (a, b))
    if doi_a and doi_a == doi_b:
        return True
    arxiv_a, arxiv_b = _arxiv_key(a.get("arxiv_id")), _arxiv_key(b.get("arxiv_id"))
    if arxiv_a and arxiv_a == arxiv_b:
        return True
    ta, tb = normalise_title(a.get("title") or ""), normalise_title(b.get("title") or "")
    if not ta or ta != tb or len(ta.split()) < MIN_TITLE_WORDS:
        return False
    return not _contradicted(a, b)


def version_groups(G: nx.DiGraph) -> list[list]:
    """Groups of two or more nodes of ``G`` that are versions of one work, each sorted with
    the node to keep first."""
    parent = {n: n for n in G}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members_of = {n: [n] for n in G}  # root -> the records of its group
    buckets: dict[tuple, list] = {}
    for n, d in G.nodes(data=True):
        title = normalise_title(d.get("title") or "")
        for key in (("doi", str(d["doi"]).strip().lower()) if d.get("doi") else None,
                    ("arxiv", _arxiv_key(d.get("arxiv_id"))) if d.get("arxiv_id") else None,
                    ("title", title) if len(title.split()) >= MIN_TITLE_WORDS else None):
            if key and key[1]:
                buckets.setdefault(key, []).append(n)
    for members in buckets.values():
        for i, u in enumerate(members):
            for v in members[i + 1:]:
                ru, rv = find(u), find(v)
                if ru == rv or not same_work(G.nodes[u], G.nodes[v]):
                    continue
                # same_work is not transitive (an undated copy matches two dated works): join
                # two groups only if no record of one contradicts a record of the other
                if any(_contradicted(G.nodes[x], G.nodes[y]) for x in members_of[ru] for y in members_of[rv]):
                    continue
                parent[ru] = rv
                members_of[rv].extend(members_of.pop(ru))
    groups: dict = {}
    for n in G:
        groups.setdefault(find(n), []).append(n)

    def keep_first(n):
        d = G.nodes[n]
        return (not d.get("is_seed"), not d.get("has_details", d.get("title") is not None),
                -(d.get("citation_count") or 0), -G.in_degree(n), str(n))

    return [sorted(g, key=keep_first) for g in groups.values() if len(g) > 1]


def merge_versions(G: nx.DiGraph, references: dict | None = None) -> tuple[nx.DiGraph, dict, dict]:
    """``G`` with each work's versions merged into one node.

    Returns ``(graph, references, alias)``: the merged graph (``merged_ids`` on merged
    nodes lists every id of the work, the kept one first; ``graph.graph["seeds"]`` is
    mapped and deduplicated), the reference lists with merged ids mapped, and
    ``alias`` ``{merged-away id: kept id}``.

    >>> G = nx.DiGraph([("a", "b"), ("c", "b2")])
    >>> G.nodes["b"].update(title="A Paper About Graphs", year=2020)
    >>> G.nodes["b2"].update(title="a paper about graphs")
    >>> H, _, alias = merge_versions(G)
    >>> alias, sorted(H.predecessors("b"))
    ({'b2': 'b'}, ['a', 'c'])
    """
    groups = version_groups(G)
    if not groups:
        return G, references or {}, {}
    alias = {n: g[0] for g in groups for n in g[1:]}
    H = nx.DiGraph()
    H.graph.update(G.graph)
    for n, d in G.nodes(data=True):
        if n not in alias:
            H.add_node(n, **d)
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
        if not H.has_edge(a, b):
            H.add_edge(a, b, **d)
            continue
        # the same citation seen from two versions: keep what either knows
        kept = H.edges[a, b]
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
