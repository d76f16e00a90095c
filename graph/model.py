"""Plain records passed between pipeline stages."""

from __future__ import annotations

import re
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
    def from_s2(cls, data: dict[str, Any], *, source: str, fetched_at: float,
                warnings: list[str] | None = None) -> "PaperRecord":
        """Build a record from a Semantic Scholar paper object (any subset of fields),
        validated: see :func:`check_s2_paper`. Raises :class:`InvalidRecord` when the
        object cannot be a paper at all (no usable ``paperId``).

        >>> PaperRecord.from_s2({"paperId": "ab", "externalIds": {"ArXiv": "1706.03762"}},
        ...                     source="s2", fetched_at=0).year
        2017
        """
        return check_s2_paper(data, source=source, fetched_at=fetched_at, warnings=warnings)

    def checked(self, warnings: list[str] | None = None) -> "PaperRecord":
        """This record with every field of the wrong type or out of range dropped (``None``) and
        every over-long text cut, each change noted in ``warnings``; for records read back from a
        store written by an older, unvalidated citegraph."""
        v = _Validator(str(self.paper_id), warnings, lenient=True)
        authors = self.authors if isinstance(self.authors, list) else v.bad("authors", self.authors)
        return PaperRecord(
            paper_id=self.paper_id,
            title=v.text("title", self.title, MAX_TITLE),
            year=v.year("year", self.year),
            venue=v.text("venue", self.venue, MAX_VENUE),
            authors=v.authors(authors or []),
            corpus_id=v.count("corpus_id", self.corpus_id, MAX_CORPUS_ID),
            arxiv_id=v.ident("arxiv_id", self.arxiv_id),
            doi=v.ident("doi", self.doi),
            citation_count=v.count("citation_count", self.citation_count),
            reference_count=v.count("reference_count", self.reference_count),
            influential_citation_count=v.count("influential_citation_count", self.influential_citation_count),
            abstract=v.text("abstract", self.abstract, MAX_ABSTRACT),
            tldr=v.text("tldr", self.tldr, MAX_TLDR),
            publication_date=v.date("publication_date", self.publication_date),
            source=self.source if isinstance(self.source, str) else "",
            fetched_at=self.fetched_at if isinstance(self.fetched_at, (int, float)) else None,
        )


# Limits of what a paper record may hold. Real S2 records stay far below them; a hostile or broken
# server must not be able to blow up the store, the map and every export (a 10 MB title once gave a
# 150 MB map). Over-long text is cut (with a warning), not dropped: the start of a title is still useful.
MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_TLDR = 2_000
MAX_VENUE = 500
MAX_AUTHORS = 1_000
MAX_AUTHOR_NAME = 300
MAX_IDENT = 300  # paper ids, DOIs, arXiv ids
MAX_COUNT = 10**9  # citation/reference counts (S2's largest is about 10^6)
MAX_CORPUS_ID = 2**62
MIN_YEAR, MAX_YEAR = 1000, 2200
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class InvalidRecord(ValueError):
    """An object from a source that cannot be a paper record at all (no usable id)."""


class _Validator:
    """Field checks shared by records from the network and records read back from a store.

    A small explicit validator rather than pydantic or msgspec: the schema is one flat record,
    the policy is per field (cut over-long text, drop a wrong type with a warning, keep the rest
    of the record), and this keeps ``import graph`` free of another compiled dependency."""

    def __init__(self, paper_id: str, warnings: list[str] | None, *, lenient: bool = False) -> None:
        self.paper_id = paper_id[:60]
        self.warnings = warnings
        # lenient (records read back): only types, ranges and sizes; text is left as it was stored
        self.lenient = lenient

    def note(self, msg: str) -> None:
        if self.warnings is not None:
            self.warnings.append(f"paper {self.paper_id}: {msg}")

    def bad(self, name: str, value: Any) -> None:
        self.note(f"{name} {_show(value)} is not valid; dropped")
        return None

    def text(self, name: str, value: Any, cap: int) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            return self.bad(name, value)
        if not self.lenient:
            value = _CONTROL.sub("", value)
        if len(value) > cap:
            self.note(f"{name} of {len(value):,} characters cut to {cap:,}")
            value = value[:cap - 1] + "…"
        return value if self.lenient else (value or None)

    def ident(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > MAX_IDENT:
            return self.bad(name, value)
        if not self.lenient and (_CONTROL.search(value) or not value.strip()):
            return self.bad(name, value)
        return value

    def count(self, name: str, value: Any, cap: int = MAX_COUNT) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= cap:
            if isinstance(value, str) and value.strip().isdigit() and int(value) <= cap:
                return int(value)  # a number sent as text: repaired, not lost
            return self.bad(name, value)
        return value

    def year(self, name: str, value: Any) -> int | None:
        if value is None:
            return None
        year = self.count(name, value, MAX_YEAR)
        if year is not None and year < MIN_YEAR:
            return self.bad(name, value)
        return year

    def date(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _DATE.match(value):
            return self.bad(name, value)
        return value

    def authors(self, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad("authors", value)
            return []
        if len(value) > MAX_AUTHORS:
            self.note(f"{len(value):,} authors cut to {MAX_AUTHORS:,}")
            value = value[:MAX_AUTHORS]
        names = []
        for a in value:
            name = a.get("name") if isinstance(a, dict) else a
            if name is None:
                continue
            name = self.text("author name", name, MAX_AUTHOR_NAME)
            if name:
                names.append(name)
        return names


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_s2_paper(data: Any, *, source: str, fetched_at: float,
                   warnings: list[str] | None = None) -> PaperRecord:
    """Validate a Semantic Scholar paper object at the source boundary: types, ranges and
    sizes of every field. Over-long text is cut and wrong values are dropped, each with a line
    in ``warnings``; the rest of the record is kept. :class:`InvalidRecord` when it has no
    usable ``paperId`` (then nothing of it may be stored).

    >>> w = []
    >>> rec = check_s2_paper({"paperId": "ab", "citationCount": "lots", "year": "abc"}, source="s2",
    ...                      fetched_at=0, warnings=w)
    >>> rec.citation_count, rec.year, len(w)
    (None, None, 2)
    """
    if not isinstance(data, dict):
        raise InvalidRecord(f"a paper must be a JSON object, got {_show(data)}")
    pid = data.get("paperId")
    if not isinstance(pid, str) or not pid.strip() or len(pid) > MAX_IDENT or _CONTROL.search(pid):
        raise InvalidRecord(f"paperId {_show(pid)} is not a paper id")
    v = _Validator(pid, warnings)
    ext = data.get("externalIds")
    if ext is not None and not isinstance(ext, dict):
        ext = v.bad("externalIds", ext)
    ext = ext or {}
    tldr = data.get("tldr")
    tldr_text = tldr.get("text") if isinstance(tldr, dict) else (None if tldr is None else v.bad("tldr", tldr))
    venue = data.get("venue")
    if not venue:
        pv = data.get("publicationVenue")
        venue = pv.get("name") if isinstance(pv, dict) else None
    arxiv = v.ident("externalIds.ArXiv", ext.get("ArXiv"))
    doi = v.ident("externalIds.DOI", ext.get("DOI"))
    year = v.year("year", data.get("year"))
    corpus = data.get("corpusId")
    return PaperRecord(
        paper_id=pid,
        title=v.text("title", data.get("title"), MAX_TITLE),
        year=year if year is not None else arxiv_year(arxiv),
        venue=v.text("venue", venue, MAX_VENUE),
        authors=v.authors(data.get("authors")),
        corpus_id=(v.count("corpusId", corpus, MAX_CORPUS_ID) if corpus is not None
                   else _int(ext.get("CorpusId"))),
        arxiv_id=arxiv,
        doi=doi.lower() if doi else None,
        citation_count=v.count("citationCount", data.get("citationCount")),
        reference_count=v.count("referenceCount", data.get("referenceCount")),
        influential_citation_count=v.count("influentialCitationCount", data.get("influentialCitationCount")),
        abstract=v.text("abstract", data.get("abstract"), MAX_ABSTRACT),
        tldr=v.text("tldr", tldr_text, MAX_TLDR),
        publication_date=v.date("publicationDate", data.get("publicationDate")),
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
