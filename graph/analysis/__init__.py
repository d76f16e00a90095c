"""Analysis of a citation graph: pure functions ``f(G, ...)`` returning DataFrames or the typed
results of :mod:`graph.analysis.results`; no I/O.

The names below are imported on first use (PEP 562): a command that reads a kept answer back
(``related``, ``rank`` after a ``map``) unpickles :mod:`graph.analysis.results` and needs neither
scipy nor the clustering, similarity and walk modules.
"""

from importlib import import_module

# each public name and the module that defines it
_HOME = {
    **dict.fromkeys(("bridge_papers", "cluster_terms", "detect_clusters", "graph_clusters", "topic_clusters"),
                    "clusters"),
    "influence_table": "influence",
    **dict.fromkeys(("citation_paths", "reading_order", "reading_order_markdown"), "paths"),
    **dict.fromkeys(("RelatednessModel", "evidence_table", "interleave", "map_nodes", "relatedness"), "related"),
    **dict.fromkeys(("CitationMatrix", "SimilarityWeights", "citation_matrix", "derivative_works", "explain",
                     "nearest_seed_paths", "pair_similarity", "prior_works", "similarity_edges", "similarity_graph",
                     "similarity_to"), "similarity"),
    **dict.fromkeys(("AnalysisParameters", "CitationPaths", "Explanation", "MapAnalysis", "Partition",
                     "TopicClusters"), "results"),
    **dict.fromkeys(("SeedTopics", "Topic", "seed_topics", "seed_weights"), "topics"),
    **dict.fromkeys(("personalized_pagerank", "personalized_pagerank_many"), "walks"),
    "analyse": "summary",
}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
