"""`citegraph map` and `citegraph export`."""

from __future__ import annotations

import json
import re

import click

from ..formats import EXPORT_FORMATS
from .common import _analysis_options, _check_outputs, _expansion_options, _session, cli

@cli.command("map")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the map and tables.")
@click.option("--name", help="Base name of the files written (default: the first seed file's name).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object on stdout.")
@click.option("--whole-graph", is_flag=True,
              help="Tables and graph files of every paper of the graph (thousands; the reading list's "
                   "make ~46 MB) instead of the map's papers.")
@_analysis_options
@_expansion_options
def map_command(seeds, out_dir, name, as_json, whole_graph, top, method, resolution, **expansion):
    """Build a citation map from SEEDS (files, identifiers, or - for a list on standard input).

    Writes under --out: NAME.html (interactive map of the seeds and their most
    related papers, with a timeline), NAME.papers.csv and .parquet (the map's
    papers with their scores and cluster), NAME.edges.csv, NAME.bib, NAME.ris and
    NAME.csl.json (for Zotero), NAME.graphml, NAME.gexf and NAME.json
    (--whole-graph: every paper of the graph). Exit status: 0 success (even if
    some seeds are unresolved), 1 nothing usable, 2 bad usage.

    \b
    Examples:
      citegraph map seeds/ai-chips-llm-deployment.md
      citegraph map refs.bib --depth 2 --max-papers 3000
      citegraph map arXiv:2205.14135 "Attention is all you need" --name attention
      citegraph map seeds/ai-chips-llm-deployment.md --offline --json
    """
    from ..outputs import default_name

    _check_outputs(out_dir=out_dir, name=name or default_name(seeds))
    with _session(seeds, top=top, method=method, resolution=resolution, progress=not as_json,
                  **expansion) as session:
        files = session.export(out_dir, name, whole_graph=whole_graph)
        clusters = session.analysis().clusters
        summary = session.run_summary(files)
    if as_json:
        info = summary.to_dict()
        info["clusters"] = clusters.summary()
        info["modularity"] = round(clusters.modularity, 4)
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary, clusters)


@cli.command("export")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--format", "formats", default="csv,edges,bibtex,graphml,gexf,json", show_default=True,
              help="Comma-separated: " + ", ".join(EXPORT_FORMATS) + ".")
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the files.")
@click.option("--name", help="Base name of the files (default: the first seed file's name).")
@click.option("--cluster", type=int, help="BibTeX, RIS and CSL-JSON of this cluster of the map only.")
@click.option("--bib-top", type=click.IntRange(1),
              help="BibTeX, RIS and CSL-JSON of the seeds and the N most related only.")
@click.option("--whole-graph", is_flag=True,
              help="Tables and graph files of every paper of the graph (thousands; the reading list's "
                   "make ~46 MB) instead of the map's papers.")
@_analysis_options
@_expansion_options
def export_command(seeds, formats, out_dir, name, cluster, bib_top, whole_graph, top, method, resolution,
                   **expansion):
    """Export the SEEDS' map as tables and graph files.

    The map's papers (--whole-graph: every paper of the graph, its size said):
    papers (CSV, Parquet) with every score and the cluster label; edges
    (citations and similarity) as CSV; BibTeX, RIS and CSL-JSON (for Zotero's
    import, with a note on why each paper is on the map) of the map, one --cluster
    or the --bib-top N papers; GraphML and GEXF for Gephi; node-link JSON. GraphML and
    JSON read back into the same graph (graph.export.read_graphml,
    read_node_link_json).
    """
    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    bad = [f for f in chosen if f not in EXPORT_FORMATS]
    if not chosen:  # "" or ",": the library takes no formats as every format
        raise click.BadParameter(f"no format given; choose one or more of {', '.join(EXPORT_FORMATS)}",
                                 param_hint="--format")
    if bad:
        raise click.BadParameter(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(EXPORT_FORMATS)}",
                                 param_hint="--format")
    from ..outputs import default_name

    _check_outputs(out_dir=out_dir, name=name or default_name(seeds))
    with _session(seeds, top=top, method=method, resolution=resolution, **expansion) as session:
        files = session.export(out_dir, name, formats=chosen, bib_cluster=cluster, bib_top=bib_top,
                               whole_graph=whole_graph)
        if whole_graph:
            g = session.run.graph
            click.echo(f"the whole graph: {g.number_of_nodes():,} papers, {g.number_of_edges():,} citations")
        skipped = list(session.run.skipped_exports)
    for kind, path in files.items():
        click.echo(f"wrote {kind}: {path}")
    for s in skipped:
        click.echo(f"skipped {s}")


def _print_summary(summary, clusters) -> None:
    """The run as people read it: a :class:`graph.pipeline.RunSummary` and the map's
    :class:`graph.analysis.TopicClusters`."""
    from ..pipeline import first_skipped
    from ..seed_list import shown_input

    s = summary.seeds
    click.echo(f"seeds: {s.resolved} of {s.total} resolved")
    for note in s.notes:
        click.echo(f"  note: {note}")
    for u in s.unresolved:
        click.echo(f"  unresolved {u['source']}: {u['title'] or shown_input(u['input'])}: {u['reason']}")
    # a skipped line is shown by its start: a 20 MB line is not printed whole
    for line in first_skipped([f"  skipped {u['source']}: {u['reason']}: {shown_input(u['input'])}"
                               for u in s.skipped_lines],
                              indent="  "):
        click.echo(line)
    click.echo(f"graph: {summary.papers} papers, {summary.edges} citation edges")
    sd = summary.second_degree
    if sd:
        click.echo(f"  of which {sd.get('added', 0)} second-degree papers (candidates: {sd.get('co_cited', 0)} "
                   f"co-cited with the seeds, {sd.get('coupled', 0)} coupled with them)")
    if summary.merged_versions:
        click.echo(f"  {summary.merged_versions} records merged into the version of the same work they duplicate")
    click.echo(f"requests: {summary.requests} (floor {summary.request_floor}; {summary.retries_note()}), "
               f"served from the store: {summary.cache_hits}")
    for t in summary.truncated:
        click.echo(f"  incomplete {t['list']} of {t.get('title') or t['paper_id']}: {t['reason']}")
    # paper ids in messages are shown as the titles the summary found for them, whatever the ids look like
    ids = sorted(summary.titles, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, ids))) if ids else None
    named = lambda text: pattern.sub(lambda m: f"“{summary.titles[m.group(0)]}”", str(text)) if pattern else str(text)
    for f in summary.failures:
        click.echo(f"  failed {named(f['item'])}: {f['error']}")
    for m in summary.missing:
        click.echo(f"  missing from the store: {named(m)}")
    click.echo(f"clusters (modularity {round(clusters.modularity, 4)}):")
    for c in clusters.summary():
        click.echo(f"  {c['cluster']:>2}  {c['size']:>4} papers  {c['label']}")
    for kind, path in summary.files.items():
        click.echo(f"wrote {kind}: {path}")
    for skipped in summary.skipped_exports:
        click.echo(f"skipped {skipped}")
