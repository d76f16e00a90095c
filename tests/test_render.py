"""What the map shows, computed before any browser: labels, display titles, colours."""

import networkx as nx
import pytest

from graph.analysis import analyse
from graph.colours import CLUSTER_PALETTE, OTHER_CLUSTER, SEED_MARK, cluster_colour, year_colours
from graph.export import bibtex, papers_table
from graph.render import map_data, short_label
from graph.text import display_title

from contrast import contrast_ratio


def latex_map():
    g = nx.DiGraph()
    raw = {"a": "Attention  with $O(n^2)$ cost", "b": "Flash\\textbf{Attention}:  fast\n attention",
           "c": "Plain title", "d": "Q&A at 50% of the $\\alpha$ budget"}
    for i, (pid, title) in enumerate(raw.items()):
        g.add_node(pid, title=title, year=2019 + i, authors=[f"SYNTH Author{i}"] if pid != "d" else [],
                   is_seed=pid == "a", citation_count=3)
    for pid in "bcd":
        g.add_edge(pid, "r1"); g.add_edge(pid, "r2")
    g.add_edge("a", "r1"); g.add_edge("a", "r2")
    for r in ("r1", "r2"):
        g.nodes[r].update(title=f"SYNTH ref {r}", year=2010)
    return g, raw


def test_titles_are_shown_clean_and_exported_raw():
    g, raw = latex_map()
    analysis = analyse(g, ["a"], top=10)
    data = map_data(g, analysis, "SYNTH")
    shown = {p["id"]: p["title"] for p in data["papers"]}
    assert shown["a"] == "Attention with O(n^2) cost"
    assert shown["b"] == "FlashAttention: fast attention"
    assert shown["d"] == "Q&A at 50% of the α budget"
    assert data["seeds"][0]["title"] == "Attention with O(n^2) cost"
    # exports keep the text as the source gave it
    table = papers_table(g).set_index("paper_id")
    assert table.loc["a", "title"] == raw["a"] and table.loc["b", "title"] == raw["b"]
    assert "$O(n^2)$" in bibtex(g, ["a"])


@pytest.mark.parametrize("text", ["", "   ", "$", "\\", "{", "50% & 20%", "$x$ and \\unknowncommand{y}"])
def test_display_title_never_fails_and_never_doubles_spaces(text):
    out = display_title(text)
    assert isinstance(out, str) and "  " not in out and out == out.strip()


def test_every_paper_gets_a_label_surname_and_year_or_a_short_title():
    g, _ = latex_map()
    data = map_data(g, analyse(g, ["a"], top=10), "SYNTH")
    labels = {p["id"]: p["label"] for p in data["papers"]}
    assert labels["a"] == "Author0 2019" and labels["b"] == "Author1 2020"
    assert labels["d"].endswith(" 2022") and len(labels["d"]) <= 32 and "$" not in labels["d"]
    assert short_label({"authors": ["Vaswani, Ashish"], "year": 2017}) == "Vaswani 2017"


def test_year_colours_spread_over_quantiles_not_the_range():
    # one old paper and many recent ones: a linear ramp over 1990..2023 paints 2019..2023 nearly alike
    years = [1990] + [2019] * 10 + [2020] * 10 + [2021] * 10 + [2022] * 10 + [2023] * 10
    colours = year_colours(years)
    recent = [colours[y] for y in range(2019, 2024)]
    assert len(set(recent)) == 5
    # neighbouring recent years differ clearly (luminance contrast), the ramp is ordered light -> dark
    lum = [contrast_ratio(c, "#000000") for c in recent]
    assert lum == sorted(lum, reverse=True)
    assert min(a / b for a, b in zip(lum, lum[1:])) > 1.08


def test_the_seed_mark_stands_out_on_every_fill():
    fills = set(CLUSTER_PALETTE) | {OTHER_CLUSTER} | set(year_colours(range(1950, 2030)).values())
    assert min(contrast_ratio(SEED_MARK, c) for c in fills) >= 3.0
    assert cluster_colour(3) == CLUSTER_PALETTE[3]


def test_labels_without_authors_name_what_sets_each_title_apart():
    # SYNTHETIC titles that all start alike: their first words would label them all "Training…"
    import networkx as nx

    from graph.render import map_labels

    g = nx.DiGraph()
    titles = {"a": "Training compute-optimal large language models", "b": "Training language models to follow "
              "instructions with human feedback", "c": "Training verifiers to solve math word problems",
              "d": "Training deep nets with sublinear memory cost"}
    for n, t in titles.items():
        g.add_node(n, title=t, year=2022)
    labels = map_labels(g, list(g))
    assert len(set(labels.values())) == len(labels)  # every label tells its paper apart
    assert not any(label.startswith("Training") for label in labels.values())  # "Training" says nothing here
    for n, label in labels.items():
        assert label.endswith(" 2022") and all(w in titles[n] for w in label.split()[:-1])
