"""Reading the inputs of a preparation into Spark DataFrames of records, bad lines reported.

The rules are the DuckDB import's (:mod:`graph.sources.corpus_import`): the dataset of an S2 shard is
recognised from its keys, a line that is not a JSON object or lacks its id is a bad line
(file, line number, reason) and the rest loads; a citation row naming a paper S2 did not
match (one id null) is counted apart, not bad. A CSV paper row gets its 0-based row as
corpus id and edges name papers by row or by an id column, as ``import csv`` does.

Line numbers are not a notion Spark keeps, so they are recovered from where each row was
read: rows of one split of a file are contiguous in ``monotonically_increasing_id``, and the
splits of a file, in order of their byte offset, hold consecutive lines.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..sources.corpus_import import (DATASETS, MAX_BAD_REPORTED, BadLine, _check_text_file, _s2_files, detect_kind,
                      recognise_csv_columns)
from ..errors import CitegraphError

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
ARXIV_PATTERN = r"^(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$"


@dataclass
class FileReport:
    """What was read from one input file."""

    file: str
    kind: str
    rows: int = 0
    bad: int = 0
    unmatched: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"file": self.file, "kind": self.kind, "rows": self.rows, "bad": self.bad,
                "unmatched": self.unmatched, "bad_lines": [str(b) for b in self.bad_lines]}


def is_uri(path: str) -> bool:
    """Whether ``path`` names a file system Spark reads that is not the local one (``s3a://``, ``hdfs://``)."""
    return "://" in str(path) and not str(path).startswith("file://")


def s2_inputs(paths: Sequence[str]) -> dict[str, list[str]]:
    """The shards to read, by dataset: local files and folders as ``import s2`` finds and
    recognises them; a URI by its dataset folder name (``.../papers/``)."""
    by_kind: dict[str, list[str]] = {}
    local = [p for p in paths if not is_uri(p)]
    for path in _s2_files(local):
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


def _spark_path(path: str) -> str:
    return path if is_uri(path) or str(path).startswith("file://") else "file://" + os.path.abspath(path)


def read_lines(spark, files: Sequence[str]):
    """The lines of ``files`` with where each was read: ``file``, ``split`` (byte offset of its
    split), ``mid`` (contiguous within a split) and ``value``."""
    from pyspark.sql import functions as F

    return (spark.read.option("recursiveFileLookup", "true").text([_spark_path(f) for f in files])
            .select(F.input_file_name().alias("file"), F.input_file_block_start().alias("split"),
                    F.monotonically_increasing_id().alias("mid"), "value"))


def split_offsets(spark, splits: list[tuple[str, int, int, int]]):
    """A small DataFrame (file, split, first_mid, first_line) from ``(file, split, min mid, rows)``:
    line n (1-based) of a row is ``mid - first_mid + first_line``."""
    rows, line_by_file = [], {}
    for file, split, first_mid, count in sorted(splits, key=lambda s: (s[0], s[1])):
        first = line_by_file.get(file, 1)
        rows.append((file, split, first_mid, first))
        line_by_file[file] = first + count
    return spark.createDataFrame(rows, "file STRING, split BIGINT, first_mid BIGINT, first_line BIGINT")


def _reason(line: str, missing: str) -> str:
    """Why a line was refused, in the DuckDB import's words."""
    try:
        obj = json.loads(line)
    except ValueError:
        return "not valid JSON"
    return missing if isinstance(obj, dict) else "not a JSON object"


def _local_name(file: str) -> str:
    """A local file as a path (Spark names it ``file:/x`` or ``file:///x``), a URI as it is."""
    from urllib.parse import unquote

    if file.startswith("file:"):
        rest = file[len("file:"):]
        return unquote("/" + rest.lstrip("/"))
    return file


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


def norm_title(col):
    """The normalised title column, as the DuckDB import computes it (lower case, runs of letters,
    digits and _ joined by one space)."""
    from pyspark.sql import functions as F

    return F.array_join(F.regexp_extract_all(F.lower(col), F.lit(r"([\p{L}\p{N}_]+)"), 1), " ")


def csv_tables(spark, papers: Sequence[str], edges: str, *, title_column: str | None = None,
               id_column: str | None = None, year_column: str | None = None, doi_column: str | None = None,
               arxiv_column: str | None = None, citing_column: str = "source", cited_column: str = "target"):
    """Papers and citations DataFrames from a citation graph kept as CSV, read as ``import csv``
    reads it (paper files joined side by side by row; corpus id = row), and the file report."""
    from pyspark.sql import functions as F

    for f in list(papers) + [edges]:
        if not is_uri(f):
            if not Path(f).exists():
                raise CitegraphError(f"{f} does not exist")
            _check_text_file(Path(f))
    frames = []
    for f in papers:
        df = _read_csv(spark, f)
        frames.append(_with_row(spark, df))
    cols = [c for df in frames for c in df.columns if c != "_row"]
    given = {"title": title_column, "id": id_column, "year": year_column, "doi": doi_column, "arxiv": arxiv_column}
    found = recognise_csv_columns(cols)
    title_column, id_column, year_column, doi_column, arxiv_column = (
        given[k] or found.get(k) for k in ("title", "id", "year", "doi", "arxiv"))
    if title_column is None:
        raise CitegraphError(f"no title column among {sorted(cols)}; name it with --title-column")
    for name, col in [("--title-column", title_column), ("--id-column", id_column), ("--year-column", year_column),
                      ("--doi-column", doi_column), ("--arxiv-column", arxiv_column)]:
        if col and col not in cols:
            raise CitegraphError(f"{name} {col!r} is not a column of the paper files; they have {sorted(cols)}")
    rows = frames[0]
    for df in frames[1:]:
        rows = rows.join(df, "_row")
    arxiv = (F.when(F.col(arxiv_column).rlike(ARXIV_PATTERN), F.regexp_replace(arxiv_column, r"v\d+$", ""))
             if arxiv_column else F.lit(None).cast("string"))
    rows = rows.select(F.col("_row").alias("corpusid"),
                       (F.col(id_column) if id_column else F.lit(None).cast("string")).alias("ext_id"),
                       F.col(title_column).alias("title"), arxiv.alias("arxiv"),
                       (F.lower(doi_column) if doi_column else F.lit(None).cast("string")).alias("doi"),
                       (F.expr(f"try_cast(`{year_column}` AS INT)") if year_column else F.lit(None)).alias("year_raw"))
    year = (F.col("year_raw").cast("int") if year_column else
            F.when(F.col("arxiv").rlike(r"^\d{4}\.") & F.substring("arxiv", 3, 2).cast("int").between(1, 12),
                   2000 + F.substring("arxiv", 1, 2).cast("int")))
    rows = rows.withColumn("year", year).drop("year_raw")
    edge_df = _read_csv(spark, edges)
    for name, col in [("--citing-column", citing_column), ("--cited-column", cited_column)]:
        if col not in edge_df.columns:
            raise CitegraphError(f"{name} {col!r} is not a column of {edges}; it has {sorted(edge_df.columns)}")
    raw = edge_df.select(F.col(citing_column).alias("a"), F.col(cited_column).alias("b"))
    if id_column:
        ids = rows.select("ext_id", "corpusid").filter(F.col("ext_id").isNotNull())
        a, b = ids.withColumnRenamed("ext_id", "a"), ids.withColumnRenamed("ext_id", "b")
    else:
        ids = rows.select("corpusid")
        a = ids.select(F.col("corpusid").cast("string").alias("a"), "corpusid")
        b = ids.select(F.col("corpusid").cast("string").alias("b"), "corpusid")
        raw = raw.select(F.expr("cast(try_cast(a AS BIGINT) AS STRING)").alias("a"),
                         F.expr("cast(try_cast(b AS BIGINT) AS STRING)").alias("b"))
    matched = (raw.join(a.withColumnRenamed("corpusid", "citing"), "a")
               .join(b.withColumnRenamed("corpusid", "cited"), "b").select("citing", "cited"))
    total, n_matched = raw.count(), matched.count()
    citations = matched.distinct().select("citing", "cited", F.lit(None).cast("boolean").alias("isinfluential"),
                                          F.lit(None).cast("array<string>").alias("intents"),
                                          F.lit(None).cast("array<string>").alias("contexts"))
    # a CSV's citation and reference counts are its own, in-corpus, as the import computes them
    cites = citations.groupBy(F.col("cited").alias("corpusid")).agg(F.count("*").cast("int").alias("citationcount"))
    refs = citations.groupBy(F.col("citing").alias("corpusid")).agg(F.count("*").cast("int").alias("referencecount"))
    papers_df = (rows.join(cites, "corpusid", "left").join(refs, "corpusid", "left")
                 .select("corpusid", F.lit(None).cast("string").alias("sha"), "title", "year",
                         F.lit(None).cast("string").alias("venue"), F.lit(None).cast("array<string>").alias("authors"),
                         "arxiv", "doi", F.coalesce("citationcount", F.lit(0)).alias("citationcount"),
                         "referencecount", F.lit(None).cast("int").alias("influentialcitationcount"),
                         F.lit(None).cast("string").alias("publicationdate"),
                         F.lit(None).cast("string").alias("field")))
    report = FileReport(", ".join(map(str, papers)) + f" + {edges}", "csv", rows=n_matched, bad=total - n_matched)
    if report.bad:
        report.bad_lines.append(BadLine(str(edges), 0, f"{report.bad} edges name papers not in the paper files"))
    columns = {k: v for k, v in zip(("title", "id", "year", "doi", "arxiv"),
                                    (title_column, id_column, year_column, doi_column, arxiv_column)) if v}
    return {"papers": papers_df, "citations": citations}, [report], columns


def _read_csv(spark, path: str):
    """A CSV file with a header, every value as text; quotes doubled inside quotes (RFC 4180, as
    DuckDB reads them), not Spark's default backslash escape."""
    return spark.read.csv(_spark_path(path), header=True, inferSchema=False, quote='"', escape='"')


def _with_row(spark, df):
    """``df`` with ``_row``: the 0-based position of each row in its file."""
    from pyspark.sql import functions as F

    df = df.select(F.input_file_name().alias("_file"), F.input_file_block_start().alias("_split"),
                   F.monotonically_increasing_id().alias("_mid"), *[F.col(f"`{c}`") for c in df.columns])
    splits = df.groupBy("_file", "_split").agg(F.min("_mid"), F.count("*")).collect()
    offsets = split_offsets(spark, [tuple(r) for r in splits]).toDF("_file", "_split", "_first_mid", "_first_line")
    return (df.join(F.broadcast(offsets), ["_file", "_split"])
            .withColumn("_row", F.col("_mid") - F.col("_first_mid") + F.col("_first_line") - 1)
            .drop("_file", "_split", "_mid", "_first_mid", "_first_line"))
