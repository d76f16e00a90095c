"""The store's file and schema: recognising a citegraph store, creating, migrating and repairing it,
and saying in one line what a failed open or write means (a full disk, a read-only folder, damage).

:class:`graph.store.Store` opens its connection through here; nothing here reads or writes papers.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import platformdirs

from .errors import StoreCorruptError, StoreError, StoreSchemaError

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

PAPER_COLS = [
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


def is_permission(exc: BaseException) -> bool:
    """Whether ``exc`` says the file or its folder cannot be opened or written."""
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc`` says the file is damaged (malformed, not a database)."""
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text or "file is encrypted" in text


def _free_bytes(path: str) -> int | None:
    try:
        return shutil.disk_usage(Path(path).resolve().parent).free
    except OSError:
        return None


def disk_problem(path: str, exc: BaseException) -> str | None:
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


def writable(p: Path) -> bool:
    """Whether a store at ``p`` can be written: the file (if any), its folder (SQLite creates the WAL
    beside it) and the file system."""
    folder = p.parent if str(p.parent) else Path(".")
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        pass
    return (not p.exists() or os.access(p, os.W_OK)) and os.access(folder, os.W_OK)


def recognise(p: Path) -> None:
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
    con = connect_read_only(p)
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
            and set(PAPER_COLS) <= columns:
        return  # a store written before citegraph marked its files
    what = (f"application id {app:#x}" if app else
            f"tables {', '.join(sorted(tables)[:5])}" if tables else f"user_version {version}")
    raise StoreCorruptError(f"{p} is an SQLite database of another program ({what}), not a citegraph store; "
                            "citegraph never writes into it: pass --store with another path")


def connect_read_only(p: Path) -> sqlite3.Connection:
    """A read-only connection that writes nothing, not even the WAL index: a store in WAL mode on a
    read-only disk cannot get one, so it is read as immutable when the plain read-only open fails."""
    uri = p.resolve().as_uri()
    try:
        db = sqlite3.connect(uri + "?mode=ro", uri=True, isolation_level=None)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        return sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None)


def rollback(db: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already (it has after some errors, a full disk:
    a second ROLLBACK would fail with "no transaction is active" and hide the real error)."""
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.DatabaseError:
            pass  # the error that brought us here says what went wrong


def check_read_only_version(db: sqlite3.Connection, path: str, why: str) -> None:
    """A store opened read-only (``why``) must be of this schema already: it cannot be migrated."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        raise StoreSchemaError(
            f"{path} has store schema version {version}, this citegraph uses {SCHEMA_VERSION}, and it "
            f"is read-only ({why}), so it cannot be brought up to date; make it writable once")


def check_and_create(db: sqlite3.Connection, path: str) -> None:
    """Create the schema in a new store, migrate an older one; refuse another program's database or a
    newer schema."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if version == 0 and tables:
        raise StoreCorruptError(
            f"{path} is an SQLite file but not a citegraph store; "
            "pass --store with another path"
        )
    if version in _MIGRATIONS and "edges" in tables:
        migrate(db)
        version = SCHEMA_VERSION
    if version not in (0, SCHEMA_VERSION):
        raise StoreSchemaError(
            f"{path} has store schema version {version}, this citegraph uses "
            f"{SCHEMA_VERSION}; delete the file (it is only a cache) or pass --store with a new path"
        )
    db.executescript("BEGIN;" + _SCHEMA + f"PRAGMA user_version={SCHEMA_VERSION}; "
                     f"PRAGMA application_id={APPLICATION_ID}; COMMIT;")


def migrate(db: sqlite3.Connection) -> None:
    """Bring an older store to :data:`SCHEMA_VERSION` in one write transaction; another
    process that migrated first leaves nothing to do."""
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        while version in _MIGRATIONS:
            for statement in filter(str.strip, _MIGRATIONS[version].split(";")):
                db.execute(statement)
            version += 1
        db.execute(f"PRAGMA user_version={version}")
        db.execute("COMMIT")
    except BaseException:
        rollback(db)
        raise


def repair(db: sqlite3.Connection) -> list[str]:
    """Null every stored value of the wrong type (older citegraph stored what the server sent); what was
    repaired, one line per column."""
    repaired: list[str] = []
    checks = [(c, "integer") for c in ("year", "corpus_id", "citation_count", "reference_count",
                                       "influential_citation_count")]
    checks += [(c, "text") for c in ("title", "venue", "arxiv_id", "doi", "abstract", "tldr",
                                     "publication_date")]
    wrong = " OR ".join(f"({col} IS NOT NULL AND typeof({col}) != '{kind}')" for col, kind in checks)
    bad_authors = "(authors IS NOT NULL AND (NOT json_valid(authors) OR json_type(authors) != 'array'))"
    # one read first: the common case takes no write lock, so concurrent runs do not wait on each other
    if not db.execute(f"SELECT EXISTS (SELECT 1 FROM papers WHERE {wrong} OR {bad_authors})").fetchone()[0]:
        return repaired
    for col, kind in checks:
        n = db.execute(f"UPDATE papers SET {col} = NULL WHERE {col} IS NOT NULL AND typeof({col}) != ?",
                       (kind,)).rowcount
        if n:
            repaired.append(f"{n} {col} values that were not {kind}s")
    n = db.execute("UPDATE papers SET authors = NULL WHERE authors IS NOT NULL AND "
                   "(NOT json_valid(authors) OR json_type(authors) != 'array')").rowcount
    if n:
        repaired.append(f"{n} author lists that were not JSON lists")
    return repaired
