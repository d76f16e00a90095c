"""The HTML map in a real browser: headless Chromium driven by playwright, from file://."""

from pathlib import Path

import networkx as nx
import pytest

from graph.analysis import analyse
from graph.render import write_map_html
from graph.testing.browser import CHROMIUM, launch, wait_until_settled

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")

HOSTILE = ["<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>", "Q&A \u2028 <b>bold</b>"]


def synthetic_map():
    """Two SYNTH topics (quantization, attention); three papers carry hostile titles/authors."""
    g = nx.DiGraph()
    refs = {"quant": [f"rq{i}" for i in range(4)], "attn": [f"ra{i}" for i in range(4)]}
    n = 0
    for topic, word in (("quant", "quantization"), ("attn", "attention")):
        for i in range(7):
            pid = f"{topic}{i}"
            title = HOSTILE[n] if n < len(HOSTILE) else f"SYNTH {word} paper {i}"
            g.add_node(pid, title=title, year=2016 + i, citation_count=10 * i, venue="SYNTH venue",
                       authors=[f"SYNTH Author{i}", "<svg onload=alert(3)>"], is_seed=i == 0,
                       seed_section="SYNTH section" if i == 0 else None, abstract=f"About {word}. <i>x</i>",
                       doi=f"10.9999/synth.{pid}", influential_citation_count=i)
            n += 1
            for r in refs[topic][: 2 + i % 3]:
                g.add_edge(pid, r)
            if i > 0:
                g.add_edge(pid, f"{topic}0")
        for r in refs[topic]:
            g.add_node(r, title=f"SYNTH {word} reference {r}", year=2012, citation_count=100)
    return g, ["quant0", "attn0"]


@pytest.fixture(scope="module")
def map_file(tmp_path_factory):
    g, seeds = synthetic_map()
    analysis = analyse(g, seeds, top=30, min_similarity=0.2)
    path = tmp_path_factory.mktemp("map") / "synthetic.html"
    write_map_html(g, analysis, path, title="SYNTH <test> map")
    return path, g, analysis


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, map_file):
    path, _, _ = map_file
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10000)
    page.requests, page.errors, page.dialogs = [], [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    wait_until_settled(page)
    yield page
    context.close()


def visible(page):
    return set(page.evaluate("window.citegraph.visibleIds()"))


def test_loads_offline_with_no_request_and_no_error(page, map_file):
    path = map_file[0]
    assert page.requests == [path.as_uri()]
    assert page.errors == []
    assert page.title() == "SYNTH <test> map"


def test_draws_the_expected_nodes_and_edges(page, map_file):
    _, _, analysis = map_file
    assert page.evaluate("window.citegraph.network.body.nodeIndices.length") == len(analysis["nodes"])
    assert visible(page) == set(analysis["nodes"])
    assert page.evaluate("window.citegraph.network.body.edgeIndices.length") == len(analysis["edges"])


def click_node(page, paper_id):
    x, y = page.evaluate("""(id) => {
        const c = window.citegraph, key = c.keyOf(id);
        const p = c.network.canvasToDOM(c.network.getPositions([key])[key]);
        const r = document.getElementById('network').getBoundingClientRect();
        return [p.x + r.left, p.y + r.top];
    }""", paper_id)
    page.mouse.click(x, y)


def test_clicking_a_node_shows_its_card(page, map_file):
    _, g, _ = map_file
    click_node(page, "quant5")
    assert page.text_content("#card h2") == "SYNTH quantization paper 5"
    card = page.text_content("#card")
    assert "Why it is here" in card and "SYNTH venue" in card and "50 citations (5 influential)" in card
    assert page.get_attribute("#card a >> nth=0", "href") == "https://doi.org/10.9999/synth.quant5"


def test_clicking_a_list_row_selects_the_paper(page):
    page.click("tr.row:has-text('SYNTH attention paper 4')")
    assert page.text_content("#card h2") == "SYNTH attention paper 4"
    assert page.evaluate("window.citegraph.network.getSelectedNodes()") == \
        [page.evaluate("window.citegraph.keyOf('attn4')")]


def test_search_and_year_filter_hide_the_right_nodes(page, map_file):
    _, g, analysis = map_file
    page.fill("#search", "attention")
    expected = {n for n in analysis["nodes"] if "attention" in (g.nodes[n]["title"] or "").lower()}
    assert visible(page) == expected and expected
    page.fill("#search", "")
    page.fill("#year-min", "2019")
    assert visible(page) == {n for n in analysis["nodes"] if g.nodes[n]["year"] >= 2019}
    rows = page.eval_on_selector_all("tr.row", "rows => rows.length")
    assert rows == len(visible(page))


def test_cluster_filter_and_colour_switch(page, map_file):
    _, _, analysis = map_file
    mem = analysis["clusters"]["membership"]["cluster"]
    first = int(analysis["clusters"]["clusters"]["cluster"].iloc[0])
    page.select_option("#cluster-filter", str(first))
    assert visible(page) == {n for n in analysis["nodes"] if mem[n] == first}
    page.select_option("#colour-by", "cluster")
    assert page.eval_on_selector_all(".legend-cluster", "e => e.length") == len(analysis["clusters"]["clusters"])


def test_hostile_titles_run_nothing_and_show_as_text(page):
    for i, pid in enumerate(["quant0", "quant1", "quant2"]):
        page.evaluate("(id) => window.citegraph.select(window.citegraph.keyOf(id), false)", pid)
        assert page.text_content("#card h2") == " ".join(HOSTILE[i].split())  # shown with whitespace collapsed
    page.hover("tr.row >> nth=0")
    page.select_option("#view", "timeline")
    assert page.dialogs == []
    assert page.eval_on_selector_all("img, svg[onload], script:not([type])", "e => e.length") == 2  # our own scripts
    assert page.errors == []


def test_timeline_plots_every_visible_paper(page, map_file):
    _, g, analysis = map_file
    page.select_option("#view", "timeline")
    assert page.eval_on_selector_all("#timeline-svg circle", "c => c.length") == len(analysis["nodes"])
    page.click("#timeline-svg circle >> nth=3")
    assert page.text_content("#card h2")
    page.fill("#search", "quantization")
    n = len({x for x in analysis["nodes"] if "quantization" in g.nodes[x]["title"].lower()})
    assert page.eval_on_selector_all("#timeline-svg circle", "c => c.length") == n
