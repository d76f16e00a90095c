"""Exports round-trip and say what they should."""

import bibtexparser
import networkx as nx
import pandas as pd
import pytest
from hypothesis import assume, given, settings, strategies as st

from graph.analysis import analyse
from graph.export import (bibtex, edges_table, read_graphml, read_node_link_json, write_gexf, write_graphml,
                          write_node_link_json)
from graph.pipeline import MapRun, bibtex_selection, write_map

from readback import bib_unescape, graphml_equivalent
from synthetic_maps import synthetic_map


def sample_graph():
    g = nx.DiGraph()
    g.graph["seeds"] = ["p1"]
    g.add_node("p1", title="SYNTH Attention {braces} & 100% of_it", year=2017, authors=["A. One", "B. Two"],
               citation_count=5, is_seed=True, seed_section="一、基础", doi="10.9999/x", arxiv_id="1706.03762",
               abstract=None, fetched_at=1.5)
    g.add_node("p2", title="SYNTH Second", year=None, authors=[], citation_count=None, is_seed=False)
    g.add_edge("p2", "p1", is_influential=True, intents=["methodology"], contexts=["see [1]"])
    g.add_edge("p1", "p2", is_influential=None, intents=None, contexts=None)
    return g


def same(a, b):
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert sorted(a.edges(data=True)) == sorted(b.edges(data=True))
    assert a.graph == b.graph


def test_graphml_round_trip(tmp_path):
    g = sample_graph()
    back = read_graphml(write_graphml(g, tmp_path / "g.graphml"))
    same(back, graphml_equivalent(g))
    assert back.nodes["p1"]["authors"] == ["A. One", "B. Two"] and back.is_directed()


def test_node_link_json_round_trip(tmp_path):
    g = sample_graph()
    same(read_node_link_json(write_node_link_json(g, tmp_path / "g.json")), g)


attr = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9), st.text(max_size=20),
                 st.lists(st.text(max_size=8), max_size=3))


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.fixed_dictionaries({"x": attr, "y": attr}),
                       min_size=1, max_size=3))
def test_graphml_round_trip_property(tmp_path_factory, nodes):
    g = nx.DiGraph()
    for n, d in nodes.items():
        g.add_node(n, **d)
    # GraphML types each attribute once for all nodes: keep one type per key
    for key in ("x", "y"):
        kinds = {type(d[key]) for d in nodes.values() if d[key] is not None}
        assume(len(kinds) <= 1)
    back = read_graphml(write_graphml(g, tmp_path_factory.mktemp("g") / "g.graphml"))
    same(back, graphml_equivalent(g))


def test_gexf_opens_in_networkx(tmp_path):
    back = nx.read_gexf(write_gexf(sample_graph(), tmp_path / "g.gexf"))
    assert set(back.nodes) == {"p1", "p2"} and back.number_of_edges() == 2


def test_bibtex_is_valid_and_escaped():
    text = bibtex(sample_graph())
    lib = bibtexparser.parse_string(text)
    assert lib.failed_blocks == []
    (entry, second) = lib.entries
    fields = {k: f.value for k, f in entry.fields_dict.items()}
    assert fields["eprint"] == "1706.03762" and fields["doi"] == "10.9999/x"
    assert "\\textbraceleft{}braces\\textbraceright{}" in fields["title"]
    assert "\\&" in fields["title"] and "\\%" in fields["title"]
    assert bib_unescape(fields["title"]) == "SYNTH Attention {braces} & 100% of_it"
    assert fields["author"] == "A. One and B. Two"
    assert (entry.key, second.key) == ("one2017synth", "synth")  # graph.citekeys


def test_tables_carry_scores_and_clusters(tmp_path):
    g, seeds = synthetic_map()
    g.graph["seeds"] = seeds
    analysis = analyse(g, seeds, top=30)
    edges = edges_table(g, analysis)
    assert (edges["kind"] == "cites").sum() == g.number_of_edges()
    assert (edges["kind"] == "similar").sum() == len(analysis.edges)
    assert edges.loc[edges["kind"] == "similar", "similarity"].between(0, 1).all()


def test_map_writes_every_format_and_bibtex_of_a_cluster(tmp_path):
    from graph.expansion import ExpansionResult
    from graph.seeds import SeedList

    g, seeds = synthetic_map()
    g.graph["seeds"] = seeds
    run = MapRun(SeedList(), ExpansionResult(graph=g, seeds=[]))
    analysis = analyse(g, seeds, top=30)
    cluster = int(analysis.clusters.table["cluster"].iloc[0])
    chosen = bibtex_selection(analysis, cluster=cluster)
    files = write_map(run, tmp_path, "m", analysis, bib_nodes=chosen)
    assert set(files) == {"html", "papers_csv", "papers_parquet", "edges_csv", "bibtex", "graphml", "gexf", "json",
                          "ris", "csl_json"}
    csv = pd.read_csv(files["papers_csv"])
    parquet = pd.read_parquet(files["papers_parquet"])
    assert list(csv.columns) == list(parquet.columns) and len(csv) == len(parquet) == g.number_of_nodes()
    assert {"cluster_label", "pagerank", "relatedness", "hits_authority"} <= set(csv.columns)
    in_map = csv[csv["in_map"]]
    assert set(in_map["paper_id"]) == set(analysis.nodes) and in_map["cluster_label"].notna().all()
    entries = bibtexparser.parse_string(files["bibtex"].read_text()).entries
    assert len(entries) == len(chosen) < len(analysis.nodes)
    from graph.errors import NothingUsableError

    with pytest.raises(NothingUsableError, match="no cluster 99"):
        bibtex_selection(analysis, cluster=99)


def _title_word_reference(title):
    """citekeys.title_word as first written: every word transliterated, then the first significant one."""
    import re

    from graph.citekeys import STOP_WORDS, _MATH, _ascii, _word

    text = _MATH.sub(" ", title or "")
    words = [_word(w) for w in re.split(r"[\s\-_/:;,.!?()\[\]{}$\\^'\"]+", _ascii(text))]
    words = [w for w in words if w]
    for w in words:
        if w not in STOP_WORDS:
            return w
    return words[0] if words else ""


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text(), st.lists(st.sampled_from(
    ["the", "On", "of", "a", "Ünïcödé", "张伟", "$O(n^2)$", "—", "-", "LLM.int8()", "'s", "", " ", "9"])).map(" ".join)))
def test_title_word_reads_only_up_to_the_first_significant_word_and_finds_the_same(title):
    from graph.citekeys import title_word

    assert title_word(title) == _title_word_reference(title)
