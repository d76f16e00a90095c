"""Typed results of the analysis: what :func:`~graph.analysis.analyse`, :func:`topic_clusters`,
:func:`explain` and :func:`citation_paths` return.

Fields are named, so a reader (the map, the exports, the CLI, the notebook, the
server) is checked by attribute access instead of trusting string keys. The
tables stay DataFrames: people sort them, and they export as they are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Hashable, Sequence

import pandas as pd

OTHER = -1  # the cluster of papers in groups smaller than the minimum size
# The columns of the per-paper tables, here so that an export of a kept analysis imports no analysis module
# (those import scipy): influence's scores (the table also carries "rank" first and, after the scores,
# what describes the paper) and the relatedness columns (the evidence behind the score)
INFLUENCE_COLUMNS = ["topic_pagerank", "pagerank", "in_graph_citations", "global_citations", "hits_authority",
                     "hits_hub", "recent_pagerank", "momentum"]
RELATED_COLUMNS = ("related_rank", "topic", "relatedness", "best_seed", "cocited_seeds", "coupled_seeds", "cites_seeds",
                   "cited_by_seeds", "walk", "text_match", "why")


@dataclass(frozen=True)
class Partition:
    """Communities of a similarity graph: ``membership`` {paper: cluster} (-1: other) and modularity."""

    membership: dict
    modularity: float


@dataclass(frozen=True)
class TopicClusters:
    """Topic clusters of a map with labels and summaries.

    ``membership``: one row per paper (index ``paper_id``; columns ``cluster``,
    ``cluster_label``). ``table``: one row per cluster (cluster, size, label, terms,
    central_papers, year_min, year_max, seed_sections). ``bridges``: papers with the
    highest betweenness that link two or more clusters (paper_id, betweenness, clusters).
    """

    membership: pd.DataFrame
    table: pd.DataFrame
    modularity: float
    bridges: pd.DataFrame

    def cluster_of(self, papers: Sequence[Hashable]) -> dict:
        """Each paper's cluster number; papers outside every cluster get -1 ("other").

        >>> import pandas as pd
        >>> m = pd.DataFrame({"cluster": [0, 1]}, index=pd.Index(["a", "b"], name="paper_id"))
        >>> TopicClusters(m, pd.DataFrame(), 0.0, pd.DataFrame()).cluster_of(["b", "z"])
        {'b': 1, 'z': -1}
        """
        cluster = self.membership["cluster"]
        return {p: int(cluster.get(p, OTHER)) for p in papers}

    def members(self, cluster: int) -> list:
        """The papers of one cluster, in the order the clustering listed them; empty when there
        is no such cluster."""
        m = self.membership
        return list(m.index[m["cluster"] == cluster])

    def summary(self) -> list[dict]:
        """``[{"cluster", "size", "label"}]`` per cluster, as JSON-able data."""
        return [{"cluster": int(r.cluster), "size": int(r.size), "label": r.label}
                for r in self.table.itertuples()]


@dataclass(frozen=True)
class Explanation:
    """Why a paper is related to the seeds.

    ``shared_references`` and ``co_cited_by`` map each seed to the references the paper
    shares with it and the papers citing both; ``path_to_nearest_seed`` runs from the
    paper to ``nearest_seed`` over citations taken as undirected (``None``: no path).
    """

    paper_id: Hashable
    shared_references: dict = field(default_factory=dict)
    co_cited_by: dict = field(default_factory=dict)
    nearest_seed: Hashable | None = None
    path_to_nearest_seed: list | None = None

    @property
    def n_shared_references(self) -> int:
        """References shared with the seeds, counted once per seed."""
        return sum(len(v) for v in self.shared_references.values())

    @property
    def n_co_citations(self) -> int:
        """Papers citing both this paper and a seed, counted once per seed."""
        return sum(len(v) for v in self.co_cited_by.values())

    @property
    def hops_to_seed(self) -> int:
        """Citation hops to the nearest seed (-1: no path)."""
        return len(self.path_to_nearest_seed or []) - 1


@dataclass(frozen=True)
class CitationPaths:
    """All shortest citation paths between ``source`` and ``target`` (``length`` None: no path),
    the papers on paths one hop longer when asked, and ``titles`` of every paper named
    (filled in by :func:`graph.pipeline.find_paths`)."""

    source: Hashable
    target: Hashable
    length: int | None
    paths: list[list]
    one_hop_longer: list = field(default_factory=list)
    titles: dict = field(default_factory=dict)
    # per path, per hop: "cites" when the paper before cites the one after, else "cited by"
    # (a path follows citations either way, so the hop says which)
    hops: list[list[str]] = field(default_factory=list)

    @property
    def papers(self) -> list:
        """Every paper named, each once: the two ends, the paths' papers, those one hop longer."""
        return list(dict.fromkeys([self.source, self.target, *(p for path in self.paths for p in path),
                                   *self.one_hop_longer]))

    def to_dict(self) -> dict:
        """The result as JSON-able data (``citegraph path --json``)."""
        return asdict(self)


@dataclass(frozen=True)
class AnalysisParameters:
    """The settings an analysis ran with, so a map or an export says how it was made."""

    top: int
    method: str
    weights: tuple[float, float]
    min_similarity: float
    resolution: float
    seed: int
    relatedness_weights: dict | None = None

    def to_dict(self) -> dict:
        """The parameters as JSON-able data."""
        return asdict(self)


@dataclass(frozen=True)
class MapAnalysis:
    """Everything the analysis of one map found.

    - ``seeds``: the seeds that are in the graph;
    - ``related``: relatedness and its evidence for every paper of the graph, in the order
      that serves every topic of the seeds (``topic``, ``related_rank``; the topics are in
      ``related.attrs["topics"]``, a :class:`graph.analysis.topics.SeedTopics`);
    - ``nodes``: the map's papers (the seeds, then the ``top`` most related);
    - ``influence``: influence scores of every paper;
    - ``edges``: similarity links to draw (those of at least ``min_similarity`` and each
      paper's strongest); ``edges_all``: every similar pair among ``nodes``;
    - ``clusters``: :class:`TopicClusters` of the map's papers;
    - ``prior`` / ``derivative``: works most cited by / most citing the map;
    - ``explanations``: an :class:`Explanation` per map paper;
    - ``table``: one row per map paper with every score, its cluster and label;
    - ``parameters``: :class:`AnalysisParameters`.
    """

    seeds: list
    related: pd.DataFrame
    nodes: list
    influence: pd.DataFrame
    edges: pd.DataFrame
    edges_all: pd.DataFrame
    clusters: TopicClusters
    prior: pd.DataFrame
    derivative: pd.DataFrame
    explanations: dict
    table: pd.DataFrame
    parameters: AnalysisParameters

    def non_seeds(self) -> pd.DataFrame:
        """The map's papers other than the seeds, in the related list's order (each topic served
        in turn; see :func:`graph.analysis.relatedness`)."""
        return self.table.drop(index=self.seeds).sort_values("related_rank", kind="stable")
