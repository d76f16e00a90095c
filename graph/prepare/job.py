"""The preparation job: inputs → staging → works, edges, scores → Parquet, written atomically.

Everything is written under ``OUT.tmp-prepare`` and renamed to ``OUT`` at the end, with the
manifest (:data:`MANIFEST`) written last: an interrupted run leaves no half corpus, and a rerun
clears its leftovers and starts again, so nothing is ever duplicated.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..errors import CitegraphError
from . import inputs, scores, works
from .spark import spark_session

from ..sources.prepared import MANIFEST, PREPARED_FORMAT

TABLES = ("works", "citations", "aliases", "abstracts", "tldrs", "paper_ids")


@dataclass
class PrepareReport:
    """What one preparation did: what it read (per file, bad lines with file, line and reason),
    what it wrote, how PageRank converged."""

    out: str
    files: list = field(default_factory=list)  # inputs.FileReport
    counts: dict = field(default_factory=dict)
    pagerank: dict = field(default_factory=dict)
    now_year: int | None = None
    columns: dict = field(default_factory=dict)  # CSV: the column each field was read from
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"format": PREPARED_FORMAT, "out": self.out, "files": [f.to_dict() for f in self.files],
                "counts": self.counts, "pagerank": self.pagerank, "now_year": self.now_year,
                "columns": self.columns, "seconds": round(self.seconds, 3)}


class _FileSystem:
    """The output's file system through Hadoop's API: local paths, HDFS and object stores alike."""

    def __init__(self, spark, path: str) -> None:
        jvm = spark.sparkContext._jvm
        self._Path = jvm.org.apache.hadoop.fs.Path
        self.fs = self._Path(path).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(self._Path(path)))

    def delete(self, path: str) -> None:
        if self.exists(path):
            self.fs.delete(self._Path(path), True)

    def rename(self, a: str, b: str) -> None:
        if not self.fs.rename(self._Path(a), self._Path(b)):
            raise CitegraphError(f"cannot rename {a} to {b}; check the permissions of its folder")

    def is_empty_dir(self, path: str) -> bool:
        return self.fs.getFileStatus(self._Path(path)).isDirectory() and not list(self.fs.listStatus(self._Path(path)))

    def write_text(self, path: str, text: str) -> None:
        stream = self.fs.create(self._Path(path), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()


def _out_uri(out: str) -> str:
    import os

    return out if inputs.is_uri(out) or out.startswith("file://") else "file://" + os.path.abspath(out)


def _check_out(fs: _FileSystem, out: str) -> None:
    if fs.exists(out) and not fs.exists(f"{out}/{MANIFEST}") and not fs.is_empty_dir(out):
        raise CitegraphError(f"{out} exists and is not a prepared corpus; give a new or empty folder as --out")


def _write(df, path: str, *, bucket_by: str | None, buckets: int, sort: Sequence[str]):
    from pyspark.sql import functions as F

    if bucket_by:
        df = (df.withColumn("bucket", F.pmod(F.col(bucket_by), F.lit(buckets)))
              .repartition(buckets, "bucket").sortWithinPartitions(*sort))
        df.write.mode("overwrite").partitionBy("bucket").parquet(path)
    else:
        df.repartition(max(1, buckets // 4)).sortWithinPartitions(*sort).write.mode("overwrite").parquet(path)


def run_job(spark, out: str, read: Callable, *, now_year: int | None, tol: float, checkpoint_every: int,
         log: Callable[[str], None]) -> PrepareReport:
    from pyspark.sql import functions as F

    t0 = time.perf_counter()
    say = log
    log = lambda msg: say(f"[{time.perf_counter() - t0:6.1f} s] {msg}")
    out = _out_uri(out.rstrip("/"))
    tmp, old = out + ".tmp-prepare", out + ".old-prepare"
    fs = _FileSystem(spark, out)
    _check_out(fs, out)
    fs.delete(tmp)  # what an interrupted run left
    buckets = int(spark.conf.get("spark.sql.shuffle.partitions"))
    log("reading the inputs")
    tables, files, columns = read(f"{tmp}/_staging")
    report = PrepareReport(out, files, columns=columns)
    papers = tables["papers"].localCheckpoint()
    citations = tables.get("citations")
    if citations is None:
        citations = spark.createDataFrame([], "citing BIGINT, cited BIGINT, isinfluential BOOLEAN, "
                                              "intents ARRAY<STRING>, contexts ARRAY<STRING>")
    log("merging the versions of each work")
    aliases = works.version_aliases(spark, papers, citations).localCheckpoint()
    merged = works.merge_works(papers, aliases)
    work_of = aliases.select("corpusid", "work")
    # citations between works: both ends mapped to their work (an id outside the papers stays as it is),
    # deduplicated, what the versions knew kept (influential if any says so; intents and contexts united)
    mapped = (citations.join(work_of.withColumnRenamed("corpusid", "citing"), "citing", "left")
              .withColumn("citing", F.coalesce("work", "citing")).drop("work")
              .join(work_of.withColumnRenamed("corpusid", "cited"), "cited", "left")
              .withColumn("cited", F.coalesce("work", "cited")).drop("work")
              .filter("citing <> cited"))
    union = lambda c: F.expr(f"CASE WHEN size(flatten(collect_list({c}))) > 0 "
                             f"THEN array_distinct(flatten(collect_list({c}))) END")
    edges = mapped.groupBy("citing", "cited").agg(F.max("isinfluential").alias("isinfluential"),
                                                  union("intents").alias("intents"),
                                                  union("contexts").alias("contexts")).localCheckpoint()
    ids = merged.select(F.col("corpusid").alias("id")).localCheckpoint()
    graph_edges = (edges.select(F.col("citing").alias("src"), F.col("cited").alias("dst"))
                   .join(ids.withColumnRenamed("id", "src"), "src").join(ids.withColumnRenamed("id", "dst"), "dst"))
    if now_year is None:
        now_year = merged.agg(F.max("year")).first()[0] or 0
    report.now_year = int(now_year)
    log("PageRank over the whole graph")
    ranks, run = scores.pagerank(spark, ids, graph_edges, tol=tol, checkpoint_every=checkpoint_every, log=log)
    if not run.converged:
        log(f"warning: PageRank stopped after {run.iterations} iterations, within {run.error_bound:.3g} "
                f"of the exact ranks (L1), not {tol}")
    report.pagerank = {"alpha": run.alpha, "tol": run.tol, "iterations": run.iterations,
                       "last_change": run.last_change, "error_bound": run.error_bound, "converged": run.converged,
                       "dangling": "spread evenly over every work, as networkx.pagerank"}
    scored = (scores.work_scores(merged, graph_edges, ranks, now_year=now_year)
              .withColumn("norm_title", inputs.norm_title(F.col("title"))))
    log("writing the prepared corpus")
    _write(scored, f"{tmp}/works", bucket_by="corpusid", buckets=buckets, sort=["corpusid"])
    _write(edges, f"{tmp}/citations", bucket_by="cited", buckets=buckets, sort=["cited", "citing"])
    _write(aliases, f"{tmp}/aliases", bucket_by=None, buckets=buckets, sort=["corpusid"])
    for kind, text in (("abstracts", "abstract"), ("tldrs", "text")):
        if kind in tables:
            # a work's text: the kept record's, else the next version's that has one
            # (a text whose paper is not among the papers is kept as it is, as the import keeps it)
            per_work = (tables[kind].join(aliases, "corpusid", "left")
                        .groupBy(F.coalesce("work", "corpusid").alias("corpusid"))
                        .agg(F.min_by(text, F.coalesce("place", F.lit(0))).alias(text)))
            _write(per_work, f"{tmp}/{kind}", bucket_by=None, buckets=buckets, sort=["corpusid"])
    if "paper_ids" in tables:
        shas = (tables["paper_ids"].join(work_of, "corpusid", "left")
                .select("sha", F.coalesce("work", "corpusid").alias("corpusid"), "primary"))
        _write(shas, f"{tmp}/paper_ids", bucket_by=None, buckets=buckets, sort=["sha"])
    fs.delete(f"{tmp}/_staging")
    written = spark.read.parquet(f"{tmp}/works")
    report.counts = {"records": aliases.count(), "works": written.count(),
                     "merged_works": written.filter(F.col("merged_ids").isNotNull()).count(),
                     "citations": spark.read.parquet(f"{tmp}/citations").count(),
                     "graph_edges": graph_edges.count()}
    report.seconds = time.perf_counter() - t0
    fs.write_text(f"{tmp}/{MANIFEST}", json.dumps(report.to_dict(), indent=1))
    # the swap: the old corpus moved aside, the new one in place, the old one removed
    fs.delete(old)
    if fs.exists(out):
        fs.rename(out, old)
    fs.rename(tmp, out)
    fs.delete(old)
    report.seconds = time.perf_counter() - t0
    return report


def prepare_csv(papers: Sequence[str], edges: str, out: str, *, spark=None, master: str | None = None,
                conf: dict | None = None, now_year: int | None = None, tol: float = scores.TOL,
                checkpoint_every: int = scores.CHECKPOINT_EVERY, log: Callable[[str], None] = lambda m: None,
                **columns) -> PrepareReport:
    """Prepare a citation graph kept as CSV (read as ``citegraph import csv`` reads it; ``columns``
    are its --*-column options) into the prepared corpus ``out``."""
    inputs.check_csv_inputs(papers, edges)  # before the JVM starts: a wrong path is one line, no start-up noise
    spark = spark or spark_session(master, conf)

    def read(staging):
        return inputs.csv_tables(spark, [str(p) for p in papers], str(edges), **columns)

    return run_job(spark, str(out), read, now_year=now_year, tol=tol, checkpoint_every=checkpoint_every, log=log)
