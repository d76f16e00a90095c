"""Paper sources: where papers and citation edges come from."""

from .base import FetchedPaper, PaperSource
from .s2 import S2Config, S2Source

__all__ = ["FetchedPaper", "PaperSource", "S2Config", "S2Source"]
