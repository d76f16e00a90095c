"""Analysis of a citation graph: pure functions ``f(G, ...) -> dict | DataFrame``, no I/O."""

from .clusters import bridge_papers, cluster_terms, detect_clusters, topic_clusters
from .influence import influence_table
from .paths import citation_paths, reading_order, reading_order_markdown
from .similarity import (CitationMatrix, SimilarityWeights, citation_matrix, derivative_works, explain,
                         map_nodes, nearest_seed_paths, pair_similarity, prior_works, relatedness, similarity_edges,
                         similarity_graph, similarity_to)
from .summary import analyse

__all__ = [
    "CitationMatrix", "SimilarityWeights", "analyse", "bridge_papers", "citation_matrix", "citation_paths",
    "cluster_terms", "derivative_works", "detect_clusters", "explain", "influence_table", "map_nodes",
    "nearest_seed_paths", "pair_similarity", "prior_works", "reading_order", "reading_order_markdown", "relatedness",
    "similarity_edges", "similarity_graph", "similarity_to", "topic_clusters",
]
