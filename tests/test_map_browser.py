"""The HTML map in a real browser: headless Chromium driven by playwright, from file://."""

import networkx as nx
import pytest

from graph.analysis import analyse
from graph.render import write_map_html
from graph.testing.browser import launch, need_chromium, wait_until_settled
from synthetic_maps import HOSTILE, synthetic_map  # shared with test_export

# without Chromium these tests skip on a developer's machine, and fail in CI (CI=true), which has it
pytestmark = pytest.mark.usefixtures("chromium")


@pytest.fixture(scope="module")
def chromium():
    need_chromium()


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
    assert page.evaluate("window.citegraph.network.body.nodeIndices.length") == len(analysis.nodes)
    assert visible(page) == set(analysis.nodes)
    assert page.evaluate("window.citegraph.network.body.edgeIndices.length") == len(analysis.edges)


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
    expected = {n for n in analysis.nodes if "attention" in (g.nodes[n]["title"] or "").lower()}
    assert visible(page) == expected and expected
    page.fill("#search", "")
    page.fill("#year-min", "2019")
    assert visible(page) == {n for n in analysis.nodes if g.nodes[n]["year"] >= 2019}
    rows = page.eval_on_selector_all("tr.row", "rows => rows.length")
    assert rows == len(visible(page))


def test_cluster_filter_and_colour_switch(page, map_file):
    _, _, analysis = map_file
    mem = analysis.clusters.membership["cluster"]
    first = int(analysis.clusters.table["cluster"].iloc[0])
    page.select_option("#cluster-filter", str(first))
    assert visible(page) == {n for n in analysis.nodes if mem[n] == first}
    page.select_option("#colour-by", "cluster")
    assert page.eval_on_selector_all(".legend-cluster", "e => e.length") == len(analysis.clusters.table)


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
    assert page.eval_on_selector_all("#timeline-svg circle", "c => c.length") == len(analysis.nodes)
    page.click("#timeline-svg circle >> nth=3")
    assert page.text_content("#card h2")
    page.fill("#search", "quantization")
    n = len({x for x in analysis.nodes if "quantization" in g.nodes[x]["title"].lower()})
    assert page.eval_on_selector_all("#timeline-svg circle", "c => c.length") == n


# --- the map at Connected Papers' level -----------------------------------------------------------

def node_state(page):
    return page.evaluate("""() => {
        const c = window.citegraph;
        return c.nodes.get().map(n => ({key: n.id, id: c.data.papers.find(p => p.key === n.id).id,
            label: n.label, opacity: n.opacity === undefined ? 1 : n.opacity,
            fill: n.color.background, border: n.color.border, width: n.borderWidth}));
    }""")


def dom_position(page, key):
    return page.evaluate("""(key) => {
        const c = window.citegraph, p = c.network.canvasToDOM(c.network.getPositions([key])[key]);
        const r = document.getElementById('network').getBoundingClientRect();
        return [p.x + r.left, p.y + r.top];
    }""", key)


def inside_network(page, key):
    x, y = dom_position(page, key)
    box = page.locator("#network").bounding_box()
    return box["x"] <= x <= box["x"] + box["width"] and box["y"] <= y <= box["y"] + box["height"]


def test_every_node_has_a_label_legible_at_the_default_zoom(page, map_file):
    _, g, analysis = map_file
    labels = {n["id"]: n["label"] for n in node_state(page)}
    assert set(labels) == set(analysis.nodes)
    for pid, label in labels.items():
        d = g.nodes[pid]
        if d.get("authors"):
            assert label == f"{d['authors'][0].split()[-1]} {d['year']}"
        else:  # no authors: the title's name before its colon or its most distinctive words, and the year
            assert label.endswith(f" {d['year']}") and len(label) <= 40
            words = label[: -len(f" {d['year']}")].split()
            assert words and all(w in d["title"] for w in words)
    # the font is drawn at about 11 px on screen, whatever the zoom the layout ends at
    px = page.evaluate("() => window.citegraph.network.getScale() * "
                       "window.citegraph.network.body.nodes[window.citegraph.keyOf('quant3')].options.font.size")
    assert px >= 10
    start = page.evaluate("window.citegraph.network.getScale()")
    box = page.locator("#network").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(14):  # zoom out with the wheel, as a reader does
        page.mouse.wheel(0, 400)
    page.wait_for_timeout(300)
    assert page.evaluate("window.citegraph.network.getScale()") < start / 3
    px = page.evaluate("() => window.citegraph.network.getScale() * "
                       "window.citegraph.network.body.nodes[window.citegraph.keyOf('quant3')].options.font.size")
    assert px >= 10


def test_year_colours_use_the_maps_years_and_the_legend_shows_them(page, map_file):
    _, g, analysis = map_file
    state = node_state(page)
    by_year = {}
    for n in state:
        by_year.setdefault(g.nodes[n["id"]]["year"], set()).add(n["fill"])
    assert all(len(f) == 1 for f in by_year.values())          # one colour per year
    assert len({f for fs in by_year.values() for f in fs}) == len(by_year)  # and a different one each
    legend = page.eval_on_selector_all(".legend-year", "e => e.map(s => [s.textContent, s.firstChild.style.background])")
    assert len(legend) >= 3
    fills = {str(y): next(iter(f)) for y, f in by_year.items()}
    for year, background in legend:
        r, gg, b = (int(v) for v in background[background.index("(") + 1:-1].split(","))
        assert fills[year] == f"#{r:02x}{gg:02x}{b:02x}"


def test_the_seed_mark_is_distinct_from_every_fill_in_every_colouring(page):
    from contrast import contrast_ratio

    for colouring in ("year", "cluster"):
        page.select_option("#colour-by", colouring)
        state = node_state(page)
        seeds = [n for n in state if n["width"] >= 3]
        assert len(seeds) == 2
        rings = {n["border"] for n in seeds}
        assert len(rings) == 1
        ring = rings.pop()
        assert all(contrast_ratio(ring, n["fill"]) >= 3 for n in state), colouring
        # and no other paper wears it
        assert all(n["border"] != ring for n in state if n["width"] < 3)


def test_hover_highlights_the_neighbourhood_dims_the_rest_and_leaves_with_the_pointer(page, map_file):
    key = page.evaluate("window.citegraph.keyOf('quant5')")
    near = set(page.evaluate("(k) => window.citegraph.network.getConnectedNodes(k)", key)) | {key}
    page.mouse.move(*dom_position(page, key))
    page.wait_for_timeout(300)
    state = {n["key"]: n["opacity"] for n in node_state(page)}
    assert all(state[k] == 1 for k in near)
    assert all(state[k] < 0.5 for k in state if k not in near) and len(state) > len(near)
    assert page.is_visible("#tooltip") and page.text_content("#tooltip") == "SYNTH quantization paper 5 (2021)"
    edge_colours = page.evaluate("""(k) => window.citegraph.edges.get().map(e => [e.from === k || e.to === k, e.color.color])""", key)
    on = {c for incident, c in edge_colours if incident}
    off = {c for incident, c in edge_colours if not incident}
    assert len(on) == 1 and on.isdisjoint(off)
    # the pointer jumps out of the graph, straight onto the side panel: tooltip and dimming go
    box = page.locator("#filters").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.wait_for_timeout(200)
    assert not page.is_visible("#tooltip")
    assert all(n["opacity"] == 1 for n in node_state(page))


def test_a_click_keeps_the_highlight_until_the_background_is_clicked(page):
    key = page.evaluate("window.citegraph.keyOf('attn3')")
    click_node(page, "attn3")
    page.mouse.move(5, 5)
    near = set(page.evaluate("(k) => window.citegraph.network.getConnectedNodes(k)", key)) | {key}
    state = {n["key"]: n["opacity"] for n in node_state(page)}
    assert all(state[k] == 1 for k in near) and any(v < 0.5 for v in state.values())
    # an empty spot of the canvas: far from every node
    box = page.locator("#network").bounding_box()
    page.evaluate("() => window.citegraph.fitView(null)")
    page.mouse.click(box["x"] + 3, box["y"] + box["height"] - 3)
    assert all(n["opacity"] == 1 for n in node_state(page))
    assert page.evaluate("window.citegraph.network.getSelectedNodes()") == []


def test_search_zooms_to_the_matches(page, map_file):
    _, g, analysis = map_file
    before = page.evaluate("window.citegraph.network.getScale()")
    page.fill("#search", "quantization paper 6")
    matches = [n for n in analysis.nodes if "quantization paper 6" in g.nodes[n]["title"]]
    assert len(matches) == 1
    after = page.evaluate("window.citegraph.network.getScale()")
    assert after > before * 1.2
    key = page.evaluate("(id) => window.citegraph.keyOf(id)", matches[0])
    x, y = dom_position(page, key)
    box = page.locator("#network").bounding_box()
    # the match sits in the middle of the view
    assert abs(x - (box["x"] + box["width"] / 2)) < 40 and abs(y - (box["y"] + box["height"] / 2)) < 40


def test_fit_view_button_brings_every_paper_back(page, map_file):
    _, _, analysis = map_file
    page.evaluate("() => window.citegraph.network.moveTo({position: {x: 5000, y: 5000}, scale: 3})")
    keys = [page.evaluate("(id) => window.citegraph.keyOf(id)", n) for n in analysis.nodes]
    assert not any(inside_network(page, k) for k in keys)
    page.click("#fit")
    assert all(inside_network(page, k) for k in keys)


def timeline_points(page):
    return page.eval_on_selector_all("#timeline-svg circle", """cs => cs.map(c => ({
        key: c.dataset.id, x: +c.getAttribute('cx'), y: +c.getAttribute('cy'), r: +c.getAttribute('r')}))""")


def test_timeline_has_a_labelled_y_axis_log_scales_and_no_complete_overlaps(page, map_file):
    _, g, analysis = map_file
    page.select_option("#view", "timeline")
    for score in ("relatedness", "pagerank", "citations"):
        page.select_option("#timeline-score", score)
        ticks = page.eval_on_selector_all("#timeline-svg text.y-tick:not(.seed-band)",
                                          "ts => ts.map(t => [t.textContent, +t.getAttribute('y')])")
        assert len(ticks) >= 2, score
        values = [float(t.replace(",", "")) for t, _ in ticks]
        ys = [y for _, y in ticks]
        assert ys == sorted(ys, reverse=True) and values == sorted(values)  # up is more
        if score in ("pagerank", "citations"):
            # log scale: ticks a decade apart, equally spaced
            for a, b in zip(values[1:], values[2:]):
                assert b == pytest.approx(10 * a)
        pts = timeline_points(page)
        assert len(pts) == len(analysis.nodes)
        for i, a in enumerate(pts):
            for b in pts[i + 1:]:
                # they may touch, but never cover each other
                assert ((a["x"] - b["x"]) ** 2 + (a["y"] - b["y"]) ** 2) ** 0.5 >= 0.8 * max(a["r"], b["r"]), score


def test_timeline_places_the_seeds_in_their_own_band(page, map_file):
    _, _, analysis = map_file
    page.select_option("#view", "timeline")
    seed_keys = {page.evaluate("(id) => window.citegraph.keyOf(id)", s) for s in analysis.seeds}
    pts = timeline_points(page)
    band = page.eval_on_selector_all("#timeline-svg text.seed-band", "ts => ts.map(t => +t.getAttribute('y'))")
    assert len(band) == 1
    seeds = [p for p in pts if p["key"] in seed_keys]
    others = [p for p in pts if p["key"] not in seed_keys]
    assert all(abs(p["y"] - band[0]) < 12 for p in seeds)
    assert min(p["y"] for p in others) > max(p["y"] for p in seeds) + 6
    # the rest of the plot is used: the non-seed points span most of the height below the band
    svg_h = page.eval_on_selector("#timeline-svg", "s => +s.getAttribute('height')")
    spread = max(p["y"] for p in others) - min(p["y"] for p in others)
    assert spread > 0.5 * svg_h


def test_card_folds_a_long_why_list_and_keeps_the_filters_on_screen(browser, tmp_path):
    # a SYNTH paper sharing references with eight seeds: eight "why" lines
    g = nx.DiGraph()
    for i in range(8):
        g.add_node(f"s{i}", title=f"SYNTH seed {i} " + "with a long title " * 4, year=2015 + i, is_seed=True,
                   authors=[f"SYNTH Seed{i}"], abstract="SYNTH abstract. " * 80, seed_section=f"SYNTH section {i}")
        for r in range(4):
            g.add_edge(f"s{i}", f"r{r}")
    g.add_node("x", title="SYNTH paper x", year=2023, authors=["SYNTH Ex"], abstract="SYNTH words. " * 100)
    for r in range(4):
        g.add_edge("x", f"r{r}")
        g.nodes[f"r{r}"].update(title=f"SYNTH reference {r}", year=2010)
    seeds = [f"s{i}" for i in range(8)]
    analysis = analyse(g, seeds, top=10)
    path = write_map_html(g, analysis, tmp_path / "why.html", title="SYNTH why")
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(path.as_uri())
    wait_until_settled(page)
    page.evaluate("() => window.citegraph.select(window.citegraph.keyOf('x'), false)")
    items = page.locator("#card ul.why li")
    assert items.count() >= 8
    shown = [items.nth(i).is_visible() for i in range(items.count())]
    assert shown == [True] * 5 + [False] * (len(shown) - 5)
    assert page.is_visible("#filters") and page.locator("#search").bounding_box()["y"] < 720 - 30
    page.click("#why-more")
    assert all(items.nth(i).is_visible() for i in range(items.count()))
    texts = [items.nth(i).inner_text() for i in range(items.count())]
    # the walk and text evidence behind relatedness are said too, with the analysis's own numbers
    walk = analysis.table.loc["x", "walk"]
    assert any(t.startswith("random walk from the seeds") and f"{walk:.1f}×" in t for t in texts)
    assert any(t.startswith("text match with the seeds") for t in texts)
    # a seed's card (long title and abstract) leaves the filters on screen too
    page.evaluate("() => window.citegraph.select(window.citegraph.keyOf('s0'), false)")
    box = page.locator("#search").bounding_box()
    assert box["y"] + box["height"] < 720
    context.close()


# --- readable at a glance: labels that do not cover each other, a timeline sized as its legend says ----------

def test_labels_shown_at_the_default_zoom_do_not_overlap(page, map_file):
    _, _, analysis = map_file
    shown = page.evaluate("window.citegraph.shownLabels()")
    assert len(shown) >= len(analysis.seeds)  # the seeds' labels at least are shown
    seed_keys = {page.evaluate("(id) => window.citegraph.keyOf(id)", s) for s in analysis.seeds}
    assert seed_keys <= {b["id"] for b in shown}
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            assert not (a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]), (a, b)
    # a label waiting for a closer zoom still shows when its paper is pointed at
    hidden = {k["key"] for k in node_state(page)} - {b["id"] for b in shown}
    if hidden:
        key = sorted(hidden)[0]
        page.evaluate("(k) => window.citegraph.select(k, false)", key)
        font = page.evaluate("(k) => window.citegraph.nodes.get(k).font.color", key)
        assert font == "#222222"


def test_timeline_dots_grow_with_citations_and_the_most_cited_are_named(page, map_file):
    _, g, analysis = map_file
    page.select_option("#view", "timeline")
    pts = {p["key"]: p for p in timeline_points(page)}
    data = {p["key"]: p for p in page.evaluate("window.citegraph.data.papers")}
    plain = sorted((data[k]["citations"] or 0, p["r"]) for k, p in pts.items() if not data[k]["is_seed"])
    assert plain[0][1] < plain[-1][1]  # the most cited dot is larger than the least cited
    assert [r for _, r in plain] == sorted(r for _, r in plain)  # size follows citations
    named = page.eval_on_selector_all("#timeline-svg text.tl-label", "ts => ts.map(t => t.dataset.id)")
    most = sorted(data, key=lambda k: -(data[k]["citations"] or 0))[:len(named)]
    assert named and set(named) == set(most)


def test_search_with_a_selection_shows_the_matches_and_the_status_counts_them(page, map_file):
    _, g, analysis = map_file
    first = analysis.nodes[0]
    page.evaluate("(id) => window.citegraph.select(window.citegraph.keyOf(id), false)", first)
    word = g.nodes[analysis.nodes[-1]]["title"].split()[0]
    page.fill("#search", word)
    shown = visible(page)
    assert 0 < len(shown) < len(analysis.nodes)
    faded = {s["id"] for s in node_state(page) if s["opacity"] < 1}
    assert not faded & shown  # the matches are in full view, not greyed out by the selection
    status = page.text_content("#status")
    assert status.startswith(f"{len(shown)} of {len(analysis.nodes)} papers shown"), status
    page.fill("#search", "")
    assert page.text_content("#status").startswith(f"{len(analysis.nodes)} papers")
