"""Seeds from Zotero: CSL-JSON and RIS exports, and a local library read from a copy of zotero.sqlite."""

import hashlib
import json
import re
import sqlite3
import threading

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from graph.cli import cli
from graph.errors import SeedFileError
from graph.seeds import read_seeds
from graph.seeds_zotero import parse_csl_json, parse_ris, read_zotero_library, with_collection
from graph.testing.s2_server import S2Dataset, S2TestServer

from zotero_data import CSL_JSON, RIS, build_zotero_db, synth_library

EXPECTED = ["arxiv:2101.00001", "doi:10.9999/synth.2", "title:SYNTH book with no identifier"]


def _ids(seed_list):
    return [str(s.pid) for s in seed_list.seeds]


def test_csl_json_as_zotero_exports_it(tmp_path):
    f = tmp_path / "library.json"
    f.write_text(CSL_JSON, encoding="utf-8")
    got = read_seeds([str(f)])
    assert _ids(got) == EXPECTED and got.problems == []
    assert [s.year_hint for s in got.seeds] == [2021, 2020, 2018]
    assert got.seeds[0].title == "SYNTH paper 1" and got.seeds[1].line == 29


def test_ris_as_zotero_exports_it_by_extension_or_content(tmp_path):
    for name in ("library.ris", "library.txt"):
        f = tmp_path / name
        f.write_text(RIS, encoding="utf-8")
        got = read_seeds([str(f)])
        assert _ids(got) == EXPECTED and got.problems == [], name
        assert [s.line for s in got.seeds] == [1, 14, 22]


def test_a_truncated_csl_json_keeps_the_records_before_the_cut_and_names_the_broken_one(tmp_path):
    cut = CSL_JSON[: CSL_JSON.index('"SYNTH book with no identifier"')]
    got = parse_csl_json(cut, "lib.json")
    assert _ids(got) == EXPECTED[:2]
    (problem,) = got.problems
    assert problem.source == "lib.json" and problem.input == "record 3" and "truncated" in problem.reason
    assert "lib.json:" in str(problem)


def test_a_csl_json_record_that_is_not_an_object_or_has_nothing_to_resolve_is_named(tmp_path):
    got = parse_csl_json('[{"id": "a", "title": "SYNTH kept", "DOI": "10.9999/synth.1"}, 7, {"id": "empty"}]', "x.json")
    assert _ids(got) == ["doi:10.9999/synth.1"]
    assert [(p.input, p.reason.split(":")[0]) for p in got.problems] == [
        ("record 2", "a CSL-JSON record must be an object"),
        ("empty", "record has no arXiv id, DOI, paper URL or title")]


def test_a_ris_file_with_a_broken_record_reads_the_others():
    broken = RIS.replace("TI  - SYNTH paper 2\n", "TI  - SYNTH paper 2\nthis line is no RIS tag\n", 1)
    broken = broken.replace("TY  - JOUR\nTI", "TY  - JOUR\nnot a tag either\nTI", 1)
    got = parse_ris(broken + "TY  - JOUR\nTI  - SYNTH cut off\nDO  - 10.9999/synth.9\n", "lib.ris")
    ids = _ids(got)
    assert ids[0] == "arxiv:2101.00001" and ids[-1] == "title:SYNTH book with no identifier"
    assert "doi:10.9999/synth.9" not in ids  # the record cut off before its ER line
    last = got.problems[-1]
    assert last.source == "lib.ris" and last.input == "record 4" and "no ER line" in last.reason


def test_a_broken_ris_record_is_reported_and_the_rest_goes_through():
    # rispy fails on a line that is no tag right after TY; that record alone is lost
    text = RIS.replace("TY  - JOUR\nTI  - SYNTH paper 2", "TY  - JOUR\ngarbage\nTI  - SYNTH paper 2", 1)
    got = parse_ris(text, "lib.ris")
    assert _ids(got) == [EXPECTED[0], EXPECTED[2]]
    (problem,) = got.problems
    assert problem.input == "record 2" and problem.line == 14 and "bad RIS record" in problem.reason


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(CSL_JSON)), st.integers(0, len(RIS)))
def test_any_cut_of_an_export_never_raises_and_keeps_every_whole_record(cut_json, cut_ris):
    json_part = parse_csl_json(CSL_JSON[:cut_json], "x.json")
    assert _ids(json_part) == EXPECTED[:len(json_part.seeds)]
    ris_part = parse_ris(RIS[:cut_ris], "x.ris")
    whole = len(re.findall(r"^ER  -", RIS[:cut_ris], re.MULTILINE))
    assert _ids(ris_part) == EXPECTED[:whole]


# -- the local library ----------------------------------------------------------------------------------
def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_zotero_data_directory_gives_its_papers_not_notes_attachments_or_the_trash(tmp_path):
    lib = synth_library(tmp_path / "Zotero")
    before = _digest(lib)
    got = read_seeds([str(lib)])
    assert _ids(got) == ["arxiv:2101.00001", "doi:10.9999/synth.2", "arxiv:2101.00003",
                         "title:SYNTH book with no identifier"]
    assert [s.section for s in got.seeds] == ["Thesis / Related work", "Thesis / Related work",
                                              "Thesis / Background", "Other"]
    (problem,) = got.problems  # the item with neither title nor identifier
    assert problem.input == "item HHHH8888" and str(lib / "zotero.sqlite") in problem.source
    assert _digest(lib) == before  # nothing written, no journal left beside it


def test_a_nested_collection_by_path_and_the_cli_option(tmp_path):
    lib = synth_library(tmp_path / "Zotero")
    got = read_zotero_library(f"{lib}::Thesis/Related work")
    assert _ids(got) == ["arxiv:2101.00001", "doi:10.9999/synth.2"]
    assert _ids(read_zotero_library(f"{lib / 'zotero.sqlite'}::thesis/background")) == ["arxiv:2101.00003"]
    assert with_collection([str(lib), "1706.03762"], "Thesis/Background") == [f"{lib}::Thesis/Background",
                                                                               "1706.03762"]
    with pytest.raises(SeedFileError, match=r"no collection 'Thesis/Missing'.*top-level collections: Other, Thesis"):
        read_zotero_library(f"{lib}::Thesis/Missing")
    res = CliRunner().invoke(cli, ["map", "1706.03762", "--collection", "Thesis", "--offline",
                                   "--store", str(tmp_path / "s.db"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "needs a Zotero data directory" in res.output


def test_map_of_a_zotero_collection_over_the_api(tmp_path):
    lib = synth_library(tmp_path / "Zotero")
    ds = S2Dataset.synthetic(6, [(4, 1), (4, 2), (5, 1)])
    with S2TestServer(ds) as server:
        res = CliRunner().invoke(cli, ["map", str(lib), "--collection", "Thesis/Related work", "--json",
                                       "--out", str(tmp_path / "out"), "--api-url", server.url, "--rate", "0",
                                       "--store", str(tmp_path / "s.db")])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["seeds"]["total"] == 2 and summary["seeds"]["resolved"] == 2


def test_a_locked_database_is_read_from_a_copy_and_left_alone(tmp_path):
    lib = synth_library(tmp_path / "Zotero")
    db = lib / "zotero.sqlite"
    # a running Zotero: exclusive locking, a write under way that is not committed
    holder = sqlite3.connect(db, check_same_thread=False)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE itemDataValues SET value = 'SYNTH uncommitted' WHERE value = 'SYNTH paper 2'")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            sqlite3.connect(db, timeout=0).execute("SELECT count(*) FROM items").fetchone()
        got = read_seeds([f"{lib}::Thesis/Related work"])
        assert [s.title for s in got.seeds] == ["SYNTH paper 1", "SYNTH paper 2"]
    finally:
        holder.rollback()
        holder.close()


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"SYNTH this is no database\x00" * 40), "not a database"),
    (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 2000), "damaged or not a database"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE notes (x)").connection.commit(), "not a Zotero database"),
    (lambda p: build_zotero_db(p, [], [], [], userdata_version=300), "schema version 300"),
    (lambda p: build_zotero_db(p, [], [], [], userdata_version=60), "schema version 60"),
])
def test_a_bad_database_gets_a_message_naming_it(tmp_path, make, message):
    folder = tmp_path / "Zotero"
    folder.mkdir()
    make(folder / "zotero.sqlite")
    before = _digest(folder)
    with pytest.raises(SeedFileError, match=message) as err:
        read_seeds([str(folder)])
    assert str(folder / "zotero.sqlite") in str(err.value)
    assert _digest(folder) == before
    res = CliRunner().invoke(cli, ["map", str(folder), "--offline", "--out", str(tmp_path / "o"),
                                   "--store", str(tmp_path / "s.db")])
    assert res.exit_code == 1 and "Traceback" not in res.output and message.split()[0] in res.output


def test_reading_while_zotero_writes_never_fails_half_way(tmp_path):
    # a writer committing in a loop while the library is read: every read sees a whole, committed state
    lib = synth_library(tmp_path / "Zotero")
    stop = threading.Event()

    def write():
        w = sqlite3.connect(lib / "zotero.sqlite")
        n = 0
        while not stop.is_set():
            n += 1
            w.execute("INSERT OR REPLACE INTO settings VALUES ('synth', 'counter', ?)", (n,))
            w.commit()
        w.close()

    t = threading.Thread(target=write)
    t.start()
    try:
        for _ in range(5):
            assert len(read_seeds([str(lib)]).seeds) == 4
    finally:
        stop.set()
        t.join()


json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                              st.sampled_from(["id", "title", "DOI", "URL", "number", "note", "issued",
                                               "archive_location", "date-parts", "raw", "type"]), inner, max_size=5),
                          max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(json_value)
def test_any_json_is_read_or_reported_never_raised(value):
    got = parse_csl_json(json.dumps(value), "x.json")
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else None
    if items is None:
        assert got.seeds == [] and len(got.problems) == 1
    else:
        assert len(got.seeds) + len(got.problems) == len(items)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["TY  - JOUR", "ER  - ", "TI  - SYNTH", "DO  - 10.9999/synth.1",
                                           "UR  - http://arxiv.org/abs/2101.00001", "N1  - arXiv:2101.00002",
                                           "AB  - SYNTH", "PY  - 20x", ""]),
                          st.text(max_size=30)), max_size=30))
def test_any_ris_text_is_read_or_reported_never_raised(lines):
    got = parse_ris("\n".join(lines), "x.ris")
    assert all(p.source == "x.ris" for p in got.problems)
    assert len(got.seeds) <= sum(1 for ln in lines if ln.startswith("ER  -"))
