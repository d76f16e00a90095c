"""Paper sources: where papers and citation edges come from."""

from .base import FetchedPaper, Page, PaperSource
from .s2 import S2Config, S2Source

__all__ = ["FetchedPaper", "Page", "PaperSource", "S2Config", "S2Source"]
