"""Round seven's red-team findings on imports and S2 answers: answers that name other papers, answers
too large, paper ids that are not S2's, a URL that is not UTF-8, FIFOs as import inputs, repeated ids
and bad values in imported rows. The S2 path runs against the real local test server
(graph/testing/s2_server.py with the lies of graph/testing/s2_hostile.py); the data is SYNTH."""

import json
import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.cli import cli
from graph.errors import CitegraphError
from graph.ids import PaperId
from graph.sources.corpus_import import Corpus
from graph.sources.s2_config import S2Config, S2ConfigError, S2RequestError
from graph.sources.s2_import import import_s2
from graph.sources.s2_records import NESTED_LIST_CAP, good_id
from graph.testing.s2_dataset import S2Dataset
from graph.testing.s2_hostile import WEIRD_IDS, HostileApi
from graph.testing.s2_server import S2TestServer

from conftest import SYNTH_EDGES

ARXIV = [PaperId("arxiv", f"2101.{i:05d}") for i in range(3)]


def _synth() -> S2Dataset:
    return S2Dataset.synthetic(10, SYNTH_EDGES)


# -- 4: a batch row is checked against the id it answers --------------------------------------------
def test_one_paper_answering_three_ids_resolves_one_of_them(make_source):
    with S2TestServer(app=HostileApi(_synth(), "same_paper")) as server:
        src = make_source(server.url)
        got = src.fetch_papers(ARXIV, with_references=False)
    assert got[0] is not None and got[0].record.arxiv_id == "2101.00000"
    assert got[1] is None and got[2] is None
    # a broken answer, not "unknown to S2": no miss may be remembered for them
    assert src.invalid_ids == {ARXIV[1], ARXIV[2]}
    assert any("is another paper" in w for w in src.warnings)


def test_one_paper_id_for_three_different_papers_resolves_none(make_source, synth_dataset):
    with S2TestServer(app=HostileApi(_synth(), "same_id")) as server:
        src = make_source(server.url)
        got = src.fetch_papers(ARXIV, with_references=False)
    assert got == [None, None, None] and src.invalid_ids == set(ARXIV)
    assert any("answers for different papers" in w for w in src.warnings)


def test_two_ids_of_one_paper_in_one_batch_both_resolve(make_source, synth_server):
    got = make_source(synth_server.url).fetch_papers([PaperId("arxiv", "2101.00003"), PaperId("doi", "10.9999/synth.3")],
                                                     with_references=False)
    assert got[0] is not None and got[0].record == got[1].record


def test_swapped_rows_alias_no_paper(make_source, synth_dataset):
    with S2TestServer(app=HostileApi(_synth(), "swap")) as server:
        src = make_source(server.url)
        got = src.fetch_papers(ARXIV, with_references=False)
        # ids given as S2 sends them (str) are checked by their kind too
        by_s2 = src.fetch_papers([synth_dataset.pid_of(0), "CorpusId:900001", "DOI:10.9999/synth.2"],
                                 with_references=False)
    assert got[0] is None and got[2] is None
    assert got[1] is not None and got[1].record.arxiv_id == "2101.00001"  # the middle row stays in place
    assert by_s2[1].record.corpus_id == 900001
    # an S2 paperId or a DOI answered with another paper is taken: S2 answers a merged paper's old paperId
    # with its current one, and a DOI may resolve to a paper listing another DOI (nothing to check them by)
    assert by_s2[0].record.paper_id != synth_dataset.pid_of(0) and by_s2[2] is not None


def test_honest_answers_still_resolve_every_kind_of_id(make_source, synth_server, synth_dataset):
    ids = [PaperId("arxiv", "2101.00000v2"), PaperId("doi", "10.9999/SYNTH.1"), PaperId("corpus", "900002"),
           PaperId("s2", synth_dataset.pid_of(3)), "ARXIV:2101.00004"]
    got = make_source(synth_server.url).fetch_papers(ids, with_references=True)
    assert [g.record.title for g in got] == [f"SYNTH paper {i}" for i in range(5)]


# -- 5: size caps on S2 answers ---------------------------------------------------------------------
def test_nested_references_beyond_the_cap_are_cut_and_flagged(make_source):
    with S2TestServer(app=HostileApi(_synth(), "huge_refs", size=5000)) as server:
        src = make_source(server.url)
        got = src.fetch_papers(ARXIV[:1], with_references=True)
    assert len(got[0].reference_ids) == NESTED_LIST_CAP
    assert got[0].references_truncated is not None
    assert any("5,000 references" in w for w in src.warnings)


def test_a_citations_page_longer_than_asked_is_cut(make_source, synth_dataset):
    with S2TestServer(app=HostileApi(_synth(), "huge_page", size=3000)) as server:
        src = make_source(server.url)
        edges = [e for page in src.iter_citations(synth_dataset.pid_of(0), 10) for e in page]
    assert len(edges) <= 10
    assert any("3,000 rows for" in w for w in src.warnings)


def test_an_answer_inflating_past_the_body_cap_is_a_bad_answer(make_source):
    with S2TestServer(app=HostileApi(_synth(), "gzip_bomb", size=4 << 20)) as server:
        src = make_source(server.url, max_body_bytes=1 << 20)
        with pytest.raises(S2RequestError, match="over 1,048,576 bytes decoded"):
            src.fetch_papers(ARXIV, with_references=False)
        # the same answer under the cap is read (gzip decoded as before)
        roomy = make_source(server.url, max_body_bytes=8 << 20)
        assert roomy.fetch_papers(ARXIV, with_references=False)[0].record.title == "SYNTH paper 0"


def test_the_body_cap_defaults_far_above_real_answers():
    assert S2Config().max_body_bytes == 64 << 20


# -- 6: paper ids are S2's shape ---------------------------------------------------------------------
def test_paper_ids_that_are_not_s2s_are_bad_rows(make_source):
    with S2TestServer(app=HostileApi(_synth(), "weird_ids")) as server:
        src = make_source(server.url)
        got = src.fetch_papers(ARXIV, with_references=True)
    assert got == [None, None, None]
    assert src.invalid_ids == set(ARXIV)
    with S2TestServer(app=HostileApi(_synth(), "weird_refs")) as server:
        src = make_source(server.url)
        got = src.fetch_papers(ARXIV, with_references=True)
    assert got[0].reference_ids == [] and any("3 references with a paperId that is not one" in w for w in src.warnings)
    assert not any(good_id(w) for w in WEIRD_IDS)
    assert good_id("204e3073870fae3d05bcbc2f6a8e263d9b72e776") and not good_id("204e3073870fae3d05bcbc2f6a8e263d9b72e77")


# -- 7: S2_API_URL that is not UTF-8 -----------------------------------------------------------------
def test_an_api_url_of_non_utf8_bytes_is_refused_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("S2_API_URL", os.fsdecode(b"http://127.0.0.1:1/\xff\xfe"))
    with pytest.raises(S2ConfigError, match="not UTF-8"):
        S2Config.from_env()
    monkeypatch.setenv("CITEGRAPH_STORE", str(tmp_path / "s.sqlite"))
    res = CliRunner().invoke(cli, ["map", "2101.00000", "--out", str(tmp_path / "out")])
    assert res.exit_code == 1 and "Traceback" not in res.output and "not UTF-8" in res.output


# -- 3: a FIFO as an import input -------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["csv-papers", "csv-edges", "s2"])
def test_a_fifo_as_import_input_is_refused_not_waited_on(tmp_path, kind):
    fifo = tmp_path / ("f.jsonl" if kind == "s2" else "f.csv")
    os.mkfifo(fifo)
    good = tmp_path / "ok.csv"
    good.write_text("id,title\n1,SYNTH paper\n", encoding="utf-8")
    edges = tmp_path / "e.csv"
    edges.write_text("source,target\n1,1\n", encoding="utf-8")
    db = str(tmp_path / "c.duckdb")
    args = {"s2": ["import", "s2", str(fifo), "--corpus", db],
            "csv-papers": ["import", "csv", "--corpus", db, "--papers", str(fifo), "--edges", str(edges)],
            "csv-edges": ["import", "csv", "--corpus", db, "--papers", str(good), "--edges", str(fifo)]}[kind]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1, res.output
    assert "FIFO" in res.output and "not a regular file" in res.output and "Traceback" not in res.output


# -- 2: import csv, repeated ids and bad years ---------------------------------------------------------
def test_a_repeated_csv_paper_id_keeps_the_first_row_and_counts_no_negative_bad_lines(tmp_path):
    papers, edges = tmp_path / "p.csv", tmp_path / "e.csv"
    papers.write_text("id,title,year\n1,SYNTH alpha,2020\n1,SYNTH beta,2021\n2,SYNTH gamma,2022\n"
                      "3,SYNTH delta,abc\n4,SYNTH epsilon,99999\n", encoding="utf-8")
    edges.write_text("source,target\n1,2\n2,1\n3,1\n4,2\n", encoding="utf-8")
    with Corpus(tmp_path / "c.duckdb") as corpus:
        report = corpus.import_csv([papers], edges)
        titles = {t for (t,) in corpus._run("SELECT title FROM papers")}
        years = dict(corpus._run("SELECT title, year FROM papers"))
        n_edges = corpus._count("citations")
    assert titles == {"SYNTH alpha", "SYNTH gamma", "SYNTH delta", "SYNTH epsilon"}
    assert n_edges == 4  # one citation per edge row, none spread to a repeated id
    assert years["SYNTH delta"] is None and years["SYNTH epsilon"] is None and years["SYNTH alpha"] == 2020
    assert report.bad == 3
    reasons = [(b.line, b.reason) for b in report.bad_lines]
    assert reasons[0][0] == 3 and "paper id '1' repeats" in reasons[0][1]
    assert [line for line, _ in reasons[1:]] == [5, 6] and all("is not a year" in why for _, why in reasons[1:])


def test_the_import_csv_command_reports_repeats_as_bad_lines(tmp_path):
    papers, edges = tmp_path / "p.csv", tmp_path / "e.csv"
    papers.write_text("id,title\n7,SYNTH one\n7,SYNTH two\n8,SYNTH three\n", encoding="utf-8")
    edges.write_text("source,target\n7,8\n8,7\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["import", "csv", "--corpus", str(tmp_path / "c.duckdb"), "--papers", str(papers),
                                   "--edges", str(edges)])
    assert res.exit_code == 0, res.output
    assert "1 bad lines" in res.output and "p.csv:3: paper id '7' repeats" in res.output
    assert "2 papers, 2 citations" in res.output


# -- 1: import s2 validates papers as the API path does -----------------------------------------------
def _bulk_paper(corpusid, **fields):
    row = {"corpusid": corpusid, "externalids": {"ArXiv": None, "DOI": None, "CorpusId": str(corpusid)},
           "url": f"https://www.semanticscholar.org/paper/{corpusid:040x}", "title": f"SYNTH paper {corpusid}",
           "authors": [{"authorId": "1", "name": "SYNTH Author"}], "venue": "", "year": 2018,
           "referencecount": 0, "citationcount": 0, "influentialcitationcount": 0, "publicationdate": None}
    row.update(fields)
    return json.dumps(row)


HOSTILE_PAPERS = [
    (_bulk_paper(1), None),
    (_bulk_paper(2, year=99999), "year 99999 is not valid"),
    (_bulk_paper(3, year="abc"), "year 'abc' is not valid"),
    (_bulk_paper(4, citationcount=-5), "citationCount -5 is not valid"),
    (_bulk_paper(5, title="T" * 5_000_000), "title of 5,000,000 characters cut to 1,000"),
    (_bulk_paper(6, title=12345), "title 12345 is not valid"),
    (_bulk_paper(-8), "corpusId -8 is not valid; dropped; not loaded"),
    (_bulk_paper(9, title="Ctrl \u0000\u0007 chars"), "control characters removed"),
    (_bulk_paper(10, citationcount=10**15), "citationCount 1000000000000000 is not valid"),
    (_bulk_paper(11, influentialcitationcount=1e15), "influentialCitationCount 1000000000000000.0 is not valid"),
    (_bulk_paper(12, authors="Alice and Bob"), "authors 'Alice and Bob' is not valid"),
    (_bulk_paper(13, publicationdate="yesterday"), "publicationDate 'yesterday' is not valid"),
    (_bulk_paper(14, externalids={"ArXiv": "../x", "DOI": None}), "externalIds.ArXiv '../x' is not an arXiv ID"),
]


def test_import_s2_validates_every_paper_field_and_reports_the_lines(tmp_path):
    shard = tmp_path / "papers.jsonl"
    shard.write_text("\n".join(line for line, _ in HOSTILE_PAPERS) + "\n", encoding="utf-8")
    with Corpus(tmp_path / "c.duckdb") as corpus:
        [report] = import_s2(corpus, [shard])
        rows = {r[0]: r[1:] for r in corpus._run(
            "SELECT corpusid, title, year, citationcount, influentialcitationcount, authors, publicationdate, "
            "arxiv, sha FROM papers")}
    assert set(rows) == {1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14}  # -8 is no corpus id: not loaded
    assert rows[1] == ("SYNTH paper 1", 2018, 0, 0, ["SYNTH Author"], None, None, f"{1:040x}")
    assert rows[2][1] is None and rows[3][1] is None and rows[4][2] is None and rows[10][2] is None
    assert rows[11][3] is None and rows[12][4] == [] and rows[13][5] is None and rows[14][6] is None
    assert len(rows[5][0]) == 1000 and rows[6][0] is None and rows[9][0] == "Ctrl  chars"
    assert rows[2][0] == "SYNTH paper 2" and rows[4][1] == 2018  # the rest of each paper is kept
    reasons = {b.line: b.reason for b in report.bad_lines}
    assert report.bad == len(HOSTILE_PAPERS) - 1 == len(reasons)
    for n, (_, why) in enumerate(HOSTILE_PAPERS, start=1):
        if why:
            assert why in reasons[n], (n, reasons[n])
    assert report.rows == 12


def test_import_s2_leaves_valid_real_papers_as_they_were(tmp_path, s2_bulk_dir):
    # the shared real sample: nothing in it is a bad line, so the bulk insert takes it whole
    with Corpus(tmp_path / "c.duckdb") as corpus:
        [report] = import_s2(corpus, [s2_bulk_dir / "papers" / "papers-sample.jsonl.gz"])
    assert report.bad == 0 and report.rows > 0


_values = st.one_of(st.none(), st.integers(min_value=-10, max_value=3000), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12), st.booleans())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({
    "title": st.one_of(st.text(max_size=30), st.text(alphabet="\x00\x07\x1f\x7f\"\\/é", max_size=5), _values,
                       st.just("T" * 1001)),
    "year": _values, "citationcount": _values, "referencecount": _values,
    "venue": st.one_of(st.none(), st.text(max_size=8)), "publicationdate": st.one_of(_values, st.just("2020-01")),
}), min_size=1, max_size=4))
def test_import_s2_stores_what_check_s2_paper_keeps(fields):
    """Whichever path a line takes (the bulk insert or one by one), the stored paper is the one
    check_s2_paper makes of it."""
    from graph.sources.s2_records import check_s2_paper

    lines = [_bulk_paper(i + 1, **f) for i, f in enumerate(fields)]
    with tempfile.TemporaryDirectory() as tmp:
        shard = Path(tmp) / "papers.jsonl"
        shard.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with Corpus(Path(tmp) / "c.duckdb") as corpus:
            import_s2(corpus, [shard])
            rows = {r[0]: r[1:] for r in corpus._run(
                "SELECT corpusid, title, year, citationcount, referencecount, venue, publicationdate FROM papers")}
    for i, f in enumerate(fields):
        api = {"paperId": "0" * 40, "corpusId": i + 1, **{k: v for k, v in f.items() if k not in
                                                          ("citationcount", "referencecount", "publicationdate")},
               "citationCount": f["citationcount"], "referenceCount": f["referencecount"],
               "publicationDate": f["publicationdate"]}
        rec = check_s2_paper(api, source="s2", fetched_at=0)
        title, *rest = rows[i + 1]
        assert (title or None, *rest) == (rec.title, rec.year, rec.citation_count, rec.reference_count,
                                          rec.venue or None, rec.publication_date)  # "" and null: no title


def test_import_s2_reports_a_line_nested_too_deeply_and_keeps_the_first_of_a_repeated_corpusid(tmp_path):
    deep = _bulk_paper(2, year=99999).replace('"venue": ""', '"venue": ' + "[" * 100_000 + "]" * 100_000)
    shard = tmp_path / "papers.jsonl"
    shard.write_text("\n".join([_bulk_paper(1), deep, _bulk_paper(3, year=99999, title="SYNTH first"),
                                _bulk_paper(3, year=99999, title="SYNTH second")]) + "\n", encoding="utf-8")
    with Corpus(tmp_path / "c.duckdb") as corpus:
        [report] = import_s2(corpus, [shard])
        rows = dict(corpus._run("SELECT corpusid, title FROM papers"))
    assert rows == {1: "SYNTH paper 1", 3: "SYNTH first"}
    reasons = {b.line: b.reason for b in report.bad_lines}
    assert "nested too deeply" in reasons[2] and "not loaded" in reasons[2]


@pytest.mark.parametrize("var, value", [("S2_TIMEOUT", "1e308"), ("S2_MAX_WAIT", "1e308"), ("S2_RATE", "1e308"),
                                        ("S2_RATE", "nan")])
def test_the_environment_s_settings_have_the_command_line_s_bounds(monkeypatch, var, value):
    from graph.sources.s2_config import S2Config, S2ConfigError

    monkeypatch.setenv(var, value)
    with pytest.raises(S2ConfigError, match="must be a number from 0 to"):
        S2Config.from_env()


def test_an_answer_whose_gzip_body_is_broken_is_a_bad_answer_not_a_traceback(make_source):
    from graph.errors import SourceError

    with S2TestServer(app=HostileApi(_synth(), "bad_gzip")) as server:
        src = make_source(server.url)
        with pytest.raises(SourceError, match="does not decode as its Content-Encoding says"):
            src.fetch_papers(ARXIV, with_references=False)
    assert src.stats.by_status["undecodable"] >= 1
