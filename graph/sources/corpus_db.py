"""What a DuckDB corpus (an imported :class:`~.corpus_import.Corpus` or a :class:`~.prepared.PreparedCorpus`)
does alike: its memory limit, its queries (DuckDB running out of memory said in one line), its
transactions, its row counts and its lifecycle.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import CitegraphError

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


class CorpusDatabase:
    """A DuckDB connection ``db`` holding the tables :class:`~.corpus.CorpusSource` queries (``papers``,
    ``citations``, ``abstracts``, ``tldrs``, ``paper_ids``), as tables or as views. Subclasses open
    ``db`` and set ``path`` and ``memory_limit``."""

    TABLES = ("papers", "citations", "abstracts", "tldrs", "paper_ids")
    db: object
    path: Path
    memory_limit: str

    def _connect(self, target: str, *, read_only: bool = False):
        """A DuckDB connection to ``target`` that never fetches or loads extensions: a SQLite or Parquet
        file given as --corpus would otherwise make DuckDB download a scanner from the network."""
        import duckdb

        self._duckdb = duckdb
        return duckdb.connect(target, read_only=read_only, config={"autoinstall_known_extensions": False,
                                                                   "autoload_known_extensions": False})

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {t: self._count(t) for t in self.TABLES}

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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
