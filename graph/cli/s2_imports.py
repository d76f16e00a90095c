"""`citegraph import s2`: Semantic Scholar's bulk datasets into a local corpus."""

from __future__ import annotations

import click

from .common import _check_corpus_path
from .imports import import_group, import_progress, print_reports


@import_group.command("s2")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--corpus", "corpus_path", envvar="CITEGRAPH_CORPUS", required=True, type=click.Path(dir_okay=False),
              callback=_check_corpus_path,
              help="The corpus database file (created if missing; env CITEGRAPH_CORPUS).")
@click.option("--memory-limit", default="2GB", show_default=True, help="DuckDB memory limit, 256MB to 1PiB; it spills to disk beyond.")
def import_s2_command(paths: tuple[str, ...], corpus_path: str, memory_limit: str) -> None:
    """Stream S2 bulk dataset shards (papers, citations, abstracts, tldrs,
    paper-ids; .jsonl, .jsonl.gz or .json.gz as S2 serves them, files or
    folders) into a corpus.

    Each shard's dataset is recognised from its keys. Loading a shard twice adds
    nothing; bad lines are reported with file, line and reason, and the rest loads.
    """
    from ..sources.corpus_import import Corpus
    from ..sources.s2_import import import_s2

    bar, update = import_progress("importing")
    try:
        with Corpus(corpus_path, memory_limit=memory_limit) as corpus:
            reports = import_s2(corpus, paths, progress=update)
            bar.close()
            print_reports(reports, corpus.counts())
    finally:
        bar.close()  # before an error's message, so the bar does not overwrite it
