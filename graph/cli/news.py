"""`citegraph news`: what is new since the last map of a seed set."""

from __future__ import annotations

import json

import click

from .common import _analysis_options, _err, _expansion_options, _session, cli


@cli.command("news")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
              help="Compare with the map as it was on DATE (YYYY-MM-DD: the last news run on or before it) "
                   "instead of the last one.")
@click.option("--core", type=click.IntRange(0), default=10, show_default=True,
              help="The map's most related papers whose citations are listed again, beside the seeds'.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="New papers shown.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the news as markdown.")
@click.option("--feed", "feed_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write an Atom feed of the new papers (entries of an existing feed file are kept after them).")
@click.option("--ris", "ris_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="The new papers as RIS, for Zotero's import.")
@click.option("--csl-json", "csl_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="The new papers as CSL-JSON, for Zotero's import.")
@click.option("--json", "as_json", is_flag=True, help="Print the news as one JSON object.")
@_analysis_options
@_expansion_options
def news_command(seeds, since, core, limit, markdown_path, feed_path, ris_path, csl_path, as_json, top, method,
                 resolution, **expansion):
    """What is new for SEEDS since their last map: the papers new to the map, most
    related first and why, and the papers whose citations jumped.

    Lists the citations of the seeds and of the map's --core papers again and
    refreshes the map papers' citation counts (the plan and its cost are shown
    first), rebuilds the map and compares it with the previous one: the last
    `news` run's, or before any, the map `citegraph map` left in the store (run
    that first, with the same --store). The store keeps a snapshot per run (the
    newest, and the last of each earlier month for a year) for --since. Without
    network it says so once and changes nothing.

    \b
    Examples:
      citegraph news seeds/ai-chips-llm-deployment.md
      citegraph news refs.bib --since 2026-01-01 --feed news.atom --markdown news.md
    """
    from ..errors import NothingUsableError
    from ..outputs import check_output_file

    outputs = {"--markdown": markdown_path, "--feed": feed_path, "--ris": ris_path, "--csl-json": csl_path}
    for option, path in outputs.items():
        if path:
            check_output_file(path, option)
    with _session(seeds, top=top, method=method, resolution=resolution, progress=not as_json,
                  **expansion) as session:
        if not session.seed_list.seeds:
            raise NothingUsableError("no usable seeds in the input; see the skipped lines above")
        news = session.news(since=since.date() if since else None, core=core)
    _write_outputs(news, markdown_path, feed_path, ris_path, csl_path)
    if as_json:
        click.echo(json.dumps(news.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_news(news, limit)


def _write_outputs(news, markdown_path, feed_path, ris_path, csl_path) -> None:
    from pathlib import Path

    from ..outputs import write_atomic
    from ..news_outputs import atom_feed, new_papers_graph, news_markdown

    def text_file(path, text):
        write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        _err(f"wrote {path}")

    if markdown_path:
        text_file(markdown_path, news_markdown(news))
    if feed_path:
        previous = None
        if Path(feed_path).is_file():  # a FIFO or a device is written into, never read (it would block)
            try:
                previous = Path(feed_path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                pass
        text_file(feed_path, atom_feed(news, previous=previous))
    if ris_path or csl_path:
        from ..citation_formats import csl_json_text, ris_text

        g, notes = new_papers_graph(news)
        if ris_path:
            text_file(ris_path, ris_text(g, notes=notes))
        if csl_path:
            text_file(csl_path, csl_json_text(g, notes=notes))


def _print_news(news, limit: int) -> None:
    from ..text import display_title

    click.echo(f"compared with {news.baseline}: {len(news.new)} new on the map of {news.map_papers} papers, "
               f"{len(news.jumps)} citation jumps; {news.requests} requests")
    for note in news.notes:
        click.echo(f"  note: {note}")
    if news.new:
        click.echo("new on the map (most related first):")
        for n in news.new[:limit]:
            title = display_title(n.title) or n.paper_id
            title = title if len(title) <= 70 else title[:69] + "…"
            click.echo(f"  {n.relatedness:.2f}  {n.year or '    '}  {title}")
            if n.why:
                click.echo(f"              {n.why}")
        if len(news.new) > limit:
            click.echo(f"  … {len(news.new) - limit} more: --limit N shows more, --json or --markdown FILE "
                       "gives them all")
    if news.jumps:
        click.echo("citations jumped:")
        for j in news.jumps[:limit]:
            title = display_title(j.title) or j.paper_id
            click.echo(f"  +{j.gained:<6,} {j.before:,} → {j.after:,}  {title[:70]}")
    if not news.new and not news.jumps:
        click.echo("nothing new")
