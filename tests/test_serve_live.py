"""serve's page feels live (real Chromium against the local S2 server): the layout survives a reload
and a second window, a new seed is highlighted and in view, the page says what entered and left the
map, "done" is said once the page shows it, and a seed that resolves to nothing changes nothing."""

from __future__ import annotations

import pytest

from test_serve import browser, dataset, map_ids, open_page, s2, served, wait_version  # noqa: F401 (fixtures)


def _positions(page) -> dict:
    return page.evaluate("""() => { const pos = window.citegraph.network.getPositions(), out = {};
        for (const [k, at] of Object.entries(pos)) out[window.citegraph.data.papers.find(p => p.key === k).id] = [at.x, at.y];
        return out; }""")


def test_positions_are_kept_across_reloads_and_windows(browser, served):  # noqa: F811
    a = open_page(browser, served)
    a.wait_for_selector("body[data-positions-saved]", state="attached")  # the layout reached the server
    first = _positions(a)
    status, kept = served.call("/api/positions")
    assert status == 200 and set(kept["positions"]) == set(first)
    b = open_page(browser, served)  # another window: same places, no new layout
    again = _positions(b)
    assert set(again) == set(first)
    for pid, (x, y) in first.items():
        assert again[pid] == pytest.approx([x, y], abs=0.5)


def test_positions_endpoint_refuses_what_is_not_a_position(served):  # noqa: F811
    for body in ({"positions": {"p": [1, "x"]}}, {"positions": {"p": [float("nan"), 1]}}, {"positions": [1, 2]},
                 {"positions": {"p": [1, 2, 3]}}):
        status, answer = served.call("/api/positions", body)
        assert status == 400, (body, answer)
    status, answer = served.call("/api/positions", {"positions": {"SYNTH-p": [1.5, -2]}})
    assert status == 200 and served.call("/api/positions")[1]["positions"]["SYNTH-p"] == [1.5, -2.0]


def test_a_new_seed_is_highlighted_in_view_and_the_page_says_what_changed(browser, served, dataset):  # noqa: F811
    page = open_page(browser, served)
    before = map_ids(page)
    page.fill("#live-add", "2101.00010")
    page.click("#live-add-button")
    wait_version(page, 2)
    new = dataset.pid_of(10)
    after = map_ids(page)
    assert page.evaluate("window.citegraph.state.selected") == new  # highlighted: selected, its card open
    assert page.get_attribute("#card", "data-id") == new
    box = page.locator("#network").bounding_box()
    x, y = page.evaluate("(k) => { const p = window.citegraph.network.getPositions([k])[k]; "
                         "return Object.values(window.citegraph.network.canvasToDOM(p)); }", new)
    assert 0 <= x <= box["width"] and 0 <= y <= box["height"]  # brought into view
    changes = page.evaluate("window.citegraph.live.changes")
    assert set(changes["entered"]) == after - before and set(changes["left"]) == before - after
    text = page.text_content("#live-changes")
    assert (f"{len(after - before)} entered the map" in text) if after - before else "same papers" in text
    assert "done" in page.text_content("#live-progress")  # said once the map is drawn


def test_done_is_said_only_when_the_page_shows_the_map(browser, served):  # noqa: F811
    page = open_page(browser, served)
    page.evaluate("""() => { window.__log = []; const prog = document.getElementById('live-progress');
        new MutationObserver(() => window.__log.push([prog.textContent, document.body.dataset.version]))
            .observe(prog, {childList: true, characterData: true, subtree: true}); }""")
    page.fill("#live-add", "2101.00012")
    page.click("#live-add-button")
    wait_version(page, 2)
    log = page.evaluate("window.__log")
    done = [v for text, v in log if ": done" in text]
    assert done and all(v == "2" for v in done), log  # never "done" while the old map was on show


def test_a_seed_that_resolves_to_nothing_changes_nothing(browser, served):  # noqa: F811
    page = open_page(browser, served)
    version = page.get_attribute("body", "data-version")
    before = map_ids(page)
    status, answer = served.call("/api/seeds", {"add": ["SYNTH no such paper anywhere"]})
    assert status == 200 and "not added" in answer["message"]
    assert answer["progress"]["version"] == int(version)  # no new map: nothing to redraw
    assert map_ids(page) == before and page.get_attribute("body", "data-version") == version
