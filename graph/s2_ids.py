"""Semantic Scholar's id forms that reach beyond its source: a corpus paper's id, S2's paper id as a
user writes it, and the paper ids in a semanticscholar.org link a user pastes as a seed.

A local corpus (S2 bulk datasets or citation CSVs, :mod:`graph.sources.corpus_import`) and the graphs
built from one name their papers ``CorpusId:N``, S2's own form for corpus ids: the same paper has one
id in a store whatever source fetched it, and such an id sent to the API is understood as it is.
"""

from __future__ import annotations

import re

CORPUS_ID_PREFIX = "CorpusId:"
_CORPUS_PAPER_ID = re.compile(r"corpusid:(\d+)", re.IGNORECASE)
_PAPER_SHA = re.compile(r"[0-9a-f]{40}", re.IGNORECASE)
_PAPER_SHA_IN_PATH = re.compile(r"/([0-9a-f]{40})(?:[/?#]|$)", re.IGNORECASE)
_CORPUS_ID_IN_PATH = re.compile(r"CorpusID:(\d+)", re.IGNORECASE)


def corpus_paper_id(n: int | str) -> str:
    """The paper id of corpus row ``n``.

    >>> corpus_paper_id(7)
    'CorpusId:7'
    """
    return f"{CORPUS_ID_PREFIX}{n}"


def corpus_number(paper_id: str) -> int | None:
    """The corpus row a :func:`corpus_paper_id` names, or ``None`` for any other id.

    >>> corpus_number("CorpusId:7"), corpus_number("204e3073870fae3d05bcbc2f6a8e263d9b72e776")
    (7, None)
    """
    m = _CORPUS_PAPER_ID.fullmatch(paper_id.strip())
    return int(m.group(1)) if m else None


def paper_sha(raw: str) -> str | None:
    """``raw`` as S2's own paper id (40 hexadecimal digits, lower-cased), or ``None`` if it is not one.

    >>> paper_sha("204E3073870FAE3D05BCBC2F6A8E263D9B72E776"), paper_sha("2205.14135")
    ('204e3073870fae3d05bcbc2f6a8e263d9b72e776', None)
    """
    return raw.lower() if _PAPER_SHA.fullmatch(raw) else None


def ids_in_link(host: str, path: str) -> tuple[str, str] | None:
    """The paper a semanticscholar.org link names, as (id kind, value) of :class:`graph.ids.PaperId`
    (``("s2", sha)`` or ``("corpus", n)``), or ``None`` for a link of another site or without an id.

    >>> ids_in_link("semanticscholar.org", "/paper/Attention/204e3073870fae3d05bcbc2f6a8e263d9b72e776")
    ('s2', '204e3073870fae3d05bcbc2f6a8e263d9b72e776')
    """
    if not host.endswith("semanticscholar.org"):
        return None
    m = _PAPER_SHA_IN_PATH.search(path)
    if m:
        return "s2", m.group(1).lower()
    m = _CORPUS_ID_IN_PATH.search(path)
    if m:
        return "corpus", m.group(1)
    return None
