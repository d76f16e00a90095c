"""Influence: which papers matter most in the citation graph, and why.

Edges point from the citing to the cited paper, so PageRank and HITS authority
flow to the papers that are cited; hubs are papers citing many authorities
(surveys). Every score is a column of one table.
"""

from __future__ import annotations

import networkx as nx
import pandas as pd

COLUMNS = ["pagerank", "in_graph_citations", "global_citations", "hits_authority", "hits_hub",
           "recent_pagerank", "momentum"]


def _latest_year(G: nx.DiGraph) -> int | None:
    years = [y for _, y in G.nodes(data="year") if y]
    return max(years) if years else None


def influence_table(G: nx.DiGraph, *, alpha: float = 0.85, recent_years: int = 3, momentum_years: int = 2,
                    now_year: int | None = None) -> pd.DataFrame:
    """One row per paper with every influence score, ranked by PageRank.

    * ``pagerank``: PageRank of the citation graph (damping ``alpha``);
    * ``in_graph_citations`` / ``global_citations``: citations inside the graph / in S2;
    * ``hits_authority`` / ``hits_hub``: HITS scores (hubs are surveys);
    * ``recent_pagerank``: PageRank among papers of the last ``recent_years`` years
      (counted back from ``now_year``, default the graph's latest year, so results
      are reproducible); 0 for older papers;
    * ``momentum``: share of a paper's in-graph citations that come from papers of
      the last ``momentum_years`` years.

    >>> influence_table(nx.DiGraph([("a", "b")])).index[0]
    'b'
    """
    if G.number_of_nodes() == 0:
        return pd.DataFrame(columns=["rank", *COLUMNS, "title", "year"])
    pr = nx.pagerank(G, alpha=alpha)
    if G.number_of_edges():
        hubs, auth = nx.hits(G, max_iter=1000, tol=1e-10, normalized=True)
        # the eigenvector's sign is arbitrary and tiny values come out as -0.0
        hubs = {n: abs(v) for n, v in hubs.items()}
        auth = {n: abs(v) for n, v in auth.items()}
    else:
        hubs = auth = {n: 0.0 for n in G}
    now = now_year if now_year is not None else _latest_year(G)
    recent_pr: dict = {}
    momentum: dict = {}
    if now is not None:
        recent = [n for n, y in G.nodes(data="year") if y and y > now - recent_years]
        R = G.subgraph(recent)
        recent_pr = nx.pagerank(R, alpha=alpha) if R.number_of_nodes() else {}
        for n in G:
            citers = list(G.predecessors(n))
            fresh = sum(1 for c in citers if (G.nodes[c].get("year") or 0) > now - momentum_years)
            momentum[n] = fresh / len(citers) if citers else 0.0
    df = pd.DataFrame({
        "pagerank": pd.Series(pr),
        "in_graph_citations": pd.Series(dict(G.in_degree())),
        "global_citations": pd.Series({n: G.nodes[n].get("citation_count") for n in G}, dtype="Int64"),
        "hits_authority": pd.Series(auth),
        "hits_hub": pd.Series(hubs),
        "recent_pagerank": pd.Series(recent_pr, dtype=float),
        "momentum": pd.Series(momentum, dtype=float),
        "title": pd.Series({n: G.nodes[n].get("title") for n in G}),
        "year": pd.Series({n: G.nodes[n].get("year") for n in G}, dtype="Int64"),
    })
    df.index.name = "paper_id"
    df["recent_pagerank"] = df["recent_pagerank"].fillna(0.0)
    df["momentum"] = df["momentum"].fillna(0.0)
    df = df.sort_values(["pagerank", "in_graph_citations"], ascending=False, kind="mergesort")
    df.insert(0, "rank", range(1, len(df) + 1))
    df.attrs["now_year"] = now
    return df
