"""Semantic Scholar Graph API source (HTTP only; nothing here touches the store).

Requests go through httpx directly (:class:`S2HttpRequester`), not through the
``semanticscholar`` client: its requester has traps a long run cannot live with (502/503 come
back as empty papers with no error, only 429 is retried, with fixed waits, ``Retry-After``
ignored and ``tenacity.RetryError`` at the end, and a new connection is opened per request),
and the few URLs citegraph calls (:class:`S2Api`) are simpler to build than to borrow. Ours paces requests to the
rate limit, retries 429/5xx/dropped connections/non-JSON answers with exponential
backoff that honours ``Retry-After``, bounds every attempt by a total deadline and
every request by a time budget (a ``Retry-After`` beyond it stops at once with the
time to come back), fails at once when no server can be reached, validates every
record before handing it on, raises :mod:`graph.errors` exceptions, and counts
every request.

Everything Semantic Scholar-specific lives here (and in :mod:`.s2_records`, its JSON
validation): the API's limits and the request floor they give, its request-ID syntax, its
messages, paper page URLs and the default store file per API host.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence
from urllib.parse import quote, urlsplit

import httpx

from ..errors import Interrupted, InvalidRecord, SeedError, SourceError
from ..ids import PaperId
from ..model import PaperLinks, PaperRecord
from ..store import store_in_cache
from .base import STOPPED, FetchedPaper, Page, SourceLimits
from .s2_records import check_s2_paper, edge_from_s2, fetched_from_s2

DEFAULT_API_URL = "https://api.semanticscholar.org"
BATCH_LIMIT = 500  # ids per POST /paper/batch
PAGE_LIMIT = 1000  # rows per page of /paper/{id}/citations
# S2 refuses offset + limit >= 10,000 on citation lists
LIST_OFFSET_CAP = 9999

# With these limits the request floor (SourceLimits.request_floor) is, for N seeds looked up by id,
# T by title, C_i citations listed per paper and M_j papers fetched with their references per
# sequential stage:
#     ceil(N/500) + T + sum(max(1, ceil(C_i/1000))) + sum(ceil(M_j/500))
S2_LIMITS = SourceLimits(batch_size=BATCH_LIMIT, page_size=PAGE_LIMIT, list_cap=LIST_OFFSET_CAP, metered=True,
                         # one request per listed paper: coupling over the API is opt-in (--coupled)
                         cheap_citations=False)
RATE_HINT = "set S2_API_KEY for a higher rate"
_S2_PREFIX = {"corpus": "CorpusId:", "arxiv": "ARXIV:", "doi": "DOI:", "s2": ""}


# -- Semantic Scholar's errors ------------------------------------------------------------------------
class S2RequestError(SourceError):
    """Semantic Scholar answered with an error that retrying will not fix."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class S2ConfigError(SourceError):
    """The Semantic Scholar settings (API URL, rate, timeouts) cannot be used."""


class S2NotFoundError(S2RequestError):
    """Semantic Scholar does not know the requested paper."""


class S2UnavailableError(SourceError):
    """Semantic Scholar kept failing (429, 5xx, network) after every retry."""


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


@dataclass
class S2Config:
    """How to reach Semantic Scholar. ``from_env`` reads ``S2_API_URL``, ``S2_API_KEY``, ``S2_RATE``."""

    api_url: str = DEFAULT_API_URL
    api_key: str | None = None
    rate: float = 1.0  # requests per second; 0 disables pacing
    max_retries: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 120.0
    # total time one attempt may take, headers and body: a server dripping a byte every few
    # seconds never trips a per-read timeout, so the whole answer has a deadline
    timeout: float = 30.0
    # total time one request may take with all its retries and waits; a Retry-After beyond what is
    # left of it stops at once with the time to come back instead of sleeping for it
    max_wait: float = 300.0
    # waits at least this long are announced (what is waited for, and how long)
    announce_wait: float = 2.0
    # attempts in a row that got no complete answer within ``timeout`` (a server that never replies, or
    # trickles): after this many the server is taken as unreachable, whatever is left of max_wait
    max_timeouts: int = 2
    page_size: int = PAGE_LIMIT

    def __post_init__(self) -> None:
        check_api_url(self.api_url)
        for name in ("rate", "timeout", "max_wait"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value != value or value < 0 or value == float("inf"):
                raise S2ConfigError(f"{name} must be a finite number of 0 or more, got {value!r}")
        if self.timeout <= 0:
            raise S2ConfigError("the request timeout must be more than 0 seconds")

    @classmethod
    def from_env(cls, **overrides: Any) -> "S2Config":
        """Settings from ``S2_API_URL``, ``S2_API_KEY``, ``S2_RATE``, ``S2_TIMEOUT`` (seconds per
        attempt) and ``S2_MAX_WAIT`` (seconds per request, retries included), then ``overrides``."""
        env: dict[str, Any] = {}
        if os.environ.get("S2_API_URL"):
            env["api_url"] = os.environ["S2_API_URL"].rstrip("/")
        if os.environ.get("S2_API_KEY"):
            env["api_key"] = os.environ["S2_API_KEY"]
        for var, key in (("S2_RATE", "rate"), ("S2_TIMEOUT", "timeout"), ("S2_MAX_WAIT", "max_wait")):
            if os.environ.get(var):
                try:
                    env[key] = float(os.environ[var])
                except ValueError:
                    raise S2ConfigError(f"{var}={os.environ[var]!r} is not a number of seconds") from None
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**env)


def shown_url(url: Any) -> str:
    """``url`` as it may be printed: a user name and password in it are replaced by ``***``.

    >>> shown_url("http://user:secret@127.0.0.1:8765/x")
    'http://***@127.0.0.1:8765/x'
    """
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is not None and "@" in parts.netloc:
        return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()
    # not parseable as a URL: hide anything between "//" and an "@" all the same
    return re.sub(r"//[^/@\s]*@", "//***@", text)


def check_api_url(url: Any) -> str:
    """``url`` if it is an http(s) URL with a host, else :class:`S2ConfigError` saying what is wrong.

    >>> check_api_url("http://127.0.0.1:8765")
    'http://127.0.0.1:8765'
    """
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError on a port that is not a number or out of range
    except (TypeError, ValueError, AttributeError):
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(
            c.isspace() for c in url):
        raise S2ConfigError(f"the API URL {shown_url(url)!r} is not an http(s) URL with a host "
                            "(check --api-url or S2_API_URL, e.g. https://api.semanticscholar.org)")
    return url


@dataclass
class RequestStats:
    """Every HTTP request made, by endpoint, and how many were retries."""

    requests: int = 0
    retries: int = 0
    by_endpoint: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None, *, network: bool = False,
                 timed_out: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.network = network  # the server gave no usable answer at all (dropped, timed out)
        self.timed_out = timed_out  # no complete answer within the attempt's deadline


def endpoint_name(url: str) -> str:
    """Which Graph API endpoint a URL or path calls: batch, match, citations, references or paper."""
    path = url.split("/graph/v1/", 1)[-1]
    if path.startswith("paper/batch"):
        return "batch"
    if path.startswith("paper/search/match"):
        return "match"
    if path.endswith("/citations"):
        return "citations"
    if path.endswith("/references"):
        return "references"
    return "paper"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or body)[:200]
    return str(body)[:200]


def _reason(exc: BaseException) -> str:
    """Why a connection failed, in words: ``connection refused``, ``host name not found``, ..."""
    import errno
    import socket

    chain = [exc]
    while (chain[-1].__cause__ or chain[-1].__context__) is not None and len(chain) < 10:
        chain.append(chain[-1].__cause__ or chain[-1].__context__)
    for e in chain:
        if isinstance(e, socket.gaierror):
            return f"host name not found: {e.strerror or e}"
        if isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == errno.ECONNREFUSED:
            return "connection refused: no server listens there"
    text = str(chain[-1])[:200] or type(chain[-1]).__name__
    if "Connect call failed" in text:
        return "connection refused: no server listens there"
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return f"host name not found: {text}"
    return text


class S2HttpRequester:
    """The Graph API's requests over one httpx connection pool: strict, paced and retrying."""

    def __init__(self, config: S2Config, stats: RequestStats,
                 log: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.stats = stats
        self.log = log
        self._client: httpx.AsyncClient | None = None
        self._pace_lock: asyncio.Lock | None = None
        self._next_slot = 0.0
        # set once the network stayed unreachable through a whole retry budget: later requests of
        # this run fail at once instead of each waiting out the same budget
        self._unreachable: str | None = None

    async def _pace(self) -> None:
        if self.config.rate <= 0:
            return
        if self._pace_lock is None:
            self._pace_lock = asyncio.Lock()
        async with self._pace_lock:
            now = time.monotonic()
            wait = self._next_slot - now
            self._next_slot = max(now, self._next_slot) + 1.0 / self.config.rate
        if wait > 0:
            if wait >= self.config.announce_wait:
                self._say(f"waiting {wait:.0f} s to keep to {self.config.rate:g} requests/s "
                          f"(--rate, S2_RATE; S2_API_KEY allows more)")
            await asyncio.sleep(wait)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        backoff = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))
        backoff *= random.uniform(0.5, 1.0)
        if retry_after is not None:
            return max(min(retry_after, self.config.max_retry_after), backoff)
        return backoff

    def _say(self, msg: str) -> None:
        if self.log is not None:
            self.log(msg)

    async def get_data_async(self, url: str, parameters: str, headers: dict, payload: dict | None = None):
        """One API call with pacing, retries and a time budget; the decoded JSON answer."""
        endpoint = endpoint_name(url)
        if self._unreachable:
            raise S2UnavailableError(self._unreachable)
        started = time.monotonic()
        tries = self.config.max_retries + 1
        last: _Retryable | None = None
        timeouts = 0  # attempts in a row without a complete answer
        for attempt in range(1, tries + 1):
            if attempt > 1:
                self.stats.retries += 1
            left = self.config.max_wait - (time.monotonic() - started)
            try:
                return await self._request_once(endpoint, url, parameters, headers, payload,
                                                deadline=max(0.05, min(self.config.timeout, left)))
            except _Retryable as exc:
                last = exc
                timeouts = timeouts + 1 if exc.timed_out else 0
            if attempt == tries or timeouts >= self.config.max_timeouts:
                break
            if timeouts == 1:
                # said once per request: the silence so far is explained, and how long it may last
                self._say(f"waiting for Semantic Scholar's answer to the {endpoint} request: none came within "
                          f"{self.config.timeout:g} s; trying again, giving up after {self.config.max_timeouts} "
                          f"unanswered attempts or {self.config.max_wait:g} s in all (--timeout, --max-wait)")
            wait = self._backoff(attempt, last.retry_after)
            left = self.config.max_wait - (time.monotonic() - started)
            if last.retry_after is not None and last.retry_after > left:
                # sleeping through it would hang the run: stop now and say when to come back
                back = datetime.now(timezone.utc) + timedelta(seconds=last.retry_after)
                self._unreachable = (
                    f"Semantic Scholar asks to wait {last.retry_after:,.0f} s before the next request "
                    f"({last}), more than this run may wait ({self.config.max_wait:g} s, --max-wait or S2_MAX_WAIT); "
                    f"what was fetched so far is stored: run the same command again after "
                    f"{back:%Y-%m-%d %H:%M} UTC" + ("" if self.config.api_key else
                                                    ", or set S2_API_KEY for a higher rate limit"))
                raise S2UnavailableError(self._unreachable)
            if wait >= left:
                break  # the budget is spent: report now rather than after a last useless wait
            if wait >= self.config.announce_wait:
                self._say(f"waiting {wait:.0f} s for Semantic Scholar ({endpoint}: {last}; "
                          f"retry {attempt} of {tries - 1})")
            await asyncio.sleep(wait)
        spent = time.monotonic() - started
        if last is not None and last.network:
            self._unreachable = (
                f"Semantic Scholar at {shown_url(self.config.api_url)} is unreachable ({last}, {attempt} tries in "
                f"{spent:.0f} s); check the network or S2_API_URL, then run the same command again: "
                f"what was fetched so far is stored")
            raise S2UnavailableError(self._unreachable)
        raise S2UnavailableError(
            f"Semantic Scholar {endpoint} request failed {attempt} times in {spent:.0f} s "
            f"(last: {last}); what was fetched so far is stored, run the same command again later"
            + ("" if self.config.api_key else ", or set S2_API_KEY for a higher rate limit"))

    async def _request_once(self, endpoint, url, parameters, headers, payload, *, deadline: float):
        await self._pace()
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.config.timeout)
        self.stats.requests += 1
        self.stats.by_endpoint[endpoint] += 1
        try:
            r = await asyncio.wait_for(
                self._client.request("POST" if payload is not None else "GET", url,
                                     params=parameters.lstrip("&"), headers=headers, json=payload),
                timeout=deadline)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            self.stats.by_status["timeout"] += 1
            raise _Retryable(f"network error: no complete answer within {deadline:g} s", network=True,
                             timed_out=True) from None
        except httpx.ConnectError as exc:
            # DNS failure or connection refused: no server there, and retrying will not make one
            self.stats.by_status["network"] += 1
            self._unreachable = (
                f"cannot connect to Semantic Scholar at {shown_url(self.config.api_url)} ({shown_url(_reason(exc))}); check the "
                f"network, --api-url or S2_API_URL, then run the same command again: what was fetched so far "
                f"is stored")
            raise S2UnavailableError(self._unreachable) from None
        except httpx.TransportError as exc:
            self.stats.by_status["network"] += 1
            raise _Retryable(f"network error: {type(exc).__name__}", network=True) from exc
        except httpx.InvalidURL as exc:
            raise S2ConfigError(f"cannot request {shown_url(url)!r}: {shown_url(exc)}") from None
        self.stats.by_status[r.status_code] += 1
        if r.status_code == 200:
            try:
                data = json.loads(r.content)
            except (ValueError, UnicodeDecodeError):
                # an HTML error page, an empty or cut-off body: a proxy or an overloaded server, so retried
                kind = "an empty answer" if not r.content.strip() else (
                    "an HTML page" if r.content.lstrip()[:1] == b"<" else "JSON that does not parse")
                raise _Retryable(f"HTTP 200 with {kind} ({len(r.content):,} bytes)") from None
            if isinstance(data, dict) and set(data) == {"error"}:
                raise S2RequestError(f"Semantic Scholar said: {str(data['error'])[:200]}", 200)
            return data
        message = _error_text(r)
        if r.status_code == 429 or r.status_code >= 500:
            raise _Retryable(f"HTTP {r.status_code}: {message}", _retry_after(r))
        if r.status_code == 404:
            raise S2NotFoundError(f"not found: {message}", 404)
        if r.status_code == 403:
            raise S2RequestError("Semantic Scholar refused the API key (HTTP 403); check S2_API_KEY", 403)
        raise S2RequestError(f"Semantic Scholar rejected the request (HTTP {r.status_code}): {message}",
                             r.status_code)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class _LoopThread:
    """A private event loop in a thread, so sync callers and Jupyter (which
    already runs a loop) can both use the async client and share one connection pool."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="citegraph-s2")
        self.thread.start()
        self.pending: set = set()  # calls in flight, so that interrupt() can cancel them
        self._pending_lock = threading.Lock()

    def _forget(self, future) -> None:
        with self._pending_lock:
            self.pending.discard(future)

    def cancel_pending(self) -> None:
        """Cancel every call in flight (from any thread); their callers get ``CancelledError``."""
        with self._pending_lock:
            calls = list(self.pending)
        for future in calls:
            future.cancel()

    def run(self, coro, interrupted: threading.Event | None = None):
        """Run ``coro`` on the loop and wait for it. With ``interrupted``: a call started while it
        is set is cancelled (an interrupt landing between scheduling and registering is not lost)."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        with self._pending_lock:
            self.pending.add(future)
        future.add_done_callback(self._forget)
        # interrupt() sets the event *then* cancels what is pending: either it saw this future, or
        # the event is set by now
        if interrupted is not None and interrupted.is_set():
            future.cancel()
        try:
            return future.result()
        except BaseException:
            # Ctrl-C (or any error here) while a request is in flight: cancel it, so it does not fail
            # later when the client closes and asyncio print a "never retrieved" traceback at exit
            future.cancel()
            raise

    def stop(self) -> None:
        """Finish every task still on the loop (a cancelled call may still be unwinding), then stop it:
        a loop closed under a pending task makes asyncio log "Task was destroyed but it is pending"."""
        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(drain(), self.loop).result(timeout=5)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            pass  # stopping anyway: a task that will not finish in 5 s is not waited for
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


class S2Api:
    """The Graph API's base URL, its key header, and the title match (the one call whose URL is
    not built where it is made)."""

    def __init__(self, config: S2Config, requester: S2HttpRequester) -> None:
        self.api_url = config.api_url
        self.auth_header = {"x-api-key": config.api_key} if config.api_key else {}
        self._requester = requester

    async def match_title(self, title: str, fields: list[str]) -> Any:
        """The paper whose title best matches (``GET /paper/search/match``), as S2 sent it."""
        url = f"{self.api_url}/graph/v1/paper/search/match"
        # the query as the semanticscholar client sent it, so recorded answers still match
        answer = await self._requester.get_data_async(
            url, f"query={quote(title, safe='')}&fields={','.join(fields)}&offset=0&limit=100", self.auth_header)
        return answer["data"][0]


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
        self._loop: _LoopThread | None = None
        self._interrupted = threading.Event()

    def _run(self, coro):
        if self._interrupted.is_set():  # refused before anything is scheduled
            coro.close()
            raise Interrupted(STOPPED)
        if self._loop is None:
            self._loop = _LoopThread()
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

    def annotate(self, graph) -> None:
        """Nothing: the API's records say all it knows of each paper."""

    @property
    def requests(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self.stats.requests

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
                out.append(None if item is None else fetched_from_s2(item, now, found))
            except InvalidRecord as exc:
                found.append(f"{exc}; the record is not stored")
                out.append(None)
                # not "unknown to S2": the answer was broken, so no miss may be remembered for it
                self.invalid_ids.add(asked)
            self._warn(found)
        return out

    def get_paper(self, paper_id: str, fields: list[str] | None = None) -> PaperRecord:
        """One paper by any S2 id form (``GET /paper/{id}``); :class:`S2NotFoundError` if unknown."""
        url = f"{self._client.api_url}/graph/v1/paper/{quote(paper_id, safe=':/')}"
        raw = self._run(self._requester.get_data_async(
            url, "fields=" + ",".join(fields or PAPER_FIELDS), self._client.auth_header))
        rec = self._paper(raw)
        if rec is None:
            raise S2RequestError(f"Semantic Scholar's answer for {paper_id} is not a valid paper")
        return rec

    def match_title(self, title: str) -> PaperRecord | None:
        """Best title match (``GET /paper/search/match``), or ``None`` when S2 finds none."""
        try:
            raw = self._run(self._client.match_title(title, PAPER_FIELDS))
        except S2NotFoundError:
            return None
        except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
            # indexing into the answer: a wrong shape from the server surfaces here
            raise S2RequestError(f"Semantic Scholar's title match answer has the wrong shape "
                                 f"({type(exc).__name__}: {str(exc)[:80]}); run again later") from None
        if not isinstance(raw, dict) or not raw.get("paperId"):
            return None
        return self._paper(raw)

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
            offset += len(rows)
            found: list[str] = []
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
