"""Citation keys people use: ``vaswani2017attention``.

A key is the first author's surname, the year and the first significant word of the title,
in plain lower-case ASCII (transliterated with anyascii, so ``Müller`` gives ``muller`` and
``张伟`` gives ``zhangwei``). Where there is no author the title word leads (``attention2017``).
Papers whose keys would be equal get ``a``, ``b``, ``c``… in a stable order (year, title,
paper id), so the same graph gives the same keys on every run and no two entries share one:
BibTeX, biber, Zotero and bibtexparser drop or refuse duplicate keys.

>>> paper = {"authors": ["Ashish Vaswani", "Noam Shazeer"], "year": 2017, "title": "Attention Is All You Need"}
>>> citation_key_base(paper)
'vaswani2017attention'
>>> citation_key_base({"title": "The Case for Learned Index Structures", "year": 2018})
'case2018'
>>> citation_keys({"p1": paper, "p2": dict(paper), "p3": {"title": "On the Moon"}})
{'p1': 'vaswani2017attentiona', 'p2': 'vaswani2017attentionb', 'p3': 'moon'}
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Mapping

# words a title starting with them is not known by (English articles, prepositions, conjunctions)
STOP_WORDS = frozenset("""
a an the on of in for and or to with from at by as is are be its into via towards toward about
over under what why how when do does can we our your my this that these those not no
""".split())
_NOT_KEY = re.compile(r"[^a-z0-9]+")
_MATH = re.compile(r"\$[^$]*\$")
_WORD_SPLIT = re.compile(r"[\s\-_/:;,.!?()\[\]{}$\\^'\"]+")
PARTICLES = frozenset("van von der den de del della di da du le la dos das ter ten".split())


def _ascii(text: str) -> str:
    from anyascii import anyascii  # deferred: `import graph.cli` stays instant

    return anyascii(str(text))


def _word(text: str) -> str:
    return _NOT_KEY.sub("", _ascii(text).lower())


def surname(author: str) -> str:
    """The surname of an author as sources write names: ``Surname, Given`` or ``Given [particles] Surname``;
    particles (``van``, ``de``…) are kept with it. Empty when there is none.

    >>> surname("Ashish Vaswani"), surname("Vaswani, Ashish"), surname("Ludwig van Beethoven")
    ('vaswani', 'vaswani', 'vanbeethoven')
    """
    name = " ".join(str(author).split())
    if not name:
        return ""
    if "," in name:
        return _word(name.split(",", 1)[0])
    parts = name.split(" ")
    start = len(parts) - 1
    while start > 1 and parts[start - 1].lower() in PARTICLES:
        start -= 1
    return _word("".join(parts[start:])) or _word(name)


def title_word(title: str | None) -> str:
    """The first significant word of a title, as ASCII lower case ('' when there is none).

    >>> title_word("The $O(n^2)$ Transformer"), title_word("On the Moon"), title_word("")
    ('transformer', 'moon', '')
    """
    text = _MATH.sub(" ", title or "")  # $O(n^2)$ is not a word a key can be known by
    first = ""
    # the words are read up to the first significant one (a map's export keys 5,000 titles, three times), and
    # each is ASCII already: lower case and the key's characters are all that is left to do
    for w in _WORD_SPLIT.split(_ascii(text)):
        w = _NOT_KEY.sub("", w.lower())
        if w and w not in STOP_WORDS:
            return w
        first = first or w
    return first


def citation_key_base(paper: Mapping) -> str:
    """The key of one paper before it is made unique: surname + year + title word, or
    title word + year without an author; ``paper`` (+ year) without either."""
    authors = paper.get("authors") or []
    year, title = paper.get("year"), paper.get("title")
    try:
        return _key_base(tuple(map(str, authors)), year, title)
    except TypeError:  # a value that cannot be a cache key: computed as is
        return _key_base.__wrapped__(tuple(map(str, authors)), year, title)


# one map's export keys the graph's papers three times (BibTeX, RIS, CSL-JSON): the same inputs, once
@lru_cache(maxsize=1 << 15, typed=True)  # typed: a year of True is no year, and 2017.0 none either
def _key_base(authors: tuple, year, title) -> str:
    name = next((s for s in (surname(a) for a in authors) if s), "")
    year = str(year) if isinstance(year, int) and not isinstance(year, bool) else ""
    word = title_word(title)
    if name:
        key = f"{name}{year}{word}"
    elif word:
        key = f"{word}{year}"
    else:
        key = f"paper{year}"
    # a key must not start with a digit for some tools (a surname of digits is odd, but sources have them)
    return key if key[0].isalpha() else "p" + key


def _suffixes() -> Iterable[str]:
    """a, b, …, z, aa, ab, …"""
    letters = "abcdefghijklmnopqrstuvwxyz"
    for c in letters:
        yield c
    for first in letters:
        for second in letters:
            yield first + second
    n = 0
    while True:  # beyond 702 papers of one key: numbered (never seen, but keys must stay unique)
        n += 1
        yield f"x{n}"


def _order(item: tuple[str, Mapping]) -> tuple:
    pid, paper = item
    year = paper.get("year")
    year = year if isinstance(year, int) and not isinstance(year, bool) else 10**6
    return (year, " ".join(str(paper.get("title") or "").lower().split()), str(pid))


def citation_keys(papers: Mapping[str, Mapping]) -> dict[str, str]:
    """A unique key for every paper of ``papers`` (paper id -> attributes), the same on every run
    for the same papers: papers sharing a base key get a/b/c… in order of year, title and paper id,
    skipping any key another paper already has."""
    by_base: dict[str, list[tuple[str, Mapping]]] = {}
    for pid, paper in papers.items():
        by_base.setdefault(citation_key_base(paper), []).append((pid, paper))
    taken = {base for base, group in by_base.items() if len(group) == 1}
    keys: dict[str, str] = {}
    for base in sorted(by_base):
        group = by_base[base]
        if len(group) == 1:
            keys[group[0][0]] = base
            continue
        suffixes = _suffixes()
        for pid, _ in sorted(group, key=_order):
            key = base + next(suffixes)
            while key in taken:
                key = base + next(suffixes)
            taken.add(key)
            keys[pid] = key
    return {pid: keys[pid] for pid in papers}
