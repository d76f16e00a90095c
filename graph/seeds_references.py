"""Seeds from a reference manager's exports: Zotero's CSL-JSON and RIS.

Each record becomes a :class:`graph.seeds.Seed` by the first identifier it carries: an arXiv id
(Zotero keeps it in ``archiveID``/``number`` as ``arXiv:2205.14135``, or in an arXiv DOI or URL),
then its DOI, then a URL that names a paper, then its title. A record that cannot be read is a
:class:`graph.seeds.SeedProblem` naming the file and the record; the other records go through.
:mod:`.seeds_zotero` reads a local Zotero library with the same record rules.

>>> seeds = parse_csl_json('[{"id": "x", "type": "article", "title": "SYNTH", "DOI": "10.9999/s"}]', "lib.json")
>>> [str(s.pid) for s in seeds.seeds]
['doi:10.9999/s']
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import SeedError
from .ids import PaperId, normalise_identifier
from .seed_list import Seed, SeedList, SeedProblem
from .seeds_text import id_in_prose

# item types of a reference manager that are not references (Zotero's and CSL-JSON's names)
NOT_BIBLIOGRAPHIC = ("note", "attachment", "annotation")


# -- one record to one seed --------------------------------------------------------------------------------
def _first_id(candidates: Iterable[str | None], prose: Iterable[str | None] = ()) -> tuple[str, PaperId] | None:
    """The first identifier a source resolves by id among ``candidates`` (each a whole identifier),
    then inside ``prose`` (notes, Zotero's ``extra``)."""
    for cand in candidates:
        if not cand or not str(cand).strip():
            continue
        text = str(cand).strip()
        try:
            pid = normalise_identifier(text, allow_title=False)
        except SeedError:
            found = id_in_prose(text)
            if found is not None:
                return found
            continue
        if pid.resolvable_by_id:
            return text, pid
    for text in prose:
        found = id_in_prose(str(text)) if text else None
        if found is not None:
            return found
    return None


def _arxiv_field(value: str | None) -> str | None:
    """``arXiv:2205.14135`` (Zotero's archiveID and a preprint's number) as an identifier; else None."""
    if value and re.match(r"^\s*arxiv\s*:", str(value), re.IGNORECASE):
        return str(value).strip()
    return None


def year_in(value: object) -> int | None:
    """The first plausible year (1800-2099) written in ``value`` (a date, a string, a number), or ``None``."""
    m = re.search(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", str(value or ""))
    return int(m.group(1)) if m else None


def record_seed(*, source: str, line: int, title: str | None, arxiv: Iterable[str | None] = (),
                doi: str | None = None, urls: Iterable[str | None] = (), prose: Iterable[str | None] = (),
                year: int | None = None, section: str = "", label: str | None = None) -> Seed | SeedProblem:
    """A seed from one reference's fields (arXiv id, then DOI, then a paper URL, then the title), or
    the problem that keeps it out. ``label`` names the record in messages (its key or id)."""
    title = " ".join(str(title).split()) if title else None
    found = _first_id([*map(_arxiv_field, arxiv), doi, *urls], prose)
    if found is not None:
        text, pid = found
    elif title:
        text, pid = title, PaperId("title", title)
    else:
        return SeedProblem(source, line, label or "", "record has no arXiv id, DOI, paper URL or title")
    return Seed(pid=pid, input=text, source=source, line=line, title=title, section=section,
                heading_path=tuple(section.split(" / ")) if section else (), year_hint=year)


def add_seed(out: SeedList, got: Seed | SeedProblem) -> None:
    """Put what :func:`record_seed` gave into ``out``: a seed among its seeds, a problem among its problems."""
    (out.seeds if isinstance(got, Seed) else out.problems).append(got)


def _strings(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# -- CSL-JSON ----------------------------------------------------------------------------------------------
def looks_like_csl_json(text: str) -> bool:
    """Whether ``text`` is a JSON array (or object) as Zotero's CSL-JSON export writes it.

    >>> looks_like_csl_json('[\\n  {"id": "a", "type": "article-journal"}]'), looks_like_csl_json("1706.03762")
    (True, False)
    """
    return bool(re.match(r"\s*(\[\s*)?\{", text))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _too_deep(source: str, line: int, what: str) -> SeedProblem:
    # json's decoder recurses once per "[" or "{": a record nested thousands deep ends in RecursionError,
    # which is said as the file's problem (no CSL-JSON record nests more than a few levels)
    return SeedProblem(source, line, what, "not CSL-JSON: nested too deeply; this record and any after it "
                                           "were not read")


def _json_records(text: str, source: str, problems: list[SeedProblem]) -> Iterator[tuple[int, int, object]]:
    """``(record number, line, value)`` for each record of a CSL-JSON array, read one at a time so a
    truncated or damaged file still gives the records before the damage (reported once)."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"\s*")
    i = ws.match(text, 0).end()
    if text.startswith("{", i):  # one item, not in an array
        try:
            value, _ = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            problems.append(SeedProblem(source, exc.lineno, "record 1", f"bad CSL-JSON: {exc.msg}"))
            return
        except RecursionError:
            problems.append(_too_deep(source, _line_of(text, i), "record 1"))
            return
        yield 1, _line_of(text, i), value
        return
    if not text.startswith("[", i):
        problems.append(SeedProblem(source, _line_of(text, i), text[i:i + 40], "not CSL-JSON: expected a [ list ]"))
        return
    i = ws.match(text, i + 1).end()
    n = 0
    while True:
        if text.startswith("]", i):
            return
        n += 1
        try:
            value, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            where = "the file ends inside it (truncated?)" if exc.pos >= len(text.rstrip()) else exc.msg
            problems.append(SeedProblem(source, exc.lineno, f"record {n}",
                                        f"bad CSL-JSON ({where}); this record and any after it were not read"))
            return
        except RecursionError:
            problems.append(_too_deep(source, _line_of(text, i), f"record {n}"))
            return
        yield n, _line_of(text, i), value
        i = ws.match(text, end).end()
        if text.startswith(",", i):
            i = ws.match(text, i + 1).end()
        elif not text.startswith("]", i):
            why = "the file ends here (truncated?)" if i >= len(text) else "expected , or ]"
            problems.append(SeedProblem(source, _line_of(text, i), f"after record {n}",
                                        f"bad CSL-JSON: {why}; any records after it were not read"))
            return


def parse_csl_json(text: str, source: str = "<csl-json>") -> SeedList:
    """Seeds from a CSL-JSON export (Zotero: Export Collection… → CSL JSON)."""
    out = SeedList()
    for n, line, item in _json_records(text, source, out.problems):
        if not isinstance(item, dict):
            out.problems.append(SeedProblem(source, line, f"record {n}", "a CSL-JSON record must be an object"))
            continue
        issued = item.get("issued")
        year = None
        if isinstance(issued, dict):
            parts = issued.get("date-parts")
            if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
                year = year_in(parts[0][0])
            year = year or year_in(issued.get("raw") or issued.get("literal"))
        title = item.get("title") if isinstance(item.get("title"), str) else None
        label = str(item.get("id") or f"record {n}")
        add_seed(out, record_seed(source=source, line=line, title=title, label=label,
                                 arxiv=[item.get("number"), item.get("archive_location"),
                                        *(ln for n in _strings(item.get("note")) for ln in n.splitlines())],
                                 doi=item.get("DOI") if isinstance(item.get("DOI"), str) else None,
                                 urls=_strings(item.get("URL")), prose=_strings(item.get("note")), year=year))
    return out


# -- RIS ---------------------------------------------------------------------------------------------------
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -( |$)")
# tags whose text may run on over untagged lines (a long abstract or note); after any other tag an
# untagged line is damage, which rispy would silently glue onto the DOI or URL before it
_RIS_TEXT_TAGS = frozenset("AB N1 N2 TI T1 T2 T3 ST KW AD PB JO JF JA M1 M3".split())


def looks_like_ris(text: str) -> bool:
    """Whether ``text`` starts as a RIS file does, with a ``TY  -`` line.

    >>> looks_like_ris("\\ufeff\\nTY  - JOUR\\nTI  - SYNTH\\nER  - \\n"), looks_like_ris("TY: x")
    (True, False)
    """
    first = next((ln for ln in text.lstrip("\ufeff").splitlines() if ln.strip()), "")
    return first.startswith("TY  -")


def _ris_records(text: str, source: str, problems: list[SeedProblem]) -> Iterator[tuple[int, int, str]]:
    """``(record number, first line, the record's text)`` for each ``TY … ER`` record; text outside a
    record and a record cut off before its ``ER`` line are reported."""
    n, start, lines, last_tag, damaged = 0, 0, None, None, None
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        tag = _RIS_TAG.match(line)
        if lines is None:
            if tag and tag.group(1) == "TY":
                n, start, lines, last_tag, damaged = n + 1, number, [line], "TY", None
            elif line.strip():
                problems.append(SeedProblem(source, number, line[:60], "not inside a RIS record (TY … ER)"))
            continue
        if tag and tag.group(1) == "TY":
            problems.append(SeedProblem(source, start, f"record {n}", "RIS record has no ER line; skipped"))
            n, start, lines, last_tag, damaged = n + 1, number, [line], "TY", None
            continue
        lines.append(line)
        if tag:
            last_tag = tag.group(1)
        elif line.strip() and last_tag not in _RIS_TEXT_TAGS and damaged is None:
            damaged = number
        if tag and tag.group(1) == "ER":
            if damaged is not None:
                problems.append(SeedProblem(source, start, f"record {n}",
                                            f"bad RIS record: line {damaged} has no tag (XX  - value); skipped"))
            else:
                yield n, start, "\n".join(lines) + "\n"
            lines = None
    if lines is not None:
        problems.append(SeedProblem(source, start, f"record {n}",
                                    "RIS record has no ER line (the file ends inside it: truncated?); skipped"))


def parse_ris(text: str, source: str = "<ris>") -> SeedList:
    """Seeds from a RIS export (Zotero: Export Collection… → RIS), each record parsed with rispy."""
    import rispy

    out = SeedList()
    for n, line, record in _ris_records(text, source, out.problems):
        try:
            parsed = rispy.loads(record)
        except Exception as exc:  # rispy raises whatever its parser met (KeyError, ValueError…)
            out.problems.append(SeedProblem(source, line, f"record {n}",
                                            f"bad RIS record ({type(exc).__name__}: {exc}); skipped"))
            continue
        if len(parsed) != 1:
            out.problems.append(SeedProblem(source, line, f"record {n}", "bad RIS record; skipped"))
            continue
        entry = parsed[0]
        title = entry.get("title") or entry.get("primary_title")
        notes = _strings(entry.get("notes")) + _strings(entry.get("note"))
        add_seed(out, record_seed(source=source, line=line, title=title, label=entry.get("id") or f"record {n}",
                                 arxiv=[entry.get("number"), *notes], doi=entry.get("doi"),
                                 urls=_strings(entry.get("urls")), prose=notes,
                                 year=year_in(entry.get("year") or entry.get("publication_year") or entry.get("date"))))
    return out


def reference_reader(path: Path, text: str) -> Callable[[str, str], SeedList] | None:
    """The parser for a reference manager's export, by extension (``.json``, ``.ris``) or content
    (a RIS ``TY  -`` line first, a CSL-JSON list), or None for other seed files."""
    suffix = path.suffix.lower()
    if suffix == ".ris" or looks_like_ris(text):
        return parse_ris
    if suffix in (".json", ".csljson") or (suffix not in (".md", ".markdown", ".bib", ".bibtex")
                                           and looks_like_csl_json(text)):
        return parse_csl_json
    return None
