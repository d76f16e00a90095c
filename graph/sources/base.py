"""The interface every paper source implements (the S2 API, a local corpus, an in-memory graph).

Expansion sees a source only through :class:`PaperSource`: it passes seeds as source-neutral
:class:`graph.ids.PaperId` objects and graph paper ids (strings the source itself returned) as
``str``, sizes its batches and pages from the source's :class:`SourceLimits`, and takes every
source-specific message (truncation wording, rate hints, "not found" reasons) from the source.
Nothing about one source's HTTP API, ID syntax or numbers belongs outside its own module.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Protocol, Sequence, runtime_checkable

from ..errors import Interrupted
from ..ids import PaperId
from ..model import PaperLinks, PaperRecord


class Page(list):
    """One page of a citation list: its edges, and the list offset after it (a source may
    list rows without a paper id: they count towards the offset but give no edge)."""

    def __init__(self, edges=(), next_offset: int = 0) -> None:
        super().__init__(edges)
        self.next_offset = next_offset


@dataclass
class FetchedPaper:
    """A paper's details and, when asked for, the ids of the papers it cites."""

    record: PaperRecord
    reference_ids: list[str] | None = None
    references_truncated: str | None = None


@dataclass(frozen=True)
class SourceLimits:
    """What a source can answer per request, and what its requests cost.

    Expansion sizes its work from these numbers alone, and the plan and the request floor
    (:meth:`request_floor`) are computed from them, so a source states its limits once.
    """

    batch_size: int  # ids per fetch_papers call
    page_size: int  # citation edges per page of iter_citations (one request each)
    list_cap: int | None  # the most citations the source can list for one paper; None: no cap
    # requests are rate-limited and counted (an HTTP API), so plans count them and the request
    # floor applies; a local source answers queries, which plans do not count
    metered: bool
    # listing the citers of many papers is cheap (one query), so coupling is on by default;
    # over an API it costs a request per paper and is opt-in
    cheap_citations: bool

    def batches(self, n_ids: int) -> int:
        """fetch_papers calls for ``n_ids`` ids."""
        return math.ceil(n_ids / self.batch_size)

    def pages(self, n_edges: int) -> int:
        """iter_citations pages for a list of ``n_edges`` (at least one: an empty list is asked too)."""
        return max(1, math.ceil(n_edges / self.page_size))

    def capped(self, limit: int) -> int:
        """``limit`` citations, or fewer if the source cannot list that many."""
        return limit if self.list_cap is None else min(limit, self.list_cap)

    def request_floor(self, id_lookups: int, title_lookups: int, citation_lists: Iterable[int],
                      detail_stages: Iterable[int]) -> int:
        """The fewest requests that fetch this work: ``batches(N) + T + sum(pages(C_i)) +
        sum(batches(M_j))`` for N ids looked up, T titles matched, citation lists of C_i edges
        and sequential stages of M_j papers fetched with their references; 0 when not metered.
        """
        if not self.metered:
            return 0
        return (self.batches(id_lookups) + title_lookups + sum(self.pages(c) for c in citation_lists)
                + sum(self.batches(m) for m in detail_stages))


class LocalSource:
    """What the sources that answer from local data (a corpus, a graph) share: nothing paced or
    counted as requests, maps built in a throwaway store, and an interrupt flag that their calls
    check (:meth:`_check_interrupt`), since each call answers on the caller's thread."""

    requests = 0  # queries are not rate-limited requests
    retries = 0
    rate_hint = ""
    deadline_note = ""  # a query answers or fails at once: no deadline to state
    label: str

    def __init__(self) -> None:
        self._interrupted = threading.Event()

    def seconds_for(self, n_requests: int) -> float:
        """Nothing is paced: 0."""
        return 0.0

    def not_found(self, asked: PaperId | str) -> str:
        """``asked`` is not in the local data."""
        return f"{self.label} does not know {asked}"

    def default_store(self) -> None:
        """None: maps are built in a throwaway in-memory store, since everything is local already."""
        return None

    def links(self, record: PaperRecord) -> PaperLinks:
        """The record's DOI and arXiv pages: local data has no page of its own to link to."""
        return PaperLinks.of(record)

    def annotate(self, graph) -> None:
        """Nothing: only a prepared corpus knows scores over the whole corpus."""

    def interrupt(self) -> None:
        """Refuse calls from now on (until :meth:`resume`); callable from any thread."""
        self._interrupted.set()

    def resume(self) -> None:
        """Accept calls again after :meth:`interrupt`."""
        self._interrupted.clear()

    def _check_interrupt(self) -> None:
        if self._interrupted.is_set():
            raise Interrupted(STOPPED)


STOPPED = "stopped on request; everything fetched before is stored, and running again goes on"


@runtime_checkable
class PaperSource(Protocol):
    """What expansion needs from a source. A new backend (a Spark-backed corpus, another API)
    is a new class with these members; none of them is optional."""

    name: str  # short tag ("s2", "corpus", "memory")
    label: str  # how messages name it: "Semantic Scholar", "the corpus x.duckdb"
    limits: SourceLimits
    # ids (as passed to fetch_papers) whose answer was broken rather than "unknown": no miss may
    # be remembered for them
    invalid_ids: set[PaperId | str]

    @property
    def requests(self) -> int:
        """Requests sent so far (what ``limits.metered`` counts); 0 for a local source."""

    @property
    def retries(self) -> int:
        """How many of :attr:`requests` repeated one that failed (429, 5xx, no or a broken answer)."""

    @property
    def rate_hint(self) -> str:
        """How to make requests faster, for a plan that is too long (``""`` when nothing helps)."""

    @property
    def deadline_note(self) -> str:
        """How long one request may take at most, as the plan's first line states it (``""`` for a
        source without requests)."""

    def seconds_for(self, n_requests: int) -> float:
        """How long ``n_requests`` take at the source's pace (0 for a local source)."""

    def fetch_papers(self, ids: Sequence[PaperId | str], *, with_references: bool) -> list[FetchedPaper | None]:
        """Details (and reference lists) of at most ``limits.batch_size`` papers, aligned with
        ``ids``: ``None`` where the source does not know one. A :class:`PaperId` is a seed in any
        kind the source resolves by id; a ``str`` is a paper id this source returned."""

    def not_found(self, asked: PaperId | str) -> str:
        """Why ``asked`` resolved to nothing, in words (stored with the miss, shown to the user)."""

    def match_title(self, title: str, year: int | None = None) -> PaperRecord | None:
        """The paper whose title best matches, or ``None``. ``year`` (the seed's year hint) picks
        among papers of the same title; a match of another year stands when none has that year,
        and without a hint the choice is the source's best match."""

    def prefetch_citations(self, paper_ids: Iterable[str], limit: int) -> None:
        """Get ready to list the citations of many papers at once (a no-op where each list is
        its own request); expansion calls it before :meth:`iter_citations`."""

    def iter_citations(self, paper_id: str, limit: int, start: int = 0) -> Iterator[Page]:
        """Pages of edges ``(citing, paper_id)`` from list offset ``start`` up to ``limit``
        (at most ``limits.page_size`` edges a page)."""

    def truncation_note(self, listed: int, total: int) -> str:
        """Why a citation list stopped at ``limits.list_cap`` with ``listed`` of ``total`` listed."""

    def default_store(self) -> Path | None:
        """The store file this source's papers are kept in unless the user names one; ``None``: a
        throwaway in-memory store (a local source holds everything already)."""

    def links(self, record: PaperRecord) -> PaperLinks:
        """Where a reader can open ``record``'s paper (its page at this source, a PDF, DOI, arXiv)."""

    def annotate(self, graph) -> None:
        """Put what the source knows beyond one paper's record on the expanded ``graph``'s nodes
        (a prepared corpus: PageRank and percentile over the whole corpus); most sources add nothing."""

    def interrupt(self) -> None:
        """Stop the call in flight and refuse new ones (each raises
        :class:`graph.errors.Interrupted`) until :meth:`resume`. Safe to call from any thread:
        a user's Ctrl-C or cancel must not wait out a long request or a server's Retry-After."""

    def resume(self) -> None:
        """Accept calls again after :meth:`interrupt`."""
