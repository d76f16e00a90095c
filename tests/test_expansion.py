"""Expansion against the local API server: graph shape, request counts, caching, resilience."""

import math

import networkx as nx

from graph.expansion import ExpansionOptions, expand
from graph.seeds import read_seeds
from graph.store import Store
from graph.testing.s2_server import Faults

from conftest import READING_LIST, SYNTH_EDGES

QUIET = dict(progress=False)


def same_graph(a: nx.DiGraph, b: nx.DiGraph) -> bool:
    """Same nodes, edges and attributes (the graph's creation time aside)."""
    return dict(a.nodes(data=True)) == dict(b.nodes(data=True)) and \
        sorted(a.edges(data=True)) == sorted(b.edges(data=True))


def synth_seeds():
    return read_seeds(["arXiv:2101.00000", "2101.00001"]).seeds


def test_one_hop_graph_of_a_hand_built_dataset(synth_server, synth_dataset, make_source, tmp_path):
    src = make_source(synth_server.url)
    with Store(tmp_path / "s.sqlite") as store:
        r = expand(synth_seeds(), store, src, ExpansionOptions(**QUIET))
    p = synth_dataset.pid_of
    # seeds 0, 1; their references 2, 3, 4; their citers 5, 6, 7. Not 8 (two hops) nor 9 (isolated).
    assert set(r.graph.nodes) == {p(i) for i in range(8)}
    expected_edges = {(p(a), p(b)) for a, b in SYNTH_EDGES if a < 8 and b < 8}
    assert set(r.graph.edges) == expected_edges
    assert r.graph.nodes[p(0)]["is_seed"] and not r.graph.nodes[p(5)]["is_seed"]
    assert r.graph.nodes[p(5)]["title"] == "SYNTH paper 5"
    assert r.graph.edges[p(6), p(0)]["intents"] == ["background"]
    # 1 seed batch + 2 citation lists + 1 batch for the 6 neighbours
    assert synth_server.counts() == {"batch": 2, "citations": 2}
    assert r.requests == r.request_floor == 4


def test_depth_two_adds_what_the_neighbours_cite(synth_server, synth_dataset, make_source, tmp_path):
    src = make_source(synth_server.url)
    with Store(tmp_path / "s.sqlite") as store:
        r = expand(synth_seeds(), store, src, ExpansionOptions(depth=2, **QUIET))
    p = synth_dataset.pid_of
    assert set(r.graph.nodes) == {p(i) for i in range(8)}  # 5 cites only 0: nothing new at depth 2
    assert (p(8), p(5)) not in r.graph.edges


def test_max_papers_keeps_the_best_connected(synth_server, synth_dataset, make_source, tmp_path):
    src = make_source(synth_server.url)
    with Store(tmp_path / "s.sqlite") as store:
        r = expand(synth_seeds(), store, src, ExpansionOptions(max_papers=4, **QUIET))
    p = synth_dataset.pid_of
    # 3 and 6 touch both seeds; the rest touch one
    assert set(r.graph.nodes) == {p(0), p(1), p(3), p(6)}


def test_second_run_makes_no_request_and_gives_the_same_graph(synth_server, make_source, tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        first = expand(synth_seeds(), store, make_source(synth_server.url), ExpansionOptions(**QUIET))
    n = len(synth_server.request_log)
    with Store(path) as store:
        second = expand(synth_seeds(), store, make_source(synth_server.url), ExpansionOptions(**QUIET))
    assert len(synth_server.request_log) == n
    assert second.requests == 0 and second.cache_hits > 0
    assert same_graph(first.graph, second.graph)


def test_offline_uses_the_store_and_names_what_is_missing(synth_server, make_source, tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        expand(synth_seeds(), store, make_source(synth_server.url), ExpansionOptions(**QUIET))
        seeds = read_seeds(["arXiv:2101.00000", "arXiv:2101.00009"]).seeds
        r = expand(seeds, store, None, ExpansionOptions(offline=True, **QUIET))
    assert [s.reason for s in r.unresolved] == ["not in the store and --offline was given"]
    assert r.requests == 0
    assert any("2101.00009" in m for m in r.missing)
    assert r.graph.number_of_nodes() >= 1


def test_refresh_refetches(synth_server, make_source, tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        expand(synth_seeds(), store, make_source(synth_server.url), ExpansionOptions(**QUIET))
        n = len(synth_server.request_log)
        r = expand(synth_seeds(), store, make_source(synth_server.url), ExpansionOptions(refresh=True, **QUIET))
    assert len(synth_server.request_log) == 2 * n and r.requests == n


def test_unresolvable_seeds_are_listed_and_do_not_stop_the_run(synth_server, make_source, tmp_path):
    seeds = read_seeds(["2101.00000", "2199.99999", "A paper that does not exist anywhere"]).seeds
    with Store(tmp_path / "s.sqlite") as store:
        r = expand(seeds, store, make_source(synth_server.url), ExpansionOptions(**QUIET))
    reasons = {s.seed.input: s.reason for s in r.unresolved}
    assert "batch lookup returned null" in reasons["2199.99999"]
    assert "no paper titled" in reasons["A paper that does not exist anywhere"]
    assert len(r.resolved) == 1 and r.graph.number_of_nodes() > 1


def test_max_citations_truncation_is_reported(synth_server, synth_dataset, make_source, tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        r = expand(synth_seeds(), store, make_source(synth_server.url), ExpansionOptions(max_citations=1, **QUIET))
    cut = {t["paper_id"]: t["reason"] for t in r.truncated if t["list"] == "citations"}
    assert set(cut) == {synth_dataset.pid_of(0), synth_dataset.pid_of(1)}
    assert "1 of 2 citations" in cut[synth_dataset.pid_of(0)]


def test_failed_items_keep_everything_fetched(synth_server, synth_dataset, make_source, tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        src = make_source(synth_server.url, max_retries=0)
        expand(synth_seeds()[:1], store, src, ExpansionOptions(**QUIET))  # seed 0 fully stored
        synth_server.faults = Faults(rate_503=1.0)
        r = expand(synth_seeds(), store, src, ExpansionOptions(**QUIET))
        assert r.failures and "failed 1 times" in r.failures[0]["error"]
        synth_server.faults = Faults()
        again = expand(synth_seeds(), store, src, ExpansionOptions(**QUIET))
    assert synth_dataset.pid_of(0) in r.graph  # what was stored is still used
    assert len(again.resolved) == 2 and again.failures == []


# --- the reading list against the real arXiv CS corpus ---------------------------------

def _map(server, make_source, store_path, **kw):
    seeds = read_seeds([str(READING_LIST)]).seeds
    with Store(store_path) as store:
        return expand(seeds, store, make_source(server.url, max_retries=30), ExpansionOptions(**QUIET, **kw))


def test_reading_list_maps_within_10_percent_of_the_request_floor(reading_list_map):
    r, seen, _ = reading_list_map  # built once per test session (conftest)
    assert len(r.resolved) == 17  # the corpus README: 17 of the 25 arXiv seeds are in it
    unresolved = {s.seed.pid.value for s in r.unresolved}
    assert {"2307.08691", "2306.00978", "2309.06180", "1802.04799"} <= unresolved
    assert r.graph.number_of_nodes() > 2000 and r.graph.number_of_edges() > 15000
    n_id, n_title = 25, 3
    c = [min(1000, r.graph.nodes[s]["citation_count"]) for s in r.graph.graph["seeds"]]
    m2 = r.second_degree["added"]  # papers co-cited with the seeds, found from the 1-hop reference lists
    # records merged as versions of one work were fetched as separate papers
    merged_away = sum(len(m) - 1 for _, m in r.graph.nodes(data="merged_ids") if m)
    m1 = r.graph.number_of_nodes() + merged_away - 17 - m2
    assert m2 > 1000 and r.second_degree["coupled"] == 0  # coupling over the API is opt-in
    floor = (math.ceil(n_id / 500) + n_title + sum(math.ceil(x / 1000) for x in c)
             + math.ceil(m1 / 500) + math.ceil(m2 / 500))
    assert r.request_floor == floor
    assert r.requests <= 1.1 * floor
    assert seen == r.requests
    # one node per work: the corpus's lower-case copies (no year) are merged into the arXiv records
    merged = [m for _, m in r.graph.nodes(data="merged_ids") if m]
    assert merged and any(r.graph.nodes[m[0]].get("title", "").lower() == "attention is all you need" for m in merged)
    from graph.analysis import analyse
    from graph.ids import normalise_title

    res = analyse(r.graph, r.graph.graph["seeds"], references=r.references)
    for ids in (list(res.influence.index[:50]), list(res.related.index[:100]), res.nodes):
        titles = [normalise_title(r.graph.nodes[n].get("title") or n) for n in ids]
        assert len(titles) == len(set(titles))


def test_faults_do_not_change_the_result(arxiv_server, make_source, tmp_path, reading_list_map):
    clean = reading_list_map[0]
    arxiv_server.faults = Faults(rate_429=0.20, rate_500=0.02, rate_502=0.015, rate_503=0.015, seed=7)
    faulty = _map(arxiv_server, make_source, tmp_path / "faulty.sqlite")
    assert faulty.failures == []
    assert set(faulty.graph.nodes) == set(clean.graph.nodes)
    assert set(faulty.graph.edges) == set(clean.graph.edges)
    assert faulty.requests > clean.requests  # the retries happened


def test_an_interrupted_long_citation_list_resumes_at_its_offset(make_source, tmp_path):
    from graph.testing.s2_server import S2Dataset, S2TestServer

    ds = S2Dataset.synthetic(2501, [(i, 0) for i in range(1, 2501)], prefix="STAR")
    with S2TestServer(ds) as server:
        api = server._httpd.app
        # the third page (offset 2000) keeps failing during the first run
        server._httpd.app = lambda m, path, q, body: (503, {"message": "Bad Gateway"}) \
            if q.get("offset") == "2000" else api(m, path, q, body)
        seeds = read_seeds(["arXiv:2101.00000"]).seeds
        opts = ExpansionOptions(max_citations=2500, max_papers=10, **QUIET)
        with Store(tmp_path / "s.sqlite") as store:
            first = expand(seeds, store, make_source(server.url, max_retries=1), opts)
            assert first.failures and "citations of" in first.failures[0]["item"]
            server._httpd.app = api
            before = len(server.request_log)
            again = expand(seeds, store, make_source(server.url), opts)
            pages = [q for _, path, q in server.request_log[before:] if path.endswith("/citations")]
            assert pages == ["fields=paperId%2CisInfluential%2Cintents%2Ccontexts&offset=2000&limit=500"]
            assert again.failures == [] and store.get_list_states([ds.pid_of(0, "STAR")], "citations")[
                ds.pid_of(0, "STAR")].complete
            assert len(store.edges_touching([ds.pid_of(0, "STAR")], direction="in")) == 2500


def test_second_degree_over_the_api_costs_only_its_details_batch(synth_server, synth_dataset, make_source,
                                                                  tmp_path):
    src = make_source(synth_server.url)
    p = synth_dataset.pid_of
    plan: list[str] = []
    with Store(tmp_path / "s.sqlite") as store:
        r = expand(read_seeds(["2101.00000"]).seeds, store, src,
                   ExpansionOptions(min_evidence=1, **QUIET), log=plan.append)
    # seed 0's citers 5 and 6; 6 also cites 1, so 1 is co-cited with the seed (once)
    assert p(1) in r.graph
    assert r.second_degree == {"co_cited": 1, "coupled": 0, "added": 1, "dropped_for_room": 0}
    # 1 seed batch + 1 citation list + 1 batch for the 1-hop papers + 1 batch for paper 1
    assert synth_server.counts() == {"batch": 3, "citations": 1}
    assert r.requests == r.request_floor == 4
    assert any("co-cited or coupled" in line and "1 batch" in line for line in plan)


def test_coupling_over_the_api_is_opt_in_and_planned(synth_server, synth_dataset, make_source, tmp_path):
    src = make_source(synth_server.url)
    p = synth_dataset.pid_of
    plan: list[str] = []
    with Store(tmp_path / "s.sqlite") as store:
        r = expand(read_seeds(["2101.00000"]).seeds, store, src,
                   ExpansionOptions(min_evidence=1, co_cited=False, coupled=True, **QUIET), log=plan.append)
    # seed 0 cites 2 and 3; 1 cites 3 too: coupled with the seed
    assert p(1) in r.graph and r.second_degree["coupled"] == 1
    assert any("list citations of 2 seed references" in line for line in plan)
    # the seed's own citation list and one page for each of its 2 references
    assert synth_server.counts()["citations"] == 3
    assert r.requests == r.request_floor


def test_no_room_for_the_second_degree_spends_no_request(synth_server, synth_dataset, make_source, tmp_path):
    src = make_source(synth_server.url)
    plan: list[str] = []
    with Store(tmp_path / "s.sqlite") as store:
        # seed 0 with its references 2, 3 and citers 5, 6 fill --max-papers 5 (a fifth is kept for
        # the second degree: 1 one-hop paper is left out); coupling asked for, but there is no room
        r = expand(read_seeds(["2101.00000"]).seeds, store, src,
                   ExpansionOptions(max_papers=4, coupled=True, min_evidence=1, **QUIET), log=plan.append)
    assert r.graph.number_of_nodes() <= 4
    assert synth_server.counts()["citations"] == 1  # the seed's own listing, no page per reference
    assert any("no room left" in line for line in plan)
