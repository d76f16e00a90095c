"""Semantic Scholar's bulk datasets (papers, citations, abstracts, tldrs, paper-ids; ``.jsonl``,
``.jsonl.gz`` or ``.json.gz`` shards) streamed into a local corpus: the datasets' JSON structures, recognising a
shard's dataset from its keys, and :func:`import_s2`.

Example::

    with Corpus("s2.duckdb") as corpus:
        import_s2(corpus, ["papers/", "citations/"])
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..errors import CitegraphError, InvalidRecord
from ..identifiers import ARXIV_PATTERN, DOI_PATTERN
from ..model import (CONTROL_CHARS, DATE_PATTERN, MAX_AUTHOR_NAME, MAX_AUTHORS, MAX_CORPUS_ID, MAX_COUNT, MAX_TITLE,
                     MAX_VENUE, MAX_YEAR, MIN_YEAR)
from .corpus_import import MAX_BAD_REPORTED, NORM_TITLE, BadLine, Corpus, ImportReport
from .s2_records import check_s2_paper
from .import_files import check_input_file, file_digest, line_blocks, open_bytes, read_block

# per dataset: the JSON structure to parse and the SELECT list that maps it to the table
DATASETS = {
    "papers": dict(
        structure={"corpusid": "BIGINT", "externalids": {"ArXiv": "VARCHAR", "DOI": "VARCHAR"}, "url": "VARCHAR",
                   "title": "VARCHAR", "authors": [{"name": "VARCHAR"}], "venue": "VARCHAR", "year": "INTEGER",
                   "referencecount": "INTEGER", "citationcount": "INTEGER", "influentialcitationcount": "INTEGER",
                   "publicationdate": "VARCHAR"},
        key="s.corpusid",
        select=("s.corpusid, regexp_extract(s.url, '([0-9a-f]{40})$', 1), s.title, " + NORM_TITLE.format(t="s.title")
                + ", s.year, nullif(s.venue, ''), list_transform(s.authors, lambda a: a.name), s.externalids.ArXiv, "
                "CASE WHEN regexp_matches(lower(trim(s.externalids.DOI)), '" + DOI_PATTERN + "') "
                "THEN lower(trim(s.externalids.DOI)) END, s.citationcount, s.referencecount, s.influentialcitationcount, "
                "s.publicationdate"),
        unique="corpusid"),
    "citations": dict(
        structure={"citingcorpusid": "BIGINT", "citedcorpusid": "BIGINT", "isinfluential": "BOOLEAN",
                   "intents": ["VARCHAR"], "contexts": ["VARCHAR"]},
        # NULL unless both ids are there (`citing IS NOT NULL AND cited` was false, not NULL, for a missing
        # citing id, and let rows without ids in)
        key="CASE WHEN s.citingcorpusid IS NOT NULL AND s.citedcorpusid IS NOT NULL THEN 1 END",
        # a row that has both id fields, one of them null: S2 lists references it did not match to a paper
        null_ok=("json_type(json_extract(line, '$.citingcorpusid')) IS NOT NULL AND "
                 "json_type(json_extract(line, '$.citedcorpusid')) IS NOT NULL AND "
                 "(json_type(json_extract(line, '$.citingcorpusid')) = 'NULL' OR "
                 "json_type(json_extract(line, '$.citedcorpusid')) = 'NULL')"),
        select="s.citingcorpusid, s.citedcorpusid, s.isinfluential, s.intents, s.contexts",
        unique=None,  # too many rows to check one by one: a shard loads once (by digest)
        missing="no citingcorpusid or citedcorpusid, or one that is not a number"),
    "abstracts": dict(structure={"corpusid": "BIGINT", "abstract": "VARCHAR"}, key="s.corpusid",
                      select="s.corpusid, s.abstract", unique="corpusid"),
    "tldrs": dict(structure={"corpusid": "BIGINT", "text": "VARCHAR"}, key="s.corpusid",
                  select="s.corpusid, s.text", unique="corpusid"),
    "paper_ids": dict(structure={"sha": "VARCHAR", "corpusid": "BIGINT", "primary": "BOOLEAN"}, key="s.sha",
                      select="s.sha, s.corpusid, s.primary", unique="sha"),
}
_KIND_BY_KEYS = [({"citingcorpusid"}, "citations"), ({"sha", "corpusid"}, "paper_ids"),
                 ({"abstract", "corpusid"}, "abstracts"), ({"model", "text", "corpusid"}, "tldrs"),
                 ({"corpusid", "title"}, "papers")]


# the shard names a folder is searched for (S2's own downloads end in .json.gz; `citegraph import s2 --help`
# lists these)
SHARD_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz")


def s2_files(paths: Sequence[str | Path]) -> list[Path]:
    """The shard files ``paths`` name: files as given, folders' ``.jsonl``/``.jsonl.gz``/``.json.gz``
    files found under them, in name order; a path that does not exist is refused."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(SHARD_SUFFIXES)))
        elif p.exists():
            check_input_file(p)
            out.append(p)
        else:
            raise CitegraphError(f"{p} does not exist; give S2 bulk dataset files or folders")
    return out


def detect_kind(path: Path) -> str:
    """Which S2 dataset a shard holds, from the keys of its first JSON line."""
    with open_bytes(path) as fh:
        for raw in _lines(fh, path):
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            keys = set(obj)
            for needed, kind in _KIND_BY_KEYS:
                if needed <= keys:
                    return kind
            raise CitegraphError(f"{path}: not an S2 dataset this version knows (keys {sorted(keys)[:6]}); "
                                 f"expected papers, citations, abstracts, tldrs or paper-ids")
    raise CitegraphError(f"{path} has no JSON object line at all; is it an S2 bulk dataset shard?")


def _lines(fh, path: Path) -> Iterator[bytes]:
    """The lines of the first 64 MiB of ``fh`` (enough to find the first JSON object)."""
    data = read_block(fh, 4 << 20, path)
    yield from data.splitlines()



def import_s2(corpus: Corpus, paths: Sequence[str | Path], *,
              progress: Callable[[ImportReport, int], None] | None = None) -> list[ImportReport]:
    """Stream S2 bulk dataset shards (``.jsonl``, ``.jsonl.gz`` or ``.json.gz``) into the corpus.

    The dataset of each shard is recognised from its keys. A shard already loaded
    (same digest) is skipped, and one whose import was interrupted resumes after
    its last committed block; within papers, abstracts, TLDRs and paper-ids a row
    whose key is already present is not added again. Bad lines are reported with
    file, line and reason, and the rest loads. ``progress(report, rows_so_far)`` is
    called after every block.
    """
    reports = []
    for path in s2_files(paths):
        reports.append(_import_shard(corpus, path, progress))
    return reports


def _import_shard(corpus: Corpus, path: Path, progress) -> ImportReport:
    kind = detect_kind(path)
    report = ImportReport(str(path), kind)
    digest = file_digest(path)
    done = corpus._one("SELECT lines, complete FROM shard_progress WHERE digest = ? AND kind = ?", [digest, kind])
    if done and done[1]:
        report.skipped = "already loaded (same shard)"
        return report
    resume_after = done[0] if done else 0
    spec = DATASETS[kind]
    structure = json.dumps(spec["structure"]).replace("'", "''")
    table = kind
    t0 = time.perf_counter()
    lines_done = resume_after
    # one transaction per block, recorded with the shard's progress: memory stays bounded on
    # billion-row shards, and an interrupted import resumes after the last committed block
    placeholders = 0
    for first, lines in line_blocks(path, corpus.block_bytes):
        if first + len(lines) - 1 <= resume_after:
            continue
        with corpus._transaction():
            added, bad, unmatched, placeholder_dois = _load_block(corpus, table, spec, structure, first, lines)
            lines_done = first + len(lines) - 1
            corpus._run("INSERT OR REPLACE INTO shard_progress VALUES (?, ?, ?, ?, false)",
                        [digest, kind, str(path), lines_done])
        report.rows += added
        report.bad += len(bad)
        report.unmatched += unmatched
        placeholders += placeholder_dois
        room = MAX_BAD_REPORTED - len(report.bad_lines)
        report.bad_lines.extend(BadLine(str(path), n, why) for n, why in bad[:max(0, room)])
        report.seconds = time.perf_counter() - t0
        if progress:
            progress(report, report.rows)
    if placeholders:
        report.notes.append(f"{placeholders:,} DOI values are not DOIs (N/A, 0, a prefix alone…): dropped, "
                            "so they merge no papers")
    with corpus._transaction():
        corpus._run("INSERT OR REPLACE INTO shard_progress VALUES (?, ?, ?, ?, true)",
                    [digest, kind, str(path), lines_done])
        corpus._run("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, now())",
                    [str(path), digest, kind, report.rows, report.bad, time.perf_counter() - t0])
    report.seconds = time.perf_counter() - t0
    return report

def _json_field_ok(field: str, types: str, check: str) -> str:
    """SQL: the papers line's ``field`` is absent, null, or of one of ``types`` and passes ``check``
    (on ``v``, the field as text)."""
    t = f"json_type({field})"
    # the JSON text itself (a number's digits, a string quoted and escaped): parsing it again per field
    # made the check cost more than the import
    v = f"{field}::VARCHAR"
    return f"coalesce({t} IS NULL OR {t} = 'NULL' OR ({t} IN ({types}) AND ({check.format(v=v)})), false)"


_INT = "'UBIGINT', 'BIGINT'"
_CTRL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # model.CONTROL_CHARS, as RE2 reads it
# the same characters in JSON text: raw, or escaped as \u0000-\u0008, \u000b, \u000c, \u000e-\u001f, \u007f,
# \b or \f (an escaped backslash before "u0001" is taken for one too, and checked one by one)
_CTRL_JSON = _CTRL + r"|\\(u00(0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])|[bf])"


def _quoted(pattern: str) -> str:
    """An anchored regex for a value, made to match the value's JSON text (in quotes), its {4} kept
    through str.format."""
    assert pattern.startswith("^") and pattern.endswith("$")
    return ('^"' + pattern[1:-1] + '"$').replace("{", "{{").replace("}", "}}")


def _count_ok(cap: int, low: int = 0) -> str:
    return f"TRY_CAST({{v}} AS BIGINT) BETWEEN {low} AND {cap}"


def _text_ok(cap: int) -> str:
    # on the quoted JSON text: at most cap characters besides the quotes (escapes make it longer, so a
    # title near the cap with escapes is checked one by one), no control character raw or escaped
    return f"length({{v}}) <= {cap + 2} AND NOT regexp_matches({{v}}, '{_CTRL_JSON}')"


# a papers line the bulk insert may take as it is: every field the API path validates (check_s2_paper)
# is absent, null or already valid; any other line goes through check_s2_paper itself
_PAPER_CLEAN = " AND ".join([
    _json_field_ok("c.corpusid", _INT, _count_ok(MAX_CORPUS_ID)),
    _json_field_ok("c.title", "'VARCHAR'", _text_ok(MAX_TITLE)),
    _json_field_ok("c.venue", "'VARCHAR'", _text_ok(MAX_VENUE)),
    _json_field_ok("c.year", _INT, _count_ok(MAX_YEAR, MIN_YEAR)),
    *(_json_field_ok(f"c.{f}", _INT, _count_ok(MAX_COUNT))
      for f in ("citationcount", "referencecount", "influentialcitationcount")),
    _json_field_ok("c.publicationdate", "'VARCHAR'", f"regexp_matches({{v}}, '{_quoted(DATE_PATTERN.pattern)}')"),
    _json_field_ok("c.externalids", "'OBJECT'", "true"),
    _json_field_ok("json_extract(c.externalids, '$.ArXiv')", "'VARCHAR'",
                   f"regexp_matches({{v}}, '{_quoted(ARXIV_PATTERN)}')"),
    _json_field_ok("c.authors", "'ARRAY'",
                   f"json_array_length(c.authors) <= {MAX_AUTHORS} AND len(list_filter("
                   f"json_extract(c.authors, '$[*]'), lambda x: json_type(x) <> 'OBJECT' OR "
                   f"coalesce(json_type(x, '$.name'), 'NULL') NOT IN ('NULL', 'VARCHAR') OR "
                   f"coalesce(length(json_extract_string(x, '$.name')) > {MAX_AUTHOR_NAME} OR "
                   f"regexp_matches(json_extract_string(x, '$.name'), '{_CTRL}'), false))) = 0"),
])
# the fields _PAPER_CLEAN looks at, each as the JSON it was sent as (one parse of the line)
_PAPER_RAW = json.dumps({f: "JSON" for f in ("corpusid", "title", "venue", "year", "citationcount", "referencecount",
                                              "influentialcitationcount", "publicationdate", "externalids",
                                              "authors")})
_BULK_TO_API = {"corpusid": "corpusId", "externalids": "externalIds", "title": "title", "authors": "authors",
                "venue": "venue", "year": "year", "citationcount": "citationCount",
                "referencecount": "referenceCount", "influentialcitationcount": "influentialCitationCount",
                "publicationdate": "publicationDate"}
_SHA = re.compile(r"([0-9a-f]{40})$")


def _texts(obj: dict) -> Iterator[str]:
    """The text fields of a papers line that FieldValidator.text cleans (title, venue, author names)."""
    yield from (t for t in (obj.get("title"), obj.get("venue")) if isinstance(t, str))
    if isinstance(obj.get("authors"), list):
        yield from (a.get("name") for a in obj["authors"] if isinstance(a, dict) and isinstance(a.get("name"), str))


def _load_suspect_papers(corpus: Corpus, rows: list[tuple[int, str]], bad: list) -> int:
    """Validate papers lines the bulk insert left out with :func:`check_s2_paper`, as the API path does:
    a wrong value is dropped, over-long text cut, control characters removed, and the line reported
    with what was done; a line without a valid corpusid is not loaded. The lines are validated one by
    one in Python and inserted in one statement (a row's own INSERT and counts made a flagged row ~135x
    slower than a clean one). Returns the rows added."""
    import pyarrow as pa

    records: list[tuple] = []
    for n, line in rows:
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):  # valid for DuckDB's parser, too deep for Python's
            bad.append((n, "a value nested too deeply to read; not loaded"))
            continue
        sha_match = _SHA.search(obj.get("url") or "") if isinstance(obj.get("url"), str) else None
        sha = sha_match.group(1) if sha_match else None
        # the bulk row's key is its corpusid; the API's paperId is stood in for by the row's sha
        data = {"paperId": sha or "0" * 40, **{api: obj.get(bulk) for bulk, api in _BULK_TO_API.items()}}
        warnings: list[str] = []
        try:
            record = check_s2_paper(data, source="s2-bulk", fetched_at=0.0, warnings=warnings)
        except InvalidRecord as exc:  # not a JSON object: filtered out before, kept for safety
            bad.append((n, str(exc)))
            continue
        # FieldValidator removes control characters without a warning: the line says so itself
        reasons = "; ".join(w.split(": ", 1)[-1] for w in warnings)[:300] or (
            "control characters removed" if any(CONTROL_CHARS.search(t) for t in _texts(obj)) else "")
        if obj.get("corpusid") is None or record.corpus_id is None or data["corpusId"] is None:
            bad.append((n, f"{reasons or 'no corpusid'}; not loaded"))
            continue
        if reasons:  # else the check above was cautious (an escaped "/", a long escaped title): a good line
            bad.append((n, f"{reasons}; the rest of the paper is loaded"))
        records.append((len(records), record.corpus_id, sha, record.title, record.year, record.venue or None,
                        list(record.authors or []), record.arxiv_id, record.doi, record.citation_count,
                        record.reference_count, record.influential_citation_count, record.publication_date))
    if not records:
        return 0
    cols = list(zip(*records))
    types = [pa.int64(), pa.int64(), pa.string(), pa.string(), pa.int64(), pa.string(), pa.list_(pa.string()),
             pa.string(), pa.string(), pa.int64(), pa.int64(), pa.int64(), pa.string()]
    names = ["i", "c", "sha", "t", "y", "v", "au", "ax", "d", "cc", "rc", "ic", "pd"]
    corpus.db.register("suspect", pa.table({k: pa.array(v, t) for k, v, t in zip(names, cols, types)}))
    try:
        before = corpus._count("papers")
        # the first line of a corpusid wins, as in the bulk insert: over the papers already in, then in line order
        corpus._run(
            f"INSERT INTO papers SELECT c, sha, t, {NORM_TITLE.format(t='t')}, y::INTEGER, v, au, ax, d, "
            "cc::INTEGER, rc::INTEGER, ic::INTEGER, pd FROM suspect "
            "WHERE c NOT IN (SELECT corpusid FROM papers WHERE corpusid IS NOT NULL) "
            "QUALIFY row_number() OVER (PARTITION BY c ORDER BY i) = 1")
        return corpus._count("papers") - before
    finally:
        corpus.db.unregister("suspect")


def _load_block(corpus: Corpus, table: str, spec: dict, structure: str, first: int, lines: list[str]):
    """Insert one block of JSON lines; returns (rows added, [(line, reason) of bad lines], rows with a null id
    the data allows, placeholder DOIs dropped)."""
    import pyarrow as pa

    block = pa.table({"n": pa.array(range(first, first + len(lines)), pa.int64()),
                      "line": pa.array(lines, pa.string())})
    corpus.db.register("block", block)
    try:
        parsed = (f"SELECT n, from_json(line, '{structure}') AS s FROM block "
                  f"WHERE line <> '' AND json_valid(line) AND json_type(line) = 'OBJECT'")
        suspect_rows: list[tuple[int, str]] = []
        if table == "papers":
            # rows with a value the API path would repair or drop (a year 99999, a count -5, a title of
            # 5,000,000 characters or with control characters, a title that is a number...) are taken out
            # of the bulk insert and validated one by one by check_s2_paper: its policy, not a copy of it
            suspect_rows = corpus._run(f"SELECT n, line FROM (SELECT n, line, from_json(line, '{_PAPER_RAW}') AS c "
                                       f"FROM block WHERE line <> '' AND json_valid(line) AND json_type(line) = "
                                       f"'OBJECT') WHERE NOT ({_PAPER_CLEAN}) ORDER BY n")
            if suspect_rows:
                parsed += f" AND n NOT IN ({', '.join(str(n) for n, _ in suspect_rows)})"
        dedupe = ""
        if spec["unique"]:
            dedupe = (f" AND {spec['select'].split(',')[0]} NOT IN "
                      f"(SELECT {spec['unique']} FROM {table} WHERE {spec['unique']} IS NOT NULL)")
        elif table == "citations":
            # deduplicated by key, not only by shard digest: the same rows from a renamed or recompressed
            # shard add nothing. The range condition lets DuckDB skip row groups by their min/max.
            lo, hi = corpus._one(f"SELECT min(s.citingcorpusid), max(s.citingcorpusid) FROM ({parsed})")
            if lo is not None and corpus._one("SELECT count(*) FROM (SELECT 1 FROM citations WHERE citing "
                                              "BETWEEN ? AND ? LIMIT 1)", [lo, hi])[0]:
                dedupe = (" AND NOT EXISTS (SELECT 1 FROM citations c WHERE c.citing BETWEEN "
                          f"{int(lo)} AND {int(hi)} AND c.citing = s.citingcorpusid "
                          "AND c.cited = s.citedcorpusid)")
        before = corpus._count(table)
        corpus._run(f"INSERT INTO {table} SELECT {spec['select']} FROM ({parsed}) "
                    f"WHERE ({spec['key']}) IS NOT NULL{dedupe}")
        added = corpus._count(table) - before
        # rows whose id is null where the data allows it (S2 lists citations it could not match to a
        # paper) are counted apart: they are normal, not bad lines
        # CASE, because DuckDB evaluates both sides of AND: json_extract must only see valid JSON
        null_ok = (f"(CASE WHEN line <> '' AND json_valid(line) AND json_type(line) = 'OBJECT' "
                   f"THEN ({spec.get('null_ok', 'false')}) ELSE false END)")
        missing = spec.get("missing", "no id field").replace("'", "''")
        null_rows = corpus._one(
            f"SELECT count(*) FROM block WHERE n IN (SELECT n FROM ({parsed}) WHERE ({spec['key']}) IS NULL) "
            f"AND {null_ok}")[0]
        bad = corpus._run(
            f"SELECT n, CASE WHEN NOT json_valid(line) THEN 'not valid JSON' "
            f"WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object' "
            f"ELSE '{missing}' END FROM block WHERE line <> '' AND "
            f"(NOT json_valid(line) OR json_type(line) <> 'OBJECT' OR "
            f"(n IN (SELECT n FROM ({parsed}) WHERE ({spec['key']}) IS NULL) AND NOT ({null_ok}))) ORDER BY n")
        # placeholder DOIs (N/A, 0, a prefix alone) the select dropped: counted for the report
        placeholder_dois = corpus._one(
            f"SELECT count(*) FROM ({parsed}) WHERE nullif(trim(s.externalids.DOI), '') IS NOT NULL AND NOT "
            f"regexp_matches(lower(trim(s.externalids.DOI)), '{DOI_PATTERN}')")[0] if table == "papers" else 0
        if table == "papers":
            added += _load_suspect_papers(corpus, suspect_rows, bad)
            bad.sort()
    finally:
        try:
            corpus.db.unregister("block")
        except corpus._duckdb.Error:
            pass  # the transaction failed (out of memory): the rollback drops the view with it
    return added, bad, null_rows, placeholder_dois
