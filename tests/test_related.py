"""Related papers (each kind of evidence), personalised PageRank, Leiden clusters, merged
versions and the second-degree neighbourhood, on small hand-built graphs with known answers."""

import math

import networkx as nx
import pandas as pd
import pytest
from hypothesis import assume, given, settings, strategies as st

from graph.analysis import evidence_table, influence_table, personalized_pagerank, relatedness
from graph.analysis.clusters import detect_clusters
from graph.expansion import ExpansionOptions, expand
from graph.seeds import read_seeds
from graph.sources.memory import GraphSource
from graph.store import Store
from graph.versions import merge_versions, same_work, version_groups


# --- evidence -------------------------------------------------------------------------

@pytest.fixture
def E():
    """Seed s. c1, c2 cite s and p (p is co-cited twice); c3 cites p only; s and q share
    references r1, r2; t cites s; s cites u."""
    g = nx.DiGraph([("c1", "s"), ("c1", "p"), ("c2", "s"), ("c2", "p"), ("c3", "p"),
                    ("s", "r1"), ("s", "r2"), ("s", "u"), ("q", "r1"), ("q", "r2"), ("t", "s")])
    for n in g:
        g.nodes[n]["title"] = f"Synthetic paper {n}"
    return g


def test_cocitation_counts_and_salton_strength_by_hand(E):
    ev = evidence_table(E, ["s"])
    assert ev.loc["p", "co_citations"] == 2 and ev.loc["p", "cocited_seeds"] == 1
    # s is cited by c1, c2, t (3); p by c1, c2, c3 (3): 2 / sqrt(3 * 3)
    assert ev.loc["p", "cocitation_strength"] == pytest.approx(2 / 3)
    assert ev.loc["q", "co_citations"] == 0


def test_coupling_counts_references_outside_the_graph(E):
    inside = evidence_table(E, ["s"])
    assert inside.loc["q", "shared_references"] == 2
    assert inside.loc["q", "coupling_strength"] == pytest.approx(2 / math.sqrt(3 * 2))
    outside = evidence_table(E, ["s"], references={"s": ["r1", "r2", "u", "x9"], "q": ["r1", "r2", "x9"]})
    assert outside.loc["q", "shared_references"] == 3
    assert outside.loc["q", "coupling_strength"] == pytest.approx(3 / math.sqrt(4 * 3))


def test_direct_citations_and_seeds_are_left_out(E):
    ev = evidence_table(E, ["s"])
    assert "s" not in ev.index
    assert ev.loc["t", "cites_seeds"] == 1 and ev.loc["t", "cited_by_seeds"] == 0
    assert ev.loc["u", "cited_by_seeds"] == 1 and ev.loc["u", "cites_seeds"] == 0


def test_walk_is_personalised_pagerank_times_n(E):
    ev = evidence_table(E, ["s"])
    nx_ppr = nx.pagerank(E.to_undirected(), alpha=0.85, personalization={"s": 1.0}, tol=1e-12, max_iter=1000)
    for n in ev.index:
        assert ev.loc[n, "walk"] == pytest.approx(nx_ppr[n] * E.number_of_nodes(), rel=1e-5)


def test_text_match_rewards_shared_words_only():
    g = nx.DiGraph([("a", "b"), ("a", "c")])
    g.nodes["a"]["title"] = "Quantization of large language models"
    g.nodes["b"]["title"] = "Post-training quantization for language models"
    g.nodes["c"]["title"] = "Protein folding with graph kernels"
    ev = evidence_table(g, ["a"])
    assert ev.loc["b", "text_match"] > 0.2
    assert ev.loc["c", "text_match"] == 0


def test_relatedness_is_explained_and_ranks_strong_cocitation_first(E):
    r = relatedness(E, ["s"])
    assert "s" not in r.index
    assert r["relatedness"].between(0, 1).all()
    assert r["relatedness"].is_monotonic_decreasing
    assert r.index[0] == "p"  # co-cited twice, the strongest evidence here
    assert "cited together with 1 seed by 2 papers" in r.loc["p", "why"]
    assert "shares 2 references with 1 seed" in r.loc["q", "why"]


def test_more_cocitation_raises_relatedness(E):
    before = relatedness(E, ["s"]).loc["p", "relatedness"]
    E.add_edges_from([("c4", "s"), ("c4", "p")])  # one more paper cites p together with the seed
    after = relatedness(E, ["s"]).loc["p", "relatedness"]
    assert after > before


def test_best_seed_is_empty_without_cocitation_or_coupling(E):
    ev = evidence_table(E, ["s"])
    assert ev.loc["p", "best_seed"] == "s"
    assert pd.isna(ev.loc["t", "best_seed"])  # t only cites the seed


# --- personalised PageRank ------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=30),
       st.sets(st.integers(0, 9), min_size=1, max_size=3), st.booleans())
def test_personalized_pagerank_matches_networkx(edges, seeds, undirected):
    G = nx.DiGraph()
    G.add_nodes_from(range(10))
    G.add_edges_from((u, v) for u, v in edges if u != v)
    assume(G.number_of_edges() > 0)
    ours = personalized_pagerank(G, sorted(seeds), undirected=undirected, tol=1e-13)
    H = G.to_undirected() if undirected else G
    ref = nx.pagerank(H, alpha=0.85, personalization={s: 1.0 for s in seeds}, tol=1e-13, max_iter=1000)
    for n in G:
        assert ours[n] == pytest.approx(ref[n], abs=1e-8)


def test_rank_is_topical_by_default_and_global_on_request():
    # an old hub cited by a big unrelated neighbourhood beats the topic in global PageRank only
    g = nx.DiGraph([("s", "f"), ("a", "f"), ("b", "f")] + [(f"o{i}", "old") for i in range(8)] + [("f", "x")])
    g.add_edge("s", "o0")
    topical = influence_table(g, seeds=["s"])
    glob = influence_table(g, seeds=["s"], by="global")
    assert topical.attrs["ranked_by"] == "topic_pagerank" and glob.attrs["ranked_by"] == "pagerank"
    assert list(topical.drop(index="s").index[:1]) == ["f"]
    assert glob.index[0] == "old"


# --- Leiden ------------------------------------------------------------------------------

def _two_cliques():
    H = nx.Graph()
    for base in (0, 10):
        H.add_weighted_edges_from((base + i, base + j, 1.0) for i in range(5) for j in range(i + 1, 5))
    H.add_edge(4, 10, weight=0.1)
    return H


def test_leiden_finds_the_two_cliques_and_its_modularity_is_networkx_s():
    H = _two_cliques()
    res = detect_clusters(H)
    groups = {}
    for n, c in res.membership.items():
        groups.setdefault(c, set()).add(n)
    assert sorted(map(sorted, groups.values())) == [[0, 1, 2, 3, 4], [10, 11, 12, 13, 14]]
    assert res.modularity == pytest.approx(nx.community.modularity(H, groups.values(), weight="weight"))


def test_leiden_is_deterministic_whatever_the_global_random_state():
    import random

    H = nx.karate_club_graph()
    random.seed(1)
    first = detect_clusters(H, seed=3)
    random.seed(99)
    second = detect_clusters(H, seed=3)
    assert first == second
    assert len(set(first.membership.values())) >= 2


# --- merged versions --------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, same", [
    ({"doi": "10.1234/X", "title": "One"}, {"doi": "10.1234/x"}, True),
    ({"doi": "10.1234/X", "title": "One"}, {"doi": "10.1234/x", "title": "Other"}, False),  # a data error
    ({"arxiv_id": "2205.14135v2"}, {"arxiv_id": "2205.14135"}, True),
    ({"title": "Attention Is All You Need", "year": 2017}, {"title": "attention is all you need"}, True),
    ({"title": "Attention Is All You Need", "year": 2017}, {"title": "Attention is all you need", "year": 2018},
     True),
    ({"title": "Attention Is All You Need", "year": 2017}, {"title": "Attention is all you need", "year": 2019},
     False),
    ({"title": "A Survey of Graphs", "authors": ["Ada Lovelace"]},
     {"title": "A survey of graphs", "authors": ["Alan Turing"]}, False),
    ({"title": "A Survey of Graphs", "authors": ["Ada Lovelace"]}, {"title": "A survey of graphs", "authors": []},
     True),
    ({"title": "A Survey of Graphs", "arxiv_id": "2101.00001"},
     {"title": "A Survey of Graphs", "arxiv_id": "2102.00002"}, False),
    ({"title": "Graph Survey"}, {"title": "graph survey"}, False),  # too short to say
    ({"title": "A Survey of Graphs", "doi": "10.48550/arxiv.1"}, {"title": "A survey of graphs", "doi": "10.1/j"},
     True),
])
def test_version_rules(a, b, same):
    assert same_work(a, b) is same
    assert same_work(b, a) is same


def test_an_undated_copy_does_not_chain_two_different_works():
    # "Hyperbolic Neural Networks" and "... Networks++" normalise alike; a copy matches both
    g = nx.DiGraph()
    g.add_node("hnn", title="Hyperbolic Neural Networks", year=2018, arxiv_id="1805.09112")
    g.add_node("hnnpp", title="Hyperbolic Neural Networks++", year=2020, arxiv_id="2006.08210")
    g.add_node("copy", title="hyperbolic neural networks")
    groups = version_groups(g)
    assert len(groups) == 1 and len(groups[0]) == 2  # the copy joins one of them, never both
    g.add_node("late", title="Hyperbolic neural networks", year=2024)
    assert all(not {"hnn", "hnnpp"} <= set(grp) for grp in version_groups(g))


def test_merged_versions_keep_what_either_knows_of_a_citation():
    g = nx.DiGraph()
    g.add_edge("a", "v1", is_influential=False, intents=["background"])
    g.add_edge("a", "v2", is_influential=True, intents=["methodology"])
    g.nodes["v1"].update(title="A Paper About Graphs", year=2020)
    g.nodes["v2"].update(title="a paper about graphs")
    H, _, _ = merge_versions(g)
    (kept,) = [n for n in H if n != "a"]
    assert H.edges["a", kept]["is_influential"] is True
    assert sorted(H.edges["a", kept]["intents"]) == ["background", "methodology"]


def test_merge_versions_unions_edges_keeps_ids_and_maps_seeds():
    g = nx.DiGraph([("a", "pre"), ("b", "pub"), ("pre", "r"), ("pub", "r"), ("pub", "pre")])
    g.nodes["pre"].update(title="Flash Attention Made Fast", year=2022, is_seed=True, arxiv_id="2205.14135")
    g.nodes["pub"].update(title="Flash attention made fast", year=2022, citation_count=900, doi="10.5/neurips",
                          has_details=True)
    g.graph["seeds"] = ["pre"]
    H, refs, alias = merge_versions(g, {"pre": ["r", "outside"], "pub": ["r", "pre"]})
    assert alias == {"pub": "pre"}  # the seed's record is kept
    assert H.nodes["pre"]["merged_ids"] == ["pre", "pub"]
    assert H.nodes["pre"]["doi"] == "10.5/neurips" and H.nodes["pre"]["citation_count"] == 900
    assert sorted(H.predecessors("pre")) == ["a", "b"] and list(H.successors("pre")) == ["r"]
    assert not H.has_edge("pre", "pre")
    assert H.graph["seeds"] == ["pre"]
    assert refs == {"pre": ["r", "outside"]}


def test_expansion_merges_versions_into_one_node():
    g = nx.DiGraph([("s", "v1"), ("c", "s"), ("c", "v2"), ("d", "s"), ("d", "v2")])
    g.nodes["s"].update(title="Synthetic seed paper", arxiv_id="2001.00001")
    g.nodes["v1"].update(title="Synthetic Duplicated Work", year=2020)
    g.nodes["v2"].update(title="synthetic duplicated work")
    with Store(":memory:") as store:
        res = expand(read_seeds(["2001.00001"]).seeds, store, GraphSource(g), ExpansionOptions(progress=False))
    titles = [d["title"].casefold() for _, d in res.graph.nodes(data=True) if d.get("title")]
    assert len(titles) == len(set(titles))
    kept = next(n for n, d in res.graph.nodes(data=True) if d.get("merged_ids"))
    assert sorted(res.graph.nodes[kept]["merged_ids"]) == ["v1", "v2"]
    assert set(res.graph.predecessors(kept)) == {"s", "c", "d"}


# --- the second-degree neighbourhood -------------------------------------------------------------

def _second_degree_graph():
    """Seed s cites r1, r2. c1, c2, c3 cite s. x is cited by c1 and c2 (co-cited twice), y by c3
    only. z cites r1 and r2 (coupled twice), w cites r1 only."""
    g = nx.DiGraph([("s", "r1"), ("s", "r2"), ("c1", "s"), ("c2", "s"), ("c3", "s"),
                    ("c1", "x"), ("c2", "x"), ("c3", "y"), ("z", "r1"), ("z", "r2"), ("w", "r1")])
    g.nodes["s"].update(title="Synthetic seed", arxiv_id="2001.00001")
    return g


@pytest.mark.parametrize("coupled, expected", [(None, {"x", "z"}), (False, {"x"}), (True, {"x", "z"})])
def test_second_degree_adds_only_papers_with_enough_evidence(coupled, expected):
    with Store(":memory:") as store:
        res = expand(read_seeds(["2001.00001"]).seeds, store, GraphSource(_second_degree_graph()),
                     ExpansionOptions(progress=False, coupled=coupled))
    one_hop = {"s", "r1", "r2", "c1", "c2", "c3"}
    assert set(res.graph) - one_hop == expected
    assert res.second_degree["added"] == len(expected)


def test_second_degree_respects_min_evidence_and_max_papers():
    seeds = read_seeds(["2001.00001"]).seeds
    with Store(":memory:") as store:
        loose = expand(seeds, store, GraphSource(_second_degree_graph()),
                       ExpansionOptions(progress=False, min_evidence=1))
    assert {"x", "y", "z", "w"} <= set(loose.graph)
    with Store(":memory:") as store:
        capped = expand(seeds, store, GraphSource(_second_degree_graph()),
                        ExpansionOptions(progress=False, max_papers=7))
    assert capped.graph.number_of_nodes() == 7
    assert len(set(capped.graph) & {"x", "z"}) == 1  # the one with the most evidence (a tie: by id)
    with Store(":memory:") as store:
        none = expand(seeds, store, GraphSource(_second_degree_graph()),
                      ExpansionOptions(progress=False, co_cited=False, coupled=False))
    assert set(none.graph) == {"s", "r1", "r2", "c1", "c2", "c3"}


def test_a_second_run_neither_fetches_nor_changes_the_graph(tmp_path):
    """s's citation list is cut to 1 (c1). c1 also cites c2, so c2 joins as co-cited and its
    reference list shows that it cites s too. That citation must not make c2 a listed citer
    on the next run (which would pull in y, cited by c2 only, and cost a request)."""
    g = nx.DiGraph([("c1", "s"), ("c2", "s"), ("c1", "c2"), ("c2", "y"), ("s", "r")])
    for n in g:
        g.nodes[n]["title"] = f"Synthetic paper {n}"
    g.nodes["s"]["arxiv_id"] = "2001.00001"
    seeds = read_seeds(["2001.00001"]).seeds
    opts = ExpansionOptions(progress=False, max_citations=1, min_evidence=1, coupled=False)
    with Store(tmp_path / "s.sqlite") as store:
        first = expand(seeds, store, GraphSource(g), opts)
        source = GraphSource(g)
        second = expand(seeds, store, source, opts)
    assert set(first.graph) == set(second.graph) == {"s", "r", "c1", "c2"}
    assert source.queries == 0


def test_stores_of_schema_1_are_migrated_with_their_citation_listings(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE papers (paper_id TEXT PRIMARY KEY, title TEXT, year INTEGER, venue TEXT, authors TEXT,
            corpus_id INTEGER, arxiv_id TEXT, doi TEXT, citation_count INTEGER, reference_count INTEGER,
            influential_citation_count INTEGER, abstract TEXT, tldr TEXT, publication_date TEXT, source TEXT,
            fetched_at REAL);
        CREATE TABLE edges (citing TEXT NOT NULL, cited TEXT NOT NULL, is_influential INTEGER, intents TEXT,
            contexts TEXT, PRIMARY KEY (citing, cited)) WITHOUT ROWID;
        CREATE TABLE lists (paper_id TEXT NOT NULL, kind TEXT NOT NULL, n_items INTEGER NOT NULL, total INTEGER,
            complete INTEGER NOT NULL, truncated TEXT, fetched_at REAL NOT NULL, limit_asked INTEGER,
            PRIMARY KEY (paper_id, kind));
        CREATE TABLE aliases (alias TEXT PRIMARY KEY, paper_id TEXT, reason TEXT, fetched_at REAL NOT NULL);
        INSERT INTO edges (citing, cited) VALUES ('c', 's'), ('s', 'r');
        INSERT INTO lists VALUES ('s', 'citations', 1, 1, 1, NULL, 0, 1000);
        PRAGMA user_version = 1;
    """)
    db.close()
    with Store(path) as store:
        assert [e.citing for e in store.edges_touching(["s"], direction="in", listed_only=True)] == ["c"]
        assert store.edges_touching(["r"], direction="in", listed_only=True) == []
        assert len(store.edges_touching(["r"], direction="in")) == 1


def test_offline_rebuilds_the_coupled_graph_from_the_store(tmp_path):
    seeds = read_seeds(["2001.00001"]).seeds
    with Store(tmp_path / "s.sqlite") as store:
        online = expand(seeds, store, GraphSource(_second_degree_graph()), ExpansionOptions(progress=False))
        offline = expand(seeds, store, None, ExpansionOptions(progress=False, offline=True))
    assert "z" in online.graph and set(offline.graph) == set(online.graph)
    assert offline.second_degree["coupled"] == online.second_degree["coupled"] == 1


# --- topics of a seed set: sections, citations, foundations, inverse frequency, interleaving -------

from graph.analysis import SeedTopics, Topic, interleave, seed_topics, seed_weights  # noqa: E402
from graph.analysis.topics import FOUNDATIONS_NAME, citation_groups  # noqa: E402


def _two_subjects(sections: dict | None = None, source: str = "list.md", background: int = 0):
    """SYNTH: subject A (seeds a1, a2; citers xa0-xa5 cite both and pa0-pa2) and subject B (seed b1;
    citers xb0-xb2 cite it and pb0, pb1). Every citer also cites "hub" (cited by most of the graph).
    ``background``: that many more papers in a chain, the first half citing the hub too."""
    g = nx.DiGraph()
    for i in range(background):
        g.add_edge(f"bg{i}", f"bg{i + 1}")
        if i < background // 2:
            g.add_edge(f"bg{i}", "hub")
    for i in range(6):
        g.add_edges_from([(f"xa{i}", "a1"), (f"xa{i}", "a2"), (f"xa{i}", f"pa{i % 3}"), (f"xa{i}", "hub")])
    for i in range(3):
        g.add_edges_from([(f"xb{i}", "b1"), (f"xb{i}", f"pb{i % 2}"), (f"xb{i}", "hub")])
    for n in g:
        g.nodes[n]["title"] = f"SYNTH paper {n}"
    for line, (s, sec) in enumerate((sections or {}).items(), start=1):
        g.nodes[s].update(seed_section=sec, seed_source=f"{source}:{line}", is_seed=True)
    return g


def test_sections_are_topics_by_their_top_level_heading_and_a_markdown_list_opens_with_foundations():
    g = _two_subjects({"hub": "Foundations / Milestones", "a1": "Quantisation / Weights",
                       "a2": "Quantisation / Activations", "b1": "Serving"})
    t = seed_topics(g, ["hub", "a1", "a2", "b1"])
    assert t.origin == "sections"
    assert [(x.name, x.seeds, x.foundation) for x in t.topics] == [
        ("Foundations", ("hub",), True), ("Quantisation", ("a1", "a2"), False), ("Serving", ("b1",), False)]
    # the foundations' share is halved against their seeds' share: 0.5 : 2 : 1
    assert t.shares() == pytest.approx({"Foundations": 0.5 / 3.5, "Quantisation": 2 / 3.5, "Serving": 1 / 3.5})
    # BibTeX groups are topics too, but a BibTeX file's first group is no foundation
    bib = seed_topics(_two_subjects({"a1": "Quantisation", "b1": "Serving"}, source="refs.bib"), ["a1", "b1"])
    assert not any(x.foundation for x in bib.topics)


def test_plain_seeds_are_grouped_by_their_citations_and_a_seed_most_papers_cite_is_a_foundation():
    g = _two_subjects(background=60)  # the hub is cited by 39 of 77 papers, a1 by 6: only the hub is a foundation
    assert citation_groups(g, ["a1", "b1", "a2"]) == [["a1", "a2"], ["b1"]]
    assert seed_topics(g, ["a1", "b1", "a2", "pb0", "hub"]).origin == "single"  # 5 seeds: too few to split
    t = seed_topics(g, ["a1", "b1", "a2", "pb0", "hub"], min_seeds_to_split=5)
    assert t.origin == "citations"
    assert [x.seeds for x in t.topics] == [("a1", "a2"), ("b1", "pb0"), ("hub",)]
    assert t.topics[-1].name == FOUNDATIONS_NAME and t.topics[-1].foundation
    assert t.topics[0].name.startswith("“SYNTH paper a")  # named after its seeds, in words
    # one subject is one topic, and so is a subject of one seed beside one of two (too little to split on)
    assert seed_topics(g, ["a1", "a2"]).origin == "single"
    assert [x.seeds for x in seed_topics(g, ["a1", "b1", "a2"], min_seeds_to_split=3).topics] == [("a1", "b1", "a2")]


def test_inverse_frequency_weights_discount_the_seed_everybody_cites():
    g = _two_subjects()
    w = seed_weights(g, ["hub", "a1", "b1"])
    assert sum(w.values()) == pytest.approx(3)  # mean 1
    assert w["hub"] < w["a1"] < w["b1"]  # cited by 9, 6 and 3 of 17 papers
    n = g.number_of_nodes()
    assert w["b1"] / w["hub"] == pytest.approx((math.log((n + 1) / 4) / math.log((n + 1) / 10)) ** 0.5)
    assert seed_weights(g, ["hub", "b1"], power=1.0)["b1"] / seed_weights(g, ["hub", "b1"], power=1.0)["hub"] \
        == pytest.approx(math.log((n + 1) / 4) / math.log((n + 1) / 10))


def test_weighted_evidence_counts_a_rare_seed_more_than_a_common_one():
    # p is co-cited once with the common seed, q once with the rare one: unweighted they tie
    g = nx.DiGraph([("c0", "common"), ("c0", "p"), ("c1", "rare"), ("c1", "q")]
                   + [(f"z{i}", "common") for i in range(8)])
    plain = evidence_table(g, ["common", "rare"])
    assert plain.loc["p", "cocited_share"] == plain.loc["q", "cocited_share"]
    w = seed_weights(g, ["common", "rare"])
    weighted = evidence_table(g, ["common", "rare"], weights=w)
    assert weighted.loc["q", "cocited_share"] > weighted.loc["p", "cocited_share"]
    assert weighted.loc["q", "co_citations"] == weighted.loc["p", "co_citations"] == 1  # counts stay counts


def test_interleave_follows_the_shares_in_every_prefix_and_places_a_paper_once():
    rankings = {"a": [f"a{i}" for i in range(10)], "b": ["a0"] + [f"b{i}" for i in range(10)]}
    out = interleave(rankings, {"a": 0.75, "b": 0.25})
    papers = [p for p, _ in out]
    assert len(papers) == len(set(papers)) == 20
    assert out[0] == ("a0", "a") and ("a0", "b") not in out
    for k in (4, 8, 12):  # 3 of every 4 go to a while both have papers left (a has 10)
        assert sum(t == "a" for _, t in out[:k]) == 3 * k // 4
    # a topic that runs out leaves the rest to the others
    assert interleave({"a": ["x"], "b": ["y", "z"]}, {"a": 0.9, "b": 0.1}) == [("x", "a"), ("y", "b"), ("z", "b")]


def _sainte_lague_by_scan(rankings, shares):
    """The rule interleave keeps, said the plain way: before each pick, every topic with a paper not yet
    placed competes, and the largest share / (picked + 0.5) wins, ties to the earlier topic."""
    order, picked, placed, out = list(rankings), {t: 0 for t in rankings}, set(), []
    while True:
        live = [t for t in order if any(p not in placed for p in rankings[t])]
        if not live:
            return out
        t = max(live, key=lambda t: (shares.get(t, 0.0) / (picked[t] + 0.5), -order.index(t)))
        paper = next(p for p in rankings[t] if p not in placed)
        placed.add(paper)
        picked[t] += 1
        out.append((paper, t))


@settings(max_examples=300)
@given(st.lists(st.lists(st.integers(0, 25), max_size=20, unique=True), min_size=1, max_size=6),
       st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.3, 1 / 3, 0.5]), min_size=6, max_size=6))
def test_interleave_picks_as_a_scan_of_every_topic_would(lists, share_values):
    rankings = {f"t{i}": [f"p{x}" for x in lst] for i, lst in enumerate(lists)}
    # equal shares (ties) are common in the draw; a topic without a share competes with 0
    shares = {t: v for (t, v) in zip(rankings, share_values) if v}
    assert interleave(rankings, shares) == _sainte_lague_by_scan(rankings, shares)


def test_related_serves_every_topic_and_says_which():
    g = _two_subjects({"a1": "Quantisation", "a2": "Quantisation", "b1": "Serving"})
    r = relatedness(g, ["a1", "a2", "b1"])
    # 30% of the places go to the papers most related to all the seeds, the rest to the topics, 2 : 1 as
    # their seeds (Sainte-Laguë): Quantisation's best (the hub), then all the seeds' best left (pa0), then
    # Serving's best (pb0), 3rd rather than after every paper of the larger topic
    assert list(r.index[:4]) == ["hub", "pa0", "pb0", "pa1"]
    assert list(r["topic"][:4]) == ["Quantisation", "Quantisation", "Serving", "Quantisation"]
    assert list(r["related_rank"]) == list(range(1, len(r) + 1))
    pb = r.loc["pb0"]
    assert pb["topic"] == "Serving"
    assert pb["why"].startswith("serves: Serving — cited together with 1 of its seeds by 2 papers")
    # without topics the best-served subject fills the top: pa0..pa2 are co-cited with two seeds
    one = relatedness(g, ["a1", "a2", "b1"], topics=SeedTopics((Topic("all", ("a1", "a2", "b1")),), "single",
                                                              seed_weights(g, ["a1", "a2", "b1"])))
    assert list(one.index[:5]) == ["hub", "pa0", "pa1", "pa2", "pb0"]
    assert not one["why"].str.startswith("serves").any()


def test_a_topics_ranking_holds_the_papers_that_serve_it_by_the_geometric_mean_of_both_scores():
    import pandas as pd

    from graph.analysis.related import topic_rankings

    overall = pd.Series({"p": 0.9, "q": 0.1, "r": 0.6, "s": 0.8})
    scores = pd.DataFrame({"A": [0.3, 0.99, 0.6, 0.2], "B": [0.1, 0.1, 0.1, 0.7]}, index=["p", "q", "r", "s"])
    serves = scores.idxmax(axis=1)
    ranked = topic_rankings(overall, scores, serves)
    # s serves B only; within A neither score alone decides: overall alone says p, r, q, A's alone q, r, p;
    # their geometric means are r 0.6, p 0.52, q 0.31
    assert ranked == {"A": ["r", "p", "q"], "B": ["s"]}
    # equal keys keep the order ``overall`` comes in (the caller sorts it by relatedness, then co-citations)
    tie = topic_rankings(pd.Series({"x": 0.5, "y": 0.5}), pd.DataFrame({"A": [0.5, 0.5]}, index=["x", "y"]),
                         pd.Series({"x": "A", "y": "A"}))
    assert tie == {"A": ["x", "y"]}


def test_rank_restarts_per_topic_so_the_hub_every_topic_reaches_is_not_first():
    g = _two_subjects({"a1": "Quantisation", "a2": "Quantisation", "b1": "Serving"})
    # a third SYNTH subject: seed c1, cited by xc0-xc2 with pc0 and the hub
    g.add_edges_from((f"xc{i}", t) for i in range(3) for t in ("c1", "pc0", "hub"))
    g.nodes["c1"].update(seed_section="Chips", seed_source="list.md:4", is_seed=True)
    seeds = ["a1", "a2", "b1", "c1"]
    plain = influence_table(g, seeds=seeds, topics=SeedTopics((Topic("all", tuple(seeds)),), "single"))
    assert [p for p in plain.index if p not in seeds][0] == "hub"  # one walk: the hub leads
    ranked = influence_table(g, seeds=seeds)
    assert set(ranked.index[:4]) == set(seeds)  # the walks restart at the seeds: they lead
    rest = [p for p in ranked.index if p not in seeds]
    assert rest.index("hub") > 2
    assert {ranked.loc[p, "topic"] for p in rest[:3]} == {"Quantisation", "Serving", "Chips"}
    assert ranked["topic_pagerank"].sum() == pytest.approx(1.0)


def test_cli_related_by_topic_prints_one_short_list_per_section(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from graph.cli import cli
    from graph.testing.s2_server import S2Dataset, S2TestServer

    # SYNTH: seeds 0 and 1 (one section) are cited together by 3, 4, 5, which also cite 6; seed 2
    # (another section) is cited by 7 and 8, which also cite 9
    edges = [(c, t) for c in (3, 4, 5) for t in (0, 1, 6)] + [(c, t) for c in (7, 8) for t in (2, 9)]
    listing = tmp_path / "synth-list.md"
    listing.write_text("# SYNTH reading list\n\n## SYNTH Quantisation\n\n"
                       "1. **SYNTH paper 0** (2021)\n   - https://arxiv.org/abs/2101.00000\n"
                       "2. **SYNTH paper 1** (2021)\n   - https://arxiv.org/abs/2101.00001\n\n"
                       "## SYNTH Serving\n\n3. **SYNTH paper 2** (2021)\n   - https://arxiv.org/abs/2101.00002\n",
                       encoding="utf-8")
    with S2TestServer(S2Dataset.synthetic(10, edges)) as server:
        monkeypatch.setenv("S2_API_URL", server.url)
        monkeypatch.setenv("S2_RATE", "0")
        monkeypatch.setenv("CITEGRAPH_STORE", str(tmp_path / "store.sqlite"))
        res = CliRunner().invoke(cli, ["related", str(listing), "--by-topic", "--limit", "2", "-q"],
                                 catch_exceptions=False)
        assert res.exit_code == 0, res.output
        blocks = res.stdout.split("## ")[1:]
        assert [b.splitlines()[0] for b in blocks] == ["SYNTH Quantisation", "SYNTH Serving"]
        assert "SYNTH paper 6" in blocks[0] and "SYNTH paper 9" in blocks[1]
        assert "SYNTH paper 9" not in blocks[0]
        rows = json.loads(CliRunner().invoke(cli, ["related", str(listing), "--json", "-q"],
                                             catch_exceptions=False).stdout)
    by_id = {r["title"]: r for r in rows}
    assert by_id["SYNTH paper 9"]["topic"] == "SYNTH Serving"
    assert by_id["SYNTH paper 9"]["why"].startswith("serves: SYNTH Serving — cited together with 1 of its seeds")


def test_bibtex_groups_and_keywords_are_the_seeds_sections():
    from graph.seeds import parse_bibtex

    bib = ("@article{a, title={SYNTH A}, eprint={2101.00001}, groups={Quantisation}}\n"
           "@article{b, title={SYNTH B}, eprint={2101.00002}, keywords={serving, systems}}\n"
           "@article{c, title={SYNTH C}, eprint={2101.00003}}\n")
    assert [s.section for s in parse_bibtex(bib).seeds] == ["Quantisation", "serving", ""]


def test_the_map_and_the_tables_carry_each_papers_topic():
    from graph.analysis import analyse
    from graph.pipeline import scores_table
    from graph.render import map_data

    g = _two_subjects({"a1": "Quantisation", "a2": "Quantisation", "b1": "Serving"})
    a = analyse(g, ["a1", "a2", "b1"])
    assert list(a.non_seeds().index[:4]) == ["hub", "pa0", "pb0", "pa1"]  # the related list's order
    table = scores_table(a)
    assert table.loc["b1", "topic"] == "Serving" and table.loc["pb0", "topic"] == "Serving"
    data = map_data(g, a, "SYNTH")
    assert [t["name"] for t in data["topics"]] == ["Quantisation", "Serving"]
    topic = {p["id"]: p["topic"] for p in data["papers"]}
    assert topic["a1"] == "Quantisation" and topic["pb0"] == "Serving"
