"""`citegraph news` over the local S2 server: map, new citing papers appear, news lists exactly them."""

import json
import sqlite3

import feedparser
import pytest
import rispy
from click.testing import CliRunner

from graph.cli import cli
from graph.news import News
from graph.news_outputs import atom_feed
from graph.news_snapshots import MONTHS_KEPT, load_snapshot, save_snapshot
from graph.store import Store
from graph.testing.s2_server import S2Dataset, S2TestServer

# weeks ago: the SYNTH graph of conftest (seeds 0 and 1); papers 10-14 exist but cite nothing yet
BEFORE = [(0, 2), (0, 3), (1, 3), (1, 4), (5, 0), (6, 0), (6, 1), (7, 1), (8, 5)]
# now: 10 cites both seeds, 11 and 14 cite seed 1, 12 builds on the core (cites 2 and 3),
# 13 cites only the isolated paper 9 and has nothing to do with the map
NEW_EDGES = [(10, 0), (10, 1), (11, 1), (11, 3), (14, 1), (12, 2), (12, 3), (13, 9)]
SEEDS = ["arXiv:2101.00000", "arXiv:2101.00001"]


def _pid(i):
    return S2Dataset.synthetic(1, []).pid_of(i)


@pytest.fixture
def mapped(tmp_path):
    """A map of the seeds made weeks ago, then the server's data as it is now."""
    with S2TestServer(S2Dataset.synthetic(15, BEFORE)) as server:
        base = ["--api-url", server.url, "--rate", "0", "--store", str(tmp_path / "s.db")]
        res = CliRunner().invoke(cli, ["map", *SEEDS, "--out", str(tmp_path / "out"), "--json", *base])
        assert res.exit_code == 0, res.output
        yield server, base, tmp_path


def test_news_lists_nothing_when_nothing_changed(mapped):
    _, base, _ = mapped
    res = CliRunner().invoke(cli, ["news", *SEEDS, *base])
    assert res.exit_code == 0, res.output
    assert "0 new on the map" in res.stdout and "nothing new" in res.stdout


def test_news_lists_exactly_the_new_papers_ranked_with_why_and_a_valid_feed(mapped):
    server, base, tmp_path = mapped
    first = CliRunner().invoke(cli, ["news", *SEEDS, "--json", *base])  # weeks ago: nothing new yet
    assert first.exit_code == 0 and json.loads(first.stdout)["new"] == [], first.output
    server.serve(S2Dataset.synthetic(15, BEFORE + NEW_EDGES))  # now
    feed, md, ris = tmp_path / "news.atom", tmp_path / "news.md", tmp_path / "new.ris"
    res = CliRunner().invoke(cli, ["news", *SEEDS, "--json", "--feed", str(feed), "--markdown", str(md),
                                   "--ris", str(ris), *base])
    assert res.exit_code == 0, res.output
    news = json.loads(res.stdout)
    new = [n["paper_id"] for n in news["new"]]
    assert sorted(new) == sorted(_pid(i) for i in (10, 11, 12, 14))  # not 13: unrelated to the map
    rel = [n["relatedness"] for n in news["new"]]
    assert rel == sorted(rel, reverse=True)
    # the same order as `related` gives on the map as it is now (built from the store, no request)
    related = CliRunner().invoke(cli, ["related", *SEEDS, "--json", "--offline", *base])
    assert related.exit_code == 0, related.output
    assert [r["paper_id"] for r in json.loads(related.stdout) if r["paper_id"] in new] == new
    assert all(n["why"] for n in news["new"])
    assert [(j["paper_id"], j["before"], j["after"]) for j in news["jumps"]] == [(_pid(1), 2, 5)]
    assert "last news run" in news["baseline"]
    # the plan is said before the first request
    assert "news plan:" in res.stderr and res.stderr.index("news plan:") < res.stderr.index("list citations")

    parsed = feedparser.parse(feed.read_text(encoding="utf-8"))
    assert not parsed.bozo and parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == [n["title"] for n in news["new"]]
    assert all(e.link.startswith("https://www.semanticscholar.org/paper/") for e in parsed.entries)
    text = md.read_text(encoding="utf-8")
    positions = [text.index(n["title"].replace("_", "\\_")) for n in news["new"]]
    assert positions == sorted(positions) and "## Citations jumped" in text
    entries = rispy.loads(ris.read_text(encoding="utf-8"))
    assert [e["title"] for e in entries] == [n["title"] for n in news["new"]]
    assert all(any(note.startswith("New on the citegraph map") for note in e["notes"]) for e in entries)

    # once more: compared with the last run's snapshot, nothing is new; the feed keeps its entries
    again = CliRunner().invoke(cli, ["news", *SEEDS, "--json", "--feed", str(feed), *base])
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert second["new"] == [] and second["jumps"] == [] and "last news run" in second["baseline"]
    assert len(feedparser.parse(feed.read_text(encoding="utf-8")).entries) == 4

    # serve's map (the session's) marks the papers news found new: those of them that `map` shows (12
    # joined news's map through the core's citations, which `map` does not list)
    from graph.session import Explorer

    with Explorer(SEEDS, store=tmp_path / "s.db", api_url=server.url, rate=0) as ex:
        papers = ex.map()["papers"]
    marked = {p["id"] for p in papers if p["new_since"]}
    assert marked == set(new) & {p["id"] for p in papers} == {_pid(i) for i in (10, 11, 14)}


def test_news_without_network_says_so_once_and_changes_nothing(mapped, tmp_path):
    server, base, _ = mapped
    server.serve(S2Dataset.synthetic(15, BEFORE + NEW_EDGES))
    store = tmp_path / "s.db"
    before = _counts(store)
    server.stop()  # the network is gone
    res = CliRunner().invoke(cli, ["news", *SEEDS, *base, "--max-wait", "1", "--timeout", "1"])
    assert res.exit_code == 1
    assert res.output.count("cannot reach") == 1 and "nothing was changed" in res.output
    assert "Traceback" not in res.output
    assert _counts(store) == before


def _counts(path):
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        db.close()


def test_news_before_any_map_and_since_before_any_snapshot_say_what_to_do(mapped, tmp_path):
    _, base, _ = mapped
    res = CliRunner().invoke(cli, ["news", "arXiv:2101.00009", *base])
    assert res.exit_code == 1 and "run `citegraph map` on them" in res.output
    res = CliRunner().invoke(cli, ["news", *SEEDS, "--since", "2001-01-01", *base])
    assert res.exit_code == 1 and "no news snapshot of these seeds on or before 2001-01-01" in res.output


def test_the_store_keeps_the_newest_snapshot_and_one_per_earlier_month(tmp_path):
    day = 86400.0
    start = 1_700_000_000.0  # November 2023
    with Store(tmp_path / "s.db") as store:
        times = [start + i * 5 * day for i in range(100)]  # every five days for 500 days
        for t in times:
            save_snapshot(store, "k", ["a"], {"p": {"relatedness": 1.0, "citations": int(t), "title": "SYNTH"}}, t)
        kept = [r[0] for r in store.query("SELECT taken_at FROM news_snapshots ORDER BY taken_at")]
        assert kept[-1] == times[-1]
        assert len(kept) <= MONTHS_KEPT + 2
        # --since a date between two kept snapshots gets the one before it
        t, papers = load_snapshot(store, "k", before=kept[-3] + day)
        assert t == kept[-3] and papers["p"]["citations"] == int(kept[-3])



@pytest.mark.parametrize("content", [b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>',
                                     b'{"my": "notes"}', b'<rss version="2.0"></rss>', b"\xff\xfe binary"])
def test_a_feed_file_that_is_not_an_atom_feed_is_refused_before_the_run_and_kept(mapped, content):
    server, base, tmp_path = mapped
    server.serve(S2Dataset.synthetic(15, BEFORE + NEW_EDGES))
    feed, md = tmp_path / "feed.xml", tmp_path / "news.md"
    feed.write_bytes(content)
    res = CliRunner().invoke(cli, ["news", *SEEDS, "--feed", str(feed), "--markdown", str(md), *base])
    assert res.exit_code == 1 and "is not an Atom feed" in res.stderr and "Traceback" not in res.output
    assert feed.read_bytes() == content and not md.exists()  # nothing replaced, nothing half-written
    # the run did not happen, so the news is still new for the next one
    again = CliRunner().invoke(cli, ["news", *SEEDS, "--json", *base])
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert "first news run" in second["baseline"] and second["new"], second["baseline"]

def test_the_feed_escapes_what_a_title_holds():
    from graph.news import NewPaper

    hostile = "SYNTH <b>bold</b> & \x07 ]]> </title>"
    news = News(seed_key="k", seeds=["a"], baseline="x", baseline_at=None, taken_at=1.7e9,
                new=[NewPaper("p&1", hostile, 2020, ["A <SYNTH>"], None, 0.5, "why & <how>", None, 1)],
                jumps=[], map_papers=3, requests=0)
    parsed = feedparser.parse(atom_feed(news))
    assert not parsed.bozo and parsed.entries[0].title == "SYNTH <b>bold</b> & ]]> </title>"


def _backdate(store, day):
    """Make the newest snapshot look as if taken on ``day`` (weeks pass between the runs of a test)."""
    import datetime as dt

    t = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc).timestamp()
    db = sqlite3.connect(store)
    db.execute("UPDATE news_snapshots SET taken_at = ? WHERE taken_at = (SELECT MAX(taken_at) FROM news_snapshots)",
               (t,))
    db.commit()
    db.close()


def test_since_compares_with_the_map_as_it_was_then(mapped):
    server, base, tmp_path = mapped
    store = tmp_path / "s.db"
    run = lambda *extra: json.loads(CliRunner().invoke(cli, ["news", *SEEDS, "--json", *extra, *base]).stdout)
    assert run()["new"] == []
    _backdate(store, "2026-01-01")
    server.serve(S2Dataset.synthetic(15, BEFORE + [(10, 0), (10, 1)]))  # in January, paper 10 appeared
    assert [n["paper_id"] for n in run()["new"]] == [_pid(10)]
    _backdate(store, "2026-02-01")
    server.serve(S2Dataset.synthetic(15, BEFORE + NEW_EDGES))  # then 11, 12 and 14
    assert sorted(n["paper_id"] for n in run()["new"]) == sorted(_pid(i) for i in (11, 12, 14))
    since = run("--since", "2026-01-15")  # against the map of 1 January: everything since
    assert "2026-01-01" in since["baseline"]
    assert sorted(n["paper_id"] for n in since["new"]) == sorted(_pid(i) for i in (10, 11, 12, 14))
    # and 12, which only news's listing of the core brings, stays on the map from run to run
    assert run()["new"] == [] and _pid(12) in load_snapshot(Store(store), _snapshot_key(store))[1]


def _snapshot_key(store):
    db = sqlite3.connect(store)
    try:
        return db.execute("SELECT seed_key FROM news_snapshots LIMIT 1").fetchone()[0]
    finally:
        db.close()


def test_news_over_the_budget_asks_first_and_requests_nothing(mapped):
    server, base, _ = mapped
    sent = len(server.request_log)
    slow = [a if a != "0" else "0.001" for a in base]  # --rate 0.001: a request every 1,000 s
    res = CliRunner().invoke(cli, ["news", *SEEDS, *slow])
    assert res.exit_code == 1 and "pass --yes" in res.output and "Nothing was requested" in res.output
    assert res.stderr.index("news plan:") < res.stderr.index("error:")
    assert len(server.request_log) == sent


def test_serve_marks_the_new_papers_on_the_page(mapped):
    """The live page: ✦ before the label of each paper the latest news brought, a line on its card."""
    import threading

    from graph.serve import ServeApp, make_server
    from graph.serve_runner import Runner
    from graph.session import Explorer
    from graph.testing.browser import launch, need_chromium, wait_until_settled

    need_chromium()
    from playwright.sync_api import sync_playwright

    server, base, tmp_path = mapped
    assert CliRunner().invoke(cli, ["news", *SEEDS, *base]).exit_code == 0
    server.serve(S2Dataset.synthetic(15, BEFORE + NEW_EDGES))
    assert CliRunner().invoke(cli, ["news", *SEEDS, *base]).exit_code == 0
    runner = Runner.start(lambda: Explorer(SEEDS, store=tmp_path / "s.db", api_url=server.url, rate=0))
    app = ServeApp(runner, seed_file=tmp_path / "saved.seeds.txt")
    httpd = make_server(app, 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page()
            page.set_default_timeout(20000)
            page.goto(app.url())
            wait_until_settled(page)
            labels = page.evaluate("window.citegraph.nodes.get().map(n => [n.id, n.label])")
            marked = {pid for pid, label in labels if label.startswith("✦ ")}
            assert marked == {_pid(i) for i in (10, 11, 14)}  # 12 is news's alone: `map` does not show it
            page.evaluate(f"window.citegraph.select('{_pid(10)}', false)")
            assert "New on the map (citegraph news, " in page.text_content("#card")
            page.evaluate(f"window.citegraph.select('{_pid(5)}', false)")
            assert "New on the map" not in page.text_content("#card")
            browser.close()
    finally:
        app.close()
        httpd.shutdown()
        httpd.server_close()
        runner.stop()
