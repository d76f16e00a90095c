"""The Graph API's HTTP client: one httpx connection pool on a private event loop, paced to the rate
limit, retrying 429/5xx/dropped connections/non-JSON answers with exponential backoff that honours
``Retry-After``, every attempt bounded by a deadline and every request by a time budget (a
``Retry-After`` beyond it stops at once with the time to come back), failing at once when no server
can be reached, and counting every request.

Requests go through httpx directly, not through the ``semanticscholar`` client: its requester has
traps a long run cannot live with (502/503 come back as empty papers with no error, only 429 is
retried, with fixed waits, ``Retry-After`` ignored and ``tenacity.RetryError`` at the end, and a new
connection is opened per request), and the few URLs citegraph calls are simpler to build than to borrow.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Coroutine
from urllib.parse import quote

import httpx

from ..threads import result_of, start_daemon
from .s2_config import S2Config, S2ConfigError, S2NotFoundError, S2RequestError, S2UnavailableError, shown_url


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


class _BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


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


def _error_text(content: bytes) -> str:
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return content[:200].decode("utf-8", "replace")
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

    async def get_data_async(self, url: str, parameters: str, headers: dict,
                             payload: dict | None = None) -> Any:
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
            r, content = await asyncio.wait_for(self._fetch(url, parameters, headers, payload), timeout=deadline)
        except _BodyTooLarge as exc:
            self.stats.by_status["too large"] += 1
            raise S2RequestError(f"Semantic Scholar's {endpoint} answer is over {exc.limit:,} bytes decoded "
                                 "(S2's real answers are far smaller: a broken or hostile server?); nothing of it "
                                 "is stored, check S2_API_URL or run again later") from None
        except httpx.DecodingError:
            # a body its Content-Encoding does not decode (a broken gzip stream): a broken answer, as an
            # HTML page or cut-off JSON is, so retried
            self.stats.by_status["undecodable"] += 1
            raise _Retryable("an answer whose body does not decode as its Content-Encoding says") from None
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
                data = json.loads(content)
            except (ValueError, UnicodeDecodeError):
                # an HTML error page, an empty or cut-off body: a proxy or an overloaded server, so retried
                kind = "an empty answer" if not content.strip() else (
                    "an HTML page" if content.lstrip()[:1] == b"<" else "JSON that does not parse")
                raise _Retryable(f"HTTP 200 with {kind} ({len(content):,} bytes)") from None
            if isinstance(data, dict) and set(data) == {"error"}:
                raise S2RequestError(f"Semantic Scholar said: {str(data['error'])[:200]}", 200)
            return data
        message = _error_text(content)
        if r.status_code == 429 or r.status_code >= 500:
            raise _Retryable(f"HTTP {r.status_code}: {message}", _retry_after(r))
        if r.status_code == 404:
            raise S2NotFoundError(f"not found: {message}", 404)
        if r.status_code == 403:
            raise S2RequestError("Semantic Scholar refused the API key (HTTP 403); check S2_API_KEY", 403)
        raise S2RequestError(f"Semantic Scholar rejected the request (HTTP {r.status_code}): {message}",
                             r.status_code)

    async def _fetch(self, url, parameters, headers, payload) -> tuple[httpx.Response, bytes]:
        """The response and its decoded body, read as a stream that stops past ``max_body_bytes``."""
        limit = self.config.max_body_bytes
        request = self._client.build_request("POST" if payload is not None else "GET", url,
                                             params=parameters.lstrip("&"), headers=headers, json=payload)
        r = await self._client.send(request, stream=True)
        try:
            chunks, size = [], 0
            async for chunk in r.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise _BodyTooLarge(limit)
                chunks.append(chunk)
        finally:
            await r.aclose()
        return r, b"".join(chunks)

    async def aclose(self) -> None:
        """Close the HTTP client, if one was opened (the next call opens another)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class LoopThread:
    """A private event loop in a thread, so sync callers and Jupyter (which
    already runs a loop) can both use the async client and share one connection pool."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        # blocks Ctrl-C's SIGINT: taken here, it would leave the main thread waiting on the call's future
        self.thread = start_daemon(self.loop.run_forever, name="citegraph-s2")
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

    def run(self, coro: Coroutine[Any, Any, Any], interrupted: threading.Event | None = None) -> Any:
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
            return result_of(future)
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

    async def match_title(self, title: str, fields: list[str], year: int | None = None) -> Any:
        """The paper whose title best matches (``GET /paper/search/match``; with ``year``, among the
        papers of that year), as S2 sent it."""
        url = f"{self.api_url}/graph/v1/paper/search/match"
        # the query as the semanticscholar client sent it, so recorded answers still match
        answer = await self._requester.get_data_async(
            url, f"query={quote(title, safe='')}" + (f"&year={int(year)}" if year is not None else "")
            + f"&fields={','.join(fields)}&offset=0&limit=100", self.auth_header)
        return answer["data"][0]
