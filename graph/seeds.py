"""Seeds: read reading lists (markdown), identifier lists, BibTeX, reference-manager exports and CLI IDs.

The formats have their modules (:mod:`.seeds_markdown`, :mod:`.seeds_text`, :mod:`.seeds_bibtex`,
:mod:`.seeds_references`, :mod:`.seeds_zotero`); here each input is told apart and read.

Every seed remembers where it came from (file, line, heading path) so the map
and the tables can group papers by the reading list's own sections. Bad
lines become :class:`SeedProblem` entries; the good lines still go through.

>>> seeds = parse_identifier_list("arXiv:1706.03762\\n10.1145/1\\n", source="ids.txt")
>>> [str(s.pid) for s in seeds.seeds]
['arxiv:1706.03762', 'doi:10.1145/1']
"""


from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path
from typing import Iterable, Sequence

from .errors import SeedError, SeedFileError
from .ids import PaperId, normalise_identifier, normalise_title
from .paths import not_utf8
from .seed_list import Seed, SeedList, SeedProblem, shown_bytes
from .seeds_bibtex import parse_bibtex
from .seeds_markdown import looks_like_markdown_reading_list, markdown_title, parse_markdown_reading_list
from .seeds_text import parse_identifier_list, plausible_title, repair_mojibake

__all__ = ["SEED_FILE_SUFFIXES", "Seed", "SeedList", "SeedProblem", "looks_like_markdown_reading_list",
           "looks_like_path", "markdown_title", "parse_bibtex", "parse_identifier_list", "parse_markdown_reading_list",
           "plausible_title", "read_seed_file", "read_seeds", "repair_mojibake"]


def read_seed_file(path: str | Path) -> SeedList:
    """Read one seed file: BibTeX by extension, a markdown reading list by extension or by
    content (a ``.txt`` holding markdown is markdown), anything else one identifier a line.

    Text whose UTF-8 was once read as Windows-1252 (mojibake) is repaired first, with a note.
    """
    p = Path(path)
    name = shown_bytes(str(p))  # a file name in another encoding is read, and shown with U+FFFD
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SeedFileError(f"cannot read seed file {name}: {exc.strerror}; check the path") from exc
    except UnicodeDecodeError as exc:
        raise SeedFileError(f"seed file {name} is not UTF-8 text; save it as UTF-8 and retry") from exc
    return _read_seed_text(text, p, name)


STDIN = "-"  # the seed that reads a seed list from standard input
STDIN_SOURCE = "<stdin>"
MAX_STDIN_BYTES = 64 * 2**20


def read_standard_input() -> SeedList:
    """The seed list piped to standard input (``citegraph map - < list.md``), read once and told apart
    by its content as a file's is (a reading list, RIS, CSL-JSON, BibTeX, one identifier a line)."""
    stream = sys.stdin
    if stream is None:
        raise SeedFileError("seed - reads standard input, and there is none; give the seed file's name instead")
    if stream.isatty():
        # reading would wait for typing with no prompt: the seeds were surely meant to be piped in
        raise SeedFileError("seed - reads the seeds from standard input, which is a terminal here; pipe a seed "
                            "file in (citegraph map - < list.md) or give the file's name")
    try:
        # bounded: "yes | citegraph map -" or a device piped in would otherwise be read until memory ran out
        data = (stream.buffer.read(MAX_STDIN_BYTES + 1) if hasattr(stream, "buffer")
                else stream.read(MAX_STDIN_BYTES + 1).encode("utf-8", "surrogateescape"))
        if len(data) > MAX_STDIN_BYTES:
            raise SeedFileError(f"standard input holds more than {MAX_STDIN_BYTES // 2**20} MiB, more than any seed "
                                "list; pipe in the seed file itself, or give its name")
        text = data.decode("utf-8-sig")
    except OSError as exc:
        raise SeedFileError(f"cannot read standard input: {exc.strerror or exc}; give the seed file's name") from exc
    except UnicodeDecodeError as exc:
        raise SeedFileError("the seeds on standard input are not UTF-8 text; save them as UTF-8 and retry") from exc
    return _read_seed_text(text, Path(STDIN_SOURCE), STDIN_SOURCE)


def _read_seed_text(text: str, p: Path, source: str) -> SeedList:
    """The seeds of one file's (or standard input's) ``text``: its format by ``p``'s extension, else by content."""
    from .seeds_references import reference_reader  # CSL-JSON and RIS, as Zotero exports them

    reader = reference_reader(p, text)
    if reader is not None:
        return reader(text, source=source)
    suffix = p.suffix.lower()
    # standard input has no extension to say BibTeX: its entries say it
    if suffix in {".bib", ".bibtex"} or (source == STDIN_SOURCE and looks_like_bibtex(text)):
        return parse_bibtex(text, source=source)
    text, repaired = repair_mojibake(text)
    if suffix in {".md", ".markdown"} or looks_like_markdown_reading_list(text):
        out = parse_markdown_reading_list(text, source=source)
    else:
        out = parse_identifier_list(text, source=source)
    if repaired:
        out.notes.append(f"{source}: repaired the text encoding of {repaired} line(s) (UTF-8 once read as "
                         f"Windows-1252); characters lost for good show as \ufffd")
    return out


_BIBTEX_ENTRY = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.MULTILINE)


def looks_like_bibtex(text: str) -> bool:
    """Whether ``text`` (with no file extension to tell) holds BibTeX entries: a line starting ``@type{``.

    >>> looks_like_bibtex("@article{k, title={SYNTH}}"), looks_like_bibtex("@someone said 2101.00000")
    (True, False)
    """
    return bool(_BIBTEX_ENTRY.search(text))


def _only_utf8(seeds: Iterable[Seed], problems: list[SeedProblem]) -> list[Seed]:
    """The seeds whose every text is valid UTF-8; each other one is reported, so that no title or link
    that cannot be written as UTF-8 reaches a source, the store or an output."""
    kept = []
    for s in seeds:
        texts = [s.input, s.source, s.title or "", s.link or "", s.section, s.pid.value, *s.heading_path]
        if not any(map(not_utf8, texts)):
            kept.append(s)
        else:
            problems.append(SeedProblem(shown_bytes(s.source), s.line, shown_bytes(s.title or s.input),
                                        "not valid UTF-8 text (a title in another encoding?); fix it in the list"))
    return kept


def _dedupe(seeds: Iterable[Seed], problems: list[SeedProblem]) -> list[Seed]:
    """The seeds without repeats, each repeat reported as a problem naming the first.

    Two title seeds with the same title are one paper unless both name a year and the years differ
    (a lecture note of 2019 and its book of 2023 share a title; the year is how the list tells them
    apart, and the expansion resolves each by its year)."""
    first: dict[PaperId, Seed] = {}
    by_title: dict[str, list[Seed]] = {}
    kept = []
    for s in seeds:
        if s.pid.kind == "title":
            same = by_title.setdefault(normalise_title(s.pid.value), [])
            f = next((t for t in same if t.year_hint is None or s.year_hint is None
                      or t.year_hint == s.year_hint), None)
            if f is None:
                same.append(s)
        else:
            f = first.setdefault(s.pid, s)
            f = None if f is s else f
        if f is not None:
            problems.append(SeedProblem(s.source, s.line, s.input, f"duplicate of {f.source}:{f.line}"))
            continue
        kept.append(s)
    return kept


SEED_FILE_SUFFIXES = (".md", ".markdown", ".txt", ".bib", ".bibtex", ".csv", ".tsv", ".json", ".jsonl", ".gz",
                      ".ris", ".text", ".lst")


def _is_file(item: str) -> bool:
    try:
        return Path(item).is_file()
    except (OSError, ValueError):  # a name too long for the file system, or with a NUL
        return False


def _refuse_other_path(item: str) -> None:
    """A seed naming a folder, a device or a FIFO is a path, not a title, and is never opened (a FIFO
    would block, ``/dev/zero`` never ends): :class:`SeedFileError` saying what it is."""
    try:
        mode = os.stat(item).st_mode
    except (OSError, ValueError):
        return  # nothing there: a title or identifier (or a missing file, said by the caller)
    if stat.S_ISDIR(mode):
        raise SeedFileError(f"seed {item} is a folder; give the seed files in it (e.g. {Path(item) / 'list.md'}), "
                            "not the folder")
    what = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    raise SeedFileError(f"seed {item} is {what}, not a seed file; save the seeds to a file and give that")


def looks_like_path(item: str) -> bool:
    """Whether a command-line seed that is no existing file was meant as one: it is not an
    identifier, and it has a folder separator (without spaces, unlike ``TCP/IP networks``),
    starts like a path, or ends with a seed file extension.

    >>> looks_like_path("seeds/missing.md"), looks_like_path("10.18653/v1/N19-1423")
    (True, False)
    >>> looks_like_path("TCP/IP and the Internet"), looks_like_path("./list")
    (False, True)
    """
    text = item.strip()
    try:
        normalise_identifier(text, allow_title=False)
        return False
    except SeedError:
        pass
    if text.startswith(("./", "../", "~/", "/", ".\\", "..\\")) or (len(text) > 2 and text[1:3] in (":\\", ":/")):
        return True
    if not any(c.isspace() for c in text) and ("/" in text or "\\" in text):
        return True
    return text.lower().endswith(SEED_FILE_SUFFIXES)


def read_seeds(items: Sequence[str]) -> SeedList:
    """Read seeds from files and/or identifiers given directly.

    Each item that names an existing file is parsed as a file; ``-`` reads a seed list from standard
    input; anything else is an identifier or title typed on the command line. An item (or a seed
    read from a file) that is not valid UTF-8 is refused as a problem.
    """
    from .seeds_zotero import read_zotero_library, zotero_database

    out = SeedList()
    stdin_read = False
    for n, item in enumerate(items, start=1):
        if item == STDIN:
            if stdin_read:
                out.problems.append(SeedProblem("<command line>", n, item, "standard input was read already"))
                continue
            stdin_read = True
            read = read_standard_input()
            if not read.seeds and not read.problems:
                read.problems.append(SeedProblem(STDIN_SOURCE, 0, item, "standard input holds no seeds (nothing "
                                                                         "was piped in?); pipe a seed file in"))
            out.extend(read)
            continue
        if zotero_database(item) is not None:  # a Zotero data directory or zotero.sqlite, ::COLLECTION
            out.extend(read_zotero_library(item))
            continue
        if _is_file(item):
            read = read_seed_file(item)
            if not read.seeds and not read.problems:
                # said here, so that "see the skipped lines above" has a line above
                name = shown_bytes(item)
                read.problems.append(SeedProblem(name, 0, name, "the file holds no seeds (it is empty, or only "
                                                                "comments); write one arXiv ID, DOI or title a line"))
            out.extend(read)
            continue
        if not_utf8(item):
            # undecodable bytes (a title typed in another encoding) would reach a source's request and
            # come back as an error blaming the source's answer; said here, where the seed enters (a file
            # whose name is not UTF-8 was read above: only its name is shown with U+FFFD)
            out.problems.append(SeedProblem("<command line>", n, shown_bytes(item),
                                            "not valid UTF-8 (typed in another encoding?); retype it"))
            continue
        _refuse_other_path(item)
        if looks_like_path(item):
            # never searched as a title: that would spend a request and send a local path to the API
            raise SeedFileError(f"seed file {item} does not exist; check the path")
        try:
            pid = normalise_identifier(item)
        except SeedError as exc:
            out.problems.append(SeedProblem("<command line>", n, item, str(exc)))
            continue
        out.seeds.append(Seed(pid=pid, input=item, source="<command line>", line=n,
                              title=item if pid.kind == "title" else None))
    out.seeds = _dedupe(_only_utf8(out.seeds, out.problems), out.problems)
    return out
