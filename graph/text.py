"""Display text: paper titles as people read them, while exports keep the source's raw text.

Titles from Semantic Scholar and arXiv carry LaTeX (``$O(n^2)$``, ``\\textbf{}``) and
doubled spaces or line breaks. :func:`display_title` turns them into plain text for the
map, the terminal tables and the reading order; CSV, BibTeX, GraphML and JSON exports
keep the title as the source gave it.
"""

from __future__ import annotations

import re
from functools import lru_cache

# only text that looks like LaTeX goes through the converter: "$…$" or a backslash command
_LATEX = re.compile(r"\$[^$]+\$|\\[A-Za-z]+|\\[\"'`^~=.]|[{}]")
_UNESCAPED = re.compile(r"(?<!\\)([%&#])")


@lru_cache(maxsize=1)
def _converter():
    # imported on first use: the CLI's startup must stay light
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def display_title(text: str | None) -> str | None:
    """A title as people read it: LaTeX turned into text, whitespace collapsed.

    >>> display_title("Attention  with $O(n^2)$ cost\\n and \\\\textbf{more}")
    'Attention with O(n^2) cost and more'
    >>> display_title("Q&A: 50% faster $\\\\alpha$-tuning")
    'Q&A: 50% faster α-tuning'
    >>> display_title(None) is None
    True
    """
    if text is None:
        return None
    text = str(text)
    if _LATEX.search(text):
        # in a title "%" and "&" are text, not a LaTeX comment or an alignment tab
        try:
            text = _converter().latex_to_text(_UNESCAPED.sub(r"\\\1", text))
        except Exception:  # noqa: BLE001  (an unparseable title is shown as it is, never lost)
            pass
    return " ".join(text.split())


def plural(n: int, noun: str) -> str:
    """``1 batch request``, ``2 batch requests``.

    >>> plural(1, "batch request"), plural(3, "seed")
    ('1 batch request', '3 seeds')
    """
    return f"{n} {noun}" + ("" if n == 1 else "s")
