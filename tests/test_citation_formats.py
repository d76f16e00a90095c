"""RIS and CSL-JSON exports: parsed back with rispy and json, every field compared; read back as seeds."""

import json

import networkx as nx
import rispy
from click.testing import CliRunner
from hypothesis import assume, given, settings, strategies as st

from graph.analysis import analyse
from graph.citation_formats import csl_json_text, references, ris_text, split_name
from graph.cli import cli
from graph.expansion import ExpansionResult
from graph.pipeline import MapRun, bibtex_selection, write_map
from graph.seeds import SeedList
from graph.seeds_zotero import parse_csl_json, parse_ris
from graph.testing.s2_server import S2Dataset, S2TestServer

from synthetic_maps import synthetic_map


def sample_graph():
    g = nx.DiGraph()
    g.add_node("1111111111111111111111111111111111111111", title="SYNTH attention\nacross  lines",
               year=2017, authors=["Ashish SYNTH", "Müller, Zoë", "Ludwig van SYNTH"], venue="SYNTH Conference",
               doi="10.9999/synth.1", arxiv_id="1706.03762", abstract="SYNTH abstract.\n\nSecond paragraph.",
               is_seed=True, seed_section="Basics / Attention",
               # the links a source fills (graph.model.PaperLinks): its own page wins over arXiv's
               links={"page": "https://www.semanticscholar.org/paper/1111111111111111111111111111111111111111",
                      "arxiv": "https://arxiv.org/abs/1706.03762", "doi": "https://doi.org/10.9999/synth.1"})
    g.add_node("CorpusId:2", title="SYNTH preprint\nER  - \nTY  - JOUR", year=2023, authors=["Mononym"],
               arxiv_id="2301.00002")
    g.add_node("CorpusId:3", title="SYNTH with DOI only", doi="10.9999/synth.3", authors=[])
    g.add_node("CorpusId:4", title=None)  # no title: not exported
    return g


NOTES = {"CorpusId:2": "new since 2026-01-01; cited together with 1 seed by 3 papers"}


def _expected(g):
    return references(g, notes=NOTES)


def _ris_fields(r):
    """What rispy gives back for one reference the RIS writer wrote."""
    out = {"type_of_reference": "JOUR" if r["venue"] else "GEN", "id": r["key"], "title": r["title"]}
    if r["authors"]:
        out["authors"] = [f"{fam}, {giv}" if giv else fam for giv, fam in r["authors"]]
    if r["year"] is not None:
        out["year"] = str(r["year"])
    if r["venue"]:
        out["secondary_title"] = r["venue"]
    if r["doi"]:
        out["doi"] = r["doi"]
    if r["url"]:
        out["urls"] = [r["url"]]
    if r["abstract"]:
        out["abstract"] = r["abstract"]
    out["notes"] = ([f"arXiv:{r['arxiv_id']}"] if r["arxiv_id"] else []) + [r["note"]]
    return out


def test_ris_round_trip_every_field():
    g = sample_graph()
    expected = _expected(g)
    back = rispy.loads(ris_text(g, notes=NOTES))
    assert back == [_ris_fields(r) for r in expected]
    assert [r["title"] for r in back] == ["SYNTH attention across lines", "SYNTH preprint ER - TY - JOUR",
                                         "SYNTH with DOI only"]
    assert back[0]["authors"] == ["SYNTH, Ashish", "Müller, Zoë", "van SYNTH, Ludwig"]
    assert back[0]["urls"] == ["https://www.semanticscholar.org/paper/1111111111111111111111111111111111111111"]
    assert back[0]["notes"][1] == "Seed of a citegraph map (section: Basics / Attention)."
    assert back[1]["notes"] == ["arXiv:2301.00002", NOTES["CorpusId:2"]]


def test_csl_json_round_trip_every_field():
    g = sample_graph()
    items = json.loads(csl_json_text(g, notes=NOTES))
    for item, r in zip(items, _expected(g), strict=True):
        assert item["id"] == item["citation-key"] == r["key"]
        assert item["title"] == r["title"]
        assert [(a.get("given", ""), a["family"]) for a in item.get("author", [])] == r["authors"]
        assert item.get("issued") == ({"date-parts": [[r["year"]]]} if r["year"] else None)
        assert item.get("container-title") == r["venue"]
        assert item.get("DOI") == r["doi"] and item.get("URL") == r["url"]
        assert item.get("abstract") == r["abstract"]
        arxiv = [f"arXiv: {r['arxiv_id']}"] if r["arxiv_id"] else []
        assert item["note"].split("\n") == arxiv + [r["note"]]
        assert item.get("number") == (f"arXiv:{r['arxiv_id']}" if r["arxiv_id"] and not r["venue"] else None)
        assert item["type"] == ("article-journal" if r["venue"] else "article")


def test_exports_read_back_as_the_same_seeds():
    g = sample_graph()
    want = ["arxiv:1706.03762", "arxiv:2301.00002", "doi:10.9999/synth.3"]
    assert [str(s.pid) for s in parse_ris(ris_text(g), "m.ris").seeds] == want
    assert [str(s.pid) for s in parse_csl_json(csl_json_text(g), "m.csl.json").seeds] == want


def test_names_split_as_zotero_wants_them():
    assert split_name("Tri Dao") == ("Tri", "Dao")
    assert split_name("Dao, Tri") == ("Tri", "Dao")
    assert split_name("Mononym") == ("", "Mononym")
    assert split_name("Jean de la SYNTH") == ("Jean", "de la SYNTH")


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.fixed_dictionaries({"title": text, "authors": st.lists(text, max_size=3),
                                       "venue": st.one_of(st.none(), text), "abstract": st.one_of(st.none(), text),
                                       "doi": st.one_of(st.none(), text),
                                       "year": st.one_of(st.none(), st.integers(1800, 2100))}),
                min_size=1, max_size=6))
def test_any_text_round_trips_through_both_formats(papers):
    g = nx.DiGraph()
    for i, p in enumerate(papers):
        g.add_node(f"CorpusId:{i}", **p)
    expected = references(g)
    assume(expected)
    assert rispy.loads(ris_text(g)) == [_ris_fields(r) for r in expected]
    items = json.loads(csl_json_text(g))
    assert [(i["id"], i["title"], i.get("abstract"), i.get("DOI")) for i in items] == \
        [(r["key"], r["title"], r["abstract"], r["doi"]) for r in expected]


def test_write_map_writes_ris_and_csl_json_of_the_chosen_papers(tmp_path):
    g, seeds = synthetic_map()
    g.graph["seeds"] = seeds
    run = MapRun(SeedList(), ExpansionResult(graph=g, seeds=[]))
    analysis = analyse(g, seeds, top=20)
    chosen = bibtex_selection(analysis, top=3)
    files = write_map(run, tmp_path, "m", analysis, formats=["ris", "csl-json"], bib_nodes=chosen)
    assert set(files) == {"ris", "csl_json"}
    assert files["ris"].name == "m.ris" and files["csl_json"].name == "m.csl.json"
    ris = rispy.loads(files["ris"].read_text(encoding="utf-8"))
    items = json.loads(files["csl_json"].read_text(encoding="utf-8"))
    titles = [g.nodes[p]["title"] for p in chosen if g.nodes[p].get("title")]
    assert [r["title"] for r in ris] == [i["title"] for i in items] == [" ".join(t.split()) for t in titles]
    non_seed = next(i for i, p in zip(items, chosen) if p not in seeds)
    assert non_seed["note"].split("\n")[-1].startswith("On the citegraph map m; relatedness ")


def test_export_command_writes_ris_and_csl_json_of_the_top_papers(tmp_path):
    ds = S2Dataset.synthetic(8, [(2, 0), (3, 0), (3, 1), (4, 1), (5, 0), (5, 1), (6, 2)])
    with S2TestServer(ds) as server:
        res = CliRunner().invoke(cli, ["export", "arXiv:2101.00000", "arXiv:2101.00001", "--format", "ris,csl-json",
                                       "--bib-top", "2", "--out", str(tmp_path), "--name", "z", "--api-url",
                                       server.url, "--rate", "0", "--store", str(tmp_path / "s.db"), "-q"])
    assert res.exit_code == 0, res.output
    ris = rispy.loads((tmp_path / "z.ris").read_text(encoding="utf-8"))
    items = json.loads((tmp_path / "z.csl.json").read_text(encoding="utf-8"))
    assert len(ris) == len(items) == 4
    assert [r["doi"] for r in ris] == [i["DOI"] for i in items]
    assert {r["doi"] for r in ris} >= {"10.9999/synth.0", "10.9999/synth.1"}
    assert all("arXiv:2101." in " ".join(r["notes"]) for r in ris)
