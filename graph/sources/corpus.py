"""A local corpus (graph.sources.corpus_import.Corpus) as a paper source: the same interface as the API, no network.

Papers are identified as ``CorpusId:N``. Seeds arrive as :class:`graph.ids.PaperId` and are
looked up by their kind (corpus number, arXiv ID, DOI, 40-hex paper sha) with SQL. Lookups and
neighbourhoods are set-based SQL over the whole batch (thousands of ids per query), so
expansion reads only the k-hop neighbourhood it needs.
"""

from __future__ import annotations

import time
from typing import Iterable, Iterator, Sequence

from ..errors import Interrupted, SeedError
from ..ids import PaperId, normalise_identifier, normalise_title
from ..model import CitationEdge, PaperRecord
from ..s2_ids import corpus_number, corpus_paper_id
from .base import STOPPED, FetchedPaper, LocalSource, Page, SourceLimits
from .corpus_import import Corpus

_COLUMNS = ("corpusid, sha, title, year, venue, authors, arxiv, doi, citationcount, referencecount, "
            "influentialcitationcount, publicationdate")


class CorpusSource(LocalSource):
    """Expansion's source interface over a DuckDB corpus."""

    name = "corpus"
    # SQL takes big batches and whole citation lists; the citers of many papers are one query,
    # so coupling is on by default; queries are not rate-limited, so plans do not count them
    limits = SourceLimits(batch_size=200_000, page_size=200_000, list_cap=None, metered=False,
                          cheap_citations=True)

    def __init__(self, corpus: Corpus) -> None:
        super().__init__()
        self.corpus = corpus
        self.label = f"the corpus {corpus.path.name}"
        self._citations: dict[str, list[CitationEdge]] = {}
        self.queries = 0
        self.invalid_ids: set[PaperId | str] = set()  # rows are checked on import: always empty

    def interrupt(self) -> None:
        """Stop the query under way (DuckDB interrupts it) and refuse new ones until :meth:`resume`;
        callable from any thread."""
        super().interrupt()
        self.corpus.db.interrupt()

    def truncation_note(self, listed: int, total: int) -> str:
        """A citation list that stopped short of ``total`` (no cap applies, so expansion never asks)."""
        return f"{listed} of {total} citations of it are in {self.label}"

    def _sql(self, sql: str, params: list | None = None) -> list:
        import duckdb

        self._check_interrupt()
        self.queries += 1
        try:
            return self.corpus._run(sql, params)
        except duckdb.InterruptException:
            raise Interrupted(STOPPED) from None

    # -- resolving ids ---------------------------------------------------------
    def _resolve(self, ids: Sequence[PaperId | str]) -> list[int | None]:
        """Corpus numbers for seeds (by kind: corpus number, arXiv ID, DOI, 40-hex sha) and for
        paper ids this source returned (``CorpusId:N``); ``None`` where no row matches."""
        import pyarrow as pa

        kinds: dict[str, list[tuple[int, str]]] = {"arxiv": [], "doi": [], "s2": []}
        out: list[int | None] = [None] * len(ids)
        for pos, asked in enumerate(ids):
            if isinstance(asked, str):
                n = corpus_number(asked)
                if n is not None:
                    out[pos] = n
                    continue
                try:  # not an id of ours: read it like a user-written id (a sha from a mixed store)
                    asked = normalise_identifier(asked, allow_title=False)
                except SeedError:
                    continue
            if asked.kind == "corpus":
                out[pos] = int(asked.value)
            elif asked.kind in kinds:
                kinds[asked.kind].append((pos, asked.value))
        lookups = {"arxiv": "SELECT q.pos, p.corpusid FROM q JOIN papers p ON p.arxiv = q.value",
                   "doi": "SELECT q.pos, p.corpusid FROM q JOIN papers p ON p.doi = q.value",
                   "s2": "SELECT q.pos, coalesce(p.corpusid, i.corpusid) FROM q LEFT JOIN papers p ON p.sha = q.value "
                         "LEFT JOIN paper_ids i ON i.sha = q.value"}
        for kind, sql in lookups.items():
            if kinds[kind]:
                q = pa.table({"pos": [p for p, _ in kinds[kind]], "value": [v for _, v in kinds[kind]]})
                self.corpus.db.register("q", q)
                try:
                    for pos, n in self._sql(sql):
                        if n is not None and out[pos] is None:
                            out[pos] = int(n)
                finally:
                    self.corpus.db.unregister("q")
        return out

    # -- the PaperSource interface ---------------------------------------------------
    def fetch_papers(self, ids: Sequence[PaperId | str], *, with_references: bool) -> list[FetchedPaper | None]:
        """Details (and reference lists) of the papers ``ids`` name, aligned with ``ids``; ``None``
        where the corpus has no such paper. Two queries for any number of ids (three with references)."""
        self._check_interrupt()
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
            record = PaperRecord(corpus_paper_id(n), title=title, year=year, venue=venue, authors=list(authors or []),
                                 corpus_id=n, arxiv_id=arxiv, doi=doi, citation_count=cites, reference_count=nrefs,
                                 influential_citation_count=infl, abstract=abstract, tldr=tldr,
                                 publication_date=date, source="corpus:s2" if sha else "corpus", fetched_at=now)
            found[n] = FetchedPaper(record, [corpus_paper_id(c) for c in sorted(refs.get(n, []))] if with_references
                                    else None)
        return [found.get(n) if n is not None else None for n in numbers]

    def match_title(self, title: str, year: int | None = None) -> PaperRecord | None:
        """The paper with this normalised title, else the closest (Jaro-Winkler >= 0.93); among
        equals, the one of ``year`` (the seed's hint), then the most cited."""
        self._check_interrupt()
        norm = normalise_title(title)
        # NULL for every row without a hint: the order is the one without it
        of_year = "(year = CAST(? AS INTEGER)) DESC NULLS LAST"
        rows = self._sql(f"SELECT corpusid FROM papers WHERE norm_title = ? ORDER BY {of_year}, "
                         "citationcount DESC NULLS LAST LIMIT 1", [norm, year])
        if not rows:
            rows = self._sql("SELECT corpusid FROM papers WHERE jaro_winkler_similarity(norm_title, ?) >= 0.93 "
                             f"ORDER BY jaro_winkler_similarity(norm_title, ?) DESC, {of_year} LIMIT 1",
                             [norm, norm, year])
        if not rows:
            return None
        got = self.fetch_papers([corpus_paper_id(rows[0][0])], with_references=False)[0]
        return got.record if got else None

    def prefetch_citations(self, paper_ids: Iterable[str], limit: int) -> None:
        """List the citations of many papers in one query (expansion calls this first)."""
        self._check_interrupt()
        import pyarrow as pa

        numbers = sorted({n for n in map(corpus_number, paper_ids) if n is not None})
        for n in numbers:
            self._citations[corpus_paper_id(n)] = []
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
            self._citations[corpus_paper_id(cited)].append(CitationEdge(
                corpus_paper_id(citing), corpus_paper_id(cited), infl, tuple(intents) if intents is not None else None,
                tuple(contexts) if contexts is not None else None))

    def iter_citations(self, paper_id: str, limit: int, start: int = 0) -> Iterator[Page]:
        """The citations of ``paper_id`` (prefetched, else one query) as one page."""
        self._check_interrupt()
        if paper_id not in self._citations:
            self.prefetch_citations([paper_id], limit)
        edges = self._citations.pop(paper_id, [])[start:limit]
        yield Page(edges, start + len(edges))
