"""The S2 source over real HTTP against the local API server."""

import asyncio
import socket
import struct
import threading
import time

import pytest

from graph.errors import SeedError
from graph.sources.s2 import S2NotFoundError, S2RequestError, S2UnavailableError
from graph.ids import PaperId, normalise_identifier
from graph.sources.s2 import PAPER_FIELDS, is_s2_paper_id, paper_url, s2_request_id
from graph.sources.s2_http import RequestStats, S2HttpRequester
from graph.sources.s2_records import check_s2_paper
from graph.testing.s2_server import Faults, S2Dataset, S2TestServer

from cassettes import CassetteApp
from conftest import fast_config


def test_batch_is_aligned_with_the_input_and_null_for_unknown_ids(synth_server, synth_dataset, make_source):
    src = make_source(synth_server.url)
    got = src.fetch_papers(["ARXIV:2101.00001", "ARXIV:9999.99999", "DOI:10.9999/SYNTH.3"], with_references=True)
    assert got[1] is None
    assert got[0].record.title == "SYNTH paper 1"
    assert got[2].record.paper_id == synth_dataset.pid_of(3)
    assert sorted(got[0].reference_ids) == sorted([synth_dataset.pid_of(3), synth_dataset.pid_of(4)])
    assert synth_server.counts() == {"batch": 1}
    _, _, query = synth_server.request_log[0]
    assert "fields=" in query and "references.paperId" in query


def test_seeds_are_sent_in_s2_syntax(synth_server, synth_dataset, make_source):
    src = make_source(synth_server.url)
    seeds = [normalise_identifier(t) for t in ("https://arxiv.org/abs/2101.00001v2", "doi:10.9999/synth.3",
                                               "CorpusId:900002", "2199.99999")]
    got = src.fetch_papers(seeds, with_references=False)
    assert [g.record.paper_id if g else None for g in got] == [
        synth_dataset.pid_of(1), synth_dataset.pid_of(3), synth_dataset.pid_of(2), None]
    assert "ARXIV:2199.99999 (batch lookup returned null)" in src.not_found(seeds[3])
    # a paper id S2 gave is a str, sent as is
    assert src.fetch_papers([synth_dataset.pid_of(4)], with_references=False)[0].record.title == "SYNTH paper 4"


@pytest.mark.parametrize("pid,wire", [
    (PaperId("arxiv", "1706.03762"), "ARXIV:1706.03762"), (PaperId("doi", "10.1145/x.y"), "DOI:10.1145/x.y"),
    (PaperId("corpus", "13756489"), "CorpusId:13756489"),
    (PaperId("s2", "204e3073870fae3d05bcbc2f6a8e263d9b72e776"), "204e3073870fae3d05bcbc2f6a8e263d9b72e776"),
])
def test_s2_request_ids(pid, wire):
    assert s2_request_id(pid) == wire


@pytest.mark.parametrize("pid", [PaperId("title", "x"), PaperId("url", "https://example.org/p")])
def test_titles_and_urls_have_no_s2_request_id(pid):
    with pytest.raises(SeedError, match="title"):
        s2_request_id(pid)


def test_paper_urls_and_which_ids_have_an_s2_page():
    assert paper_url("204e3073870fae3d05bcbc2f6a8e263d9b72e776") == \
        "https://www.semanticscholar.org/paper/204e3073870fae3d05bcbc2f6a8e263d9b72e776"
    assert paper_url("x/y?z") == "https://www.semanticscholar.org/paper/x%2Fy%3Fz"  # one path segment
    assert is_s2_paper_id("204E3073870FAE3D05BCBC2F6A8E263D9B72E776")
    # a corpus numbers its own rows: a CorpusId has no S2 page; nor has a node of a hand-built graph
    assert not is_s2_paper_id("CorpusId:5") and not is_s2_paper_id("a") and not is_s2_paper_id("z" * 40)


def test_batch_refuses_more_than_500_ids_before_sending(synth_server, make_source):
    src = make_source(synth_server.url)
    with pytest.raises(ValueError):
        src.fetch_papers([f"ARXIV:2101.{i:05d}" for i in range(501)], with_references=False)
    assert synth_server.request_log == []


def test_citations_carry_influence_intents_and_contexts(synth_server, synth_dataset, make_source):
    src = make_source(synth_server.url)
    edges = [e for page in src.iter_citations(synth_dataset.pid_of(1), 100) for e in page]
    assert {e.citing for e in edges} == {synth_dataset.pid_of(6), synth_dataset.pid_of(7)}
    e6 = next(e for e in edges if e.citing == synth_dataset.pid_of(6))
    assert e6.cited == synth_dataset.pid_of(1)
    assert e6.is_influential is False and e6.intents == ("background",)
    assert e6.contexts == ("SYNTH paper 6 cites SYNTH paper 1.",)


def _star(n_citers: int) -> S2Dataset:
    return S2Dataset.synthetic(n_citers + 1, [(i, 0) for i in range(1, n_citers + 1)], prefix="STAR")


def test_long_lists_are_paged_and_stop_at_the_limit():
    ds = _star(2500)
    with S2TestServer(ds) as server:
        from conftest import fast_config
        from graph.sources.s2 import S2Source
        with S2Source(fast_config(server.url)) as src:
            pages = list(src.iter_citations(ds.pid_of(0, "STAR"), 2200))
        assert [len(p) for p in pages] == [1000, 1000, 200]
        assert server.counts() == {"citations": 3}
        offsets = [q for _, _, q in server.request_log]
        assert "offset=2000" in offsets[2] and "limit=200" in offsets[2]  # asks only for what it needs


def test_listing_stops_at_s2s_offset_cap():
    ds = _star(10050)
    with S2TestServer(ds) as server:
        from conftest import fast_config
        from graph.sources.s2 import S2Source
        with S2Source(fast_config(server.url)) as src:
            n = sum(len(p) for p in src.iter_citations(ds.pid_of(0, "STAR"), 20000))
        assert n == 9999
        statuses = [q for _, _, q in server.request_log]
        assert len(statuses) == 10  # never asks for a page the API would refuse


@pytest.mark.parametrize("fault", ["429", "500", "502", "503", "drop"])
def test_transient_failures_are_retried_until_the_real_answer(synth_server, make_source, fault):
    synth_server.faults = Faults(**{f"rate_{fault}": 0.5, "seed": 3})
    src = make_source(synth_server.url, max_retries=20)
    for _ in range(5):
        got = src.fetch_papers(["ARXIV:2101.00001", "ARXIV:2101.00002"], with_references=True)
        # a 502/503 must never turn into an empty paper
        assert [g.record.title for g in got] == ["SYNTH paper 1", "SYNTH paper 2"]
    assert src.stats.retries > 0
    assert src.stats.requests == 5 + src.stats.retries


def test_interrupt_stops_a_long_retry_wait_from_another_thread_and_resume_goes_on(synth_server, make_source):
    import threading

    from graph.errors import Interrupted

    # "come back in an hour" within a two-hour budget: without an interrupt the call would wait it out
    # (an interrupt looked at only between attempts would be seen an hour late)
    synth_server.faults = Faults(rate_429=1.0, retry_after=3600)
    src = make_source(synth_server.url, max_wait=7200, max_retry_after=3600)
    threading.Timer(0.5, src.interrupt).start()
    with pytest.raises(Interrupted, match="stopped on request"):
        src.fetch_papers([PaperId("arxiv", "2101.00001")], with_references=False)
    assert len(synth_server.request_log) == 1
    # refused while interrupted, without a request
    with pytest.raises(Interrupted):
        src.fetch_papers([PaperId("arxiv", "2101.00001")], with_references=False)
    assert len(synth_server.request_log) == 1
    synth_server.faults = Faults()
    src.resume()
    got = src.fetch_papers([PaperId("arxiv", "2101.00001")], with_references=False)
    assert got[0] is not None and len(synth_server.request_log) == 2


def test_retry_after_is_honoured(synth_server, make_source):
    synth_server.faults = Faults(rate_429=1.0, retry_after=0.4)
    src = make_source(synth_server.url, max_retries=1)
    with pytest.raises(S2UnavailableError):
        src.fetch_papers(["ARXIV:2101.00001"], with_references=False)
    assert len(synth_server.request_log) == 2
    assert src.stats.by_status[429] == 2
    # honoured: the retry waited the 0.4 s the server asked for (the backoff alone is milliseconds)
    first, second = synth_server.request_times
    assert second - first >= 0.39


def test_retry_after_gap_between_attempts(synth_dataset, make_source):
    with S2TestServer(synth_dataset, Faults(rate_429=1.0, retry_after=0.3)) as server:
        src = make_source(server.url, max_retries=2)
        with pytest.raises(S2UnavailableError, match="failed 3 times.*run the same command again"):
            src.fetch_papers(["ARXIV:2101.00001"], with_references=False)
        assert len(server.request_log) == 3
        stamps = server.request_times
    # the server said Retry-After: 0.3; no retry came sooner
    assert len(stamps) == 3 and all(b - a >= 0.29 for a, b in zip(stamps, stamps[1:]))


def test_pacing_spaces_requests_to_the_rate(synth_server, make_source):
    src = make_source(synth_server.url, rate=20)
    t0 = time.monotonic()
    for _ in range(6):
        src.fetch_papers(["ARXIV:2101.00001"], with_references=False)
    assert time.monotonic() - t0 >= 5 / 20


def _get_paper(api_url: str, paper_id: str, fields: str = ",".join(PAPER_FIELDS)):
    """``GET /paper/{id}`` through the source's HTTP client (pacing, retries, errors), as S2 answers it."""
    async def get():
        requester = S2HttpRequester(fast_config(api_url), RequestStats())
        try:
            return await requester.get_data_async(f"{api_url}/graph/v1/paper/{paper_id}", f"fields={fields}", {})
        finally:
            await requester.aclose()

    return asyncio.run(get())


def test_client_errors_are_not_retried(synth_server):
    with pytest.raises(S2NotFoundError):
        _get_paper(synth_server.url, "ARXIV:9999.99999")
    with pytest.raises(S2RequestError, match="Unrecognized or unsupported fields"):
        _get_paper(synth_server.url, "ARXIV:2101.00001", fields="nonsense")
    assert len(synth_server.request_log) == 2


def test_api_key_is_sent(make_source):
    import http.server
    import threading

    handler_headers = []

    # a server of its own that records the headers (no process-wide patch of http.server)
    class Recording(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            handler_headers.append(self.headers.get("x-api-key"))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"[null]"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        src = make_source(f"http://127.0.0.1:{server.server_address[1]}", api_key="k-123")
        assert src.fetch_papers(["ARXIV:2101.00001"], with_references=False) == [None]
    finally:
        server.shutdown()
        server.server_close()
    assert handler_headers == ["k-123"]


def test_title_match(synth_server, make_source):
    src = make_source(synth_server.url)
    assert src.match_title("synth paper 7").title == "SYNTH paper 7"
    assert src.match_title("a title nobody wrote & more?") is None


# --- real recorded responses ------------------------------------------------------------

def _replay(s2_responses_dir, *names):
    return S2TestServer(app=CassetteApp(*(s2_responses_dir / n for n in names)))


def test_real_batch_response_with_not_found_ids(s2_responses_dir, make_source):
    with _replay(s2_responses_dir, "test_get_papers_return_not_found.yaml") as server:
        src = make_source(server.url)
        got = src.fetch_papers(["CorpusId:211530585", "CorpusId:470667", "10.2139/ssrn.2250500",
                                "0f40b1f08821e22e859c6050916cec3667778613"], with_references=False)
    assert got[0] is None
    assert [g.record.paper_id for g in got[1:]] == [
        "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce", "cb1ebd913c3724c599f6b276b14b5c6253da68f3",
        "0f40b1f08821e22e859c6050916cec3667778613"]
    rec = got[1].record
    assert rec.title and rec.authors and rec.citation_count > 0 and rec.corpus_id == 470667


def test_real_paginated_citations_are_read_in_full(s2_responses_dir, make_source):
    import yaml, json
    cassette = yaml.safe_load((s2_responses_dir / "test_get_paper_citations.yaml").read_text())
    recorded = [json.loads(i["response"]["content"]) for i in cassette["interactions"]]
    expected = [d["citingPaper"]["paperId"] for page in recorded for d in page["data"]
                if d["citingPaper"].get("paperId")]
    with _replay(s2_responses_dir, "test_get_paper_citations.yaml") as server:
        src = make_source(server.url, page_size=100)
        edges = [e for page in src.iter_citations("CorpusID:14514057", 5000) for e in page]
        assert len(server.request_log) == len(recorded) == 19
    assert [e.citing for e in edges] == expected
    assert all(e.cited == "CorpusID:14514057" for e in edges)


def test_real_references_skip_unmatched_entries(s2_responses_dir, make_source):
    # references come nested in the batch answer; the recorded reference rows (real S2 data,
    # unmatched references included) are served that way
    import yaml, json
    cassette = yaml.safe_load((s2_responses_dir / "test_get_paper_references.yaml").read_text())
    recorded = [json.loads(i["response"]["body"]["string"]) for i in cassette["interactions"]]
    all_items = [d["citedPaper"] for p in recorded for d in p["data"]]
    asked = []

    def batch_app(method, path, query, body):
        asked.append((method, path, query.get("fields", ""), json.loads(body)["ids"]))
        # the DOI asked is in the answer's externalIds, as in S2's real answers (checked against the id asked)
        return 200, json.dumps([{"paperId": "cb1ebd913c3724c599f6b276b14b5c6253da68f3", "title": "T",
                                 "externalIds": {"DOI": "10.2139/ssrn.2250500"},
                                 "references": all_items}]).encode()

    with S2TestServer(app=batch_app) as server:
        got = make_source(server.url).fetch_papers([PaperId("doi", "10.2139/ssrn.2250500")], with_references=True)
    assert asked[0][0] == "POST" and asked[0][1].endswith("/paper/batch")
    assert "references.paperId" in asked[0][2] and asked[0][3] == ["DOI:10.2139/ssrn.2250500"]
    assert any(item["paperId"] is None for item in all_items)  # the real data has unmatched references
    assert got[0].reference_ids == [i["paperId"] for i in all_items if i["paperId"]]
    assert got[0].references_truncated is None


def test_real_title_match_and_errors(s2_responses_dir, make_source):
    # the 200 for this paper is the default answer; the 400 only for the bad field it was recorded with
    with _replay(s2_responses_dir, "test_search_paper_match_title.yaml", "test_not_found.yaml",
                 "test_get_paper.yaml", "test_bad_query_parameters.yaml") as server:
        src = make_source(server.url)
        rec = src.match_title("mining association rules between")
        assert rec.paper_id == "6fe8c5bf8dddaadf10c765133d38dfef5714347f"
        assert rec.title == "Mining association rules between sets of items in large databases"
        turing = check_s2_paper(_get_paper(server.url, "10.1093/mind/lix.236.433"), source="s2", fetched_at=0)
        assert turing.title == "Computing Machinery and Intelligence"
        with pytest.raises(S2NotFoundError):
            _get_paper(server.url, "0")
        with pytest.raises(S2RequestError, match="Unrecognized or unsupported fields"):
            _get_paper(server.url, "10.1093/mind/lix.236.433", fields="unknown")


def test_real_full_paper_record_parses(s2_responses_dir):
    import json
    from graph.sources.s2_records import check_s2_paper, fetched_from_s2
    data = json.loads((s2_responses_dir / "Paper.json").read_text())
    f = fetched_from_s2(data, 0.0)
    assert f.record.title == data["title"] and f.record.year == data["year"]
    assert f.record.tldr == data["tldr"]["text"]
    assert f.record.authors == [a["name"] for a in data["authors"]]
    assert f.reference_ids == [r["paperId"] for r in data["references"] if r.get("paperId")]
    nulls = json.loads((s2_responses_dir / "PaperWithNullValues.json").read_text())
    rec = check_s2_paper(nulls, source="s2", fetched_at=0)
    assert rec.authors == [] and rec.paper_id == nulls["paperId"]


def test_an_unreachable_api_fails_fast_after_one_retry_budget(synth_server, make_source):
    synth_server.faults = Faults(rate_drop=1.0)
    src = make_source(synth_server.url, max_retries=2)
    with pytest.raises(S2UnavailableError, match="unreachable.*check the network or S2_API_URL"):
        src.fetch_papers(["ARXIV:2101.00001"], with_references=False)
    assert len(synth_server.request_log) == 3
    with pytest.raises(S2UnavailableError, match="unreachable"):
        src.match_title("SYNTH paper 1")
    assert len(synth_server.request_log) == 3  # no new request


def test_a_rate_limited_api_is_not_taken_for_unreachable(synth_server, make_source):
    synth_server.faults = Faults(rate_429=1.0, retry_after=0)
    src = make_source(synth_server.url, max_retries=1)
    with pytest.raises(S2UnavailableError, match="failed 2 times"):
        src.fetch_papers(["ARXIV:2101.00001"], with_references=False)
    synth_server.faults = Faults()
    assert src.fetch_papers(["ARXIV:2101.00001"], with_references=False)[0].record.title == "SYNTH paper 1"


@pytest.mark.parametrize("reset", [True, False], ids=["reset", "close"])
def test_a_client_hanging_up_mid_answer_leaves_no_traceback(capsys, reset):
    # an answer far larger than the loopback socket buffers: the server is still writing it when the
    # client hangs up, so its write fails with BrokenPipe or ConnectionReset
    big = b"x" * (48 << 20)
    before = set(threading.enumerate())
    with S2TestServer(app=lambda method, path, query, body: (200, big)) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET /graph/v1/paper/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert client.recv(1 << 16).startswith(b"HTTP/1.1 200")  # the answer has begun
            # its handler is blocked writing the rest until the client reads or hangs up
            handlers = [t for t in threading.enumerate()
                        if t not in before and t.name.endswith("(process_request_thread)")]
            assert handlers, "the request's handler thread was not found"
            if reset:  # close with a TCP reset rather than a FIN
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        for thread in handlers:  # the handler has met the hang-up and finished
            thread.join(60)
            assert not thread.is_alive()
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err, err


# -- settings: the S2 modules read their environment; the command line's options win over it ----------------

def _rank(tmp_path, *args, env):
    from click.testing import CliRunner

    from graph.cli import cli

    store = tmp_path / f"s{len(list(tmp_path.iterdir()))}.sqlite"  # a fresh store: every run asks the API
    return CliRunner().invoke(cli, ["rank", "2101.00001", "-q", "--json", "--store", str(store), *args], env=env)


def _closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


S2_VARIABLES = ("S2_API_URL", "S2_RATE", "S2_TIMEOUT", "S2_MAX_WAIT", "S2_API_KEY")


def test_the_api_url_comes_from_the_environment_and_the_option_wins_over_it(synth_server, tmp_path, monkeypatch):
    for var in S2_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    dead = _closed_url()
    res = _rank(tmp_path, env={"S2_API_URL": synth_server.url, "S2_RATE": "0"})
    assert res.exit_code == 0 and synth_server.request_log, res.output
    asked = len(synth_server.request_log)
    res = _rank(tmp_path, "--api-url", synth_server.url, env={"S2_API_URL": dead, "S2_RATE": "0"})
    assert res.exit_code == 0 and len(synth_server.request_log) > asked, res.output
    asked = len(synth_server.request_log)
    res = _rank(tmp_path, "--api-url", dead, env={"S2_API_URL": synth_server.url, "S2_RATE": "0"})
    assert res.exit_code == 1 and "Traceback" not in res.output and len(synth_server.request_log) == asked


def test_the_rate_comes_from_the_environment_and_the_option_wins_over_it(synth_server, tmp_path, monkeypatch):
    for var in S2_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    env = {"S2_API_URL": synth_server.url}
    # one request at 0.0001 requests/s is a step of almost 3 hours: off a terminal the run stops before it
    res = _rank(tmp_path, env={**env, "S2_RATE": "0.0001"})
    assert res.exit_code == 1 and "pass --yes to run it anyway" in res.output and not synth_server.request_log
    res = _rank(tmp_path, "--rate", "0", env={**env, "S2_RATE": "0.0001"})
    assert res.exit_code == 0 and synth_server.request_log, res.output
    # a bad value is named by its variable, and is no obstacle when the option replaces it
    res = _rank(tmp_path, env={**env, "S2_RATE": "abc"})
    assert res.exit_code == 1 and "S2_RATE='abc' is not a number (requests per second)" in res.output, res.output
    assert _rank(tmp_path, "--rate", "0", env={**env, "S2_RATE": "abc"}).exit_code == 0


# -- retries are counted and reported ------------------------------------------------------------------------

def test_an_expansion_counts_the_requests_that_repeated_a_failed_one(synth_server, make_source):
    from graph.expansion import ExpansionOptions, expand
    from graph.seeds import read_seeds
    from graph.store import Store

    seeds = read_seeds(["2101.00000", "2101.00001"]).seeds
    with Store(":memory:") as store:
        clean = expand(seeds, store, make_source(synth_server.url), ExpansionOptions(progress=False))
    assert clean.retries == 0 and clean.requests == len(synth_server.request_log)
    synth_server.faults = Faults(rate_429=0.2, rate_500=0.1, rate_503=0.1, retry_after=0, seed=3)
    before = len(synth_server.request_log)
    with Store(":memory:") as store:
        faulty = expand(seeds, store, make_source(synth_server.url, max_retries=30), ExpansionOptions(progress=False))
    # the same answers, each failed attempt repeated until it came
    assert faulty.requests == len(synth_server.request_log) - before
    assert faulty.retries == faulty.requests - clean.requests > 0
    assert faulty.graph.number_of_edges() == clean.graph.number_of_edges()


def test_the_map_summary_says_how_many_requests_were_retries(synth_server, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from graph.cli import cli

    for var in S2_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    synth_server.faults = Faults(hostile="html_200", hostile_times=2)  # the first two answers are broken
    res = CliRunner().invoke(cli, ["map", "2101.00001", "--api-url", synth_server.url, "--rate", "0",
                                   "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    asked = len(synth_server.request_log)
    assert f"requests: {asked} (floor {asked - 2}; 2 retries after 429, 5xx or a failed answer)" in res.stdout


# -- a seed's year hint picks among papers of the same title ------------------------------------------------

SHARED_TITLE = "SYNTH shared title"


@pytest.fixture
def same_title_server():
    """SYNTH papers 1 (2017) and 2 (2019) share a title; the server's match without a year is paper 2."""
    base = S2Dataset.synthetic(4, [(3, 1), (3, 2)])
    papers = {pid: dict(p) for pid, p in base.papers.items()}
    papers[base.pid_of(1)].update(title=SHARED_TITLE, year=2017)
    papers[base.pid_of(2)].update(title=SHARED_TITLE, year=2019)
    with S2TestServer(S2Dataset(papers, base.references, base.edge_info)) as server:
        yield server, base.pid_of(1), base.pid_of(2)


def test_the_year_hint_picks_among_papers_of_the_same_title(same_title_server, make_source):
    server, of_2017, of_2019 = same_title_server
    src = make_source(server.url)
    assert src.match_title(SHARED_TITLE).paper_id == of_2019  # the old choice, without a hint
    assert src.match_title(SHARED_TITLE, 2017).paper_id == of_2017
    assert src.match_title("synth SHARED title!", 2017).paper_id == of_2017
    asked = len(server.request_log)
    assert src.match_title(SHARED_TITLE, 2019).paper_id == of_2019
    assert len(server.request_log) == asked + 1  # the match was of the hinted year: no second request
    # no paper of that year has the title: the match of another year stands
    assert src.match_title(SHARED_TITLE, 2001).paper_id == of_2019
    assert [q for _, p, q in server.request_log if p.endswith("/match")][-1].count("year=2001") == 1


def test_a_reading_list_year_resolves_a_title_seed_to_the_paper_of_that_year(same_title_server, make_source,
                                                                             tmp_path):
    from graph.expansion import ExpansionOptions, expand
    from graph.seeds import read_seeds
    from graph.store import Store

    server, of_2017, of_2019 = same_title_server
    hinted = tmp_path / "hinted.md"
    hinted.write_text(f"# SYNTH list\n\n1. **{SHARED_TITLE}** (2017)\n", encoding="utf-8")
    with Store(tmp_path / "s.sqlite") as store:
        # the title typed on the command line has no year
        for given, expected in ((str(hinted), of_2017), (SHARED_TITLE, of_2019), (str(hinted), of_2017)):
            seeds = read_seeds([given]).seeds
            result = expand(seeds, store, make_source(server.url), ExpansionOptions(progress=False))
            assert [r.paper_id for r in result.seeds] == [expected], given
    # the third run was answered by the store: the hinted title is remembered apart from the plain one
    assert result.requests == 0


def test_asking_a_title_again_for_the_hinted_year_is_counted_in_the_floor(same_title_server, make_source, tmp_path):
    """The best match is of 2019 and the list says 2017: the second, year-filtered request could not
    have been spared, so the floor counts it and the run stays at its floor."""
    from graph.expansion import ExpansionOptions, expand
    from graph.seeds import read_seeds
    from graph.store import Store

    server, of_2017, _ = same_title_server
    hinted = tmp_path / "hinted.md"
    hinted.write_text(f"# SYNTH list\n\n1. **{SHARED_TITLE}** (2017)\n", encoding="utf-8")
    with Store(":memory:") as store:
        result = expand(read_seeds([str(hinted)]).seeds, store, make_source(server.url),
                        ExpansionOptions(progress=False))
    assert [r.paper_id for r in result.seeds] == [of_2017]
    assert result.retries == 0 and result.requests == result.request_floor
    matches = [path for _, path, _ in server.request_log if path.endswith("/paper/search/match")]
    assert len(matches) == 2  # the plain match, then the year's


def test_a_store_from_before_year_hints_still_answers_a_hinted_title(same_title_server, make_source, tmp_path):
    """An earlier version kept a title seed under the plain title. A hinted seed reads it back when that
    paper is of the hinted year (no request), and --offline rebuilds what the earlier run resolved."""
    from graph.expansion import ExpansionOptions, expand
    from graph.ids import alias_key, normalise_identifier
    from graph.seeds import read_seeds
    from graph.store import Store

    server, of_2017, of_2019 = same_title_server
    hinted = tmp_path / "hinted.md"
    for year, paper in ((2019, of_2019), (2017, of_2017)):
        hinted.write_text(f"# SYNTH list\n\n1. **{SHARED_TITLE}** ({year})\n", encoding="utf-8")
        with Store(tmp_path / f"old-{year}.sqlite") as store:
            # what an earlier version left: the title, under its plain key, resolved to the 2019 paper
            expand(read_seeds([SHARED_TITLE]).seeds, store, make_source(server.url), ExpansionOptions(progress=False))
            assert store.get_alias(alias_key(normalise_identifier(SHARED_TITLE)))[0] == of_2019
            offline = expand(read_seeds([str(hinted)]).seeds, store, None,
                             ExpansionOptions(progress=False, offline=True))
            assert [r.paper_id for r in offline.seeds] == [of_2019]  # what the earlier run resolved
            before = len(server.request_log)
            online = expand(read_seeds([str(hinted)]).seeds, store, make_source(server.url),
                            ExpansionOptions(progress=False))
            assert [r.paper_id for r in online.seeds] == [paper]
            asked = [path for _, path, _ in server.request_log[before:] if path.endswith("/paper/search/match")]
            # the plain key answers for the year it holds; another year is asked for
            assert len(asked) == (0 if year == 2019 else 2)
