"""The narrow interface every paper source implements (S2 API, local corpora)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from ..model import CitationEdge, PaperRecord


@dataclass
class FetchedPaper:
    """A paper's details and, when asked for, the ids of the papers it cites."""

    record: PaperRecord
    reference_ids: list[str] | None = None
    references_truncated: str | None = None


class PaperSource(Protocol):
    """What expansion needs from a source. A new backend (a local corpus, a
    Spark-backed one) is a new class with these four methods."""

    name: str

    def fetch_papers(self, ids: list[str], *, with_references: bool) -> list[FetchedPaper | None]:
        """Details for ``ids`` (any form the source accepts), aligned with the input."""

    def match_title(self, title: str) -> PaperRecord | None:
        """The paper whose title best matches, or ``None``."""

    def iter_citations(self, paper_id: str, limit: int) -> Iterator[list[CitationEdge]]:
        """Pages of edges ``(citing, paper_id)``, at most ``limit`` in all."""

    def iter_references(self, paper_id: str, limit: int) -> Iterator[list[CitationEdge]]:
        """Pages of edges ``(paper_id, cited)``, at most ``limit`` in all."""
