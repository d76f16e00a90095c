"""Analysis of a citation graph: pure functions ``f(G, ...)`` returning DataFrames or the typed
results of :mod:`graph.analysis.results`; no I/O."""

from .clusters import bridge_papers, cluster_terms, detect_clusters, graph_clusters, topic_clusters
from .influence import influence_table
from .paths import citation_paths, reading_order, reading_order_markdown
from .related import RelatednessModel, evidence_table, interleave, map_nodes, relatedness
from .similarity import (CitationMatrix, SimilarityWeights, citation_matrix, derivative_works, explain,
                         nearest_seed_paths, pair_similarity, prior_works, similarity_edges, similarity_graph,
                         similarity_to)
from .results import (AnalysisParameters, CitationPaths, Explanation, MapAnalysis, Partition,
                      TopicClusters)
from .topics import SeedTopics, Topic, seed_topics, seed_weights
from .walks import personalized_pagerank, personalized_pagerank_many
from .summary import analyse

__all__ = [
    "AnalysisParameters", "CitationPaths", "Explanation", "MapAnalysis", "Partition", "TopicClusters",
    "graph_clusters",
    "SeedTopics", "Topic", "seed_topics", "seed_weights", "interleave", "personalized_pagerank_many",
    "CitationMatrix", "RelatednessModel", "SimilarityWeights", "analyse", "evidence_table",
    "personalized_pagerank", "bridge_papers", "citation_matrix", "citation_paths",
    "cluster_terms", "derivative_works", "detect_clusters", "explain", "influence_table", "map_nodes",
    "nearest_seed_paths", "pair_similarity", "prior_works", "reading_order", "reading_order_markdown", "relatedness",
    "similarity_edges", "similarity_graph", "similarity_to", "topic_clusters",
]
