"""Which identifier values a record may carry: a DOI or arXiv ID that is one, never a placeholder.

Data files fill an unknown DOI with ``N/A``, ``none``, ``-``, ``0``, an empty string or a DOI
prefix alone (``10.1234/``). Such a value names no work: taken as an identifier it merges every
paper that carries it into one. Every boundary (S2 answers, CSV and S2 bulk imports, the version
grouping) keeps a value only if it has the syntax of the identifier, and counts what it dropped.
"""

from __future__ import annotations

import re
from typing import Any

# a DOI: "10.", a registrant code of 4 to 9 digits (sub-codes allowed), "/", a non-empty suffix
DOI_PATTERN = r"^10\.\d{4,9}(\.\d+)*/\S+$"
# an arXiv ID, new style (2101.00001) or old style (hep-th/9901001), with an optional version
ARXIV_PATTERN = r"^(\d{4}\.\d{4,5}|[a-z][a-z\-]*(\.[A-Za-z]{2})?/\d{7})(v\d+)?$"
_DOI_RE = re.compile(DOI_PATTERN)
_ARXIV_RE = re.compile(ARXIV_PATTERN)


def record_doi(value: Any) -> str | None:
    """``value`` lower-cased if it is a DOI, else ``None`` (a placeholder or junk names no work).

    >>> record_doi(" 10.1145/3065386 "), record_doi("N/A"), record_doi("10.1234/"), record_doi("0")
    ('10.1145/3065386', None, None, None)
    """
    if not isinstance(value, str):
        return None
    doi = value.strip().lower()
    return doi if _DOI_RE.match(doi) else None


def record_arxiv(value: Any) -> str | None:
    """``value`` if it is an arXiv ID (version kept), else ``None``.

    >>> record_arxiv("1706.03762v5"), record_arxiv("none"), record_arxiv("-")
    ('1706.03762v5', None, None)
    """
    if not isinstance(value, str):
        return None
    arxiv = value.strip()
    return arxiv if _ARXIV_RE.match(arxiv) else None
