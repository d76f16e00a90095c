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

    report = prepare_s2(["papers/", "citations/"], "prepared/", master="local[*]")
"""

from .job import PrepareReport, prepare_csv, prepare_s2

__all__ = ["PrepareReport", "prepare_csv", "prepare_s2"]
