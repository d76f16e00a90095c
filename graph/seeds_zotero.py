"""Seeds from a reference manager: Zotero's CSL-JSON and RIS exports, and a local Zotero library.

Each record becomes a :class:`graph.seeds.Seed` by the first identifier it carries: an arXiv id
(Zotero keeps it in ``archiveID``/``number`` as ``arXiv:2205.14135``, or in an arXiv DOI or URL),
then its DOI, then a URL that names a paper, then its title. A record that cannot be read is a
:class:`graph.seeds.SeedProblem` naming the file and the record; the other records go through.

A Zotero data directory (or its ``zotero.sqlite``) is read from a temporary copy, so a running
Zotero is neither locked out nor disturbed and nothing is ever written into the user's data.
``PATH::A/B`` (what ``--collection A/B`` makes of a library given on the command line) reads the
items of collection ``B`` inside ``A``; each seed's section is the collection it sits in.

>>> seeds = parse_csl_json('[{"id": "x", "type": "article", "title": "SYNTH", "DOI": "10.9999/s"}]', "lib.json")
>>> [str(s.pid) for s in seeds.seeds]
['doi:10.9999/s']
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from .errors import SeedError, SeedFileError
from .ids import PaperId, normalise_identifier
from .seeds import Seed, SeedList, SeedProblem, _id_in_prose

COLLECTION_SEPARATOR = "::"
ZOTERO_DB = "zotero.sqlite"
# userdata schema versions of the Zotero 5-7 databases whose tables this reader knows (Zotero 4
# and before kept creators elsewhere); a newer one may have moved them, so it is refused by name
ZOTERO_USERDATA_VERSIONS = range(80, 131)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_NOT_BIBLIOGRAPHIC = ("note", "attachment", "annotation")


# -- one record to one seed --------------------------------------------------------------------------------
def _first_id(candidates: Iterable[str | None], prose: Iterable[str | None] = ()) -> tuple[str, PaperId] | None:
    """The first identifier a source resolves by id among ``candidates`` (each a whole identifier),
    then inside ``prose`` (notes, Zotero's ``extra``)."""
    for cand in candidates:
        if not cand or not str(cand).strip():
            continue
        text = str(cand).strip()
        try:
            pid = normalise_identifier(text, allow_title=False)
        except SeedError:
            found = _id_in_prose(text)
            if found is not None:
                return found
            continue
        if pid.resolvable_by_id:
            return text, pid
    for text in prose:
        found = _id_in_prose(str(text)) if text else None
        if found is not None:
            return found
    return None


def _arxiv_field(value: str | None) -> str | None:
    """``arXiv:2205.14135`` (Zotero's archiveID and a preprint's number) as an identifier; else None."""
    if value and re.match(r"^\s*arxiv\s*:", str(value), re.IGNORECASE):
        return str(value).strip()
    return None


def _year(value) -> int | None:
    m = re.search(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", str(value or ""))
    return int(m.group(1)) if m else None


def record_seed(*, source: str, line: int, title: str | None, arxiv: Iterable[str | None] = (),
                doi: str | None = None, urls: Iterable[str | None] = (), prose: Iterable[str | None] = (),
                year: int | None = None, section: str = "", label: str | None = None) -> Seed | SeedProblem:
    """A seed from one reference's fields (arXiv id, then DOI, then a paper URL, then the title), or
    the problem that keeps it out. ``label`` names the record in messages (its key or id)."""
    title = " ".join(str(title).split()) if title else None
    found = _first_id([*map(_arxiv_field, arxiv), doi, *urls], prose)
    if found is not None:
        text, pid = found
    elif title:
        text, pid = title, PaperId("title", title)
    else:
        return SeedProblem(source, line, label or "", "record has no arXiv id, DOI, paper URL or title")
    return Seed(pid=pid, input=text, source=source, line=line, title=title, section=section,
                heading_path=tuple(section.split(" / ")) if section else (), year_hint=year)


def _add(out: SeedList, got: Seed | SeedProblem) -> None:
    (out.seeds if isinstance(got, Seed) else out.problems).append(got)


def _strings(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# -- CSL-JSON ----------------------------------------------------------------------------------------------
def looks_like_csl_json(text: str) -> bool:
    """Whether ``text`` is a JSON array (or object) as Zotero's CSL-JSON export writes it.

    >>> looks_like_csl_json('[\\n  {"id": "a", "type": "article-journal"}]'), looks_like_csl_json("1706.03762")
    (True, False)
    """
    return bool(re.match(r"\s*(\[\s*)?\{", text))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _json_records(text: str, source: str, problems: list[SeedProblem]) -> Iterator[tuple[int, int, object]]:
    """``(record number, line, value)`` for each record of a CSL-JSON array, read one at a time so a
    truncated or damaged file still gives the records before the damage (reported once)."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"\s*")
    i = ws.match(text, 0).end()
    if text.startswith("{", i):  # one item, not in an array
        try:
            value, _ = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            problems.append(SeedProblem(source, exc.lineno, "record 1", f"bad CSL-JSON: {exc.msg}"))
            return
        yield 1, _line_of(text, i), value
        return
    if not text.startswith("[", i):
        problems.append(SeedProblem(source, _line_of(text, i), text[i:i + 40], "not CSL-JSON: expected a [ list ]"))
        return
    i = ws.match(text, i + 1).end()
    n = 0
    while True:
        if text.startswith("]", i):
            return
        n += 1
        try:
            value, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            where = "the file ends inside it (truncated?)" if exc.pos >= len(text.rstrip()) else exc.msg
            problems.append(SeedProblem(source, exc.lineno, f"record {n}",
                                        f"bad CSL-JSON ({where}); this record and any after it were not read"))
            return
        yield n, _line_of(text, i), value
        i = ws.match(text, end).end()
        if text.startswith(",", i):
            i = ws.match(text, i + 1).end()
        elif not text.startswith("]", i):
            why = "the file ends here (truncated?)" if i >= len(text) else "expected , or ]"
            problems.append(SeedProblem(source, _line_of(text, i), f"after record {n}",
                                        f"bad CSL-JSON: {why}; any records after it were not read"))
            return


def parse_csl_json(text: str, source: str = "<csl-json>") -> SeedList:
    """Seeds from a CSL-JSON export (Zotero: Export Collection… → CSL JSON)."""
    out = SeedList()
    for n, line, item in _json_records(text, source, out.problems):
        if not isinstance(item, dict):
            out.problems.append(SeedProblem(source, line, f"record {n}", "a CSL-JSON record must be an object"))
            continue
        issued = item.get("issued")
        year = None
        if isinstance(issued, dict):
            parts = issued.get("date-parts")
            if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
                year = _year(parts[0][0])
            year = year or _year(issued.get("raw") or issued.get("literal"))
        title = item.get("title") if isinstance(item.get("title"), str) else None
        label = str(item.get("id") or f"record {n}")
        _add(out, record_seed(source=source, line=line, title=title, label=label,
                              arxiv=[item.get("number"), item.get("archive_location"),
                                     *(ln for n in _strings(item.get("note")) for ln in n.splitlines())],
                              doi=item.get("DOI") if isinstance(item.get("DOI"), str) else None,
                              urls=_strings(item.get("URL")), prose=_strings(item.get("note")), year=year))
    return out


# -- RIS ---------------------------------------------------------------------------------------------------
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -( |$)")
# tags whose text may run on over untagged lines (a long abstract or note); after any other tag an
# untagged line is damage, which rispy would silently glue onto the DOI or URL before it
_RIS_TEXT_TAGS = frozenset("AB N1 N2 TI T1 T2 T3 ST KW AD PB JO JF JA M1 M3".split())


def looks_like_ris(text: str) -> bool:
    """Whether ``text`` starts as a RIS file does, with a ``TY  -`` line.

    >>> looks_like_ris("\\ufeff\\nTY  - JOUR\\nTI  - SYNTH\\nER  - \\n"), looks_like_ris("TY: x")
    (True, False)
    """
    first = next((ln for ln in text.lstrip("\ufeff").splitlines() if ln.strip()), "")
    return first.startswith("TY  -")


def _ris_records(text: str, source: str, problems: list[SeedProblem]) -> Iterator[tuple[int, int, str]]:
    """``(record number, first line, the record's text)`` for each ``TY … ER`` record; text outside a
    record and a record cut off before its ``ER`` line are reported."""
    n, start, lines, last_tag, damaged = 0, 0, None, None, None
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        tag = _RIS_TAG.match(line)
        if lines is None:
            if tag and tag.group(1) == "TY":
                n, start, lines, last_tag, damaged = n + 1, number, [line], "TY", None
            elif line.strip():
                problems.append(SeedProblem(source, number, line[:60], "not inside a RIS record (TY … ER)"))
            continue
        if tag and tag.group(1) == "TY":
            problems.append(SeedProblem(source, start, f"record {n}", "RIS record has no ER line; skipped"))
            n, start, lines, last_tag, damaged = n + 1, number, [line], "TY", None
            continue
        lines.append(line)
        if tag:
            last_tag = tag.group(1)
        elif line.strip() and last_tag not in _RIS_TEXT_TAGS and damaged is None:
            damaged = number
        if tag and tag.group(1) == "ER":
            if damaged is not None:
                problems.append(SeedProblem(source, start, f"record {n}",
                                            f"bad RIS record: line {damaged} has no tag (XX  - value); skipped"))
            else:
                yield n, start, "\n".join(lines) + "\n"
            lines = None
    if lines is not None:
        problems.append(SeedProblem(source, start, f"record {n}",
                                    "RIS record has no ER line (the file ends inside it: truncated?); skipped"))


def parse_ris(text: str, source: str = "<ris>") -> SeedList:
    """Seeds from a RIS export (Zotero: Export Collection… → RIS), each record parsed with rispy."""
    import rispy

    out = SeedList()
    for n, line, record in _ris_records(text, source, out.problems):
        try:
            parsed = rispy.loads(record)
        except Exception as exc:  # rispy raises whatever its parser met (KeyError, ValueError…)
            out.problems.append(SeedProblem(source, line, f"record {n}",
                                            f"bad RIS record ({type(exc).__name__}: {exc}); skipped"))
            continue
        if len(parsed) != 1:
            out.problems.append(SeedProblem(source, line, f"record {n}", "bad RIS record; skipped"))
            continue
        entry = parsed[0]
        title = entry.get("title") or entry.get("primary_title")
        notes = _strings(entry.get("notes")) + _strings(entry.get("note"))
        _add(out, record_seed(source=source, line=line, title=title, label=entry.get("id") or f"record {n}",
                              arxiv=[entry.get("number"), *notes], doi=entry.get("doi"),
                              urls=_strings(entry.get("urls")), prose=notes,
                              year=_year(entry.get("year") or entry.get("publication_year") or entry.get("date"))))
    return out


def reference_reader(path: Path, text: str):
    """The parser for a reference manager's export, by extension (``.json``, ``.ris``) or content
    (a RIS ``TY  -`` line first, a CSL-JSON list), or None for other seed files."""
    suffix = path.suffix.lower()
    if suffix == ".ris" or looks_like_ris(text):
        return parse_ris
    if suffix in (".json", ".csljson") or (suffix not in (".md", ".markdown", ".bib", ".bibtex")
                                            and looks_like_csl_json(text)):
        return parse_csl_json
    return None


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
                names.append(str(parent[at][0]))
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
    return sqlite3.connect(copy)


def read_zotero_library(item: str) -> SeedList:
    """Seeds from a local Zotero library (``DATA_DIR``, ``zotero.sqlite``, with ``::A/B`` for one
    collection): its regular items (not notes, attachments, annotations or the trash), read from a
    temporary copy of the database so a running Zotero is not disturbed."""
    db_path = zotero_database(item)
    if db_path is None:
        raise SeedFileError(f"{item} is not a Zotero data directory or database")
    _, collection = split_collection(item)
    where = f"{db_path}" + (f" (collection {collection})" if collection else "")
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
             f"WHERE t.typeName NOT IN ({', '.join('?' * len(_NOT_BIBLIOGRAPHIC))})")
    if "deletedItems" in {r[0] for r in lib.db.execute("SELECT name FROM sqlite_master")}:
        query += " AND i.itemID NOT IN (SELECT itemID FROM deletedItems)"
    params: list = list(_NOT_BIBLIOGRAPHIC)
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
                          prose=[v.get("extra")], year=_year(v.get("date")), section=section)
        if isinstance(got, SeedProblem):
            got = SeedProblem(where, row, f"item {key}", got.reason)
        _add(out, got)
    if not items:
        out.notes.append(f"{where}: no items" + (" in this collection (items of its subcollections are not "
                                                  "included, as in Zotero's default view)" if collection else ""))
    return out
