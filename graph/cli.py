"""``citegraph``: a thin command line over :mod:`graph.pipeline`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import CitegraphError, NothingUsableError
from .expansion import ExpansionOptions
from .pipeline import build_map, default_name, summary, write_map
from .sources.s2 import S2Config, S2Source
from .store import Store, default_store_path

EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2


def _err(msg: str) -> None:
    click.echo(msg, err=True)


def _open_store(store_path: str | None, api_url: str) -> Store:
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


@cli.command("map")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the map and tables.")
@click.option("--name", help="Base name of the files written (default: the first seed file's name).")
@click.option("--depth", type=click.IntRange(1, 3), default=1, show_default=True,
              help="1: seeds with their references and citations; 2: also what those papers cite.")
@click.option("--max-citations", type=click.IntRange(0, 9999), default=1000, show_default=True,
              help="Citations listed per seed (S2 cannot list more than 9,999).")
@click.option("--max-papers", type=click.IntRange(1), default=5000, show_default=True,
              help="Upper bound on papers in the graph; the best-connected are kept.")
@click.option("--offline", is_flag=True, help="Build from the store alone; name what is missing.")
@click.option("--refresh", is_flag=True, help="Refetch everything instead of using the store.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or plan on stderr.")
@_source_options
def map_command(seeds, out_dir, name, depth, max_citations, max_papers, offline, refresh, as_json, quiet,
                store_path, api_url, rate):
    """Build a citation map from SEEDS (files or identifiers).

    Writes NAME.html (interactive map), NAME.papers.csv and NAME.graphml under
    --out. Exit status: 0 success (even if some seeds are unresolved), 1 nothing
    usable, 2 bad usage.

    \b
    Examples:
      citegraph map seeds/ai-chips-llm-deployment.md
      citegraph map refs.bib --depth 2 --max-papers 3000
      citegraph map arXiv:2205.14135 "Attention is all you need" --name attention
      citegraph map seeds/ai-chips-llm-deployment.md --offline --json
    """
    log = (lambda m: None) if quiet else (lambda m: _err(m))
    options = ExpansionOptions(depth=depth, max_citations=max_citations, max_papers=max_papers,
                               refresh=refresh, offline=offline, progress=not quiet and not as_json)
    config = S2Config.from_env(api_url=api_url.rstrip("/"), rate=rate)
    try:
        with _open_store(store_path, config.api_url) as store, S2Source(config) as source:
            run = build_map(seeds, store=store, source=None if offline else source, options=options, log=log)
            files = write_map(run, out_dir, name or default_name(seeds))
    except NothingUsableError as exc:
        _err(f"error: {exc}")
        sys.exit(EXIT_NOTHING)
    except CitegraphError as exc:
        _err(f"error: {exc}")
        sys.exit(EXIT_NOTHING)
    info = summary(run, files)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        _print_summary(info)


def _print_summary(info: dict) -> None:
    s = info["seeds"]
    click.echo(f"seeds: {s['resolved']} of {s['total']} resolved")
    for u in s["unresolved"]:
        click.echo(f"  unresolved {u['source']}: {u['title'] or u['input']}: {u['reason']}")
    for u in s["skipped_lines"]:
        click.echo(f"  skipped {u['source']}: {u['reason']}: {u['input']}")
    click.echo(f"graph: {info['papers']} papers, {info['edges']} citation edges")
    click.echo(f"requests: {info['requests']} (floor {info['request_floor']}), "
               f"served from the store: {info['cache_hits']}")
    for t in info["truncated"]:
        click.echo(f"  incomplete {t['list']} of {t['paper_id']}: {t['reason']}")
    for f in info["failures"]:
        click.echo(f"  failed {f['item']}: {f['error']}")
    for m in info["missing"]:
        click.echo(f"  missing from the store: {m}")
    for kind, path in info["files"].items():
        click.echo(f"wrote {kind}: {path}")


def main() -> None:
    cli(prog_name="citegraph")


if __name__ == "__main__":
    main()
