"""Shared pieces of the command line: the group, options, and how commands reach the library."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ..errors import CitegraphError

# The library (pandas, scikit-learn, scipy, networkx, httpx) is imported inside the commands,
# so that --help, --version and usage errors answer at once.

EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2


def _err(msg: str) -> None:
    click.echo(msg, err=True)


def _open_store(store_path: str | None, api_url: str):
    from ..sources.s2 import default_store_path
    from ..store import Store

    path = Path(store_path) if store_path else default_store_path(api_url)
    return Store(path)


def _source_options(f):
    f = click.option("--store", "store_path", envvar="CITEGRAPH_STORE", metavar="PATH",
                     help="Store file (default: one per API host in your cache directory; "
                          "env CITEGRAPH_STORE).")(f)
    f = click.option("--api-url", envvar="S2_API_URL", default="https://api.semanticscholar.org",
                     show_default=True, help="Semantic Scholar API base URL (env S2_API_URL).")(f)
    f = click.option("--rate", type=float, envvar="S2_RATE", default=1.0, show_default=True,
                     help="Requests per second to Semantic Scholar (env S2_RATE; 0 = no pacing).")(f)
    f = click.option("--corpus", "corpus_path", envvar="CITEGRAPH_CORPUS", metavar="PATH",
                     type=click.Path(dir_okay=False),
                     help="Use this local corpus (from `citegraph import`) instead of the API (env CITEGRAPH_CORPUS).")(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="citegraph")
def cli() -> None:
    """citegraph: from a reading list to a citation graph, related papers and a map.

    Seeds (a markdown reading list, a text file of IDs, a BibTeX file, or IDs
    typed here) are resolved through the Semantic Scholar Graph API, expanded
    into a citation graph, analysed and written as an interactive HTML map and
    tables. Everything fetched is kept in a local store, so a second run makes
    no requests.

    \b
    Example:
      citegraph map seeds/ai-chips-llm-deployment.md
      citegraph map 1706.03762 10.18653/v1/N19-1423 --name transformers
    """


def _expansion_options(f):
    for opt in reversed([
        click.option("--depth", type=click.IntRange(1, 3), default=1, show_default=True,
                     help="1: seeds with their references and citations; 2: also what those papers cite."),
        click.option("--max-citations", type=click.IntRange(0, 9999), default=1000, show_default=True,
                     help="Citations listed per seed (S2 cannot list more than 9,999)."),
        click.option("--max-papers", type=click.IntRange(1), default=5000, show_default=True,
                     help="Upper bound on papers in the graph; the best-connected are kept."),
        click.option("--co-cited/--no-co-cited", default=True, show_default=True,
                     help="Add papers cited together with the seeds (costs only their details batches)."),
        click.option("--coupled/--no-coupled", default=None,
                     help="Add papers citing the seeds' references. On by default with --corpus; over the "
                          "API it lists one citation page per seed reference (the plan shows the cost)."),
        click.option("--min-evidence", type=click.IntRange(1), default=2, show_default=True,
                     help="Papers co-citing (or references shared) needed to add a co-cited (coupled) paper."),
        click.option("--offline", is_flag=True, help="Build from the store alone; name what is missing."),
        click.option("--refresh", is_flag=True, help="Refetch everything instead of using the store."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bars or plan on stderr."),
        click.option("--yes", "-y", is_flag=True,
                     help="Run steps planned to take over an hour at the current rate without asking."),
    ]):
        f = opt(f)
    return _source_options(f)


def _analysis_options(f=None, *, clusters: bool = True):
    """--top and --method, and --resolution where the command shows clusters."""
    if f is None:
        return lambda g: _analysis_options(g, clusters=clusters)
    opts = [
        click.option("--top", type=click.IntRange(1), default=100, show_default=True,
                     help="Related papers shown beside the seeds."),
        click.option("--method", type=click.Choice(["salton", "adamic_adar"]), default="salton",
                     show_default=True, help="Normalisation of coupling and co-citation."),
    ]
    if clusters:
        opts.append(click.option("--resolution", type=click.FloatRange(min=0, min_open=True), default=1.0,
                                 show_default=True, help="Leiden resolution: higher gives more, smaller clusters."))
    for opt in reversed(opts):
        f = opt(f)
    return f


def _fail(exc: Exception) -> None:
    _err(f"error: {exc}")
    sys.exit(EXIT_NOTHING)


def _check_outputs(*, out_dir=None, name=None, csv_path=None) -> None:
    """Refuse output locations that cannot be written before any request is spent."""
    from ..export import check_name, check_out_dir, check_output_file

    try:
        if name is not None:
            check_name(name)
        if out_dir is not None:
            check_out_dir(out_dir)
        if csv_path:
            check_output_file(csv_path)
    except CitegraphError as exc:
        _fail(exc)


@contextmanager
def _store_and_source(store_path, api_url, rate, corpus_path):
    """The store and the source a command works with: Semantic Scholar, or a local corpus
    (whose maps are built in a throwaway in-memory store unless --store is given)."""
    from ..store import Store

    if corpus_path:
        from ..corpus import Corpus
        from ..sources.corpus import CorpusSource

        with Corpus(corpus_path, read_only=True) as corpus, Store(store_path or ":memory:") as store:
            _report_repairs(store)
            yield store, CorpusSource(corpus)
        return
    from ..sources.s2 import S2Config, S2Source

    config = S2Config.from_env(api_url=api_url.rstrip("/"), rate=rate)
    # warnings (invalid values repaired, long waits) are shown even with --quiet
    with _open_store(store_path, config.api_url) as store, S2Source(config, log=_err) as source:
        _report_repairs(store)
        yield store, source


def _report_repairs(store: Store) -> None:
    for r in store.repaired:
        _err(f"warning: the store {store.path} held {r}; they were set to null and will be fetched again "
             "with --refresh")


def _confirm():
    """Ask on a terminal whether a long step may run; elsewhere (pipes, CI) the answer is no."""
    def ask(msg: str) -> bool:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            return False
        return click.confirm(msg + " Go on?", default=False, err=True)
    return ask


def _run(seeds, *, depth, max_citations, max_papers, offline, refresh, quiet, store_path, api_url, rate,
         corpus_path, yes=False, co_cited=True, coupled=None, min_evidence=2, progress=True):
    """Build (or load from the store) the map of ``seeds``; exits 1 with a message on failure."""
    from ..expansion import ExpansionOptions
    from ..pipeline import build_map

    log = (lambda m: None) if quiet else _err
    options = ExpansionOptions(depth=depth, max_citations=max_citations, max_papers=max_papers,
                               refresh=refresh, offline=offline, progress=progress and not quiet,
                               co_cited=co_cited, coupled=coupled, min_evidence=min_evidence,
                               max_plan_seconds=None if yes else 3600.0, confirm=_confirm())
    try:
        with _store_and_source(store_path, api_url, rate, corpus_path) as (store, source):
            return build_map(seeds, store=store, source=None if offline else source, options=options, log=log)
    except CitegraphError as exc:
        _fail(exc)


def _emit(df, *, csv_path, as_json, columns, title="title", empty="nothing to show", formats=None, limit=None):
    """A table to the terminal, or to CSV / JSON.

    CSV and JSON carry every row and the raw values; the terminal gets the first ``limit``
    rows, titles as people read them and ``formats`` (column -> function to text) for
    numbers that people read.
    """
    import pandas as pd

    from ..text import display_title

    if csv_path:
        from ..export import write_csv

        try:
            write_csv(df, csv_path)
        except CitegraphError as exc:
            _fail(exc)
        _err(f"wrote {csv_path}")
    if as_json:
        click.echo(df.to_json(orient="records", force_ascii=False, indent=2))
        return
    if csv_path:
        return
    if df.empty:
        click.echo(empty)
        return
    view = df[columns].head(limit).copy() if limit else df[columns].copy()
    if title in view:
        view[title] = view[title].map(lambda t: display_title(t) or "").map(
            lambda t: t if len(t) <= 60 else t[:59] + "…")
    for col, f in (formats or {}).items():
        if col in view:
            view[col] = view[col].map(lambda x: "" if x is None or x != x else f(x))
    view = view.rename(columns=lambda c: c.replace("_", " "))
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.float_format", readable):
        click.echo(view.to_string(index=False))
    if limit and len(df) > limit:
        click.echo(f"… {len(df) - limit:,} more rows: --limit N shows more, --csv FILE or --json gives them all")


def readable(x: float) -> str:
    """A number as people read it: no exponents, digits that matter.

    >>> [readable(v) for v in (0, 3.034e-08, 0.01234, 0.5, 3.14159, 52.31, 12345.6)]
    ['0', '<0.001', '0.012', '0.500', '3.14', '52.3', '12,346']
    """
    if x != x:
        return ""
    a = abs(x)
    if a == 0:
        return "0"
    if a < 0.001:
        return "<0.001" if x > 0 else ">-0.001"
    if a < 1:
        return f"{x:.3f}"
    if a < 10:
        return f"{x:.2f}"
    if a < 1000:
        return f"{x:.1f}"
    return f"{x:,.0f}"


def _table_options(f):
    f = click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the table to this CSV file.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="Print the table as JSON records.")(f)
    return f
