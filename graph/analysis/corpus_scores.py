"""Whole-corpus scores beside the map's own: columns of the influence table, and ranking by them.

A prepared corpus (``citegraph prepare``) measures influence against the whole literature:
PageRank over every work and a field-normalised citation percentile. The map's nodes carry
them as attributes (``corpus_pagerank``, ``corpus_percentile``); this module adds them to
:func:`graph.analysis.influence.influence_table`'s table.
"""

from __future__ import annotations

import networkx as nx
import pandas as pd

# --by value: (column ranked by, its name in the table)
CORPUS_RANK_BY = {"corpus-pagerank": "corpus_pagerank", "corpus-percentile": "corpus_percentile"}
CORPUS_COLUMNS = ["corpus_pagerank", "corpus_percentile"]


def has_corpus_scores(G: nx.DiGraph) -> bool:
    """Whether the graph's papers came from a prepared corpus (some node has a whole-corpus PageRank)."""
    return any(v is not None for _, v in G.nodes(data="corpus_pagerank"))


def with_corpus_scores(table: pd.DataFrame, G: nx.DiGraph, *, by: str | None = None) -> pd.DataFrame:
    """``table`` (indexed by paper id) with the columns :data:`CORPUS_COLUMNS` (NaN for papers
    without them), re-ranked by one of them when ``by`` is a key of :data:`CORPUS_RANK_BY`
    (ties: in-graph citations, then the table's order).

    >>> G = nx.DiGraph([("a", "b")]); G.nodes["a"]["corpus_pagerank"] = 0.2; G.nodes["b"]["corpus_pagerank"] = 0.1
    >>> t = pd.DataFrame({"rank": [1, 2], "in_graph_citations": [1, 0]}, index=["b", "a"])
    >>> list(with_corpus_scores(t, G, by="corpus-pagerank").index)
    ['a', 'b']
    """
    out = table.copy()
    for col in CORPUS_COLUMNS:
        out[col] = pd.Series({n: G.nodes[n].get(col) if n in G else None for n in out.index}, dtype=float)
    out.attrs = {**table.attrs, "corpus_works": G.graph.get("corpus_works")}
    if by is None:
        return out
    if by not in CORPUS_RANK_BY:
        raise ValueError(f"by must be one of {sorted(CORPUS_RANK_BY)}")
    key = CORPUS_RANK_BY[by]
    out = out.sort_values([key, "in_graph_citations"], ascending=False, kind="mergesort", na_position="last")
    out["rank"] = range(1, len(out) + 1)
    out.attrs["ranked_by"] = key
    return out
