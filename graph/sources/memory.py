"""An in-memory citation graph as a paper source: no network, no files.

For citation data already loaded into ``networkx`` (a CSV read by hand, a
hand-built test graph, the quality benchmark's corpus with one review removed):
expansion runs over it exactly as over Semantic Scholar or a DuckDB corpus.
Nodes are paper ids (strings); edges point from the citing to the cited paper;
node attributes use :class:`graph.model.PaperRecord`'s field names (``title``,
``year``, ``arxiv_id``, ``doi``, ``authors`` ...).

>>> import networkx as nx
>>> src = GraphSource(nx.DiGraph([("a", "b")]))
>>> src.fetch_papers(["a", "zz"], with_references=True)[0].reference_ids
['b']

Seeds are looked up by arXiv ID or DOI (node attributes), or by a 40-hex or corpus id equal
to a node's name (``CorpusId:N`` for a corpus's nodes).
"""

from __future__ import annotations

import time
from typing import Iterable, Iterator, Sequence

import networkx as nx

from ..ids import PaperId, normalise_title
from ..model import CitationEdge, PaperRecord
from ..s2_ids import corpus_paper_id
from .base import FetchedPaper, LocalSource, Page, SourceLimits

_RECORD_FIELDS = set(PaperRecord.__dataclass_fields__) - {"paper_id", "source", "fetched_at", "links"}


class GraphSource(LocalSource):
    """Expansion's source interface over a ``networkx.DiGraph`` (u -> v: u cites v)."""

    name = "memory"
    label = "the in-memory graph"
    # no HTTP limits (batches and pages only bound memory) and no cost per query; listing the
    # citers of many papers costs nothing, so coupling is on by default
    limits = SourceLimits(batch_size=100_000, page_size=100_000, list_cap=None, metered=False,
                          cheap_citations=True)

    def __init__(self, graph: nx.DiGraph) -> None:
        super().__init__()
        self.graph = graph
        self._by_arxiv = {str(d["arxiv_id"]).lower(): n for n, d in graph.nodes(data=True) if d.get("arxiv_id")}
        self._by_doi = {str(d["doi"]).lower(): n for n, d in graph.nodes(data=True) if d.get("doi")}
        self.queries = 0
        self.invalid_ids: set[PaperId | str] = set()  # every answer is valid: always empty

    def _node(self, paper_id: PaperId | str):
        if isinstance(paper_id, str):
            return paper_id if paper_id in self.graph else None
        if paper_id.kind == "arxiv":
            return self._by_arxiv.get(paper_id.value.lower())
        if paper_id.kind == "doi":
            return self._by_doi.get(paper_id.value.lower())
        name = {"s2": paper_id.value, "corpus": corpus_paper_id(paper_id.value)}.get(paper_id.kind)
        return name if name is not None and name in self.graph else None

    def truncation_note(self, listed: int, total: int) -> str:
        """A citation list that stopped short of ``total`` (no cap applies, so expansion never asks)."""
        return f"{listed} of {total} citations are in the graph"

    def _record(self, node) -> PaperRecord:
        attrs = {k: v for k, v in self.graph.nodes[node].items() if k in _RECORD_FIELDS}
        attrs["authors"] = list(attrs.get("authors") or [])
        return PaperRecord(str(node), **attrs, source="memory", fetched_at=time.time())

    def fetch_papers(self, ids: Sequence[PaperId | str], *, with_references: bool) -> list[FetchedPaper | None]:
        """Details (and reference lists) of ``ids`` (node names, or seeds as :class:`PaperId`);
        ``None`` for ids not in the graph."""
        self._check_interrupt()
        self.queries += 1
        out: list[FetchedPaper | None] = []
        for pid in ids:
            node = self._node(pid)
            if node is None:
                out.append(None)
                continue
            refs = sorted(str(r) for r in self.graph.successors(node) if r != node) if with_references else None
            out.append(FetchedPaper(self._record(node), refs))
        return out

    def match_title(self, title: str, year: int | None = None) -> PaperRecord | None:
        """The paper whose normalised title equals ``title``'s (the first in the graph's order, or
        the first of ``year`` where one is), or ``None``."""
        self._check_interrupt()
        self.queries += 1
        wanted = normalise_title(title)
        same = [node for node, t in self.graph.nodes(data="title") if t and normalise_title(t) == wanted]
        of_year = [node for node in same if year is not None and self.graph.nodes[node].get("year") == year]
        return self._record((of_year or same)[0]) if same else None

    def prefetch_citations(self, paper_ids: Iterable[str], limit: int) -> None:
        """Nothing to prefetch: the graph is in memory (expansion calls this first)."""
        self._check_interrupt()

    def iter_citations(self, paper_id: str, limit: int, start: int = 0) -> Iterator[Page]:
        """One page of the papers citing ``paper_id`` (sorted), from ``start`` up to ``limit``."""
        self._check_interrupt()
        self.queries += 1
        node = self._node(paper_id)
        citers = sorted(str(c) for c in self.graph.predecessors(node) if c != node) if node is not None else []
        edges = [CitationEdge(c, paper_id) for c in citers[start:limit]]
        yield Page(edges, start + len(edges))
