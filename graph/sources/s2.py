"""Semantic Scholar as a paper source (HTTP only; nothing here touches the store).

:class:`S2Source` asks the Graph API through :mod:`.s2_http` (pacing, retries, deadlines), with the
settings and errors of :mod:`.s2_config`, and validates every record it gets with :mod:`.s2_records`
before handing it on. Here: the API's limits and the request floor they give, its request-ID syntax,
its messages, paper page URLs and the default store file per API host.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence
from urllib.parse import quote, urlsplit

from ..errors import Interrupted, InvalidRecord, SeedError
from ..ids import PaperId, normalise_title
from ..model import PaperLinks, PaperRecord
from ..s2_ids import CORPUS_ID_PREFIX
from ..store import store_in_cache
from .base import STOPPED, FetchedPaper, Page, SourceLimits
from .s2_config import (BATCH_LIMIT, DEFAULT_API_URL, LIST_OFFSET_CAP, PAGE_LIMIT, S2Config, S2ConfigError,
                        S2NotFoundError, S2RequestError, S2UnavailableError, check_api_url, shown_url)
from .s2_http import LoopThread, RequestStats, S2Api, S2HttpRequester, endpoint_name
from .s2_records import answers_asked, check_s2_paper, edge_from_s2, fetched_from_s2, good_id

__all__ = ["BATCH_LIMIT", "DEFAULT_API_URL", "LIST_OFFSET_CAP", "PAGE_LIMIT", "RequestStats", "S2Config",
           "S2ConfigError", "S2NotFoundError", "S2RequestError", "S2Source", "S2UnavailableError", "check_api_url",
           "default_store_path", "endpoint_name", "is_s2_paper_id", "paper_url", "s2_request_id", "shown_url"]


# With these limits the request floor (SourceLimits.request_floor) is, for N seeds looked up by id,
# T by title, C_i citations listed per paper and M_j papers fetched with their references per
# sequential stage:
#     ceil(N/500) + T + sum(max(1, ceil(C_i/1000))) + sum(ceil(M_j/500))
S2_LIMITS = SourceLimits(batch_size=BATCH_LIMIT, page_size=PAGE_LIMIT, list_cap=LIST_OFFSET_CAP, metered=True,
                         # one request per listed paper: coupling over the API is opt-in (--coupled)
                         cheap_citations=False)
RATE_HINT = "set S2_API_KEY for a higher rate"
_S2_PREFIX = {"corpus": CORPUS_ID_PREFIX, "arxiv": "ARXIV:", "doi": "DOI:", "s2": ""}


def s2_request_id(pid: PaperId) -> str:
    """The form Semantic Scholar's paper endpoints accept for ``pid``: ``ARXIV:1706.03762``,
    ``DOI:10.x/y``, ``CorpusId:N`` or the 40-hex paper id; :class:`SeedError` for a title or URL.

    >>> s2_request_id(PaperId("arxiv", "1706.03762"))
    'ARXIV:1706.03762'
    """
    if pid.kind not in _S2_PREFIX:
        raise SeedError(f"{pid} has no Semantic Scholar ID form; resolve it by title instead")
    return _S2_PREFIX[pid.kind] + pid.value


def is_s2_paper_id(paper_id: str) -> bool:
    """Whether ``paper_id`` is an S2 paper id (40 hex digits), which has a page on the site; a
    corpus's ``CorpusId:N`` numbers its own rows, and a graph's nodes are any names.

    >>> is_s2_paper_id("204e3073870fae3d05bcbc2f6a8e263d9b72e776"), is_s2_paper_id("CorpusId:5")
    (True, False)
    """
    return isinstance(paper_id, str) and len(paper_id) == 40 and all(c in _HEX for c in paper_id)


_HEX = frozenset("0123456789abcdefABCDEF")


def _asked_kind(asked: PaperId | str) -> tuple[str, str]:
    """(kind, value) of an id as fetch_papers was given it: a ``str`` in S2's syntax is read back."""
    if isinstance(asked, PaperId):
        return asked.kind, asked.value
    for kind, prefix in _S2_PREFIX.items():
        if prefix and asked.upper().startswith(prefix.upper()):
            return kind, asked[len(prefix):]
    return ("s2", asked) if good_id(asked) else ("other", asked)


def paper_url(paper_id: str) -> str:
    """The Semantic Scholar page of ``paper_id`` (S2 has one for :func:`is_s2_paper_id` ids).

    >>> paper_url("204e3073870fae3d05bcbc2f6a8e263d9b72e776")
    'https://www.semanticscholar.org/paper/204e3073870fae3d05bcbc2f6a8e263d9b72e776'
    """
    return "https://www.semanticscholar.org/paper/" + quote(str(paper_id), safe="")


def default_store_path(api_url: str | None = None) -> Path:
    """Where the store of an S2 API lives unless ``--store`` or ``CITEGRAPH_STORE`` say otherwise:
    one file per API host (``s2-api.semanticscholar.org.sqlite``) in the user's cache directory,
    so a test server's papers never mix with real Semantic Scholar data."""
    parts = urlsplit(api_url or DEFAULT_API_URL)
    # the host and port only: credentials in the URL never become part of a file name
    host = (parts.hostname or "local") + (f":{parts.port}" if parts.port else "")
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in host)
    return store_in_cache(f"s2-{safe}.sqlite")

PAPER_FIELDS = [
    "paperId", "corpusId", "externalIds", "title", "year", "venue", "authors",
    "citationCount", "referenceCount", "influentialCitationCount", "abstract",
    "tldr",
]
CITATION_FIELDS = ["paperId", "isInfluential", "intents", "contexts"]


class S2Source:
    """Semantic Scholar as a paper source, with request accounting.

    Example::

        with S2Source(S2Config.from_env()) as src:
            src.fetch_papers([PaperId("arxiv", "1706.03762")], with_references=True)
    """

    name = "s2"
    label = "Semantic Scholar"
    limits = S2_LIMITS
    rate_hint = RATE_HINT

    def __init__(self, config: S2Config | None = None, log: Callable[[str], None] | None = None) -> None:
        self.config = config or S2Config.from_env()
        self.stats = RequestStats()
        self.log = log
        # what validation repaired or dropped in this session's answers (also logged, the first few)
        self.warnings: list[str] = []
        # ids whose answer was not a valid paper (``None`` in fetch_papers, but not a known miss)
        self.invalid_ids: set[PaperId | str] = set()
        self._requester = S2HttpRequester(self.config, self.stats, log)
        self._client = S2Api(self.config, self._requester)
        self._loop: LoopThread | None = None
        self._interrupted = threading.Event()

    @classmethod
    def from_settings(cls, *, api_url: str | None = None, rate: float | None = None, timeout: float | None = None,
                      max_wait: float | None = None, log: Callable[[str], None] | None = None) -> "S2Source":
        """The source with what was given (each ``None``: from ``S2_API_URL``, ``S2_RATE``, ``S2_TIMEOUT``,
        ``S2_MAX_WAIT``, else the default; see :meth:`S2Config.from_env`)."""
        config = S2Config.from_env(api_url=api_url and api_url.rstrip("/"), rate=rate, timeout=timeout,
                                   max_wait=max_wait)
        return cls(config, log=log)

    def _run(self, coro):
        if self._interrupted.is_set():  # refused before anything is scheduled
            coro.close()
            raise Interrupted(STOPPED)
        if self._loop is None:
            self._loop = LoopThread()
        try:
            return self._loop.run(coro, self._interrupted)
        except concurrent.futures.CancelledError:
            if self._interrupted.is_set():
                raise Interrupted(STOPPED) from None
            raise

    def interrupt(self) -> None:
        """Cancel the request in flight (its wait or retries included) and refuse new ones until
        :meth:`resume`; callable from any thread."""
        self._interrupted.set()
        if self._loop is not None:
            self._loop.cancel_pending()

    def resume(self) -> None:
        """Accept requests again after :meth:`interrupt`."""
        self._interrupted.clear()

    def default_store(self) -> Path:
        """One store per API host in the user's cache directory (see :func:`default_store_path`)."""
        return default_store_path(self.config.api_url)

    def links(self, record: PaperRecord) -> PaperLinks:
        """The paper's Semantic Scholar page (S2 ids have one), its DOI and arXiv pages."""
        return PaperLinks.of(record, page=paper_url(record.paper_id) if is_s2_paper_id(record.paper_id) else None)

    def annotate(self, graph: Any) -> None:
        """Nothing: the API's records say all it knows of each paper."""

    @property
    def requests(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self.stats.requests

    @property
    def retries(self) -> int:
        """How many of :attr:`requests` repeated one that failed (429, 5xx, no or a broken answer)."""
        return self.stats.retries

    @property
    def deadline_note(self) -> str:
        """How long one request may take at most, as the plan states it."""
        c = self.config
        return (f"each request gives up after {c.max_timeouts} attempts unanswered within {c.timeout:g} s, "
                f"or {c.max_wait:g} s with its retries (--timeout, --max-wait)")

    def seconds_for(self, n_requests: int) -> float:
        """How long ``n_requests`` take at the configured pace (0 when unpaced)."""
        return n_requests / self.config.rate if self.config.rate > 0 else 0.0

    def not_found(self, asked: PaperId | str) -> str:
        """Why ``asked`` resolved to nothing: the batch answer had ``null`` for it."""
        shown = s2_request_id(asked) if isinstance(asked, PaperId) else asked
        return f"{self.label} does not know {shown} (batch lookup returned null)"

    def truncation_note(self, listed: int, total: int) -> str:
        """The citation list stopped at S2's offset cap."""
        return (f"Semantic Scholar lists at most {LIST_OFFSET_CAP} citations of a paper; "
                f"{listed} of {total} are in the graph")

    def _warn(self, found: list[str]) -> None:
        for w in found:
            if len(self.warnings) < MAX_WARNINGS_SHOWN and self.log is not None:
                self.log(f"warning: Semantic Scholar sent an invalid value: {w}")
            elif len(self.warnings) == MAX_WARNINGS_SHOWN and self.log is not None:
                self.log("warning: more invalid values; they are repaired or dropped the same way")
            self.warnings.append(w)

    def _paper(self, raw: Any) -> PaperRecord | None:
        """A validated record, or ``None`` (with a warning) when ``raw`` cannot be a paper."""
        found: list[str] = []
        try:
            return check_s2_paper(raw, source="s2", fetched_at=time.time(), warnings=found)
        except InvalidRecord as exc:
            found.append(f"{exc}; the record is not stored")
            return None
        finally:
            self._warn(found)

    def close(self) -> None:
        """Close the connection pool and stop the event loop thread (the source can be used again)."""
        if self._loop is not None:
            self._loop.run(self._requester.aclose())
            self._loop.stop()
            self._loop = None

    def __enter__(self) -> "S2Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- lookups -------------------------------------------------------------
    def fetch_papers(self, ids: Sequence[PaperId | str], *, with_references: bool) -> list[FetchedPaper | None]:
        """Details (and reference lists) of up to 500 papers in one ``POST /paper/batch``.

        A :class:`PaperId` is sent in S2's syntax (:func:`s2_request_id`); a ``str`` is sent as
        is (a paper id S2 returned, or any id form S2 accepts). Returns one entry per input id,
        ``None`` where S2 does not know the id. The client's ``get_papers`` drops the ``null``
        entries and so loses which input each paper answers, hence the direct batch call.
        """
        if not 0 < len(ids) <= BATCH_LIMIT:
            raise ValueError(f"a batch takes 1 to {BATCH_LIMIT} ids, got {len(ids)}")
        wire = [s2_request_id(i) if isinstance(i, PaperId) else i for i in ids]
        fields = PAPER_FIELDS + (["references.paperId"] if with_references else [])
        url = f"{self._client.api_url}/graph/v1/paper/batch"
        data = self._run(self._requester.get_data_async(
            url, "fields=" + ",".join(fields), self._client.auth_header, {"ids": wire}))
        if not isinstance(data, list) or len(data) != len(ids):
            raise S2RequestError(f"Semantic Scholar's batch answer does not match the request (a "
                                 f"{type(data).__name__} of {len(data) if isinstance(data, (list, dict)) else 1} "
                                 f"items for {len(ids)} ids); nothing of it is stored, retry later")
        now = time.time()
        out: list[FetchedPaper | None] = []
        for asked, item in zip(ids, data):
            found: list[str] = []
            try:
                fetched = None if item is None else fetched_from_s2(item, now, found)
                if fetched is not None and not answers_asked(fetched.record, *_asked_kind(asked)):
                    raise InvalidRecord(f"the answer for {s2_request_id(asked) if isinstance(asked, PaperId) else asked}"
                                        f" is another paper ({fetched.record.paper_id})")
                out.append(fetched)
            except InvalidRecord as exc:
                found.append(f"{exc}; the record is not stored")
                out.append(None)
                # not "unknown to S2": the answer was broken, so no miss may be remembered for it
                self.invalid_ids.add(asked)
            self._warn(found)
        self._refuse_shared_ids(ids, out)
        return out

    def _refuse_shared_ids(self, ids: Sequence[PaperId | str], out: list[FetchedPaper | None]) -> None:
        """Rows of one answer that give one paperId to papers that differ (their arXiv id, DOI, corpus id
        or title) are none of them trusted: stored, they would alias every id asked to one paper. Two
        ids of the same paper (its DOI and its arXiv id) get identical rows and stay."""
        seen: dict[str, set] = {}
        for got in out:
            if got is not None:
                r = got.record
                seen.setdefault(r.paper_id, set()).add((r.arxiv_id, r.doi, r.corpus_id, r.title))
        found: list[str] = []
        for i, got in enumerate(out):
            if got is not None and len(seen[got.record.paper_id]) > 1:
                found.append(f"paperId {got.record.paper_id} answers for different papers in one batch; the "
                             "record is not stored")
                out[i] = None
                self.invalid_ids.add(ids[i])
        self._warn(found)

    def match_title(self, title: str, year: int | None = None) -> PaperRecord | None:
        """Best title match (``GET /paper/search/match``), or ``None`` when S2 finds none. When the
        match is of another year than ``year``, S2 is asked again for that year, and a paper of the
        same title from it wins (one more request, only then)."""
        raw = self._match_answer(title)
        if raw is None or year is None or raw.get("year") == year:
            return None if raw is None else self._paper(raw)
        of_year = self._match_answer(title, year)
        # the year's answer counts when it is the title asked for (or the first match's title, which
        # S2 found for it): S2's best match without the year may be another title altogether
        same_title = of_year is not None and (normalise_title(str(of_year.get("title") or ""))
                                              in {normalise_title(title), normalise_title(str(raw.get("title") or ""))})
        return self._paper(of_year if same_title else raw)

    def _match_answer(self, title: str, year: int | None = None) -> dict | None:
        try:
            raw = self._run(self._client.match_title(title, PAPER_FIELDS, year))
        except S2NotFoundError:
            return None
        except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
            # indexing into the answer: a wrong shape from the server surfaces here
            raise S2RequestError(f"Semantic Scholar's title match answer has the wrong shape "
                                 f"({type(exc).__name__}: {str(exc)[:80]}); run again later") from None
        return raw if isinstance(raw, dict) and raw.get("paperId") else None

    def prefetch_citations(self, paper_ids: Iterable[str], limit: int) -> None:
        """Nothing to prepare: every citation list is its own paged request."""

    def iter_citations(self, paper_id: str, limit: int, start: int = 0) -> Iterator[Page]:
        """Pages of the papers citing ``paper_id``, from list offset ``start`` up to ``limit``.

        S2 cannot list beyond offset 9,999; callers compare with the paper's
        citation count to report the list as truncated.
        """
        # paged here rather than with the client's paginator, which always starts at offset 0:
        # an interrupted list resumes at the offset the store recorded
        kind = "citations"
        limit = min(limit, LIST_OFFSET_CAP)
        url = f"{self._client.api_url}/graph/v1/paper/{quote(paper_id, safe=':/')}/{kind}"
        fields = ",".join(CITATION_FIELDS)
        offset = start
        while offset < limit:
            size = min(self.config.page_size, PAGE_LIMIT, limit - offset)
            data = self._run(self._requester.get_data_async(
                url, f"fields={fields}&offset={offset}&limit={size}", self._client.auth_header))
            rows = data.get("data") if isinstance(data, dict) else None
            if rows is None and isinstance(data, dict) and "data" not in data:
                rows = []
            if not isinstance(rows, list):
                raise S2RequestError(f"Semantic Scholar's {kind} page of {paper_id} is not a list of rows "
                                     f"(got {type(data).__name__} {str(data)[:80]!r}); what was fetched before "
                                     f"is stored, run again later")
            found: list[str] = []
            if len(rows) > size:
                # more rows than asked: a broken or hostile answer, cut so that it cannot flood the store
                found.append(f"the {kind} page of {paper_id} has {len(rows):,} rows for {size} asked; "
                             f"the first {size} kept")
                rows = rows[:size]
            offset += len(rows)
            edges = [e for e in (edge_from_s2(paper_id, raw, found) for raw in rows) if e is not None]
            # an answer that makes no progress ends the listing: a page shorter than asked is the last
            # one, whatever it says ("next" on pages of one null row cost a request per row, up to the cap)
            stalled = rows and len(rows) < size and "next" in data
            if stalled:
                found.append(f"the {kind} page of {paper_id} at offset {offset - len(rows)} has {len(rows)} of "
                             f"{size} rows but says more follow; the listing ends there")
            self._warn(found)
            yield Page(edges, offset)
            if not rows or "next" not in data or stalled:
                return


MAX_WARNINGS_SHOWN = 20
