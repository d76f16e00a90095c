"""Whole-corpus preparation on Apache Spark: S2 bulk datasets or citation CSVs in, a prepared
corpus (partitioned Parquet) out.

The job reads the shards (local paths or any URI Spark reads, such as ``s3a://``), reports
bad lines as the DuckDB import does (file, line, reason) and loads the rest, merges the
versions of each work corpus-wide (the rules of :mod:`graph.versions`), deduplicates the
citations between works and adds per-work scores that need the whole graph: in-corpus
citations, PageRank, citations of the last 2 and 3 years, momentum and a field-normalised
citation percentile. ``citegraph map --corpus DIR`` then reads the Parquet files with
DuckDB (:mod:`graph.sources.prepared`); no Spark is needed to explore.

PySpark is the optional extra ``citegraph[spark]``; it is imported inside the functions.

Example::

    report = prepare_csv(["ids.csv.gz", "titles.csv.gz"], "edges.csv.gz", "prepared/", master="local[*]",
                         title_column="titles")

The S2 bulk datasets' reading and their job, ``prepare_s2``, are in :mod:`graph.prepare.s2_inputs`
(what is S2-specific lives in S2 modules).
"""

from .job import PrepareReport, prepare_csv

__all__ = ["PrepareReport", "prepare_csv"]
