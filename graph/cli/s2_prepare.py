"""`citegraph prepare s2`: the S2 bulk datasets prepared on Apache Spark."""

from __future__ import annotations

import click

from .common import _err
from .prepare import _conf, _report, _spark_options, prepare_group


@prepare_group.command("s2")
@click.argument("paths", nargs=-1, required=True)
@_spark_options
def prepare_s2_command(paths, out, master, conf, now_year, tol):
    """Prepare S2 bulk dataset shards (papers, citations, abstracts, tldrs,
    paper-ids; .jsonl or .jsonl.gz, files or folders, or URIs such as
    s3a://bucket/s2/papers/) into a prepared corpus.

    Bad lines are reported with file, line and reason, and the rest goes through.
    """
    from ..prepare.s2_inputs import prepare_s2

    _report(prepare_s2(paths, out, master=master, conf=_conf(conf), now_year=now_year, tol=tol, log=_err))
