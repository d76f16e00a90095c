"""Reading the inputs of a preparation into Spark DataFrames of records, bad lines reported.

The rules are the DuckDB import's (:mod:`graph.sources.corpus_import`). A CSV paper row gets
its 0-based row as corpus id and edges name papers by row or by an id column, as ``import csv``
does. The S2 bulk datasets are read by :mod:`graph.prepare.s2_inputs` with the helpers here.

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

from ..sources.corpus_import import BadLine
from ..sources.csv_columns import choose_csv_columns
from ..sources.import_files import check_text_file
from ..errors import CitegraphError

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


def norm_title(col):
    """The normalised title column, as the DuckDB import computes it (lower case, runs of letters,
    digits and _ joined by one space)."""
    from pyspark.sql import functions as F

    return F.array_join(F.regexp_extract_all(F.lower(col), F.lit(r"([\p{L}\p{N}_]+)"), 1), " ")


def check_csv_inputs(papers: Sequence[str], edges: str) -> None:
    """Refuse, before Spark starts, local CSV files that are missing or not text (a URI is
    Spark's to read)."""
    for f in [*map(str, papers), str(edges)]:
        if not is_uri(f):
            if not Path(f).exists():
                raise CitegraphError(f"{f} does not exist; check the --papers and --edges paths")
            check_text_file(Path(f))


def csv_tables(spark, papers: Sequence[str], edges: str, *, title_column: str | None = None,
               id_column: str | None = None, year_column: str | None = None, doi_column: str | None = None,
               arxiv_column: str | None = None, citing_column: str = "source", cited_column: str = "target"):
    """Papers and citations DataFrames from a citation graph kept as CSV, read as ``import csv``
    reads it (paper files joined side by side by row; corpus id = row), and the file report."""
    from pyspark.sql import functions as F

    check_csv_inputs(papers, edges)
    frames = []
    for f in papers:
        df = _read_csv(spark, f)
        frames.append(_with_row(spark, df))
    cols = [c for df in frames for c in df.columns if c != "_row"]
    title_column, id_column, year_column, doi_column, arxiv_column = choose_csv_columns(
        cols, title_column=title_column, id_column=id_column, year_column=year_column, doi_column=doi_column,
        arxiv_column=arxiv_column)
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
    # read once: the rows and the edges are used several times below (a gzipped CSV is one task)
    rows = rows.withColumn("year", year).drop("year_raw").localCheckpoint()
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
    raw = raw.localCheckpoint()
    matched = (raw.join(a.withColumnRenamed("corpusid", "citing"), "a")
               .join(b.withColumnRenamed("corpusid", "cited"), "b").select("citing", "cited")).localCheckpoint()
    total, n_matched = raw.count(), matched.count()
    citations = matched.distinct().localCheckpoint().select("citing", "cited", F.lit(None).cast("boolean").alias("isinfluential"),
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
