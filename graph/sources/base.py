"""The narrow interface every paper source implements (S2 API, local corpora)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from ..model import PaperRecord


class Page(list):
    """One page of a citation or reference list: its edges, and the list offset after it
    (rows S2 lists without a paper id count towards the offset but give no edge)."""

    def __init__(self, edges=(), next_offset: int = 0) -> None:
        super().__init__(edges)
        self.next_offset = next_offset


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

    def iter_citations(self, paper_id: str, limit: int, start: int = 0) -> Iterator[Page]:
        """Pages of edges ``(citing, paper_id)`` from list offset ``start`` up to ``limit``."""

    def iter_references(self, paper_id: str, limit: int, start: int = 0) -> Iterator[Page]:
        """Pages of edges ``(paper_id, cited)`` from list offset ``start`` up to ``limit``."""
