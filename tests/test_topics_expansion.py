"""The expansion's room shared by the seeds' topics (graph.neighbourhood.TopicRoom), on small
hand-built graphs whose answers are known."""

from dataclasses import replace

import networkx as nx

from graph.expansion import ExpansionOptions, expand
from graph.neighbourhood import SECOND_DEGREE_SHARE, inverse_frequency, share_room
from graph.seeds import read_seeds
from graph.sources.memory import GraphSource
from graph.store import Store

QUIET = dict(progress=False)


# -- share_room: the turns the topics take -----------------------------------------------------

def test_each_topic_gets_its_share_whatever_its_evidence():
    # topic a has ten times b's candidates (and, ranked first, its evidence is the stronger):
    # the room still goes half to each
    ranked = {"a": [f"a{i}" for i in range(100)], "b": [f"b{i}" for i in range(10)]}
    got = share_room(ranked, {"a": 0.5, "b": 0.5}, 10)
    assert sorted(got) == sorted([f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)])


def test_shares_follow_the_topics_seeds():
    ranked = {"a": [f"a{i}" for i in range(100)], "b": [f"b{i}" for i in range(100)]}
    got = share_room(ranked, {"a": 0.75, "b": 0.25}, 20)
    assert sum(p.startswith("a") for p in got) == 15 and sum(p.startswith("b") for p in got) == 5


def test_room_a_topic_cannot_fill_goes_to_the_others():
    ranked = {"a": [f"a{i}" for i in range(100)], "b": ["b0", "b1"], "c": [f"c{i}" for i in range(100)]}
    got = share_room(ranked, {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 12)
    assert len(got) == 12 and {"b0", "b1"} <= set(got)
    # b's two unused places are split between a and c
    assert sum(p.startswith("a") for p in got) == 5 and sum(p.startswith("c") for p in got) == 5


def test_a_paper_two_topics_rank_is_taken_once_and_no_room_takes_all():
    ranked = {"a": ["x", "a1"], "b": ["x", "b1"]}
    assert share_room(ranked, {"a": 0.5, "b": 0.5}, None) == ["x", "b1", "a1"]
    assert share_room(ranked, {"a": 0.5, "b": 0.5}, 0) == []


def test_seeds_most_candidates_link_to_weigh_less():
    w = inverse_frequency({"hub": {f"p{i}" for i in range(50)}, "niche": {"p0", "q1"}, "mid": {"p1", "q2", "q3"}})
    assert w["niche"] > w["mid"] > w["hub"]
    assert abs(sum(w.values()) / 3 - 1) < 1e-9


# -- over a hand-built corpus ------------------------------------------------------------------

def _two_topic_corpus() -> nx.DiGraph:
    """Seeds a1, a2 (topic A), each cited by 30 papers citing both (evidence 2 each); seeds b1, b2
    (topic B), each cited by 5 papers citing it alone (evidence 1 each). SYNTH ids throughout."""
    g = nx.DiGraph()
    seeds = {"a1": "2001.00001", "a2": "2001.00002", "b1": "2001.00003", "b2": "2001.00004"}
    for n, arxiv in seeds.items():
        g.add_node(n, title=f"SYNTH seed {n}", arxiv_id=arxiv, year=2020)
    for i in range(30):
        g.add_node(f"ca{i:02d}", title=f"SYNTH citer of A {i}", year=2021)
        g.add_edges_from([(f"ca{i:02d}", "a1"), (f"ca{i:02d}", "a2")])
    for i in range(10):
        g.add_node(f"cb{i:02d}", title=f"SYNTH citer of B {i}", year=2021)
        g.add_edge(f"cb{i:02d}", "b1" if i % 2 else "b2")
    return g


def _seeds(sections: dict | None):
    seeds = read_seeds(["2001.00001", "2001.00002", "2001.00003", "2001.00004"]).seeds
    if sections is None:
        return seeds
    return [replace(s, section=sections[s.pid.value]) for s in seeds]


def _expand(g, seeds, tmp_path, name: str, **options):
    with Store(tmp_path / f"{name}.sqlite") as store:
        return expand(seeds, store, GraphSource(g), ExpansionOptions(**QUIET, **options))


def _one_hop_room(max_papers: int, n_seeds: int) -> int:
    return max_papers - n_seeds - max_papers // SECOND_DEGREE_SHARE


def test_the_weakly_evidenced_topic_gets_its_share_of_the_room(tmp_path):
    g = _two_topic_corpus()
    two = {"2001.00001": "A", "2001.00002": "A", "2001.00003": "B", "2001.00004": "B"}
    assert _one_hop_room(25, 4) == 16
    shared = _expand(g, _seeds(two), tmp_path, "shared", max_papers=25)
    before = _expand(g, _seeds(two), tmp_path, "before", max_papers=25, topic_shares=False)
    b_citers = {f"cb{i:02d}" for i in range(10)}
    # by evidence over every seed, topic A's citers (2 seeds each) take all 16 places
    assert not b_citers & set(before.graph)
    # shared: 8 places each, B's 10 citers ranked by its seeds (each seed's 5 citers alike)
    assert len(b_citers & set(shared.graph)) == 8
    assert len({f"ca{i:02d}" for i in range(30)} & set(shared.graph)) == 8
    assert any("shared by the seeds' 2 topics" in line for line in shared.plan)


def test_room_topic_b_cannot_use_flows_back_to_topic_a(tmp_path):
    g = _two_topic_corpus()
    two = {"2001.00001": "A", "2001.00002": "A", "2001.00003": "B", "2001.00004": "B"}
    r = _expand(g, _seeds(two), tmp_path, "s", max_papers=45)  # 45 - 4 - 9 = 32 places
    assert {f"cb{i:02d}" for i in range(10)} <= set(r.graph)
    assert len({f"ca{i:02d}" for i in range(30)} & set(r.graph)) == 22


def test_one_topic_is_expanded_exactly_as_before(tmp_path):
    g = _two_topic_corpus()
    one = dict.fromkeys(["2001.00001", "2001.00002", "2001.00003", "2001.00004"], "all of it")
    for name, seeds in (("one section", _seeds(one)), ("plain ids", _seeds(None))):
        now = _expand(g, seeds, tmp_path, f"{name}-now", max_papers=25)
        before = _expand(g, seeds, tmp_path, f"{name}-before", max_papers=25, topic_shares=False)
        assert sorted(now.graph.nodes) == sorted(before.graph.nodes), name
        assert sorted(now.graph.edges) == sorted(before.graph.edges), name
        assert not any("topics" in line for line in now.plan)


def _two_group_corpus() -> nx.DiGraph:
    """Plain seeds of two subjects: x1..x4 cited together by 30 papers, y1..y4 by 5 papers (each
    citing all four), plus papers co-cited with each group; SYNTH ids throughout."""
    g = nx.DiGraph()
    for k, group in enumerate(("x", "y")):
        for i in range(1, 5):
            g.add_node(f"{group}{i}", title=f"SYNTH seed {group}{i}", arxiv_id=f"200{k + 1}.0000{i}", year=2020)
        for j in range(30 if group == "x" else 5):
            citer = f"c{group}{j:02d}"
            g.add_node(citer, title=f"SYNTH citer {citer}", year=2021)
            g.add_edges_from((citer, f"{group}{i}") for i in range(1, 5))
            # what the citers also cite: co-cited with the group's seeds
            g.add_edge(citer, f"co{group}{j % 4}")
    for n in g:
        g.nodes[n].setdefault("title", f"SYNTH paper {n}")
    return g


def test_a_plain_list_of_two_citation_groups_shares_the_room_when_asked(tmp_path):
    g = _two_group_corpus()
    seeds = read_seeds([f"200{k}.0000{i}" for k in (1, 2) for i in range(1, 5)]).seeds
    # 8 seeds: 40 - 8 - 8 = 24 one-hop places; 8 for the second degree
    shared = _expand(g, seeds, tmp_path, "shared", max_papers=40, citation_topics=True)
    default = _expand(g, seeds, tmp_path, "default", max_papers=40)
    before = _expand(g, seeds, tmp_path, "before", max_papers=40, topic_shares=False)
    y_citers = {f"cy{j:02d}" for j in range(5)}
    assert not y_citers & set(before.graph)  # x's citers (4 seeds each, as y's) come first by id
    assert y_citers <= set(shared.graph)
    assert any("shared by the seeds' 2 topics" in line for line in shared.plan)
    # plain ids share the room only when asked: by default they are expanded as before
    assert sorted(default.graph.nodes) == sorted(before.graph.nodes)
    assert not any("topics" in line for line in default.plan)


def test_shared_room_is_deterministic_and_rebuilt_offline(tmp_path):
    g = _two_group_corpus()
    seeds = read_seeds([f"200{k}.0000{i}" for k in (1, 2) for i in range(1, 5)]).seeds
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        online = expand(seeds, store, GraphSource(g), ExpansionOptions(max_papers=40, citation_topics=True, **QUIET))
    with Store(path) as store:
        offline = expand(seeds, store, None, ExpansionOptions(max_papers=40, offline=True, citation_topics=True,
                                                              **QUIET))
    again = _expand(g, list(reversed(seeds)), tmp_path, "again", max_papers=40, citation_topics=True)
    assert sorted(offline.graph.nodes) == sorted(online.graph.nodes)
    assert sorted(offline.graph.edges) == sorted(online.graph.edges)
    assert sorted(again.graph.nodes) == sorted(online.graph.nodes)
    assert not offline.missing


def test_sectioned_seeds_rebuild_the_same_graph_offline(tmp_path):
    g = _two_topic_corpus()
    two = {"2001.00001": "A", "2001.00002": "A", "2001.00003": "B", "2001.00004": "B"}
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        online = expand(_seeds(two), store, GraphSource(g), ExpansionOptions(max_papers=25, **QUIET))
    with Store(path) as store:
        offline = expand(_seeds(two), store, None, ExpansionOptions(max_papers=25, offline=True, **QUIET))
    assert len({f"cb{i:02d}" for i in range(10)} & set(online.graph)) == 8
    assert sorted(offline.graph.nodes) == sorted(online.graph.nodes)
    assert sorted(offline.graph.edges) == sorted(online.graph.edges)
