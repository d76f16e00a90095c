"""How citegraph reaches Semantic Scholar: the Graph API's limits, its settings (:class:`S2Config`,
from the environment or the command line), and its errors.

Semantic Scholar's errors live with its source, not in :mod:`graph.errors`; they are
:class:`graph.errors.SourceError` subclasses, so the CLI prints them as one line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import SourceError, SourceUnavailableError
from ..paths import not_utf8, shown

DEFAULT_API_URL = "https://api.semanticscholar.org"
BATCH_LIMIT = 500  # ids per POST /paper/batch
PAGE_LIMIT = 1000  # rows per page of /paper/{id}/citations
# S2 refuses offset + limit >= 10,000 on citation lists
LIST_OFFSET_CAP = 9999


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


class S2UnavailableError(SourceUnavailableError):
    """Semantic Scholar kept failing (429, 5xx, network) after every retry."""


# the largest settings taken, the bounds of the command line's --rate, --timeout and --max-wait too
# (graph/cli/common.py keeps its own copy: importing the sources would slow every --help): a timeout of
# 1e308 s, from S2_TIMEOUT, waited for ever on a server that never answers
MAX_RATE = 1000.0
MAX_SECONDS = 7 * 24 * 3600.0


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
    # an answer's decoded body is read up to this many bytes: S2's largest real answers (500 papers
    # with their references) are a few MB, and a small gzipped body can inflate to gigabytes
    max_body_bytes: int = 64 << 20

    def __post_init__(self) -> None:
        check_api_url(self.api_url)
        for name, most in (("rate", MAX_RATE), ("timeout", MAX_SECONDS), ("max_wait", MAX_SECONDS)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value != value or not 0 <= value <= most:
                raise S2ConfigError(f"{name} must be a number from 0 to {most:g}, got {value!r}")
        if self.timeout <= 0:
            raise S2ConfigError("the request timeout must be more than 0 seconds")

    @classmethod
    def from_env(cls, **overrides: Any) -> "S2Config":
        """Settings from ``S2_API_URL``, ``S2_API_KEY``, ``S2_RATE``, ``S2_TIMEOUT`` (seconds per
        attempt) and ``S2_MAX_WAIT`` (seconds per request, retries included), then ``overrides`` (a
        ``None`` among them is not given). A variable an override replaces is not read: the command
        line's ``--rate 0`` works whatever ``S2_RATE`` holds."""
        given = {k: v for k, v in overrides.items() if v is not None}
        env: dict[str, Any] = {}
        if os.environ.get("S2_API_URL") and "api_url" not in given:
            env["api_url"] = os.environ["S2_API_URL"].rstrip("/")
        if os.environ.get("S2_API_KEY"):
            env["api_key"] = os.environ["S2_API_KEY"]
        for var, key in (("S2_RATE", "rate"), ("S2_TIMEOUT", "timeout"), ("S2_MAX_WAIT", "max_wait")):
            if os.environ.get(var) and key not in given:
                try:
                    env[key] = float(os.environ[var])
                except ValueError:
                    unit = "requests per second" if var == "S2_RATE" else "seconds"
                    raise S2ConfigError(f"{var}={os.environ[var]!r} is not a number ({unit})") from None
        return cls(**{**env, **given})


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
    if isinstance(url, str) and not_utf8(url):  # bytes of the environment that are not UTF-8 come as surrogates
        raise S2ConfigError(f"the API URL {shown(shown_url(url))!r} is not UTF-8 text "
                            "(check --api-url or S2_API_URL, e.g. https://api.semanticscholar.org)")
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

