"""The session object (graph.session.Explorer) against the local S2 server over real HTTP."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from conftest import ROOT
from graph.errors import CitegraphError, SeedError
from graph.expansion import ExpansionOptions
from graph.pipeline import analyse_map, build_map
from graph.session import Explorer
from graph.sources.s2 import S2Config, S2Source
from graph.store import Store


def test_session_map_is_the_pipeline_map(synth_server, synth_dataset, tmp_path):
    with Store(tmp_path / "a.sqlite") as store, S2Source(S2Config(api_url=synth_server.url, rate=0)) as source:
        run = build_map(["2101.00000", "2101.00001"], store=store, source=source,
                        options=ExpansionOptions(progress=False))
    with Explorer(["2101.00000", "2101.00001"], store=tmp_path / "b.sqlite", api_url=synth_server.url,
                  rate=0) as ex:
        assert set(ex.run.graph.nodes) == set(run.graph.nodes)
        assert set(ex.run.graph.edges) == set(run.graph.edges)
        related = ex.related()
        # paper 3 is cited by both seeds: the most related non-seed
        assert related.index[0] == synth_dataset.pid_of(3)
        assert set(ex.rank().index) == set(run.graph.nodes)
        assert ex.clusters().table["size"].sum() == len(ex.analysis().nodes)
        files = ex.export(tmp_path / "out", "s", ["csv", "bibtex"])
        assert files["papers_csv"].exists() and "SYNTH paper 3" in files["bibtex"].read_text()


def test_second_build_makes_no_request(synth_server, tmp_path):
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=synth_server.url, rate=0) as ex:
        ex.build()
    before = len(synth_server.request_log)
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=synth_server.url, rate=0) as ex:
        ex.build()
        assert ex.progress().requests == 0
    assert len(synth_server.request_log) == before


def test_bad_actions_raise_citegraph_errors_and_change_nothing(synth_server, synth_dataset, tmp_path):
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=synth_server.url, rate=0) as ex:
        ex.build()
        with pytest.raises(SeedError, match="is a seed"):
            ex.remove_seeds([synth_dataset.pid_of(3)])
        with pytest.raises(SeedError, match="at least one"):
            ex.remove_seeds([synth_dataset.pid_of(0)])
        with pytest.raises(SeedError, match="not in the graph"):
            ex.expand_paper(synth_dataset.pid_of(9))
        assert [s.input for s in ex.seeds] == ["2101.00000"]
        assert ex.progress().state == "failed"
    with pytest.raises(CitegraphError, match="closed"):
        ex.map()


def test_expand_paper_adds_its_neighbourhood_but_not_as_a_seed(synth_server, synth_dataset, tmp_path):
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=synth_server.url, rate=0) as ex:
        g = ex.run.graph
        assert synth_dataset.pid_of(8) not in g  # 8 cites 5, which cites seed 0
        gained = ex.expand_paper(synth_dataset.pid_of(5))
        g = ex.run.graph
        assert gained >= 1 and synth_dataset.pid_of(8) in g
        assert g.nodes[synth_dataset.pid_of(5)]["is_seed"] is False
        assert g.graph["seeds"] == [synth_dataset.pid_of(0)]
        assert ex.summary()["expanded"] == [synth_dataset.pid_of(5)]


def test_library_imports_without_pyvis_or_ipython():
    code = ("import sys, graph.pipeline, graph.session, graph.serve, graph.cli; "
            "print(sorted(m for m in ('pyvis', 'IPython') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_run_summary_is_typed_and_is_the_json_summary(synth_server, tmp_path):
    import json

    with Explorer(["2101.00000", "SYNTH no such paper at all"], store=tmp_path / "s.sqlite",
                  api_url=synth_server.url, rate=0) as ex:
        s = ex.run_summary()
        assert s.seeds.total == 2 and s.seeds.resolved == 1
        assert s.seeds.unresolved[0]["input"] == "SYNTH no such paper at all"
        assert s.requests == len(synth_server.request_log) and s.request_floor == s.requests
        assert s.papers == ex.run.graph.number_of_nodes()
        assert json.loads(json.dumps(s.to_dict())) == s.to_dict()  # JSON-able as it is
        assert ex.summary()["seeds"] == s.to_dict()["seeds"]
    # the same run from the command line prints the same summary (served from the store this time)
    from click.testing import CliRunner

    from graph.cli import cli

    res = CliRunner().invoke(cli, ["map", "2101.00000", "SYNTH no such paper at all", "--store",
                                   str(tmp_path / "s.sqlite"), "--api-url", synth_server.url, "--rate", "0",
                                   "--out", str(tmp_path / "out"), "--json"])
    printed = json.loads(res.stdout)
    for key in ("seeds", "papers", "edges", "second_degree", "merged_versions", "truncated", "failures"):
        assert printed[key] == s.to_dict()[key], key
    assert printed["requests"] == 0 and set(printed["files"]) >= {"html", "papers_csv"}


def test_a_damaged_store_is_a_clear_error(synth_server, tmp_path):
    from graph.errors import StoreError

    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not an SQLite file" * 100)
    with pytest.raises(StoreError, match="not a readable citegraph store"):
        Explorer(["2101.00000"], store=bad, api_url=synth_server.url, rate=0)


def test_session_over_a_local_corpus(tmp_path):
    from conftest import import_csv_corpus

    # SYNTH corpus: 1 and 2 cite 0; 3 cites 1; 4 and 5 cite 3 (a second neighbourhood around 3)
    db, _ = import_csv_corpus(tmp_path, "id,title,year,arxiv_id\n" + "".join(
        f"p{i},SYNTH corpus paper {i},{2015 + i},1901.0000{i}\n" for i in range(6)),
        "source,target\np1,p0\np2,p0\np3,p1\np4,p3\np5,p3\n")
    with Explorer(["1901.00000"], corpus=db) as ex:
        titles = lambda: {ex.run.graph.nodes[n]["title"] for n in ex.run.graph}
        assert titles() == {f"SYNTH corpus paper {i}" for i in (0, 1, 2)}
        ex.add_seeds(["1901.00003"])
        assert {f"SYNTH corpus paper {i}" for i in (3, 4, 5)} <= titles()
        assert ex.progress().state == "done" and ex.progress().requests == 0  # a corpus answers queries
        assert ex.store.path == ":memory:"  # a corpus's maps are built in a throwaway store


def test_cancel_stops_an_action_waiting_on_the_server_at_once(synth_server, tmp_path):
    from conftest import fast_config
    from graph.session import Cancelled
    from graph.testing.s2_server import Faults

    with S2Source(fast_config(synth_server.url, max_wait=7200, max_retry_after=3600)) as source, \
            Explorer(["2101.00000"], store=tmp_path / "s.sqlite", source=source) as ex:
        ex.build()
        seeds_before = [s.input for s in ex.seeds]
        # every request now gets "come back in an hour", which the two-hour budget would wait out (a
        # cancel looked at only between attempts would be seen an hour late)
        synth_server.faults = Faults(rate_429=1.0, retry_after=3600)
        threading.Timer(0.5, ex.cancel).start()
        with pytest.raises(Cancelled, match="add seeds cancelled; what was fetched is stored"):
            ex.add_seeds(["2101.00002"])
        assert ex.progress().state == "cancelled"
        assert [s.input for s in ex.seeds] == seeds_before  # the action's change is undone
        # the next action is not refused: a cancel applies to the action it was given in
        synth_server.faults = Faults()
        ex.add_seeds(["2101.00002"])
        assert ex.progress().state == "done" and len(ex.seeds) == 2


def test_a_cancel_while_idle_does_not_leak_into_later_work(synth_server, tmp_path):
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=synth_server.url, rate=0) as ex:
        ex.cancel()  # nothing under way: nothing to stop
        assert len(ex.related()) > 0  # builds (with requests) as if no cancel had come
        ex.cancel()
        ex.add_seeds(["2101.00001"])
        assert ex.progress().state == "done" and len(ex.seeds) == 2


def test_a_ctrl_c_or_a_cancel_during_the_analysis_writes_no_export(synth_server, tmp_path, monkeypatch):
    import os
    import signal

    import graph.session
    from graph.session import Cancelled

    real = graph.session.analyse_map
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=synth_server.url, rate=0) as ex:
        ex.build()

        def interrupted(*args, **kwargs):  # a real SIGINT, delivered while the export analyses the map
            os.kill(os.getpid(), signal.SIGINT)
            return real(*args, **kwargs)

        monkeypatch.setattr(graph.session, "analyse_map", interrupted)
        with pytest.raises(KeyboardInterrupt):
            ex.export(tmp_path / "a", "m")
        assert not (tmp_path / "a").exists() or list((tmp_path / "a").iterdir()) == []

        def cancelled(*args, **kwargs):  # serve stopping (or the page's cancel) while the map is analysed
            ex.cancel()
            return real(*args, **kwargs)

        monkeypatch.setattr(graph.session, "analyse_map", cancelled)
        with pytest.raises(Cancelled, match="nothing written"):
            ex.export(tmp_path / "b", "m")
        assert list((tmp_path / "b").iterdir()) == []
        # the cancel belonged to that export: the next one writes
        monkeypatch.setattr(graph.session, "analyse_map", real)
        assert ex.export(tmp_path / "c", "m", ["csv"])["papers_csv"].exists()


def test_a_ctrl_c_in_the_caller_stops_the_work_and_a_map_built_on_first_use_can_be_cancelled(synth_server,
                                                                                              tmp_path):
    import os
    import signal

    from conftest import fast_config
    from graph.session import Cancelled
    from graph.testing.s2_server import Faults

    # every request: "come back in an hour", within a two-hour budget (work that went on after a Ctrl-C or
    # a cancel, or saw it only between attempts, would wait it out)
    synth_server.faults = Faults(rate_429=1.0, retry_after=3600)
    try:
        with S2Source(fast_config(synth_server.url, max_wait=7200, max_retry_after=3600)) as source, \
                Explorer(["2101.00000"], store=tmp_path / "s.sqlite", source=source) as ex:
            # a notebook cell interrupted (a real SIGINT, as Jupyter sends) while it waits: an ordinary
            # KeyboardInterrupt, which cancels the request in flight
            threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
            with pytest.raises(KeyboardInterrupt):
                ex.build()
            assert ex.progress().state == "cancelled" and ex.seeds[0].input == "2101.00000"
            sent = len(synth_server.request_log)
        # the source is closed (its loop drained): had the interrupted work gone on unseen, it would show
        assert len(synth_server.request_log) == sent
        with S2Source(fast_config(synth_server.url, max_wait=7200, max_retry_after=3600)) as source, \
                Explorer(["2101.00000"], store=tmp_path / "s.sqlite", source=source) as ex:
            # a map built on first use (here by related()) is an action like build(): cancel stops it
            threading.Timer(0.5, ex.cancel).start()
            with pytest.raises(Cancelled):
                ex.related()
            # and the next read is not refused: the cancel belonged to that build
            synth_server.faults = Faults()
            assert len(ex.related()) > 0 and ex.progress().state == "done"
    finally:
        synth_server.faults = Faults()


def test_the_analysis_shows_its_stages_on_a_terminal_only(synth_server, tmp_path, monkeypatch):
    import io

    from graph.analysis.summary import ANALYSIS_STAGES

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for n, (stream, progress, drawn) in enumerate(((Terminal(), True, True), (io.StringIO(), True, False),
                                                   (Terminal(), False, False))):  # redirected, or -q: no bar
        monkeypatch.setattr(sys, "stderr", stream)
        # a store of its own each time: an analysis kept in the store would be read back, not computed
        with Explorer(["2101.00000"], store=tmp_path / f"s{n}.sqlite", api_url=synth_server.url, rate=0,
                      options=ExpansionOptions(progress=progress)) as ex:
            ex.build()
            computed = []
            monkeypatch.setattr("graph.session.analyse_map", lambda *a, _real=analyse_map, **k: computed.append(1)
                                or _real(*a, **k))
            ex.analysis()
            assert computed == [1]
        shown = [f"analysing the map: {stage}" in stream.getvalue() for stage in ANALYSIS_STAGES]
        assert shown == [drawn] * len(ANALYSIS_STAGES), (progress, stream.getvalue())
