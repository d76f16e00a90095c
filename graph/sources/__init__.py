"""Paper sources: where papers and citation edges come from.

Every source implements :class:`PaperSource` (see :mod:`.base`); ``S2Source`` is Semantic
Scholar over HTTP, ``CorpusSource`` a local DuckDB corpus, ``PreparedSource`` a
corpus prepared by ``citegraph prepare``, ``GraphSource`` an in-memory graph.
:func:`open_source` decides which one a session gets when none is given.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .base import FetchedPaper, Page, PaperSource, SourceLimits
from .s2 import S2Config, S2Source

__all__ = ["FetchedPaper", "Page", "PaperSource", "S2Config", "S2Source", "SourceLimits", "open_source"]


@contextmanager
def open_source(*, corpus: str | Path | None = None, api_url: str | None = None, rate: float | None = None,
                timeout: float | None = None, max_wait: float | None = None,
                log: Callable[[str], None] | None = None) -> Iterator[PaperSource]:
    """The default source, open for the ``with`` block: the local ``corpus`` (read-only) when one is
    given, else the API source (Semantic Scholar) at ``api_url``, paced at ``rate`` requests/s, with
    ``timeout`` seconds per attempt and ``max_wait`` per request (each ``None``: from the environment,
    else the default; see :meth:`S2Source.from_settings`). ``log`` gets what must be seen (long waits)."""
    if corpus:
        from .prepared import open_corpus

        # a DuckDB corpus file (`citegraph import`), or a prepared corpus folder (`citegraph prepare`)
        opened, source = open_corpus(corpus)
        with opened:
            yield source
        return
    with S2Source.from_settings(api_url=api_url, rate=rate, timeout=timeout, max_wait=max_wait, log=log) as source:
        yield source
