"""What a session answers about its map: the map itself, its summary, related papers, rankings,
clusters, a reading order, paths, news and the exported files.

:class:`MapQuestions` is the part of :class:`graph.session.Explorer` that reads the current map and
changes nothing: it asks ``self.run`` and ``self.analysis()`` (built on first use) and the store and
source the session holds. Changing the seeds, and the action machinery (progress, cancel), stay in
:mod:`graph.session`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

from .analysis.results import CitationPaths, TopicClusters
from .errors import AnalysisError, Cancelled, CitegraphError, Interrupted
from .export import write_map
from .pipeline import RunSummary, run_summary


@dataclasses.dataclass(frozen=True)
class SessionSummary:
    """A session's map: the run (:class:`RunSummary`), its clusters (``cluster``, ``size``,
    ``label``), how many papers the map shows, the papers expanded, and the last build's plan."""

    run: RunSummary
    clusters: list[dict]
    map_papers: int
    expanded: list[str]
    plan: list[str]

    def to_dict(self) -> dict:
        """The run's keys (as ``citegraph map --json``) and this summary's own, as JSON-able data."""
        return {**self.run.to_dict(), "clusters": self.clusters, "map_papers": self.map_papers,
                "expanded": self.expanded, "plan": self.plan}


class MapQuestions:
    """The questions :class:`graph.session.Explorer` answers about its current map (a mixin: it
    reads the session's ``run``, ``analysis()``, ``store``, ``source``, options and actions)."""

    # -- reading the map --------------------------------------------------------------
    def map(self) -> dict:
        """The map as JSON-able data: papers (``paper_id``, ``title``, ``year``, ``is_seed``, scores, why),
        ``links`` (the similarity links shown), clusters, seeds and the run summary."""
        from .render import map_data

        run, analysis = self.run, self.analysis()
        data = map_data(run.graph, analysis, self.title)
        from .news_snapshots import new_on_map

        marks = new_on_map(self.store, analysis.seeds)  # found new by the last `citegraph news` run
        for p in data["papers"]:
            p["new_since"] = marks.get(p["id"])
            p["paper_id"] = p["id"]
            p["key"] = p["id"]  # stable across changes, so the page can keep each node where it is
        data["links"] = [{"source": r.source, "target": r.target, "similarity": round(float(r.similarity), 4)}
                         for r in analysis.edges.itertuples()]
        data["summary"] = self.summary()
        data["version"] = self.progress().version
        return data

    @property
    def title(self) -> str:
        """The map's title: the first seed file's name, else ``map``."""
        from .outputs import default_name

        return f"citegraph: {default_name(self.inputs)}"

    def run_summary(self, files: dict[str, Path] | None = None) -> RunSummary:
        """The typed summary of the current map's run (seeds, papers, requests, what failed) and of
        the ``files`` an export wrote."""
        return run_summary(self.run, files or {})

    def session_summary(self) -> "SessionSummary":
        """The typed summary of the current map: its run, clusters, size on the map, the papers
        expanded and what the last build planned."""
        analysis = self.analysis()
        return SessionSummary(run=run_summary(self.run, {}), clusters=analysis.clusters.summary(),
                              map_papers=len(analysis.nodes), expanded=list(self._expanded),
                              plan=list(self.run.expansion.plan))

    def summary(self) -> dict:
        """:meth:`session_summary` as JSON-able data: ``citegraph map --json``'s keys (no files), with
        ``clusters``, ``map_papers``, ``expanded`` and ``plan``."""
        return self.session_summary().to_dict()

    def related(self):
        """The map's papers other than the seeds, most related first (a DataFrame indexed by
        ``paper_id``, with title, year, every score and the title of the seed it is closest to)."""
        analysis, g = self.analysis(), self.run.graph
        t = analysis.non_seeds()
        node = lambda p, key: g.nodes[p].get(key) if p in g else None
        t.insert(0, "title", [node(p, "title") for p in t.index])
        t.insert(1, "year", pd_int([node(p, "year") for p in t.index]))
        t["best_seed_title"] = [node(p, "title") for p in t["best_seed"]]
        return t

    def rank(self, *, global_rank: bool = False, by: str | None = None):
        """Influence within the seeds' topic (topical PageRank), or ``global_rank`` PageRank; with a
        prepared corpus, also its whole-corpus PageRank and percentile, and ``by`` ranks by one of
        them (``"corpus-pagerank"``, ``"corpus-percentile"``)."""
        from .analysis import influence_table
        from .analysis.corpus_scores import has_corpus_scores, with_corpus_scores

        from .cache import cached_influence

        run = self.run
        g, walk = run.graph, "global" if global_rank else "topic"
        if by is not None and not has_corpus_scores(g):
            raise CitegraphError(f"--by {by} needs a prepared corpus (`citegraph prepare`, then --corpus DIR)")
        table = cached_influence(self.store, run, walk, (self.top, self.method, self.resolution),
                                 lambda: influence_table(g, seeds=g.graph["seeds"], by=walk))
        return with_corpus_scores(table, g, by=by) if has_corpus_scores(g) else table

    def clusters(self, *, whole_graph: bool = False) -> TopicClusters:
        """The map's topic clusters with labels and year spans; ``whole_graph``: clusters of every
        paper of the graph (each linked to its 10 most similar), not only the map's."""
        if not whole_graph:
            return self.analysis().clusters
        from .analysis import graph_clusters

        from .cache import cached

        run = self.run
        return cached(self.store, run, "graph-clusters", (self.method, self.resolution), lambda: graph_clusters(
            run.graph, method=self.method, resolution=self.resolution, references=run.references))

    def reading_order(self, *, cluster: int | None = None):
        """An order to read the seeds (or one ``cluster`` of the map) in: a DataFrame with
        order, stage, prerequisites (see :func:`graph.analysis.reading_order`)."""
        from .analysis import influence_table, reading_order

        g = self.run.graph
        papers = g.graph["seeds"]
        if cluster is not None:
            papers = self.analysis().clusters.members(cluster)
            if not papers:
                raise AnalysisError(f"no cluster {cluster}; see `citegraph clusters` for the numbers")
        return reading_order(g, papers, influence=influence_table(g)["pagerank"])

    def find_paths(self, a: str, b: str, *, one_hop_longer: bool = False) -> CitationPaths:
        """All shortest citation paths between papers ``a`` and ``b`` (IDs or titles), through every
        paper in the store (see :func:`graph.pipeline.find_paths`). The seeds stay as they are."""
        from .pipeline import find_paths

        return self._action("paths", lambda: find_paths(
            a, b, store=self.store, source=self.source, options=self._working,
            one_hop_longer=one_hop_longer, log=self.log))

    def news(self, *, since=None, core: int = 10):
        """What is new since the previous map of these seeds: :func:`graph.news.whats_new` (a ``News``)."""
        from .news import whats_new

        return self._action("news", lambda: whats_new(
            self.seed_list.seeds, store=self.store, source=self.source, options=self._working, top=self.top,
            method=self.method, resolution=self.resolution, since=since, core=core, log=self.log))

    def export(self, out_dir: str | Path, name: str | None = None, formats: Sequence[str] | None = None, *,
               bib_cluster: int | None = None, bib_top: int | None = None,
               whole_graph: bool = False) -> dict[str, Path]:
        """Write the map and its exports (as ``citegraph map``) under ``out_dir`` as ``NAME.*`` (default:
        the first seed file's name); the BibTeX holds the map, one ``bib_cluster`` or the seeds and the
        ``bib_top`` most related; ``whole_graph``: the tables and graph files hold every paper of the
        graph, not only the map's. A :meth:`cancel` before the first file is written writes nothing."""
        from .formats import EXPORT_FORMATS
        from .outputs import default_name
        from .pipeline import bibtex_selection

        chosen = list(formats or EXPORT_FORMATS)
        self._start()
        analysis = self.analysis()
        chosen_papers = bib_cluster is not None or bib_top is not None  # for BibTeX, RIS and CSL-JSON
        bib = (bibtex_selection(analysis, cluster=bib_cluster, top=bib_top)
               if {"bibtex", "ris", "csl-json"} & set(chosen) and chosen_papers else None)
        try:
            return write_map(self.run, out_dir, name or default_name(self.inputs), analysis, formats=chosen,
                             bib_nodes=bib, stop=self._cancel.is_set, whole_graph=whole_graph)
        except Interrupted:
            raise Cancelled("nothing written: the export was cancelled") from None


def pd_int(values: list):
    """Years as a nullable integer column (missing years stay missing instead of turning floats)."""
    import pandas as pd

    return pd.array(values, dtype="Int64")
