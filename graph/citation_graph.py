"""The citation graph of an expansion's papers, as the store holds them, one node per work.

:func:`citation_graph` reads the papers and their references, builds the graph in a fixed order (the
adjacency order is the summation order of every score, so two runs give the same bytes) and merges
each work's versions (:func:`graph.versions.merge_versions`).
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import TYPE_CHECKING, Callable

import networkx as nx

from .model import CitationEdge, PaperLinks, PaperRecord
from .seeds import Seed
from .versions import merge_versions

if TYPE_CHECKING:
    from .expansion_model import ResolvedSeed
    from .store import Store


def citation_graph(store: "Store", members: set[str], resolved: list["ResolvedSeed"],
                   links: Callable[[PaperRecord], PaperLinks] = PaperLinks.of,
                   log: Callable[[str], None] = lambda m: None) -> tuple[nx.DiGraph, dict[str, list[str]]]:
    """The graph over ``members`` with versions merged, and every stored reference of its papers
    (those outside the graph included); ``resolved`` seeds pointing at a merged-away version are
    pointed at the work's kept node."""
    # sorted once: the graph's adjacency and each reference list follow this order, however the store answered
    out_edges = sorted(store.edges_touching(members, direction="out"), key=edge_order)
    graph = build_graph(store, members, resolved, out_edges, links=links, edges_sorted=True)
    references: dict[str, list[str]] = {}
    for e in out_edges:
        references.setdefault(e.citing, []).append(e.cited)
    # one node per work: the store keeps every record, the graph merges their versions
    graph, references, alias = merge_versions(graph, references)
    for problem in graph.graph.get("version_problems", ()):
        log(f"warning: {problem}")
    for r in resolved:
        if r.paper_id in alias:
            r.paper_id = alias[r.paper_id]
    return graph, references


def build_graph(store: "Store", members: set[str], resolved: list["ResolvedSeed"],
                out_edges: list[CitationEdge],
                links: Callable[[PaperRecord], PaperLinks] = PaperLinks.of, edges_sorted: bool = False) -> nx.DiGraph:
    """The citation graph over ``members`` (edge u -> v: u cites v), metadata on nodes.

    ``out_edges`` are the stored edges whose citing paper is a member; ``links`` (the source's)
    fills each record's links, which the store does not keep; ``edges_sorted``: ``out_edges`` come in
    :func:`edge_order` already (sorting them again cost 0.03 s a map)."""
    papers = store.get_papers(members)
    seed_info: dict[str, Seed] = {}
    for r in resolved:
        if r.paper_id and r.paper_id not in seed_info:
            seed_info[r.paper_id] = r.seed
    nodes = []
    for pid in sorted(members):
        rec = papers.get(pid) or PaperRecord(pid)
        link = links(rec)
        attrs = rec.to_dict()
        # the links as to_dict would give them once set on the record (dataclasses.asdict, which deep-copies
        # field by field: 0.04 s a map), from the one flat dataclass they are
        attrs["links"] = {name: getattr(link, name) for name in _LINK_FIELDS} if isinstance(link, PaperLinks) \
            else link
        del attrs["paper_id"]
        s = seed_info.get(pid)
        attrs.update(
            is_seed=s is not None,
            seed_section=s.section if s else None,
            seed_input=s.input if s else None,
            seed_source=f"{s.source}:{s.line}" if s else None,
            seed_stars=s.stars if s else None,
            must_read=bool(s and s.must_read),
            has_details=pid in papers and papers[pid].title is not None,
        )
        nodes.append((pid, attrs))
    # in a fixed order: the store answers in an order that follows Python's per-process string hashing, and
    # the adjacency order is the summation order of every score (two runs must give the same bytes)
    edges = [(e.citing, e.cited, {"is_influential": e.is_influential,
                                  "intents": list(e.intents) if e.intents else None,
                                  "contexts": list(e.contexts) if e.contexts else None})
             for e in (out_edges if edges_sorted else sorted(out_edges, key=edge_order))
             if e.cited in members and e.citing != e.cited]
    g = assembled_graph(nodes, edges)
    g.graph["seeds"] = [r.paper_id for r in resolved if r.paper_id]
    return g


_LINK_FIELDS = tuple(f.name for f in fields(PaperLinks))
# an edge's place in the fixed order: (citing, cited), read in C (a Python key function cost 0.04 s a map)
edge_order: Callable[[CitationEdge], tuple[str, str]] = attrgetter("citing", "cited")


def assembled_graph(nodes: list[tuple[str, dict]], edges: list[tuple[str, str, dict]]) -> nx.DiGraph:
    """A ``DiGraph`` holding ``nodes`` and ``edges`` (between those nodes, no edge twice), in their order,
    each taking the attribute dict given (not a copy).

    What ``add_nodes_from`` and ``add_edges_from`` make, filled directly: they check and copy each of
    a map's 100,000 edges (0.4 s, for every action in ``serve``).

    >>> g = assembled_graph([("a", {"title": "A"}), ("b", {})], [("a", "b", {"w": 1})])
    >>> list(g.edges(data=True)), g.nodes["a"], list(g.predecessors("b"))
    ([('a', 'b', {'w': 1})], {'title': 'A'}, ['a'])
    """
    g = nx.DiGraph()
    node, succ, pred = g._node, g._succ, g._pred
    for n, attrs in nodes:
        node[n] = attrs
        succ[n] = {}
        pred[n] = {}
    for u, v, attrs in edges:
        succ[u][v] = attrs
        pred[v][u] = attrs
    return g
