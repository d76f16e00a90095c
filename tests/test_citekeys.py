"""Citation keys: readable, ASCII, unique, the same every run; every BibTeX file parses back whole."""

import random
import re

import bibtexparser
import networkx as nx
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from graph.citekeys import citation_key_base, citation_keys, surname, title_word
from graph.cli import cli
from graph.export import bibtex
from graph.testing.s2_server import S2Dataset, S2TestServer


def test_keys_are_surname_year_and_first_significant_title_word():
    assert citation_key_base({"authors": ["Ashish Vaswani"], "year": 2017,
                              "title": "Attention Is All You Need"}) == "vaswani2017attention"
    assert citation_key_base({"authors": ["Dao, Tri"], "year": 2022,
                              "title": "FlashAttention: Fast and Memory-Efficient Exact Attention"}) \
        == "dao2022flashattention"
    # no author: the title word leads; neither: a placeholder with the year
    assert citation_key_base({"title": "The SYNTH Handbook", "year": 2020}) == "synth2020"
    assert citation_key_base({"year": 2020}) == "paper2020"


def test_keys_are_plain_ascii_whatever_the_names():
    assert surname("Jürgen Schmidhuber") == "schmidhuber"
    assert surname("Łukasz Kaiser") == "kaiser"
    assert citation_key_base({"authors": ["Müller, Zoë"], "year": 2021, "title": "Über SYNTH"}) == "muller2021uber"
    assert citation_key_base({"authors": ["张伟"], "year": 2023, "title": "大模型 SYNTH"}).isascii()
    assert title_word("$O(n^2)$ SYNTH attention") == "synth"


def _colliding():
    # five papers with one base key, one with another, in a scrambled order
    same = [(f"CorpusId:{n}", {"authors": ["SYNTH Author"], "year": 2020, "title": f"SYNTH study part {n}"})
            for n in (22, 21, 2, 20, 23)]
    return same + [("CorpusId:3", {"authors": ["Other Person"], "year": 2019, "title": "SYNTH other"})]


def test_colliding_keys_get_a_b_c_in_a_stable_order_the_same_on_every_run():
    items = _colliding()
    keys = citation_keys(dict(items))
    assert sorted(keys.values()) == ["author2020synth" + c for c in "abcde"] + ["person2019synth"]
    # title order decides within one base key: "part 2" < "part 20" < "part 21" < …
    assert keys["CorpusId:2"] == "author2020syntha" and keys["CorpusId:23"] == "author2020synthe"
    for seed in range(5):
        shuffled = items[:]
        random.Random(seed).shuffle(shuffled)
        assert citation_keys(dict(shuffled)) == keys


def test_a_suffixed_key_never_takes_a_key_another_paper_has():
    papers = {"x": {"title": "Attention", "year": 2020}, "y": {"title": "Attention", "year": 2020},
              "z": {"title": "Attentiona", "year": 2020}}
    keys = citation_keys(papers)
    assert len(set(keys.values())) == 3


paper_st = st.fixed_dictionaries({
    "title": st.one_of(st.none(), st.text(max_size=30)),
    "year": st.one_of(st.none(), st.integers(1900, 2030)),
    "authors": st.lists(st.text(max_size=15), max_size=3),
})


@settings(max_examples=80, deadline=None)
@given(st.lists(paper_st, min_size=1, max_size=25))
def test_keys_are_unique_ascii_and_independent_of_order(papers):
    items = {f"id{i}": p for i, p in enumerate(papers)}
    keys = citation_keys(items)
    assert len(set(keys.values())) == len(items)
    assert all(re.fullmatch(r"[a-z][a-z0-9]*", k) for k in keys.values()), keys
    assert citation_keys(dict(reversed(list(items.items())))) == keys


@settings(max_examples=60, deadline=None)
@given(st.lists(paper_st, min_size=1, max_size=20))
def test_every_bibtex_file_parses_back_with_no_failed_block(papers):
    g = nx.DiGraph()
    for i, p in enumerate(papers):
        g.add_node(f"CorpusId:{i}", **p)
    lib = bibtexparser.parse_string(bibtex(g))
    assert lib.failed_blocks == []
    assert len(lib.entries) == sum(1 for p in papers if p["title"])


def test_ids_that_made_one_old_key_get_distinct_keys():
    # the old keys were s2_ + 10 characters of the id: CorpusId:2, CorpusId:20… all s2_CorpusId_2
    g = nx.DiGraph()
    for n in (2, 20, 21, 22, 200):
        g.add_node(f"CorpusId:{n}", title=f"SYNTH title {n}", year=2023)
    lib = bibtexparser.parse_string(bibtex(g))
    assert lib.failed_blocks == [] and len({e.key for e in lib.entries}) == 5


def test_export_bib_top_where_every_paper_has_one_base_key(tmp_path):
    # one author, year and first title word for all: the command line's BibTeX still parses whole
    n = 30
    ds = S2Dataset.synthetic(n, [(i, 0) for i in range(1, n)] + [(i, 1) for i in range(2, n)])
    for i, pid in enumerate(list(ds.papers)):
        # every paper the same author and year, titles of one first word: a single base key
        ds.papers[pid].update(authors=[{"authorId": "1", "name": "SYNTH Writer"}], year=2021,
                              title=f"SYNTH result number {i}")
    with S2TestServer(ds) as server:
        res = CliRunner().invoke(cli, ["export", "arXiv:2101.00000", "arXiv:2101.00001", "--format", "bibtex",
                                       "--bib-top", "5", "--out", str(tmp_path), "--name", "top",
                                       "--api-url", server.url, "--rate", "0", "--store", str(tmp_path / "s.db"),
                                       "-q"])
    assert res.exit_code == 0, res.output
    lib = bibtexparser.parse_string((tmp_path / "top.bib").read_text(encoding="utf-8"))
    assert lib.failed_blocks == []
    keys = [e.key for e in lib.entries]
    assert len(keys) == 7 and len(set(keys)) == 7
    assert all(re.fullmatch(r"writer2021syntha?[a-z]*", k) for k in keys), keys
