"""`citegraph import`: local corpora (the group, `import csv`, and what every import prints;
`import s2` is in :mod:`.s2_imports`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import click

from .common import _check_corpus_path, cli


@cli.group("import")
def import_group():
    """Load a local corpus (S2 bulk datasets or citation CSVs) into DuckDB.

    Maps can then be built from it with `citegraph map SEEDS --corpus PATH`,
    with no network and without loading the corpus into memory.
    """


def import_progress(desc: str) -> tuple[Any, Callable[[Any, int], None]]:
    """A progress bar of rows imported, and the callback an import reports its rows to. The bar is
    drawn on a terminal only: redirected to a file, its carriage-return frames would be kept
    and run into the report and the error messages that follow."""
    from tqdm import tqdm  # here, not at the top: the CLI's startup stays light

    bar = tqdm(desc=desc, unit=" rows", unit_scale=True, leave=False, file=sys.stderr, disable=None)
    state = {"file": None, "seen": 0}

    def update(report, rows):
        if report.file != state["file"]:
            state["file"], state["seen"] = report.file, 0
            bar.set_description(f"{desc} {Path(report.file).name}")
        bar.update(rows - state["seen"])
        state["seen"] = rows
    return bar, update


def print_reports(reports, counts):
    for r in reports:
        if r.skipped:
            click.echo(f"{r.file}: {r.kind}: skipped, {r.skipped}")
            continue
        click.echo(f"{r.file}: {r.kind}: {r.rows:,} rows in {r.seconds:.1f} s ({r.rows_per_second:,.0f} rows/s)"
                   + (f", {r.bad:,} bad lines" if r.bad else "")
                   + (f", {r.unmatched:,} citations of papers S2 did not match (normal; not loaded)"
                      if r.unmatched else ""))
        if r.already:
            click.echo(f"  {r.already}: not added again")
        for note in r.notes:
            click.echo(f"  {note}")
        for b in r.bad_lines[:10]:
            click.echo(f"  bad line {b}")
        if r.bad > 10:
            click.echo(f"  … {r.bad - 10:,} more bad lines")
    click.echo("corpus now holds: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))


def csv_column_options(f):
    """The columns options of a CSV citation graph, shared by `import csv` and `prepare csv` (which
    read the same layout)."""
    for option in reversed([
        click.option("--title-column", help="Column with the title (default: one named title or titles)."),
        click.option("--id-column", help="Column with paper ids used by the edges (default: one named id or "
                                         "paper_id; without one, edges use row numbers)."),
        click.option("--year-column", help="Column with the year (default: one named year; else from new-style "
                                           "arXiv IDs)."),
        click.option("--doi-column", help="Column with DOIs (default: one named doi)."),
        click.option("--arxiv-column", help="Column with arXiv IDs, other values ignored (default: one named "
                                            "arxiv_id or arxiv)."),
        click.option("--citing-column", default="source", show_default=True, help="Edge column of the citing paper."),
        click.option("--cited-column", default="target", show_default=True, help="Edge column of the cited paper."),
    ]):
        f = option(f)
    return f


@import_group.command("csv")
@click.option("--papers", "papers", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV of papers, one row each; repeat to join files side by side by row.")
@click.option("--edges", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV of citations, one row per citing -> cited pair.")
@click.option("--corpus", "corpus_path", envvar="CITEGRAPH_CORPUS", required=True, type=click.Path(dir_okay=False),
              callback=_check_corpus_path,
              help="The corpus database file (created if missing; env CITEGRAPH_CORPUS).")
@csv_column_options
def import_csv_command(papers, edges, corpus_path, **columns):
    """Load a citation graph kept as CSV files (plain or gzipped) into a corpus.

    Columns with common names (title, id, year, doi, arxiv_id; any case) are
    recognised without flags; the flags name the others.

    \b
    Example (../shared/data/arxiv-cs-2023):
      citegraph import csv --corpus arxiv.duckdb --papers ids.csv.gz --papers titles.csv.gz \\
          --edges edges.csv.gz --title-column titles --arxiv-column ids
    """
    from ..sources.corpus_import import Corpus

    with Corpus(corpus_path) as corpus:
        report = corpus.import_csv(papers, edges, **columns)
        if report.columns:
            click.echo("columns: " + ", ".join(f"{k} = {v}" for k, v in report.columns.items()))
        print_reports([report], corpus.counts())
