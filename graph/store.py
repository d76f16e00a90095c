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
import shutil
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import platformdirs

from .errors import StoreCorruptError, StoreError, StoreSchemaError
from .model import CitationEdge, ListState, PaperRecord

SCHEMA_VERSION = 2
# "CitG": written into the SQLite header of every citegraph store, so that citegraph recognises its
# own files and never writes into another program's database
APPLICATION_ID = 0x43697447
_OWN_TABLES = {"papers", "edges", "lists", "aliases"}
_SQLITE_MAGIC = b"SQLite format 3\0"
# a disk with less free room than this is taken as full when SQLite reports an I/O error
_NEARLY_FULL = 1 << 20
# version 1 -> 2: edges.listed marks the edges a citation *listing* gave (a paper's citers as
# listed up to --max-citations), as opposed to edges known from reference lists. Expansion takes a
# paper's citers from its listing only, so what later runs fetch cannot change the neighbourhood.
_MIGRATIONS = {
    1: "ALTER TABLE edges ADD COLUMN listed INTEGER; "
       "UPDATE edges SET listed = 1 WHERE cited IN (SELECT paper_id FROM lists WHERE kind = 'citations');",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS papers (
    paper_id TEXT PRIMARY KEY,
    title TEXT, year INTEGER, venue TEXT, authors TEXT,
    corpus_id INTEGER, arxiv_id TEXT, doi TEXT,
    citation_count INTEGER, reference_count INTEGER, influential_citation_count INTEGER,
    abstract TEXT, tldr TEXT, publication_date TEXT,
    source TEXT, fetched_at REAL
);
CREATE TABLE IF NOT EXISTS edges (
    citing TEXT NOT NULL, cited TEXT NOT NULL,
    is_influential INTEGER, intents TEXT, contexts TEXT, listed INTEGER,
    PRIMARY KEY (citing, cited)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_cited ON edges(cited);
CREATE TABLE IF NOT EXISTS lists (
    paper_id TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('references', 'citations')),
    n_items INTEGER NOT NULL, total INTEGER, complete INTEGER NOT NULL,
    truncated TEXT, fetched_at REAL NOT NULL, limit_asked INTEGER,
    PRIMARY KEY (paper_id, kind)
);
CREATE TABLE IF NOT EXISTS aliases (
    alias TEXT PRIMARY KEY, paper_id TEXT, reason TEXT, fetched_at REAL NOT NULL
);
"""

_PAPER_COLS = [
    "paper_id", "title", "year", "venue", "authors", "corpus_id", "arxiv_id", "doi",
    "citation_count", "reference_count", "influential_citation_count",
    "abstract", "tldr", "publication_date", "source", "fetched_at",
]


def store_in_cache(file_name: str) -> Path:
    """Where a store named ``file_name`` lives unless ``--store`` or ``CITEGRAPH_STORE`` say
    otherwise: in the user's cache directory. Each source names its own file (the API source one per
    host, so a test server's papers never mix with real data)."""
    env = os.environ.get("CITEGRAPH_STORE")
    if env:
        return Path(env)
    return Path(platformdirs.user_cache_dir("citegraph")) / file_name


def _json(value) -> str | None:
    return None if value is None else json.dumps(list(value), ensure_ascii=False)


def _is_permission(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text


def _is_damage(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text or "file is encrypted" in text


def _free_bytes(path: str) -> int | None:
    try:
        return shutil.disk_usage(Path(path).resolve().parent).free
    except OSError:
        return None


def _disk_problem(path: str, exc: BaseException) -> str | None:
    """What a full or failing disk under ``path`` means for the user, or ``None`` if ``exc`` is not one."""
    text = str(exc).lower()
    if "full" not in text and "disk i/o" not in text:
        return None
    free = _free_bytes(path)
    if "full" in text or (free is not None and free < _NEARLY_FULL):
        room = "" if free is None else f" ({free:,} bytes free)"
        return (f"the disk holding the store {path} is full{room}: free some space, then run the same command "
                "again; the store is not damaged and what was stored before is kept")
    return (f"a disk I/O error on the store {path} ({exc}): check the disk (failing, unmounted, out of space?), "
            "then run again; this is not a sign of a damaged store, so do not delete it")


def _writable(p: Path) -> bool:
    """Whether a store at ``p`` can be written: the file (if any), its folder (SQLite creates the WAL
    beside it) and the file system."""
    folder = p.parent if str(p.parent) else Path(".")
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        pass
    return (not p.exists() or os.access(p, os.W_OK)) and os.access(folder, os.W_OK)


def _recognise(p: Path) -> None:
    """Refuse, without writing anything, a file that is not a citegraph store: not SQLite, or an
    SQLite database of another program (another application id, or tables that are not a store's)."""
    try:
        with open(p, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise StoreError(f"cannot read the store {p} ({exc.strerror or exc}); check the permissions or pass "
                         "--store with another path") from None
    if not head:
        return  # an empty file: nothing to harm, a new store is made in it
    if not head.startswith(_SQLITE_MAGIC):
        raise StoreCorruptError(f"{p} is not a readable citegraph store: it is not an SQLite file; citegraph "
                                "leaves it untouched: pass --store with another path")
    con = _connect_read_only(p)
    try:
        app = con.execute("PRAGMA application_id").fetchone()[0]
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in con.execute("PRAGMA table_info(papers)")}
    finally:
        con.close()
    if app == APPLICATION_ID:
        return
    if app == 0 and not tables and version == 0:
        return  # an empty SQLite database
    if app == 0 and version in (*_MIGRATIONS, SCHEMA_VERSION) and _OWN_TABLES <= tables \
            and set(_PAPER_COLS) <= columns:
        return  # a store written before citegraph marked its files
    what = (f"application id {app:#x}" if app else
            f"tables {', '.join(sorted(tables)[:5])}" if tables else f"user_version {version}")
    raise StoreCorruptError(f"{p} is an SQLite database of another program ({what}), not a citegraph store; "
                            "citegraph never writes into it: pass --store with another path")


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
                    _recognise(p)
                if not _writable(p):
                    if not exists or p.stat().st_size == 0:
                        raise StoreError(f"cannot create the store {p}: the folder or disk is read-only; pass "
                                         "--store with a path in a writable folder")
                    self.read_only = "the file, its folder or its disk is read-only"
            if self.read_only:
                self._db = _connect_read_only(p)
                self._check_read_only()
            else:
                self._db = sqlite3.connect(self.path, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._check_and_create()
                self._repair()
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise StoreError(f"the store {self.path} is locked by another citegraph run ({exc}); wait for it "
                                 "to finish or pass another --store") from None
            disk = _disk_problem(self.path, exc)
            if disk:
                raise StoreError(disk) from None
            if _is_permission(exc) and not _is_damage(exc):
                raise StoreError(
                    f"cannot write the store {self.path} ({exc}): the file or its folder is read-only; "
                    "fix the permissions or pass --store with a path in a writable folder") from None
            raise StoreCorruptError(
                f"{self.path} is not a readable citegraph store ({exc}); "
                "move it aside or pass --store with a new path, then run again"
            ) from None
        if self.path != ":memory:":
            self._ino = os.stat(self.path).st_ino

    def _check_read_only(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise StoreSchemaError(
                f"{self.path} has store schema version {version}, this citegraph uses {SCHEMA_VERSION}, and it "
                f"is read-only ({self.read_only}), so it cannot be brought up to date; make it writable once")

    def _check_and_create(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if version == 0 and tables:
            raise StoreCorruptError(
                f"{self.path} is an SQLite file but not a citegraph store; "
                "pass --store with another path"
            )
        if version in _MIGRATIONS and "edges" in tables:
            self._migrate()
            version = SCHEMA_VERSION
        if version not in (0, SCHEMA_VERSION):
            raise StoreSchemaError(
                f"{self.path} has store schema version {version}, this citegraph uses "
                f"{SCHEMA_VERSION}; delete the file (it is only a cache) or pass --store with a new path"
            )
        self._db.executescript("BEGIN;" + _SCHEMA + f"PRAGMA user_version={SCHEMA_VERSION}; "
                               f"PRAGMA application_id={APPLICATION_ID}; COMMIT;")

    def _migrate(self) -> None:
        """Bring an older store to :data:`SCHEMA_VERSION` in one write transaction; another
        process that migrated first leaves nothing to do."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            while version in _MIGRATIONS:
                for statement in filter(str.strip, _MIGRATIONS[version].split(";")):
                    self._db.execute(statement)
                version += 1
            self._db.execute(f"PRAGMA user_version={version}")
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _repair(self) -> None:
        """Null every stored value of the wrong type (older citegraph stored what the server sent)."""
        checks = [(c, "integer") for c in ("year", "corpus_id", "citation_count", "reference_count",
                                             "influential_citation_count")]
        checks += [(c, "text") for c in ("title", "venue", "arxiv_id", "doi", "abstract", "tldr",
                                         "publication_date")]
        wrong = " OR ".join(f"({col} IS NOT NULL AND typeof({col}) != '{kind}')" for col, kind in checks)
        bad_authors = "(authors IS NOT NULL AND (NOT json_valid(authors) OR json_type(authors) != 'array'))"
        # one read first: the common case takes no write lock, so concurrent runs do not wait on each other
        if not self._db.execute(f"SELECT EXISTS (SELECT 1 FROM papers WHERE {wrong} OR {bad_authors})").fetchone()[0]:
            return
        for col, kind in checks:
            n = self._db.execute(f"UPDATE papers SET {col} = NULL WHERE {col} IS NOT NULL AND typeof({col}) != ?",
                                 (kind,)).rowcount
            if n:
                self.repaired.append(f"{n} {col} values that were not {kind}s")
        n = self._db.execute("UPDATE papers SET authors = NULL WHERE authors IS NOT NULL AND "
                             "(NOT json_valid(authors) OR json_type(authors) != 'array')").rowcount
        if n:
            self.repaired.append(f"{n} author lists that were not JSON lists")

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
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
        # SQLite has already rolled back after some errors (a full disk): a second ROLLBACK would fail
        # with "no transaction is active" and hide the real error
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass  # the error that brought us here says what went wrong

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
        disk = _disk_problem(self.path, exc)
        if disk:
            return StoreError(disk)
        if _is_permission(exc):
            hint = "the file or its folder is read-only: fix the permissions or pass --store elsewhere"
        elif _is_damage(exc):
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

    def _exec_many(self, sql: str, rows: Iterable[tuple]) -> None:
        self._check_still_there()
        with self.transaction():
            try:
                self._db.executemany(sql, rows)
            except sqlite3.DatabaseError as exc:
                raise self._write_error(exc) from None

    def _read(self, sql: str, params: Iterable = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, list(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            if _is_damage(exc):
                raise StoreCorruptError(f"the store {self.path} is damaged ({exc}); move it aside or pass "
                                        "--store with a new path, then run again") from None
            raise StoreError(f"reading {self.path} failed ({exc})") from None

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
        self._exec_many(sql, rows)

    def get_papers(self, paper_ids: Iterable[str]) -> dict[str, PaperRecord]:
        out: dict[str, PaperRecord] = {}
        for chunk in _chunks(list(paper_ids), 900):
            q = f"SELECT {', '.join(_PAPER_COLS)} FROM papers WHERE paper_id IN ({', '.join('?' * len(chunk))})"
            for row in self._read(q, chunk):
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
        if table not in {"papers", "edges", "lists", "aliases"}:
            raise StoreError(f"no table {table!r}")
        return self._read(f"SELECT COUNT(*) FROM {table}")[0][0]

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
        self._exec_many(sql, ((e.citing, e.cited, None if e.is_influential is None else int(e.is_influential),
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
            for citing, cited, infl, intents, contexts in self._read(q, chunk):
                out.append(CitationEdge(
                    citing, cited, None if infl is None else bool(infl),
                    _json_tuple(intents), _json_tuple(contexts),
                ))
        return out

    def citation_graph(self):
        """Every stored edge as a ``networkx.DiGraph`` with titles and years on the nodes
        (for paths through everything ever fetched)."""
        import networkx as nx

        g = nx.DiGraph()
        g.add_edges_from(self._read("SELECT citing, cited FROM edges WHERE citing != cited"))
        for pid, title, year in self._read("SELECT paper_id, title, year FROM papers"):
            if pid in g:
                g.nodes[pid].update(title=title, year=year)
        return g

    # -- list completeness -----------------------------------------------
    def put_list_state(self, state: ListState) -> None:
        self._exec_many(
            "INSERT OR REPLACE INTO lists VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(state.paper_id, state.kind, state.n_items, state.total, int(state.complete),
              state.truncated, state.fetched_at, state.limit)],
        )

    def get_list_states(self, paper_ids: Iterable[str], kind: str) -> dict[str, ListState]:
        out = {}
        for chunk in _chunks(list(paper_ids), 900):
            q = (f"SELECT paper_id, kind, n_items, total, complete, truncated, fetched_at, limit_asked "
                 f"FROM lists WHERE kind = ? AND paper_id IN ({', '.join('?' * len(chunk))})")
            for row in self._read(q, [kind, *chunk]):
                out[row[0]] = ListState(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6], row[7])
        return out

    # -- aliases: what an input ID resolved to (or why it did not) ---------
    def put_alias(self, alias: str, paper_id: str | None, reason: str | None = None) -> None:
        self._exec_many("INSERT OR REPLACE INTO aliases VALUES (?, ?, ?, ?)",
                        [(alias, paper_id, reason, time.time())])

    def get_alias(self, alias: str) -> tuple[str | None, str | None] | None:
        """``(paper_id, None)``, ``(None, reason)`` for a known miss, or ``None`` if never looked up."""
        rows = self._read("SELECT paper_id, reason FROM aliases WHERE alias = ?", (alias,))
        return None if not rows else (rows[0][0], rows[0][1])


def _connect_read_only(p: Path) -> sqlite3.Connection:
    """A read-only connection that writes nothing, not even the WAL index: a store in WAL mode on a
    read-only disk cannot get one, so it is read as immutable when the plain read-only open fails."""
    uri = p.resolve().as_uri()
    try:
        db = sqlite3.connect(uri + "?mode=ro", uri=True, isolation_level=None)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        return sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None)


def _json_tuple(text: str | None) -> tuple | None:
    try:
        value = json.loads(text) if text else None
    except (TypeError, ValueError):
        return None
    return tuple(value) if isinstance(value, list) else None


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
