"""A prepared corpus (the Parquet folder ``citegraph prepare`` writes) read in place with DuckDB.

No copy and no Spark: each table :class:`graph.sources.corpus.CorpusSource` queries is a view
over the Parquet files, so maps, related papers, rankings and ``serve`` use a prepared corpus
as they use an imported one. Its papers are works (versions merged corpus-wide); an id of a
merged-away version resolves to its work, and the whole-corpus scores (PageRank, field
percentile, recent citations) become attributes of the map's nodes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import networkx as nx

from .corpus_db import CorpusDatabase, check_memory_limit
from ..errors import CitegraphError, StoreCorruptError
from ..ids import PaperId
from ..s2_ids import corpus_number
from .corpus import CorpusSource

MANIFEST = "citegraph-prepared.json"  # graph.prepare.job writes it last: its presence means complete
PREPARED_FORMAT = 1
# the whole-corpus scores carried to the map's nodes: {node attribute: column of works}
SCORES = {"corpus_pagerank": "corpus_pagerank", "corpus_percentile": "field_percentile",
          "corpus_citations": "corpus_citations", "citations_2y": "citations_2y", "citations_3y": "citations_3y",
          "corpus_momentum": "momentum", "field": "field"}
_EMPTY = {
    "abstracts": "NULL::BIGINT AS corpusid, NULL::VARCHAR AS abstract",
    "tldrs": "NULL::BIGINT AS corpusid, NULL::VARCHAR AS text",
    "paper_ids": 'NULL::VARCHAR AS sha, NULL::BIGINT AS corpusid, NULL::BOOLEAN AS "primary"',
    "aliases": "NULL::BIGINT AS corpusid, NULL::BIGINT AS work, NULL::BIGINT AS place",
}


def is_prepared(path: str | Path) -> bool:
    """Whether ``path`` is a folder holding a complete prepared corpus."""
    return (Path(path) / MANIFEST).is_file()


class PreparedCorpus(CorpusDatabase):
    """A prepared corpus opened read-only: DuckDB views ``papers`` (the works), ``citations``,
    ``abstracts``, ``tldrs``, ``paper_ids`` and ``aliases`` over its Parquet files."""

    def __init__(self, path: str | Path, *, memory_limit: str = "2GB") -> None:
        try:
            import duckdb
        except ImportError as exc:
            raise CitegraphError("reading a prepared corpus needs DuckDB: pip install 'citegraph[corpus]'") from exc
        self.path = Path(path)
        manifest = self.path / MANIFEST
        if not manifest.is_file():
            raise CitegraphError(f"{self.path} is not a prepared corpus (no {MANIFEST}; an interrupted "
                                 "`citegraph prepare` leaves none): run `citegraph prepare` again")
        try:
            self.manifest = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreCorruptError(f"{manifest} cannot be read ({exc}); run `citegraph prepare` again") from None
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != PREPARED_FORMAT:
            raise StoreCorruptError(f"{self.path} is a prepared corpus of another format; prepare it again "
                                    "with this citegraph")
        self.memory_limit = check_memory_limit(memory_limit)
        self.db = self._connect(":memory:")
        self._run(f"SET memory_limit='{self.memory_limit}'")
        try:
            for view, folder in (("papers", "works"), ("citations", "citations"), ("abstracts", "abstracts"),
                                 ("tldrs", "tldrs"), ("paper_ids", "paper_ids"), ("aliases", "aliases")):
                files = sorted((self.path / folder).rglob("*.parquet")) if (self.path / folder).is_dir() else []
                if files:
                    glob = str(self.path / folder).replace("'", "''") + "/**/*.parquet"
                    self._run(f"CREATE VIEW {view} AS SELECT * FROM read_parquet('{glob}', hive_partitioning=true)")
                elif view in _EMPTY:
                    self._run(f"CREATE VIEW {view} AS SELECT {_EMPTY[view]} WHERE false")
                else:
                    raise StoreCorruptError(f"{self.path} has no {folder}/ Parquet files; run `citegraph prepare` "
                                            "again")
        except duckdb.Error as exc:
            raise StoreCorruptError(f"{self.path} holds Parquet files DuckDB cannot read "
                                    f"({str(exc).splitlines()[0]}); run `citegraph prepare` again") from None


class PreparedSource(CorpusSource):
    """:class:`CorpusSource` over a prepared corpus: the same SQL, ids of merged-away versions
    resolved to their work, and the whole-corpus scores put on the map's nodes (:meth:`annotate`)."""

    name = "prepared"

    def __init__(self, corpus: PreparedCorpus) -> None:
        super().__init__(corpus)  # type: ignore[arg-type]  (the same tables, as views)
        self.label = f"the prepared corpus {corpus.path.name}"

    def _resolve(self, ids: Sequence[PaperId | str]) -> list[int | None]:
        import pyarrow as pa

        numbers = super()._resolve(ids)
        asked = sorted({n for n in numbers if n is not None})
        if not asked:
            return numbers
        self.corpus.db.register("q", pa.table({"n": pa.array(asked, pa.int64())}))
        try:
            work = dict(self._sql("SELECT a.corpusid, a.work FROM q JOIN aliases a ON a.corpusid = q.n "
                                  "WHERE a.work <> a.corpusid"))
        finally:
            self.corpus.db.unregister("q")
        return [work.get(n, n) if n is not None else None for n in numbers]

    def annotate(self, G: nx.DiGraph) -> None:
        """Put each node's whole-corpus scores (:data:`SCORES`) on ``G``'s nodes."""
        import pyarrow as pa

        G.graph["corpus_works"] = (self.corpus.manifest.get("counts") or {}).get("works")
        numbers = {n: corpus_number(str(n)) for n in G}
        wanted = sorted({v for v in numbers.values() if v is not None})
        if not wanted:
            return
        self.corpus.db.register("w", pa.table({"n": pa.array(wanted, pa.int64())}))
        try:
            cols = ", ".join(f"p.{c}" for c in SCORES.values())
            rows = self._sql(f"SELECT p.corpusid, {cols} FROM w JOIN papers p ON p.corpusid = w.n")
        finally:
            self.corpus.db.unregister("w")
        by_number = {r[0]: dict(zip(SCORES, r[1:])) for r in rows}
        for node, n in numbers.items():
            if n in by_number:
                G.nodes[node].update(by_number[n])


def open_corpus(path: str | Path):
    """The source of a ``--corpus`` path, opened for reading: a prepared corpus (a folder) or a
    DuckDB corpus (a file). Returns (the corpus to close, the source)."""
    if Path(path).is_dir():
        corpus = PreparedCorpus(path)
        return corpus, PreparedSource(corpus)
    from .corpus_import import Corpus

    corpus = Corpus(path, read_only=True)
    return corpus, CorpusSource(corpus)


__all__ = ["PreparedCorpus", "PreparedSource", "is_prepared", "open_corpus"]
