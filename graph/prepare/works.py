"""One row per work: the versions of a paper merged corpus-wide by :mod:`graph.versions`' rules.

Records that share a DOI, an arXiv ID or a normalised title of at least
:data:`graph.versions.MIN_TITLE_WORDS` words are candidates; Spark finds the connected
groups of candidates (label propagation), and each group, small, is decided by
:func:`graph.versions.version_groups` itself, in corpus-id order (so that the outcome is the
one it gives on the whole corpus: its union-find meets the candidate pairs of one group in the
same order). The record kept is chosen by the same key as there: one with details first, then
the most citations, the most in-corpus citers, the smallest id as text.
"""

# no `from __future__ import annotations`: pandas_udf reads the type hints of its function

MAX_LABEL_ROUNDS = 50  # candidate groups are chains of shared keys; real ones are a few links long


def _title_key_udf():
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    from ..ids import normalise_title
    from ..versions import MIN_TITLE_WORDS
    from .spark import quiet_pandas_warning

    def title_key(titles: pd.Series) -> pd.Series:
        norm = (normalise_title(t) if isinstance(t, str) else "" for t in titles)
        return pd.Series([k if len(k.split()) >= MIN_TITLE_WORDS else None for k in norm], dtype=object)

    with quiet_pandas_warning():
        return pandas_udf(title_key, "string")


def _decide_groups(frame):
    """For one candidate group (a pandas frame of its records): each record's work and its place
    in the work (0 = kept), by graph.versions."""
    import networkx as nx
    import pandas as pd

    from ..s2_ids import corpus_paper_id
    from ..versions import version_groups

    # a missing value may come as NaN (pandas' missing string): graph.versions reads None as missing,
    # and NaN would be a value ("nan" as an arXiv ID contradicts every real one)
    value = lambda v: None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else v
    frame = frame.sort_values("corpusid")
    G = nx.DiGraph()
    for r in frame.itertuples(index=False):
        year = value(r.year)
        G.add_node(int(r.corpusid), title=value(r.title), year=None if year is None else int(year),
                   authors=[str(a) for a in r.authors] if value(r.authors) is not None else [],
                   doi=value(r.doi), arxiv_id=value(r.arxiv))
    info = {int(r.corpusid): r for r in frame.itertuples(index=False)}

    def keep_first(n):  # graph.versions' key, with the in-corpus citers counted on the whole corpus
        r = info[n]
        cites = value(r.citationcount)
        return (value(r.title) is None, -(int(cites) if cites is not None else 0), -int(r.indegree),
                corpus_paper_id(n))

    out = []
    for group in version_groups(G):
        group = sorted(group, key=keep_first)
        out.extend((n, group[0], i) for i, n in enumerate(group))
    return pd.DataFrame(out, columns=["corpusid", "work", "place"]).astype("int64")


def _decide_buckets(frame):
    """:func:`_decide_groups` for each candidate group of a bucket: one Python call per bucket of
    groups instead of one per group (thousands of small groups cost more in calls than in work)."""
    import pandas as pd

    decided = [_decide_groups(group) for _, group in frame.groupby("label", sort=False)]
    if not decided:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in ("corpusid", "work", "place")})
    return pd.concat(decided, ignore_index=True)


def version_aliases(spark, papers, citations):
    """A DataFrame (corpusid, work, place) for every record of ``papers``: the work it belongs to
    (its kept record's corpus id) and its place in it (0 for the kept record)."""
    from pyspark.sql import functions as F

    from .spark import quiet_pandas_warning

    title_key = _title_key_udf()
    keyed = papers.select("corpusid", F.array_compact(F.array(
        F.concat(F.lit("doi:"), F.expr("nullif(lower(trim(doi)), '')")),
        F.concat(F.lit("arxiv:"), F.expr(r"nullif(regexp_replace(lower(trim(arxiv)), 'v\\d+$', ''), '')")),
        F.concat(F.lit("title:"), title_key("title")))).alias("keys"))
    pairs = keyed.select("corpusid", F.explode("keys").alias("key"))
    # a star per shared key (each member linked to the key's smallest id): the groups' links, linear in size
    shared = (pairs.groupBy("key").agg(F.min("corpusid").alias("hub"), F.count("*").alias("n"))
              .filter("n > 1").drop("n"))
    links = pairs.join(shared, "key").filter("corpusid <> hub").select(F.col("corpusid").alias("a"),
                                                                        F.col("hub").alias("b"))
    links = links.union(links.select(F.col("b").alias("a"), F.col("a").alias("b"))).distinct().localCheckpoint()
    labels = links.select(F.col("a").alias("node")).distinct().withColumn("label", F.col("node")).localCheckpoint()
    for _ in range(MAX_LABEL_ROUNDS):
        lower = (links.join(labels.withColumnRenamed("node", "b"), "b")
                 .groupBy(F.col("a").alias("node")).agg(F.min("label").alias("seen")))
        new = (labels.join(lower, "node", "left")
               .select("node", F.least("label", F.coalesce("seen", "label")).alias("label"),
                       (F.coalesce("seen", "label") < F.col("label")).alias("moved")).localCheckpoint())
        moved = new.filter("moved").count()
        labels = new.drop("moved")
        if not moved:
            break
    indegree = citations.select("citing", "cited").distinct().groupBy(F.col("cited").alias("corpusid")).agg(
        F.count("*").alias("indegree"))
    members = (papers.join(labels.withColumnRenamed("node", "corpusid"), "corpusid")
               .join(indegree, "corpusid", "left").fillna(0, ["indegree"])
               .select("label", "corpusid", "title", "year", "authors", "doi", "arxiv", "citationcount", "indegree"))
    buckets = 4 * int(spark.conf.get("spark.sql.shuffle.partitions"))
    with quiet_pandas_warning():
        decided = (members.withColumn("bucket", F.pmod(F.xxhash64("label"), F.lit(buckets)))
                   .groupBy("bucket").applyInPandas(_decide_buckets, "corpusid LONG, work LONG, place LONG"))
    return (papers.select("corpusid").join(decided, "corpusid", "left")
            .select("corpusid", F.coalesce("work", "corpusid").alias("work"),
                    F.coalesce("place", F.lit(0)).alias("place")))


# fields of a work taken from its kept record, else from the next version that has one (as merge_versions)
FILLED = ("sha", "title", "year", "venue", "authors", "arxiv", "doi", "citationcount", "referencecount",
          "influentialcitationcount", "publicationdate", "field")


def merge_works(papers, aliases):
    """One row per work: the kept record's fields, each missing one filled from the other
    versions in their order, and ``merged_ids`` (every id of the work, the kept one first;
    null for a work of one record)."""
    from pyspark.sql import functions as F

    rows = papers.join(aliases, "corpusid")
    present = lambda c: (F.col(c).isNotNull() & (F.size(c) > 0)) if c == "authors" else (
        (F.col(c).isNotNull() & (F.col(c) != "")) if c in ("sha", "title", "venue", "arxiv", "doi", "publicationdate",
                                                           "field") else F.col(c).isNotNull())
    aggs = [F.expr("array_sort(collect_list(struct(place, corpusid)))").alias("_ids")]
    for c in FILLED:
        aggs.append(F.min_by(F.col(c), F.when(present(c), F.col("place"))).alias(c))
    works = rows.groupBy("work").agg(*aggs)
    return works.select(
        F.col("work").alias("corpusid"),
        F.when(F.size("_ids") > 1, F.expr("transform(_ids, x -> x.corpusid)")).alias("merged_ids"),
        *FILLED)
