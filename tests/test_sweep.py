"""Every command against bad input: a message and exit status 1 or 2, never a traceback.

The commands run in-process through ``graph.cli.main`` (the console script's entry point),
so the sweep stays fast; the subprocess tests in test_cli.py cover the real process.
"""

import gzip
import os
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

import graph.cli
from graph.errors import PlanTooLongError, StoreCorruptError, StoreError
from graph.expansion import ExpansionOptions, expand
from graph.model import CitationEdge, ListState, PaperRecord
from graph.seeds import read_seeds
from graph.sources.s2 import S2Config, S2Source
from graph.store import Store

from conftest import ARXIV, ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_main(monkeypatch, capsys, *args, env=None):
    """``citegraph ARGS`` in-process: (exit status, stdout, stderr)."""
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(sys, "argv", ["citegraph", *args])
    try:
        graph.cli.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bad(tmp_path, synth_server):
    """Bad inputs of every kind, built once per test in tmp_path."""
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    damaged = tmp_path / "damaged.sqlite"
    with Store(damaged) as store:
        store.put_papers(PaperRecord(f"{i:040x}", title="SYNTH " + "t" * 200, abstract="a" * 500) for i in range(3000))
    data = bytearray(damaged.read_bytes())
    for off in range(8192, len(data) - 4096, 4096):  # keep the header page, scramble the b-tree pages
        data[off:off + 64] = os.urandom(64)
    damaged.write_bytes(bytes(data))
    sqlite_corpus = tmp_path / "c.sqlite"
    sqlite3.connect(sqlite_corpus).execute("CREATE TABLE t (x)").connection.close()
    truncated = tmp_path / "papers-0.jsonl.gz"
    raw = gzip.compress(("\n".join('{"corpusid": %d, "title": "SYNTH %d"}' % (i, i) for i in range(5000))).encode())
    truncated.write_bytes(raw[: len(raw) // 2])
    not_gzip = tmp_path / "papers-1.jsonl.gz"
    not_gzip.write_text('{"corpusid": 1, "title": "x"}\n')
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(256)) * 20)
    cols = tmp_path / "cols.csv"
    cols.write_text("a,b\n1,2\n")
    unwritable = tmp_path / "ro"
    return dict(a_file=str(a_file), damaged=str(damaged), sqlite_corpus=str(sqlite_corpus),
                truncated=str(truncated), not_gzip=str(not_gzip), binary=str(binary), cols=str(cols),
                store=str(tmp_path / "s.sqlite"), out=str(tmp_path / "out"), url=synth_server.url,
                server=synth_server, tmp=tmp_path, unwritable=str(unwritable))


SEED = "arXiv:2101.00000"
TABLE_COMMANDS = ["rank", "related", "clusters", "reading-order"]


def _cases(b):
    s = ["--store", b["store"]]
    cases = [
        # (argv, environment, what the message must say)
        (["map", "seeds/does-not-exist.md", *s], {}, "does not exist"),
        (["map", "../lists/missing.txt", *s], {}, "does not exist"),
        (["map", SEED, "--out", b["a_file"] + "/sub", *s], {}, "is a file"),
        (["map", SEED, "--out", b["a_file"], *s], {}, "is a file"),
        (["map", SEED, "--name", "../../escaped", "--out", b["out"], *s], {}, "plain file name"),
        (["map", SEED, "--name", "/tmp/escaped", "--out", b["out"], *s], {}, "plain file name"),
        (["map", SEED, "--name", "n" * 300, "--out", b["out"], *s], {}, "characters long"),
        (["map", SEED, "--out", os.path.join(b["out"], "d" * 300), *s], {}, "folder name of 300"),
        (["map", SEED, "--api-url", "htp://nowhere", *s], {}, "not an http(s) URL"),
        (["map", SEED, *s], {"S2_API_URL": "http://[::1"}, "not an http(s) URL"),
        (["map", SEED, *s], {"S2_TIMEOUT": "soon"}, "S2_TIMEOUT"),
        (["map", SEED, "--rate", "nan", *s], {}, "'--rate': 'nan' is not a finite number"),
        (["map", "T" * (70 * 1024), *s], {}, "at most 64 KiB"),
        (["map", SEED, "--store", b["damaged"]], {}, "move it aside"),
        (["map", SEED, "--store", str(b["tmp"])], {}, "is a folder"),
        (["map", SEED, "--store", b["a_file"] + "/s.sqlite"], {}, "cannot create the folder"),
        (["map", SEED, "--corpus", b["sqlite_corpus"]], {}, "not a readable DuckDB corpus"),
        (["map", SEED, "--corpus", str(b["tmp"] / "none.duckdb")], {}, "no corpus at"),
        (["map", SEED, *s, "--api-url", f"http://127.0.0.1:{_free_port()}"], {}, "connection refused"),
        (["map", "--depth", "0", SEED, *s], {}, "depth"),
        (["export", SEED, "--format", "pdf", *s], {}, "unknown format"),
        (["export", SEED, "--name", "../x", "--out", b["out"], *s], {}, "plain file name"),
        (["path", "seeds/missing.bib", SEED, *s], {}, "does not exist"),
        (["serve", "seeds/missing.md", "--no-browser", *s], {}, "does not exist"),
        (["serve", SEED, "--no-browser", "--api-url", "htp://nowhere", *s], {}, "not an http(s) URL"),
        (["serve", SEED, "--no-browser", "--store", b["damaged"]], {}, "move it aside"),
        (["path", SEED, SEED, "--api-url", "ftp://x", *s], {}, "not an http(s) URL"),
        (["import", "s2", b["truncated"], "--corpus", str(b["tmp"] / "i1.duckdb")], {}, "truncated"),
        (["import", "s2", b["not_gzip"], "--corpus", str(b["tmp"] / "i2.duckdb")], {}, "not a valid gzip"),
        (["import", "s2", b["not_gzip"], "--corpus", str(b["tmp"] / "i3.duckdb"),
          "--memory-limit", "1GB'; CREATE TABLE pwned (x INT); --"], {}, "--memory-limit"),
        (["import", "s2", b["not_gzip"], "--corpus", str(b["tmp"])], {}, "is a directory"),
        (["import", "csv", "--papers", b["binary"], "--edges", b["cols"], "--corpus", str(b["tmp"] / "i4.duckdb")],
         {}, "binary file"),
        (["import", "csv", "--papers", b["cols"], "--edges", b["cols"], "--corpus", str(b["tmp"] / "i5.duckdb")],
         {}, "no title column among ['a', 'b']"),
        (["import", "csv", "--papers", b["cols"], "--edges", b["cols"], "--title-column", "a",
          "--corpus", str(b["tmp"] / "i6.duckdb")], {}, "--citing-column 'source' is not a column"),
    ]
    for cmd in TABLE_COMMANDS:
        cases.append(([cmd, SEED, "--csv", str(b["tmp"] / "missing" / "t.csv"), *s], {}, "does not exist"))
        cases.append(([cmd, SEED, "--csv", str(b["tmp"]), *s], {}, "is a directory"))
        cases.append(([cmd, "./nope.md", *s], {}, "does not exist"))
    return cases


def test_every_command_answers_bad_input_with_a_message_not_a_traceback(bad, monkeypatch, capsys):
    bad["server"].faults.retry_after = 0
    failures = []
    for argv, env, expected in _cases(bad):
        with monkeypatch.context() as m:
            m.setenv("S2_API_URL", bad["url"])
            m.setenv("S2_RATE", "0")
            t0 = time.monotonic()
            try:
                code, out, err = run_main(m, capsys, *argv, env=env)
            except BaseException as exc:  # what the user would see as a traceback
                failures.append(f"{argv[:3]}: raised {type(exc).__name__}: {exc}")
                continue
        text = out + err
        if code not in (1, 2) or "Traceback" in text or expected.lower() not in text.lower() \
                or time.monotonic() - t0 > 20:
            failures.append(f"{[a[:60] for a in argv]} {env}: exit {code}, wanted {expected!r}: {text[-300:]!r}")
    assert not failures, "\n".join(failures)
    # none of the local mistakes spent a request
    assert bad["server"].request_log == []
    assert not (bad["tmp"].parent / "escaped.html").exists() and not os.path.exists("/tmp/escaped.html")


def test_a_missing_seed_file_is_not_sent_to_the_api_as_a_title(synth_server, tmp_path, monkeypatch, capsys):
    code, out, err = run_main(monkeypatch, capsys, "map", "SYNTH paper 1", "reading/list.md", "--store",
                              str(tmp_path / "s.sqlite"), "--out", str(tmp_path),
                              env={"S2_API_URL": synth_server.url, "S2_RATE": "0"})
    assert code == 1 and "reading/list.md does not exist" in err
    assert synth_server.request_log == []


def test_outputs_are_checked_before_any_request(synth_server, tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_main(monkeypatch, capsys, "map", SEED, "--out", str(blocker / "maps"), "--store",
                            str(tmp_path / "s.sqlite"), env={"S2_API_URL": synth_server.url, "S2_RATE": "0"})
    assert code == 1 and "is a file" in err and synth_server.request_log == []


# -- misleading messages ---------------------------------------------------------------------------------
def test_a_not_null_failure_is_not_called_a_disk_problem(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        with pytest.raises(StoreError) as info:
            store.put_list_state(ListState("p", "citations", None, None, False, None, 0.0))
    assert "NOT NULL" in str(info.value) and "disk" not in str(info.value)


def test_a_store_deleted_during_a_run_is_noticed(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.put_papers([PaperRecord("p1", title="SYNTH")])
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.unlink(f"{path}{suffix}")
        with pytest.raises(StoreError, match="deleted or replaced during this run"):
            store.put_edges([CitationEdge("p1", "p2")])


def test_a_damaged_store_is_reported_not_a_traceback(bad):
    with pytest.raises(StoreCorruptError, match="move it aside"):
        with Store(bad["damaged"]) as store:
            store.get_papers([f"{i:040x}" for i in range(3000)])


def test_a_store_in_a_read_only_folder_is_called_read_only(tmp_path):
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root); a read-only folder cannot be made for root otherwise")
    try:
        with Store(mnt / "s.sqlite") as store:
            store.put_papers([PaperRecord("p1", title="SYNTH")])
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        with Store(mnt / "s.sqlite") as store:  # opened read-only (an --offline run reads it), refusing writes
            assert store.get_papers(["p1"])["p1"].title == "SYNTH"
            with pytest.raises(StoreError, match="read-only") as info:
                store.put_papers([PaperRecord("p2", title="SYNTH")])
        assert "not a readable citegraph store" not in str(info.value)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_the_test_server_on_a_port_in_use_says_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        res = subprocess.run([sys.executable, "-m", "graph.testing.s2_server", "--arxiv", str(ARXIV),
                              "--port", str(port)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in res.stderr


# -- plans say how long they take ------------------------------------------------------------------------
def test_a_plan_over_the_limit_needs_a_yes_and_every_plan_says_how_long(synth_server, synth_dataset, tmp_path):
    seeds = read_seeds(["arXiv:2101.00009"]).seeds  # SYNTH paper 9 has no citations or references
    slow = S2Config(api_url=synth_server.url, rate=0.0002)  # one request every 5,000 s: 1.4 h
    with Store(tmp_path / "s.sqlite") as store, S2Source(slow) as src:
        with pytest.raises(PlanTooLongError, match="about 1.4 h.*--yes"):
            expand(seeds, store, src, ExpansionOptions(progress=False))
        assert synth_server.request_log == []
        asked = []
        res = expand(seeds, store, src, ExpansionOptions(progress=False, confirm=lambda m: asked.append(m) or True))
    assert asked and "about 1.4 h" in asked[0]
    assert res.resolved and len(synth_server.request_log) == 1
    assert any("about 1.4 h" in line for line in res.plan)


def test_plans_carry_their_duration_and_yes_skips_the_question(synth_server, tmp_path, monkeypatch, capsys):
    code, out, err = run_main(monkeypatch, capsys, "map", SEED, "--rate", "0.0002", "--store",
                              str(tmp_path / "s.sqlite"), "--out", str(tmp_path),
                              env={"S2_API_URL": synth_server.url})
    assert code == 1 and "about 1.4 h" in err and "pass --yes" in err
    assert synth_server.request_log == []
