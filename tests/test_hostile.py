"""Hostile servers: every fault is served over real HTTP by the local S2 server, chosen per test.

Each test bounds the time it may take, so a hang fails instead of stalling the suite.
"""

import socket

import pytest

from graph.sources.s2 import S2ConfigError, S2RequestError, S2UnavailableError
from graph.expansion import ExpansionOptions, expand
from graph.seeds import read_seeds
from graph.sources.s2 import S2Config, S2Source
from graph.store import Store
from graph.testing.s2_server import Faults, S2TestServer

IDS = ["ARXIV:2101.00001", "ARXIV:2101.00002"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- time is bounded ---------------------------------------------------------------------------------------
def test_a_slow_drip_server_cannot_hold_a_request_past_its_deadline(synth_server, make_source):
    # one byte every 0.2 s: no single read ever times out, only a total deadline ends it
    synth_server.faults = Faults(hostile="slow_drip", drip_seconds=0.2)
    src = make_source(synth_server.url, timeout=0.5, max_wait=2, max_retries=2)
    with pytest.raises(S2UnavailableError, match="no complete answer within"):
        src.fetch_papers(IDS, with_references=False)
    # each attempt was cut at its deadline and the budget allowed no more (no stopwatch: CI is loaded)
    assert len(synth_server.request_log) <= 3


def test_a_server_that_never_answers_is_given_up_within_the_budget(synth_server, make_source):
    synth_server.faults = Faults(hostile="never_answer")
    src = make_source(synth_server.url, timeout=0.3, max_wait=1.5, max_retries=50)
    with pytest.raises(S2UnavailableError, match="unreachable"):
        src.fetch_papers(IDS, with_references=False)
    assert len(synth_server.request_log) <= 1.5 / 0.3 + 1  # attempts fit the budget, not max_retries=50
    n = len(synth_server.request_log)
    with pytest.raises(S2UnavailableError):  # the rest of the run does not wait it out again
        src.match_title("SYNTH paper 1")
    assert len(synth_server.request_log) == n


def test_a_retry_after_beyond_the_budget_stops_at_once_with_the_time_to_come_back(synth_server, make_source):
    synth_server.faults = Faults(rate_429=1.0, retry_after=999999)
    said = []
    src = make_source(synth_server.url, max_wait=60)
    src._requester.log = said.append
    with pytest.raises(S2UnavailableError, match=r"wait 999,999 s.*run the same command again after \d{4}-\d\d-\d\d"):
        src.fetch_papers(IDS, with_references=False)
    assert not any(m.startswith("waiting") for m in said)  # it did not wait at all
    assert len(synth_server.request_log) == 1


def test_long_waits_are_announced_and_a_short_retry_after_is_honoured(synth_server, make_source):
    synth_server.faults = Faults(rate_429=1.0, retry_after=0.3)
    said = []
    src = make_source(synth_server.url, max_retries=1, announce_wait=0.2)
    src._requester.log = said.append
    with pytest.raises(S2UnavailableError, match="failed 2 times"):
        src.fetch_papers(IDS, with_references=False)
    assert any(m.startswith("waiting 0 s for Semantic Scholar (batch: HTTP 429") for m in said), said
    gap = synth_server.request_times[1] - synth_server.request_times[0]
    assert gap >= 0.3


def test_connection_refused_fails_at_once_without_retries(make_source):
    src = make_source(f"http://127.0.0.1:{_free_port()}", max_retries=6, backoff_base=1, backoff_max=10)
    with pytest.raises(S2UnavailableError, match="cannot connect.*connection refused"):
        src.fetch_papers(IDS, with_references=False)
    assert src.stats.requests == 1 and src.stats.retries == 0


def test_an_unknown_host_fails_at_once(make_source):
    # .invalid never resolves (RFC 6761): a DNS failure, offline or not
    src = make_source("http://citegraph-test.invalid", max_retries=6, backoff_base=1, backoff_max=10)
    with pytest.raises(S2UnavailableError, match="cannot connect.*host name not found"):
        src.fetch_papers(IDS, with_references=False)
    assert src.stats.requests == 1 and src.stats.retries == 0


@pytest.mark.parametrize("url", ["htp://x", "http://", "127.0.0.1:8000", "http://host:99999", "http://a b", ""])
def test_a_malformed_api_url_is_refused_before_any_request(url):
    with pytest.raises(S2ConfigError, match="not an http"):
        S2Config(api_url=url)


# -- what comes from the network is validated ------------------------------------------------------------
@pytest.mark.parametrize("mode", ["html_200", "empty_200", "truncated_json"])
def test_a_transient_non_json_answer_is_retried_until_the_real_one(synth_server, make_source, mode):
    synth_server.faults = Faults(hostile=mode, hostile_times=2)
    src = make_source(synth_server.url)
    got = src.fetch_papers(IDS, with_references=True)
    assert [g.record.title for g in got] == ["SYNTH paper 1", "SYNTH paper 2"]
    assert src.stats.retries == 2


@pytest.mark.parametrize("mode", ["html_200", "empty_200", "truncated_json"])
def test_a_lasting_non_json_answer_is_reported_not_a_traceback(synth_server, make_source, mode):
    synth_server.faults = Faults(hostile=mode)
    src = make_source(synth_server.url, max_retries=2)
    with pytest.raises(S2UnavailableError, match="HTTP 200 with"):
        src.fetch_papers(IDS, with_references=False)


@pytest.mark.parametrize("mode", ["string_data", "bad_rows"])
def test_wrong_shapes_are_reported(synth_server, synth_dataset, make_source, mode):
    synth_server.faults = Faults(hostile=mode)
    src = make_source(synth_server.url)
    if mode == "string_data":
        with pytest.raises(S2RequestError, match="does not match the request"):
            src.fetch_papers(IDS, with_references=False)
        with pytest.raises(S2RequestError, match="not a list of rows"):
            list(src.iter_citations(synth_dataset.pid_of(0), 100))
    else:
        assert src.fetch_papers(IDS, with_references=False) == [None, None]
        assert [list(p) for p in src.iter_citations(synth_dataset.pid_of(0), 100)] == [[]]
        assert src.warnings


@pytest.mark.parametrize("mode,check", [
    ("string_authors", lambda r: r.authors == []),
    ("bad_year", lambda r: r.year == 2021),  # dropped, then taken from the arXiv id as for any paper
    ("lots", lambda r: r.citation_count is None),
    ("huge_title", lambda r: len(r.title) <= 1000 and r.title.startswith("AAAA")),
])
def test_invalid_values_are_repaired_or_dropped_with_a_warning(synth_server, make_source, mode, check):
    synth_server.faults = Faults(hostile=mode)
    said = []
    src = make_source(synth_server.url)
    src.log = said.append
    got = src.fetch_papers(IDS, with_references=True)
    assert all(check(g.record) for g in got)
    assert all(g.record.venue == "SYNTH Venue" for g in got)  # the rest of the record is kept
    assert said and all("invalid value" in m for m in said)


def test_nothing_invalid_reaches_the_store_and_later_runs_work(synth_server, tmp_path):
    synth_server.faults = Faults(hostile="lots")
    seeds = read_seeds(["arXiv:2101.00000", "arXiv:2101.00001"]).seeds
    opts = ExpansionOptions(progress=False)
    with Store(tmp_path / "s.sqlite") as store, S2Source(S2Config(api_url=synth_server.url, rate=0)) as src:
        expand(seeds, store, src, opts)
        types = store._db.execute("SELECT DISTINCT typeof(citation_count) FROM papers").fetchall()
    assert types == [("null",)]
    synth_server.faults = Faults()
    with Store(tmp_path / "s.sqlite") as store, S2Source(S2Config(api_url=synth_server.url, rate=0)) as src:
        res = expand(seeds, store, src, ExpansionOptions(progress=False, refresh=True))
    assert len(res.resolved) == 2


def test_a_store_already_holding_bad_values_is_repaired_on_open(synth_server, tmp_path):
    seeds = read_seeds(["arXiv:2101.00000", "arXiv:2101.00001"]).seeds
    opts = ExpansionOptions(progress=False)
    path = tmp_path / "s.sqlite"
    with Store(path) as store, S2Source(S2Config(api_url=synth_server.url, rate=0)) as src:
        expand(seeds, store, src, opts)
        # what an older citegraph stored from a hostile server
        store._db.execute("UPDATE papers SET citation_count = 'lots', year = 'abc', authors = 'not json'")
    with Store(path) as store:
        res = expand(seeds, store, None, ExpansionOptions(progress=False, offline=True))
        papers = store.get_papers(res.graph.nodes)
    assert res.graph.number_of_nodes() > 2
    assert all(p.citation_count is None and p.year is None and p.authors == [] for p in papers.values())


def test_a_broken_answer_is_not_remembered_as_an_unknown_paper(synth_server, tmp_path):
    synth_server.faults = Faults(hostile="bad_paper_id", hostile_times=1)
    seeds = read_seeds(["arXiv:2101.00000"]).seeds
    with Store(tmp_path / "s.sqlite") as store, S2Source(S2Config(api_url=synth_server.url, rate=0)) as src:
        first = expand(seeds, store, src, ExpansionOptions(progress=False))
        assert not first.resolved and "not a valid paper" in first.unresolved[0].reason
        assert store.get_alias("arxiv:2101.00000") is None  # no miss was stored
        again = expand(seeds, store, src, ExpansionOptions(progress=False))
    assert again.resolved and again.resolved[0].paper_id


def test_a_long_wait_for_the_pace_is_announced(synth_server, make_source):
    said = []
    # a 1 s pace and announcements from 0.3 s: however loaded the machine, the wait left is announced
    src = make_source(synth_server.url, rate=1, announce_wait=0.3)
    src._requester.log = said.append
    src.fetch_papers(IDS[:1], with_references=False)
    src.fetch_papers(IDS[1:], with_references=False)
    assert len(said) == 1 and said[0].startswith("waiting ") and \
        said[0].endswith("to keep to 1 requests/s (--rate, S2_RATE; S2_API_KEY allows more)"), said
    assert synth_server.request_times[1] - synth_server.request_times[0] >= 0.5


# -- shared identifiers (issue 20: 1-3) ------------------------------------------------------------------
def _citers_of_one_paper(n: int, **change) -> S2TestServer:
    """A server of ``n`` SYNTH papers that all cite paper 0, each changed as ``change`` says."""
    from graph.testing.s2_server import S2Dataset

    ds = S2Dataset.synthetic(n, [(i, 0) for i in range(1, n)])
    for i, p in enumerate(ds.papers.values()):
        if i:  # only the seed keeps its arXiv ID: two arXiv IDs would tell the citers apart by themselves
            del p["externalIds"]["ArXiv"]
        if "doi" in change:
            p["externalIds"]["DOI"] = change["doi"]
        if "authors" in change:
            p["authors"] = change["authors"]
    return S2TestServer(ds)


def test_papers_with_a_placeholder_doi_are_not_merged_into_one(tmp_path):
    said = []
    with _citers_of_one_paper(60, doi="N/A", authors=[{"authorId": "1", "name": "SYNTH Author"}]) as server, \
            Store(tmp_path / "s.sqlite") as store, S2Source(S2Config(api_url=server.url, rate=0), log=said.append) as src:
        res = expand(read_seeds(["arXiv:2101.00000"]).seeds, store, src, ExpansionOptions(progress=False))
        stored = {d for (d,) in store._db.execute("SELECT DISTINCT doi FROM papers")}
    assert res.graph.number_of_nodes() == 60
    assert not any(d.get("merged_ids") for _, d in res.graph.nodes(data=True))
    assert stored == {None}  # the placeholder never reached the store
    assert any("externalIds.DOI 'N/A' is not a DOI; dropped" in m for m in said)


def test_a_server_whose_papers_share_one_doi_and_authors_maps_and_maps_again_offline(tmp_path):
    # this sent `citegraph map` to 100% CPU for good, and the rerun with --offline as well
    said = []
    seeds = read_seeds(["arXiv:2101.00000"]).seeds
    with _citers_of_one_paper(400, doi="10.5555/one.for.all",
                              authors=[{"authorId": "1", "name": "SYNTH Author"}]) as server:
        with Store(tmp_path / "s.sqlite") as store, S2Source(S2Config(api_url=server.url, rate=0)) as src:
            online = expand(seeds, store, src, ExpansionOptions(progress=False), log=said.append)
    with Store(tmp_path / "s.sqlite") as store:
        offline = expand(seeds, store, None, ExpansionOptions(progress=False, offline=True))
    for res in (online, offline):
        assert res.graph.number_of_nodes() == 400
        assert not any(d.get("merged_ids") for _, d in res.graph.nodes(data=True))
    assert any("'10.5555/one.for.all' is shared by 400 records" in m for m in said), said


# -- requests the plan did not count, silent waits, credentials (issue 20: 9, 10, 15) ------------------------
def test_citation_pages_of_null_rows_that_never_end_stop_at_the_first_page_that_makes_no_progress(tmp_path):
    from graph.testing.s2_server import S2Dataset, _Api

    ds = S2Dataset.synthetic(10, [(1, 0)])
    real = _Api(ds)

    def endless_nulls(method, path, query, body):
        if path.endswith("/citations"):  # one null row a page, always "more to come"
            offset = int(query.get("offset", 0))
            return 200, {"offset": offset, "data": [None], "next": offset + 1}
        return real(method, path, query, body)

    said = []
    with S2TestServer(app=endless_nulls) as server, Store(tmp_path / "s.sqlite") as store, \
            S2Source(S2Config(api_url=server.url, rate=0), log=said.append) as src:
        res = expand(read_seeds(["arXiv:2101.00000"]).seeds, store, src,
                     ExpansionOptions(progress=False, max_citations=1000))
        pages = server.counts()["citations"]
    assert pages == 1 and res.graph.number_of_nodes() >= 1
    assert any("has 1 of 1000 rows but says more follow; the listing ends there" in m for m in said), said


def test_a_server_that_never_answers_is_given_up_after_two_silent_attempts_saying_what_it_waits_for(
        synth_server, make_source):
    synth_server.faults = Faults(hostile="never_answer")
    said = []
    src = make_source(synth_server.url, timeout=0.3, max_wait=300, max_retries=6)
    src._requester.log = said.append
    with pytest.raises(S2UnavailableError, match="unreachable.*2 tries"):
        src.fetch_papers(IDS, with_references=False)
    assert len(synth_server.request_log) == 2
    assert [m for m in said if m.startswith("waiting for Semantic Scholar's answer to the batch request: none came "
                                            "within 0.3 s; trying again, giving up after 2 unanswered attempts")]
    assert len(said) == 1  # said once


def test_the_plan_states_how_long_a_request_may_take(synth_server, tmp_path):
    with Store(tmp_path / "s.sqlite") as store, S2Source(S2Config(api_url=synth_server.url, rate=0)) as src:
        res = expand(read_seeds(["arXiv:2101.00000"]).seeds, store, src, ExpansionOptions(progress=False))
    assert "each request gives up after 2 attempts unanswered within 30 s, or 300 s with its retries" in res.plan[0]


@pytest.mark.parametrize("url", ["http://someone:s3cr3t-pass@127.0.0.1:{port}/",
                                 "http://someone:s3cr3t-pass@127.0.0.1:notaport/"])
def test_credentials_in_the_api_url_are_never_echoed(tmp_path, url):
    import subprocess
    import sys

    env = {**__import__("os").environ, "S2_API_URL": url.format(port=_free_port()),
           "CITEGRAPH_STORE": "", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    res = subprocess.run([sys.executable, "-m", "graph", "map", "arXiv:2101.00001", "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "s3cr3t" not in res.stdout + res.stderr and "***@127.0.0.1" in res.stdout + res.stderr
    assert not [p for p in (tmp_path / "cache").rglob("*") if "s3cr3t" in p.name]


# -- reproducible outputs (issue 20: 17) ----------------------------------------------------------------------
def test_two_runs_of_the_same_map_write_the_same_bytes(tmp_path):
    import os
    import random
    import subprocess
    import sys

    from graph.testing.s2_server import S2Dataset

    rng = random.Random(3)  # a SYNTH graph with enough edges for every score to have digits to lose
    edges = sorted({(a, b) for a, b in ((rng.randrange(80), rng.randrange(80)) for _ in range(400)) if a != b})
    with S2TestServer(S2Dataset.synthetic(80, edges)) as server:
        env = {**os.environ, "S2_API_URL": server.url, "S2_RATE": "0"}
        args = [sys.executable, "-m", "graph", "map", "2101.00000", "2101.00001", "--store", str(tmp_path / "s.sqlite"),
                "--name", "m"]
        subprocess.run(args + ["--out", str(tmp_path / "first")], env=env, check=True, capture_output=True, timeout=600)
        # another process, another string hash seed (set and dict orders change with it), offline
        subprocess.run(args + ["--out", str(tmp_path / "second"), "--offline"], env={**env, "PYTHONHASHSEED": "7"},
                       check=True, capture_output=True, timeout=600)
    first = sorted(p.name for p in (tmp_path / "first").iterdir())
    assert len(first) >= 6 and first == sorted(p.name for p in (tmp_path / "second").iterdir())
    differ = [n for n in first if (tmp_path / "first" / n).read_bytes() != (tmp_path / "second" / n).read_bytes()]
    assert differ == []


# -- files left by a killed run (issue 20: 12) -----------------------------------------------------------------
def test_temporary_files_of_an_export_killed_midway_are_removed_by_the_next_run(tmp_path):
    import signal
    import subprocess
    import sys

    from graph.export import atomic_paths, write_atomic

    target = tmp_path / "m.papers.csv"
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys\nfrom pathlib import Path\nfrom graph.export import atomic_paths\n"
        f"with atomic_paths([Path({str(target)!r})]) as (tmp,):\n"
        "    tmp.write_bytes(b'x' * 1_000_000)\n    print('writing', flush=True)\n    sys.stdin.read()\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    left = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1 and left[0].name.startswith(".m.papers.csv.")  # what kill -9 leaves behind
    with atomic_paths([tmp_path / "other.csv"]) as (mine,):  # a live writer's file beside it is left alone
        write_atomic(target, lambda tmp: tmp.write_text("paper_id\n"))
        assert mine.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.papers.csv", "other.csv"]


# -- the terminal --------------------------------------------------------------------------------------------

def test_nothing_prompts_through_click_so_its_abort_is_always_a_ctrl_c():
    # main() reports click's Abort as an interruption; click raises it for an end of input too, but only
    # from its prompts, so none may come back (the run's own prompt takes Ctrl-D as a no: test_cli.py)
    import re
    from pathlib import Path

    import graph

    prompting = re.compile(r"click\.(prompt|confirm|getchar|pause|edit)\b|\bprompt\s*=|confirmation_option|"
                           r"password_option|(^|[^\w.])input\(")
    found = [f"{path}:{n}: {line.strip()}" for path in Path(graph.__file__).parent.rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if prompting.search(line)]
    assert found == []
    assert prompting.search("ok = click.confirm('Go on?')") and prompting.search("x = input('> ')")
    assert prompting.search("@click.option('--name', prompt=True)") and not prompting.search("s.input(1)")
