"""Shared pieces of the command line: the group, options, and how commands reach the library."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from ..errors import CitegraphError
from ..threads import wait_readable

# The library (pandas, scikit-learn, scipy, networkx, httpx) is imported inside the commands,
# so that --help, --version and usage errors answer at once.

EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2
# upper bounds of the number options: far beyond any useful value, and short of the overflows that
# inf or 1e308 met in the library (NaN in the JSON summary, timers that cannot be set)
MAX_RESOLUTION = 100.0  # Leiden's resolution: at 100 every paper of a map is its own cluster already
MAX_RATE = 1000.0  # requests per second
MAX_SECONDS = 7 * 24 * 3600.0  # --timeout and --max-wait: a week


def _err(msg: str) -> None:
    click.echo(msg, err=True)


class FiniteFloat(click.ParamType):
    """A finite number within ``[low, high]`` (``low`` excluded with ``low_open``): click's FloatRange lets
    ``nan`` through (every comparison with it is false) and ``inf`` or ``1e308`` reach the library."""

    name = "float"

    def __init__(self, low: float, high: float, *, low_open: bool = False) -> None:
        self.low, self.high, self.low_open = low, high, low_open

    def convert(self, value, param, ctx):
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        below = number <= self.low if self.low_open else number < self.low
        if below or number > self.high:
            bracket = "(" if self.low_open else "["
            self.fail(f"{value!r} is not in {bracket}{self.low:g}, {self.high:g}]", param, ctx)
        return number


def _check_corpus_path(ctx, param, value):
    """--corpus is a corpus file or a prepared corpus's folder: a FIFO would hang the open, a device or a
    loop fail deep in DuckDB; refused here in one line."""
    from ..paths import file_problem, utf8_problem

    if value:
        bad_text = utf8_problem(value)
        if bad_text:  # a usage error, as every option's (see _check_utf8_options), before anything stats it
            raise click.BadParameter(bad_text, ctx=ctx, param=param)
        problem = file_problem(value, "corpus")
        if problem:
            raise CitegraphError(problem)
    return value


def _check_utf8_options(command: click.Command, ctx: click.Context) -> None:
    """Every option's text (paths, names) must be valid UTF-8: the bytes Python keeps of anything else
    fail in whatever encodes them next (SQLite, DuckDB, pyarrow, a file's text)."""
    from ..paths import utf8_problem

    for param in command.params:
        if not isinstance(param, click.Option):
            continue  # seed arguments are read (and reported) by the seed readers
        value = ctx.params.get(param.name)
        for text in (value if isinstance(value, (tuple, list)) else (value,)):
            problem = isinstance(text, str) and utf8_problem(text)
            if problem:
                raise click.BadParameter(problem, ctx=ctx, param=param)


class CitegraphCommand(click.Command):
    """A command whose options are refused at once when they are not valid UTF-8."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        _check_utf8_options(self, ctx)
        return rest


def _source_options(f):
    f = click.option("--store", "store_path", envvar="CITEGRAPH_STORE", metavar="PATH",
                     help="Store file (default: one per API host in your cache directory; "
                          "env CITEGRAPH_STORE).")(f)
    # no envvar and no default here: the source reads its own environment variables (README,
    # Configuration) and names one whose value is bad; an option given on the command line wins over it
    f = click.option("--api-url", metavar="URL",
                     help="Base URL of the paper API (default: from the environment, else the public API).")(f)
    f = click.option("--rate", type=FiniteFloat(0, MAX_RATE), metavar="PER_SECOND",
                     help="Requests per second to the paper API; 0 = no pacing (default: from the "
                          "environment, else 1).")(f)
    f = click.option("--timeout", type=FiniteFloat(0, MAX_SECONDS, low_open=True), metavar="SECONDS",
                     help="Most seconds one attempt at a request may take, answer included (default: from the "
                          "environment, else 30).")(f)
    f = click.option("--max-wait", type=FiniteFloat(0, MAX_SECONDS), metavar="SECONDS",
                     help="Most seconds one request may take with its retries and waits; a server asking to "
                          "come back later than that stops the run with the time to come back "
                          "(default: from the environment, else 300).")(f)
    f = click.option("--corpus", "corpus_path", envvar="CITEGRAPH_CORPUS", metavar="PATH",
                     type=click.Path(), callback=_check_corpus_path,
                     help="Use this local corpus (a file from `citegraph import`, or a folder from `citegraph "
                          "prepare`) instead of the API (env CITEGRAPH_CORPUS).")(f)
    return f


class CitegraphGroup(click.Group):
    """The command group, and the one place where the library's errors become messages.

    Commands call the library and let its errors rise: a :class:`CitegraphError`
    (what went wrong and what to do next) or a file system refusal is printed as one
    line and exits 1, never as a traceback.
    """

    # every command and sub-group made with @cli.command / @cli.group checks its options' text
    command_class = CitegraphCommand
    group_class = type

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (CitegraphError, OSError) as exc:
            report_error(exc)
            ctx.exit(EXIT_NOTHING)


def report_error(exc: CitegraphError | OSError) -> None:
    """One line on stderr for an error the user can act on: the library's message, or for a file
    system refusal the library did not foresee, which file and why."""
    if isinstance(exc, OSError) and not isinstance(exc, CitegraphError):
        where = f" ({exc.filename})" if exc.filename else ""
        _err(f"error: {exc.strerror or exc}{where}")
    else:
        _err(f"error: {exc}")


@click.group(cls=CitegraphGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
        click.option("--max-citations", type=click.IntRange(0), default=1000, show_default=True,
                     help="Citations listed per seed (the API lists at most 9,999; a corpus has no cap)."),
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
        click.option("--collection", metavar="NAME", help="With a Zotero data directory or zotero.sqlite among the "
                     "seeds: that collection's items only (nested as A/B)."),
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
        opts.append(click.option("--resolution", type=FiniteFloat(0, MAX_RESOLUTION, low_open=True), default=1.0,
                                 show_default=True,
                                 help="Leiden resolution, above 0 and at most 100: higher gives more, smaller "
                                      "clusters."))
    for opt in reversed(opts):
        f = opt(f)
    return f


def _check_outputs(*, out_dir=None, name=None, csv_path=None) -> None:
    """Refuse output locations that cannot be written before any request is spent."""
    from ..outputs import check_name, check_out_dir, check_output_file

    if name is not None:
        check_name(name)
    if out_dir is not None:
        check_out_dir(out_dir)
    if csv_path:
        check_output_file(csv_path)


def _confirm():
    """Ask on a terminal whether a long step may run; elsewhere (pipes, CI) the answer is no."""
    def ask(msg: str) -> bool:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            return False
        while True:
            click.echo(msg + " Go on? [y/N]: ", nl=False, err=True)
            # waited for in slices, not in one read: a Ctrl-C another thread took is raised here
            wait_readable(sys.stdin)
            line = sys.stdin.readline()
            if not line:  # Ctrl-D at the prompt: no (a Ctrl-C stops the run)
                click.echo("", err=True)
                return False
            answer = line.strip().lower()
            if answer in ("y", "yes"):
                return True
            if answer in ("", "n", "no"):
                return False
            click.echo("Error: invalid input", err=True)
    return ask


def _expansion(*, depth, max_citations, max_papers, offline, refresh, quiet, yes, co_cited, coupled, min_evidence,
               progress):
    """The expansion options of the command line's flags."""
    from ..expansion import ExpansionOptions

    return ExpansionOptions(depth=depth, max_citations=max_citations, max_papers=max_papers, refresh=refresh,
                            offline=offline, progress=progress and not quiet, co_cited=co_cited, coupled=coupled,
                            min_evidence=min_evidence, max_plan_seconds=None if yes else 3600.0,
                            confirm=_confirm())


@contextmanager
def _session(seeds=(), *, store_path=None, api_url=None, rate=None, timeout=None, max_wait=None, corpus_path=None,
             top=100, method="salton", resolution=1.0, progress=True, collection=None, **flags):
    """The library session (:class:`graph.session.Explorer`) a command works in: the store and the
    source (Semantic Scholar, or a local corpus, whose maps are built in a throwaway in-memory
    store unless --store is given), opened once and closed when the command ends."""
    from ..session import Explorer

    if collection:
        from ..seeds_zotero import with_collection

        seeds = with_collection(seeds, collection)  # a Zotero library's items of --collection (PATH::A/B)
    quiet = flags["quiet"]
    # warnings (invalid values repaired, long waits) are shown even with --quiet
    with Explorer(seeds, store=store_path, corpus=corpus_path, api_url=api_url, rate=rate, timeout=timeout,
                  max_wait=max_wait,
                  options=_expansion(progress=progress, **flags), top=top, method=method, resolution=resolution,
                  log=(lambda m: None) if quiet else _err, warn=_err) as explorer:
        yield explorer


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

        write_csv(df, csv_path)
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
