"""`citegraph serve` over real HTTP: the local S2 test server behind it, headless Chromium in front."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, SYNTH_EDGES
from graph.errors import CitegraphError
from graph.serve import ServeApp, make_server
from graph.serve_runner import Runner
from graph.session import Explorer
from graph.testing.browser import launch, need_chromium, wait_until_settled
from graph.testing.s2_server import S2Dataset, S2TestServer

# SYNTH papers 0..9 as in conftest, plus a second neighbourhood around paper 10 (which cites seed 1):
# adding 10 as a seed brings 11, 12 (its citers) and 13 (cited by 12) onto the map
EDGES = SYNTH_EDGES + [(10, 1), (11, 10), (12, 10), (12, 13), (14, 13)]


@pytest.fixture
def dataset():
    return S2Dataset.synthetic(15, EDGES)


@pytest.fixture
def s2(dataset):
    with S2TestServer(dataset) as server:
        yield server


def start_runner(seeds: list[str], **session) -> Runner:
    """A runner on a thread of its own, holding a session on ``seeds`` whose map is built."""
    runner = Runner.start(lambda: Explorer(seeds, **session))
    runner.call(lambda ex: ex.build())
    return runner


class Running:
    """A serve app on a free port, serving from a thread; ``explorer`` is the session it serves."""

    def __init__(self, runner: Runner, tmp: Path, reading_list: Path | None = None) -> None:
        self.runner, self.explorer = runner, runner.explorer
        self.app = ServeApp(runner, seed_file=tmp / "saved.seeds.txt", reading_list=reading_list)
        self.server = make_server(self.app, 0)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.app.port}"

    def call(self, path: str, body: dict | None = None, *, token: str | None = "ok", host: str | None = None,
             method: str | None = None, headers: dict | None = None) -> tuple[int, dict]:
        req = urllib.request.Request(self.base + path, method=method or ("POST" if body is not None else "GET"),
                                     data=None if body is None else json.dumps(body).encode())
        if token:
            req.add_header("X-Citegraph-Token", self.app.token if token == "ok" else token)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if host:
            req.add_header("Host", host)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def stop(self) -> None:
        """Stop serving, then stop the runner (which closes the session: nothing can be sent after)."""
        self.app.close()
        self.server.shutdown()
        self.server.server_close()
        self.runner.stop()


@pytest.fixture
def served(s2, tmp_path):
    run = Running(start_runner(["2101.00000"], store=tmp_path / "store.sqlite", api_url=s2.url, rate=0), tmp_path)
    yield run
    run.stop()


# -- the API and its guards (no browser) -------------------------------------------------------------
def test_api_map_lists_papers_and_links(served, dataset):
    status, data = served.call("/api/map")
    assert status == 200
    by_id = {p["paper_id"]: p for p in data["papers"]}
    assert by_id[dataset.pid_of(0)]["is_seed"] is True
    assert by_id[dataset.pid_of(0)]["title"] == "SYNTH paper 0" and by_id[dataset.pid_of(0)]["year"] == 2000
    # seed 0's neighbourhood: its references 2, 3 and its citers 5, 6; not the far paper 10
    assert {dataset.pid_of(i) for i in (0, 2, 3, 5, 6)} <= set(by_id)
    assert dataset.pid_of(10) not in by_id
    assert data["links"] and all(l["source"] in by_id and l["target"] in by_id for l in data["links"])


def test_call_without_or_with_a_wrong_token_is_refused(served):
    assert served.call("/api/map", token=None)[0] == 403
    assert served.call("/api/map", token="wrong")[0] == 403
    assert served.call("/api/seeds", {"add": ["2101.00010"]}, token=None)[0] == 403
    # the query token opens GET pages only, never a state change
    status, _ = served.call(f"/api/seeds?token={served.app.token}", {"add": ["2101.00010"]}, token=None)
    assert status == 403
    assert served.call("/api/map")[0] == 200


def test_foreign_host_header_is_refused(served):
    status, body = served.call("/api/map", host=f"attacker.example:{served.app.port}")
    assert status == 403 and "Host" in body["error"]
    assert served.call("/api/map", host=f"localhost:{served.app.port}")[0] == 200


def test_state_changes_need_post_with_json(served, s2):
    before = len(s2.request_log)
    assert served.call("/api/expand", method="GET")[0] == 405
    assert served.call("/api/seeds", method="DELETE")[0] == 405
    req = urllib.request.Request(served.base + "/api/seeds", data=b"add=2101.00010", method="POST",
                                 headers={"X-Citegraph-Token": served.app.token,
                                          "Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 415
    status, _ = served.call("/api/seeds", {"add": ["2101.00010"]}, headers={"Origin": "http://attacker.example"})
    assert status == 403
    assert len(s2.request_log) == before  # nothing was fetched for any of them


def test_post_seeds_answers_with_the_new_summary(served, s2, dataset):
    before = len(s2.request_log)
    status, body = served.call("/api/seeds", {"add": ["2101.00010"]})
    assert status == 200
    assert body["added"] == [{"input": "2101.00010", "paper_id": dataset.pid_of(10), "reason": None}]
    assert body["summary"]["seeds"]["resolved"] == 2
    assert any(line.startswith("resolve 1 seeds by ID") for line in body["summary"]["plan"])  # the new one
    p = body["progress"]
    assert p["state"] == "done" and p["requests"] == len(s2.request_log) - before > 0
    assert p["planned"] == p["done"] == p["requests"]
    _, data = served.call("/api/map")
    ids = {q["paper_id"] for q in data["papers"]}
    assert {dataset.pid_of(i) for i in (10, 11, 12)} <= ids
    # removing it again needs no request: everything is in the store
    before = len(s2.request_log)
    status, body = served.call("/api/seeds", {"remove": [dataset.pid_of(10)]})
    assert status == 200 and body["removed"] == 1 and body["summary"]["seeds"]["resolved"] == 1
    assert len(s2.request_log) == before
    assert served.call("/api/seeds", {"remove": [dataset.pid_of(0)]})[0] == 400  # the last seed stays



def test_a_removal_that_names_no_seed_is_refused_before_anything_is_added(served, s2, dataset):
    _, before_seeds = served.call("/api/seeds")
    before = len(s2.request_log)
    status, body = served.call("/api/seeds", {"add": ["2101.00010"], "remove": ["SYNTH-not-a-seed"]})
    assert status == 400 and "none of these papers is a seed: SYNTH-not-a-seed" in body["error"]
    assert served.call("/api/seeds")[1] == before_seeds  # nothing was added
    assert len(s2.request_log) == before  # and nothing fetched for it
    assert dataset.pid_of(10) not in {p["paper_id"] for p in served.call("/api/map")[1]["papers"]}
    # both at once, when both are right: one action, one new map
    status, body = served.call("/api/seeds", {"add": ["2101.00010"], "remove": [dataset.pid_of(0)]})
    assert status == 200 and body["removed"] == 1 and body["added"][0]["paper_id"] == dataset.pid_of(10)
    assert [s["input"] for s in served.call("/api/seeds")[1]["seeds"]] == ["2101.00010"]


def test_a_lone_surrogate_in_a_body_is_a_400_not_an_internal_error(served, capfd):
    status, body = served.call("/api/seeds", {"add": ["Attention \ud800 is all"]})
    assert status == 400 and "lone surrogate" in body["error"], body
    assert "Traceback" not in capfd.readouterr().err

def test_unknown_items_are_reported_not_kept_and_known_seeds_not_doubled(served, dataset):
    status, body = served.call("/api/seeds", {"add": ["SYNTH paper that does not exist", "2101.00000"]})
    assert status == 200
    assert [a["input"] for a in body["added"]] == ["SYNTH paper that does not exist"]
    assert body["added"][0]["paper_id"] is None and "SYNTH paper that does not exist" in body["added"][0]["reason"]
    assert "already a seed: '2101.00000'" in body["message"]
    _, seeds = served.call("/api/seeds")
    assert [s["input"] for s in seeds["seeds"]] == ["2101.00000"]


def test_expand_over_the_api_adds_the_papers_neighbourhood(served, s2, dataset):
    assert dataset.pid_of(8) not in {p["paper_id"] for p in served.call("/api/map")[1]["papers"]}
    before = len(s2.request_log)
    status, body = served.call("/api/expand", {"paper_id": dataset.pid_of(5)})
    assert status == 200 and body["gained"] >= 1
    assert body["progress"]["requests"] == len(s2.request_log) - before
    assert body["summary"]["expanded"] == [dataset.pid_of(5)]
    _, data = served.call("/api/map")
    by_id = {p["paper_id"]: p for p in data["papers"]}
    assert dataset.pid_of(8) in by_id and not by_id[dataset.pid_of(5)]["is_seed"]
    assert served.call("/api/expand", {"paper_id": dataset.pid_of(9)})[0] == 400  # not in the graph


def test_export_downloads(served):
    req = urllib.request.Request(f"{served.base}/api/export/bibtex?token={served.app.token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode()
        assert "attachment" in r.headers["Content-Disposition"]
    assert "title = {SYNTH paper 0}" in text


# -- the session's save ------------------------------------------------------------------------------
def test_save_seeds_writes_ids_with_titles_and_reads_back(s2, tmp_path, dataset):
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=s2.url, rate=0) as ex:
        ex.add_seeds(["SYNTH paper 10"])
        saved = ex.save_seeds(tmp_path / "out.txt")
    text = (tmp_path / "out.txt").read_text()
    assert f"# SYNTH paper 10\n{dataset.pid_of(10)}\n" in text and f"# SYNTH paper 0\n{dataset.pid_of(0)}\n" in text
    assert saved.seeds == 2 and saved.added == 1
    from graph.seeds import read_seeds

    assert {s.pid.value for s in read_seeds([str(tmp_path / "out.txt")]).seeds} == {dataset.pid_of(0),
                                                                                    dataset.pid_of(10)}


def test_save_appends_added_seeds_to_the_markdown_reading_list(s2, tmp_path, dataset):
    md = tmp_path / "list.md"
    md.write_text("# Reading\n\n## Basics\n\n1. **SYNTH paper 0**\n   - https://arxiv.org/abs/2101.00000\n",
                  encoding="utf-8")
    with Explorer([str(md)], store=tmp_path / "s.sqlite", api_url=s2.url, rate=0) as ex:
        ex.add_seeds(["2101.00010"])
        saved = ex.save_seeds()
    assert saved.path == md and saved.kind == "markdown" and saved.added == 1
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Reading\n\n## Basics\n\n1. **SYNTH paper 0**")
    assert "## Added in citegraph serve" in text and "1. **SYNTH paper 10**" in text
    from graph.seeds import read_seeds

    seeds = read_seeds([str(md)]).seeds
    assert [s.pid.value for s in seeds] == ["2101.00000", "2101.00010"]
    assert seeds[1].section.startswith("Added in citegraph serve")


def test_cancel_stops_before_the_next_request_and_keeps_the_seeds(s2, tmp_path, dataset):
    from graph.session import Cancelled

    armed = [True]

    def cancel_after_the_first_request(p):
        # called by the session as its progress changes: the cancel lands once a request is done
        if armed[0] and p.action == "add seeds" and p.state == "working" and p.done >= 1:
            ex.cancel()

    # adding the seed plans 3 requests
    with Explorer(["2101.00000"], store=tmp_path / "s.sqlite", api_url=s2.url, rate=4,
                  on_progress=cancel_after_the_first_request) as ex:
        ex.build()
        before = len(s2.request_log)
        with pytest.raises(Cancelled):
            ex.add_seeds(["2101.00010"])
        assert 1 <= len(s2.request_log) - before <= 2  # the request under way may finish; no more are sent
        assert ex.progress().state == "cancelled"
        assert [s.input for s in ex.seeds] == ["2101.00000"]  # the seeds are as before the action
        assert dataset.pid_of(10) not in ex.run.graph
        # run again: it goes on from what was stored (the cancel came with the action before)
        armed[0] = False
        ex.add_seeds(["2101.00010"])
        assert dataset.pid_of(10) in ex.run.graph


def test_calls_from_many_threads_share_one_session(s2, dataset, tmp_path):
    # SQLite connections belong to their thread: the runner does every call on the session's own thread
    runner = start_runner(["2101.00000"], store=tmp_path / "s.sqlite", api_url=s2.url, rate=0)
    try:
        errors, results = [], []

        def work(i):
            try:
                if i % 3 == 0:
                    runner.session.add_seeds([f"2101.0000{1 + i % 2}"])
                results.append(len(runner.session.map()["papers"]))
            except Exception as exc:  # noqa: BLE001 - any error fails the test below, with its text
                errors.append(repr(exc))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors and len(results) == 6
        assert {s.input for s in runner.explorer.seeds} == {"2101.00000", "2101.00001", "2101.00002"}
        assert dataset.pid_of(1) in runner.call(lambda ex: ex.run.graph)
    finally:
        runner.stop()
    with pytest.raises(CitegraphError, match="stopping"):
        runner.session.map()  # refused once the runner stopped


# -- in the browser ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def open_page(browser, served):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(served.app.url())
    wait_until_settled(page)
    return page


def wait_version(page, version: int) -> None:
    try:
        page.wait_for_selector(f'body[data-version="{version}"]', state="attached")
    except Exception:
        said = page.evaluate("() => (window.citegraph.live || {messages: []}).messages")
        raise AssertionError(f"version {version} never shown; page errors: {page.errors}; said: {said}") from None


def map_ids(page) -> set[str]:
    return set(page.evaluate("window.citegraph.data.papers.map(p => p.id)"))


def test_add_a_seed_from_the_page_grows_the_map_in_place(browser, served, s2, dataset):
    page = open_page(browser, served)
    before_ids = map_ids(page)
    positions = page.evaluate("window.citegraph.network.getPositions()")
    n_requests = len(s2.request_log)
    page.fill("#live-add", "2101.00010")
    page.click("#live-add-button")
    wait_version(page, 2)
    after = map_ids(page)
    assert {dataset.pid_of(i) for i in (10, 11, 12)} <= after - before_ids
    # the new seed is drawn as a seed; the papers already shown kept their positions
    assert page.evaluate(f"window.citegraph.data.papers.find(p => p.id === '{dataset.pid_of(10)}').is_seed")
    moved = page.evaluate("window.citegraph.network.getPositions()")
    assert all(abs(moved[k]["x"] - positions[k]["x"]) < 1e-6 and abs(moved[k]["y"] - positions[k]["y"]) < 1e-6
               for k in positions if k in moved)
    # the progress the page showed matches the plan and the requests the S2 server saw
    prog = page.evaluate("window.citegraph.live.progress")
    sent = len(s2.request_log) - n_requests
    assert prog["state"] == "done" and prog["planned"] == prog["done"] == prog["requests"] == sent > 0
    assert "3 requests" in page.text_content("#live-progress") or f"{sent} request" in page.text_content("#live-progress")
    assert page.evaluate("window.citegraph.nodes.length") == len(after)
    assert not page.errors


def test_make_seed_and_remove_seed_from_the_card_then_save(browser, served, s2, dataset, tmp_path):
    page = open_page(browser, served)
    target = dataset.pid_of(5)  # on the map (cites seed 0), not a seed
    page.evaluate(f"window.citegraph.select('{target}', false)")
    page.click("#live-add-seed")
    wait_version(page, 2)
    assert page.evaluate(f"window.citegraph.data.papers.find(p => p.id === '{target}').is_seed")
    assert dataset.pid_of(8) in map_ids(page)  # 8 cites 5: the new seed's citers joined the map
    # the card now offers removal; removing needs no request (all is stored)
    n_requests = len(s2.request_log)
    page.evaluate(f"window.citegraph.select('{target}', false)")
    page.click("#live-remove-seed")
    wait_version(page, 3)
    assert not page.evaluate(f"window.citegraph.data.papers.find(p => p.id === '{target}')?.is_seed || false")
    assert len(s2.request_log) == n_requests
    # save the list: the file holds exactly the current seeds, with titles
    page.click("#live-save-text")
    # (wait_for_function evaluates a string, which the page's CSP forbids: wait on the DOM instead)
    page.locator("#live-message", has_text="saved 1 seed to").wait_for()
    saved = served.app.seed_file.read_text()
    assert f"# SYNTH paper 0\n{dataset.pid_of(0)}\n" in saved and target not in saved
    assert not page.errors


def test_expand_from_the_card(browser, served, dataset):
    page = open_page(browser, served)
    positions = page.evaluate("window.citegraph.network.getPositions()")
    page.evaluate(f"window.citegraph.select('{dataset.pid_of(5)}', false)")
    page.click("#live-expand")
    wait_version(page, 2)
    assert dataset.pid_of(8) in map_ids(page)  # 8 cites 5
    assert not page.evaluate(f"window.citegraph.data.papers.find(p => p.id === '{dataset.pid_of(5)}').is_seed")
    moved = page.evaluate("window.citegraph.network.getPositions()")
    assert all(moved[k] == positions[k] for k in positions if k in moved)
    assert page.text_content("#live-message").startswith("the graph gained")
    assert not page.errors


HOSTILE = "<img src=x onerror=alert(1)></script><b>SYNTH</b>"


def test_paper_text_is_shown_as_text(browser, tmp_path):
    ds = S2Dataset.synthetic(15, EDGES)
    ds.papers[ds.pid_of(5)]["title"] = HOSTILE
    ds.papers[ds.pid_of(5)]["authors"] = [{"authorId": "5", "name": "<svg onload=alert(2)>"}]
    with S2TestServer(ds) as s2:
        run = Running(start_runner(["2101.00000"], store=tmp_path / "s.sqlite", api_url=s2.url, rate=0), tmp_path)
        try:
            page = open_page(browser, run)
            dialogs = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            csp = page.evaluate("document.querySelector('meta[http-equiv=Content-Security-Policy]').content")
            assert "default-src 'none'" in csp and "connect-src 'self'" in csp
            page.evaluate(f"window.citegraph.select('{ds.pid_of(5)}', false)")
            assert page.text_content("#card h2") == HOSTILE
            assert page.evaluate("document.querySelectorAll('img, svg b, #card b, #lists b').length") == 0
            # the live controls were added to the card, text intact
            assert page.text_content("#live-add-seed") == "Make it a seed"
            assert not dialogs and not page.errors
        finally:
            run.stop()


def test_cancel_from_the_page(browser, s2, tmp_path, dataset):
    # paced at 1 request/s (the API's own pace) so that the page sees the work under way and can cancel it
    run = Running(start_runner(["2101.00000"], store=tmp_path / "s.sqlite", api_url=s2.url, rate=1), tmp_path)
    ex = run.explorer
    try:
        page = open_page(browser, run)
        before = len(s2.request_log)
        page.fill("#live-add", "2101.00010")
        page.click("#live-add-button")
        page.locator("#live-cancel").wait_for(state="visible")
        page.click("#live-cancel")
        page.locator("#live-progress", has_text="add seeds: cancelled").wait_for()
        page.locator("#live-cancel").wait_for(state="hidden")
        sent = len(s2.request_log) - before
        # adding paper 10 plans 3 requests; the cancel stops the one under way (even in its pacing
        # wait, so possibly before it is sent) and every later one
        assert sent < 3
        assert dataset.pid_of(10) not in map_ids(page)
        assert page.get_attribute("body", "data-version") == "1"
    finally:
        run.stop()
    # stopped, the session is closed and its source with it: nothing was sent after the cancel
    assert len(s2.request_log) - before == sent
    assert [s.input for s in ex.seeds] == ["2101.00000"]


def test_two_browsers_stay_consistent(browser, served, dataset):
    a, b = open_page(browser, served), open_page(browser, served)
    a.fill("#live-add", "2101.00010")
    a.click("#live-add-button")
    wait_version(a, 2)
    wait_version(b, 2)  # b learnt of the change over its event stream and fetched the map
    assert map_ids(a) == map_ids(b) and dataset.pid_of(11) in map_ids(b)
    b.evaluate(f"window.citegraph.select('{dataset.pid_of(10)}', false)")
    b.click("#live-remove-seed")
    wait_version(b, 3)
    wait_version(a, 3)
    assert map_ids(a) == map_ids(b) and dataset.pid_of(11) not in map_ids(a)


def test_missing_chromium_fails_in_ci_and_skips_elsewhere(tmp_path):
    (tmp_path / "test_x.py").write_text("from graph.testing.browser import need_chromium\n\n\n"
                                        "def test_x():\n    need_chromium()\n")
    for ci, expected in (("true", "1 failed"), ("", "1 skipped")):
        env = {**os.environ, "CI": ci, "CITEGRAPH_CHROMIUM": str(tmp_path / "no-chromium")}
        out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_x.py"],
                             env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert expected in out.stdout, out.stdout


# -- the command --------------------------------------------------------------------------------------
@pytest.mark.parametrize("busy,sig", [(False, signal.SIGINT), (True, signal.SIGINT), (True, signal.SIGTERM)],
                         ids=["idle", "while-fetching", "sigterm-while-fetching"])
def test_serve_command_stops_cleanly_on_ctrl_c(s2, tmp_path, busy, sig):
    # paced at 1 request/s: "while-fetching" interrupts an action that has requests left to make
    env = {**os.environ, "S2_API_URL": s2.url, "S2_RATE": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "graph", "serve", "2101.00000", "--no-browser",
                             "--store", str(tmp_path / "s.sqlite")], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("citegraph serve: open http://127.0.0.1:"), line
        url = line.split("open ", 1)[1].strip()
        token = url.split("token=", 1)[1]
        # an open event stream must not hold the server up
        stream = urllib.request.urlopen(url.replace("/?token", "/api/events?token"), timeout=10)
        assert stream.readline().startswith(b"event: progress")
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200
        if busy:
            req = urllib.request.Request(url.split("/?")[0] + "/api/seeds", data=b'{"add": ["2101.00010"]}',
                                         headers={"X-Citegraph-Token": token, "Content-Type": "application/json"})
            threading.Thread(target=lambda: _ignore_errors(urllib.request.urlopen, req, timeout=30),
                             daemon=True).start()
            while b'"state": "working"' not in stream.readline():
                pass
        n_requests = len(s2.request_log)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "stopped" in err
    assert len(s2.request_log) - n_requests <= 1  # at most the request already under way


def _ignore_errors(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except OSError:  # the server went away mid-answer: that is the point of the test
        pass


def test_serve_on_a_terminal_never_prompts_for_a_page_action(s2, tmp_path):
    import pty
    import re

    store = tmp_path / "s.sqlite"
    env = {**os.environ, "S2_API_URL": s2.url}
    # the first build from a clean run; serve then starts from the store with no request to plan
    subprocess.run([sys.executable, "-m", "graph", "map", "2101.00000", "-q", "--rate", "0", "--out",
                    str(tmp_path / "o"), "--store", str(store)], env=env, cwd=ROOT, check=True, capture_output=True)
    master, slave = pty.openpty()
    # at 0.0001 requests/s adding a seed is a step of hours: on a terminal `map` would ask "Go on?"
    proc = subprocess.Popen([sys.executable, "-m", "graph", "serve", "2101.00000", "--no-browser", "--rate",
                             "0.0001", "--store", str(store)], env=env, cwd=ROOT, stdin=slave, stdout=slave,
                            stderr=slave, close_fds=True)
    os.close(slave)
    seen = bytearray()

    def read_terminal():
        try:
            while chunk := os.read(master, 4096):
                seen.extend(chunk)
        except OSError:
            pass

    threading.Thread(target=read_terminal, daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        while not re.search(rb"open (http://127\.0\.0\.1:\d+)/\?token=([\w-]+)", seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        url, token = re.search(rb"open (http://127\.0\.0\.1:\d+)/\?token=([\w-]+)", seen).groups()
        req = urllib.request.Request(url.decode() + "/api/seeds", data=b'{"add": ["2101.00005"]}', method="POST",
                                     headers={"X-Citegraph-Token": token.decode(),
                                              "Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=30)
        # the page's action stops with the plan's message at once; nobody is asked on the terminal
        assert refused.value.code == 400 and "pass --yes" in refused.value.read().decode()
        assert b"Go on?" not in seen
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_citegraphs_threads_leave_ctrl_c_to_the_main_thread():
    from graph.threads import start_daemon

    masks = []
    inner = []

    def outer():
        masks.append(signal.pthread_sigmask(signal.SIG_BLOCK, []))
        # a thread started from one of citegraph's (a server's request handler) inherits the mask
        inner.append(threading.Thread(target=lambda: masks.append(signal.pthread_sigmask(signal.SIG_BLOCK, []))))
        inner[0].start()
        inner[0].join()

    start_daemon(outer).join()
    assert len(masks) == 2 and all({signal.SIGINT, signal.SIGTERM} <= mask for mask in masks)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # this thread still takes it


@pytest.mark.parametrize("wait", ["result_of(concurrent.futures.Future())", "wait_readable(os.fdopen(os.pipe()[0]))"])
def test_a_ctrl_c_another_thread_takes_still_stops_the_main_threads_wait(wait):
    # a native library's thread (numpy's OpenBLAS starts some) may take the process's SIGINT; the main
    # thread, waiting on a future that never completes or a pipe nobody writes to, must still raise it
    script = ("import concurrent.futures, os, signal, threading\n"
              "from graph.threads import result_of, wait_readable\n"
              "ready = threading.Event()\n"
              "def other():\n"
              "    ready.wait()\n"
              "    signal.pthread_kill(threading.get_ident(), signal.SIGINT)  # taken by this thread\n"
              "threading.Thread(target=other, daemon=True).start()\n"
              "try:\n"
              "    ready.set()\n"
              f"    {wait}\n"
              "except KeyboardInterrupt:\n"
              "    raise SystemExit(130)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, done.stderr
