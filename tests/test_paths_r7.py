"""Paths and option values from the command line, as the round-seven red-team gave them: output files on
FIFOs, symlinks and folders; a FIFO or a symlink loop as the store or the corpus; names that are not
UTF-8; non-finite numbers; an empty export format. Every special file is made under tmp_path (never a
real /dev node)."""

from __future__ import annotations

import json
import math
import os
import socket
import stat
import subprocess
import sys
import threading

import click
import pytest
from click.testing import CliRunner

from graph.cache import digest
from graph.cli import cli
from graph.errors import OutputError, StoreError
from graph.outputs import check_out_dir, check_output_file, write_text
from graph.store import Store

from conftest import ROOT

NOT_UTF8 = b"\xff".decode("utf-8", "surrogateescape")  # what Python makes of the byte 0xff in argv


def _commands(group: click.Group):
    for cmd in group.commands.values():
        yield cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd)


# -- 1. output files: a FIFO is streamed into, a symlink followed, a folder or a socket refused --------------
def test_an_output_on_a_fifo_streams_into_it_and_the_fifo_stays(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    text = "SYNTH,row\n" * 20_000  # beyond a pipe's buffer: the writer and the reader take turns
    # held open for writing too, so the reader's open returns at once and its end of file comes only
    # when this is closed: a FIFO replaced by a file leaves the reader with nothing instead of hanging
    hold = os.open(fifo, os.O_RDWR)
    opened, got = threading.Event(), []

    def read() -> None:
        fd = os.open(fifo, os.O_RDONLY)
        opened.set()
        with os.fdopen(fd, "rb") as f:
            got.append(f.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert opened.wait(60)
    try:
        assert check_output_file(fifo) == fifo
        write_text(fifo, text)
    finally:
        os.close(hold)
    reader.join(60)
    assert got == [text.encode()]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_output_on_a_symlink_writes_the_file_it_names_and_keeps_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "table.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert check_output_file(link) == real
    write_text(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new\n"
    # a dangling link: the file it names is made
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "real" / "made.csv")
    write_text(dangling, "made\n")
    assert dangling.is_symlink() and (tmp_path / "real" / "made.csv").read_text() == "made\n"


def test_an_output_through_an_open_file_link_writes_that_file_in_place(tmp_path):
    # /dev/stdout is such a link (to /proc/self/fd/1): replacing the file it leads to would cut it off from
    # the shell's `> file`; made here with a file of this process, not a real /dev node
    target = tmp_path / "redirected.csv"
    with open(target, "w") as held:
        link = tmp_path / "stdout-like"
        link.symlink_to(f"/proc/self/fd/{held.fileno()}")
        inode = os.stat(target).st_ino
        write_text(link, "through\n")
        assert os.stat(target).st_ino == inode and target.read_text() == "through\n"


def test_an_output_on_a_folder_a_socket_or_a_symlink_loop_is_refused_in_one_line(tmp_path):
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    sock_path = tmp_path / "s.csv"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    try:
        for path, said in ((folder, "is a folder"), (sock_path, "is a socket"), (loop, "symlink loop")):
            with pytest.raises(OutputError, match=said) as err:
                write_text(path, "x")
            assert "\n" not in str(err.value)
            with pytest.raises(OutputError, match=said):
                check_output_file(path)
        assert stat.S_ISSOCK(os.lstat(sock_path).st_mode) and folder.is_dir() and loop.is_symlink()
    finally:
        sock.close()


def test_out_says_what_its_path_is_when_not_a_folder(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="is a FIFO"):
        check_out_dir(fifo)
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_out_dir(tmp_path / "f")


def test_csv_on_a_socket_is_refused_by_the_command_before_any_work(tmp_path):
    sock_path = tmp_path / "s.csv"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        res = CliRunner().invoke(cli, ["related", "2101.00000", "--offline", "--store", str(tmp_path / "s.sqlite"),
                                       "--csv", str(sock_path)])
    finally:
        sock.close()
    assert res.exit_code == 1 and "is a socket" in res.output and "Traceback" not in res.output


# -- 2. a FIFO or a symlink loop as the store or the corpus --------------------------------------------------
def _run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CITEGRAPH_STORE", "CITEGRAPH_CORPUS")}
    # the timeout only keeps a hang (the failure this guards against) from stalling the suite
    return subprocess.run([sys.executable, "-m", "graph", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT)


@pytest.mark.parametrize("option", ["--store", "--corpus"])
def test_a_fifo_as_the_store_or_the_corpus_is_refused_instead_of_hanging(tmp_path, option):
    fifo = tmp_path / "fifo.sqlite"
    os.mkfifo(fifo)
    extra = ["--store", str(tmp_path / "s.sqlite")] if option == "--corpus" else []
    res = _run("related", "2101.00000", "--offline", option, str(fifo), *extra)
    assert res.returncode == 1, res.stderr
    assert "is a FIFO" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_the_store_says_what_its_path_really_is(tmp_path):
    loop = tmp_path / "loop.sqlite"
    loop.symlink_to(loop)
    with pytest.raises(StoreError, match="symlink loop") as err:
        Store(loop)
    assert "permission" not in str(err.value)
    fifo = tmp_path / "fifo.sqlite"
    os.mkfifo(fifo)
    with pytest.raises(StoreError, match="is a FIFO"):
        Store(fifo)
    with pytest.raises(StoreError, match="not valid UTF-8"):
        Store(tmp_path / f"{NOT_UTF8}.sqlite")


def test_import_refuses_a_fifo_as_its_corpus(tmp_path):
    fifo = tmp_path / "c.duckdb"
    os.mkfifo(fifo)
    res = CliRunner().invoke(cli, ["import", "csv", "--corpus", str(fifo), "--papers", "p.csv", "--edges", "e.csv"])
    assert res.exit_code == 1 and "is a FIFO" in res.output


# -- 3. names that are not UTF-8 ----------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["map", "2101.00000", "--name", NOT_UTF8],
    ["map", "2101.00000", "--out", f"o{NOT_UTF8}dir"],
    ["related", "2101.00000", "--store", f"st/{NOT_UTF8}.sqlite"],
    ["related", "2101.00000", "--csv", f"{NOT_UTF8}.csv"],
    ["related", "2101.00000", "--corpus", f"{NOT_UTF8}.duckdb"],
    ["import", "csv", "--corpus", f"st/{NOT_UTF8}c.duckdb", "--papers", "p.csv", "--edges", "e.csv"],
    ["news", "2101.00000", "--markdown", f"{NOT_UTF8}.md"],
    ["serve", "2101.00000", "--save-to", f"{NOT_UTF8}.txt", "--no-browser"],
])
def test_an_option_that_is_not_utf8_is_a_usage_error(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CITEGRAPH_STORE", str(tmp_path / "s.sqlite"))
    res = CliRunner().invoke(cli, [*args, "--offline"] if args[0] != "import" else args)
    assert res.exit_code == 2, res.output
    assert "is not valid UTF-8; rename it" in res.output and "\\xff" in res.output
    assert not list(tmp_path.iterdir())  # nothing was made


def test_a_store_from_the_environment_that_is_not_utf8_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CITEGRAPH_STORE", str(tmp_path / f"{NOT_UTF8}.sqlite"))
    res = CliRunner().invoke(cli, ["related", "2101.00000", "--offline"])
    assert res.exit_code == 2 and "not valid UTF-8" in res.output


def test_the_results_cache_digests_any_path():
    assert digest(f"st/{NOT_UTF8}.sqlite") != digest("st/.sqlite")


# -- 4. numbers: finite and within reason -------------------------------------------------------------------
def _float_options():
    for cmd in _commands(cli):
        for param in cmd.params:
            if isinstance(param, click.Option) and getattr(param.type, "name", "") in ("float", "float range"):
                yield cmd.name, param


def test_every_float_option_refuses_nan_and_infinity():
    options = list(_float_options())
    assert {p.name for _, p in options} >= {"resolution", "rate", "timeout", "max_wait", "tol"}
    for name, param in options:
        for value in ("nan", "inf", "-inf", "1e308"):
            with pytest.raises(click.BadParameter):
                param.type.convert(value, param, None)
                pytest.fail(f"{name} {param.opts[0]} took {value}")


@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "0", "-1"])
def test_resolution_must_be_finite_and_sane(tmp_path, value):
    res = CliRunner().invoke(cli, ["map", "2101.00000", "--offline", "--store", str(tmp_path / "s.sqlite"),
                                   "--out", str(tmp_path / "out"), "--resolution", value, "--json"])
    assert res.exit_code == 2 and "--resolution" in res.output
    assert not (tmp_path / "out").exists()


def test_the_largest_resolution_allowed_gives_valid_json(cli_env_map):
    res = CliRunner().invoke(cli, ["map", "2101.00000", "2101.00001", "--resolution", "100", "--json", "-q",
                                   "--out", str(cli_env_map / "out")])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    assert math.isfinite(summary["modularity"])


@pytest.fixture
def cli_env_map(cli_env, tmp_path):
    return tmp_path


# -- 5. an empty export format ------------------------------------------------------------------------------
@pytest.mark.parametrize("formats", ["", " , "])
def test_an_empty_export_format_is_refused_with_the_valid_ones(tmp_path, formats):
    res = CliRunner().invoke(cli, ["export", "2101.00000", "--offline", "--store", str(tmp_path / "s.sqlite"),
                                   "--out", str(tmp_path / "out"), "--format", formats])
    assert res.exit_code == 2 and "no format given" in res.output and "bibtex" in res.output
    assert not (tmp_path / "out").exists()
