"""Citation paths between papers, and an order to read a set of papers in."""

from __future__ import annotations

from typing import Sequence

import networkx as nx
import pandas as pd

from ..errors import AnalysisError
from ..text import display_title
from .results import CitationPaths

STAGES = ("beginner", "intermediate", "expert")


def citation_paths(G: nx.DiGraph, a, b, *, one_hop_longer: bool = False, max_paths: int = 50) -> CitationPaths:
    """All shortest citation paths between ``a`` and ``b``, citations taken as undirected.

    With ``one_hop_longer``, also the papers that lie on a path exactly one hop
    longer (``d(a, x) + d(x, b) == d + 1``).

    >>> found = citation_paths(nx.DiGraph([("a", "x"), ("b", "x")]), "a", "b")
    >>> found.paths, found.hops  # a cites x, which b cites
    ([['a', 'x', 'b']], [['cites', 'cited by']])
    """
    for p in (a, b):
        if p not in G:
            raise AnalysisError(f"{p!r} is not in the graph; expand it first (citegraph map {p})")
    U = G.to_undirected(as_view=True)
    try:
        paths = []
        for path in nx.all_shortest_paths(U, a, b):
            paths.append(path)
            if len(paths) == max_paths:
                break
    except nx.NetworkXNoPath:
        return CitationPaths(a, b, None, [])
    paths.sort(key=lambda p: [str(x) for x in p])
    length = len(paths[0]) - 1
    extra: list = []
    if one_hop_longer:
        da = nx.single_source_shortest_path_length(U, a, cutoff=length + 1)
        db = nx.single_source_shortest_path_length(U, b, cutoff=length + 1)
        on_shortest = {n for p in paths for n in p}
        extra = sorted((n for n in da if n in db and da[n] + db[n] == length + 1 and n not in on_shortest),
                       key=str)
    hops = [["cites" if G.has_edge(u, v) else "cited by" for u, v in zip(path, path[1:])] for path in paths]
    return CitationPaths(a, b, length, paths, extra, hops=hops)


def reading_order(G: nx.DiGraph, papers: Sequence, *, influence: pd.Series | None = None,
                  n_stages: int = 3) -> pd.DataFrame:
    """Order ``papers`` so that each comes after the papers of the set it cites.

    Topological order of the citation graph restricted to the set (cited before
    citing). Citation cycles are read as one group; ties and cycle members are
    ordered by year, then by ``influence`` (higher first, e.g. PageRank), then id.
    Papers are grouped into ``n_stages`` stages (beginner / intermediate / expert)
    by their depth in the prerequisite graph.

    Columns: order, paper_id, title, year, stage, prerequisites (papers of the set it cites that
    come earlier), read_with (papers of its citation cycle that it cites but that come later).
    The numbering runs through the stages in order.
    """
    members = [p for p in dict.fromkeys(papers) if p in G]
    if not members:
        raise AnalysisError("none of these papers is in the graph")
    infl = influence if influence is not None else pd.Series(dtype=float)
    # undated papers after the dated ones
    key = lambda n: (not G.nodes[n].get("year"), G.nodes[n].get("year") or 0, -float(infl.get(n, 0.0)), str(n))
    # edge v -> u when u cites v: v must be read first
    P = nx.DiGraph()
    P.add_nodes_from(members)
    P.add_edges_from((v, u) for u, v in G.subgraph(members).edges if u != v)
    C = nx.condensation(P)
    scc_key = {c: min(key(n) for n in C.nodes[c]["members"]) for c in C}
    # read generation by generation (each paper after everything it cites), so that the stages,
    # which follow the generations, are contiguous runs of the numbering
    depth: dict = {}
    order: list = []
    for level, gen in enumerate(nx.topological_generations(C)):
        for c in sorted(gen, key=lambda c: scc_key[c]):
            for n in sorted(C.nodes[c]["members"], key=key):
                depth[n] = level
                order.append(n)
    max_depth = max(depth.values())
    names = STAGES if n_stages == 3 else tuple(f"stage {i + 1}" for i in range(n_stages))
    stage = {n: names[min(n_stages - 1, depth[n] * n_stages // (max_depth + 1))] for n in members}
    position = {n: i for i, n in enumerate(order)}
    # inside a citation cycle the papers cite each other: only those read earlier are prerequisites,
    # the later ones are named as read together, so order and prerequisites never disagree
    rows = [{"order": i + 1, "paper_id": n, "title": G.nodes[n].get("title"), "year": G.nodes[n].get("year"),
             "stage": stage[n],
             "prerequisites": sorted((m for m in P.predecessors(n) if position[m] < i), key=position.get),
             "read_with": sorted((m for m in P.predecessors(n) if position[m] > i), key=position.get)}
            for i, n in enumerate(order)]
    return pd.DataFrame(rows, columns=["order", "paper_id", "title", "year", "stage", "prerequisites", "read_with"])


def reading_order_markdown(df: pd.DataFrame, G: nx.DiGraph | None = None) -> str:
    """The reading order as a markdown list grouped by stage, numbered in reading order,
    with titles as people read them."""
    titles = {p: display_title(t) or p for p, t in zip(df["paper_id"], df["title"])}
    lines = ["# Reading order", ""]
    for stage in dict.fromkeys(df["stage"]):
        lines += [f"## {stage.capitalize()}", ""]
        for _, r in df[df["stage"] == stage].iterrows():
            year = f" ({r['year']})" if pd.notna(r["year"]) and r["year"] else ""
            line = f"{r['order']}. **{titles[r['paper_id']]}**{year}"
            if r["prerequisites"]:
                line += " — after: " + "; ".join(titles.get(p, str(p)) for p in r["prerequisites"])
            if "read_with" in r and r["read_with"]:
                line += " — cites each other with: " + "; ".join(titles.get(p, str(p)) for p in r["read_with"])
            lines.append(line)
        lines.append("")
    return "\n".join(lines)
