"""A local corpus (graph.corpus.Corpus) as a paper source: same interface as S2, no network.

Papers are identified as ``CorpusId:N``. Lookups and neighbourhoods are set-based
SQL over the whole batch (thousands of ids per query), so expansion reads only
the k-hop neighbourhood it needs.
"""

from __future__ import annotations

import re
import time
from typing import Iterable, Iterator

from ..corpus import Corpus
from ..ids import normalise_identifier, normalise_title
from ..model import CitationEdge, PaperRecord
from .base import FetchedPaper, Page

_COLUMNS = ("corpusid, sha, title, year, venue, authors, arxiv, doi, citationcount, referencecount, "
            "influentialcitationcount, publicationdate")


def corpus_id(n: int) -> str:
    return f"CorpusId:{n}"


def _number(paper_id: str) -> int | None:
    m = re.fullmatch(r"corpusid:(\d+)", paper_id.strip(), re.IGNORECASE)
    return int(m.group(1)) if m else None


class CorpusSource:
    """Expansion's source interface over a DuckDB corpus."""

    name = "corpus"
    batch_limit = 200_000  # SQL takes big batches; S2's 500 is an HTTP limit
    cheap_citations = True  # the citers of many papers are one query: coupling is on by default

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.label = f"the corpus {corpus.path.name}"
        self._citations: dict[str, list[CitationEdge]] = {}
        self.queries = 0

    def _sql(self, sql: str, params: list | None = None) -> list:
        self.queries += 1
        return self.corpus._run(sql, params)

    # -- resolving ids ---------------------------------------------------------
    def _resolve(self, ids: list[str]) -> list[int | None]:
        """Corpus ids for S2-style ids (CorpusId:N, ARXIV:x, DOI:x, 40-hex sha)."""
        import pyarrow as pa

        kinds: dict[str, list[tuple[int, str]]] = {"corpus": [], "arxiv": [], "doi": [], "sha": []}
        out: list[int | None] = [None] * len(ids)
        for pos, raw in enumerate(ids):
            n = _number(raw)
            if n is not None:
                out[pos] = n
                kinds["corpus"].append((pos, str(n)))
                continue
            kind, _, value = raw.partition(":")
            try:
                pid = normalise_identifier(raw if kind.upper() not in ("ARXIV", "DOI") else value,
                                           allow_title=False)
            except Exception:
                continue
            if pid.kind in ("arxiv", "doi"):
                kinds[pid.kind].append((pos, pid.value))
            elif pid.kind == "s2":
                kinds["sha"].append((pos, pid.value))
        lookups = {"arxiv": "SELECT q.pos, p.corpusid FROM q JOIN papers p ON p.arxiv = q.value",
                   "doi": "SELECT q.pos, p.corpusid FROM q JOIN papers p ON p.doi = q.value",
                   "sha": "SELECT q.pos, coalesce(p.corpusid, i.corpusid) FROM q LEFT JOIN papers p ON p.sha = q.value "
                          "LEFT JOIN paper_ids i ON i.sha = q.value"}
        for kind, sql in lookups.items():
            if kinds[kind]:
                q = pa.table({"pos": [p for p, _ in kinds[kind]], "value": [v for _, v in kinds[kind]]})
                self.corpus.db.register("q", q)
                for pos, n in self._sql(sql):
                    if n is not None and out[pos] is None:
                        out[pos] = int(n)
                self.corpus.db.unregister("q")
        return out

    # -- the PaperSource interface ---------------------------------------------------
    def fetch_papers(self, ids: list[str], *, with_references: bool) -> list[FetchedPaper | None]:
        import pyarrow as pa

        numbers = self._resolve(ids)
        wanted = sorted({n for n in numbers if n is not None})
        if not wanted:
            return [None] * len(ids)
        self.corpus.db.register("w", pa.table({"n": pa.array(wanted, pa.int64())}))
        try:
            rows = self._sql(f"""
                SELECT {', '.join('p.' + c.strip() for c in _COLUMNS.split(','))}, a.abstract, t.text
                FROM w JOIN papers p ON p.corpusid = w.n
                LEFT JOIN abstracts a ON a.corpusid = p.corpusid LEFT JOIN tldrs t ON t.corpusid = p.corpusid""")
            refs: dict[int, list[int]] = {}
            if with_references:
                for citing, cited in self._sql("SELECT c.citing, c.cited FROM w JOIN citations c ON c.citing = w.n"):
                    refs.setdefault(citing, []).append(cited)
        finally:
            self.corpus.db.unregister("w")
        now = time.time()
        found: dict[int, FetchedPaper] = {}
        for r in rows:
            (n, sha, title, year, venue, authors, arxiv, doi, cites, nrefs, infl, date, abstract, tldr) = r
            if n in found:
                continue
            record = PaperRecord(corpus_id(n), title=title, year=year, venue=venue, authors=list(authors or []),
                                 corpus_id=n, arxiv_id=arxiv, doi=doi, citation_count=cites, reference_count=nrefs,
                                 influential_citation_count=infl, abstract=abstract, tldr=tldr,
                                 publication_date=date, source="corpus:s2" if sha else "corpus", fetched_at=now)
            found[n] = FetchedPaper(record, [corpus_id(c) for c in sorted(refs.get(n, []))] if with_references
                                    else None)
        return [found.get(n) if n is not None else None for n in numbers]

    def match_title(self, title: str) -> PaperRecord | None:
        norm = normalise_title(title)
        rows = self._sql("SELECT corpusid FROM papers WHERE norm_title = ? ORDER BY citationcount DESC NULLS LAST "
                         "LIMIT 1", [norm])
        if not rows:
            rows = self._sql("SELECT corpusid FROM papers WHERE jaro_winkler_similarity(norm_title, ?) >= 0.93 "
                             "ORDER BY jaro_winkler_similarity(norm_title, ?) DESC LIMIT 1", [norm, norm])
        if not rows:
            return None
        got = self.fetch_papers([corpus_id(rows[0][0])], with_references=False)[0]
        return got.record if got else None

    def prefetch_citations(self, paper_ids: Iterable[str], limit: int) -> None:
        """List the citations of many papers in one query (expansion calls this first)."""
        import pyarrow as pa

        numbers = sorted({n for n in map(_number, paper_ids) if n is not None})
        for n in numbers:
            self._citations[corpus_id(n)] = []
        if not numbers:
            return
        self.corpus.db.register("w", pa.table({"n": pa.array(numbers, pa.int64())}))
        try:
            rows = self._sql(f"""
                SELECT cited, citing, isinfluential, intents, contexts FROM (
                    SELECT c.*, row_number() OVER (PARTITION BY c.cited ORDER BY c.citing) AS rn
                    FROM w JOIN citations c ON c.cited = w.n)
                WHERE rn <= {int(limit)} ORDER BY cited, citing""")
        finally:
            self.corpus.db.unregister("w")
        for cited, citing, infl, intents, contexts in rows:
            self._citations[corpus_id(cited)].append(CitationEdge(
                corpus_id(citing), corpus_id(cited), infl, tuple(intents) if intents is not None else None,
                tuple(contexts) if contexts is not None else None))

    def iter_citations(self, paper_id: str, limit: int, start: int = 0) -> Iterator[Page]:
        if paper_id not in self._citations:
            self.prefetch_citations([paper_id], limit)
        edges = self._citations.pop(paper_id, [])[start:limit]
        yield Page(edges, start + len(edges))

    def iter_references(self, paper_id: str, limit: int, start: int = 0) -> Iterator[Page]:
        got = self.fetch_papers([paper_id], with_references=True)[0]
        edges = [CitationEdge(paper_id, r) for r in (got.reference_ids or [])[start:limit]] if got else []
        yield Page(edges, start + len(edges))
