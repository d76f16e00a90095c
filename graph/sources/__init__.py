"""Paper sources: where papers and citation edges come from.

Every source implements :class:`PaperSource` (see :mod:`.base`); ``S2Source`` is Semantic
Scholar over HTTP, ``CorpusSource`` a local DuckDB corpus, ``GraphSource`` an in-memory graph.
"""

from .base import FetchedPaper, Page, PaperSource, SourceLimits
from .s2 import S2Config, S2Source

__all__ = ["FetchedPaper", "Page", "PaperSource", "S2Config", "S2Source", "SourceLimits"]
