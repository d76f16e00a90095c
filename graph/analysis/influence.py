"""Influence: which papers matter most in the citation graph, and why.

Edges point from the citing to the cited paper, so PageRank and HITS authority
flow to the papers that are cited; hubs are papers citing many authorities
(surveys). Every score is a column of one table.

With seeds, the ranking is by **topical PageRank**: personalised PageRank whose
walker restarts at the seeds (see :mod:`graph.analysis.walks`), so the top is what
this topic builds on rather than the oldest foundations of the whole
neighbourhood. Global PageRank and citation counts stay as columns.

When the seeds hold several topics (:mod:`graph.analysis.topics`, a reading list's
sections), the walk restarts per topic, at that topic's seeds weighted by their
inverse frequency. A paper's claim on a topic is its visit rate from that topic
times the part of its visits that come from that topic, so a paper every
topic's walk reaches (Adam, a famous optimiser) claims none of them strongly; the
non-seed papers are then interleaved by topic in proportion to the topics'
shares, each saying which topic it serves (``topic``). ``topic_pagerank`` is the
topics' walks mixed by their shares.
"""

from __future__ import annotations

from typing import Sequence

import networkx as nx
import numpy as np
import pandas as pd

from ..versions import merged_ids_text
from .results import INFLUENCE_COLUMNS
from .topics import SeedTopics, seed_topics
from .walks import hits, matrices_of, pagerank, personalized_pagerank, personalized_pagerank_many

# how the topical walk follows citations; chosen with benchmarks/quality.py
TOPIC_WALK_UNDIRECTED = True
RANK_BY = ("topic", "global")
COLUMNS = INFLUENCE_COLUMNS  # the scores (see graph.analysis.results)


def _latest_year(G: nx.DiGraph) -> int | None:
    years = [y for _, y in G.nodes(data="year") if y]
    return max(years) if years else None


def influence_table(G: nx.DiGraph, *, seeds: Sequence | None = None, by: str = "topic", alpha: float = 0.85,
                    recent_years: int = 3, momentum_years: int = 2, now_year: int | None = None,
                    topic: dict | None = None, topics: SeedTopics | None = None) -> pd.DataFrame:
    """One row per paper with every influence score, ranked by topical PageRank (``by="topic"``,
    when ``seeds`` are given) or by global PageRank (``by="global"`` or no seeds).

    * ``topic_pagerank``: personalised PageRank restarting at ``seeds`` (NaN without seeds);
    * ``pagerank``: PageRank of the citation graph (damping ``alpha``);
    * ``in_graph_citations`` / ``global_citations``: citations inside the graph / in S2;
    * ``hits_authority`` / ``hits_hub``: HITS scores (hubs are surveys);
    * ``recent_pagerank``: PageRank among papers of the last ``recent_years`` years
      (counted back from ``now_year``, default the graph's latest year, so results
      are reproducible); 0 for older papers;
    * ``momentum``: share of a paper's in-graph citations that come from papers of
      the last ``momentum_years`` years;
    * ``topic``: the topic of the seeds a paper serves, when the seeds hold several
      (``topics``, default :func:`graph.analysis.topics.seed_topics`); then the seeds come
      first and the other papers alternate between the topics (see the module's notes).

    >>> influence_table(nx.DiGraph([("a", "b")])).index[0]
    'b'
    """
    if by not in RANK_BY:
        raise ValueError(f"by must be one of {RANK_BY}")
    if G.number_of_nodes() == 0:
        return pd.DataFrame(columns=["rank", *COLUMNS, "title", "year", "is_seed", "merged_ids"])
    pr = pagerank(G, alpha=alpha)  # nx.pagerank's numbers, on the analysis' shared matrix
    present = [s for s in (seeds or []) if s in G]
    seed_set = set(present)
    topics = (topics or seed_topics(G, present)) if present else None
    serving: dict = {}
    order: list = []
    if topics is not None and len(topics.topics) > 1:
        topic, serving, order = _per_topic_walks(G, topics, alpha)
    elif present and topic is None:  # ``topic``: the same walk, when the caller computed it already
        topic = personalized_pagerank(G, present, alpha=alpha, undirected=TOPIC_WALK_UNDIRECTED)
    topic = topic if present else {}
    if G.number_of_edges():
        # a fixed start vector: ARPACK's default one is random, so two runs differed in the last digits. A
        # generic one (seeded), not all ones, which can be orthogonal to the answer on symmetric graphs
        start = np.random.default_rng(0).uniform(0.5, 1.5, G.number_of_nodes())
        hubs, auth = hits(G, max_iter=1000, tol=1e-10, nstart=start, normalized=True)
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
        # nx.pagerank(G.subgraph(recent)), summed in G's order: networkx walks a small subgraph in the order of
        # a set, which changes with each process's string hashing (the last digits changed from run to run)
        recent_pr = pagerank(G, alpha=alpha, nodes=recent) if recent else {}
        momentum = _momentum(G, now - momentum_years)
    df = pd.DataFrame({
        "topic_pagerank": pd.Series(topic, dtype=float),
        "pagerank": pd.Series(pr),
        "in_graph_citations": pd.Series(dict(G.in_degree())),
        "global_citations": pd.Series(dict(G.nodes(data="citation_count")), dtype="Int64"),
        "hits_authority": pd.Series(auth),
        "hits_hub": pd.Series(hubs),
        "recent_pagerank": pd.Series(recent_pr, dtype=float),
        "momentum": pd.Series(momentum, dtype=float),
        "title": pd.Series(dict(G.nodes(data="title"))),
        "year": pd.Series(dict(G.nodes(data="year")), dtype="Int64"),
        "is_seed": pd.Series({n: n in seed_set for n in G}, dtype=bool),
        "merged_ids": pd.Series({n: merged_ids_text(d) for n, d in G.nodes(data=True)}, dtype=object),
        "topic": pd.Series({n: serving.get(n) for n in G}, dtype=object),
    })
    df.index.name = "paper_id"
    df["recent_pagerank"] = df["recent_pagerank"].fillna(0.0)
    df["momentum"] = df["momentum"].fillna(0.0)
    key = "topic_pagerank" if (by == "topic" and present) else "pagerank"
    df = df.sort_values([key, "in_graph_citations"], ascending=False, kind="mergesort")
    if key == "topic_pagerank" and order:
        # the seeds lead (the walk restarts there), then the topics take turns, then the rest
        placed = set(order)
        seeds_first = [n for n in df.index if n in seed_set]
        df = df.loc[seeds_first + order + [n for n in df.index if n not in placed and n not in seed_set]]
    df.insert(0, "rank", range(1, len(df) + 1))
    df.attrs["now_year"] = now
    df.attrs["ranked_by"] = key
    return df


def _momentum(G: nx.DiGraph, after_year: int) -> dict:
    """Each paper's share of citers (in the graph) dated after ``after_year``; 0.0 when none cites it.
    Counted with the graph's adjacency matrix: a Python pass over every citer took 0.04 s a map."""
    gm = matrices_of(G)
    if not gm.nodes:
        return {}
    fresh = np.fromiter(((y or 0) > after_year for _, y in G.nodes(data="year")), dtype=float, count=len(gm.nodes))
    A = gm.adjacency()  # A[c, n] = 1: c cites n; a paper's citers are its column (no citation twice)
    citers = np.diff(A.tocsc().indptr)
    fresh_citers = A.T @ fresh  # whole numbers, exact in floating point
    share = np.divide(fresh_citers, citers, out=np.zeros(len(citers)), where=citers > 0)
    return dict(zip(gm.nodes, share.tolist()))


def _per_topic_walks(G: nx.DiGraph, topics: SeedTopics, alpha: float) -> tuple[dict, dict, list]:
    """One walk per topic: (the walks mixed by the topics' shares, {paper: topic it serves}, the
    non-seed papers in the order that serves every topic)."""
    from .related import interleave

    seeds = {s for t in topics.topics for s in t.seeds}
    restarts = [{s: topics.weights.get(s, 1.0) for s in t.seeds} for t in topics.topics]
    walks = personalized_pagerank_many(G, restarts, alpha=alpha, undirected=TOPIC_WALK_UNDIRECTED)
    shares = topics.shares()
    names = [t.name for t in topics.topics]
    nodes = [n for n in G if n not in seeds]
    W = pd.DataFrame({name: [w[n] for n in nodes] for name, w in zip(names, walks)}, index=nodes)
    mixed = W.mul(pd.Series(shares)).sum(axis=1)
    # the claim of topic T on p: its visit rate from T times the part of p's visits that T makes
    # (squaring the part, or no part, lost recall on the tuning lists of quality.py --mixed)
    part = W.mul(pd.Series(shares)).div(mixed.where(mixed > 0), axis=0).fillna(0.0)
    claim = W * part
    rankings = {name: claim[name][claim[name] > 0].sort_values(ascending=False, kind="mergesort").index.tolist()
                for name in names}
    order = interleave(rankings, shares)
    # sum(shares[name] * w[n] for each topic) for every paper: the same additions, in the same order, by numpy
    mixed_all = np.zeros(G.number_of_nodes())
    for name, w in zip(names, walks):
        mixed_all = mixed_all + shares[name] * np.fromiter(w.values(), dtype=float, count=len(w))
    mixed_all = dict(zip(G, mixed_all.tolist()))
    return mixed_all, {p: t for p, t in order}, [p for p, _ in order]
