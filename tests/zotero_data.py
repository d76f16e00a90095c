"""Small, visibly synthetic Zotero libraries for the tests: a ``zotero.sqlite`` with the tables (and
columns) of Zotero 5-7's userdata schema that matter here, and CSL-JSON and RIS files as Zotero
exports them (tab-indented CSL JSON; RIS records ``TY  - `` … ``ER  - `` with a blank line between)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# Zotero's userdata tables, as its schema creates them (Zotero 5+; userdata.sql), the ones citegraph reads
ZOTERO_SCHEMA = """
CREATE TABLE version (schema TEXT PRIMARY KEY, version INT NOT NULL);
CREATE INDEX schema ON version(schema);
CREATE TABLE settings (setting TEXT, key TEXT, value, PRIMARY KEY (setting, key));
CREATE TABLE itemTypes (itemTypeID INTEGER PRIMARY KEY, typeName TEXT, templateItemTypeID INT, display INT DEFAULT 1);
CREATE TABLE fields (fieldID INTEGER PRIMARY KEY, fieldName TEXT, fieldFormatID INT);
CREATE TABLE libraries (libraryID INTEGER PRIMARY KEY, type TEXT NOT NULL, editable INT NOT NULL,
    filesEditable INT NOT NULL, version INT NOT NULL DEFAULT 0, storageVersion INT NOT NULL DEFAULT 0,
    lastSync INT NOT NULL DEFAULT 0, archived INT NOT NULL DEFAULT 0);
CREATE TABLE items (itemID INTEGER PRIMARY KEY, itemTypeID INT NOT NULL,
    dateAdded TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, dateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    clientDateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, libraryID INT NOT NULL, key TEXT NOT NULL,
    version INT NOT NULL DEFAULT 0, synced INT NOT NULL DEFAULT 0, UNIQUE (libraryID, key),
    FOREIGN KEY (libraryID) REFERENCES libraries(libraryID) ON DELETE CASCADE);
CREATE TABLE itemDataValues (valueID INTEGER PRIMARY KEY, value UNIQUE);
CREATE TABLE itemData (itemID INT, fieldID INT, valueID, PRIMARY KEY (itemID, fieldID),
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE,
    FOREIGN KEY (fieldID) REFERENCES fields(fieldID), FOREIGN KEY (valueID) REFERENCES itemDataValues(valueID));
CREATE INDEX itemData_fieldID ON itemData(fieldID);
CREATE TABLE creators (creatorID INTEGER PRIMARY KEY, firstName TEXT, lastName TEXT, fieldMode INT,
    UNIQUE (lastName, firstName, fieldMode));
CREATE TABLE itemCreators (itemID INT NOT NULL, creatorID INT NOT NULL, creatorTypeID INT NOT NULL DEFAULT 1,
    orderIndex INT NOT NULL DEFAULT 0, PRIMARY KEY (itemID, creatorID, creatorTypeID, orderIndex),
    UNIQUE (itemID, orderIndex), FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE,
    FOREIGN KEY (creatorID) REFERENCES creators(creatorID) ON DELETE CASCADE);
CREATE TABLE collections (collectionID INTEGER PRIMARY KEY, collectionName TEXT NOT NULL,
    parentCollectionID INT DEFAULT NULL, clientDateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    libraryID INT NOT NULL, key TEXT NOT NULL, version INT NOT NULL DEFAULT 0, synced INT NOT NULL DEFAULT 0,
    UNIQUE (libraryID, key), FOREIGN KEY (libraryID) REFERENCES libraries(libraryID) ON DELETE CASCADE,
    FOREIGN KEY (parentCollectionID) REFERENCES collections(collectionID) ON DELETE CASCADE);
CREATE TABLE collectionItems (collectionID INT NOT NULL, itemID INT NOT NULL, orderIndex INT NOT NULL DEFAULT 0,
    PRIMARY KEY (collectionID, itemID), FOREIGN KEY (collectionID) REFERENCES collections(collectionID) ON DELETE CASCADE,
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE);
CREATE INDEX collectionItems_itemID ON collectionItems(itemID);
CREATE TABLE deletedItems (itemID INTEGER PRIMARY KEY, dateDeleted DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE);
"""

ITEM_TYPES = {"annotation": 1, "attachment": 3, "note": 28, "journalArticle": 22, "preprint": 31,
              "conferencePaper": 11, "book": 7}
FIELDS = {"title": 1, "abstractNote": 2, "date": 6, "url": 13, "extra": 16, "number": 33, "DOI": 58,
          "archiveID": 120}


def build_zotero_db(path: Path, items: list[dict], collections: list[tuple[int, str, int | None]],
                    members: list[tuple[int, int]], *, userdata_version: int = 120, trashed=()) -> Path:
    """A Zotero database at ``path``: ``items`` (``id``, ``type``, ``key``, field values, ``creators``),
    ``collections`` (id, name, parent id) and ``members`` (collection id, item id)."""
    db = sqlite3.connect(path)
    db.executescript(ZOTERO_SCHEMA)
    db.executemany("INSERT INTO version VALUES (?, ?)",
                   [("userdata", userdata_version), ("system", 32), ("globalSchema", 34), ("triggers", 9)])
    db.execute("INSERT INTO settings VALUES ('account', 'localUserKey', 'SYNTHKEY')")
    db.executemany("INSERT INTO itemTypes (itemTypeID, typeName) VALUES (?, ?)", [(v, k) for k, v in ITEM_TYPES.items()])
    db.executemany("INSERT INTO fields (fieldID, fieldName) VALUES (?, ?)", [(v, k) for k, v in FIELDS.items()])
    db.execute("INSERT INTO libraries (libraryID, type, editable, filesEditable) VALUES (1, 'user', 1, 1)")
    values: dict[str, int] = {}
    for it in items:
        db.execute("INSERT INTO items (itemID, itemTypeID, libraryID, key) VALUES (?, ?, 1, ?)",
                   (it["id"], ITEM_TYPES[it["type"]], it["key"]))
        for name, value in it.items():
            if name in FIELDS:
                vid = values.setdefault(value, len(values) + 1)
                db.execute("INSERT OR IGNORE INTO itemDataValues VALUES (?, ?)", (vid, value))
                db.execute("INSERT INTO itemData VALUES (?, ?, ?)", (it["id"], FIELDS[name], vid))
        for order, (first, last) in enumerate(it.get("creators", [])):
            db.execute("INSERT OR IGNORE INTO creators (firstName, lastName, fieldMode) VALUES (?, ?, 0)", (first, last))
            cid = db.execute("SELECT creatorID FROM creators WHERE firstName = ? AND lastName = ?",
                             (first, last)).fetchone()[0]
            db.execute("INSERT INTO itemCreators VALUES (?, ?, 1, ?)", (it["id"], cid, order))
    for cid, name, parent in collections:
        db.execute("INSERT INTO collections (collectionID, collectionName, parentCollectionID, libraryID, key) "
                   "VALUES (?, ?, ?, 1, ?)", (cid, name, parent, f"COLL{cid:04d}"))
    db.executemany("INSERT INTO collectionItems (collectionID, itemID, orderIndex) VALUES (?, ?, 0)", members)
    db.executemany("INSERT INTO deletedItems (itemID) VALUES (?)", [(i,) for i in trashed])
    db.commit()
    db.close()
    return path


def synth_library(folder: Path, **kw) -> Path:
    """A Zotero data directory: Thesis/{Related work, Background} and Other, with a note, an attachment
    and a trashed item beside the papers."""
    folder.mkdir(parents=True, exist_ok=True)
    items = [
        {"id": 1, "type": "preprint", "key": "AAAA1111", "title": "SYNTH paper 1", "archiveID": "arXiv:2101.00001",
         "url": "http://arxiv.org/abs/2101.00001", "DOI": "10.48550/arXiv.2101.00001", "date": "2021-01-05 2021-01-05",
         "creators": [("SYNTH", "Author One")]},
        {"id": 2, "type": "journalArticle", "key": "BBBB2222", "title": "SYNTH paper 2", "DOI": "10.9999/synth.2",
         "date": "2020-00-00 2020"},
        {"id": 3, "type": "conferencePaper", "key": "CCCC3333", "title": "SYNTH paper 3",
         "extra": "arXiv: 2101.00003", "date": "2019-00-00 2019"},
        {"id": 4, "type": "book", "key": "DDDD4444", "title": "SYNTH book with no identifier"},
        {"id": 5, "type": "note", "key": "EEEE5555"},
        {"id": 6, "type": "attachment", "key": "FFFF6666", "title": "Full Text PDF"},
        {"id": 7, "type": "journalArticle", "key": "GGGG7777", "title": "SYNTH trashed paper", "DOI": "10.9999/synth.7"},
        {"id": 8, "type": "journalArticle", "key": "HHHH8888"},  # no title, no identifier
    ]
    collections = [(1, "Thesis", None), (2, "Related work", 1), (3, "Background", 1), (4, "Other", None)]
    members = [(2, 1), (2, 2), (2, 5), (2, 6), (3, 3), (4, 4), (2, 7), (4, 8)]
    build_zotero_db(folder / "zotero.sqlite", items, collections, members, trashed=[7], **kw)
    (folder / "storage").mkdir(exist_ok=True)
    return folder


CSL_JSON = """[
\t{
\t\t"id": "http://zotero.org/users/local/SYNTHusr/items/AAAA1111",
\t\t"type": "article",
\t\t"title": "SYNTH paper 1",
\t\t"publisher": "arXiv",
\t\t"number": "arXiv:2101.00001",
\t\t"source": "arXiv.org",
\t\t"abstract": "Synthetic abstract of SYNTH paper 1.",
\t\t"URL": "http://arxiv.org/abs/2101.00001",
\t\t"DOI": "10.48550/arXiv.2101.00001",
\t\t"note": "arXiv:2101.00001 [cs]",
\t\t"author": [
\t\t\t{
\t\t\t\t"family": "Author One",
\t\t\t\t"given": "SYNTH"
\t\t\t}
\t\t],
\t\t"issued": {
\t\t\t"date-parts": [
\t\t\t\t[
\t\t\t\t\t"2021",
\t\t\t\t\t1,
\t\t\t\t\t5
\t\t\t\t]
\t\t\t]
\t\t}
\t},
\t{
\t\t"id": "http://zotero.org/users/local/SYNTHusr/items/BBBB2222",
\t\t"type": "article-journal",
\t\t"container-title": "SYNTH Journal",
\t\t"title": "SYNTH paper 2",
\t\t"DOI": "10.9999/synth.2",
\t\t"issued": {
\t\t\t"date-parts": [
\t\t\t\t[
\t\t\t\t\t"2020"
\t\t\t\t]
\t\t\t]
\t\t}
\t},
\t{
\t\t"id": "http://zotero.org/users/local/SYNTHusr/items/DDDD4444",
\t\t"type": "book",
\t\t"title": "SYNTH book with no identifier",
\t\t"issued": {
\t\t\t"date-parts": [
\t\t\t\t[
\t\t\t\t\t"2018"
\t\t\t\t]
\t\t\t]
\t\t}
\t}
]
"""

RIS = """TY  - PREP
TI  - SYNTH paper 1
AU  - Author One, SYNTH
AB  - Synthetic abstract of SYNTH paper 1.
DA  - 2021-01-05
PY  - 2021
DO  - 10.48550/arXiv.2101.00001
DP  - arXiv.org
PB  - arXiv
UR  - http://arxiv.org/abs/2101.00001
N1  - arXiv:2101.00001 [cs]
ER  - 

TY  - JOUR
TI  - SYNTH paper 2
T2  - SYNTH Journal
DA  - 2020///
PY  - 2020
DO  - 10.9999/synth.2
ER  - 

TY  - BOOK
TI  - SYNTH book with no identifier
PY  - 2018
ER  - 

"""
