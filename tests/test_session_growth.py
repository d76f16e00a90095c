"""A session's later maps (a seed added, removed) are built from the reads it kept (graph.growth): each
must be the graph a rebuild from the store gives, node for node and edge for edge, in the same order."""

from __future__ import annotations

import shutil

import networkx as nx

from conftest import READING_LIST
from graph.expansion import ExpansionOptions
from graph.model import CitationEdge, PaperRecord
from graph.pipeline import MapRun, analyse_map, expand_seeds
from graph.session import Explorer
from graph.sources.s2 import S2Config, S2Source
from graph.store import Store


def rebuilt(ex: Explorer, url: str) -> MapRun:
    """The session's current seeds expanded again from its store, by a new store connection and source."""
    with Store(ex.store.path) as store, S2Source(S2Config(api_url=url, rate=0)) as source:
        result = expand_seeds(list(ex.seeds), store=store, source=source, options=ExpansionOptions(progress=False))
        assert result.requests == 0  # everything was stored by the session
    return MapRun(ex.seed_list, result)


def assert_same_graph(a: nx.DiGraph, b: nx.DiGraph) -> None:
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(a.edges(data=True)) == list(b.edges(data=True))
    # the order each paper's citers are met in: the summation order of the walks
    assert [list(a.predecessors(n)) for n in a] == [list(b.predecessors(n)) for n in b]
    assert a.graph == b.graph


def assert_same_run(session: MapRun, rebuild: MapRun) -> None:
    assert_same_graph(session.graph, rebuild.graph)
    assert session.references == rebuild.references
    assert [(r.seed, r.paper_id, r.reason) for r in session.expansion.seeds] == \
           [(r.seed, r.paper_id, r.reason) for r in rebuild.expansion.seeds]


def test_added_and_removed_seeds_give_the_rebuilt_graph_and_analysis(synth_server, synth_dataset, tmp_path):
    pid = synth_dataset.pid_of
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=synth_server.url, rate=0) as ex:
        ex.build()
        ex.add_seeds(["2101.00001"])  # new citations and papers fetched: the kept reads must see them
        assert ex.progress().requests > 0 and pid(4) in ex.run.graph and pid(7) in ex.run.graph
        assert_same_run(ex.run, rebuilt(ex, synth_server.url))
        mine, again = ex.analysis(), analyse_map(rebuilt(ex, synth_server.url))
        assert mine.nodes == again.nodes and mine.table.equals(again.table)
        ex.remove_seeds([pid(0)])
        assert pid(5) not in ex.run.graph  # 5 cites only seed 0
        assert_same_run(ex.run, rebuilt(ex, synth_server.url))


def test_a_store_written_by_another_process_is_read_afresh(synth_server, synth_dataset, tmp_path):
    pid = synth_dataset.pid_of
    with Explorer(["2101.00000", "2101.00001"], store=tmp_path / "s.sqlite", api_url=synth_server.url,
                  rate=0) as ex:
        ex.build()
        with Store(ex.store.path) as other:  # another command on the same store, between two actions
            other.put_papers([PaperRecord(pid(3), title="SYNTH paper 3, title corrected elsewhere")])
            other.put_edges([CitationEdge(pid(2), pid(4))])
        ex.remove_seeds([pid(1)])
        ex.add_seeds(["2101.00001"])
        g = ex.run.graph
        assert g.nodes[pid(3)]["title"] == "SYNTH paper 3, title corrected elsewhere" and g.has_edge(pid(2), pid(4))
        assert_same_run(ex.run, rebuilt(ex, synth_server.url))


def test_a_map_read_back_from_the_store_keeps_its_reads_when_asked_without_a_request(synth_server, tmp_path):
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=synth_server.url, rate=0) as ex:
        ex.build()
    sent = len(synth_server.request_log)
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=synth_server.url, rate=0) as ex:
        ex.build()  # read back from the results cache: nothing read from the store's tables
        assert ex._reads.empty
        ex.keep_reads()  # as serve does before serving
        assert not ex._reads.empty and len(synth_server.request_log) == sent
        ex.add_seeds(["2101.00001"])
        assert_same_run(ex.run, rebuilt(ex, synth_server.url))


def test_the_reading_list_grown_and_shrunk_is_the_rebuilt_graph(reading_list_map, arxiv_server, tmp_path):
    store = tmp_path / "s.sqlite"
    shutil.copy(reading_list_map[2], store)  # the clean map's store, built once per test session
    with Explorer([str(READING_LIST)], store=store, api_url=arxiv_server.url, rate=0) as ex:
        first = ex.build()
        assert ex.progress().requests == 0
        lora = ex.add_seeds(["2106.09685"])[0].paper_id  # LoRA: in the corpus, not a seed of the list
        assert lora in ex.run.graph and ex.run.graph.nodes[lora]["is_seed"]
        assert_same_run(ex.run, rebuilt(ex, arxiv_server.url))
        ex.remove_seeds([lora])
        # back to the reading list's own graph, as its first build made it (a rebuild: the same store
        # and seeds), but for LoRA's record, fetched again as a seed
        g, before = ex.run.graph, first.graph
        assert list(g) == list(before) and list(g.edges(data=True)) == list(before.edges(data=True))
        assert all(g.nodes[n] == before.nodes[n] for n in g if n != lora) and not g.nodes[lora]["is_seed"]
        assert ex.run.references == first.references and g.graph == before.graph


def test_merged_versions_are_the_graph_networkx_add_edge_builds():
    """merge_versions fills its graph directly (for speed): it must be the graph add_node/add_edge give,
    with attribute dicts of its own, and a citation seen from two versions merged."""
    from graph.versions import merge_versions

    g = nx.DiGraph()
    g.add_node("w1", title="Attention Is All You Need (synthetic)", year=2017, is_seed=True, arxiv_id="1706.03762")
    g.add_node("w1v2", title="attention is all you need (synthetic)", year=2017, arxiv_id="1706.03762", doi="10.x/1")
    g.add_node("r", title="A synthetic reference", year=2014)
    g.add_node("c", title="A synthetic citer", year=2020)
    g.add_edge("c", "w1", is_influential=False, intents=["background"], contexts=None)
    g.add_edge("c", "w1v2", is_influential=True, intents=["method"], contexts=["we use it"])
    g.add_edge("w1", "r", is_influential=None, intents=None, contexts=None)
    g.add_edge("w1v2", "w1", is_influential=None, intents=None, contexts=None)  # a version citing another
    g.graph["seeds"] = ["w1v2", "w1"]
    merged, _, alias = merge_versions(g)
    assert alias == {"w1v2": "w1"}
    # the reference: the kept nodes and the edges added through networkx's API
    ref = nx.DiGraph()
    for n, d in g.nodes(data=True):
        if n not in alias:
            ref.add_node(n, **d)
    ref.nodes["w1"].update(doi="10.x/1", merged_ids=["w1", "w1v2"])
    ref.add_edge("c", "w1", is_influential=True, intents=["background", "method"], contexts=["we use it"])
    ref.add_edge("w1", "r", is_influential=None, intents=None, contexts=None)
    assert merged.graph["seeds"] == ["w1"]
    ref.graph.update(merged.graph)
    assert_same_graph(merged, ref)
    merged.nodes["c"]["title"] = "changed"
    merged.edges["w1", "r"]["intents"] = ["changed"]
    assert g.nodes["c"]["title"] == "A synthetic citer" and g.edges["w1", "r"]["intents"] is None


def test_each_node_holds_its_record_as_to_dict_gives_it_with_the_sources_links(synth_server, tmp_path):
    from graph.growth import KeptReads

    with Explorer(["2101.00000", "2101.00001"], store=tmp_path / "s.sqlite", api_url=synth_server.url,
                  rate=0) as ex:
        g = ex.run.graph
        records = ex.store.get_papers(list(g))
        assert records and all(ex.source.links(r).page for r in records.values())  # links worth checking
        for pid, attrs in g.nodes(data=True):
            rec = records[pid]
            rec.links = ex.source.links(rec)
            expected = rec.to_dict()
            del expected["paper_id"]
            assert list(attrs.items())[:len(expected)] == list(expected.items())
        # the kept reads hand out copies: changing one changes neither the kept record nor the store's
        kept = KeptReads(ex.store)
        pid = next(iter(records))
        first = kept.get_papers([pid])[pid]
        first.title, first.links = "changed", "changed"
        assert kept.get_papers([pid])[pid] == ex.store.get_papers([pid])[pid] != first
