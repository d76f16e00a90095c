"""Shared fixtures: the local S2 API server, the shared real data, fast clients."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# no per-example time limit: hypothesis's default 200 ms deadline is a wall-clock bound, and on a loaded
# 2-core machine a store round trip can pass it (the suite runs no timed assertion)
settings.register_profile("citegraph", deadline=None)
settings.load_profile("citegraph")

from graph.sources.s2 import S2Config, S2Source

# The files whose tests take longest start first. pytest-xdist (--dist loadfile) hands files to
# workers in the order of the collection when --no-loadscope-reorder is given (by default it
# reorders them by their number of tests, which starts the Spark file, 12 slow tests, last,
# leaving the suite waiting on one worker at the end).
SLOW_FILES_FIRST = ("test_prepare.py",)


def pytest_collection_modifyitems(config, items):
    first = {name: i for i, name in enumerate(SLOW_FILES_FIRST)}
    per_file: dict[str, int] = {}
    for item in items:
        per_file[item.path.name] = per_file.get(item.path.name, 0) + 1
    # the slow files first, then the others by their number of tests (xdist's own default order)
    items.sort(key=lambda item: (first.get(item.path.name, len(first)), -per_file[item.path.name],
                                 str(item.path)))

from graph.testing.s2_server import S2Dataset, S2TestServer

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CITEGRAPH_SHARED", ROOT.parent / "shared"))
ARXIV = SHARED / "data" / "arxiv-cs-2023"
S2_RESPONSES = SHARED / "data" / "s2-api-responses"
S2_BULK = SHARED / "data" / "s2-bulk-samples"
READING_LIST = ROOT / "seeds" / "ai-chips-llm-deployment.md"


def _need(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing; CI always has ../shared, so this is a broken checkout")
        pytest.skip(f"{path} is absent: these tests read the real data in ../shared, which this machine lacks")
    return path


@pytest.fixture(scope="session")
def arxiv_dir() -> Path:
    return _need(ARXIV)


@pytest.fixture(scope="session")
def s2_responses_dir() -> Path:
    return _need(S2_RESPONSES)


@pytest.fixture(scope="session")
def s2_bulk_dir() -> Path:
    return _need(S2_BULK)


@pytest.fixture(scope="session")
def arxiv_dataset(arxiv_dir) -> S2Dataset:
    return S2Dataset.from_arxiv_cs(arxiv_dir)


@pytest.fixture(scope="session")
def reading_list_map(arxiv_dataset, tmp_path_factory):
    """The reading list expanded over the arXiv corpus (served by its own local S2 server) into a
    clean store, once per test session: ``(ExpansionResult, requests the server saw, store path)``.
    Tests that need the clean map read it here instead of building it again (each build is ~10 s)."""
    from graph.expansion import ExpansionOptions, expand
    from graph.seeds import read_seeds
    from graph.store import Store

    path = tmp_path_factory.mktemp("reading-list") / "clean.sqlite"
    seeds = read_seeds([str(READING_LIST)]).seeds
    with S2TestServer(arxiv_dataset) as server, Store(path) as store, \
            S2Source(fast_config(server.url, max_retries=30)) as source:
        result = expand(seeds, store, source, ExpansionOptions(progress=False))
        seen = len(server.request_log)
    return result, seen, path


@pytest.fixture
def arxiv_server(arxiv_dataset):
    with S2TestServer(arxiv_dataset) as server:
        yield server


# A small synthetic citation graph, SYNTH paper 0..9, with answers that can be worked out by hand:
#   seeds 0 and 1; 0 cites 2, 3; 1 cites 3, 4; 5, 6 cite 0; 6, 7 cite 1; 8 cites 5; 9 is isolated.
SYNTH_EDGES = [(0, 2), (0, 3), (1, 3), (1, 4), (5, 0), (6, 0), (6, 1), (7, 1), (8, 5)]


@pytest.fixture
def synth_dataset() -> S2Dataset:
    return S2Dataset.synthetic(10, SYNTH_EDGES)


@pytest.fixture
def synth_server(synth_dataset):
    with S2TestServer(synth_dataset) as server:
        yield server


@pytest.fixture
def cli_env(synth_server, tmp_path, monkeypatch):
    monkeypatch.setenv("S2_API_URL", synth_server.url)
    monkeypatch.setenv("S2_RATE", "0")
    monkeypatch.setenv("CITEGRAPH_STORE", str(tmp_path / "store.sqlite"))
    return synth_server


def import_csv_corpus(folder: Path, papers_csv: str, edges_csv: str):
    """A corpus imported with ``citegraph import csv`` from two small hand-written (SYNTH) CSV texts:
    ``(corpus path, the command's result)``."""
    from click.testing import CliRunner

    from graph.cli import cli

    papers, edges, db = folder / "papers.csv", folder / "edges.csv", folder / "c.duckdb"
    papers.write_text(papers_csv, encoding="utf-8")
    edges.write_text(edges_csv, encoding="utf-8")
    res = CliRunner().invoke(cli, ["import", "csv", "--corpus", str(db), "--papers", str(papers),
                                   "--edges", str(edges)])
    assert res.exit_code == 0, res.output
    return db, res


def fast_config(url: str, **kw) -> S2Config:
    """No pacing and millisecond backoff, so fault-injection tests run quickly."""
    base = dict(api_url=url, rate=0, max_retries=6, backoff_base=0.001, backoff_max=0.01, timeout=10)
    base.update(kw)
    return S2Config(**base)


@pytest.fixture
def make_source():
    sources = []

    def make(url: str, **kw) -> S2Source:
        src = S2Source(fast_config(url, **kw))
        sources.append(src)
        return src

    yield make
    for s in sources:
        s.close()
