"""The export formats, each in one place: its name, the key of the file it writes, its suffix, its
media type, its label on the ``serve`` page and its writer.

Adding a format is one writer and one line of :data:`FORMATS`. This module imports nothing heavy
(the writers import pandas, networkx and the renderer when they run), so the CLI can list the
formats in its help at no cost. :func:`graph.export.write_map` is the one path that writes them;
``citegraph map``, ``citegraph export``, ``serve``'s downloads and the notebook all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import networkx as nx

    from .analysis.results import MapAnalysis


@dataclass
class MapExport:
    """What the writers draw on: the whole graph, its analysis, its title and the BibTeX's papers.
    The tables and graph files hold the map's papers (``whole_graph``: every paper of the graph); the
    tables and the plain graph are made once, by the first writer that needs them."""

    graph: "nx.DiGraph"
    analysis: "MapAnalysis"
    title: str
    bib_nodes: list | None = None
    name: str = ""  # the map's base name, which the RIS and CSL-JSON notes cite
    whole_graph: bool = False

    @cached_property
    def exported(self) -> "nx.DiGraph":
        """The papers the tables and graph files hold: the map's (their citations among them), or the
        whole graph's with ``whole_graph`` (thousands of papers: the reading list's makes ~46 MB)."""
        return self.graph if self.whole_graph else self.graph.subgraph(self.analysis.nodes)

    @cached_property
    def papers(self):
        """The exported papers with every score and cluster label (see :func:`graph.export.papers_table`);
        citations are counted in the whole graph, as the map shows them."""
        from .export import papers_table, scores_table

        table = papers_table(self.exported, scores_table(self.analysis))
        if not self.whole_graph:
            table["in_graph_citations"] = table["paper_id"].map(self.graph.in_degree)
            table["in_graph_references"] = table["paper_id"].map(self.graph.out_degree)
        return table

    @cached_property
    def plain_graph(self):
        """The exported graph as GraphML and GEXF can hold it (see :func:`graph.export.plain_graph`)."""
        from .export import plain_graph

        return plain_graph(self.exported)


def _html(m: MapExport, path: Path) -> None:
    from .render import write_map_html

    write_map_html(m.graph, m.analysis, path, title=m.title)


def _papers_csv(m: MapExport, path: Path) -> None:
    from .export import csv_safe

    csv_safe(m.papers).to_csv(path, index=False)


def _papers_parquet(m: MapExport, path: Path) -> None:
    m.papers.to_parquet(path, index=False)


def _edges_csv(m: MapExport, path: Path) -> None:
    from .export import csv_safe, edges_table

    csv_safe(edges_table(m.exported, m.analysis)).to_csv(path, index=False)


def _bibtex(m: MapExport, path: Path) -> None:
    from .export import bibtex

    path.write_text(bibtex(m.graph, m.bib_nodes if m.bib_nodes is not None else m.analysis.nodes),
                    encoding="utf-8")


def _graphml(m: MapExport, path: Path) -> None:
    import networkx as nx

    nx.write_graphml(m.plain_graph, path)


def _gexf(m: MapExport, path: Path) -> None:
    import networkx as nx

    nx.write_gexf(m.plain_graph, path)


def _node_link_json(m: MapExport, path: Path) -> None:
    from .export import node_link_text

    path.write_text(node_link_text(m.exported), encoding="utf-8")


def _citation_format(fmt: str) -> Callable[[MapExport, Path], None]:
    """A writer of RIS or CSL-JSON (:mod:`graph.citation_formats`, for Zotero's import) of the same
    papers as the BibTeX."""

    def write(m: MapExport, path: Path) -> None:
        from .citation_formats import WRITERS

        nodes = m.bib_nodes if m.bib_nodes is not None else list(m.analysis.nodes)
        path.write_text(WRITERS[fmt](m.graph, nodes, m.analysis, m.name or None), encoding="utf-8")

    return write


@dataclass(frozen=True)
class ExportFormat:
    """One export format. ``key`` names its file in the dict :func:`graph.export.write_map` returns;
    ``needs``: a module the writer imports, with ``hint`` saying how to install it."""

    name: str
    key: str
    suffix: str
    media_type: str
    label: str
    write: Callable[[MapExport, Path], Any]
    needs: str | None = None
    hint: str = ""

    def path(self, out_dir: Path, name: str) -> Path:
        """The file this format writes for base name ``name`` in ``out_dir``."""
        return out_dir / f"{name}{self.suffix}"


_BINARY = "application/octet-stream"
FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("html", "html", ".html", "text/html", "HTML map", _html),
    ExportFormat("csv", "papers_csv", ".papers.csv", "text/csv", "papers CSV", _papers_csv),
    ExportFormat("parquet", "papers_parquet", ".papers.parquet", _BINARY, "papers Parquet", _papers_parquet,
                 needs="pyarrow", hint="pip install 'citegraph[parquet]'"),
    ExportFormat("edges", "edges_csv", ".edges.csv", "text/csv", "edges CSV", _edges_csv),
    ExportFormat("bibtex", "bibtex", ".bib", "application/x-bibtex", "BibTeX", _bibtex),
    ExportFormat("graphml", "graphml", ".graphml", _BINARY, "GraphML", _graphml),
    ExportFormat("gexf", "gexf", ".gexf", _BINARY, "GEXF", _gexf),
    ExportFormat("json", "json", ".json", "application/json", "JSON", _node_link_json),
    ExportFormat("ris", "ris", ".ris", "application/x-research-info-systems", "RIS (Zotero)",
                 _citation_format("ris")),
    ExportFormat("csl-json", "csl_json", ".csl.json", "application/vnd.citationstyles.csl+json",
                 "CSL-JSON (Zotero)", _citation_format("csl-json")),
)}

EXPORT_FORMATS = tuple(FORMATS)  # html csv parquet edges bibtex graphml gexf json ris csl-json
