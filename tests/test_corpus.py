"""Local corpora in DuckDB: imports (S2 bulk format, CSV) and maps built from them."""

import gzip
import re
import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from graph.cli import cli
from graph.sources.corpus_import import Corpus
from graph.sources.s2_import import import_s2
from graph.expansion import ExpansionOptions, expand
from graph.seeds import read_seeds
from graph.sources.corpus import CorpusSource
from graph.store import Store

from conftest import READING_LIST, import_csv_corpus


def write_jsonl_gz(path, lines):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def synth_paper(i, **extra):
    return json.dumps({"corpusid": 900000 + i, "externalids": {"ArXiv": f"2101.{i:05d}", "DOI": None},
                       "url": f"https://www.semanticscholar.org/paper/{i:040x}", "title": f"SYNTH paper {i}",
                       "authors": [{"authorId": "1", "name": f"SYNTH Author {i}"}], "venue": "SYNTH",
                       "year": 2010 + i % 10, "referencecount": 0, "citationcount": 0, **extra})


def synth_citation(a, b):
    return json.dumps({"citingcorpusid": str(900000 + a), "citedcorpusid": str(900000 + b),
                       "isinfluential": a % 2 == 0, "contexts": [f"SYNTH {a} cites {b}"], "intents": ["background"]})


def test_real_s2_samples_import_once_and_count_unmatched_citations_apart(s2_bulk_dir, tmp_path):
    with Corpus(tmp_path / "c.duckdb") as corpus:
        reports = {r.kind: r for r in import_s2(corpus, [s2_bulk_dir])}
        assert set(reports) == {"papers", "citations", "abstracts", "tldrs", "paper_ids"}
        assert reports["papers"].rows == 100 and reports["papers"].bad == 0
        cit = reports["citations"]
        # the real sample has references S2 did not match to a paper (null cited id): normal, not bad lines
        assert cit.rows + cit.unmatched == 100 and cit.unmatched > 0
        assert cit.bad == 0 and cit.bad_lines == []
        first = corpus.counts()
        again = import_s2(corpus, [s2_bulk_dir])
        assert all(r.skipped for r in again) and corpus.counts() == first
        row = corpus._one("SELECT title, sha, authors FROM papers WHERE corpusid = 108228682")
        assert row[0].startswith("Optimization, characterization") and row[1] == "d5ec1ea2c9261c54cf41fef1e5c9f2f8abe28ce2"
        assert row[2] == ["Raid D. Thanoon"]


def test_bad_lines_are_reported_and_the_rest_loads(tmp_path):
    shard = write_jsonl_gz(tmp_path / "papers-0.jsonl.gz", [synth_paper(0), "{not json", synth_paper(1), "",
                                                            json.dumps({"corpusid": None, "title": "x"}), synth_paper(2)])
    with Corpus(tmp_path / "c.duckdb") as corpus:
        (r,) = import_s2(corpus, [shard])
        assert r.rows == 3 and r.bad == 2
        assert [(b.line, b.reason) for b in r.bad_lines] == [(2, "not valid JSON"), (5, "no id field")]
        # the same rows in another shard are not added twice
        other = write_jsonl_gz(tmp_path / "papers-1.jsonl.gz", [synth_paper(1), synth_paper(3)])
        (r2,) = import_s2(corpus, [other])
        assert r2.rows == 1 and corpus.counts()["papers"] == 4


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.tuples(st.integers(0, 30), st.integers(0, 30)),
                          st.text(alphabet="{}[]\":,abc 1", max_size=12)), max_size=40))
def test_citation_import_accounts_for_every_line(tmp_path_factory, items):
    """Every non-empty line is either loaded or reported bad, at its own line number.
    (Junk drawn from this alphabet can never spell a citation record.)"""
    lines = [synth_citation(0, 1)]  # the first line tells the dataset
    bad = []
    for item in items:
        lines.append(synth_citation(*item) if isinstance(item, tuple) else item)
        if isinstance(item, str) and item != "":
            bad.append(len(lines))
    path = write_jsonl_gz(tmp_path_factory.mktemp("s") / "citations-0.jsonl.gz", lines)
    with Corpus(tmp_path_factory.mktemp("c") / "c.duckdb") as corpus:
        (r,) = import_s2(corpus, [path])
        assert corpus.counts()["citations"] == r.rows
    assert r.rows == 1 + sum(isinstance(i, tuple) for i in items)
    assert r.bad == len(bad)
    assert [b.line for b in r.bad_lines] == bad[:50]


@pytest.fixture(scope="module")
def arxiv_corpus(tmp_path_factory, arxiv_dir):
    path = tmp_path_factory.mktemp("corpus") / "arxiv.duckdb"
    with Corpus(path) as corpus:
        r = corpus.import_csv([arxiv_dir / "ids.csv.gz", arxiv_dir / "titles.csv.gz"], arxiv_dir / "edges.csv.gz",
                              title_column="titles", arxiv_column="ids")
        assert r.rows == 33868 + 305672 and r.bad == 0
        again = corpus.import_csv([arxiv_dir / "ids.csv.gz", arxiv_dir / "titles.csv.gz"],
                                  arxiv_dir / "edges.csv.gz", title_column="titles", arxiv_column="ids")
        assert again.skipped and corpus.counts()["papers"] == 33868
    return path


def test_csv_import_derives_years_and_keeps_only_arxiv_ids(arxiv_corpus):
    with Corpus(arxiv_corpus, read_only=True) as corpus:
        assert corpus._one("SELECT title, year, arxiv FROM papers WHERE corpusid = 0") == \
            ("Causal models in string diagrams", 2023, "2304.07638")
        assert corpus._one("SELECT count(*) FROM papers WHERE arxiv IS NOT NULL")[0] == 24394
        # citation counts of a CSV corpus are its own in-corpus counts
        assert corpus._one("SELECT citationcount FROM papers WHERE arxiv = '1706.03762'")[0] == \
            corpus._one("SELECT count(*) FROM citations c JOIN papers p ON p.corpusid = c.cited "
                        "WHERE p.arxiv = '1706.03762'")[0]


def test_map_from_the_corpus_equals_the_map_through_the_api(arxiv_corpus, arxiv_server, make_source, tmp_path):
    seeds = read_seeds([str(READING_LIST)]).seeds
    with Corpus(arxiv_corpus, read_only=True) as corpus, Store(":memory:") as store:
        source = CorpusSource(corpus)
        full = expand(seeds, store, source, ExpansionOptions(progress=False))
        # set-based SQL, not a query per paper: 1 + 2 for the 25 id seeds, 2 per title seed (exact, then
        # fuzzy), 1 for every seed's citations, 2 for the details and references of ~2,500 neighbours,
        # then 1 for the citers of all the seeds' references (coupling is on with a corpus) and 2 for
        # the details and references of the second-degree papers
        assert source.queries <= 15
        assert full.second_degree["coupled"] > 0
    with Corpus(arxiv_corpus, read_only=True) as corpus, Store(":memory:") as store:
        # coupling over the API is opt-in: without it both give the same graph (with room for every
        # candidate: at the --max-papers cap, ties are broken by paper id, and the ids differ)
        local = expand(seeds, store, CorpusSource(corpus),
                       ExpansionOptions(progress=False, coupled=False, max_papers=20_000))
    with Store(tmp_path / "s.sqlite") as store:
        api = expand(seeds, store, make_source(arxiv_server.url),
                     ExpansionOptions(progress=False, max_papers=20_000))
    key = lambda g: {(d.get("arxiv_id") or d.get("title")) for _, d in g.nodes(data=True)}
    assert key(local.graph) == key(api.graph)
    assert local.graph.number_of_edges() == api.graph.number_of_edges()
    assert {s.seed.input for s in local.unresolved} == {s.seed.input for s in api.unresolved}
    assert all("the corpus arxiv.duckdb" in s.reason for s in local.unresolved)
    assert local.requests == 0


def test_cli_import_and_map_with_corpus(tmp_path, arxiv_dir, s2_bulk_dir):
    runner = CliRunner()
    db = str(tmp_path / "c.duckdb")
    res = runner.invoke(cli, ["import", "csv", "--corpus", db, "--papers", str(arxiv_dir / "ids.csv.gz"),
                              "--papers", str(arxiv_dir / "titles.csv.gz"), "--edges", str(arxiv_dir / "edges.csv.gz"),
                              "--title-column", "titles", "--arxiv-column", "ids"])
    assert res.exit_code == 0, res.output
    assert "339,540 rows" in res.stdout and "33,868 papers" in res.stdout
    res = runner.invoke(cli, ["import", "csv", "--corpus", db, "--papers", str(arxiv_dir / "ids.csv.gz"),
                              "--edges", str(arxiv_dir / "edges.csv.gz"), "--title-column", "nope"])
    assert res.exit_code == 1 and "--title-column 'nope'" in res.stderr
    res = runner.invoke(cli, ["map", "arXiv:1706.03762", "arXiv:2205.14135", "--corpus", db, "--json", "-q",
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["seeds"]["resolved"] == 2 and info["papers"] > 300 and info["requests"] == 0
    res = runner.invoke(cli, ["import", "s2", str(s2_bulk_dir / "citations"), "--corpus", str(tmp_path / "s2.duckdb")])
    assert res.exit_code == 0 and "bad line" not in res.stdout
    assert "23 citations of papers S2 did not match (normal; not loaded)" in res.stdout


def test_an_interrupted_import_resumes_after_its_last_block(tmp_path):
    shard = write_jsonl_gz(tmp_path / "citations-0.jsonl.gz",
                           [synth_citation(i, (i * 7) % 50) for i in range(200)] + ["oops"])

    class Interrupted(Exception):
        pass

    def stop_after_two_blocks(report, rows):
        if rows > 60:
            raise Interrupted

    with Corpus(tmp_path / "c.duckdb", block_bytes=2000) as corpus:
        with pytest.raises(Interrupted):
            import_s2(corpus, [shard], progress=stop_after_two_blocks)
        partial = corpus.counts()["citations"]
        assert 0 < partial < 200
        (r,) = import_s2(corpus, [shard])
        assert r.rows == 200 - partial and r.bad == 1 and r.bad_lines[0].line == 201
        assert corpus.counts()["citations"] == 200
        assert corpus._one("SELECT count(*) FROM (SELECT DISTINCT citing, cited FROM citations)")[0] == 200


def test_mapping_the_as_received_reading_list_gives_the_clean_copys_seeds(arxiv_corpus, tmp_path):
    """The .txt as it reached us (markdown, mojibake) maps to the same seeds as the clean .md."""
    from conftest import SHARED, _need

    received = _need(SHARED / "seeds" / "ai-chips-llm-deployment.as-received.txt")
    runner = CliRunner()
    out = {}
    for name, path in (("received", received), ("clean", READING_LIST)):
        res = runner.invoke(cli, ["map", str(path), "--corpus", str(arxiv_corpus), "--json", "-q",
                                  "--out", str(tmp_path / name), "--name", name])
        assert res.exit_code == 0, res.output
        out[name] = json.loads(res.stdout)
    assert out["received"]["seeds"]["total"] == out["clean"]["seeds"]["total"] == 28
    assert out["received"]["seeds"]["resolved"] == out["clean"]["seeds"]["resolved"]
    assert out["received"]["seeds"]["skipped_lines"] == []
    assert any("repaired" in n for n in out["received"]["seeds"]["notes"])
    import pandas as pd
    seeds = {name: pd.read_csv(tmp_path / name / f"{name}.papers.csv").query("is_seed")
             .set_index("paper_id")["seed_section"].sort_index() for name in out}
    assert list(seeds["received"].index) == list(seeds["clean"].index)
    assert seeds["received"].nunique() == seeds["clean"].nunique()


def test_csv_import_recognises_common_column_names(tmp_path):
    db, res = import_csv_corpus(tmp_path, "ID,Title,year,doi,arxiv_id\n"
                                          "p10,SYNTH cited paper,2019,10.9999/SYNTH.A,1901.00001\n"
                                          "p20,SYNTH citing paper,2021,10.9999/synth.b,not-an-id\n"
                                          "p30,SYNTH other paper,2020,,\n",
                                "source,target\np20,p10\np30,p10\n")
    assert "title = Title, id = ID, year = year, doi = doi, arxiv = arxiv_id" in res.stdout
    with Corpus(db, read_only=True) as corpus:
        rows = corpus._run("SELECT title, year, arxiv, doi FROM papers ORDER BY corpusid")
        assert [tuple(r) for r in rows] == [("SYNTH cited paper", 2019, "1901.00001", "10.9999/synth.a"),
                                            ("SYNTH citing paper", 2021, None, "10.9999/synth.b"),
                                            ("SYNTH other paper", 2020, None, None)]
        assert corpus.counts()["citations"] == 2


@pytest.fixture(scope="module")
def reading_list_runs(arxiv_corpus, tmp_path_factory):
    """The reading list's commands on the arXiv corpus, as a terminal user runs them."""
    out = tmp_path_factory.mktemp("runs")
    runner = CliRunner()
    # one store for the five commands: the first builds and analyses the graph, the others read it back
    base = [str(READING_LIST), "--corpus", str(arxiv_corpus), "--store", str(out / "store.sqlite")]
    runs = {
        "related": runner.invoke(cli, ["related", *base, "-q"]),
        "related5": runner.invoke(cli, ["related", *base, "-q", "--limit", "5"]),
        "related_json": runner.invoke(cli, ["related", *base, "-q", "--json"]),
        "rank": runner.invoke(cli, ["rank", *base, "-q"]),
        "export": runner.invoke(cli, ["export", *base, "--format", "bibtex", "--bib-top", "5",
                                      "--out", str(out), "--name", "top5"]),
    }
    for name, res in runs.items():
        assert res.exit_code == 0, (name, res.output)
    return runs, out


def _table_rows(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines()[1:] if line.strip() and not line.startswith("…")]


def test_related_shows_a_screenful_and_limit_chooses(reading_list_runs):
    runs, _ = reading_list_runs
    assert len(_table_rows(runs["related"].stdout)) == 20
    assert "more rows: --limit N shows more" in runs["related"].stdout
    assert len(_table_rows(runs["related5"].stdout)) == 5
    assert len(json.loads(runs["related_json"].stdout)) == 100  # --json gives every --top row


def test_rank_prints_numbers_people_read(reading_list_runs):
    runs, _ = reading_list_runs
    out = runs["rank"].stdout
    assert "pagerank ×avg" in out.splitlines()[0]
    assert not re.search(r"\de[-+]\d", out), out
    assert len(_table_rows(out)) == 30


def test_bib_top_writes_the_seeds_and_the_n_most_related(reading_list_runs, arxiv_corpus):
    runs, out = reading_list_runs
    bib = (out / "top5.bib").read_text(encoding="utf-8")
    related = json.loads(runs["related_json"].stdout)
    n_seeds_in_corpus = 17  # of the reading list's 25 arXiv seeds (../shared/README.md); no title seed is there
    assert bib.count("\n@") + bib.startswith("@") == n_seeds_in_corpus + 5
    # every entry parses back: the old keys (s2_ + 10 characters of the id) collided on CorpusId ids
    import bibtexparser

    lib = bibtexparser.parse_string(bib)
    assert lib.failed_blocks == [] and len({e.key for e in lib.entries}) == n_seeds_in_corpus + 5
    for r in related[:5]:
        assert r["title"].split()[0] in bib


def test_the_corpus_plan_talks_of_the_corpus_not_of_requests(arxiv_corpus, tmp_path):
    res = CliRunner().invoke(cli, ["map", "arXiv:1706.03762", "arXiv:2205.14135", "--corpus", str(arxiv_corpus),
                                   "--json", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    plan = [line for line in res.stderr.splitlines() if line.startswith(("resolve", "list", "fetch"))]
    assert len(plan) >= 3 and "arxiv.duckdb" in plan[-1]
    assert not any("request" in line for line in plan), plan


def test_corpus_fetches_seeds_by_every_paper_id_kind(tmp_path):
    """Seeds reach the corpus as PaperId objects and are looked up by kind with SQL: corpus
    number, arXiv ID, DOI (stored lower-case), 40-hex sha (in papers, or an old sha in paper_ids)."""
    from graph.ids import PaperId, normalise_identifier

    papers = write_jsonl_gz(tmp_path / "papers-0.jsonl.gz", [
        synth_paper(1), synth_paper(2, externalids={"ArXiv": None, "DOI": "10.9999/SYNTH.2"}), synth_paper(3)])
    cites = write_jsonl_gz(tmp_path / "citations-0.jsonl.gz", [synth_citation(1, 2), synth_citation(1, 3)])
    old_sha = "ab" * 20
    ids = write_jsonl_gz(tmp_path / "paper-ids-0.jsonl.gz",
                         [json.dumps({"sha": old_sha, "corpusid": 900003, "primary": False})])
    with Corpus(tmp_path / "c.duckdb") as corpus:
        import_s2(corpus, [papers, cites, ids])
    with Corpus(tmp_path / "c.duckdb", read_only=True) as corpus:
        source = CorpusSource(corpus)
        asked = [normalise_identifier("arXiv:2101.00001v3"), normalise_identifier("https://doi.org/10.9999/synth.2"),
                 PaperId("corpus", "900003"), PaperId("s2", f"{2:040x}"), PaperId("s2", old_sha),
                 "CorpusId:900001",  # a paper id the corpus gave, as a string
                 PaperId("arxiv", "2101.09999"), PaperId("title", "SYNTH paper 1")]
        got = source.fetch_papers(asked, with_references=True)
        assert [g.record.paper_id if g else None for g in got] == [
            "CorpusId:900001", "CorpusId:900002", "CorpusId:900003", "CorpusId:900002", "CorpusId:900003",
            "CorpusId:900001", None, None]
        assert got[0].reference_ids == ["CorpusId:900002", "CorpusId:900003"]
        assert got[1].record.doi == "10.9999/synth.2" and got[1].reference_ids == []
        assert source.not_found(asked[6]) == "the corpus c.duckdb does not know arxiv:2101.09999"
        # set-based: one query per id kind asked (arXiv, DOI, sha), then the papers and their references
        assert source.queries == 5
        # expansion passes seeds through the same interface
        with Store(":memory:") as store:
            res = expand(read_seeds([f"{2:040x}", "10.9999/SYNTH.2", "CorpusId:900001"]).seeds, store, source,
                         ExpansionOptions(progress=False))
        assert [r.paper_id for r in res.seeds] == ["CorpusId:900002", "CorpusId:900002", "CorpusId:900001"]
        assert res.requests == res.request_floor == 0  # queries, not metered requests


def test_import_s2_help_names_every_shard_suffix_a_folder_is_searched_for():
    res = CliRunner().invoke(cli, ["import", "s2", "--help"])
    assert res.exit_code == 0
    # S2's own downloads end in .json.gz
    assert set(re.findall(r"\.jsonl?(?:\.gz)?\b", res.output)) == {".jsonl", ".jsonl.gz", ".json.gz"}, res.output


def test_a_folder_of_json_gz_shards_is_imported(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    write_jsonl_gz(folder / "papers-0.json.gz", [synth_paper(i) for i in range(3)])
    res = CliRunner().invoke(cli, ["import", "s2", str(folder), "--corpus", str(tmp_path / "c.duckdb")])
    assert res.exit_code == 0, res.output
    with Corpus(tmp_path / "c.duckdb") as corpus:
        assert corpus.counts()["papers"] == 3


def test_the_year_hint_picks_among_corpus_papers_of_the_same_title(tmp_path):
    from graph.ids import PaperId
    from graph.seed_list import Seed

    shared = "SYNTH shared title"
    shard = write_jsonl_gz(tmp_path / "papers-0.jsonl.gz", [
        synth_paper(1, title=shared, year=2017, citationcount=3),
        synth_paper(2, title=shared, year=2019, citationcount=9),  # the most cited: the choice without a hint
        synth_paper(3, title="SYNTH shared titles", year=2017)])
    with Corpus(tmp_path / "c.duckdb") as corpus:
        import_s2(corpus, [shard])
    with Corpus(tmp_path / "c.duckdb", read_only=True) as corpus:
        source = CorpusSource(corpus)
        assert source.match_title(shared).paper_id == "CorpusId:900002"
        assert source.match_title(shared, 2017).paper_id == "CorpusId:900001"
        assert source.match_title(shared, 2005).paper_id == "CorpusId:900002"
        # the hint reaches the source from the seed
        seeds = [Seed(PaperId("title", shared), shared, "SYNTH", 1, year_hint=2017),
                 Seed(PaperId("title", shared + "!"), shared, "SYNTH", 2)]
        with Store(":memory:") as store:
            result = expand(seeds, store, source, ExpansionOptions(progress=False))
        assert [r.paper_id for r in result.seeds] == ["CorpusId:900001", "CorpusId:900002"]
