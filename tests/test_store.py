import sqlite3

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from graph.errors import StoreCorruptError, StoreSchemaError
from graph.model import CitationEdge, ListState, PaperRecord
from graph.sources.s2 import default_store_path
from graph.store import SCHEMA_VERSION, Store, store_in_cache

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
records = st.builds(
    PaperRecord,
    paper_id=st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
    title=st.none() | text, year=st.none() | st.integers(1900, 2030), venue=st.none() | text,
    authors=st.lists(text.filter(bool), max_size=4), corpus_id=st.none() | st.integers(0, 2**40),
    arxiv_id=st.none() | text, doi=st.none() | text, citation_count=st.none() | st.integers(0, 10**6),
    abstract=st.none() | text, source=st.just("test"), fetched_at=st.none() | st.floats(0, 2e9),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=50)
@given(st.lists(records, max_size=20, unique_by=lambda r: r.paper_id))
def test_papers_round_trip(recs):
    with Store(":memory:") as store:
        store.put_papers(recs)
        got = store.get_papers([r.paper_id for r in recs])
        assert got == {r.paper_id: r for r in recs}


@given(records, records)
def test_a_later_partial_record_never_erases_known_fields(full, partial):
    partial = PaperRecord(full.paper_id, title=None, year=partial.year)
    with Store(":memory:") as store:
        store.put_papers([full])
        store.put_papers([partial])
        got = store.get_papers([full.paper_id])[full.paper_id]
        assert got.title == full.title
        assert got.year == (partial.year if partial.year is not None else full.year)


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from("abcdef"), st.none() | st.booleans()),
                max_size=30))
def test_edges_are_a_set_and_keep_the_richest_information(triples):
    with Store(":memory:") as store:
        store.put_edges(CitationEdge(a, b, infl) for a, b, infl in triples)
        got = store.edges_touching(list("abcdef"), direction="out")
        assert {(e.citing, e.cited) for e in got} == {(a, b) for a, b, _ in triples}
        for e in got:
            known = [i for a, b, i in triples if (a, b) == (e.citing, e.cited) and i is not None]
            assert e.is_influential == (known[-1] if known else None)
        assert {(e.citing, e.cited) for e in store.edges_touching(["a"], direction="in")} == \
            {(x, y) for x, y, _ in triples if y == "a"}


def test_list_state_and_aliases(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.put_list_state(ListState("p", "citations", 10, 50, False, "cap", 1.0, 10))
        store.put_alias("arxiv:1", "p")
        store.put_alias("arxiv:2", None, "not found")
    with Store(tmp_path / "s.sqlite") as store:  # persisted
        st_ = store.get_list_states(["p", "q"], "citations")
        assert set(st_) == {"p"} and st_["p"].satisfies(10) and not st_["p"].satisfies(11)
        assert store.get_alias("arxiv:1") == ("p", None)
        assert store.get_alias("arxiv:2") == (None, "not found")
        assert store.get_alias("arxiv:3") is None


def test_a_failed_transaction_keeps_earlier_data(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.put_papers([PaperRecord("a", title="kept")])
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.put_papers([PaperRecord("b", title="rolled back")])
                raise RuntimeError("interrupted")
        assert set(store.get_papers(["a", "b"])) == {"a"}


def test_other_modules_keep_their_tables_through_the_public_sql(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        assert not store.has_table("extra")
        assert store.query("SELECT count(*) FROM sqlite_master WHERE name = 'extra'") == [(0,)]  # reading made none
        store.add_table("CREATE TABLE IF NOT EXISTS extra (k TEXT PRIMARY KEY, v INTEGER)")
        store.add_table("CREATE TABLE IF NOT EXISTS extra (k TEXT PRIMARY KEY, v INTEGER)")  # again: a no-op
        store.execute_many("INSERT INTO extra VALUES (?, ?)", [("a", 1), ("b", 2)])
        with pytest.raises(RuntimeError):  # the caller's transaction holds both statements, or neither
            with store.transaction():
                store.execute_many("INSERT INTO extra VALUES (?, ?)", [("c", 3)])
                raise RuntimeError("interrupted")
        with pytest.raises(StoreError, match="refused by the store"):  # a duplicate key: nothing of it written
            store.execute_many("INSERT INTO extra VALUES (?, ?)", [("d", 4), ("a", 5)])
        with pytest.raises(StoreError, match="reading .* failed"):
            store.query("SELECT nope FROM extra")
        with pytest.raises(ValueError, match="CREATE TABLE IF NOT EXISTS"):
            store.add_table("DROP TABLE papers")
    with Store(tmp_path / "s.sqlite") as store:  # the store's own schema is untouched, the table kept
        assert store.has_table("extra") and store.query("SELECT k, v FROM extra ORDER BY k") == [("a", 1), ("b", 2)]
        assert store.count("papers") == 0


def test_newer_schema_gives_an_actionable_error(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreSchemaError, match="delete the file|--store"):
        Store(path)


def test_corrupt_or_foreign_files_give_an_actionable_error(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreCorruptError, match="--store"):
        Store(junk)
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.close()
    with pytest.raises(StoreCorruptError, match="not a citegraph store"):
        Store(other)


def test_default_store_path_is_per_host_and_overridable(monkeypatch, tmp_path):
    monkeypatch.delenv("CITEGRAPH_STORE", raising=False)
    a = default_store_path("https://api.semanticscholar.org")
    b = default_store_path("http://127.0.0.1:8765")
    assert a != b and a.name == "s2-api.semanticscholar.org.sqlite"
    monkeypatch.setenv("CITEGRAPH_STORE", str(tmp_path / "x.sqlite"))
    assert default_store_path("https://api.semanticscholar.org") == tmp_path / "x.sqlite"


def test_store_in_cache_is_named_by_the_source_and_overridable(monkeypatch, tmp_path):
    monkeypatch.delenv("CITEGRAPH_STORE", raising=False)
    assert store_in_cache("mine.sqlite").name == "mine.sqlite"
    assert store_in_cache("mine.sqlite").parent == default_store_path().parent  # one cache folder
    monkeypatch.setenv("CITEGRAPH_STORE", str(tmp_path / "x.sqlite"))
    assert store_in_cache("mine.sqlite") == tmp_path / "x.sqlite"


# -- issue 20: full disks, other programs' files, read-only stores -------------------------------------------
import hashlib  # noqa: E402

from small_disk import fill, remount_read_only, small_disk  # noqa: E402

from graph.errors import StoreError  # noqa: E402

BIG = "SYNTH abstract " * 400


def test_a_disk_filling_up_while_writing_is_reported_as_a_full_disk(tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        with Store(disk / "s.sqlite") as store:
            store.put_papers([PaperRecord("kept", title="SYNTH kept")])
            filler = fill(disk)
            with pytest.raises(StoreError, match="is full") as caught:
                with store.transaction():  # as expansion stores an answer: the write inside an outer transaction
                    store.put_papers([PaperRecord(f"p{i}", title="SYNTH", abstract=BIG) for i in range(400)])
            assert not isinstance(caught.value, StoreCorruptError)
            filler.unlink()
            store.put_papers([PaperRecord("after", title="SYNTH after")])  # the store goes on working
            assert set(store.get_papers(["kept", "after", "p1"])) == {"kept", "after"}


def test_a_full_disk_at_open_is_not_called_a_damaged_store(tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        with Store(disk / "s.sqlite") as store:
            store.put_papers([PaperRecord(f"p{i}", title="SYNTH", abstract=BIG) for i in range(50)])
        filler = fill(disk)
        try:
            with Store(disk / "s.sqlite") as store:
                store.put_papers([PaperRecord(f"q{i}", title="SYNTH", abstract=BIG) for i in range(50)])
        except StoreError as exc:
            assert not isinstance(exc, StoreCorruptError) and "is full" in str(exc) and "move it aside" not in str(exc)
        else:
            pytest.fail("writing 50 records onto a full disk raised nothing")
        filler.unlink()
        with Store(disk / "s.sqlite") as store:
            assert len(store.get_papers([f"p{i}" for i in range(50)])) == 50


def _foreign(path, *, application_id=0, user_version=2, tables=("CREATE TABLE notes (body TEXT)",)):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=DELETE")
    for t in tables:
        db.execute(t)
    db.execute(f"PRAGMA application_id={application_id}")
    db.execute(f"PRAGMA user_version={user_version}")
    db.commit()
    db.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["user_version 2", "another application id", "not sqlite"])
def test_another_programs_file_is_refused_and_left_byte_for_byte_as_it_was(tmp_path, kind):
    path = tmp_path / "other.sqlite"
    if kind == "not sqlite":
        path.write_bytes(b"SYNTH notes of another tool\n" * 10)
        before = hashlib.sha256(path.read_bytes()).hexdigest()
    elif kind == "another application id":  # even with a store's tables in it
        before = _foreign(path, application_id=0x1234, tables=[
            "CREATE TABLE papers (paper_id TEXT)", "CREATE TABLE edges (citing TEXT)",
            "CREATE TABLE lists (paper_id TEXT)", "CREATE TABLE aliases (alias TEXT)"])
    else:
        before = _foreign(path)
    with pytest.raises(StoreCorruptError, match="citegraph (never writes into it|leaves it untouched)"):
        Store(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "other.sqlite-wal").exists()
    if kind != "not sqlite":
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_store_from_before_the_application_id_is_still_opened_and_marked(tmp_path):
    from graph.store import APPLICATION_ID

    path = tmp_path / "old.sqlite"
    with Store(path) as store:
        store.put_papers([PaperRecord("p1", title="SYNTH one")])
        store._db.execute("PRAGMA application_id=0")
    with Store(path) as store:
        assert store.get_papers(["p1"])["p1"].title == "SYNTH one"
        assert store._db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_a_read_only_store_serves_an_offline_run(tmp_path, synth_server):
    from graph.expansion import ExpansionOptions, expand
    from graph.seeds import read_seeds
    from graph.sources.s2 import S2Config, S2Source

    seeds = read_seeds(["arXiv:2101.00000", "arXiv:2101.00001"]).seeds
    with small_disk(tmp_path / "disk") as disk:
        with Store(disk / "s.sqlite") as store, S2Source(S2Config(api_url=synth_server.url, rate=0)) as src:
            online = expand(seeds, store, src, ExpansionOptions(progress=False))
        remount_read_only(disk)
        with Store(disk / "s.sqlite") as store:
            assert store.read_only
            offline = expand(seeds, store, None, ExpansionOptions(progress=False, offline=True))
            with pytest.raises(StoreError, match="read-only.*--offline"):
                store.put_papers([PaperRecord("new", title="SYNTH")])
            # the public SQL of the modules with tables of their own: reads work, a new table is refused
            assert store.has_table("papers") and not store.has_table("extra")
            with pytest.raises(StoreError, match="read-only"):
                store.add_table("CREATE TABLE IF NOT EXISTS extra (k TEXT)")
    assert sorted(offline.graph) == sorted(online.graph) and len(offline.graph) > 2
