"""Plain records passed between pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .ids import arxiv_year


@dataclass
class PaperRecord:
    """What citegraph knows about one paper, whatever source it came from."""

    paper_id: str
    title: str | None = None
    year: int | None = None
    venue: str | None = None
    authors: list[str] = field(default_factory=list)
    corpus_id: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    citation_count: int | None = None
    reference_count: int | None = None
    influential_citation_count: int | None = None
    abstract: str | None = None
    tldr: str | None = None
    publication_date: str | None = None
    source: str = ""
    fetched_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_s2(cls, data: dict[str, Any], *, source: str, fetched_at: float) -> "PaperRecord":
        """Build a record from a Semantic Scholar paper object (any subset of fields).

        >>> PaperRecord.from_s2({"paperId": "ab", "externalIds": {"ArXiv": "1706.03762"}},
        ...                     source="s2", fetched_at=0).year
        2017
        """
        ext = data.get("externalIds") or {}
        tldr = data.get("tldr")
        venue = data.get("venue") or ((data.get("publicationVenue") or {}).get("name"))
        arxiv = ext.get("ArXiv")
        year = data.get("year")
        return cls(
            paper_id=data["paperId"],
            title=data.get("title"),
            year=int(year) if year is not None else arxiv_year(arxiv),
            venue=venue or None,
            authors=[a.get("name") for a in data.get("authors") or [] if a and a.get("name")],
            corpus_id=data.get("corpusId") if data.get("corpusId") is not None else _int(ext.get("CorpusId")),
            arxiv_id=arxiv,
            doi=(ext.get("DOI") or None) and ext["DOI"].lower(),
            citation_count=data.get("citationCount"),
            reference_count=data.get("referenceCount"),
            influential_citation_count=data.get("influentialCitationCount"),
            abstract=data.get("abstract"),
            tldr=tldr.get("text") if isinstance(tldr, dict) else None,
            publication_date=data.get("publicationDate"),
            source=source,
            fetched_at=fetched_at,
        )


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class CitationEdge:
    """``citing`` cites ``cited``; the extra fields are known only from some endpoints."""

    citing: str
    cited: str
    is_influential: bool | None = None
    intents: tuple[str, ...] | None = None
    contexts: tuple[str, ...] | None = None


@dataclass
class ListState:
    """How much of one paper's reference or citation list is stored."""

    paper_id: str
    kind: str  # "references" | "citations"
    n_items: int  # rows listed so far (for citation lists: the offset to resume at)
    total: int | None
    complete: bool
    truncated: str | None
    fetched_at: float
    limit: int | None = None  # how many items were asked for; None = all

    @property
    def in_progress(self) -> bool:
        """Fetched part of the way: neither complete nor cut short on purpose."""
        return not self.complete and self.truncated is None

    def satisfies(self, limit: int | None) -> bool:
        """Whether this stored list answers a request for ``limit`` items."""
        if self.complete:
            return True
        if self.in_progress:
            return False
        return self.limit is not None and limit is not None and self.limit >= limit
