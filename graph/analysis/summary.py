"""The whole analysis of one map, as used by ``citegraph map``, the notebook and the HTML."""

from __future__ import annotations

from typing import Callable, Sequence

import networkx as nx
import pandas as pd

from .clusters import topic_clusters
from .influence import COLUMNS as INFLUENCE_COLUMNS, TOPIC_WALK_UNDIRECTED, influence_table
from .related import map_nodes, relatedness
# RELATED_COLUMNS: defined with the results (an export needs no analysis module), importable here as before
from .results import RELATED_COLUMNS, AnalysisParameters, MapAnalysis
from .similarity import (SimilarityWeights, citation_matrix, derivative_works, explain, nearest_seed_paths,
                         prior_works, similarity_edges)
from .walks import matrices_shared, personalized_pagerank


# what an analysis does, in order, as :func:`analyse` reports it
ANALYSIS_STAGES = ("relatedness", "influence", "similarity", "clusters", "explanations")


def _map_edges(edges: pd.DataFrame, nodes: Sequence, min_similarity: float) -> pd.DataFrame:
    """Edges above ``min_similarity``, plus each node's strongest edge so no paper floats alone."""
    strong = edges["similarity"] >= min_similarity
    best = set()
    for col in ("source", "target"):
        best.update(edges.reset_index().sort_values("similarity", ascending=False)
                    .drop_duplicates(col)["index"].tolist())
    keep = strong | edges.index.isin(best)
    return edges[keep].reset_index(drop=True)


def analyse(G: nx.DiGraph, seeds: Sequence, *, top: int = 100, method: str = "salton",
            weights: SimilarityWeights = SimilarityWeights(), min_similarity: float = 0.2,
            resolution: float = 1.0, seed: int = 0, references: dict | None = None,
            on_stage: Callable[[str], None] | None = None) -> MapAnalysis:
    """Related papers, influence, clusters, prior/derivative works and explanations for a map.

    Returns a :class:`MapAnalysis`: the map's papers are the seeds and the ``top`` most
    related; its clusters are computed on every similarity among them, and only the
    drawing (``edges``) is thinned to links of at least ``min_similarity`` plus each
    paper's strongest.

    ``references`` (paper -> full reference list, papers outside ``G`` included, as the
    store holds them) lets bibliographic coupling count every shared reference.

    ``on_stage(name)`` is called as each of :data:`ANALYSIS_STAGES` begins (a progress bar, a server's
    progress line).
    """
    # every walk and ranking below uses one sparse matrix of G, built once (see graph.analysis.walks)
    with matrices_shared(G):
        return _analyse(G, seeds, top=top, method=method, weights=weights, min_similarity=min_similarity,
                        resolution=resolution, seed=seed, references=references, stage=on_stage or _quiet)


def _quiet(stage: str) -> None:
    """No one to tell."""


def _analyse(G: nx.DiGraph, seeds: Sequence, *, top: int, method: str, weights: SimilarityWeights,
             min_similarity: float, resolution: float, seed: int, references: dict | None,
             stage: Callable[[str], None]) -> MapAnalysis:
    seeds = [s for s in dict.fromkeys(seeds) if s in G]
    stage(ANALYSIS_STAGES[0])
    cm = citation_matrix(G, references)
    # one walk from the seeds serves relatedness and the topical ranking
    walk = personalized_pagerank(G, seeds, undirected=TOPIC_WALK_UNDIRECTED) if seeds else None
    related = relatedness(G, seeds, references=references, cm=cm, walk=walk)
    nodes = map_nodes(G, seeds, top=top, related=related)
    stage(ANALYSIS_STAGES[1])
    influence = influence_table(G, seeds=seeds, topic=walk)
    stage(ANALYSIS_STAGES[2])
    all_edges = similarity_edges(G, nodes, method=method, weights=weights, cm=cm)
    edges = _map_edges(all_edges, nodes, min_similarity)
    # clusters use every similarity among the map's papers; only the drawing is thinned
    H = nx.Graph()
    H.add_nodes_from(nodes)
    H.add_weighted_edges_from(all_edges[["source", "target", "similarity"]].itertuples(index=False))
    stage(ANALYSIS_STAGES[3])
    clusters = topic_clusters(G, H, resolution=resolution, seed=seed)
    stage(ANALYSIS_STAGES[4])
    paths = nearest_seed_paths(G, seeds)
    explanations = {n: explain(G, n, seeds, seed_paths=paths, references=references) for n in nodes}
    table = pd.DataFrame(index=pd.Index(nodes, name="paper_id"))
    table["in_map"] = True
    table = table.join(related[list(RELATED_COLUMNS)])
    # a seed's topic is its own (the topic its section or citations put it in)
    topic_of = related.attrs["topics"].topic_of() if "topics" in related.attrs else {}
    table["topic"] = [topic_of.get(n, t) for n, t in zip(table.index, table["topic"])]
    table = table.join(influence[["rank", *INFLUENCE_COLUMNS]])
    table = table.join(clusters.membership)
    # bridges: high betweenness in the similarity graph with links into two or more clusters
    table["bridge"] = table.index.isin(clusters.bridges["paper_id"])
    table["shared_references"] = [explanations[n].n_shared_references for n in nodes]
    table["co_citations"] = [explanations[n].n_co_citations for n in nodes]
    table["path_to_seed"] = [explanations[n].hops_to_seed for n in nodes]
    return MapAnalysis(
        seeds=seeds, related=related, nodes=nodes, influence=influence, edges=edges, edges_all=all_edges,
        clusters=clusters, prior=prior_works(G, nodes), derivative=derivative_works(G, nodes),
        explanations=explanations, table=table,
        parameters=AnalysisParameters(top=top, method=method, weights=tuple(weights.normalised()),
                                      min_similarity=min_similarity, resolution=resolution, seed=seed,
                                      relatedness_weights=related.attrs.get("weights")),
    )
