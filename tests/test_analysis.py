"""Analysis on small hand-built graphs with answers worked out by hand, plus properties."""

import math
import re

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings, strategies as st

from graph.analysis import (SimilarityWeights, analyse, citation_paths, derivative_works, explain, graph_clusters,
                            influence_table, pair_similarity, prior_works, reading_order, reading_order_markdown,
                            relatedness, similarity_graph, similarity_to, topic_clusters)
from graph.errors import AnalysisError


@pytest.fixture
def G():
    """a, b share references x, y; b, c share z; p and q cite both a and b; r cites c;
    d and e cite only x (so x is cited 4 times, y and z twice)."""
    g = nx.DiGraph([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y"), ("b", "z"), ("c", "z"),
                    ("p", "a"), ("p", "b"), ("q", "a"), ("q", "b"), ("r", "c"), ("d", "x"), ("e", "x")])
    years = {"x": 2010, "y": 2011, "z": 2012, "a": 2015, "b": 2016, "c": 2016, "p": 2020, "q": 2021,
             "r": 2021, "d": 2019, "e": 2021}
    for n, y in years.items():
        g.nodes[n].update(year=y, title=f"Paper {n}", citation_count=10)
    return g


def test_salton_coupling_and_cocitation_by_hand(G):
    s = similarity_to(G, ["a", "b"])
    assert s["coupling"].loc["b", "a"] == pytest.approx(2 / math.sqrt(2 * 3))
    assert s["cocitation"].loc["b", "a"] == pytest.approx(2 / math.sqrt(2 * 2))
    assert s["combined"].loc["b", "a"] == pytest.approx(0.5 * 2 / math.sqrt(6) + 0.5)
    assert s["coupling"].loc["c", "b"] == pytest.approx(1 / math.sqrt(3))
    assert s["cocitation"].loc["c", "b"] == 0
    assert s["coupling"].loc["d", "a"] == pytest.approx(1 / math.sqrt(2))


def test_adamic_adar_downweights_popular_references(G):
    aa = similarity_to(G, ["a"], method="adamic_adar")["coupling"].loc["b", "a"]
    # x is cited 4 times (weight 1/log 4), y and z twice (1/log 2): sqrt((1.5/ln2) / (2.5/ln2))
    assert aa == pytest.approx(math.sqrt(0.6))
    assert aa < similarity_to(G, ["a"])["coupling"].loc["b", "a"]


def test_weights_are_normalised_and_validated(G):
    only_coupling = similarity_to(G, ["a"], weights=SimilarityWeights(2, 0))["combined"].loc["b", "a"]
    assert only_coupling == pytest.approx(2 / math.sqrt(6))
    with pytest.raises(AnalysisError):
        similarity_to(G, ["a"], weights=SimilarityWeights(0, 0))
    with pytest.raises(AnalysisError, match="not in the graph"):
        similarity_to(G, ["nope"])
    with pytest.raises(AnalysisError, match="method"):
        similarity_to(G, ["a"], method="jaccard")


random_graphs = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=40).map(
    lambda edges: nx.DiGraph([(u, v) for u, v in edges if u != v]))


@settings(max_examples=80, deadline=None)
@given(random_graphs, st.sampled_from(["salton", "adamic_adar"]), st.floats(0.0, 1.0), st.floats(0.01, 1.0),
       st.dictionaries(st.integers(0, 9), st.lists(st.sampled_from(["e1", "e2", "e3", 1, 2]), max_size=4),
                       max_size=6))
def test_similarity_is_symmetric_bounded_and_equals_its_definition(g, method, wc, wk, references):
    """Also with full reference lists naming papers outside the graph (as the store holds them)."""
    from graph.analysis import citation_matrix

    assume(g.number_of_nodes() > 0)
    references = {n: r for n, r in references.items() if n in g}
    weights = SimilarityWeights(wc, wk)
    nodes = sorted(g.nodes)
    sims = similarity_to(g, nodes, method=method, weights=weights, cm=citation_matrix(g, references))
    for key in ("coupling", "cocitation", "combined"):
        m = sims[key].loc[nodes, nodes].to_numpy()
        assert np.allclose(m, m.T)
        assert (m >= 0).all() and (m <= 1 + 1e-12).all()
    for u in nodes:
        for v in nodes:
            if u != v:
                ref = pair_similarity(g, u, v, method=method, weights=weights, references=references)
                for key in ref:
                    assert sims[key].loc[v, u] == pytest.approx(ref[key], abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(random_graphs)
def test_similarity_graph_holds_each_papers_top_links(g):
    assume(g.number_of_nodes() >= 2)
    H = similarity_graph(g, top_k=2)
    sims = similarity_to(g, list(g.nodes))["combined"]
    for u, v, w in H.edges(data="weight"):
        assert w == pytest.approx(sims.loc[u, v])
        assert w > 0


def test_relatedness_puts_the_paper_sharing_most_with_the_seed_first(G):
    r = relatedness(G, ["a"])
    assert "a" not in r.index
    # b shares both of a's references and is co-cited with it twice: nothing else comes close
    assert r.index[0] == "b"
    assert r.loc["b", "co_citations"] == 2 and r.loc["b", "shared_references"] == 2
    two = relatedness(G, ["a", "c"])
    assert two.index[0] == "b"
    assert two.loc["b", "cocited_seeds"] == 1 and two.loc["b", "coupled_seeds"] == 2


def test_prior_and_derivative_works(G):
    prior = prior_works(G, ["a", "b"])
    assert prior.iloc[0]["paper_id"] in {"x", "y"} and prior.iloc[0]["cited_by_map"] == 2
    assert set(prior["paper_id"]) == {"x", "y", "z"}
    deriv = derivative_works(G, ["a", "b"])
    assert set(deriv["paper_id"]) == {"p", "q"} and (deriv["cites_map"] == 2).all()


def test_explain_says_why(G):
    e = explain(G, "b", ["a", "c"])
    assert e.shared_references == {"a": ["x", "y"], "c": ["z"]}
    assert e.co_cited_by == {"a": ["p", "q"]}
    assert e.n_shared_references == 3 and e.n_co_citations == 2 and e.hops_to_seed == 2
    assert e.path_to_nearest_seed in (["b", "p", "a"], ["b", "q", "a"], ["b", "x", "a"], ["b", "y", "a"],
                                         ["b", "z", "c"])
    assert len(e.path_to_nearest_seed) == 3 and e.nearest_seed == e.path_to_nearest_seed[-1]


def test_pagerank_matches_networkx_reference(G):
    from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python
    table = influence_table(G)
    ref = _pagerank_python(G, alpha=0.85, tol=1e-10)
    for n, v in ref.items():
        assert table.loc[n, "pagerank"] == pytest.approx(v, abs=1e-6)
    assert list(table["rank"]) == list(range(1, len(G) + 1))
    assert table.index[0] == "x"  # cited by the most papers, including two that are themselves cited


def test_hits_recency_and_momentum_by_hand(G):
    t = influence_table(G)
    assert t["hits_hub"].idxmax() == "b"  # cites the three most-cited papers
    assert t.loc["x", "in_graph_citations"] == 4 and t.loc["x", "global_citations"] == 10
    # latest year 2021: the last 3 years are 2019-2021; momentum counts citers from 2020-2021
    assert t.loc["x", "recent_pagerank"] == 0 and t.loc["p", "recent_pagerank"] > 0
    assert t.loc["a", "momentum"] == pytest.approx(1.0)  # cited by p (2020) and q (2021)
    assert t.loc["x", "momentum"] == pytest.approx(1 / 4)  # of a, b, d, e only e is from 2021
    assert t.attrs["now_year"] == 2021


def _two_topics():
    """Two groups of 6 papers that each share references, joined by one paper citing both groups' references."""
    g = nx.DiGraph()
    for grp, word, refs in (("q", "quantization", ["rq1", "rq2", "rq3"]), ("t", "attention", ["rt1", "rt2", "rt3"])):
        for i in range(6):
            n = f"{grp}{i}"
            g.add_node(n, title=f"Low-bit {word} of {word} models part {i}", year=2018 + i)
            for r in refs:
                g.add_edge(n, r)
        for r in refs:
            g.nodes[r]["title"] = f"{word} reference"
    g.add_node("bridge", title="Quantized attention kernels", year=2023)
    g.add_edges_from([("bridge", "rq1"), ("bridge", "rt1")])
    return g



@pytest.mark.parametrize("resolution", [0.0, -1.0, float("nan"), float("inf")])
def test_a_resolution_that_is_not_a_finite_positive_number_is_refused(resolution):
    """The library's own check (the command line refuses these too): NaN made the modularity NaN."""
    g = _two_topics()
    H = similarity_graph(g, [n for n in g if not n.startswith("r")], top_k=10)
    with pytest.raises(AnalysisError, match="finite number > 0"):
        topic_clusters(g, H, resolution=resolution)

def test_clusters_labels_and_bridges_on_two_topics():
    g = _two_topics()
    papers = [n for n in g if not n.startswith("r")]
    H = similarity_graph(g, papers, top_k=10)
    res = topic_clusters(g, H, seed=1)
    mem = res.membership["cluster"]
    assert mem["q0"] == mem["q5"] != mem["t0"] == mem["t5"]
    assert res.cluster_of(["q0", "t5", "not-a-paper"]) == {"q0": mem["q0"], "t5": mem["t5"], "not-a-paper": -1}
    assert set(res.members(mem["q0"])) >= {f"q{i}" for i in range(6)}
    assert not set(res.members(mem["q0"])) & {f"t{i}" for i in range(6)}
    labels = dict(zip(res.table["cluster"], res.table["label"]))
    assert "quantization" in labels[mem["q0"]] and "attention" in labels[mem["t0"]]
    row = res.table.set_index("cluster").loc[mem["q0"]]
    assert row["year_min"] == 2018 and row["year_max"] == 2023
    assert res.modularity > 0.3
    assert res.bridges.iloc[0]["paper_id"] == "bridge"
    again = topic_clusters(g, H, seed=1)
    pd.testing.assert_frame_equal(res.membership, again.membership)
    assert list(res.table["label"]) == list(again.table["label"])


def test_whole_graph_clusters_cover_every_paper_and_keep_the_topics_apart():
    g = _two_topics()
    res = graph_clusters(g, top_k=5, seed=1)
    assert set(res.membership.index) == set(g)  # references too, not only the papers citing them
    of = res.cluster_of(list(g))
    assert of["q0"] == of["q5"] != of["t0"] == of["t5"]
    assert {of[f"q{i}"] for i in range(6)} == {of["q0"]} and {of[f"t{i}"] for i in range(6)} == {of["t0"]}


def test_the_map_table_flags_the_bridge_between_two_topics():
    g = _two_topics()
    t = analyse(g, ["q0", "t0"], top=20).table
    assert bool(t.loc["bridge", "bridge"])
    assert not t.loc["q3", "bridge"] and not t.loc["t3", "bridge"]  # all their links stay in their topic


def test_paths_between_papers(G):
    res = citation_paths(G, "a", "c")
    assert res.length == 4
    assert sorted(res.paths) == [["a", m, "b", "z", "c"] for m in ["p", "q", "x", "y"]]
    assert res.papers == ["a", "c", "p", "b", "z", "q", "x", "y"]
    longer = citation_paths(nx.DiGraph([("u", "v"), ("u", "w"), ("w", "v"), ("k", "u")]), "u", "v",
                            one_hop_longer=True)
    assert longer.paths == [["u", "v"]] and longer.one_hop_longer == ["w"]
    assert longer.hops == [["cites"]]  # u cites v
    back = citation_paths(nx.DiGraph([("u", "v"), ("k", "u")]), "v", "k")
    assert back.paths == [["v", "u", "k"]] and back.hops == [["cited by", "cited by"]]
    G.add_node("island")
    assert citation_paths(G, "a", "island").to_dict() == {"source": "a", "target": "island", "length": None,
                                                          "paths": [], "one_hop_longer": [], "titles": {}, "hops": []}
    with pytest.raises(AnalysisError, match="citegraph map"):
        citation_paths(G, "a", "unknown")


def test_reading_order_reads_cited_papers_first():
    g = nx.DiGraph([("c", "b"), ("b", "a"), ("d", "a")])
    for n, y in {"a": 2010, "b": 2012, "c": 2014, "d": 2011}.items():
        g.nodes[n].update(year=y, title=f"Title {n}")
    df = reading_order(g, ["c", "b", "a", "d"])
    assert list(df["paper_id"]) == ["a", "d", "b", "c"]
    assert list(df["stage"]) == ["beginner", "intermediate", "intermediate", "expert"]
    assert df.set_index("paper_id").loc["b", "prerequisites"] == ["a"]
    md = reading_order_markdown(df)
    assert md.index("## Beginner") < md.index("**Title a**") < md.index("## Expert") < md.index("**Title c**")
    assert "after: Title b" in md


def test_reading_order_breaks_cycles_by_year_then_influence():
    g = nx.DiGraph([("a", "b"), ("b", "a"), ("c", "a")])
    for n, y in {"a": 2015, "b": 2015, "c": 2014}.items():
        g.nodes[n].update(year=y, title=n)
    df = reading_order(g, ["a", "b", "c"], influence=pd.Series({"a": 0.1, "b": 0.9}))
    assert list(df["paper_id"]) == ["b", "a", "c"]


def test_reading_order_markdown_numbers_run_in_order_and_cycles_never_say_after_a_later_paper():
    # a <-> b cite each other (a cycle); c cites a; d cites c; e stands alone but is recent
    g = nx.DiGraph([("a", "b"), ("b", "a"), ("c", "a"), ("d", "c")])
    g.add_node("e")
    for n, y in {"a": 2015, "b": 2016, "c": 2017, "d": 2018, "e": 2020}.items():
        g.nodes[n].update(year=y, title=f"Title  {n} with $O(n^2)$")
    df = reading_order(g, list("edcba"))
    pos = dict(zip(df["paper_id"], df["order"]))
    for r in df.itertuples():
        assert all(pos[p] < r.order for p in r.prerequisites)
        assert all(pos[p] > r.order for p in r.read_with)
    row = df.set_index("paper_id")
    assert row.loc["a", "read_with"] == ["b"] and row.loc["b", "prerequisites"] == ["a"]
    md = reading_order_markdown(df)
    numbers = [int(m) for m in re.findall(r"^(\d+)\. ", md, flags=re.MULTILINE)]
    assert numbers == list(range(1, 6))
    assert "**Title a with O(n^2)**" in md and "$" not in md


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=25),
       st.lists(st.integers(2000, 2024), min_size=8, max_size=8))
def test_reading_order_agrees_with_its_prerequisites_on_any_graph(edges, years):
    g = nx.DiGraph()
    g.add_nodes_from(range(8))
    g.add_edges_from((u, v) for u, v in edges if u != v)
    for n in g:
        g.nodes[n].update(year=years[n], title=f"T{n}")
    df = reading_order(g, list(g))
    assert list(df["order"]) == list(range(1, 9))
    pos = dict(zip(df["paper_id"], df["order"]))
    stages = list(df["stage"])
    # stages are contiguous runs of the numbering
    assert stages == sorted(stages, key=["beginner", "intermediate", "expert"].index)
    for r in df.itertuples():
        assert all(pos[p] < r.order for p in r.prerequisites)
        assert sorted(r.prerequisites + r.read_with) == sorted(g.successors(r.paper_id))


def test_analyse_bundles_everything(G):
    res = analyse(G, ["a", "c"], top=4, min_similarity=0.3)
    # the seeds, then the 4 most related, b (sharing most with both seeds) first
    assert res.nodes[:3] == ["a", "c", "b"] and len(res.nodes) == 6
    t = res.table
    assert {"relatedness", "pagerank", "hits_hub", "cluster", "cluster_label", "shared_references"} <= set(t.columns)
    assert t.loc["b", "shared_references"] == 3 and t.loc["b", "co_citations"] == 2
    e = res.edges
    assert set(e["source"]) | set(e["target"]) <= set(res.nodes)
    assert res.parameters.weights == (0.5, 0.5)
    assert list(res.non_seeds().index) == [n for n in res.nodes if n not in ("a", "c")]


def test_shared_references_outside_the_graph_count(G):
    without = analyse(G, ["a"], top=10)
    refs = {"a": ["x", "y", "outside1", "outside2"], "c": ["z", "outside1", "outside2"]}
    with_refs = analyse(G, ["a"], top=10, references=refs)
    # c shares nothing with a inside the graph, two references outside it
    assert without.related.loc["c", "shared_references"] == 0
    assert with_refs.related.loc["c", "shared_references"] == 2
    assert with_refs.related.loc["c", "coupling_strength"] == pytest.approx(2 / math.sqrt(4 * 3))
    assert with_refs.related.loc["c", "relatedness"] > without.related.loc["c", "relatedness"]
    assert with_refs.explanations["c"].shared_references == {"a": ["outside1", "outside2"]}


def _random_citations(seed: int, n: int = 250, p: float = 0.012) -> nx.DiGraph:
    """A seeded random directed graph with string ids (as papers have), a self-citation and isolated papers."""
    g = nx.gnp_random_graph(n, p, seed=seed, directed=True)
    g = nx.relabel_nodes(g, {i: f"W{(i * 7919) % 1009}" for i in g})
    g.add_edge("W7", "W7")
    g.add_nodes_from(["lonely1", "lonely2"])
    return g


@pytest.mark.parametrize("seed", range(4))
def test_pagerank_and_hits_are_networkx_to_the_last_bit(seed):
    from graph.analysis.walks import hits, matrices_shared, pagerank

    g = _random_citations(seed)
    recent = [n for n in g if int(n[1:] if n[0] == "W" else 0) % 3 == 0]
    start = np.random.default_rng(0).uniform(0.5, 1.5, g.number_of_nodes())
    with matrices_shared(g):  # as the analysis runs them: on one matrix built once
        shared = (pagerank(g), pagerank(g, nodes=list(g.subgraph(recent))),
                  hits(g, max_iter=1000, tol=1e-10, nstart=start))
    assert shared[0] == pagerank(g) == nx.pagerank(g)
    assert shared[1] == nx.pagerank(g.subgraph(recent))
    assert shared[2] == nx.hits(g, max_iter=1000, tol=1e-10, nstart=dict(zip(g, start)))


def test_walks_on_a_shared_matrix_equal_walks_on_their_own():
    from graph.analysis.walks import matrices_of, matrices_shared, personalized_pagerank_many

    g = _random_citations(7)
    restarts = [{"W0": 1.0}, {"W7": 2.0, "W14": 1.0}]
    alone = [personalized_pagerank_many(g, restarts, undirected=u) for u in (True, False)]
    other = g.copy()
    other.add_edge("W0", "lonely1")
    with matrices_shared(g) as held:
        assert matrices_of(g) is held and matrices_of(other) is not held  # another graph has its own
        shared = [personalized_pagerank_many(g, restarts, undirected=u) for u in (True, False)]
        table = influence_table(g, seeds=["W0", "W7"])
    assert shared == alone
    pd.testing.assert_frame_equal(table, influence_table(g, seeds=["W0", "W7"]), check_exact=True)


@pytest.mark.parametrize("seed", range(6))
def test_nearest_seed_paths_are_networkx_multi_source_dijkstra(seed):
    from graph.analysis.similarity import nearest_seed_paths

    g = _random_citations(seed, n=300, p=0.006)
    seeds = ["W0", "W7", "W0", "not in the graph", sorted(g)[seed * 10]]
    present = [s for s in seeds if s in g]
    _, expected = nx.multi_source_dijkstra(g.to_undirected(as_view=True), present, weight=None)
    got = nearest_seed_paths(g, seeds)
    assert list(got.items()) == list(expected.items())  # the same paths (ties too), in the same order


def test_the_analysis_reports_each_stage_in_order(G):
    from graph.analysis.summary import ANALYSIS_STAGES

    seen = []
    analyse(G, ["a", "b"], top=5, on_stage=seen.append)
    assert seen == list(ANALYSIS_STAGES)
