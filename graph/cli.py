"""``citegraph``: a thin command line over :mod:`graph.pipeline`."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from tqdm import tqdm

from .errors import CitegraphError
from .expansion import ExpansionOptions
from .analysis import influence_table, reading_order, reading_order_markdown
from .pipeline import (EXPORT_FORMATS, analyse_map, bibtex_selection, build_map, default_name, find_paths,
                       summary, write_map)
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
        click.option("--offline", is_flag=True, help="Build from the store alone; name what is missing."),
        click.option("--refresh", is_flag=True, help="Refetch everything instead of using the store."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bars or plan on stderr."),
    ]):
        f = opt(f)
    return _source_options(f)


def _analysis_options(f):
    for opt in reversed([
        click.option("--top", type=click.IntRange(1), default=100, show_default=True,
                     help="Related papers shown beside the seeds."),
        click.option("--method", type=click.Choice(["salton", "adamic_adar"]), default="salton",
                     show_default=True, help="Normalisation of coupling and co-citation."),
        click.option("--resolution", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
                     help="Louvain resolution: higher gives more, smaller clusters."),
    ]):
        f = opt(f)
    return f


def _fail(exc: Exception) -> None:
    _err(f"error: {exc}")
    sys.exit(EXIT_NOTHING)


@contextmanager
def _store_and_source(store_path, api_url, rate, corpus_path):
    """The store and the source a command works with: Semantic Scholar, or a local corpus
    (whose maps are built in a throwaway in-memory store unless --store is given)."""
    if corpus_path:
        from .corpus import Corpus
        from .sources.corpus import CorpusSource

        with Corpus(corpus_path, read_only=True) as corpus, Store(store_path or ":memory:") as store:
            yield store, CorpusSource(corpus)
        return
    config = S2Config.from_env(api_url=api_url.rstrip("/"), rate=rate)
    with _open_store(store_path, config.api_url) as store, S2Source(config) as source:
        yield store, source


def _run(seeds, *, depth, max_citations, max_papers, offline, refresh, quiet, store_path, api_url, rate,
         corpus_path, progress=True):
    """Build (or load from the store) the map of ``seeds``; exits 1 with a message on failure."""
    log = (lambda m: None) if quiet else _err
    options = ExpansionOptions(depth=depth, max_citations=max_citations, max_papers=max_papers,
                               refresh=refresh, offline=offline, progress=progress and not quiet)
    try:
        with _store_and_source(store_path, api_url, rate, corpus_path) as (store, source):
            return build_map(seeds, store=store, source=None if offline else source, options=options, log=log)
    except CitegraphError as exc:
        _fail(exc)


def _emit(df, *, csv_path, as_json, columns, title="title", empty="nothing to show"):
    """A table to the terminal, or to CSV / JSON."""
    import pandas as pd

    if csv_path:
        df.to_csv(csv_path, index=False)
        _err(f"wrote {csv_path}")
    if as_json:
        click.echo(df.to_json(orient="records", force_ascii=False, indent=2))
        return
    if csv_path:
        return
    if df.empty:
        click.echo(empty)
        return
    view = df[columns].copy()
    if title in view:
        view[title] = view[title].fillna("").map(lambda t: t if len(t) <= 60 else t[:59] + "…")
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.float_format", "{:.4g}".format):
        click.echo(view.to_string(index=False))


def _table_options(f):
    f = click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the table to this CSV file.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="Print the table as JSON records.")(f)
    return f


@cli.command("map")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the map and tables.")
@click.option("--name", help="Base name of the files written (default: the first seed file's name).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object on stdout.")
@_analysis_options
@_expansion_options
def map_command(seeds, out_dir, name, as_json, top, method, resolution, **expansion):
    """Build a citation map from SEEDS (files or identifiers).

    Writes under --out: NAME.html (interactive map of the seeds and their most
    related papers, with a timeline), NAME.papers.csv and .parquet (every paper
    with its scores and cluster), NAME.edges.csv, NAME.bib, NAME.graphml,
    NAME.gexf and NAME.json. Exit status: 0 success (even if some seeds are
    unresolved), 1 nothing usable, 2 bad usage.

    \b
    Examples:
      citegraph map seeds/ai-chips-llm-deployment.md
      citegraph map refs.bib --depth 2 --max-papers 3000
      citegraph map arXiv:2205.14135 "Attention is all you need" --name attention
      citegraph map seeds/ai-chips-llm-deployment.md --offline --json
    """
    run = _run(seeds, progress=not as_json, **expansion)
    try:
        analysis = analyse_map(run, top=top, method=method, resolution=resolution)
        files = write_map(run, out_dir, name or default_name(seeds), analysis)
    except CitegraphError as exc:
        _fail(exc)
    info = summary(run, files)
    info["clusters"] = [{"cluster": int(r.cluster), "size": int(r.size), "label": r.label}
                        for r in analysis["clusters"]["clusters"].itertuples()]
    info["modularity"] = round(analysis["clusters"]["modularity"], 4)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        _print_summary(info)


@cli.command("export")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--format", "formats", default="csv,edges,bibtex,graphml,gexf,json", show_default=True,
              help="Comma-separated: " + ", ".join(EXPORT_FORMATS) + ".")
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the files.")
@click.option("--name", help="Base name of the files (default: the first seed file's name).")
@click.option("--cluster", type=int, help="BibTeX of this cluster of the map only.")
@click.option("--bib-top", type=click.IntRange(1), help="BibTeX of the seeds and the N most related only.")
@_analysis_options
@_expansion_options
def export_command(seeds, formats, out_dir, name, cluster, bib_top, top, method, resolution, **expansion):
    """Export the SEEDS' map as tables and graph files.

    Papers (CSV, Parquet) with every score and the cluster label; edges
    (citations and similarity) as CSV; BibTeX of the map, one --cluster or the
    --bib-top N papers; GraphML and GEXF for Gephi; node-link JSON. GraphML and
    JSON read back into the same graph (graph.export.read_graphml,
    read_node_link_json).
    """
    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    bad = [f for f in chosen if f not in EXPORT_FORMATS]
    if bad:
        raise click.BadParameter(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(EXPORT_FORMATS)}",
                                 param_hint="--format")
    run = _run(seeds, **expansion)
    try:
        analysis = analyse_map(run, top=top, method=method, resolution=resolution)
        bib = bibtex_selection(analysis, cluster=cluster, top=bib_top) if "bibtex" in chosen else None
        files = write_map(run, out_dir, name or default_name(seeds), analysis, formats=chosen, bib_nodes=bib)
    except CitegraphError as exc:
        _fail(exc)
    for kind, path in files.items():
        click.echo(f"wrote {kind}: {path}")
    for s in run.skipped_exports:
        click.echo(f"skipped {s}")


@cli.group("import")
def import_group():
    """Load a local corpus (S2 bulk datasets or citation CSVs) into DuckDB.

    Maps can then be built from it with `citegraph map SEEDS --corpus PATH`,
    with no network and without loading the corpus into memory.
    """


def _import_progress(desc):
    bar = tqdm(desc=desc, unit=" rows", unit_scale=True, leave=False, file=sys.stderr)
    state = {"file": None, "seen": 0}

    def update(report, rows):
        if report.file != state["file"]:
            state["file"], state["seen"] = report.file, 0
            bar.set_description(f"{desc} {Path(report.file).name}")
        bar.update(rows - state["seen"])
        state["seen"] = rows
    return bar, update


def _print_reports(reports, counts):
    for r in reports:
        if r.skipped:
            click.echo(f"{r.file}: {r.kind}: skipped, {r.skipped}")
            continue
        click.echo(f"{r.file}: {r.kind}: {r.rows:,} rows in {r.seconds:.1f} s ({r.rows_per_second:,.0f} rows/s)"
                   + (f", {r.bad:,} bad lines" if r.bad else ""))
        for b in r.bad_lines[:10]:
            click.echo(f"  bad line {b}")
        if r.bad > 10:
            click.echo(f"  … {r.bad - 10:,} more bad lines")
    click.echo("corpus now holds: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))


@import_group.command("s2")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--corpus", "corpus_path", envvar="CITEGRAPH_CORPUS", required=True, type=click.Path(dir_okay=False),
              help="The corpus database file (created if missing; env CITEGRAPH_CORPUS).")
@click.option("--memory-limit", default="2GB", show_default=True, help="DuckDB memory limit; it spills beyond.")
def import_s2_command(paths, corpus_path, memory_limit):
    """Stream S2 bulk dataset shards (papers, citations, abstracts, tldrs,
    paper-ids; .jsonl or .jsonl.gz, files or folders) into a corpus.

    Each shard's dataset is recognised from its keys. Loading a shard twice adds
    nothing; bad lines are reported with file, line and reason, and the rest loads.
    """
    from .corpus import Corpus

    bar, update = _import_progress("importing")
    try:
        with Corpus(corpus_path, memory_limit=memory_limit) as corpus:
            reports = corpus.import_s2(paths, progress=update)
            bar.close()
            _print_reports(reports, corpus.counts())
    except CitegraphError as exc:
        bar.close()
        _fail(exc)


@import_group.command("csv")
@click.option("--papers", "papers", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV of papers, one row each; repeat to join files side by side by row.")
@click.option("--edges", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV of citations, one row per citing -> cited pair.")
@click.option("--corpus", "corpus_path", envvar="CITEGRAPH_CORPUS", required=True, type=click.Path(dir_okay=False),
              help="The corpus database file (created if missing; env CITEGRAPH_CORPUS).")
@click.option("--title-column", default="title", show_default=True, help="Column with the title.")
@click.option("--id-column", help="Column with paper ids used by the edges (default: edges use row numbers).")
@click.option("--year-column", help="Column with the year (default: from new-style arXiv IDs).")
@click.option("--doi-column", help="Column with DOIs.")
@click.option("--arxiv-column", help="Column with arXiv IDs (other values are ignored).")
@click.option("--citing-column", default="source", show_default=True, help="Edge column of the citing paper.")
@click.option("--cited-column", default="target", show_default=True, help="Edge column of the cited paper.")
def import_csv_command(papers, edges, corpus_path, **columns):
    """Load a citation graph kept as CSV files (plain or gzipped) into a corpus.

    \b
    Example (../shared/data/arxiv-cs-2023):
      citegraph import csv --corpus arxiv.duckdb --papers ids.csv.gz --papers titles.csv.gz \\
          --edges edges.csv.gz --title-column titles --arxiv-column ids
    """
    from .corpus import Corpus

    try:
        with Corpus(corpus_path) as corpus:
            report = corpus.import_csv(papers, edges, **columns)
            _print_reports([report], corpus.counts())
    except CitegraphError as exc:
        _fail(exc)


@cli.command("rank")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1), default=30, show_default=True, help="Rows shown.")
@_table_options
@_expansion_options
def rank_command(seeds, limit, csv_path, as_json, **expansion):
    """Rank the papers of the SEEDS' citation graph by influence.

    Columns: PageRank, in-graph and global citations, HITS authority and hub
    (hubs are surveys), PageRank among the last 3 years' papers, and momentum
    (share of in-graph citations from the last 2 years). --csv/--json give every
    paper and every column.
    """
    run = _run(seeds, **expansion)
    df = influence_table(run.graph).reset_index()
    _emit(df if (csv_path or as_json) else df.head(limit), csv_path=csv_path, as_json=as_json,
          columns=["rank", "title", "year", "pagerank", "in_graph_citations", "global_citations",
                   "hits_authority", "hits_hub", "momentum"])


@cli.command("related")
@click.argument("seeds", nargs=-1, required=True)
@_analysis_options
@_table_options
@_expansion_options
def related_command(seeds, top, method, resolution, csv_path, as_json, **expansion):
    """Papers most related to the SEEDS, and why.

    Relatedness fuses each seed's ranking (reciprocal rank fusion) of
    similarity = 0.5 x bibliographic coupling + 0.5 x co-citation. The
    shared_references, co_citations and path_to_seed columns explain each row.
    """
    run = _run(seeds, **expansion)
    analysis = analyse_map(run, top=top, method=method, resolution=resolution)
    g = run.graph
    t = analysis["table"].drop(index=analysis["seeds"])
    t = t.reset_index()
    t.insert(1, "title", t["paper_id"].map(lambda p: g.nodes[p].get("title")))
    t.insert(2, "year", t["paper_id"].map(lambda p: g.nodes[p].get("year")).astype("Int64"))
    t["best_seed_title"] = t["best_seed"].map(lambda p: g.nodes[p].get("title") if p in g else None)
    _emit(t, csv_path=csv_path, as_json=as_json,
          columns=["title", "year", "relatedness", "best_similarity", "shared_references", "co_citations",
                   "path_to_seed", "cluster"],
          empty="no paper of the graph shares a reference or a citing paper with the seeds; "
                "try --depth 2 or more seeds")


@cli.command("clusters")
@click.argument("seeds", nargs=-1, required=True)
@_analysis_options
@_table_options
@_expansion_options
def clusters_command(seeds, top, method, resolution, csv_path, as_json, **expansion):
    """Topic clusters of the SEEDS' map, with labels.

    Louvain communities (seeded, so reproducible) of the similarity graph of the
    map's papers; each cluster gets a class-based TF-IDF label from its titles
    and abstracts, its most central papers, its year span and the reading
    list's sections that fall into it. Modularity is printed on stderr.
    """
    run = _run(seeds, **expansion)
    analysis = analyse_map(run, top=top, method=method, resolution=resolution)
    g = run.graph
    res = analysis["clusters"]
    df = res["clusters"].copy()
    df["central_titles"] = df["central_papers"].map(lambda ps: [g.nodes[p].get("title") for p in ps])
    _err(f"modularity: {res['modularity']:.3f}")
    _emit(df, csv_path=csv_path, as_json=as_json,
          columns=["cluster", "size", "label", "year_min", "year_max", "seed_sections"], title="label")


@cli.command("path")
@click.argument("paper_a")
@click.argument("paper_b")
@click.option("--one-hop-longer", is_flag=True, help="Also list papers on paths one hop longer.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_expansion_options
def path_command(paper_a, paper_b, one_hop_longer, as_json, **expansion):
    """All shortest citation paths between PAPER_A and PAPER_B (IDs or titles).

    Citations are taken as undirected. Both papers are resolved and expanded
    (or taken from the store with --offline), then the paths run through every
    paper in the store, so earlier maps make longer paths findable.
    """
    opts = dict(expansion)
    where = [opts.pop(k) for k in ("store_path", "api_url", "rate", "corpus_path")]
    quiet = opts.pop("quiet")
    options = ExpansionOptions(progress=not quiet, **opts)
    try:
        with _store_and_source(*where) as (store, source):
            res = find_paths(paper_a, paper_b, store=store, source=None if options.offline else source,
                             options=options, one_hop_longer=one_hop_longer,
                             log=(lambda m: None) if quiet else _err)
    except CitegraphError as exc:
        _fail(exc)
    title = lambda p: res["titles"].get(p) or p
    ids = [res["source"], res["target"]]
    if as_json:
        click.echo(json.dumps(res, ensure_ascii=False, indent=2))
        return
    if res["length"] is None:
        click.echo(f"no citation path between {title(ids[0])!r} and {title(ids[1])!r} in the store")
        return
    click.echo(f"{len(res['paths'])} shortest path(s) of length {res['length']}:")
    for path in res["paths"]:
        click.echo("  " + "  ->  ".join(title(p) for p in path))
    if one_hop_longer:
        click.echo(f"papers on paths one hop longer: {len(res['one_hop_longer'])}")
        for p in res["one_hop_longer"]:
            click.echo(f"  {title(p)}")


@cli.command("reading-order")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--cluster", type=int, help="Order this cluster of the map instead of the seeds.")
@_analysis_options
@_table_options
@_expansion_options
def reading_order_command(seeds, cluster, top, method, resolution, csv_path, as_json, **expansion):
    """An order to read the SEEDS (or one cluster of their map) in, as markdown.

    Each paper comes after the papers of the set it cites; citation cycles and
    ties are broken by year, then PageRank. Papers are grouped into beginner,
    intermediate and expert stages by how many prerequisites lead to them.
    """
    run = _run(seeds, **expansion)
    g = run.graph
    influence = influence_table(g)["pagerank"]
    papers = g.graph["seeds"]
    if cluster is not None:
        analysis = analyse_map(run, top=top, method=method, resolution=resolution)
        mem = analysis["clusters"]["membership"]
        papers = list(mem.index[mem["cluster"] == cluster])
        if not papers:
            _fail(CitegraphError(f"no cluster {cluster}; see `citegraph clusters` for the numbers"))
    df = reading_order(g, papers, influence=influence)
    if csv_path or as_json:
        _emit(df, csv_path=csv_path, as_json=as_json, columns=list(df.columns))
    else:
        click.echo(reading_order_markdown(df))


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
    click.echo(f"clusters (modularity {info['modularity']}):")
    for c in info["clusters"]:
        click.echo(f"  {c['cluster']:>2}  {c['size']:>4} papers  {c['label']}")
    for kind, path in info["files"].items():
        click.echo(f"wrote {kind}: {path}")
    for s in info["skipped_exports"]:
        click.echo(f"skipped {s}")


def main() -> None:
    cli(prog_name="citegraph")


if __name__ == "__main__":
    main()
