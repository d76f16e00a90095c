"""The local store: papers, citation edges and what was fetched when.

SQLite (standard library, one file, ACID). Every API response is written in
one transaction as soon as it arrives, in WAL mode, so Ctrl-C, ``kill -9`` or a
dropped network lose nothing already stored, and a re-run fetches only what
is missing.

A citegraph store says so in its header (``PRAGMA application_id`` = :data:`APPLICATION_ID`);
a store from before that is recognised by its tables. Any other file (another tool's SQLite
database, a file that is not SQLite) is refused before anything is written to it: its journal
mode is not even switched. A store that cannot be written (a read-only file, folder or disk) is
opened read-only, so an ``--offline`` run can still read it; a full disk is reported as a full
disk, never as a damaged store.

>>> with Store(":memory:") as store:
...     store.put_papers([PaperRecord("p1", title="A")])
...     store.get_papers(["p1"])["p1"].title
'A'
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from .errors import StoreCorruptError, StoreError
from .model import CitationEdge, ListState, PaperRecord
from .paths import file_problem
from .store_schema import (APPLICATION_ID, PAPER_COLS, SCHEMA_VERSION, check_and_create, check_read_only_version,
                           connect_read_only, disk_problem, is_damage, is_permission, recognise, repair, rollback,
                           store_in_cache, writable)

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "Store", "store_in_cache"]
_PAPER_COLS = PAPER_COLS


def _json(value) -> str | None:
    return None if value is None else json.dumps(list(value), ensure_ascii=False)


class Store:
    """A SQLite-backed store of papers, edges, list completeness and ID aliases.

    Records read back are validated again (:meth:`PaperRecord.checked`), and values of the
    wrong type that an older citegraph stored are set to null when the store is opened
    (listed in ``repaired``), so one bad value never breaks every later run.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.repaired: list[str] = []
        self.warnings: list[str] = []
        self._ino: int | None = None
        self._in_tx = False
        # a store that cannot be written is opened read-only: an --offline run reads it, a write says why not
        self.read_only: str | None = None
        if self.path != ":memory:":
            p = Path(self.path)
            # a FIFO would hang the first read, a device or a loop fail deep in SQLite: say what it is
            problem = file_problem(p, "store")
            if problem:
                raise StoreError(problem)
            if p.is_dir():
                raise StoreError(f"{p} is a folder; --store takes a file path (e.g. {p / 'citegraph.sqlite'})")
            exists = p.exists()
            if not exists:
                try:
                    p.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"cannot create the folder of the store {p} ({exc.strerror or exc}); "
                                     "pass --store with a path in a writable folder") from None
        try:
            if self.path != ":memory:":
                if exists:
                    recognise(p)
                if not writable(p):
                    if not exists or p.stat().st_size == 0:
                        raise StoreError(f"cannot create the store {p}: the folder or disk is read-only; pass "
                                         "--store with a path in a writable folder")
                    self.read_only = "the file, its folder or its disk is read-only"
            if self.read_only:
                self._db = connect_read_only(p)
                check_read_only_version(self._db, self.path, self.read_only)
            else:
                self._db = sqlite3.connect(self.path, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                check_and_create(self._db, self.path)
                self.repaired = repair(self._db)
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise StoreError(f"the store {self.path} is locked by another citegraph run ({exc}); wait for it "
                                 "to finish or pass another --store") from None
            disk = disk_problem(self.path, exc)
            if disk:
                raise StoreError(disk) from None
            if is_permission(exc) and not is_damage(exc):
                raise StoreError(
                    f"cannot write the store {self.path} ({exc}): the file or its folder is read-only; "
                    "fix the permissions or pass --store with a path in a writable folder") from None
            raise StoreCorruptError(
                f"{self.path} is not a readable citegraph store ({exc}); "
                "move it aside or pass --store with a new path, then run again"
            ) from None
        if self.path != ":memory:":
            self._ino = os.stat(self.path).st_ino



    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        """Close the connection; what was written is already committed."""
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes so that one API response is stored whole or not at all."""
        if self._in_tx:
            yield
            return
        self._refuse_if_read_only()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise self._write_error(exc) from None
        self._in_tx = True
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self._rollback()
                raise self._write_error(exc) from None
        finally:
            self._in_tx = False

    def _rollback(self) -> None:
        rollback(self._db)

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise StoreError(f"cannot write the store {self.path}: {self.read_only}; it can be read (run with "
                             "--offline), or fix the permissions or pass --store with a writable path")

    def _write_error(self, exc: sqlite3.DatabaseError) -> StoreError:
        """The one-line error for a failed write, by cause."""
        text = str(exc).lower()
        if isinstance(exc, sqlite3.IntegrityError):
            # a constraint failure is a bug or an invalid record, not a full disk
            return StoreError(f"a record was refused by the store {self.path} ({exc}); nothing of this "
                              "answer was written; please report this with the command you ran")
        disk = disk_problem(self.path, exc)
        if disk:
            return StoreError(disk)
        if is_permission(exc):
            hint = "the file or its folder is read-only: fix the permissions or pass --store elsewhere"
        elif is_damage(exc):
            return StoreCorruptError(f"the store {self.path} is damaged ({exc}); move it aside or pass "
                                     "--store with a new path, then run again")
        elif "locked" in text or "busy" in text:
            hint = "another citegraph run holds it too long: wait for it or pass another --store"
        else:
            hint = "check disk space and permissions"
        return StoreError(f"writing to {self.path} failed ({exc}); {hint}")

    def _check_still_there(self) -> None:
        """A store deleted (or replaced) during a run would swallow every later write unseen."""
        if self._ino is None:
            return
        try:
            same = os.stat(self.path).st_ino == self._ino
        except OSError:
            same = False
        if not same:
            raise StoreError(f"the store {self.path} was deleted or replaced during this run; what this run "
                             "fetched since is lost: run the same command again")

    # -- the store's SQL, for the modules that keep their own tables in it (the results cache, news) --
    def execute_many(self, sql: str, rows: Iterable[tuple]) -> None:
        """Run one write statement for each of ``rows`` in one transaction (or the caller's
        :meth:`transaction`); :class:`StoreError` saying why when it fails (read-only, full disk...)."""
        self._check_still_there()
        with self.transaction():
            try:
                self._db.executemany(sql, rows)
            except sqlite3.DatabaseError as exc:
                raise self._write_error(exc) from None

    def query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        """The rows of a read; :class:`StoreCorruptError` for a damaged file, else :class:`StoreError`."""
        try:
            return self._db.execute(sql, list(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise StoreCorruptError(f"the store {self.path} is damaged ({exc}); move it aside or pass "
                                        "--store with a new path, then run again") from None
            raise StoreError(f"reading {self.path} failed ({exc})") from None

    def has_table(self, name: str) -> bool:
        """Whether the store holds a table ``name`` (reading creates nothing)."""
        return bool(self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]))

    def add_table(self, ddl: str) -> None:
        """Create a table another module keeps in the store (``CREATE TABLE IF NOT EXISTS ...``).
        The store's own tables and schema version stay as they are. :class:`StoreError` when the store
        cannot be written."""
        if not ddl.lstrip().upper().startswith("CREATE TABLE IF NOT EXISTS"):
            raise ValueError("add_table takes one CREATE TABLE IF NOT EXISTS statement")
        self._refuse_if_read_only()
        try:
            self._db.execute(ddl)
        except sqlite3.DatabaseError as exc:
            raise self._write_error(exc) from None

    # -- papers ------------------------------------------------------------
    def put_papers(self, records: Iterable[PaperRecord]) -> None:
        """Insert or update papers; a field already known is not erased by a null."""
        updates = ", ".join(f"{c}=COALESCE(excluded.{c}, papers.{c})" for c in _PAPER_COLS[1:])
        sql = (f"INSERT INTO papers ({', '.join(_PAPER_COLS)}) VALUES ({', '.join('?' * len(_PAPER_COLS))}) "
               f"ON CONFLICT(paper_id) DO UPDATE SET {updates}")
        rows = []
        for r in records:
            d = r.to_dict()
            d["authors"] = json.dumps(d["authors"], ensure_ascii=False) if d["authors"] else None
            rows.append(tuple(d[c] for c in _PAPER_COLS))
        self.execute_many(sql, rows)

    def get_papers(self, paper_ids: Iterable[str]) -> dict[str, PaperRecord]:
        """The stored records of ``paper_ids``, by id, checked again as they are read; ids the store
        does not hold are left out."""
        out: dict[str, PaperRecord] = {}
        for chunk in _chunks(list(paper_ids), 900):
            q = f"SELECT {', '.join(_PAPER_COLS)} FROM papers WHERE paper_id IN ({', '.join('?' * len(chunk))})"
            for row in self.query(q, chunk):
                d = dict(zip(_PAPER_COLS, row))
                try:
                    d["authors"] = json.loads(d["authors"]) if d["authors"] else []
                except (TypeError, ValueError):
                    d["authors"] = None
                # checked again on read: a value another process or version stored is repaired here,
                # never a TypeError deep in the analysis
                out[d["paper_id"]] = PaperRecord(**d).checked(self.warnings)
        return out

    def count(self, table: str) -> int:
        """Rows in one of the store's own tables (``papers``, ``edges``, ``lists``, ``aliases``)."""
        if table not in {"papers", "edges", "lists", "aliases"}:
            raise StoreError(f"no table {table!r}")
        return self.query(f"SELECT COUNT(*) FROM {table}")[0][0]

    # -- edges -------------------------------------------------------------
    def put_edges(self, edges: Iterable[CitationEdge], *, listed: bool = False) -> None:
        """Store edges; ``listed`` marks them as coming from the cited paper's citation listing."""
        sql = ("INSERT INTO edges (citing, cited, is_influential, intents, contexts, listed) VALUES (?, ?, ?, ?, ?, ?) "
               "ON CONFLICT(citing, cited) DO UPDATE SET "
               "is_influential=COALESCE(excluded.is_influential, edges.is_influential), "
               "intents=COALESCE(excluded.intents, edges.intents), "
               "contexts=COALESCE(excluded.contexts, edges.contexts), "
               "listed=MAX(COALESCE(edges.listed, 0), COALESCE(excluded.listed, 0))")
        flag = 1 if listed else None
        self.execute_many(sql, ((e.citing, e.cited, None if e.is_influential is None else int(e.is_influential),
                                 _json(e.intents), _json(e.contexts), flag) for e in edges))

    def edges_touching(self, paper_ids: Iterable[str], *, direction: str,
                       listed_only: bool = False) -> list[CitationEdge]:
        """Edges whose citing (``direction='out'``) or cited (``'in'``) end is in ``paper_ids``;
        with ``listed_only``, only those a citation listing gave."""
        col = {"out": "citing", "in": "cited"}[direction]
        out = []
        only = " AND listed = 1" if listed_only else ""
        for chunk in _chunks(list(paper_ids), 900):
            q = (f"SELECT citing, cited, is_influential, intents, contexts FROM edges "
                 f"WHERE {col} IN ({', '.join('?' * len(chunk))}){only}")
            for citing, cited, infl, intents, contexts in self.query(q, chunk):
                out.append(CitationEdge(
                    citing, cited, None if infl is None else bool(infl),
                    _json_tuple(intents), _json_tuple(contexts),
                ))
        return out

    def citation_graph(self) -> nx.DiGraph:
        """Every stored edge as a ``networkx.DiGraph`` with titles and years on the nodes
        (for paths through everything ever fetched)."""
        import networkx as nx

        g = nx.DiGraph()
        g.add_edges_from(self.query("SELECT citing, cited FROM edges WHERE citing != cited"))
        for pid, title, year in self.query("SELECT paper_id, title, year FROM papers"):
            if pid in g:
                g.nodes[pid].update(title=title, year=year)
        return g

    # -- list completeness -----------------------------------------------
    def put_list_state(self, state: ListState) -> None:
        """Record how much of a paper's reference or citation list is stored (replacing the last record)."""
        self.execute_many(
            "INSERT OR REPLACE INTO lists VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(state.paper_id, state.kind, state.n_items, state.total, int(state.complete),
              state.truncated, state.fetched_at, state.limit)],
        )

    def get_list_states(self, paper_ids: Iterable[str], kind: str) -> dict[str, ListState]:
        """What is recorded of the ``kind`` lists of ``paper_ids``, by paper id; ids without a record
        are left out."""
        out = {}
        for chunk in _chunks(list(paper_ids), 900):
            q = (f"SELECT paper_id, kind, n_items, total, complete, truncated, fetched_at, limit_asked "
                 f"FROM lists WHERE kind = ? AND paper_id IN ({', '.join('?' * len(chunk))})")
            for row in self.query(q, [kind, *chunk]):
                out[row[0]] = ListState(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6], row[7])
        return out

    # -- aliases: what an input ID resolved to (or why it did not) ---------
    def put_alias(self, alias: str, paper_id: str | None, reason: str | None = None) -> None:
        """Record what the input id ``alias`` resolved to, or (``paper_id`` None) why it did not, so it
        is not asked again."""
        self.execute_many("INSERT OR REPLACE INTO aliases VALUES (?, ?, ?, ?)",
                          [(alias, paper_id, reason, time.time())])

    def get_alias(self, alias: str) -> tuple[str | None, str | None] | None:
        """``(paper_id, None)``, ``(None, reason)`` for a known miss, or ``None`` if never looked up."""
        rows = self.query("SELECT paper_id, reason FROM aliases WHERE alias = ?", (alias,))
        return None if not rows else (rows[0][0], rows[0][1])


def _json_tuple(text: str | None) -> tuple | None:
    try:
        value = json.loads(text) if text else None
    except (TypeError, ValueError):
        return None
    return tuple(value) if isinstance(value, list) else None


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
