"""Results kept in the store (graph.cache): read back while nothing changed, never when it did,
never when an entry was not signed by this user."""

from __future__ import annotations

import sqlite3

import networkx as nx
import pytest

from graph import cache
from graph.session import Explorer
from graph.store import Store

SEEDS = ["2101.00000", "2101.00001"]


@pytest.fixture(autouse=True)
def own_key(tmp_path, monkeypatch):
    # each test signs with its own key, as one user would
    monkeypatch.setenv("CITEGRAPH_CACHE_KEY", str(tmp_path / "key"))
    monkeypatch.setattr(cache, "_secret", None)


def _explore(url, store, seeds=SEEDS, **kw):
    notes = []
    ex = Explorer(seeds, store=store, api_url=url, rate=0, log=notes.append, **kw)
    return ex, notes


def test_a_second_session_reads_the_graph_and_the_analysis_back(synth_server, tmp_path):
    ex, notes = _explore(synth_server.url, tmp_path / "s.sqlite")
    with ex:
        first_graph, first = ex.run.graph, ex.analysis()
    assert not any("as built before" in n for n in notes)
    ex, notes = _explore(synth_server.url, tmp_path / "s.sqlite")
    with ex:
        again = ex.analysis()
        assert ex.progress().requests == 0
        assert nx.utils.graphs_equal(ex.run.graph, first_graph)
        assert ex.run.expansion.requests == 0
    assert any("as built before from this store" in n for n in notes)
    assert again.nodes == first.nodes
    assert again.table.equals(first.table)


def test_a_changed_store_is_expanded_again(synth_server, tmp_path):
    with _explore(synth_server.url, tmp_path / "s.sqlite")[0] as ex:
        ex.build()
    with Store(tmp_path / "s.sqlite") as store:  # another run stored something since
        before = cache.store_fingerprint(store)
        from graph.model import PaperRecord

        store.put_papers([PaperRecord("SYNTH-extra", title="SYNTH extra paper", fetched_at=1.0)])
        assert cache.store_fingerprint(store) != before
    ex, notes = _explore(synth_server.url, tmp_path / "s.sqlite")
    with ex:
        ex.build()
    assert not any("as built before" in n for n in notes)


def test_other_seeds_or_options_are_not_read_back(synth_server, tmp_path):
    with _explore(synth_server.url, tmp_path / "s.sqlite")[0] as ex:
        ex.build()
    ex, notes = _explore(synth_server.url, tmp_path / "s.sqlite", seeds=SEEDS[:1])
    with ex:
        assert len(ex.run.expansion.seeds) == 1
    assert not any("as built before" in n for n in notes)


def test_an_entry_not_signed_by_this_user_is_ignored(synth_server, tmp_path):
    with _explore(synth_server.url, tmp_path / "s.sqlite")[0] as ex:
        first = ex.analysis()
    db = sqlite3.connect(tmp_path / "s.sqlite")
    # a store handed over by someone else: same rows, another key's signatures (the first hex digit
    # changed: one signature in 16 already began with the 'f' this once wrote over it)
    db.execute("UPDATE results_cache SET mac = (CASE substr(mac, 1, 1) WHEN 'f' THEN '0' ELSE 'f' END) || substr(mac, 2)")
    db.commit()
    db.close()
    ex, notes = _explore(synth_server.url, tmp_path / "s.sqlite")
    with ex:
        again = ex.analysis()
    assert not any("as built before" in n for n in notes)
    assert again.nodes == first.nodes


def test_memo_computes_once_and_a_damaged_entry_is_computed_again(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        c = cache.ResultsCache(store)
        calls = []
        compute = lambda: calls.append(1) or {"answer": 42}
        assert c.memo("test", "k", compute) == {"answer": 42}
        assert c.memo("test", "k", compute) == {"answer": 42}
        assert len(calls) == 1
        store._db.execute("UPDATE results_cache SET data = x'00'")
        assert c.get("test", "k") is None  # the signature no longer matches: never unpickled
        assert c.memo("test", "k", compute) == {"answer": 42} and len(calls) == 2


def test_old_entries_of_a_kind_are_dropped(tmp_path, monkeypatch):
    monkeypatch.setitem(cache.KEEP, "test", 3)
    with Store(tmp_path / "s.sqlite") as store:
        c = cache.ResultsCache(store)
        for i in range(6):
            c.put("test", str(i), i)
        kept = [c.get("test", str(i)) for i in range(6)]
    assert kept == [None, None, None, 3, 4, 5]


def test_the_graph_digest_follows_the_content():
    g = nx.DiGraph([("a", "b")])
    h = nx.DiGraph([("a", "b")])
    assert cache.graph_digest(g) == cache.graph_digest(h)
    k = nx.DiGraph([("a", "b")])
    k.nodes["a"]["title"] = "SYNTH title"
    assert cache.graph_digest(k) != cache.graph_digest(g)
    assert cache.graph_digest(g, {"a": ["x"]}) == cache.graph_digest(g)  # once per graph object
    assert cache.graph_digest(nx.DiGraph([("a", "b")]), {"a": ["x"]}) != cache.graph_digest(g)
