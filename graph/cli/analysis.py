"""The analysis commands: rank, related, clusters, path, reading-order."""

from __future__ import annotations

import json

import click

from .common import _analysis_options, _check_outputs, _emit, _err, _expansion_options, _session, _table_options, cli

# the library is imported inside each command: `citegraph --help` must not load pandas or scikit-learn

@cli.command("rank")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1), default=30, show_default=True, help="Rows shown.")
@click.option("--global", "global_rank", is_flag=True,
              help="Rank by PageRank over the whole graph instead of influence within the seeds' topic.")
@click.option("--by", "rank_by", type=click.Choice(["corpus-pagerank", "corpus-percentile"]),
              help="With a prepared corpus (--corpus DIR): rank by its whole-corpus PageRank or field percentile.")
@_table_options
@_expansion_options
def rank_command(seeds, limit, global_rank, rank_by, csv_path, as_json, **expansion):
    """Rank the papers of the SEEDS' citation graph by influence within their topic.

    The ranking is topical PageRank: a random walk over citations that restarts at
    the seeds (--global: PageRank over the whole graph); when the seeds hold several
    topics (a reading list's sections), the walk restarts per topic and the papers
    after the seeds take turns by topic ("topic" column). Columns: topical and
    global PageRank, in-graph and global citations, HITS authority and hub (hubs
    are surveys), PageRank among the last 3 years' papers, and momentum (share of
    in-graph citations from the last 2 years). Merged versions of one work are
    one row. --csv/--json give every paper and every column. With a prepared
    corpus (--corpus DIR from `citegraph prepare`), two more: PageRank over the
    whole corpus and the field-normalised citation percentile; --by ranks by one.
    """
    _check_outputs(csv_path=csv_path)
    with _session(seeds, **expansion) as session:
        df = session.rank(global_rank=global_rank, by=rank_by).reset_index()
    if csv_path or as_json:
        _emit(df, csv_path=csv_path, as_json=as_json, columns=list(df.columns))
        return
    # for people: PageRank and HITS as multiples of the average paper's (they sum to 1 over the
    # graph, so raw values are like 3e-08), momentum as a percentage
    view = df.copy()
    for col, name in (("topic_pagerank", "topical_×avg"), ("pagerank", "pagerank_×avg"),
                      ("hits_authority", "authority_×avg"), ("hits_hub", "hub_×avg")):
        view[name] = view[col] * len(view)
    view["momentum_%"] = view["momentum"] * 100
    extra = []
    if "corpus_pagerank" in view:  # a prepared corpus: PageRank over every work, as a multiple of the average
        view["corpus_pr_×avg"] = view["corpus_pagerank"] * df.attrs.get("corpus_works", float("nan"))
        view["field_pct"] = view["corpus_percentile"]
        extra = ["corpus_pr_×avg", "field_pct"]
    # the topical walk restarts at the seeds, so they lead; say so rather than pass them off as findings
    view["seed"] = view["is_seed"].map({True: "seed", False: ""})
    view["topic"] = view["topic"].fillna("")  # a seed serves no topic: blank, not "None"
    _emit(view, csv_path=None, as_json=False, limit=limit,
          columns=["rank", "seed", "title", "year", "topical_×avg", "pagerank_×avg", "in_graph_citations",
                   "global_citations", "authority_×avg", "hub_×avg", "momentum_%", *extra]
          + (["topic"] if (view["topic"] != "").any() else []),
          formats={"momentum_%": lambda x: f"{x:.0f}", "field_pct": lambda x: f"{x:.0f}"})


@cli.command("related")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True,
              help="Rows shown on the terminal (--csv and --json give all --top rows); "
                   "with --by-topic, rows per topic.")
@click.option("--by-topic", is_flag=True,
              help="One short list per topic of the seeds (the reading list's sections, or groups of the "
                   "seeds by their citations), each headed by the topic's name.")
@_analysis_options(clusters=False)
@_table_options
@_expansion_options
def related_command(seeds, limit, by_topic, top, method, csv_path, as_json, **expansion):
    """Papers most related to the SEEDS, and why.

    Relatedness fuses several kinds of evidence (co-citation with the seeds,
    shared references, direct citations, a random walk from the seeds, text
    match) with weights fitted on held-out reviews (README: "How the analysis
    works"). A reading list of several topics (its sections, or groups of the
    seeds by their citations) gets a list that serves each topic in turn; the
    "topic" column says which one each paper serves. The evidence columns and
    "why" explain each row.
    """
    _check_outputs(csv_path=csv_path)
    with _session(seeds, top=top, method=method, **expansion) as session:
        t = session.related().reset_index()
    columns = ["title", "year", "relatedness", "topic", "co_citations", "shared_references", "walk", "text_match",
               "cluster"]
    empty = "no paper of the graph shares a reference or a citing paper with the seeds; try --depth 2 or more seeds"
    if not by_topic or csv_path or as_json or t.empty:
        _emit(t, csv_path=csv_path, as_json=as_json, columns=columns, limit=limit, empty=empty)
        return
    for i, (topic, rows) in enumerate(t.groupby("topic", sort=False)):
        click.echo(("\n" if i else "") + f"## {topic}")
        _emit(rows, csv_path=None, as_json=False, columns=[c for c in columns if c != "topic"], limit=limit)


@cli.command("clusters")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--whole-graph", is_flag=True,
              help="Cluster every paper of the graph (each linked to its 10 most similar), not only the map's.")
@_analysis_options
@_table_options
@_expansion_options
def clusters_command(seeds, whole_graph, top, method, resolution, csv_path, as_json, **expansion):
    """Topic clusters of the SEEDS' map, with labels.

    Leiden communities (seeded, so reproducible) of the similarity graph of the
    map's papers; each cluster gets a class-based TF-IDF label from its titles
    and abstracts, its most central papers, its year span and the reading
    list's sections that fall into it. Modularity is printed on stderr.
    --whole-graph clusters all the graph's papers: the landscape around the map.
    """
    _check_outputs(csv_path=csv_path)
    with _session(seeds, top=top, method=method, resolution=resolution, **expansion) as session:
        res = session.clusters(whole_graph=whole_graph)
        g = session.run.graph
    df = res.table.copy()
    df["central_titles"] = df["central_papers"].map(lambda ps: [g.nodes[p].get("title") for p in ps])
    _err(f"modularity: {res.modularity:.3f}")
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
    from ..text import display_title

    with _session(**expansion) as session:
        res = session.find_paths(paper_a, paper_b, one_hop_longer=one_hop_longer)
    title = lambda p: display_title(res.titles.get(p)) or p
    if as_json:
        click.echo(json.dumps(res.to_dict(), ensure_ascii=False, indent=2))
        return
    if res.length is None:
        click.echo(f"no citation path between {title(res.source)!r} and {title(res.target)!r} in the store")
        return
    click.echo(f"{len(res.paths)} shortest path(s) of length {res.length} (A → B: A cites B; A ← B: B cites A):")
    for path, hops in zip(res.paths, res.hops):
        arrows = ["  →  " if hop == "cites" else "  ←  " for hop in hops]
        click.echo("  " + title(path[0]) + "".join(arrow + title(p) for arrow, p in zip(arrows, path[1:])))
    if one_hop_longer:
        click.echo(f"papers on paths one hop longer: {len(res.one_hop_longer)}")
        for p in res.one_hop_longer:
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
    from ..analysis import reading_order_markdown

    _check_outputs(csv_path=csv_path)
    with _session(seeds, top=top, method=method, resolution=resolution, **expansion) as session:
        df = session.reading_order(cluster=cluster)
    if csv_path or as_json:
        _emit(df, csv_path=csv_path, as_json=as_json, columns=list(df.columns))
    else:
        click.echo(reading_order_markdown(df))
