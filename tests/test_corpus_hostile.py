"""Local corpora against hostile or careless input: no network, no SQL injection, no doubled rows."""

import gzip
import shutil
import sqlite3
import subprocess
import sys

import pytest

from graph.sources.corpus_import import Corpus

from graph.sources.s2_import import import_s2
from graph.errors import CitegraphError

from test_corpus import synth_citation, synth_paper, write_jsonl_gz


def test_memory_limit_is_validated_not_pasted_into_sql(tmp_path):
    with pytest.raises(CitegraphError, match="--memory-limit"):
        Corpus(tmp_path / "c.duckdb", memory_limit="1GB'; CREATE TABLE pwned (x INT); --")
    with Corpus(tmp_path / "c.duckdb", memory_limit="512MiB") as corpus:
        tables = {r[0] for r in corpus._run("SELECT table_name FROM information_schema.tables")}
    assert "pwned" not in tables


def test_a_sqlite_file_as_corpus_is_refused_without_loading_an_extension(tmp_path):
    path = tmp_path / "store.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(CitegraphError, match="not a readable DuckDB corpus: it is an SQLite file") as info:
        Corpus(path, read_only=True)
    assert "download" not in str(info.value) and "extension" not in str(info.value)


def test_extensions_are_never_installed_or_loaded(tmp_path):
    with Corpus(tmp_path / "c.duckdb") as corpus:
        settings = dict(corpus._run("SELECT name, value FROM duckdb_settings() WHERE name LIKE 'auto%extensions'"))
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def test_a_corpus_locked_by_another_process_is_named_as_such(tmp_path):
    path = tmp_path / "c.duckdb"
    Corpus(path).close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ok', flush=True); time.sleep(60)", str(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(CitegraphError, match="in use by another process"):
            Corpus(path)
    finally:
        holder.kill()
        holder.wait()


def test_a_truncated_gzip_shard_is_reported_as_truncated(tmp_path):
    shard = write_jsonl_gz(tmp_path / "papers-0.jsonl.gz", [synth_paper(i, abstract="x" * 500) for i in range(2000)])
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    with Corpus(tmp_path / "c.duckdb", block_bytes=1 << 16) as corpus:
        with pytest.raises(CitegraphError, match="truncated.*download it again"):
            import_s2(corpus, [shard])


def test_a_gz_file_that_is_not_gzip_is_reported(tmp_path):
    shard = tmp_path / "papers-0.jsonl.gz"
    shard.write_text(synth_paper(0) + "\n")
    with Corpus(tmp_path / "c.duckdb") as corpus:
        with pytest.raises(CitegraphError, match="not a valid gzip file"):
            import_s2(corpus, [shard])


def test_a_binary_csv_and_missing_columns_are_reported(tmp_path):
    binary = tmp_path / "papers.csv"
    binary.write_bytes(bytes(range(256)) * 40)
    edges = tmp_path / "edges.csv"
    edges.write_text("from,to\n0,1\n")
    good = tmp_path / "good.csv"
    good.write_text("title\nSYNTH a\nSYNTH b\n")
    with Corpus(tmp_path / "c.duckdb") as corpus:
        with pytest.raises(CitegraphError, match="binary file"):
            corpus.import_csv([binary], edges, title_column="title")
        with pytest.raises(CitegraphError, match="--citing-column 'source' is not a column"):
            corpus.import_csv([good], edges, title_column="title")
        with pytest.raises(CitegraphError, match="--title-column 'name' is not a column"):
            corpus.import_csv([good], edges, title_column="name", citing_column="from", cited_column="to")


def test_the_same_csv_rows_from_renamed_or_recompressed_files_are_not_doubled(tmp_path):
    (tmp_path / "ids.csv").write_text("ids\n2101.00001\n2101.00002\n42\n")
    (tmp_path / "titles.csv").write_text("titles\nSYNTH one\nSYNTH two\nsynth old paper\n")
    (tmp_path / "edges.csv").write_text("source,target\n0,1\n2,0\n")
    with Corpus(tmp_path / "c.duckdb") as corpus:
        corpus.import_csv([tmp_path / "ids.csv", tmp_path / "titles.csv"], tmp_path / "edges.csv",
                          title_column="titles", arxiv_column="ids")
        first = corpus.counts()
        for name in ("ids", "titles", "edges"):
            with open(tmp_path / f"{name}.csv", "rb") as src, gzip.open(tmp_path / f"{name}-copy.csv.gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
        report = corpus.import_csv([tmp_path / "ids-copy.csv.gz", tmp_path / "titles-copy.csv.gz"],
                                   tmp_path / "edges-copy.csv.gz", title_column="titles", arxiv_column="ids")
        assert corpus.counts() == first == {"papers": 3, "citations": 2, "abstracts": 0, "tldrs": 0, "paper_ids": 0}
        assert report.rows == 0 and "3 papers and 2 edges were already in the corpus" in report.already
        counts = dict(corpus._run("SELECT title, citationcount FROM papers"))
    assert counts == {"SYNTH one": 1, "SYNTH two": 1, "synth old paper": 0}


def test_the_same_s2_citations_from_a_recompressed_shard_are_not_doubled(tmp_path):
    lines = [synth_citation(a, b) for a in range(30) for b in range(a)]
    shard = write_jsonl_gz(tmp_path / "citations-0.jsonl.gz", lines)
    plain = tmp_path / "copy" / "citations-renamed.jsonl"
    plain.parent.mkdir()
    plain.write_text("\n".join(lines) + "\n")
    with Corpus(tmp_path / "c.duckdb") as corpus:
        (first,) = import_s2(corpus, [shard])
        (again,) = import_s2(corpus, [plain])
        assert first.rows == len(lines) and again.rows == 0
        assert corpus.counts()["citations"] == len(lines)


def test_null_ids_are_unmatched_citations_but_missing_ids_are_bad_lines_and_never_stored(tmp_path):
    shard = write_jsonl_gz(tmp_path / "citations-0.jsonl.gz", [
        synth_citation(1, 0), '{"citingcorpusid": 900005, "citedcorpusid": null}', "{}",
        '{"citedcorpusid": 900003}', '{"citingcorpusid": null, "citedcorpusid": 900004}'])
    with Corpus(tmp_path / "c.duckdb") as corpus:
        (r,) = import_s2(corpus, [shard])
        nulls = corpus._one("SELECT count(*) FROM citations WHERE citing IS NULL OR cited IS NULL")[0]
    assert (r.rows, r.unmatched, r.bad) == (1, 2, 2) and nulls == 0
    assert [b.line for b in r.bad_lines] == [3, 4]


def test_placeholder_dois_add_every_new_paper_and_say_what_was_dropped(tmp_path):
    from click.testing import CliRunner

    from graph.cli import cli

    db = tmp_path / "c.duckdb"
    rows = lambda first, n: "".join(f"SYNTH paper number {i},N/A\n" for i in range(first, first + n))
    for name, first, n in (("a", 0, 20), ("b", 20, 500)):
        (tmp_path / f"{name}.csv").write_text("title,doi\n" + rows(first, n))
        (tmp_path / f"{name}-edges.csv").write_text(
            "source,target\n" + "".join(f"{i},{(i + 1) % n}\n" for i in range(n)))
        res = CliRunner().invoke(cli, ["import", "csv", "--corpus", str(db), "--papers", str(tmp_path / f"{name}.csv"),
                                       "--edges", str(tmp_path / f"{name}-edges.csv")])
        assert res.exit_code == 0, res.output
    assert f"500 values of the DOI column 'doi' are not DOIs (e.g. 'n/a')" in res.output
    assert "already in the corpus" not in res.output
    with Corpus(db, read_only=True) as corpus:
        assert corpus.counts()["papers"] == 520 and corpus.counts()["citations"] == 520
        assert corpus._one("SELECT count(*) FROM papers WHERE doi IS NOT NULL")[0] == 0


def test_a_doi_carried_by_a_paper_of_another_title_is_a_data_error_not_a_match(tmp_path):
    db = tmp_path / "c.duckdb"
    (tmp_path / "a.csv").write_text("title,doi\nSYNTH first paper,10.5555/x\nSYNTH second paper,10.5555/y\n")
    (tmp_path / "b.csv").write_text("title,doi\nSYNTH third paper,10.5555/x\nSYNTH second paper,10.5555/y\n")
    (tmp_path / "e.csv").write_text("source,target\n0,1\n")
    with Corpus(db) as corpus:
        corpus.import_csv([tmp_path / "a.csv"], tmp_path / "e.csv")
        report = corpus.import_csv([tmp_path / "b.csv"], tmp_path / "e.csv")
        titles = sorted(t for (t,) in corpus._run("SELECT title FROM papers"))
    assert titles == ["SYNTH first paper", "SYNTH second paper", "SYNTH third paper"]
    assert any("1 papers carry the arXiv id or DOI of a paper with another title" in n for n in report.notes)


@pytest.mark.parametrize("value", ["0B", "0.0000001KB", "99999999999999999999TB", "10MB"])
def test_memory_limits_duckdb_cannot_work_with_are_refused_in_one_line(tmp_path, value):
    from click.testing import CliRunner

    from graph.cli import cli

    shard = tmp_path / "papers.jsonl.gz"
    write_jsonl_gz(shard, [synth_paper(i) for i in range(50)])
    res = CliRunner().invoke(cli, ["import", "s2", str(shard), "--corpus", str(tmp_path / "c.duckdb"),
                                   "--memory-limit", value])
    assert res.exit_code == 1 and res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert "--memory-limit" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "c.duckdb").exists()  # refused before the corpus was made


def test_an_import_into_a_file_or_pipe_draws_no_progress_bar(tmp_path):
    """Redirected output keeps every frame of a bar: the report and an error ran into them
    (``importing: 0.00 rows [00:00, ? rows/s]error: --memory-limit ...``)."""
    from click.testing import CliRunner

    from graph.cli import cli

    shard = tmp_path / "papers.jsonl.gz"
    write_jsonl_gz(shard, [synth_paper(i) for i in range(50)])
    loaded = CliRunner().invoke(cli, ["import", "s2", str(shard), "--corpus", str(tmp_path / "c.duckdb")])
    refused = CliRunner().invoke(cli, ["import", "s2", str(shard), "--corpus", str(tmp_path / "d.duckdb"),
                                       "--memory-limit", "lots"])
    assert loaded.exit_code == 0 and "papers: 50 rows" in loaded.output, loaded.output
    assert refused.exit_code == 1 and refused.output.startswith("error: --memory-limit"), refused.output
    for res in (loaded, refused):
        assert "\r" not in res.output and "rows/s]" not in res.output, res.output


def test_running_out_of_memory_is_a_message_not_a_traceback(tmp_path):
    shard = tmp_path / "papers.jsonl.gz"
    write_jsonl_gz(shard, [synth_paper(i) for i in range(2000)])
    with Corpus(tmp_path / "c.duckdb", memory_limit="256MB") as corpus:
        corpus.memory_limit = "1MB"  # below what check_memory_limit lets through: DuckDB's own refusal
        corpus._run("SET memory_limit='1MB'")
        with pytest.raises(CitegraphError, match="ran out of memory within --memory-limit 1MB"):
            import_s2(corpus, [shard])
        corpus._run("SET memory_limit='256MB'")
        assert corpus.counts()["papers"] == 0  # all of the import or none of it


def _other_programs_duckdb(path):
    import duckdb

    db = duckdb.connect(str(path))
    db.execute("CREATE TABLE measurements (sensor VARCHAR, value DOUBLE)")
    db.execute("INSERT INTO measurements VALUES ('SYNTH', 1.5)")
    db.close()
    return sorted(p.name for p in path.parent.iterdir()), path.read_bytes()


def test_another_programs_duckdb_file_is_refused_by_import_and_map_and_left_as_it_was(tmp_path):
    from click.testing import CliRunner

    from graph.cli import cli

    other = tmp_path / "other.duckdb"
    files, data = _other_programs_duckdb(other)
    shard = tmp_path / "papers.jsonl.gz"
    write_jsonl_gz(shard, [synth_paper(i) for i in range(5)])
    files.append(shard.name)
    imported = CliRunner().invoke(cli, ["import", "s2", str(shard), "--corpus", str(other)])
    mapped = CliRunner().invoke(cli, ["map", "CorpusId:1", "--corpus", str(other), "--out", str(tmp_path / "out")])
    for res in (imported, mapped):
        assert res.exit_code == 1 and "DuckDB database of another program (tables measurements)" in res.output, \
            res.output
        assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit)
    assert other.read_bytes() == data and sorted(p.name for p in tmp_path.iterdir() if p.name != "out") == files


def test_a_csv_mostly_swallowed_by_an_open_quote_is_an_error_not_a_two_paper_corpus(tmp_path):
    from click.testing import CliRunner

    from graph.cli import cli

    (tmp_path / "p.csv").write_text("title,year\nSYNTH a,2020\nSYNTH b,2021\n\"SYNTH c,2021\n"
                                    + "".join(f"SYNTH paper {i},2020\n" for i in range(3, 500)) + "SYNTH end\",2020\n")
    (tmp_path / "e.csv").write_text("source,target\n" + "".join(f"{i},{i + 1}\n" for i in range(499)))
    res = CliRunner().invoke(cli, ["import", "csv", "--corpus", str(tmp_path / "c.duckdb"), "--papers",
                                   str(tmp_path / "p.csv"), "--edges", str(tmp_path / "e.csv")])
    assert res.exit_code == 1 and "only 3 rows could be read from its 502 lines" in res.output, res.output
    with Corpus(tmp_path / "c.duckdb", read_only=True) as corpus:
        assert corpus.counts()["papers"] == 0


def test_edges_that_mostly_name_no_paper_are_an_error_and_import_nothing(tmp_path):
    (tmp_path / "p.csv").write_text("id,title\n" + "".join(f"s{i},SYNTH paper {i}\n" for i in range(10)))
    (tmp_path / "e.csv").write_text("source,target\n" + "".join(f"{i},{i + 1}\n" for i in range(9)))  # rows, not ids
    with Corpus(tmp_path / "c.duckdb") as corpus:
        with pytest.raises(CitegraphError, match="9 of 9 edges of .* name papers that are not among the 10 rows"):
            corpus.import_csv([tmp_path / "p.csv"], tmp_path / "e.csv", id_column="id")
        assert corpus.counts()["papers"] == 0


def test_the_same_csv_with_a_repeated_title_imported_again_under_a_new_name_adds_nothing(tmp_path):
    rows = "title\nSYNTH twin\nSYNTH twin\nSYNTH other\nSYNTH third\n"
    (tmp_path / "a.csv").write_text(rows)
    with gzip.open(tmp_path / "b.csv.gz", "wt") as fh:  # the same rows, another file: not skipped by digest
        fh.write(rows)
    (tmp_path / "e.csv").write_text("source,target\n0,2\n1,3\n2,3\n")
    with Corpus(tmp_path / "c.duckdb") as corpus:
        corpus.import_csv([tmp_path / "a.csv"], tmp_path / "e.csv")
        first = corpus.counts()
        again = corpus.import_csv([tmp_path / "b.csv.gz"], tmp_path / "e.csv")
        assert corpus.counts() == first and again.rows == 0


def test_placeholder_dois_in_an_s2_shard_are_dropped_and_counted(tmp_path):
    shard = tmp_path / "papers.jsonl.gz"
    write_jsonl_gz(shard, [synth_paper(i, externalids={"ArXiv": None, "DOI": doi})
                           for i, doi in enumerate(["N/A", "10.1234/", "0", "10.5555/synth.3", "", None])])
    with Corpus(tmp_path / "c.duckdb") as corpus:
        (report,) = import_s2(corpus, [shard])
        dois = sorted(d for (d,) in corpus._run("SELECT doi FROM papers WHERE doi IS NOT NULL"))
    assert dois == ["10.5555/synth.3"]
    assert report.notes == ["3 DOI values are not DOIs (N/A, 0, a prefix alone…): dropped, so they merge no papers"]
