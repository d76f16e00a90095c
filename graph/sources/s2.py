"""Semantic Scholar Graph API source (HTTP only; nothing here touches the store).

Built on the ``semanticscholar`` client (URLs, title match, single papers), with its
HTTP layer replaced by :class:`S2HttpRequester`, because the stock requester has traps a long run
cannot live with: 502/503 come back as empty papers with no error, only 429
is retried (fixed waits, ``Retry-After`` ignored, ``tenacity.RetryError`` at the
end), and a new connection is opened per request. Ours paces requests to the
rate limit, retries 429/5xx/connection errors with exponential backoff that
honours ``Retry-After``, raises :mod:`graph.errors` exceptions, and counts
every request.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import quote

import httpx
from semanticscholar.ApiRequester import ApiRequester
from semanticscholar.AsyncSemanticScholar import AsyncSemanticScholar
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt

from ..errors import S2NotFoundError, S2RequestError, S2UnavailableError
from ..model import CitationEdge, PaperRecord
from .base import FetchedPaper, Page

DEFAULT_API_URL = "https://api.semanticscholar.org"
BATCH_LIMIT = 500
PAGE_LIMIT = 1000
# S2 refuses offset + limit >= 10,000 on citation/reference lists
LIST_OFFSET_CAP = 9999
NESTED_LIST_CAP = 1000

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
    timeout: float = 30.0
    page_size: int = PAGE_LIMIT

    @classmethod
    def from_env(cls, **overrides: Any) -> "S2Config":
        env: dict[str, Any] = {}
        if os.environ.get("S2_API_URL"):
            env["api_url"] = os.environ["S2_API_URL"].rstrip("/")
        if os.environ.get("S2_API_KEY"):
            env["api_key"] = os.environ["S2_API_KEY"]
        if os.environ.get("S2_RATE"):
            env["rate"] = float(os.environ["S2_RATE"])
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**env)


@dataclass
class RequestStats:
    """Every HTTP request made, by endpoint, and how many were retries."""

    requests: int = 0
    retries: int = 0
    by_endpoint: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or body)
    return str(body)[:200]


class S2HttpRequester(ApiRequester):
    """The ``semanticscholar`` client's requester, made strict, paced and retrying."""

    def __init__(self, config: S2Config, stats: RequestStats) -> None:
        super().__init__(config.timeout, retry=False)
        self.config = config
        self.stats = stats
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
            await asyncio.sleep(wait)

    def _wait(self, state) -> float:
        exc = state.outcome.exception()
        backoff = min(self.config.backoff_max, self.config.backoff_base * 2 ** (state.attempt_number - 1))
        backoff *= random.uniform(0.5, 1.0)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return max(min(retry_after, self.config.max_retry_after), backoff)
        return backoff

    async def get_data_async(self, url: str, parameters: str, headers: dict, payload: dict | None = None):
        endpoint = endpoint_name(url)
        if self._unreachable:
            raise S2UnavailableError(self._unreachable)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.config.max_retries + 1),
                wait=self._wait,
                retry=retry_if_exception_type(_Retryable),
            ):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        self.stats.retries += 1
                    return await self._request_once(endpoint, url, parameters, headers, payload)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            if str(last).startswith("network error"):
                self._unreachable = (
                    f"Semantic Scholar at {self.config.api_url} is unreachable ({last}, "
                    f"{self.config.max_retries + 1} tries); check the network or S2_API_URL, then run the "
                    f"same command again: what was fetched so far is stored")
                raise S2UnavailableError(self._unreachable) from None
            raise S2UnavailableError(
                f"Semantic Scholar {endpoint} request failed {self.config.max_retries + 1} times "
                f"(last: {last}); what was fetched so far is stored, run the same command again later"
                + ("" if self.config.api_key else ", or set S2_API_KEY for a higher rate limit")
            ) from None

    async def _request_once(self, endpoint, url, parameters, headers, payload):
        await self._pace()
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.config.timeout)
        self.stats.requests += 1
        self.stats.by_endpoint[endpoint] += 1
        try:
            r = await self._client.request("POST" if payload is not None else "GET", url,
                                           params=parameters.lstrip("&"), headers=headers, json=payload)
        except httpx.TransportError as exc:
            self.stats.by_status["network"] += 1
            raise _Retryable(f"network error: {type(exc).__name__}") from exc
        self.stats.by_status[r.status_code] += 1
        if r.status_code == 200:
            data = r.json()
            if isinstance(data, dict) and set(data) == {"error"}:
                raise S2RequestError(f"Semantic Scholar said: {data['error']}", 200)
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

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


def _fetched_from_s2(item: dict, fetched_at: float) -> FetchedPaper:
    refs = item.get("references")
    ref_ids = None
    truncated = None
    if refs is not None:
        ref_ids = [r["paperId"] for r in refs if r and r.get("paperId")]
        if len(refs) >= NESTED_LIST_CAP:
            truncated = f"Semantic Scholar returns at most {NESTED_LIST_CAP} nested references per paper"
    return FetchedPaper(PaperRecord.from_s2(item, source="s2", fetched_at=fetched_at), ref_ids, truncated)


class S2Source:
    """Semantic Scholar as a paper source, with request accounting.

    Example::

        with S2Source(S2Config.from_env()) as src:
            src.fetch_papers(["ARXIV:1706.03762"], with_references=True)
    """

    name = "s2"
    label = "Semantic Scholar"
    batch_limit = BATCH_LIMIT
    cheap_citations = False  # one request per listed paper: coupling over the API is opt-in (--coupled)

    def __init__(self, config: S2Config | None = None) -> None:
        self.config = config or S2Config.from_env()
        self.stats = RequestStats()
        self._requester = S2HttpRequester(self.config, self.stats)
        self._client = AsyncSemanticScholar(api_url=self.config.api_url, api_key=self.config.api_key,
                                            timeout=int(self.config.timeout), retry=False)
        # the client builds URLs and pages; our requester does the HTTP
        self._client._requester = self._requester
        self._loop: _LoopThread | None = None

    def _run(self, coro):
        if self._loop is None:
            self._loop = _LoopThread()
        return self._loop.run(coro)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.run(self._requester.aclose())
            self._loop.stop()
            self._loop = None

    def __enter__(self) -> "S2Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- lookups -------------------------------------------------------------
    def fetch_papers(self, ids: list[str], *, with_references: bool) -> list[FetchedPaper | None]:
        """Details (and reference lists) of up to 500 papers in one ``POST /paper/batch``.

        Returns one entry per input id, ``None`` where S2 does not know the id.
        The client's ``get_papers`` drops the ``null`` entries and so loses which
        input each paper answers, hence the direct batch call.
        """
        if not 0 < len(ids) <= BATCH_LIMIT:
            raise ValueError(f"a batch takes 1 to {BATCH_LIMIT} ids, got {len(ids)}")
        fields = PAPER_FIELDS + (["references.paperId"] if with_references else [])
        url = f"{self._client.api_url}/graph/v1/paper/batch"
        data = self._run(self._requester.get_data_async(
            url, "fields=" + ",".join(fields), self._client.auth_header, {"ids": list(ids)}))
        if not isinstance(data, list) or len(data) != len(ids):
            raise S2RequestError("Semantic Scholar batch answer does not match the request; retry later")
        now = time.time()
        return [None if item is None else _fetched_from_s2(item, now) for item in data]

    def get_paper(self, paper_id: str, fields: list[str] | None = None) -> PaperRecord:
        """One paper by any S2 id form (``GET /paper/{id}``); :class:`S2NotFoundError` if unknown."""
        paper = self._run(self._client.get_paper(paper_id, fields=fields or PAPER_FIELDS))
        return PaperRecord.from_s2(paper.raw_data, source="s2", fetched_at=time.time())

    def match_title(self, title: str) -> PaperRecord | None:
        """Best title match (``GET /paper/search/match``), or ``None`` when S2 finds none."""
        try:
            paper = self._run(self._client.search_paper(quote(title, safe=""), match_title=True,
                                                        fields=PAPER_FIELDS))
        except S2NotFoundError:
            return None
        raw = paper.raw_data if paper is not None else None
        if not raw or not raw.get("paperId"):
            return None
        return PaperRecord.from_s2(raw, source="s2", fetched_at=time.time())

    def iter_citations(self, paper_id: str, limit: int, start: int = 0) -> Iterator[Page]:
        """Pages of the papers citing ``paper_id``, from list offset ``start`` up to ``limit``.

        S2 cannot list beyond offset 9,999; callers compare with the paper's
        citation count to report the list as truncated.
        """
        yield from self._iter_list(paper_id, limit, "citations", start)

    def iter_references(self, paper_id: str, limit: int, start: int = 0) -> Iterator[Page]:
        yield from self._iter_list(paper_id, limit, "references", start)

    def _iter_list(self, paper_id: str, limit: int, kind: str, start: int) -> Iterator[Page]:
        # paged here rather than with the client's paginator, which always starts at offset 0:
        # an interrupted list resumes at the offset the store recorded
        limit = min(limit, LIST_OFFSET_CAP)
        url = f"{self._client.api_url}/graph/v1/paper/{quote(paper_id, safe=':/')}/{kind}"
        fields = ",".join(CITATION_FIELDS)
        offset = start
        while offset < limit:
            size = min(self.config.page_size, PAGE_LIMIT, limit - offset)
            data = self._run(self._requester.get_data_async(
                url, f"fields={fields}&offset={offset}&limit={size}", self._client.auth_header))
            rows = data.get("data") or []
            offset += len(rows)
            yield Page((e for e in (_edge(paper_id, kind, raw) for raw in rows) if e is not None), offset)
            if not rows or "next" not in data:
                return


def _edge(paper_id: str, kind: str, raw: dict) -> CitationEdge | None:
    other = raw.get("citingPaper" if kind == "citations" else "citedPaper") or {}
    other_id = other.get("paperId")
    if not other_id:
        return None  # S2 lists references it could not match to a paper, without an id
    citing, cited = (other_id, paper_id) if kind == "citations" else (paper_id, other_id)
    return CitationEdge(citing, cited, raw.get("isInfluential"),
                        tuple(raw["intents"]) if raw.get("intents") is not None else None,
                        tuple(raw["contexts"]) if raw.get("contexts") is not None else None)
