"""Seeds from a local Zotero library (its data directory or ``zotero.sqlite``).

The database is read from a temporary copy, so a running Zotero is neither locked out nor disturbed
and nothing is ever written into the user's data. ``PATH::A/B`` (what ``--collection A/B`` makes of a
library given on the command line) reads the items of collection ``B`` inside ``A``; each seed's
section is the collection it sits in. Its records become seeds by the rules of :mod:`.seeds_references`.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable

from .errors import SeedError, SeedFileError
from .seed_list import SeedList, SeedProblem, shown_bytes
from .seeds_references import NOT_BIBLIOGRAPHIC, add_seed, parse_csl_json, parse_ris, record_seed, year_in

__all__ = ["parse_csl_json", "parse_ris", "read_zotero_library", "split_collection", "with_collection",
           "zotero_database"]

COLLECTION_SEPARATOR = "::"
ZOTERO_DB = "zotero.sqlite"
# userdata schema versions of the Zotero 5-7 databases whose tables this reader knows (Zotero 4
# and before kept creators elsewhere); a newer one may have moved them, so it is refused by name
ZOTERO_USERDATA_VERSIONS = range(80, 131)
_SQLITE_MAGIC = b"SQLite format 3\x00"


# -- a local Zotero library --------------------------------------------------------------------------------
def split_collection(item: str) -> tuple[str, str | None]:
    """``PATH::A/B`` as ``(PATH, "A/B")``; an item without ``::`` has no collection.

    >>> split_collection("~/Zotero::Thesis/Related work"), split_collection("zotero.sqlite")
    (('~/Zotero', 'Thesis/Related work'), ('zotero.sqlite', None))
    """
    if COLLECTION_SEPARATOR in item:
        path, _, collection = item.partition(COLLECTION_SEPARATOR)
        return path, collection.strip("/ ") or None
    return item, None


def zotero_database(item: str) -> Path | None:
    """The Zotero database a seed item names (a data directory holding ``zotero.sqlite``, a ``.sqlite``
    file, either with ``::COLLECTION``), or None when the item is something else."""
    path, collection = split_collection(item)
    try:
        p = Path(path).expanduser()
        if p.is_dir() and (p / ZOTERO_DB).is_file():
            return p / ZOTERO_DB
        if p.is_file() and (p.suffix.lower() == ".sqlite" or collection is not None):
            return p
    except (OSError, ValueError):
        return None
    return None


def with_collection(items: Iterable[str], collection: str | None) -> list[str]:
    """``items`` with ``::COLLECTION`` added to each Zotero library among them (``--collection``)."""
    if not collection:
        return list(items)
    if not any(zotero_database(i) for i in items):
        raise SeedError(f"--collection {collection!r} needs a Zotero data directory or zotero.sqlite among the "
                        "seeds; none of them is one")
    return [f"{split_collection(i)[0]}{COLLECTION_SEPARATOR}{collection}" if zotero_database(i) else i
            for i in items]


class _Library:
    """The parts of a Zotero database this reader uses, read from a private copy."""

    def __init__(self, db: sqlite3.Connection, where: str) -> None:
        self.db, self.where = db, where

    def table(self, *names: str) -> str:
        """The first of ``names`` the database has (Zotero 5+ has ``fieldsCombined`` beside ``fields``)."""
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        for n in names:
            if n in have:
                return n
        raise SeedFileError(f"{self.where} has no table {names[0]}: it is not a Zotero database (zotero.sqlite)")

    def check(self) -> None:
        for t in ("items", "itemData", "itemDataValues", "creators", "itemCreators", "collections",
                  "collectionItems", "version"):
            self.table(t)
        row = self.db.execute("SELECT version FROM version WHERE schema = 'userdata'").fetchone()
        version = row[0] if row else None
        if not isinstance(version, int) or version not in ZOTERO_USERDATA_VERSIONS:
            raise SeedFileError(
                f"{self.where} has Zotero userdata schema version {version}, which citegraph does not know "
                f"(it reads {ZOTERO_USERDATA_VERSIONS.start}-{ZOTERO_USERDATA_VERSIONS.stop - 1}); "
                "export the collection from Zotero as CSL JSON or RIS and give that file instead")

    def collection_paths(self) -> dict[int, str]:
        rows = self.db.execute("SELECT collectionID, collectionName, parentCollectionID FROM collections").fetchall()
        parent = {cid: (name, par) for cid, name, par in rows}
        paths: dict[int, str] = {}
        for cid in parent:
            names, seen, at = [], set(), cid
            while at in parent and at not in seen:  # a damaged parent loop must not hang the reader
                seen.add(at)
                names.append(shown_bytes(str(parent[at][0])))
                at = parent[at][1]
            paths[cid] = "/".join(reversed(names))
        return paths

    def find_collection(self, wanted: str, paths: dict[int, str]) -> int:
        norm = lambda s: "/".join(part.strip() for part in s.split("/"))
        exact = [cid for cid, p in paths.items() if p == norm(wanted)]
        loose = [cid for cid, p in paths.items() if p.casefold() == norm(wanted).casefold()]
        found = exact or loose
        if len(found) == 1:
            return found[0]
        if found:
            raise SeedFileError(f"{self.where}: {len(found)} collections are named {wanted!r} (in different "
                                "libraries); rename one in Zotero")
        tops = sorted(p for p in paths.values() if "/" not in p)
        shown = ", ".join(tops[:10]) + (" …" if len(tops) > 10 else "")
        raise SeedFileError(f"{self.where} has no collection {wanted!r} (nested ones as A/B); "
                            f"its top-level collections: {shown or 'none'}")


def _open_copy(db_path: Path, tmp: Path) -> sqlite3.Connection:
    """A connection to a copy of ``db_path`` (and its write-ahead log, which holds committed data)."""
    try:
        with open(db_path, "rb") as fh:
            magic = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise SeedFileError(f"cannot read Zotero database {db_path}: {exc.strerror or exc}; check the path "
                            "and that you may read it") from None
    if magic != _SQLITE_MAGIC:
        raise SeedFileError(f"{db_path} is not a database (no SQLite header); give Zotero's data directory "
                            f"or its {ZOTERO_DB}")
    copy = tmp / ZOTERO_DB
    try:
        shutil.copyfile(db_path, copy)
        wal = db_path.with_name(db_path.name + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
    except OSError as exc:
        raise SeedFileError(f"cannot copy Zotero database {db_path} ({exc.strerror or exc}): is it locked by "
                            "another program? Close Zotero, or export the collection as CSL JSON or RIS") from None
    db = sqlite3.connect(copy)
    # a value that is not UTF-8 (written by another program) keeps its bytes as surrogates, so that
    # read_seeds refuses that one item, not the whole library
    db.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")
    return db


def read_zotero_library(item: str) -> SeedList:
    """Seeds from a local Zotero library (``DATA_DIR``, ``zotero.sqlite``, with ``::A/B`` for one
    collection): its regular items (not notes, attachments, annotations or the trash), read from a
    temporary copy of the database so a running Zotero is not disturbed."""
    db_path = zotero_database(item)
    if db_path is None:
        raise SeedFileError(f"{item} is not a Zotero data directory or database")
    _, collection = split_collection(item)
    where = shown_bytes(f"{db_path}" + (f" (collection {collection})" if collection else ""))
    with tempfile.TemporaryDirectory(prefix="citegraph-zotero-") as tmp:
        db = _open_copy(db_path, Path(tmp))
        try:
            return _read_library(_Library(db, str(db_path)), collection, where)
        except sqlite3.DatabaseError as exc:
            msg = str(exc)
            if "locked" in msg or "busy" in msg:
                why = "it is locked in the middle of a write; try again when Zotero has saved"
            elif "not a database" in msg or "malformed" in msg:
                why = "it is damaged or not a database"
            else:
                why = f"it cannot be read as a Zotero database ({msg})"
            raise SeedFileError(f"{db_path}: {why}") from None
        finally:
            db.close()


def _read_library(lib: _Library, collection: str | None, where: str) -> SeedList:
    lib.check()
    types, fields = lib.table("itemTypesCombined", "itemTypes"), lib.table("fieldsCombined", "fields")
    paths = lib.collection_paths()
    member_of: dict[int, list[int]] = {}
    for cid, iid in lib.db.execute("SELECT collectionID, itemID FROM collectionItems ORDER BY collectionID, "
                                   "orderIndex, itemID"):
        member_of.setdefault(iid, []).append(cid)
    query = (f"SELECT i.itemID, i.key FROM items i JOIN {types} t ON t.itemTypeID = i.itemTypeID "
             f"WHERE t.typeName NOT IN ({', '.join('?' * len(NOT_BIBLIOGRAPHIC))})")
    if "deletedItems" in {r[0] for r in lib.db.execute("SELECT name FROM sqlite_master")}:
        query += " AND i.itemID NOT IN (SELECT itemID FROM deletedItems)"
    params: list = list(NOT_BIBLIOGRAPHIC)
    chosen = None
    if collection:
        chosen = lib.find_collection(collection, paths)
        query += " AND i.itemID IN (SELECT itemID FROM collectionItems WHERE collectionID = ?)"
        params.append(chosen)
    items = lib.db.execute(query + " ORDER BY i.itemID", params).fetchall()
    values: dict[int, dict[str, str]] = {}
    for iid, name, value in lib.db.execute(
            f"SELECT d.itemID, f.fieldName, v.value FROM itemData d JOIN {fields} f ON f.fieldID = d.fieldID "
            "JOIN itemDataValues v ON v.valueID = d.valueID"):
        values.setdefault(iid, {})[str(name)] = "" if value is None else str(value)
    out = SeedList()
    for row, (iid, key) in enumerate(items, start=1):
        v = values.get(iid, {})
        in_collection = chosen if chosen is not None else next(iter(member_of.get(iid, [])), None)
        section = " / ".join(paths[in_collection].split("/")) if in_collection in paths else ""
        got = record_seed(source=where, line=row, title=v.get("title"), label=f"item {key}",
                          arxiv=[v.get("archiveID"), v.get("number")], doi=v.get("DOI"), urls=[v.get("url")],
                          prose=[v.get("extra")], year=year_in(v.get("date")), section=section)
        if isinstance(got, SeedProblem):
            got = SeedProblem(where, row, f"item {key}", got.reason)
        add_seed(out, got)
    if not items:
        out.notes.append(f"{where}: no items" + (" in this collection (items of its subcollections are not "
                                                 "included, as in Zotero's default view)" if collection else ""))
    return out
