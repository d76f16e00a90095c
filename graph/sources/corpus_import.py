"""Local corpora: S2 bulk datasets or citation CSVs in a DuckDB database, and what their imports share.

DuckDB is embedded, reads gzipped JSON and CSV natively and works out of core,
so a corpus far larger than memory imports with bounded RSS and the k-hop
neighbourhood of a few seeds is selected in SQL; the full corpus is never
loaded into networkx. The loaders: :mod:`.s2_import` (Semantic Scholar's bulk datasets) and
:mod:`.csv_import` (a citation graph kept as CSV, :meth:`Corpus.import_csv`).

Example::

    with Corpus("arxiv.duckdb") as corpus:
        corpus.import_csv(["papers.csv"], "edges.csv")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..errors import CitegraphError, StoreCorruptError, StoreSchemaError
from .corpus_db import MAX_MEMORY_BYTES, MIN_MEMORY_BYTES, CorpusDatabase, check_memory_limit

__all__ = ["CHUNK_BYTES", "CORPUS_SCHEMA_VERSION", "MAX_BAD_REPORTED", "MAX_MEMORY_BYTES", "MIN_MEMORY_BYTES",
           "BadLine", "Corpus", "ImportReport", "check_memory_limit"]

CORPUS_SCHEMA_VERSION = 1
CHUNK_BYTES = 64 << 20  # JSON lines are parsed in DuckDB a block of about this many bytes at a time
MAX_BAD_REPORTED = 50

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS papers (
    corpusid BIGINT, sha VARCHAR, title VARCHAR, norm_title VARCHAR, year INTEGER, venue VARCHAR,
    authors VARCHAR[], arxiv VARCHAR, doi VARCHAR, citationcount INTEGER, referencecount INTEGER,
    influentialcitationcount INTEGER, publicationdate VARCHAR);
CREATE TABLE IF NOT EXISTS citations (
    citing BIGINT, cited BIGINT, isinfluential BOOLEAN, intents VARCHAR[], contexts VARCHAR[]);
CREATE TABLE IF NOT EXISTS abstracts (corpusid BIGINT, abstract VARCHAR);
CREATE TABLE IF NOT EXISTS tldrs (corpusid BIGINT, text VARCHAR);
CREATE TABLE IF NOT EXISTS paper_ids (sha VARCHAR, corpusid BIGINT, "primary" BOOLEAN);
CREATE TABLE IF NOT EXISTS shard_progress (
    digest VARCHAR, kind VARCHAR, file VARCHAR, lines BIGINT, complete BOOLEAN, PRIMARY KEY (digest, kind));
CREATE TABLE IF NOT EXISTS imports (
    file VARCHAR, digest VARCHAR, kind VARCHAR, rows BIGINT, bad BIGINT, seconds DOUBLE, loaded_at TIMESTAMP);
"""
# a title as the corpus matches it (graph.ids.normalise_title's rule, in SQL)
NORM_TITLE = "array_to_string(regexp_extract_all(lower({t}), '[\\pL\\pN_]+'), ' ')"


@dataclass
class BadLine:
    """A line of an input file that was not loaded, and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"

@dataclass
class ImportReport:
    """What one file's import did."""

    file: str
    kind: str
    rows: int = 0
    bad: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str | None = None
    already: str | None = None  # rows that were in the corpus already (the same data from another file)
    unmatched: int = 0  # citation rows with a null id on one side: normal in S2 data, not bad lines
    # for CSV imports: which column each field was read from (given, or recognised by name)
    columns: dict[str, str] = field(default_factory=dict)
    # data errors found and handled, each one line (placeholder DOIs dropped, identifiers that clash)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        """Rows loaded per second of the import (0 before any time has passed)."""
        return self.rows / self.seconds if self.seconds else 0.0


def _check_duckdb_file(path: Path) -> None:
    """Refuse a file that is not a DuckDB database before DuckDB guesses at it (it would look for a
    scanner extension to read a SQLite file, for one)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CitegraphError(f"cannot read the corpus {path} ({exc.strerror or exc})") from None
    if not head or head[8:12] == b"DUCK":
        return
    what = "an SQLite file (a citegraph store? pass it with --store)" if head.startswith(b"SQLite format 3") \
        else "not a DuckDB database"
    raise StoreCorruptError(f"{path} is not a readable DuckDB corpus: it is {what}; pass the corpus made by "
                            "`citegraph import` with --corpus")



class Corpus(CorpusDatabase):
    """A DuckDB database of papers and citations.

    ``memory_limit`` bounds DuckDB's own memory (it spills to disk beyond it).
    """

    def __init__(self, path: str | Path, *, memory_limit: str = "2GB", threads: int | None = None,
                 read_only: bool = False, block_bytes: int = CHUNK_BYTES) -> None:
        try:
            import duckdb  # noqa: F401  (here, to say what to install)
        except ImportError as exc:
            raise CitegraphError("local corpora need DuckDB: pip install 'citegraph[corpus]'") from exc
        self.path = Path(path)
        self.block_bytes = block_bytes
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise CitegraphError(f"no corpus at {self.path}; create it with `citegraph import s2` or `import csv`")
        memory_limit = check_memory_limit(memory_limit)
        if self.path.is_dir():
            raise CitegraphError(f"--corpus {self.path} is a folder; give the corpus database file")
        _check_duckdb_file(self.path)
        try:
            self.db = self._connect(str(self.path), read_only=read_only)
        except self._duckdb.Error as exc:
            text = str(exc)
            if "lock" in text.lower():
                raise CitegraphError(f"the corpus {self.path} is in use by another process ({text.splitlines()[0]}); "
                                     "wait for it to finish, then run again") from None
            if "permission" in text.lower() or "read-only" in text.lower():
                raise CitegraphError(f"cannot open the corpus {self.path} for writing ({text.splitlines()[0]}); "
                                     "check the permissions or pass another --corpus path") from None
            raise StoreCorruptError(f"{self.path} is not a readable DuckDB corpus ({text.splitlines()[0]}); "
                                    "pass another --corpus path") from None
        self.memory_limit = memory_limit
        self._refuse_foreign(read_only)
        self._run(f"SET memory_limit='{memory_limit}'")
        self._run("SET preserve_insertion_order=false")
        if threads:
            self._run(f"SET threads={int(threads)}")
        if not read_only:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._run(statement)
        self._check_version(read_only)

    def _refuse_foreign(self, read_only: bool) -> None:
        """A DuckDB database that holds tables but no citegraph ``meta`` row is another program's:
        refused before anything is created in it (and before a query names a table it lacks)."""
        tables = {t for (t,) in self._run("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'main'")}
        if not tables:
            if read_only:
                self.db.close()
                raise CitegraphError(f"{self.path} is an empty DuckDB database, not a corpus; import into it with "
                                     "`citegraph import s2` or `import csv` first")
            return
        ours = "meta" in tables and {c for (c,) in self._run(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'meta'")} >= {"key", "value"} \
            and self._one("SELECT count(*) FROM meta WHERE key = 'schema_version'")[0] > 0
        if not ours:
            self.db.close()
            raise StoreCorruptError(
                f"{self.path} is a DuckDB database of another program (tables {', '.join(sorted(tables)[:5])}), not "
                "a citegraph corpus; citegraph never writes into it: pass --corpus with the file made by "
                "`citegraph import`, or a new path to import into")

    def _check_version(self, read_only: bool) -> None:
        row = self._one("SELECT value FROM meta WHERE key = 'schema_version'")
        if row is None and not read_only:
            self._run("INSERT INTO meta VALUES ('schema_version', ?)", [str(CORPUS_SCHEMA_VERSION)])
        elif row is not None and row[0] != str(CORPUS_SCHEMA_VERSION):
            raise StoreSchemaError(f"{self.path} is a corpus of schema {row[0]}, this citegraph reads "
                                   f"{CORPUS_SCHEMA_VERSION}; import the data again into a new file")

    def import_csv(self, papers: Sequence[str | Path], edges: str | Path, **columns: str | None) -> ImportReport:
        """Load a citation graph kept as CSV (plain or gzipped): see :func:`graph.sources.csv_import.import_csv`
        for the files and the ``*_column`` options."""
        from .csv_import import import_csv

        return import_csv(self, papers, edges, **columns)
