"""`citegraph prepare`: the whole corpus prepared on Apache Spark (the optional extra [spark])."""

from __future__ import annotations

import click

from .common import FiniteFloat, _err, cli
from .imports import csv_column_options


@cli.group("prepare")
def prepare_group():
    """Prepare a whole corpus on Apache Spark into Parquet: one row per work
    (versions merged), deduplicated citations, and per work the in-corpus
    citations, PageRank over the whole graph, citations of the last 2 and 3
    years, momentum and a field-normalised citation percentile.

    Explore it with `--corpus DIR` (map, related, rank, serve): DuckDB reads the
    Parquet files in place, no Spark needed. Needs `pip install 'citegraph[spark]'`
    and a Java runtime (17 or newer). Runs with --master local[*] on one machine,
    and unchanged on a cluster (--master spark://HOST:7077, or under spark-submit).
    """


def _spark_options(f):
    f = click.option("--out", required=True, metavar="DIR",
                     help="Folder of the prepared corpus (a local path or a URI such as s3a://…); written "
                          "whole or not at all, replacing a prepared corpus already there.")(f)
    f = click.option("--master", metavar="URL",
                     help="Spark master: local[*] (default, all cores here), local[2], spark://HOST:7077, yarn. "
                          "Under spark-submit, spark-submit's.")(f)
    f = click.option("--conf", "conf", multiple=True, metavar="KEY=VALUE",
                     help="A Spark setting, passed through (repeat): spark.driver.memory=8g, "
                          "spark.sql.shuffle.partitions=400, …")(f)
    f = click.option("--now-year", type=click.IntRange(1000, 3000),
                     help="The year recent citations count back from (default: the corpus's latest year).")(f)
    f = click.option("--tol", type=FiniteFloat(0, 1e-2, low_open=True), default=1e-6, show_default=True,
                     help="PageRank stops when its ranks are provably within this of the exact PageRank (L1 "
                          "distance; each factor of 10 tighter costs ~9 more iterations).")(f)
    return f


def _report(report) -> None:
    for r in report.files:
        click.echo(f"{r.file}: {r.kind}: {r.rows:,} rows" + (f", {r.bad:,} bad lines" if r.bad else "")
                   + (f", {r.unmatched:,} citations of papers S2 did not match (normal; not loaded)"
                      if r.unmatched else ""))
        for b in r.bad_lines[:10]:
            click.echo(f"  bad line {b}")
        if r.bad > 10:
            click.echo(f"  … {r.bad - 10:,} more bad lines")
    if report.columns:
        click.echo("columns: " + ", ".join(f"{k} = {v}" for k, v in report.columns.items()))
    c, pr = report.counts, report.pagerank
    click.echo(f"prepared {report.out}: {c['works']:,} works from {c['records']:,} records "
               f"({c['merged_works']:,} works merge versions), {c['citations']:,} citations, in {report.seconds:.0f} s")
    click.echo(f"PageRank: {pr['iterations']} iterations, last L1 change {pr['last_change']:.2g} "
               f"(within {pr['error_bound']:.2g} of the exact ranks)"
               + ("" if pr["converged"] else "; NOT converged: rerun with a larger --tol"))


def _conf(conf):
    from ..prepare.spark import parse_conf

    return parse_conf(conf)


@prepare_group.command("csv")
@click.option("--papers", "papers", multiple=True, required=True,
              help="CSV of papers, one row each; repeat to join files side by side by row.")
@click.option("--edges", required=True, help="CSV of citations, one row per citing -> cited pair.")
@csv_column_options
@_spark_options
def prepare_csv_command(papers, edges, out, master, conf, now_year, tol, **columns):
    """Prepare a citation graph kept as CSV files (read as `citegraph import csv`
    reads them) into a prepared corpus.

    \b
    Example (../shared/data/arxiv-cs-2023):
      citegraph prepare csv --out arxiv-prepared --papers ids.csv.gz --papers titles.csv.gz \\
          --edges edges.csv.gz --title-column titles --arxiv-column ids --master 'local[*]'
    """
    from ..prepare import prepare_csv

    _report(prepare_csv(papers, edges, out, master=master, conf=_conf(conf), now_year=now_year, tol=tol,
                        log=_err, **columns))

