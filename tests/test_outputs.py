"""Exports cannot be corrupted or turned against their reader; output locations are checked first."""

import errno
import json
import os
import subprocess
from pathlib import Path
from urllib.parse import unquote

import bibtexparser
import networkx as nx
import pandas as pd
import pytest
from hypothesis import assume, given, settings, strategies as st

from graph.analysis import analyse
from graph.errors import OutputError
from graph.expansion import ExpansionResult
from graph.export import bibtex, csv_safe
from graph.outputs import check_name
from graph.pipeline import EXPORT_FORMATS, MapRun, write_map
from graph.seeds import SeedList

from readback import bib_unescape
from synthetic_maps import synthetic_map

INJECTION_DOI = "10.1234/x}, title={PWNED}, note={"


def _hostile_bib_graph():
    g = nx.DiGraph()
    hostile = [
        ("doi", INJECTION_DOI),
        ("title", "A title}, note={PWNED"),
        ("title", "Closing}}}} then @misc{evil, title={x}}"),
        ("title", "line one\n@misc{evil2,\n  title = {x}\n}"),
        ("title", "back\\slash } and { unbalanced"),
        ("venue", "Venue}, publisher={PWNED"),
        ("arxiv_id", "1706.03762}, note={x"),
        ("authors", ["Alice}, note={PWNED", "Bob and {Carol"]),
        ("title", "% a comment? # $math$ ^ ~ _ & done"),
        ("doi", "10.1000/a\\b{c}d%e"),
        ("title", "quote \" and ' and @ at"),
        ("venue", "@article{x,"),
        ("title", "plain SYNTH title"),
    ]
    for i, (field, value) in enumerate(hostile):
        attrs = {"title": f"SYNTH paper {i}", "year": 2020}
        attrs[field] = value
        g.add_node(f"p{i:02d}", **attrs)
    return g, hostile


def test_bibtex_escapes_every_field_so_nothing_is_injected():
    g, hostile = _hostile_bib_graph()
    lib = bibtexparser.parse_string(bibtex(g))
    assert lib.failed_blocks == []
    assert len(lib.entries) == len(hostile) == 13
    for entry, (field, value) in zip(lib.entries, hostile):
        fields = {k: f.value for k, f in entry.fields_dict.items()}
        # a link only where there is a page to link to: SYNTH ids have none, DOIs and arXiv IDs do
        expected_keys = {"title", "year"} | ({"url"} if field in ("doi", "arxiv_id") else set()) \
            | ({"journal"} if field == "venue" else set()) \
            | ({"doi"} if field == "doi" else set()) | ({"eprint", "archiveprefix"} if field == "arxiv_id" else set()) \
            | ({"author"} if field == "authors" else set())
        assert set(fields) == expected_keys, (field, value, fields)
        if field == "doi":
            assert unquote(fields["doi"]) == value
            assert unquote(fields["url"]) == "https://doi.org/" + value and "{" not in fields["url"]
        elif field == "arxiv_id":
            assert unquote(fields["eprint"]) == value
            assert unquote(fields["url"]) == "https://arxiv.org/abs/" + value and "}" not in fields["url"]
        elif field == "authors":
            assert [bib_unescape(a) for a in fields["author"].split(" and ")] == ["Alice}, note={PWNED", "Bob",
                                                                                 "{Carol"]
        elif field == "venue":
            assert bib_unescape(fields["journal"]) == value
        else:
            assert bib_unescape(fields["title"]) == " ".join(value.split())


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_no_title_can_break_out_of_its_field(title):
    assume(title.strip())
    g = nx.DiGraph()
    g.add_node("a", title=title, doi=title)
    g.add_node("b", title="SYNTH second")
    lib = bibtexparser.parse_string(bibtex(g))
    assert lib.failed_blocks == [] and len(lib.entries) == 2
    fields = lib.entries[0].fields_dict
    assert set(fields) == {"title", "doi", "url"}
    assert bib_unescape(fields["title"].value) == " ".join(title.split())
    assert unquote(fields["doi"].value) == title
    assert unquote(fields["url"].value) == "https://doi.org/" + title
    assert "url" not in lib.entries[1].fields_dict  # "b" is no S2 id and has no DOI or arXiv ID: no page


def _run_of(g, seeds):
    g.graph["seeds"] = seeds
    return MapRun(SeedList(), ExpansionResult(graph=g, seeds=[]))


def test_csv_cells_a_spreadsheet_would_execute_are_neutralised_but_parquet_and_json_keep_raw_text(tmp_path):
    g, seeds = synthetic_map()
    g.nodes["quant1"]["title"] = '=HYPERLINK("http://evil.example","click")'
    g.nodes["quant2"]["title"] = "+1+2"
    g.nodes["attn1"]["title"] = "@SUM(A1)"
    g.nodes["attn2"]["title"] = "\tTAB"
    g.nodes["attn3"]["title"] = "-2+3"
    run = _run_of(g, seeds)
    files = write_map(run, tmp_path, "m", analyse(g, seeds, top=30))
    csv = pd.read_csv(files["papers_csv"], keep_default_na=False).set_index("paper_id")
    assert csv.loc["quant1", "title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert csv.loc["quant2", "title"] == "'+1+2" and csv.loc["attn1", "title"] == "'@SUM(A1)"
    assert csv.loc["attn2", "title"] == "'\tTAB" and csv.loc["attn3", "title"] == "'-2+3"
    edges = pd.read_csv(files["edges_csv"], keep_default_na=False)
    assert not edges["source_title"].str.match(r"^[=+\-@\t\r]").any()
    parquet = pd.read_parquet(files["papers_parquet"]).set_index("paper_id")
    assert parquet.loc["quant1", "title"] == '=HYPERLINK("http://evil.example","click")'
    data = json.loads(files["json"].read_text())
    assert {n["id"]: n.get("title") for n in data["nodes"]}["attn1"] == "@SUM(A1)"
    # numbers stay numbers
    assert csv_safe(pd.DataFrame({"x": [-1.5]}))["x"].tolist() == [-1.5]


@pytest.mark.parametrize("name", ["../../x", "/tmp/citegraph-escape", "a/b", "..", "", "x" * 300])
def test_name_cannot_leave_out_or_be_too_long(tmp_path, name):
    g, seeds = synthetic_map()
    out = tmp_path / "out"
    with pytest.raises(OutputError):
        write_map(_run_of(g, seeds), out, name, analyse(g, seeds, top=30))
    assert not Path("/tmp/citegraph-escape.html").exists()
    assert not (tmp_path / "x.html").exists() and not (tmp_path.parent / "x.html").exists()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs where the machine allows mounting one (root), else ``None``."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
                              capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is None or done.returncode != 0:
        yield None
        return
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=10)


def test_a_full_disk_leaves_the_previous_export_whole(small_disk, tmp_path, monkeypatch):
    g, seeds = synthetic_map()
    analysis = analyse(g, seeds, top=30)
    out = (small_disk or tmp_path / "out") / "maps"
    write_map(_run_of(g, seeds), out, "m", analysis)
    before = _snapshot(out)
    assert len(before) == len(EXPORT_FORMATS)
    g2, seeds2 = synthetic_map()
    for n in g2:
        g2.nodes[n]["abstract"] = "SYNTH " * 20_000  # about 120 kB a paper: far more than the disk has left
    if small_disk is not None:
        filler = small_disk / "filler"
        with open(filler, "wb") as fh:  # leave about 200 kB free
            free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
            fh.write(b"\0" * max(0, free - 200_000))
    else:  # no tmpfs here: the disk fills up in the middle of the papers CSV
        real = pd.DataFrame.to_csv

        def full(self, path, *a, **kw):
            Path(path).write_bytes(b"paper_id,title\np1,half a ro")
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(OutputError, match="disk is full.*unchanged"):
        write_map(_run_of(g2, seeds2), out, "m", analyse(g2, seeds2, top=30))
    assert _snapshot(out) == before  # every file whole, none mixed, no temporary file left


def test_an_export_asked_to_stop_writes_nothing_and_keeps_the_old_files(tmp_path):
    from graph.errors import Interrupted

    g, seeds = synthetic_map()
    analysis = analyse(g, seeds, top=30)
    first = write_map(_run_of(g, seeds), tmp_path, "m", analysis, formats=["csv", "bibtex"])
    before = {p: p.read_bytes() for p in first.values()}
    asked = []

    def stop_at_the_second_file():
        asked.append(1)
        return len(asked) >= 2

    with pytest.raises(Interrupted, match="nothing written"):
        write_map(_run_of(g, seeds), tmp_path, "m", analysis, formats=["csv", "bibtex", "json"],
                  stop=stop_at_the_second_file)
    assert {p: p.read_bytes() for p in first.values()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in first.values())  # no temp left
