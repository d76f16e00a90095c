"""Plain records passed between pipeline stages, and the field checks every source's records pass.

Each source validates its own wire format at its boundary (Semantic Scholar's JSON in
:mod:`graph.sources.s2_records`) with :class:`FieldValidator` and the limits here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import quote


def arxiv_url(arxiv_id: str) -> str:
    """The arXiv page of ``arxiv_id``.

    >>> arxiv_url("1706.03762")
    'https://arxiv.org/abs/1706.03762'
    """
    return "https://arxiv.org/abs/" + quote(str(arxiv_id), safe="/.")


def doi_url(doi: str) -> str:
    """The doi.org link of ``doi``.

    >>> doi_url("10.18653/v1/N19-1423")
    'https://doi.org/10.18653/v1/N19-1423'
    """
    return "https://doi.org/" + quote(str(doi), safe="/.()-_;:")


@dataclass(frozen=True)
class PaperLinks:
    """Where a reader can open a paper: its ``page`` at the source it came from, a ``pdf``, and its
    ``doi`` and ``arxiv`` pages. A source fills them (:meth:`graph.sources.PaperSource.links`);
    render, export and the session only read them."""

    page: str | None = None
    pdf: str | None = None
    doi: str | None = None
    arxiv: str | None = None

    @classmethod
    def of(cls, record: "PaperRecord", *, page: str | None = None, pdf: str | None = None) -> "PaperLinks":
        """``record``'s DOI and arXiv pages, with the source's ``page`` and ``pdf``."""
        return cls(page=page, pdf=pdf, doi=doi_url(record.doi) if record.doi else None,
                   arxiv=arxiv_url(record.arxiv_id) if record.arxiv_id else None)

    @classmethod
    def of_node(cls, data: dict) -> "PaperLinks":
        """The links on a graph's node (as :meth:`PaperRecord.to_dict` put them there); a node without
        them (a graph made by hand) gets its DOI and arXiv pages.

        >>> PaperLinks.of_node({"arxiv_id": "1706.03762"}).landing_page()
        'https://arxiv.org/abs/1706.03762'
        """
        links = data.get("links")
        if not isinstance(links, dict):
            doi, arxiv = data.get("doi"), data.get("arxiv_id")
            return cls(doi=doi_url(doi) if isinstance(doi, str) and doi else None,
                       arxiv=arxiv_url(arxiv) if isinstance(arxiv, str) and arxiv else None)
        return cls(**{k: v for k, v in links.items() if k in ("page", "pdf", "doi", "arxiv") and isinstance(v, str)})

    def landing_page(self) -> str | None:
        """The one page to open: the source's, else arXiv's, else the DOI's."""
        return self.page or self.arxiv or self.doi


@dataclass
class PaperRecord:
    """What citegraph knows about one paper, whatever source it came from. ``links`` are filled by
    the source (the store keeps the fields they are made of, not the links)."""

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
    links: PaperLinks | None = None

    def to_dict(self) -> dict[str, Any]:
        # field by field, not dataclasses.asdict: asdict deep-copies every value, and a map's
        # 5,000 records took 0.8 s that way; the mutable field (authors) is copied here, and the
        # links become the plain dict asdict made of them (graph files and JSON hold no objects)
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        if isinstance(d["authors"], list):
            d["authors"] = list(d["authors"])
        if isinstance(d.get("links"), PaperLinks):
            d["links"] = asdict(d["links"])
        return d

    def checked(self, warnings: list[str] | None = None) -> "PaperRecord":
        """This record with every field of the wrong type or out of range dropped (``None``) and
        every over-long text cut, each change noted in ``warnings``; for records read back from a
        store written by an older, unvalidated citegraph."""
        v = FieldValidator(str(self.paper_id), warnings, lenient=True)
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
            links=self.links if isinstance(self.links, PaperLinks) else None,
        )


# Limits of what a paper record may hold. Real records stay far below them; a hostile or broken
# source must not be able to blow up the store, the map and every export (a 10 MB title once gave a
# 150 MB map). Over-long text is cut (with a warning), not dropped: the start of a title is still useful.
MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_TLDR = 2_000
MAX_VENUE = 500
MAX_AUTHORS = 1_000
MAX_AUTHOR_NAME = 300
MAX_IDENT = 300  # paper ids, DOIs, arXiv ids
MAX_COUNT = 10**9  # citation/reference counts (the largest real ones are about 10^6)
MAX_CORPUS_ID = 2**62
MIN_YEAR, MAX_YEAR = 1000, 2200
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DATE_PATTERN = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class FieldValidator:
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
        """Record ``msg`` about this paper in the warnings (if collected)."""
        if self.warnings is not None:
            self.warnings.append(f"paper {self.paper_id}: {msg}")

    def bad(self, name: str, value: Any) -> None:
        """Note that field ``name`` held an invalid ``value``; ``None``, to drop it."""
        self.note(f"{name} {show_value(value)} is not valid; dropped")
        return None

    def text(self, name: str, value: Any, cap: int) -> str | None:
        """Text of at most ``cap`` characters (cut with a note; control characters removed)."""
        if value is None:
            return None
        if not isinstance(value, str):
            return self.bad(name, value)
        if not self.lenient:
            value = CONTROL_CHARS.sub("", value)
        if len(value) > cap:
            self.note(f"{name} of {len(value):,} characters cut to {cap:,}")
            value = value[:cap - 1] + "…"
        return value if self.lenient else (value or None)

    def ident(self, name: str, value: Any) -> str | None:
        """An identifier (paper id, DOI, arXiv id): printable text of at most ``MAX_IDENT`` characters."""
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > MAX_IDENT:
            return self.bad(name, value)
        if not self.lenient and (CONTROL_CHARS.search(value) or not value.strip()):
            return self.bad(name, value)
        return value

    def count(self, name: str, value: Any, cap: int = MAX_COUNT) -> int | None:
        """A count from 0 to ``cap`` (a number sent as text is repaired)."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= cap:
            if isinstance(value, str) and value.strip().isdigit() and int(value) <= cap:
                return int(value)  # a number sent as text: repaired, not lost
            return self.bad(name, value)
        return value

    def year(self, name: str, value: Any) -> int | None:
        """A year from ``MIN_YEAR`` to ``MAX_YEAR``."""
        if value is None:
            return None
        year = self.count(name, value, MAX_YEAR)
        if year is not None and year < MIN_YEAR:
            return self.bad(name, value)
        return year

    def date(self, name: str, value: Any) -> str | None:
        """A date ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
        if value is None:
            return None
        if not isinstance(value, str) or not DATE_PATTERN.match(value):
            return self.bad(name, value)
        return value

    def authors(self, value: Any) -> list[str]:
        """Author names from a list of names or ``{"name": ...}`` objects, at most ``MAX_AUTHORS``."""
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


def show_value(value: Any) -> str:
    """``value``'s repr, cut to 40 characters, for a warning."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


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
