"""Semantic Scholar's JSON turned into citegraph records, validated at the source boundary.

Every paper object, reference list and citation row the API sends passes through here before
it is handed on: types, ranges and sizes are checked with :class:`graph.model.FieldValidator`,
over-long text is cut and wrong values are dropped (each with a warning), and an object that
cannot be a paper at all raises :class:`graph.errors.InvalidRecord`.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidRecord
from ..identifiers import record_arxiv, record_doi
from ..ids import arxiv_year
from ..model import (MAX_ABSTRACT, MAX_CORPUS_ID, MAX_TITLE, MAX_TLDR, MAX_VENUE,
                     CitationEdge, FieldValidator, PaperRecord, show_value)
from .base import FetchedPaper

NESTED_LIST_CAP = 1000  # S2 nests at most this many references in a batch answer
MAX_CONTEXTS = 50  # citation contexts kept per edge
MAX_CONTEXT_CHARS = 2_000


def check_s2_paper(data: Any, *, source: str, fetched_at: float,
                   warnings: list[str] | None = None) -> PaperRecord:
    """Validate a Semantic Scholar paper object at the source boundary: types, ranges and
    sizes of every field. Over-long text is cut and wrong values are dropped, each with a line
    in ``warnings``; the rest of the record is kept. :class:`InvalidRecord` when it has no
    usable ``paperId`` (then nothing of it may be stored).

    >>> w = []
    >>> rec = check_s2_paper({"paperId": "ab" * 20, "citationCount": "lots", "year": "abc"}, source="s2",
    ...                      fetched_at=0, warnings=w)
    >>> rec.citation_count, rec.year, len(w)
    (None, None, 2)
    """
    if not isinstance(data, dict):
        raise InvalidRecord(f"a paper must be a JSON object, got {show_value(data)}")
    pid = data.get("paperId")
    if not good_id(pid):
        raise InvalidRecord(f"paperId {show_value(pid)} is not a paper id (40 hexadecimal digits)")
    v = FieldValidator(pid, warnings)
    ext = data.get("externalIds")
    if ext is not None and not isinstance(ext, dict):
        ext = v.bad("externalIds", ext)
    ext = ext or {}
    tldr = data.get("tldr")
    tldr_text = tldr.get("text") if isinstance(tldr, dict) else (None if tldr is None else v.bad("tldr", tldr))
    venue = data.get("venue")
    if not venue:
        pv = data.get("publicationVenue")
        venue = pv.get("name") if isinstance(pv, dict) else None
    arxiv = _identifier(v, "externalIds.ArXiv", ext.get("ArXiv"), record_arxiv, "an arXiv ID")
    doi = _identifier(v, "externalIds.DOI", ext.get("DOI"), record_doi, "a DOI")
    year = v.year("year", data.get("year"))
    corpus = data.get("corpusId")
    return PaperRecord(
        paper_id=pid,
        title=v.text("title", data.get("title"), MAX_TITLE),
        year=year if year is not None else arxiv_year(arxiv),
        venue=v.text("venue", venue, MAX_VENUE),
        authors=v.authors(data.get("authors")),
        corpus_id=(v.count("corpusId", corpus, MAX_CORPUS_ID) if corpus is not None
                   else _int(ext.get("CorpusId"))),
        arxiv_id=arxiv,
        doi=doi.lower() if doi else None,
        citation_count=v.count("citationCount", data.get("citationCount")),
        reference_count=v.count("referenceCount", data.get("referenceCount")),
        influential_citation_count=v.count("influentialCitationCount", data.get("influentialCitationCount")),
        abstract=v.text("abstract", data.get("abstract"), MAX_ABSTRACT),
        tldr=v.text("tldr", tldr_text, MAX_TLDR),
        publication_date=v.date("publicationDate", data.get("publicationDate")),
        source=source,
        fetched_at=fetched_at,
    )


def _identifier(v: FieldValidator, name: str, value: Any, parse, what: str) -> str | None:
    """An identifier that is one; a placeholder (``N/A``, ``0``, a DOI prefix alone) is dropped with a
    warning, for taken as an identifier it would merge every paper that carries it."""
    value = v.ident(name, value)
    if value is None:
        return None
    parsed = parse(value)
    if parsed is None:
        v.note(f"{name} {show_value(value)} is not {what}; dropped")
    return parsed


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def fetched_from_s2(item: dict, fetched_at: float, warnings: list[str] | None = None) -> FetchedPaper:
    """A batch answer's paper, validated (:func:`check_s2_paper`), with its reference ids."""
    record = check_s2_paper(item, source="s2", fetched_at=fetched_at, warnings=warnings)
    refs = item.get("references")
    ref_ids = None
    truncated = None
    if refs is not None:
        if not isinstance(refs, list):
            if warnings is not None:
                warnings.append(f"paper {record.paper_id}: references is not a list; not stored")
            refs = None
        else:
            if len(refs) >= NESTED_LIST_CAP:
                truncated = f"Semantic Scholar returns at most {NESTED_LIST_CAP} nested references per paper"
            if len(refs) > NESTED_LIST_CAP:
                # more than S2 ever nests: a hostile or broken answer, cut so that it cannot flood the store
                if warnings is not None:
                    warnings.append(f"paper {record.paper_id}: {len(refs):,} references, more than the "
                                    f"{NESTED_LIST_CAP} S2 nests; the first {NESTED_LIST_CAP} kept")
                refs = refs[:NESTED_LIST_CAP]
            ref_ids = [r["paperId"] for r in refs if isinstance(r, dict) and good_id(r.get("paperId"))]
            odd = [r.get("paperId") for r in refs if isinstance(r, dict) and r.get("paperId") is not None
                   and not good_id(r.get("paperId"))]
            if odd and warnings is not None:  # a null paperId is a reference S2 did not match: normal
                warnings.append(f"paper {record.paper_id}: {len(odd)} references with a paperId that is not "
                                f"one (e.g. {show_value(odd[0])}); skipped")
    return FetchedPaper(record, ref_ids, truncated)


def good_id(value: Any) -> bool:
    """Whether ``value`` is a paper id as Semantic Scholar sends them: 40 hexadecimal digits (anything
    else, ``../x`` or ``<script>``, would reach file names and exports).

    >>> good_id("204e3073870fae3d05bcbc2f6a8e263d9b72e776"), good_id("../../etc/passwd")
    (True, False)
    """
    return isinstance(value, str) and _PAPER_ID.fullmatch(value) is not None


_PAPER_ID = re.compile(r"[0-9a-fA-F]{40}")


def answers_asked(record: PaperRecord, kind: str, value: str) -> bool:
    """Whether ``record`` is the paper asked for by an id of ``kind`` (``corpus`` or ``arxiv``; an S2
    paperId, a DOI or another kind cannot be checked and passes) and ``value``: a batch answer is paired
    with the ids asked by position only, so a row for another paper would otherwise alias it.

    >>> rec = PaperRecord(paper_id="ab" * 20, arxiv_id="1706.03762", source="s2", fetched_at=0)
    >>> answers_asked(rec, "arxiv", "1706.03762v2"), answers_asked(rec, "arxiv", "1706.03763")
    (True, False)
    """
    if kind in ("s2", "doi"):
        # not checked: S2 answers a merged paper's old paperId with the paper's current one (s2-folks #108,
        # #157), and a DOI may resolve to a paper that lists another of its DOIs; one paperId answering
        # for different papers of a batch is caught by S2Source._refuse_shared_ids
        return True
    if kind == "corpus":
        return record.corpus_id is not None and str(record.corpus_id) == value.strip()
    if kind == "arxiv":
        asked, got = record_arxiv(value), record.arxiv_id
        unversioned = lambda a: re.sub(r"v\d+$", "", a.lower())
        return got is not None and asked is not None and unversioned(got) == unversioned(asked)
    return True


def edge_from_s2(paper_id: str, raw: Any, warnings: list[str]) -> CitationEdge | None:
    """One validated edge of a page of ``paper_id``'s citations, or ``None`` for a row without a paper."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        warnings.append(f"a citations row of {paper_id} is not an object ({str(raw)[:40]!r}); skipped")
        return None
    other = raw.get("citingPaper") or {}
    citing = other.get("paperId") if isinstance(other, dict) else None
    if not citing:
        return None  # S2 lists citers it could not match to a paper, without an id
    if not good_id(citing):
        warnings.append(f"a citations row of {paper_id} has paperId {str(citing)[:40]!r}; skipped")
        return None
    influential = raw.get("isInfluential")
    if influential is not None and not isinstance(influential, bool):
        warnings.append(f"isInfluential {str(influential)[:20]!r} of {citing} -> {paper_id} is not true/false; dropped")
        influential = None
    return CitationEdge(citing, paper_id, influential, _texts(raw.get("intents"), warnings, "intents"),
                        _texts(raw.get("contexts"), warnings, "contexts"))


def _texts(value: Any, warnings: list[str], name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        warnings.append(f"{name} {str(value)[:30]!r} is not a list; dropped")
        return None
    out = tuple(v[:MAX_CONTEXT_CHARS] for v in value[:MAX_CONTEXTS] if isinstance(v, str))
    if len(out) != len(value):
        warnings.append(f"{name}: {len(value) - len(out)} entries dropped (not text, or over {MAX_CONTEXTS})")
    return out
