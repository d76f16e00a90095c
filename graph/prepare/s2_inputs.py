"""The S2 bulk datasets as inputs of a preparation, and `prepare_s2`, the job over them.

The rules are the DuckDB import's (:mod:`graph.sources.corpus_import`): the dataset of a shard is
recognised from its keys (a URI by its dataset folder), a line that is not a JSON object or lacks
its id is a bad line (file, line number, reason) and the rest loads; a citation row naming a
paper S2 did not match (one id null) is counted apart, not bad. Line numbers are recovered as
:func:`graph.prepare.inputs.read_lines` explains. Everything S2-specific about ``citegraph
prepare`` is here; the job itself (:mod:`graph.prepare.job`) is the same for every input.
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..errors import CitegraphError
from ..sources.corpus_import import MAX_BAD_REPORTED, BadLine
from ..sources.s2_import import DATASETS, detect_kind, s2_files
from . import scores
from .inputs import FileReport, _local_name, _reason, is_uri, read_lines, split_offsets
from .job import PrepareReport, run_job
from .spark import spark_session

# the folder names of the S2 bulk datasets, for URIs whose shards cannot be opened here to detect their kind
DATASET_FOLDERS = {"papers": "papers", "citations": "citations", "abstracts": "abstracts", "tldrs": "tldrs",
                   "paper-ids": "paper_ids", "paper_ids": "paper_ids"}

# the JSON fields read per dataset; ids and numbers are read as text and cast, so that a number
# written as a string ("123", as S2 writes citation ids) is read as DuckDB reads it
SCHEMAS = {
    "papers": ("corpusid STRING, externalids STRUCT<ArXiv: STRING, DOI: STRING>, url STRING, title STRING, "
               "authors ARRAY<STRUCT<name: STRING>>, venue STRING, year STRING, referencecount STRING, "
               "citationcount STRING, influentialcitationcount STRING, publicationdate STRING, "
               "s2fieldsofstudy ARRAY<STRUCT<category: STRING, source: STRING>>"),
    "citations": ("citingcorpusid STRING, citedcorpusid STRING, isinfluential BOOLEAN, intents ARRAY<STRING>, "
                  "contexts ARRAY<STRING>"),
    "abstracts": "corpusid STRING, abstract STRING",
    "tldrs": "corpusid STRING, text STRING",
    "paper_ids": "sha STRING, corpusid STRING, primary BOOLEAN",
}
def s2_inputs(paths: Sequence[str]) -> dict[str, list[str]]:
    """The shards to read, by dataset: local files and folders as ``import s2`` finds and
    recognises them; a URI by its dataset folder name (``.../papers/``)."""
    by_kind: dict[str, list[str]] = {}
    local = [p for p in paths if not is_uri(p)]
    for path in s2_files(local):
        by_kind.setdefault(detect_kind(path), []).append(str(path.resolve()))
    for uri in (p for p in paths if is_uri(p)):
        parts = [s for s in str(uri).rstrip("/").split("/") if s]
        kind = next((DATASET_FOLDERS[s] for s in reversed(parts) if s in DATASET_FOLDERS), None)
        if kind is None:
            raise CitegraphError(f"{uri}: cannot tell which S2 dataset it holds; give a URI ending in a dataset "
                                 "folder (papers/, citations/, abstracts/, tldrs/ or paper-ids/)")
        by_kind.setdefault(kind, []).append(str(uri))
    if not by_kind:
        raise CitegraphError("no S2 shards (.jsonl, .jsonl.gz, .json.gz) among the paths given")
    return by_kind


def parse_s2(spark, kind: str, files: Sequence[str], staging: str):
    """Parse the shards of one dataset into ``staging`` (Parquet), then report per file.
    Returns (DataFrame of the good rows, typed; [FileReport])."""
    from pyspark.sql import functions as F

    lines = read_lines(spark, files)
    parsed = lines.withColumn("s", F.from_json("value", SCHEMAS[kind] + ", _corrupt STRING",
                                               {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt"}))
    is_object = F.ltrim("value").startswith("{") & F.col("s._corrupt").isNull()
    if kind == "citations":
        citing = F.expr("try_cast(s.citingcorpusid AS BIGINT)")
        cited = F.expr("try_cast(s.citedcorpusid AS BIGINT)")
        keys = F.json_object_keys("value")
        # both id fields there, one of them null: S2 lists references it did not match to a paper
        null_ok = (F.array_contains(keys, "citingcorpusid") & F.array_contains(keys, "citedcorpusid")
                   & (F.col("s.citingcorpusid").isNull() | F.col("s.citedcorpusid").isNull()))
        has_key = citing.isNotNull() & cited.isNotNull()
    else:
        key = "sha" if kind == "paper_ids" else "corpusid"
        has_key = (F.col(f"s.{key}").isNotNull() if key == "sha"
                   else F.expr("try_cast(s.corpusid AS BIGINT)").isNotNull())
        null_ok = F.lit(False)
    status = (F.when(F.col("value") == "", "empty").when(~is_object, "bad").when(has_key, "ok")
              .when(null_ok, "unmatched").otherwise("bad"))
    staged = parsed.withColumn("status", status).select(
        "file", "split", "mid", "status", F.when(F.col("status") == "bad", F.col("value")).alias("value"),
        F.when(F.col("status") == "ok", F.col("s")).alias("s"))
    staged.write.mode("overwrite").parquet(staging)
    staged = spark.read.parquet(staging)
    splits = staged.groupBy("file", "split").agg(
        F.min("mid").alias("first_mid"), F.count("*").alias("n"),
        F.sum((F.col("status") == "ok").cast("long")).alias("ok"),
        F.sum((F.col("status") == "bad").cast("long")).alias("bad"),
        F.sum((F.col("status") == "unmatched").cast("long")).alias("unmatched")).collect()
    reports = {}
    for r in splits:
        rep = reports.setdefault(r["file"], FileReport(_local_name(r["file"]), kind))
        rep.rows += r["ok"]
        rep.bad += r["bad"]
        rep.unmatched += r["unmatched"]
    if any(rep.bad for rep in reports.values()):
        from pyspark.sql import Window

        offsets = split_offsets(spark, [(r["file"], r["split"], r["first_mid"], r["n"]) for r in splits])
        bad = (staged.filter(F.col("status") == "bad").join(F.broadcast(offsets), ["file", "split"])
               .withColumn("line", F.col("mid") - F.col("first_mid") + F.col("first_line"))
               .withColumn("k", F.row_number().over(Window.partitionBy("file").orderBy("line")))
               .filter(F.col("k") <= MAX_BAD_REPORTED).select("file", "line", "value").collect())
        missing = DATASETS[kind].get("missing", "no id field")
        for r in sorted(bad, key=lambda r: (r["file"], r["line"])):
            reports[r["file"]].bad_lines.append(BadLine(_local_name(r["file"]), int(r["line"]),
                                                        _reason(r["value"], missing)))
    good = staged.filter(F.col("status") == "ok").select("file", "mid", "s")
    return good, [reports[f] for f in sorted(reports)]


def s2_tables(spark, by_kind: dict[str, list[str]], staging: str):
    """Typed DataFrames of the S2 datasets given (papers, citations, abstracts, tldrs, paper_ids),
    one row per key (the first read wins, as in the DuckDB import; citations are grouped by the job), and the
    file reports."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    tables, reports = {}, []
    for kind in ("papers", "citations", "abstracts", "tldrs", "paper_ids"):
        if kind not in by_kind:
            continue
        good, reps = parse_s2(spark, kind, by_kind[kind], f"{staging}/{kind}")
        reports.extend(reps)
        s = lambda c: F.col(f"s.{c}")
        num = lambda c, t="BIGINT": F.expr(f"try_cast(s.{c} AS {t})")
        if kind == "papers":
            df = good.select(
                "file", "mid", num("corpusid").alias("corpusid"),
                F.regexp_extract(s("url"), r"([0-9a-f]{40})$", 1).alias("sha"), s("title").alias("title"),
                num("year", "INT").alias("year"), F.expr("nullif(s.venue, '')").alias("venue"),
                F.expr("transform(s.authors, a -> a.name)").alias("authors"),
                s("externalids.ArXiv").alias("arxiv"), F.lower(s("externalids.DOI")).alias("doi"),
                num("citationcount", "INT").alias("citationcount"),
                num("referencecount", "INT").alias("referencecount"),
                num("influentialcitationcount", "INT").alias("influentialcitationcount"),
                s("publicationdate").alias("publicationdate"),
                F.expr("try_element_at(s.s2fieldsofstudy, 1).category").alias("field"))
            df = df.withColumn("sha", F.expr("nullif(sha, '')"))
            key = ["corpusid"]
        elif kind == "citations":
            df = good.select("file", "mid", num("citingcorpusid").alias("citing"),
                             num("citedcorpusid").alias("cited"), s("isinfluential").alias("isinfluential"),
                             s("intents").alias("intents"), s("contexts").alias("contexts"))
            # not deduplicated here: the job groups the citations by (citing work, cited work) anyway,
            # which merges a repeated row into one (a sort of every citation row saved)
            key = None
        elif kind in ("abstracts", "tldrs"):
            text = "abstract" if kind == "abstracts" else "text"
            df = good.select("file", "mid", num("corpusid").alias("corpusid"), s(text).alias(text))
            key = ["corpusid"]
        else:
            df = good.select("file", "mid", s("sha").alias("sha"), num("corpusid").alias("corpusid"),
                             s("primary").alias("primary"))
            key = ["sha"]
        if key is None:
            tables[kind] = df.drop("file", "mid")
            continue
        first = Window.partitionBy(*key).orderBy("file", "mid")
        tables[kind] = (df.withColumn("_k", F.row_number().over(first)).filter("_k = 1")
                        .drop("_k", "file", "mid"))
    if "papers" not in tables:
        raise CitegraphError("no papers shard among the inputs; a prepared corpus needs the papers dataset")
    return tables, reports


def prepare_s2(paths: Sequence[str], out: str, *, spark=None, master: str | None = None,
               conf: dict | None = None, now_year: int | None = None, tol: float = scores.TOL,
               checkpoint_every: int = scores.CHECKPOINT_EVERY,
               log: Callable[[str], None] = lambda m: None) -> PrepareReport:
    """Prepare S2 bulk dataset shards (files, folders or URIs of papers, citations, abstracts,
    tldrs, paper-ids) into the prepared corpus ``out``. ``spark``: a session to use (else one
    is started on ``master`` with ``conf``, once the inputs are found)."""
    by_kind = s2_inputs([str(p) for p in paths])
    spark = spark or spark_session(master, conf)

    def read(staging):
        tables, files = s2_tables(spark, by_kind, staging)
        return tables, files, {}

    return run_job(spark, str(out), read, now_year=now_year, tol=tol, checkpoint_every=checkpoint_every, log=log)
