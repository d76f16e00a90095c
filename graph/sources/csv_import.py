"""A citation graph kept as CSV files (plain or gzipped) loaded into a local corpus: its columns
recognised by their common names, its papers keyed so that the same rows imported again add nothing,
and its edges joined to the papers by id or by row. :meth:`Corpus.import_csv` calls :func:`import_csv`.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..errors import CitegraphError
from ..identifiers import DOI_PATTERN
from ..model import MAX_YEAR, MIN_YEAR
from .corpus_import import MAX_BAD_REPORTED, NORM_TITLE, BadLine, ImportReport
from .csv_columns import choose_csv_columns
from .import_files import check_input_file, check_text_file, file_digest, open_bytes, read_block

if TYPE_CHECKING:
    from .corpus_import import Corpus

def _check_rows_read(corpus: "Corpus", path: Path) -> None:
    """Refuse a CSV file of which DuckDB reads under half the lines as rows: a quote opened and not
    closed until far below swallows the lines between into one field, silently."""
    lines = 0
    with open_bytes(path) as fh:
        while block := read_block(fh, 1 << 20, path):
            lines += block.count(b"\n")
    quoted = str(path).replace("'", "''")
    rows = corpus._one(f"SELECT count(*) FROM read_csv('{quoted}', header=true, all_varchar=true)")[0]
    if lines >= 10 and rows * 2 < lines - 1:
        raise CitegraphError(f"{path}: only {rows:,} rows could be read from its {lines:,} lines (a quote opened "
                             "and not closed until far below?); fix the file and import again; nothing was imported")



def _report_rows(report: ImportReport, files: list[str], rows: list[tuple[int, str]]) -> None:
    """Count ``rows`` ((0-based row, reason)) of the paper files as bad lines, the first few listed
    (line = row + 2 under the header, when no field spans lines)."""
    report.bad += len(rows)
    room = max(0, MAX_BAD_REPORTED - len(report.bad_lines))
    report.bad_lines.extend(BadLine(files[0] if len(files) == 1 else ", ".join(files), r + 2, why)
                            for r, why in rows[:room])


def _drop_repeated_ids(corpus: "Corpus", report: ImportReport, files: list[str]) -> None:
    """Keep the first row of each paper id: a repeated id would join its edges to every row of it
    (6 edge rows made 9 citations); the repeats are reported as bad lines, not loaded."""
    repeats = corpus._run("DELETE FROM csv_rows WHERE r IN (SELECT r FROM (SELECT r, row_number() OVER "
                          "(PARTITION BY ext_id ORDER BY r) AS occ FROM csv_rows WHERE ext_id IS NOT NULL) "
                          "WHERE occ > 1) RETURNING r, ext_id")
    if repeats:
        _report_rows(report, files, [(r, f"paper id {v[:40]!r} repeats an earlier row's; the first row is kept")
                                     for r, v in sorted(repeats)])


def import_csv(corpus: "Corpus", papers: Sequence[str | Path], edges: str | Path, *, title_column: str | None = None,
               id_column: str | None = None, year_column: str | None = None, doi_column: str | None = None,
               arxiv_column: str | None = None, citing_column: str = "source",
               cited_column: str = "target") -> ImportReport:
    """Load a citation graph kept as CSV (plain or gzipped).

    ``papers`` are one or more files with one row per paper, joined side by side
    by row position (as ``ids.csv.gz`` and ``titles.csv.gz`` of arxiv-cs-2023).
    Without ``id_column`` the edges name papers by their 0-based row; with it, by
    that column's values. Papers get corpus ids equal to their row. A value of the
    arXiv column that is not an arXiv ID is ignored; without a year column the year
    comes from new-style arXiv IDs.

    A column not named is recognised by its common names (:func:`.csv_columns.choose_csv_columns`,
    case-insensitive: ``title``, ``id``, ``year``, ``doi``, ``arxiv_id``, …); the report's
    ``columns`` says which were used.
    """
    t0 = time.perf_counter()
    files = [str(p) for p in papers]
    for f in files + [str(edges)]:
        check_input_file(Path(f))
    digest = hashlib.sha1("|".join(file_digest(Path(f)) for f in files + [str(edges)]).encode()).hexdigest()
    report = ImportReport(", ".join(files) + f" + {edges}", "csv")
    if corpus._one("SELECT 1 FROM imports WHERE digest = ?", [digest]):
        report.skipped = "already loaded (same files)"
        return report
    import duckdb

    try:
        return _import_csv_rows(corpus, files, edges, report, digest, t0, title_column=title_column,
                                id_column=id_column, year_column=year_column, doi_column=doi_column,
                                arxiv_column=arxiv_column, citing_column=citing_column,
                                cited_column=cited_column)
    except duckdb.Error as exc:
        # a binary file, a broken quote, a wrong delimiter: DuckDB's reader says where
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CitegraphError(f"cannot read the CSV files as a citation graph ({first[:300]}); "
                             "check that they are CSV with a header row") from None

def _import_csv_rows(corpus: "Corpus", files: list[str], edges: str | Path, report: ImportReport, digest: str, t0: float,
                     *, title_column: str | None, id_column: str | None, year_column: str | None,
                     doi_column: str | None, arxiv_column: str | None, citing_column: str,
                     cited_column: str) -> ImportReport:
    for f in files + [str(edges)]:
        check_text_file(Path(f))
    sources = " POSITIONAL JOIN ".join(
        f"(SELECT * FROM read_csv('{f.replace(chr(39), chr(39) * 2)}', header=true, all_varchar=true))"
        for f in files)
    cols = {c for (c, *_) in corpus._run(f"DESCRIBE SELECT * FROM {sources}")}
    chosen = choose_csv_columns(cols, title_column=title_column, id_column=id_column, year_column=year_column,
                                doi_column=doi_column, arxiv_column=arxiv_column)
    title_column, id_column, year_column, doi_column, arxiv_column = chosen
    report.columns = chosen.named()
    for f in files:
        _check_rows_read(corpus, Path(f))
    e = str(edges).replace("'", "''")
    edge_cols = {c for (c, *_) in corpus._run(f"DESCRIBE SELECT * FROM read_csv('{e}', header=true, all_varchar=true)")}
    for name, col in [("--citing-column", citing_column), ("--cited-column", cited_column)]:
        if col not in edge_cols:
            raise CitegraphError(f"{name} {col!r} is not a column of {edges}; it has {sorted(edge_cols)}")
    q = lambda c: '"' + c.replace('"', '""') + '"'
    arxiv = (f"CASE WHEN regexp_matches({q(arxiv_column)}, '^(\\d{{4}}\\.\\d{{4,5}}|[a-z\\-]+(\\.[A-Z]{{2}})?/\\d{{7}})(v\\d+)?$') "
             f"THEN regexp_replace({q(arxiv_column)}, 'v\\d+$', '') END") if arxiv_column else "NULL"
    # a year outside MIN_YEAR..MAX_YEAR (99999) or not a number ("abc") is dropped and reported, as
    # FieldValidator.year drops it from an S2 answer
    year = (f"CASE WHEN TRY_CAST(year_raw AS INTEGER) BETWEEN {MIN_YEAR} AND {MAX_YEAR} "
            "THEN TRY_CAST(year_raw AS INTEGER) END" if year_column else
            "CASE WHEN regexp_matches(arxiv, '^\\d{4}\\.') AND substr(arxiv, 3, 2)::INT BETWEEN 1 AND 12 "
            "THEN 2000 + substr(arxiv, 1, 2)::INT END")
    # a paper's key: its arXiv id, else its DOI, else its normalised title. The same rows imported again
    # from a renamed or recompressed file match the papers already there, so nothing is doubled; the
    # n-th row of a key matches the n-th paper of that key (a file may list one title twice). A DOI or
    # arXiv id matches only a paper of the same title: one identifier on two titles is a data error
    key = ("CASE WHEN {a} IS NOT NULL THEN 'a:' || {a} WHEN {d} IS NOT NULL THEN 'd:' || {d} "
           "ELSE 't:' || coalesce({t}, '') END")
    doi_ok = lambda c: f"regexp_matches({c}, '{DOI_PATTERN}')"
    doi_raw = ('lower(trim(' + q(doi_column) + '))') if doi_column else 'NULL'
    offset = corpus._one("SELECT coalesce(max(corpusid) + 1, 0) FROM papers")[0]
    with corpus._transaction():
        corpus._run(f"""
            CREATE TEMP TABLE csv_rows AS
            SELECT row_number() OVER () - 1 AS r, * FROM (
                SELECT {q(id_column) if id_column else 'NULL'} AS ext_id, {q(title_column)} AS title,
                       {arxiv} AS arxiv, {doi_raw} AS doi_raw,
                       CASE WHEN {doi_ok(doi_raw)} THEN {doi_raw} END AS doi,
                       {year_column and q(year_column) or 'NULL'} AS year_raw
                FROM {sources})""")
        _drop_repeated_ids(corpus, report, files)
        if year_column:
            bad_years = corpus._run(
                f"SELECT r, year_raw FROM (SELECT r, year_raw, {year} AS y FROM csv_rows) "
                "WHERE nullif(trim(year_raw), '') IS NOT NULL AND y IS NULL ORDER BY r")
            _report_rows(report, files, [(r, f"year {v[:40]!r} is not a year from {MIN_YEAR} to {MAX_YEAR}; "
                                             "dropped, the paper is loaded") for r, v in bad_years])
        old_doi = f"CASE WHEN {doi_ok('doi')} THEN doi END"
        corpus._run(f"""
            CREATE TEMP TABLE csv_keyed AS
            SELECT *, row_number() OVER (PARTITION BY k ORDER BY r) AS occ
            FROM (SELECT *, {key.format(a='arxiv', d='doi', t=NORM_TITLE.format(t='title'))} AS k,
                         {NORM_TITLE.format(t='title')} AS t FROM csv_rows)""")
        corpus._run(f"""
            CREATE TEMP TABLE csv_old AS
            SELECT k, corpusid, norm_title AS t, row_number() OVER (PARTITION BY k ORDER BY corpusid) AS occ
            FROM (SELECT {key.format(a='arxiv', d=old_doi, t='norm_title')} AS k, corpusid, norm_title
                  FROM papers)""")
        same_title = "(n.k LIKE 't:%' OR coalesce(old.t, '') = '' OR coalesce(n.t, '') = '' OR old.t = n.t)"
        corpus._run(f"""
            CREATE TEMP TABLE csv_papers AS
            SELECT n.*, old.corpusid AS existing,
                   coalesce(old.corpusid, {offset} + (row_number() OVER (PARTITION BY old.corpusid IS NULL
                                                                          ORDER BY n.r)) - 1) AS corpusid
            FROM csv_keyed n LEFT JOIN csv_old old ON old.k = n.k AND old.occ = n.occ AND {same_title}""")
        placeholders = corpus._one("SELECT count(*) FROM csv_rows WHERE doi_raw IS NOT NULL AND doi IS NULL")[0]
        if placeholders:
            shown = [v for (v,) in corpus._run("SELECT DISTINCT doi_raw FROM csv_rows WHERE doi_raw IS NOT NULL "
                                               "AND doi IS NULL ORDER BY 1 LIMIT 3")]
            report.notes.append(f"{placeholders:,} values of the DOI column {doi_column!r} are not DOIs (e.g. "
                                f"{', '.join(map(repr, shown))}): dropped, those papers are keyed by title")
        clashes = corpus._run("""
            SELECT count(*), min(n.k) FROM csv_papers n
            WHERE n.existing IS NULL AND n.k NOT LIKE 't:%' AND EXISTS (
                SELECT 1 FROM csv_old old WHERE old.k = n.k AND coalesce(old.t, '') <> ''
                AND coalesce(n.t, '') <> '' AND old.t <> n.t)""")[0]
        if clashes[0]:
            report.notes.append(f"{clashes[0]:,} papers carry the arXiv id or DOI of a paper with another title "
                                f"in the corpus (e.g. {clashes[1][2:]!r}): a data error; added as papers of their "
                                "own, check the identifier columns")
        corpus._run(f"""
            INSERT INTO papers
            SELECT corpusid, NULL, title, {NORM_TITLE.format(t='title')}, {year},
                   NULL, NULL, arxiv, doi, NULL, NULL, NULL, NULL
            FROM csv_papers WHERE existing IS NULL ORDER BY corpusid""")
        n_new = corpus._one("SELECT count(*) FROM csv_papers WHERE existing IS NULL")[0]
        n_rows = corpus._one("SELECT count(*) FROM csv_papers")[0]
        edges_before = corpus._count("citations")
        raw = f"(SELECT {q(citing_column)} AS a, {q(cited_column)} AS b FROM read_csv('{e}', header=true, all_varchar=true))"
        join = "p1.ext_id = r.a" if id_column else "p1.r = TRY_CAST(r.a AS BIGINT)"
        join2 = "p2.ext_id = r.b" if id_column else "p2.r = TRY_CAST(r.b AS BIGINT)"
        corpus._run(f"""
            INSERT INTO citations
            SELECT DISTINCT p1.corpusid, p2.corpusid, NULL::BOOLEAN, NULL::VARCHAR[], NULL::VARCHAR[]
            FROM {raw} r JOIN csv_papers p1 ON {join} JOIN csv_papers p2 ON {join2}
            WHERE NOT EXISTS (SELECT 1 FROM citations c WHERE c.citing = p1.corpusid AND c.cited = p2.corpusid)""")
        total = corpus._one(f"SELECT count(*) FROM {raw}")[0]
        matched = corpus._one(f"SELECT count(*) FROM {raw} r JOIN csv_papers p1 ON {join} "
                              f"JOIN csv_papers p2 ON {join2}")[0]
        loaded_edges = corpus._count("citations") - edges_before
        corpus._run("""
            UPDATE papers SET citationcount = c.n FROM (
                SELECT p.corpusid, count(x.cited) AS n
                FROM (SELECT DISTINCT corpusid FROM csv_papers) p LEFT JOIN citations x ON x.cited = p.corpusid
                GROUP BY p.corpusid) c
            WHERE papers.corpusid = c.corpusid""")
        corpus._run("""
            UPDATE papers SET referencecount = c.n FROM (
                SELECT citing, count(*) AS n FROM citations
                WHERE citing IN (SELECT corpusid FROM csv_papers) GROUP BY citing) c
            WHERE papers.corpusid = c.citing""")
        if total and matched * 2 < total:
            # most edges name no paper: the files do not fit together, and a corpus of a few papers and
            # no edges is worse than none (the transaction leaves the corpus as it was)
            raise CitegraphError(
                f"{total - matched:,} of {total:,} edges of {edges} name papers that are not among the "
                f"{n_rows:,} rows read from the paper files: they do not fit together (an unterminated quote? "
                "the wrong --id-column, --citing-column or --cited-column?); fix them and import again; "
                "nothing was imported")
        report.rows = n_new + loaded_edges
        report.bad += total - matched
        if total - matched:
            report.bad_lines.append(BadLine(str(edges), 0, f"{total - matched} edges name papers not in the paper "
                                                           "files"))
        if n_rows - n_new or matched - loaded_edges:
            report.already = (f"{n_rows - n_new:,} papers and {matched - loaded_edges:,} edges were already "
                              "in the corpus (same arXiv id, DOI or title)")
        for table in ("csv_papers", "csv_old", "csv_keyed", "csv_rows"):
            corpus._run(f"DROP TABLE {table}")
        corpus._run("INSERT INTO imports VALUES (?, ?, 'csv', ?, ?, ?, now())",
                    [report.file, digest, report.rows, report.bad, time.perf_counter() - t0])
    report.seconds = time.perf_counter() - t0
    return report
