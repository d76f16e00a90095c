"""The command line, run as a user runs it (subprocesses against the local API server)."""

import ast
import json
import re
import os
import signal
import subprocess
import sys
import time

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from graph.cli import cli
from graph.testing.s2_server import Faults

from conftest import READING_LIST, ROOT


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_one_handler_turns_library_errors_into_a_line_and_exit_1():
    from graph.cli.common import CitegraphGroup
    from graph.errors import StoreCorruptError

    group = CitegraphGroup("synthetic")

    @group.command()
    def damaged():
        """SYNTHETIC command whose library call fails."""
        raise StoreCorruptError("the store x.sqlite is damaged; move it away and run again")

    @group.command()
    def refused():
        """SYNTHETIC command the file system refuses."""
        raise PermissionError(13, "Permission denied", "/synthetic/out.csv")

    @group.command()
    def bug():
        """SYNTHETIC command with a programming error: that one must not be dressed up as a message."""
        raise ValueError("a bug")

    runner = CliRunner()
    res = runner.invoke(group, ["damaged"])
    assert res.exit_code == 1 and res.output == "error: the store x.sqlite is damaged; move it away and run again\n"
    res = runner.invoke(group, ["refused"])
    assert res.exit_code == 1 and res.output == "error: Permission denied (/synthetic/out.csv)\n"
    res = runner.invoke(group, ["bug"])
    assert isinstance(res.exception, ValueError)


def test_commands_leave_error_handling_to_the_group():
    # each command used to copy a try/except that printed the error; the group does it once now
    commands = [p for p in (ROOT / "graph" / "cli").glob("*.py") if p.name not in ("common.py", "__init__.py")]
    assert len(commands) >= 4
    for path in commands:
        text = path.read_text(encoding="utf-8")
        for forbidden in ("CitegraphError", "sys.exit", "SystemExit", "except Exception", "except BaseException",
                          "except:"):
            assert forbidden not in text, (path.name, forbidden)


def test_every_command_has_useful_help():
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0 and "citegraph" in top.output
    for path, cmd in _commands(cli):
        res = runner.invoke(cli, [*path, "--help"])
        assert res.exit_code == 0, path
        assert cmd.help and len(cmd.help.split()) >= 8, f"{path} needs a real description"
        for param in cmd.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"{' '.join(path)} {param.opts[0]} has no help text"


def run_cli(*args, env_extra=None, timeout=300):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "graph", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=ROOT)


def test_bad_usage_exits_2():
    res = run_cli("map", "--depth", "0", "x")
    assert res.returncode == 2 and "depth" in res.stderr.lower()
    assert run_cli("map").returncode == 2


def test_nothing_usable_exits_1(synth_server, tmp_path):
    res = run_cli("map", "arXiv:2199.99999", "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path),
                  env_extra={"S2_API_URL": synth_server.url, "S2_RATE": "0"})
    assert res.returncode == 1
    assert "none of the 1 seeds could be resolved" in res.stderr and "Traceback" not in res.stderr


def test_corrupt_store_is_an_error_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"garbage" * 500)
    res = run_cli("map", "2101.00001", "--store", str(bad), "--out", str(tmp_path))
    assert res.returncode == 1 and "--store" in res.stderr and "Traceback" not in res.stderr


def test_map_writes_files_and_json_summary(synth_server, tmp_path):
    ids = tmp_path / "my-ids.txt"
    ids.write_text("arXiv:2101.00000\n2101.00001\narXiv:bogus\n")
    env = {"S2_API_URL": synth_server.url, "S2_RATE": "0"}
    res = run_cli("map", str(ids), "arXiv:2199.99999", "--store", str(tmp_path / "s.sqlite"),
                  "--out", str(tmp_path / "out"), "--json", env_extra=env)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["seeds"]["total"] == 3 and info["seeds"]["resolved"] == 2
    assert info["seeds"]["unresolved"][0]["input"] == "arXiv:2199.99999"
    assert info["seeds"]["skipped_lines"][0]["source"].endswith("my-ids.txt:3")
    assert info["papers"] == 8 and info["edges"] == 8
    assert info["requests"] == 4 and info["cache_hits"] == 0
    files = {k: tmp_path / "out" / os.path.basename(v) for k, v in info["files"].items()}
    assert {p.name for p in files.values()} == {
        "my-ids.html", "my-ids.papers.csv", "my-ids.papers.parquet", "my-ids.edges.csv", "my-ids.bib",
        "my-ids.graphml", "my-ids.gexf", "my-ids.json", "my-ids.ris", "my-ids.csl.json"}
    df = pd.read_csv(files["papers_csv"])
    assert list(df.columns)[:12] == ["paper_id", "title", "year", "authors", "venue", "arxiv_id", "doi",
                                     "citation_count", "is_seed", "seed_section", "in_graph_citations",
                                     "in_graph_references"]
    assert {"pagerank", "relatedness", "cluster", "cluster_label", "hits_hub", "momentum"} <= set(df.columns)
    assert df.sort_values("pagerank").iloc[-1]["in_graph_citations"] == df["in_graph_citations"].max()
    assert df["is_seed"].sum() == 2 and len(df) == 8
    html = files["html"].read_text()
    # nothing the page loads comes from a URL (links a reader may click are fine)
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*(src|href)\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert "<script" in html
    again = json.loads(run_cli("map", str(ids), "arXiv:2199.99999", "--store", str(tmp_path / "s.sqlite"),
                               "--out", str(tmp_path / "out"), "--json", env_extra=env).stdout)
    assert again["requests"] == 0 and again["papers"] == 8


def test_killed_run_resumes_with_only_the_missing_requests(arxiv_server, tmp_path, reading_list_map):
    env = {"S2_API_URL": arxiv_server.url, "S2_RATE": "0"}
    args = ["map", str(READING_LIST), "--out", str(tmp_path / "out"), "--json", "--quiet"]
    expansion = reading_list_map[0]  # the clean run, built once per test session
    clean = {"requests": expansion.requests, "papers": expansion.graph.number_of_nodes(),
             "edges": expansion.graph.number_of_edges()}
    total = clean["requests"]

    arxiv_server.faults = Faults(latency=0.1)
    start = len(arxiv_server.request_log)
    proc = subprocess.Popen([sys.executable, "-m", "graph", *args, "--store", str(tmp_path / "k.sqlite")],
                            env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(arxiv_server.request_log) - start < total // 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(arxiv_server.request_log) - start
    assert 0 < done < total
    arxiv_server.faults = Faults()
    resumed = json.loads(run_cli(*args, "--store", str(tmp_path / "k.sqlite"), env_extra=env).stdout)
    # at most the one request in flight at the kill is repeated
    assert resumed["requests"] <= total - done + 1
    assert resumed["papers"] == clean["papers"] and resumed["edges"] == clean["edges"]
    a = pd.read_csv(tmp_path / "out" / "ai-chips-llm-deployment.papers.csv")
    assert len(a) == sum(c["size"] for c in resumed["clusters"]) < clean["papers"]  # the map's papers




def invoke(*args):
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.stdout


def test_rank_related_clusters_as_json(cli_env, synth_dataset):
    p = synth_dataset.pid_of
    ranked = json.loads(invoke("rank", "2101.00000", "2101.00001", "-q", "--json"))
    assert len(ranked) == 8 and ranked[0]["rank"] == 1
    assert {"topic_pagerank", "pagerank", "hits_hub", "momentum", "recent_pagerank"} <= set(ranked[0])
    assert ranked[0]["paper_id"] in {p(0), p(1)}  # the topical walk restarts at the seeds
    glob = json.loads(invoke("rank", "2101.00000", "2101.00001", "--global", "-q", "--json"))
    assert glob[0]["paper_id"] in {p(0), p(3)}  # most cited in the graph
    related = json.loads(invoke("related", "2101.00000", "2101.00001", "-q", "--json"))
    # no paper shares a reference or a citer with a seed: direct links and the walk relate them,
    # and 3 (cited by both seeds) and 6 (citing both) are linked to both
    assert {r["paper_id"] for r in related} == {p(i) for i in (2, 3, 4, 5, 6, 7)}
    assert {related[0]["paper_id"], related[1]["paper_id"]} == {p(3), p(6)}
    assert all(r["co_citations"] == 0 and r["shared_references"] == 0 for r in related)
    assert all("walk from the seeds" in r["why"] for r in related)
    related = json.loads(invoke("related", "2101.00000", "--depth", "2", "-q", "--json"))
    # depth 2 brings in paper 1 (cited by 6): it shares reference 3 with seed 0, and 6 cites both
    assert related[0]["paper_id"] == p(1)
    assert related[0]["shared_references"] == 1 and related[0]["co_citations"] == 1
    assert related[0]["best_seed"] == p(0) and related[0]["path_to_seed"] == 2
    clusters = json.loads(invoke("clusters", "2101.00000", "2101.00001", "-q", "--json"))
    # the map is the seeds plus every related paper: all 8
    assert sum(c["size"] for c in clusters) == 8 and all(c["label"] for c in clusters)
    assert cli_env.counts()["citations"] == 2  # each seed's citations were fetched once, then read from the store


def test_whole_graph_clusters_and_one_cluster_s_reading_order(cli_env, tmp_path):
    seeds = ("2101.00000", "2101.00001")
    mapped = json.loads(invoke("clusters", *seeds, "--top", "2", "-q", "--json"))
    whole = json.loads(invoke("clusters", *seeds, "--top", "2", "--whole-graph", "-q", "--json"))
    # the map is the 2 seeds and the 2 most related; the whole graph has all 8 papers
    assert sum(c["size"] for c in mapped) == 4 and sum(c["size"] for c in whole) == 8
    first = mapped[0]["cluster"]
    order = json.loads(invoke("reading-order", *seeds, "--top", "2", "--cluster", str(first), "-q", "--json"))
    invoke("export", *seeds, "--top", "2", "--format", "csv", "--out", str(tmp_path), "--name", "m", "-q")
    papers = pd.read_csv(tmp_path / "m.papers.csv")
    members = set(papers.loc[papers["in_map"] & (papers["cluster"] == first), "paper_id"])
    assert {r["paper_id"] for r in order} == members and len(order) == mapped[0]["size"]
    res = CliRunner().invoke(cli, ["reading-order", *seeds, "--top", "2", "--cluster", "99", "-q"])
    assert res.exit_code == 1 and "no cluster 99" in res.output and "Traceback" not in res.output


def test_a_prose_heavy_file_names_ten_skipped_lines_and_counts_the_rest(cli_env, tmp_path):
    seeds = tmp_path / "notes.txt"
    seeds.write_text("2101.00000\n" + "".join(f"| SYNTH table row {i} |\n" for i in range(30)), encoding="utf-8")
    res = CliRunner().invoke(cli, ["map", str(seeds), "--out", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 0, res.output
    skipped = [line for line in res.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 10 and "table row 0" in skipped[0] and "table row 9" in skipped[-1]
    assert "… and 20 more skipped lines; --json lists every one" in res.stderr
    assert len(json.loads(res.stdout)["seeds"]["skipped_lines"]) == 30


def test_timeout_and_max_wait_options_win_over_the_environment(cli_env, tmp_path, monkeypatch):
    monkeypatch.setenv("S2_MAX_WAIT", "600")
    cli_env.faults = Faults(rate_429=1.0, retry_after=30)  # "come back in 30 s"
    before = len(cli_env.request_log)
    res = CliRunner().invoke(cli, ["map", "2101.00000", "--out", str(tmp_path / "out"), "--max-wait", "5", "-q"])
    # one request, then given up: under the environment's 600 s it would have waited and asked again
    assert len(cli_env.request_log) == before + 1
    assert res.exit_code == 1 and "S2_MAX_WAIT" in res.output and "Traceback" not in res.output
    cli_env.faults = Faults(latency=2.0)
    res = CliRunner().invoke(cli, ["map", "2101.00000", "--out", str(tmp_path / "out"), "--timeout", "0.3",
                                   "--max-wait", "1", "-q"])
    assert res.exit_code == 1 and "no complete answer within" in res.output, res.output
    bad = CliRunner().invoke(cli, ["map", "2101.00000", "--timeout", "0"])
    assert bad.exit_code == 2 and "--timeout" in bad.output


def test_tables_go_to_csv(cli_env, tmp_path):
    out = tmp_path / "rank.csv"
    invoke("rank", "2101.00000", "-q", "--csv", str(out))
    df = pd.read_csv(out)
    assert list(df["rank"]) == list(range(1, len(df) + 1))


def test_path_command(cli_env, synth_dataset):
    res = json.loads(invoke("path", "2101.00005", "2101.00004", "-q", "--json"))
    p = synth_dataset.pid_of
    assert res["length"] == 4
    assert res["paths"] == [[p(5), p(0), p(3), p(1), p(4)]]
    text = invoke("path", "2101.00005", "2101.00004", "-q", "--offline")
    assert res["hops"] == [[("cites" if b in synth_dataset.references.get(a, []) else "cited by") for a, b in zip(path, path[1:])]
                           for path in res["paths"]]
    # each hop says who cites whom: the path follows citations either way
    arrows = ["→" if hop == "cites" else "←" for hop in res["hops"][0]]
    assert f"SYNTH paper 5  {arrows[0]}  SYNTH paper 0  {arrows[1]}  SYNTH paper 3" in text
    assert "->" not in text and set(arrows) == {"→", "←"}


def test_reading_order_command(cli_env):
    md = invoke("reading-order", "2101.00003", "2101.00000", "2101.00005", "-q")
    assert md.index("SYNTH paper 3") < md.index("SYNTH paper 0") < md.index("SYNTH paper 5")
    assert "## Beginner" in md and "## Expert" in md


def test_isolated_papers_get_answers_not_errors(cli_env):
    assert "no paper of the graph shares a reference" in invoke("related", "2101.00009", "-q")
    out = invoke("path", "2101.00009", "2101.00001", "-q")
    assert out.strip() == "no citation path between 'SYNTH paper 9' and 'SYNTH paper 1' in the store"


def test_ctrl_c_during_a_long_retry_wait_stops_at_once(synth_server, tmp_path):
    # the server says "come back in an hour" (the client waits at most 120 s of it), which the two-hour
    # wait budget allows: Ctrl-C must not wait for it (had it waited, the 60 s given to the process run out)
    synth_server.faults = Faults(rate_429=1.0, retry_after=3600)
    env = {**os.environ, "S2_API_URL": synth_server.url, "S2_RATE": "0", "S2_MAX_WAIT": "7200"}
    proc = subprocess.Popen([sys.executable, "-m", "graph", "map", "2101.00000", "--out", str(tmp_path / "out"),
                             "--store", str(tmp_path / "s.sqlite")], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not synth_server.request_log and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert "interrupted: everything fetched so far is stored" in err
    assert len(synth_server.request_log) == 1


@pytest.mark.parametrize("answer", ["ctrl-c", "ctrl-d", "no"])
def test_the_prompt_for_a_long_step_takes_no_ctrl_c_and_ctrl_d(synth_server, tmp_path, answer):
    import pty

    # one request at 0.0001 requests/s is a step of almost 3 hours: on a terminal, the run asks first
    master, slave = pty.openpty()
    env = {**os.environ, "S2_API_URL": synth_server.url}
    before = len(synth_server.request_log)
    proc = subprocess.Popen([sys.executable, "-m", "graph", "map", "2101.00000", "--rate", "0.0001",
                             "--out", str(tmp_path / "out"), "--store", str(tmp_path / "s.sqlite")],
                            env=env, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    seen, deadline = b"", time.monotonic() + 60
    while b"Go on?" not in seen and time.monotonic() < deadline:
        try:
            seen += os.read(master, 4096)
        except OSError:
            break
    assert b"Go on?" in seen, seen.decode(errors="replace")
    if answer == "ctrl-c":
        proc.send_signal(signal.SIGINT)
    else:
        os.write(master, b"\x04" if answer == "ctrl-d" else b"n\n")
    try:
        proc.wait(timeout=30)
    finally:
        proc.kill()
    try:
        while chunk := os.read(master, 4096):
            seen += chunk
    except OSError:
        pass
    os.close(master)
    out = seen.decode(errors="replace")
    assert "Traceback" not in out, out
    if answer == "ctrl-c":
        assert proc.returncode == 130 and "interrupted: everything fetched so far is stored" in out, out
    else:  # Ctrl-D is a no, not a damaged file
        assert proc.returncode == 1 and "pass --yes to run it anyway" in out and "truncated" not in out, out
    assert len(synth_server.request_log) == before  # the plan asks before the step's first request


def test_ctrl_c_stops_cleanly_and_the_next_run_goes_on(arxiv_server, tmp_path):
    env = {"S2_API_URL": arxiv_server.url, "S2_RATE": "0"}
    args = ["map", str(READING_LIST), "--out", str(tmp_path / "out"), "--json", "--quiet",
            "--store", str(tmp_path / "s.sqlite")]
    arxiv_server.faults = Faults(latency=0.1)
    proc = subprocess.Popen([sys.executable, "-m", "graph", *args], env={**os.environ, **env}, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(arxiv_server.request_log) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted: everything fetched so far is stored" in err and "Traceback" not in err
    arxiv_server.faults = Faults()
    done = len(arxiv_server.request_log)
    resumed = json.loads(run_cli(*args, env_extra=env).stdout)
    assert resumed["seeds"]["resolved"] == 17 and resumed["requests"] == len(arxiv_server.request_log) - done
    assert resumed["requests"] < 26


# --- startup --------------------------------------------------------------------------------

def test_importing_the_cli_loads_no_heavy_library():
    code = ("import sys, graph.cli\n"
            "print(sorted(m for m in ('sklearn', 'pandas', 'scipy', 'networkx', 'numpy') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def _heavy_modules_after(args: list[str], env_extra: dict | None = None) -> list[str]:
    """Run ``citegraph ARGS`` in a new process; the heavy libraries it had imported by the end."""
    code = ("import sys\nfrom graph.cli import main\n"
            f"sys.argv = ['citegraph', *{args!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('sklearn', 'igraph', 'matplotlib', 'pandas', 'scipy', 'pyvis') "
            "if m in sys.modules), file=sys.stderr)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, **(env_extra or {})})
    line = [x for x in res.stderr.splitlines() if x.startswith("LOADED ")]
    assert line, res.stderr
    return ast.literal_eval(line[-1][len("LOADED "):])


def test_help_loads_no_heavy_library():
    # how fast --help answers is a matter of what it imports, not of a stopwatch on a loaded machine
    assert _heavy_modules_after(["--help"]) == []


def test_a_warm_question_reads_its_answer_back_without_the_clustering_libraries(synth_server, tmp_path):
    env = {"S2_API_URL": synth_server.url, "S2_RATE": "0", "CITEGRAPH_STORE": str(tmp_path / "s.sqlite"),
           "CITEGRAPH_CACHE_KEY": str(tmp_path / "key")}
    seeds = ["2101.00000", "2101.00001"]
    first = _heavy_modules_after(["clusters", *seeds, "-q"], env)
    assert "sklearn" in first and "igraph" in first  # the first time, the map is clustered and labelled
    for command in ("related", "clusters", "rank"):
        loaded = _heavy_modules_after([command, *seeds, "-q"], env)
        assert not {"sklearn", "igraph", "matplotlib", "pyvis"} & set(loaded), (command, loaded)
    # a second map draws and exports the kept analysis: no analysis module, so not even scipy
    loaded = _heavy_modules_after(["map", *seeds, "-q", "--out", str(tmp_path / "out")], env)
    assert not {"sklearn", "igraph", "matplotlib", "scipy"} & set(loaded), loaded
    assert (tmp_path / "out").is_dir()


# --- tables and commands say what is true ------------------------------------------------------

def test_related_help_offers_limit_and_not_resolution():
    out = CliRunner().invoke(cli, ["related", "--help"]).stdout
    assert "--limit" in out and "--resolution" not in out
    assert "--resolution" in CliRunner().invoke(cli, ["clusters", "--help"]).stdout


def test_plan_counts_one_batch_request_in_the_singular(cli_env):
    res = CliRunner().invoke(cli, ["rank", "2101.00000", "--json"], catch_exceptions=False)
    assert res.exit_code == 0
    assert "(1 batch request)" in res.stderr and "1 batch requests" not in res.stderr


def test_map_summary_names_papers_by_title(cli_env, tmp_path):
    # seed 0 has two citations; listing at most one leaves its citation list incomplete
    res = CliRunner().invoke(cli, ["map", "2101.00000", "--max-citations", "1", "-q", "--out", str(tmp_path)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    line = next(l for l in res.stdout.splitlines() if "incomplete" in l)
    assert "incomplete citations of SYNTH paper 0:" in line
    assert not re.search(r"[0-9a-f]{40}", line)


def test_rank_of_a_sectioned_list_shows_blank_not_none_for_the_seeds_topic(cli_env, tmp_path):
    seeds = tmp_path / "list.md"
    seeds.write_text("# SYNTH list\n\n## Section A\n\n1. **SYNTH paper 0**\n   - link: https://arxiv.org/abs/2101.00000\n\n"
                     "## Section B\n\n1. **SYNTH paper 1**\n   - link: https://arxiv.org/abs/2101.00001\n",
                     encoding="utf-8")
    out = invoke("rank", str(seeds), "-q")
    assert "SYNTH paper 0" in out and "None" not in out


def test_progress_bars_are_drawn_on_a_terminal_only(synth_server, tmp_path):
    env = {**os.environ, "S2_API_URL": synth_server.url, "S2_RATE": "0"}
    done = subprocess.run([sys.executable, "-m", "graph", "map", "2101.00000", "--out", str(tmp_path / "out"),
                           "--store", str(tmp_path / "s.sqlite")], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    # redirected, a bar's frames would run into the messages around them
    assert done.returncode == 0 and "req/s" not in done.stderr and "\r" not in done.stderr, done.stderr
