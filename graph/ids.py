"""Paper identifiers: the one place where user-written IDs are normalised.

>>> normalise_identifier("https://arxiv.org/pdf/1706.03762v7.pdf")
PaperId(kind='arxiv', value='1706.03762')
>>> alias_key(normalise_identifier("arXiv:1706.03762"))
'arxiv:1706.03762'

Each source turns a :class:`PaperId` into its own request syntax (Semantic Scholar's lives in
:mod:`graph.sources.s2`); this module only reads what users write (the ids in a Semantic Scholar
link: :mod:`graph.s2_ids`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .errors import SeedError
from .s2_ids import ids_in_link, paper_sha

# kinds a source resolves by identifier (the others: a title match, or not at all)
ID_KINDS = ("s2", "corpus", "arxiv", "doi")

_NEW_ARXIV = r"\d{4}\.\d{4,5}"
_OLD_ARXIV = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_RE = re.compile(rf"^(?P<id>{_NEW_ARXIV}|{_OLD_ARXIV})(?:v\d+)?$")
_ARXIV_PREFIX_RE = re.compile(r"^arxiv\s*:\s*", re.IGNORECASE)
_DOI_RE = re.compile(r"^(?:doi\s*:\s*)?(?P<doi>10\.\d{4,9}/\S+)$", re.IGNORECASE)
_ARXIV_DOI_RE = re.compile(rf"^10\.48550/arxiv\.(?P<id>{_NEW_ARXIV}|{_OLD_ARXIV})(?:v\d+)?$", re.IGNORECASE)
_CORPUS_RE = re.compile(r"^corpus_?id\s*:\s*(?P<n>\d+)$", re.IGNORECASE)
_URL_RE = re.compile(r"^https?://", re.IGNORECASE)
# no title is this long; an identifier this long is a mistake (a whole file pasted) and would be sent as is
MAX_IDENTIFIER_BYTES = 64 * 1024


@dataclass(frozen=True, order=True)
class PaperId:
    """A normalised paper identifier.

    kind is one of ``s2`` (a 40-hex paper id), ``corpus`` (a corpus id number), ``arxiv``,
    ``doi``, ``url`` (a web page that is no paper ID) or ``title``.
    """

    kind: str
    value: str

    @property
    def resolvable_by_id(self) -> bool:
        return self.kind in ID_KINDS

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def normalise_title(title: str) -> str:
    """Case- and punctuation-insensitive form of a title, used as a cache key.

    >>> normalise_title("  Attention Is All You Need! ")
    'attention is all you need'
    """
    words = re.findall(r"\w+", title.casefold())
    return " ".join(words)


# the store's alias keys name each id kind so; stores written before the source interface used these
# exact strings, so they must not change (a changed key would be a cache miss for every stored seed)
_ALIAS_PREFIX = {"arxiv": "arxiv:", "doi": "doi:", "corpus": "corpusid:", "s2": ""}


def alias_key(pid: PaperId, year_hint: int | None = None) -> str:
    """The key under which the store remembers what ``pid`` resolved to: the kind and value in
    lower case (``arxiv:1706.03762``, ``doi:10.1145/x``, ``corpusid:13756489``, a 40-hex id as
    is), or ``title:`` and the normalised title, with the year hint that chose among papers of
    that title. :class:`SeedError` for a ``url``, which is not resolved at all.

    >>> alias_key(PaperId("title", "Attention Is All You Need!"))
    'title:attention is all you need'
    >>> alias_key(PaperId("title", "Attention Is All You Need!"), 2017)
    'title:attention is all you need (2017)'
    """
    if pid.kind == "title":
        return "title:" + normalise_title(pid.value) + ("" if year_hint is None else f" ({int(year_hint)})")
    if pid.kind not in _ALIAS_PREFIX:
        raise SeedError(f"{pid} is not a paper ID; resolve it by title instead")
    return (_ALIAS_PREFIX[pid.kind] + pid.value).lower()


def _from_url(text: str) -> PaperId:
    parts = urlsplit(text.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = unquote(parts.path)
    if host in {"arxiv.org", "export.arxiv.org"}:
        m = re.match(r"^/(?:abs|pdf|html)/(?P<id>.+?)(?:\.pdf)?/?$", path)
        if m and _ARXIV_RE.match(m.group("id")):
            return PaperId("arxiv", _ARXIV_RE.match(m.group("id")).group("id"))
    if host in {"doi.org", "dx.doi.org"} and _DOI_RE.match(path.lstrip("/")):
        return _from_doi(path.lstrip("/"))
    linked = ids_in_link(host, path)  # a paper page of a source's site
    if linked:
        return PaperId(*linked)
    return PaperId("url", text.strip())


def _from_doi(doi: str) -> PaperId:
    doi = doi.strip().rstrip(".")
    m = _ARXIV_DOI_RE.match(doi)
    if m:
        return PaperId("arxiv", m.group("id"))
    return PaperId("doi", doi.lower())


_TRAILING = ".,;:"  # sentence punctuation that may follow an identifier


def _identifier(raw: str) -> PaperId | None:
    """``raw`` as a paper identifier of any kind (an URL included), or ``None``."""
    if _URL_RE.match(raw):
        return _from_url(raw)
    bare = _ARXIV_PREFIX_RE.sub("", raw)
    m = _ARXIV_RE.match(bare)
    if m:
        return PaperId("arxiv", m.group("id"))
    m = _DOI_RE.match(raw)
    if m:
        return _from_doi(m.group("doi"))
    sha = paper_sha(raw)
    if sha:
        return PaperId("s2", sha)
    m = _CORPUS_RE.match(raw)
    if m:
        return PaperId("corpus", str(int(m.group("n"))))
    return None


def normalise_identifier(text: str, *, allow_title: bool = True) -> PaperId:
    """Turn any identifier a user may write into a :class:`PaperId`.

    Accepts arXiv IDs (with or without version or ``arXiv:`` prefix, new and old
    style), DOIs (bare, ``doi:``, doi.org URLs; arXiv DOIs become arXiv IDs), S2
    paper IDs, ``CorpusId:N``, Semantic Scholar / arXiv URLs, other URLs, and --
    when ``allow_title`` -- anything else as a title.

    >>> normalise_identifier("CorpusId:13756489")
    PaperId(kind='corpus', value='13756489')
    >>> normalise_identifier("10.1145/3127479.3129250")
    PaperId(kind='doi', value='10.1145/3127479.3129250')

    Sentence punctuation after an identifier goes, for every kind alike:

    >>> [str(normalise_identifier(t)) for t in ("2205.14135.", "arXiv:2205.14135.", "10.18653/v1/N19-1423.")]
    ['arxiv:2205.14135', 'arxiv:2205.14135', 'doi:10.18653/v1/n19-1423']
    """
    raw = text.strip()
    if not raw:
        raise SeedError("empty identifier: write an arXiv ID, DOI, S2 ID, URL or title")
    size = len(raw.encode("utf-8", "surrogatepass"))
    if size > MAX_IDENTIFIER_BYTES:
        raise SeedError(f"an identifier or title of {size / 1024:,.0f} KiB starting {raw[:40]!r}; one is at most "
                        f"{MAX_IDENTIFIER_BYTES // 1024} KiB (is a file's content on the command line?)")
    # a sentence's punctuation after an identifier ("see 2205.14135.") is no part of it, whatever its kind;
    # a title keeps its own ("Is attention all you need?")
    trimmed = raw.rstrip(_TRAILING).rstrip()
    pid = _identifier(trimmed) if trimmed and trimmed != raw else None
    if pid is None or pid.kind == "url":  # nothing is left of an identifier without them ("10.1000/:"): they are part of it
        pid = _identifier(raw)
    if pid is not None:
        return pid
    if _ARXIV_PREFIX_RE.match(raw):
        raise SeedError(f"{raw!r} has an arXiv: prefix but no valid arXiv ID after it")
    if not allow_title:
        raise SeedError(f"{raw!r} is not an arXiv ID, DOI, S2 paper ID, CorpusId or URL")
    if not normalise_title(raw):
        raise SeedError(f"{raw!r} has no letters or digits to match a title on")
    return PaperId("title", " ".join(raw.split()))


def arxiv_year(arxiv_id: str | None) -> int | None:
    """Publication year implied by a new-style arXiv ID (``YYMM.NNNNN``).

    >>> arxiv_year("1706.03762")
    2017
    """
    if not arxiv_id:
        return None
    m = re.match(r"^(\d{2})(\d{2})\.\d{4,5}", arxiv_id)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return 2000 + int(m.group(1))
