"""Local corpora: S2 bulk datasets or citation CSVs in a DuckDB database.

DuckDB is embedded, reads gzipped JSON and CSV natively and works out of core,
so a corpus far larger than memory imports with bounded RSS and the k-hop
neighbourhood of a few seeds is selected in SQL; the full corpus is never
loaded into networkx.

Example::

    with Corpus("s2.duckdb") as corpus:
        corpus.import_s2(["papers/", "citations/"])
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from ..errors import CitegraphError, StoreCorruptError, StoreSchemaError
from ..identifiers import DOI_PATTERN

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

# per dataset: the JSON structure to parse and the SELECT list that maps it to the table
_NORM = "array_to_string(regexp_extract_all(lower({t}), '[\\pL\\pN_]+'), ' ')"
DATASETS = {
    "papers": dict(
        structure={"corpusid": "BIGINT", "externalids": {"ArXiv": "VARCHAR", "DOI": "VARCHAR"}, "url": "VARCHAR",
                   "title": "VARCHAR", "authors": [{"name": "VARCHAR"}], "venue": "VARCHAR", "year": "INTEGER",
                   "referencecount": "INTEGER", "citationcount": "INTEGER", "influentialcitationcount": "INTEGER",
                   "publicationdate": "VARCHAR"},
        key="s.corpusid",
        select=("s.corpusid, regexp_extract(s.url, '([0-9a-f]{40})$', 1), s.title, " + _NORM.format(t="s.title")
                + ", s.year, nullif(s.venue, ''), list_transform(s.authors, lambda a: a.name), s.externalids.ArXiv, "
                "CASE WHEN regexp_matches(lower(trim(s.externalids.DOI)), '" + DOI_PATTERN + "') "
                "THEN lower(trim(s.externalids.DOI)) END, s.citationcount, s.referencecount, s.influentialcitationcount, "
                "s.publicationdate"),
        unique="corpusid"),
    "citations": dict(
        structure={"citingcorpusid": "BIGINT", "citedcorpusid": "BIGINT", "isinfluential": "BOOLEAN",
                   "intents": ["VARCHAR"], "contexts": ["VARCHAR"]},
        # NULL unless both ids are there (`citing IS NOT NULL AND cited` was false, not NULL, for a missing
        # citing id, and let rows without ids in)
        key="CASE WHEN s.citingcorpusid IS NOT NULL AND s.citedcorpusid IS NOT NULL THEN 1 END",
        # a row that has both id fields, one of them null: S2 lists references it did not match to a paper
        null_ok=("json_type(json_extract(line, '$.citingcorpusid')) IS NOT NULL AND "
                 "json_type(json_extract(line, '$.citedcorpusid')) IS NOT NULL AND "
                 "(json_type(json_extract(line, '$.citingcorpusid')) = 'NULL' OR "
                 "json_type(json_extract(line, '$.citedcorpusid')) = 'NULL')"),
        select="s.citingcorpusid, s.citedcorpusid, s.isinfluential, s.intents, s.contexts",
        unique=None,  # too many rows to check one by one: a shard loads once (by digest)
        missing="no citingcorpusid or citedcorpusid, or one that is not a number"),
    "abstracts": dict(structure={"corpusid": "BIGINT", "abstract": "VARCHAR"}, key="s.corpusid",
                      select="s.corpusid, s.abstract", unique="corpusid"),
    "tldrs": dict(structure={"corpusid": "BIGINT", "text": "VARCHAR"}, key="s.corpusid",
                  select="s.corpusid, s.text", unique="corpusid"),
    "paper_ids": dict(structure={"sha": "VARCHAR", "corpusid": "BIGINT", "primary": "BOOLEAN"}, key="s.sha",
                      select="s.sha, s.corpusid, s.primary", unique="sha"),
}
_KIND_BY_KEYS = [({"citingcorpusid"}, "citations"), ({"sha", "corpusid"}, "paper_ids"),
                 ({"abstract", "corpusid"}, "abstracts"), ({"model", "text", "corpusid"}, "tldrs"),
                 ({"corpusid", "title"}, "papers")]


@dataclass
class BadLine:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


# common names of a paper CSV's columns, by field; matched case-insensitively, first wins
CSV_COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "title": ("title", "titles", "paper_title"),
    "id": ("id", "paper_id", "paperid", "node_id"),
    "year": ("year", "publication_year", "pub_year"),
    "doi": ("doi",),
    "arxiv": ("arxiv_id", "arxivid", "arxiv", "eprint"),
}


def recognise_csv_columns(columns: Iterable[str]) -> dict[str, str]:
    """Map fields (title, id, year, doi, arxiv) to the columns that carry them, by common names.

    >>> recognise_csv_columns(["ArXiv_ID", "Title", "year", "citations"])
    {'title': 'Title', 'year': 'year', 'arxiv': 'ArXiv_ID'}
    """
    by_lower = {c.lower(): c for c in columns}
    out = {}
    for key, names in CSV_COLUMN_NAMES.items():
        for name in names:
            if name in by_lower:
                out[key] = by_lower[name]
                break
    return out


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
        return self.rows / self.seconds if self.seconds else 0.0


def _digest(path: Path) -> str:
    """Identity of a shard: size plus the hash of its first and last MiB (fast on GB files)."""
    h = hashlib.sha1(str(path.stat().st_size).encode())
    with open(path, "rb") as fh:
        h.update(fh.read(1 << 20))
        if path.stat().st_size > 2 << 20:
            fh.seek(-(1 << 20), 2)
            h.update(fh.read())
    return h.hexdigest()


def _open_text(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _read(fh, size: int, path: Path) -> bytes:
    """``fh.read(size)``, with a damaged file named for what it is (not an interruption, not a traceback)."""
    try:
        return fh.read(size)
    except EOFError:
        raise CitegraphError(f"{path} is truncated: the gzip stream ends early (an incomplete download?); "
                             "download it again") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise CitegraphError(f"{path} is not a valid gzip file ({exc}); give .jsonl or .jsonl.gz files") from None
    except OSError as exc:
        raise CitegraphError(f"cannot read {path} ({exc.strerror or exc})") from None


def _line_blocks(path: Path, size: int = CHUNK_BYTES) -> Iterator[tuple[int, list[str]]]:
    """(number of the first line, lines) blocks of about ``size`` bytes, decoded as UTF-8."""
    first = 1
    tail = b""
    with _open_text(path) as fh:
        while True:
            block = _read(fh, size, path)
            if not block:
                break
            block = tail + block
            cut = block.rfind(b"\n")
            if cut < 0:
                tail = block
                continue
            tail = block[cut + 1:]
            lines = block[:cut].decode("utf-8", errors="replace").split("\n")
            yield first, lines
            first += len(lines)
    if tail:
        yield first, [tail.decode("utf-8", errors="replace")]


def _check_text_file(path: Path) -> None:
    """Refuse a binary file before DuckDB's CSV reader turns it into a cryptic error."""
    try:
        with _open_text(path) as fh:
            head = _read(fh, 64 << 10, path)
    except CitegraphError:
        raise
    except OSError as exc:
        raise CitegraphError(f"cannot read {path} ({exc.strerror or exc})") from None
    if b"\0" in head:
        raise CitegraphError(f"{path} is a binary file, not CSV text")
    if not head.strip():
        raise CitegraphError(f"{path} is empty; a CSV file needs a header row")


def _check_rows_read(corpus: "Corpus", path: Path) -> None:
    """Refuse a CSV file of which DuckDB reads under half the lines as rows: a quote opened and not
    closed until far below swallows the lines between into one field, silently."""
    lines = 0
    with _open_text(path) as fh:
        while block := _read(fh, 1 << 20, path):
            lines += block.count(b"\n")
    quoted = str(path).replace("'", "''")
    rows = corpus._one(f"SELECT count(*) FROM read_csv('{quoted}', header=true, all_varchar=true)")[0]
    if lines >= 10 and rows * 2 < lines - 1:
        raise CitegraphError(f"{path}: only {rows:,} rows could be read from its {lines:,} lines (a quote opened "
                             "and not closed until far below?); fix the file and import again; nothing was imported")


def _s2_files(paths: Sequence[str | Path]) -> list[Path]:
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and
                              (f.name.endswith(".jsonl") or f.name.endswith(".jsonl.gz") or f.name.endswith(".json.gz"))))
        elif p.exists():
            out.append(p)
        else:
            raise CitegraphError(f"{p} does not exist; give S2 bulk dataset files or folders")
    return out


def detect_kind(path: Path) -> str:
    """Which S2 dataset a shard holds, from the keys of its first JSON line."""
    with _open_text(path) as fh:
        for raw in _lines(fh, path):
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            keys = set(obj)
            for needed, kind in _KIND_BY_KEYS:
                if needed <= keys:
                    return kind
            raise CitegraphError(f"{path}: not an S2 dataset this version knows (keys {sorted(keys)[:6]}); "
                                 f"expected papers, citations, abstracts, tldrs or paper-ids")
    raise CitegraphError(f"{path} has no JSON object line at all; is it an S2 bulk dataset shard?")


def _lines(fh, path: Path) -> Iterator[bytes]:
    """The lines of the first 64 MiB of ``fh`` (enough to find the first JSON object)."""
    data = _read(fh, 4 << 20, path)
    yield from data.splitlines()


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


_MEMORY_LIMIT = re.compile(r"^\s*(\d+(\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)
_UNIT_BYTES = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}
# DuckDB needs room for a block of parsed JSON lines (CHUNK_BYTES) and its own buffers; below this it
# fails with "Out of Memory" on the first real shard
MIN_MEMORY_BYTES = 256 * 10**6
MAX_MEMORY_BYTES = 1 << 50  # 1 PiB: beyond it DuckDB refuses the number itself


def check_memory_limit(value: str) -> str:
    """``value`` if it is a DuckDB memory size such as ``2GB`` or ``512MiB`` from 256 MB to 1 PiB,
    else :class:`CitegraphError`. It is set in SQL, which takes no parameter there, so nothing else
    may get through.

    >>> check_memory_limit("2GB")
    '2GB'
    """
    m = _MEMORY_LIMIT.match(value) if isinstance(value, str) else None
    if not m:
        raise CitegraphError(f"--memory-limit {value!r} is not a size such as 2GB, 512MB or 1.5GiB")
    size = float(m.group(1)) * _UNIT_BYTES[m.group(3).upper()]
    if not MIN_MEMORY_BYTES <= size <= MAX_MEMORY_BYTES:
        raise CitegraphError(f"--memory-limit {value.strip()} is out of range: give 256MB to 1PiB (DuckDB spills to "
                             "disk beyond it, so 1GB to 4GB suits most machines)")
    return value.strip()


class Corpus:
    """A DuckDB database of papers and citations.

    ``memory_limit`` bounds DuckDB's own memory (it spills to disk beyond it).
    """

    def __init__(self, path: str | Path, *, memory_limit: str = "2GB", threads: int | None = None,
                 read_only: bool = False, block_bytes: int = CHUNK_BYTES) -> None:
        try:
            import duckdb
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
            # never fetch or load extensions: a SQLite or Parquet file given as --corpus would otherwise make
            # DuckDB download a scanner from the network
            self.db = duckdb.connect(str(self.path), read_only=read_only,
                                     config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
        except duckdb.Error as exc:
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
        self._duckdb = duckdb
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

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Corpus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def counts(self) -> dict[str, int]:
        return {t: self._one(f"SELECT count(*) FROM {t}")[0]
                for t in ("papers", "citations", "abstracts", "tldrs", "paper_ids")}

    # -- import: S2 bulk datasets ------------------------------------------------
    def import_s2(self, paths: Sequence[str | Path], *,
                  progress: Callable[[ImportReport, int], None] | None = None) -> list[ImportReport]:
        """Stream S2 bulk dataset shards (``.jsonl`` / ``.jsonl.gz``) into the corpus.

        The dataset of each shard is recognised from its keys. A shard already loaded
        (same digest) is skipped, and one whose import was interrupted resumes after
        its last committed block; within papers, abstracts, TLDRs and paper-ids a row
        whose key is already present is not added again. Bad lines are reported with
        file, line and reason, and the rest loads. ``progress(report, rows_so_far)`` is
        called after every block.
        """
        reports = []
        for path in _s2_files(paths):
            reports.append(self._import_shard(path, progress))
        return reports

    def _import_shard(self, path: Path, progress) -> ImportReport:
        kind = detect_kind(path)
        report = ImportReport(str(path), kind)
        digest = _digest(path)
        done = self._one("SELECT lines, complete FROM shard_progress WHERE digest = ? AND kind = ?", [digest, kind])
        if done and done[1]:
            report.skipped = "already loaded (same shard)"
            return report
        resume_after = done[0] if done else 0
        spec = DATASETS[kind]
        structure = json.dumps(spec["structure"]).replace("'", "''")
        table = kind
        t0 = time.perf_counter()
        lines_done = resume_after
        # one transaction per block, recorded with the shard's progress: memory stays bounded on
        # billion-row shards, and an interrupted import resumes after the last committed block
        placeholders = 0
        for first, lines in _line_blocks(path, self.block_bytes):
            if first + len(lines) - 1 <= resume_after:
                continue
            with self._transaction():
                added, bad = self._load_block(table, spec, structure, first, lines)
                lines_done = first + len(lines) - 1
                self._run("INSERT OR REPLACE INTO shard_progress VALUES (?, ?, ?, ?, false)",
                          [digest, kind, str(path), lines_done])
            report.rows += added
            report.bad += len(bad)
            report.unmatched += self._null_rows
            placeholders += self._placeholder_dois
            room = MAX_BAD_REPORTED - len(report.bad_lines)
            report.bad_lines.extend(BadLine(str(path), n, why) for n, why in bad[:max(0, room)])
            report.seconds = time.perf_counter() - t0
            if progress:
                progress(report, report.rows)
        if placeholders:
            report.notes.append(f"{placeholders:,} DOI values are not DOIs (N/A, 0, a prefix alone…): dropped, "
                                "so they merge no papers")
        with self._transaction():
            self._run("INSERT OR REPLACE INTO shard_progress VALUES (?, ?, ?, ?, true)",
                      [digest, kind, str(path), lines_done])
            self._run("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, now())",
                      [str(path), digest, kind, report.rows, report.bad, time.perf_counter() - t0])
        report.seconds = time.perf_counter() - t0
        return report

    def _load_block(self, table: str, spec: dict, structure: str, first: int, lines: list[str]):
        """Insert one block of JSON lines; returns (rows added, [(line, reason) of bad lines])."""
        import pyarrow as pa

        block = pa.table({"n": pa.array(range(first, first + len(lines)), pa.int64()),
                          "line": pa.array(lines, pa.string())})
        self.db.register("block", block)
        try:
            parsed = (f"SELECT n, from_json(line, '{structure}') AS s FROM block "
                      f"WHERE line <> '' AND json_valid(line) AND json_type(line) = 'OBJECT'")
            dedupe = ""
            if spec["unique"]:
                dedupe = (f" AND {spec['select'].split(',')[0]} NOT IN "
                          f"(SELECT {spec['unique']} FROM {table} WHERE {spec['unique']} IS NOT NULL)")
            elif table == "citations":
                # deduplicated by key, not only by shard digest: the same rows from a renamed or recompressed
                # shard add nothing. The range condition lets DuckDB skip row groups by their min/max.
                lo, hi = self._one(f"SELECT min(s.citingcorpusid), max(s.citingcorpusid) FROM ({parsed})")
                if lo is not None and self._one("SELECT count(*) FROM (SELECT 1 FROM citations WHERE citing "
                                                "BETWEEN ? AND ? LIMIT 1)", [lo, hi])[0]:
                    dedupe = (" AND NOT EXISTS (SELECT 1 FROM citations c WHERE c.citing BETWEEN "
                              f"{int(lo)} AND {int(hi)} AND c.citing = s.citingcorpusid "
                              "AND c.cited = s.citedcorpusid)")
            before = self._count(table)
            self._run(f"INSERT INTO {table} SELECT {spec['select']} FROM ({parsed}) "
                      f"WHERE ({spec['key']}) IS NOT NULL{dedupe}")
            added = self._count(table) - before
            # rows whose id is null where the data allows it (S2 lists citations it could not match to a
            # paper) are counted apart: they are normal, not bad lines
            # CASE, because DuckDB evaluates both sides of AND: json_extract must only see valid JSON
            null_ok = (f"(CASE WHEN line <> '' AND json_valid(line) AND json_type(line) = 'OBJECT' "
                       f"THEN ({spec.get('null_ok', 'false')}) ELSE false END)")
            missing = spec.get("missing", "no id field").replace("'", "''")
            null_rows = self._one(
                f"SELECT count(*) FROM block WHERE n IN (SELECT n FROM ({parsed}) WHERE ({spec['key']}) IS NULL) "
                f"AND {null_ok}")[0]
            bad = self._run(
                f"SELECT n, CASE WHEN NOT json_valid(line) THEN 'not valid JSON' "
                f"WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object' "
                f"ELSE '{missing}' END FROM block WHERE line <> '' AND "
                f"(NOT json_valid(line) OR json_type(line) <> 'OBJECT' OR "
                f"(n IN (SELECT n FROM ({parsed}) WHERE ({spec['key']}) IS NULL) AND NOT ({null_ok}))) ORDER BY n")
            # placeholder DOIs (N/A, 0, a prefix alone) the select dropped: counted for the report
            self._placeholder_dois = self._one(
                f"SELECT count(*) FROM ({parsed}) WHERE nullif(trim(s.externalids.DOI), '') IS NOT NULL AND NOT "
                f"regexp_matches(lower(trim(s.externalids.DOI)), '{DOI_PATTERN}')")[0] if table == "papers" else 0
        finally:
            try:
                self.db.unregister("block")
            except self._duckdb.Error:
                pass  # the transaction failed (out of memory): the rollback drops the view with it
        self._null_rows = null_rows
        return added, bad

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """All of one import or none of it: an interrupted import leaves the corpus as it was."""
        self._run("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            try:
                self._run("ROLLBACK")
            except (self._duckdb.Error, CitegraphError):
                pass  # DuckDB aborted it already (out of memory does): the error that got here says why
            raise
        self._run("COMMIT")

    def _one(self, sql: str, params: list | None = None):
        rows = self._run(sql, params)
        return rows[0] if rows else None

    def _run(self, sql: str, params: list | None = None) -> list:
        """Execute and consume the result (DuckDB refuses new work while one is pending)."""
        try:
            return self.db.execute(sql, params or []).fetchall()
        except self._duckdb.OutOfMemoryException as exc:
            raise CitegraphError(f"DuckDB ran out of memory within --memory-limit {self.memory_limit} on the corpus "
                                 f"{self.path} ({str(exc).splitlines()[0][:120]}); run again with a larger "
                                 "--memory-limit (2GB suits most shards); what was imported before is kept") from None

    def _count(self, table: str) -> int:
        return self._one(f"SELECT count(*) FROM {table}")[0]

    # -- import: generic CSV -------------------------------------------------------
    def import_csv(self, papers: Sequence[str | Path], edges: str | Path, *, title_column: str | None = None,
                   id_column: str | None = None, year_column: str | None = None, doi_column: str | None = None,
                   arxiv_column: str | None = None, citing_column: str = "source",
                   cited_column: str = "target") -> ImportReport:
        """Load a citation graph kept as CSV (plain or gzipped).

        ``papers`` are one or more files with one row per paper, joined side by side
        by row position (as ``ids.csv.gz`` and ``titles.csv.gz`` of arxiv-cs-2023).
        Without ``id_column`` the edges name papers by their 0-based row; with it, by
        that column's values. Papers get corpus ids equal to their row. A value of the
        arXiv column that is not an arXiv ID is ignored; without a year column the year
        comes from new-style arXiv IDs.

        A column not named is recognised by its common names (:data:`CSV_COLUMN_NAMES`,
        case-insensitive: ``title``, ``id``, ``year``, ``doi``, ``arxiv_id``, …); the report's
        ``columns`` says which were used.
        """
        t0 = time.perf_counter()
        files = [str(p) for p in papers]
        for f in files + [str(edges)]:
            if not Path(f).exists():
                raise CitegraphError(f"{f} does not exist")
        digest = hashlib.sha1("|".join(_digest(Path(f)) for f in files + [str(edges)]).encode()).hexdigest()
        report = ImportReport(", ".join(files) + f" + {edges}", "csv")
        if self._one("SELECT 1 FROM imports WHERE digest = ?", [digest]):
            report.skipped = "already loaded (same files)"
            return report
        import duckdb

        try:
            return self._import_csv_rows(files, edges, report, digest, t0, title_column=title_column,
                                         id_column=id_column, year_column=year_column, doi_column=doi_column,
                                         arxiv_column=arxiv_column, citing_column=citing_column,
                                         cited_column=cited_column)
        except duckdb.Error as exc:
            # a binary file, a broken quote, a wrong delimiter: DuckDB's reader says where
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CitegraphError(f"cannot read the CSV files as a citation graph ({first[:300]}); "
                                 "check that they are CSV with a header row") from None

    def _import_csv_rows(self, files: list[str], edges: str | Path, report: ImportReport, digest: str, t0: float,
                         *, title_column: str | None, id_column: str | None, year_column: str | None,
                         doi_column: str | None, arxiv_column: str | None, citing_column: str,
                         cited_column: str) -> ImportReport:
        for f in files + [str(edges)]:
            _check_text_file(Path(f))
        sources = " POSITIONAL JOIN ".join(
            f"(SELECT * FROM read_csv('{f.replace(chr(39), chr(39) * 2)}', header=true, all_varchar=true))"
            for f in files)
        cols = {c for (c, *_) in self._run(f"DESCRIBE SELECT * FROM {sources}")}
        given = {"title": title_column, "id": id_column, "year": year_column, "doi": doi_column,
                 "arxiv": arxiv_column}
        found = recognise_csv_columns(cols)
        title_column, id_column, year_column, doi_column, arxiv_column = (
            given[k] or found.get(k) for k in ("title", "id", "year", "doi", "arxiv"))
        if title_column is None:
            raise CitegraphError(f"no title column among {sorted(cols)}; name it with --title-column")
        report.columns = {k: v for k, v in zip(("title", "id", "year", "doi", "arxiv"),
                                                (title_column, id_column, year_column, doi_column, arxiv_column)) if v}
        for name, col in [("--title-column", title_column), ("--id-column", id_column), ("--year-column", year_column),
                          ("--doi-column", doi_column), ("--arxiv-column", arxiv_column)]:
            if col and col not in cols:
                raise CitegraphError(f"{name} {col!r} is not a column of the paper files; they have {sorted(cols)}")
        for f in files:
            _check_rows_read(self, Path(f))
        e = str(edges).replace("'", "''")
        edge_cols = {c for (c, *_) in self._run(f"DESCRIBE SELECT * FROM read_csv('{e}', header=true, all_varchar=true)")}
        for name, col in [("--citing-column", citing_column), ("--cited-column", cited_column)]:
            if col not in edge_cols:
                raise CitegraphError(f"{name} {col!r} is not a column of {edges}; it has {sorted(edge_cols)}")
        q = lambda c: '"' + c.replace('"', '""') + '"'
        arxiv = (f"CASE WHEN regexp_matches({q(arxiv_column)}, '^(\\d{{4}}\\.\\d{{4,5}}|[a-z\\-]+(\\.[A-Z]{{2}})?/\\d{{7}})(v\\d+)?$') "
                 f"THEN regexp_replace({q(arxiv_column)}, 'v\\d+$', '') END") if arxiv_column else "NULL"
        year = ("TRY_CAST(year_raw AS INTEGER)" if year_column else
                "CASE WHEN regexp_matches(arxiv, '^\\d{4}\\.') AND substr(arxiv, 3, 2)::INT BETWEEN 1 AND 12 "
                "THEN 2000 + substr(arxiv, 1, 2)::INT END")
        # a paper's key: its arXiv id, else its DOI, else its normalised title. The same rows imported again
        # from a renamed or recompressed file match the papers already there, so nothing is doubled; the
        # n-th row of a key matches the n-th paper of that key (a file may list one title twice). A DOI or
        # arXiv id matches only a paper of the same title: one identifier on two titles is a data error
        key = ("CASE WHEN {a} IS NOT NULL THEN 'a:' || {a} WHEN {d} IS NOT NULL THEN 'd:' || {d} "
               "ELSE 't:' || coalesce({t}, '') END")
        doi_ok = lambda c: f"regexp_matches({c}, '{DOI_PATTERN}')"
        doi_raw = ('lower(trim(' + q(doi_column) + '))') if doi_column else 'NULL'
        offset = self._one("SELECT coalesce(max(corpusid) + 1, 0) FROM papers")[0]
        with self._transaction():
            self._run(f"""
                CREATE TEMP TABLE csv_rows AS
                SELECT row_number() OVER () - 1 AS r, * FROM (
                    SELECT {q(id_column) if id_column else 'NULL'} AS ext_id, {q(title_column)} AS title,
                           {arxiv} AS arxiv, {doi_raw} AS doi_raw,
                           CASE WHEN {doi_ok(doi_raw)} THEN {doi_raw} END AS doi,
                           {year_column and q(year_column) or 'NULL'} AS year_raw
                    FROM {sources})""")
            old_doi = f"CASE WHEN {doi_ok('doi')} THEN doi END"
            self._run(f"""
                CREATE TEMP TABLE csv_keyed AS
                SELECT *, row_number() OVER (PARTITION BY k ORDER BY r) AS occ
                FROM (SELECT *, {key.format(a='arxiv', d='doi', t=_NORM.format(t='title'))} AS k,
                             {_NORM.format(t='title')} AS t FROM csv_rows)""")
            self._run(f"""
                CREATE TEMP TABLE csv_old AS
                SELECT k, corpusid, norm_title AS t, row_number() OVER (PARTITION BY k ORDER BY corpusid) AS occ
                FROM (SELECT {key.format(a='arxiv', d=old_doi, t='norm_title')} AS k, corpusid, norm_title
                      FROM papers)""")
            same_title = "(n.k LIKE 't:%' OR coalesce(old.t, '') = '' OR coalesce(n.t, '') = '' OR old.t = n.t)"
            self._run(f"""
                CREATE TEMP TABLE csv_papers AS
                SELECT n.*, old.corpusid AS existing,
                       coalesce(old.corpusid, {offset} + (row_number() OVER (PARTITION BY old.corpusid IS NULL
                                                                              ORDER BY n.r)) - 1) AS corpusid
                FROM csv_keyed n LEFT JOIN csv_old old ON old.k = n.k AND old.occ = n.occ AND {same_title}""")
            placeholders = self._one("SELECT count(*) FROM csv_rows WHERE doi_raw IS NOT NULL AND doi IS NULL")[0]
            if placeholders:
                shown = [v for (v,) in self._run("SELECT DISTINCT doi_raw FROM csv_rows WHERE doi_raw IS NOT NULL "
                                                 "AND doi IS NULL ORDER BY 1 LIMIT 3")]
                report.notes.append(f"{placeholders:,} values of the DOI column {doi_column!r} are not DOIs (e.g. "
                                    f"{', '.join(map(repr, shown))}): dropped, those papers are keyed by title")
            clashes = self._run("""
                SELECT count(*), min(n.k) FROM csv_papers n
                WHERE n.existing IS NULL AND n.k NOT LIKE 't:%' AND EXISTS (
                    SELECT 1 FROM csv_old old WHERE old.k = n.k AND coalesce(old.t, '') <> ''
                    AND coalesce(n.t, '') <> '' AND old.t <> n.t)""")[0]
            if clashes[0]:
                report.notes.append(f"{clashes[0]:,} papers carry the arXiv id or DOI of a paper with another title "
                                    f"in the corpus (e.g. {clashes[1][2:]!r}): a data error; added as papers of their "
                                    "own, check the identifier columns")
            self._run(f"""
                INSERT INTO papers
                SELECT corpusid, NULL, title, {_NORM.format(t='title')}, {year},
                       NULL, NULL, arxiv, doi, NULL, NULL, NULL, NULL
                FROM csv_papers WHERE existing IS NULL ORDER BY corpusid""")
            n_new = self._one("SELECT count(*) FROM csv_papers WHERE existing IS NULL")[0]
            n_rows = self._one("SELECT count(*) FROM csv_papers")[0]
            edges_before = self._count("citations")
            raw = f"(SELECT {q(citing_column)} AS a, {q(cited_column)} AS b FROM read_csv('{e}', header=true, all_varchar=true))"
            join = "p1.ext_id = r.a" if id_column else "p1.r = TRY_CAST(r.a AS BIGINT)"
            join2 = "p2.ext_id = r.b" if id_column else "p2.r = TRY_CAST(r.b AS BIGINT)"
            self._run(f"""
                INSERT INTO citations
                SELECT DISTINCT p1.corpusid, p2.corpusid, NULL::BOOLEAN, NULL::VARCHAR[], NULL::VARCHAR[]
                FROM {raw} r JOIN csv_papers p1 ON {join} JOIN csv_papers p2 ON {join2}
                WHERE NOT EXISTS (SELECT 1 FROM citations c WHERE c.citing = p1.corpusid AND c.cited = p2.corpusid)""")
            total = self._one(f"SELECT count(*) FROM {raw}")[0]
            matched = self._one(f"SELECT count(*) FROM {raw} r JOIN csv_papers p1 ON {join} "
                                f"JOIN csv_papers p2 ON {join2}")[0]
            loaded_edges = self._count("citations") - edges_before
            self._run("""
                UPDATE papers SET citationcount = c.n FROM (
                    SELECT p.corpusid, count(x.cited) AS n
                    FROM (SELECT DISTINCT corpusid FROM csv_papers) p LEFT JOIN citations x ON x.cited = p.corpusid
                    GROUP BY p.corpusid) c
                WHERE papers.corpusid = c.corpusid""")
            self._run("""
                UPDATE papers SET referencecount = c.n FROM (
                    SELECT citing, count(*) AS n FROM citations
                    WHERE citing IN (SELECT corpusid FROM csv_papers) GROUP BY citing) c
                WHERE papers.corpusid = c.citing""")
            if total and matched * 2 < total:
                # most edges name no paper: the files do not fit together, and a corpus of a few papers and
                # no edges is worse than none (the transaction leaves the corpus as it was)
                raise CitegraphError(
                    f"{total - matched:,} of {total:,} edges of {edges} name papers that are not among the "
                    f"{n_rows:,} rows read from the paper files: they do not fit together (an unterminated quote? "
                    "the wrong --id-column, --citing-column or --cited-column?); fix them and import again; "
                    "nothing was imported")
            report.rows = n_new + loaded_edges
            report.bad = total - matched
            if report.bad:
                report.bad_lines.append(BadLine(str(edges), 0, f"{report.bad} edges name papers not in the paper files"))
            if n_rows - n_new or matched - loaded_edges:
                report.already = (f"{n_rows - n_new:,} papers and {matched - loaded_edges:,} edges were already "
                                  "in the corpus (same arXiv id, DOI or title)")
            for table in ("csv_papers", "csv_old", "csv_keyed", "csv_rows"):
                self._run(f"DROP TABLE {table}")
            self._run("INSERT INTO imports VALUES (?, ?, 'csv', ?, ?, ?, now())",
                      [report.file, digest, report.rows, report.bad, time.perf_counter() - t0])
        report.seconds = time.perf_counter() - t0
        return report
