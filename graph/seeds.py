"""Seeds: read reading lists (markdown), identifier lists, BibTeX and CLI IDs.

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
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import urlsplit

import bibtexparser
import ftfy
from ftfy.badness import is_bad
from markdown_it import MarkdownIt

from .errors import SeedError, SeedFileError
from .ids import PaperId, normalise_identifier, normalise_title

_URL_IN_TEXT = re.compile(r"https?://[^\s)<>\]\"'，。、]+")
_CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "bitbucket.org")
_CODE_LABELS = ("代码", "code", "repo", "github")
_LINK_LABELS = ("链接", "link", "url", "paper", "pdf", "论文")
# the parenthetical a reading list puts after a paper's title: "(2017)", "(White Paper)"
_PAPER_NOTE = re.compile(
    r"\(\s*(?:(?P<year>(?:19|20)\d{2})|[^)]*(?:paper|report|preprint|thesis|论文|报告)[^)]*)\s*\)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Seed:
    """One paper the user asked for, and where they asked for it."""

    pid: PaperId
    input: str
    source: str
    line: int
    title: str | None = None
    link: str | None = None
    heading_path: tuple[str, ...] = ()
    section: str = ""
    stars: int | None = None
    must_read: bool = False
    year_hint: int | None = None


@dataclass(frozen=True)
class SeedProblem:
    """A line that could not become a seed, with the reason."""

    source: str
    line: int
    input: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}: {self.input!r}"


@dataclass
class SeedList:
    """The seeds read from some inputs, the lines that were skipped, and notes on the reading
    (such as a repaired encoding)."""

    seeds: list[Seed] = field(default_factory=list)
    problems: list[SeedProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def extend(self, other: "SeedList") -> None:
        """Append another list's seeds, problems and notes."""
        self.seeds.extend(other.seeds)
        self.problems.extend(other.problems)
        self.notes.extend(other.notes)


def _clean_heading(text: str) -> str:
    text = re.sub(r"[*_`]", "", text)
    kept = "".join(
        # U+FFFD stays: it marks a character lost to a damaged encoding, which the reader should see
        ch for ch in text
        if unicodedata.category(ch) not in {"So", "Sk", "Mn", "Cf"} or ch.isalnum() or ch == "\ufffd"
    )
    return " ".join(kept.split())


def _is_code_link(url: str, line_text: str) -> bool:
    host = urlsplit(url).netloc.lower()
    label = line_text.split(url)[0].lower()
    return any(h in host for h in _CODE_HOSTS) or any(lbl in label for lbl in _CODE_LABELS)


def _choose_link(lines: list[str]) -> tuple[str | None, PaperId | None]:
    """Pick the paper's own link among an entry's links (not its code repository)."""
    candidates: list[tuple[int, str]] = []
    for line_text in lines:
        for url in _URL_IN_TEXT.findall(line_text):
            if _is_code_link(url, line_text):
                continue
            label = line_text.split(url)[0].lower()
            rank = 0 if any(lbl in label for lbl in _LINK_LABELS) else 1
            candidates.append((rank, url.rstrip(".,;")))
    for _, url in candidates:
        pid = normalise_identifier(url)
        if pid.resolvable_by_id:
            return url, pid
    if candidates:
        url = sorted(candidates, key=lambda c: c[0])[0][1]
        return url, normalise_identifier(url)
    return None, None


def _looks_like_document(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(".pdf") or path.count("/") >= 3 and not path.endswith("/")


def _strip_common_prefix(paths: list[tuple[str, ...]]) -> int:
    if not paths:
        return 0
    n = 0
    for parts in zip(*paths):
        if len(set(parts)) != 1:
            break
        n += 1
    # keep at least the deepest heading of each entry
    return min(n, min(len(p) for p in paths) - 1) if n else 0


def parse_markdown_reading_list(text: str, source: str = "<markdown>") -> SeedList:
    """Extract paper entries from a markdown reading list.

    A paper entry is a numbered list item starting with **bold title**. Its
    link is the first arXiv/DOI/S2 link in the entry (code links skipped).
    Entries whose links are web sites (lab pages, blogs, search engines) are not
    papers; entries with a document link or a "(2022)"/"(White Paper)" note but no
    resolvable ID become title seeds.
    """
    tokens = MarkdownIt().parse(text)
    headings: dict[int, str] = {}
    list_stack: list[str] = []
    raw: list[Seed] = []
    problems: list[SeedProblem] = []
    src_lines = text.splitlines()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            level = int(tok.tag[1:])
            headings = {lv: h for lv, h in headings.items() if lv < level}
            headings[level] = _clean_heading(tokens[i + 1].content)
        elif tok.type in ("ordered_list_open", "bullet_list_open"):
            list_stack.append(tok.type)
        elif tok.type in ("ordered_list_close", "bullet_list_close"):
            list_stack.pop()
        elif tok.type == "list_item_open" and list_stack and list_stack[-1] == "ordered_list_open":
            first_inline = tokens[i + 2] if tokens[i + 2].type == "inline" else None
            if first_inline is not None:
                m = re.match(r"^\*\*(?P<title>(?:\\.|[^\\])+?)\*\*(?P<rest>.*)$", first_inline.content.strip())
                if m:
                    start, end = tok.map
                    entry_lines = src_lines[start:end]
                    entry_text = "\n".join(entry_lines)
                    seed = _markdown_entry(m, entry_lines, entry_text, source, start + 1, headings, problems)
                    if seed is not None:
                        raw.append(seed)
        i += 1
    cut = _strip_common_prefix([s.heading_path for s in raw])
    seeds = [replace(s, section=" / ".join(s.heading_path[cut:])) for s in raw]
    return SeedList(seeds, problems)


# ASCII punctuation a title may carry that markdown would read as markup; ":" too, so that a URL in a
# title ("https\://…") is not taken for the entry's link
_MARKDOWN_PUNCT = re.compile(r"([\\`*_{}\[\]()<>#+!|~:])")
_MARKDOWN_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def markdown_title(title: str) -> str:
    r"""``title`` on one line, with markdown's punctuation backslash-escaped, to write as a reading
    list entry's bold title: read back, it is the same title, and a link in it is not the entry's.

    >>> print(markdown_title("See [this](http://x.org) *now*"))
    See \[this\]\(http\://x.org\) \*now\*
    """
    return _MARKDOWN_PUNCT.sub(r"\\\1", " ".join(str(title).split()))


def _markdown_entry(m, entry_lines, entry_text, source, line, headings, problems) -> Seed | None:
    title = _MARKDOWN_ESCAPED.sub(r"\1", " ".join(m.group("title").split()))
    note = _PAPER_NOTE.search(m.group("rest"))
    try:
        link, pid = _choose_link(entry_lines)
    except SeedError as exc:
        problems.append(SeedProblem(source, line, title, str(exc)))
        return None
    is_paper = pid is not None and (
        pid.resolvable_by_id or note is not None or _looks_like_document(link or "")
    )
    if not is_paper:
        if note is None:
            return None  # a lab, blog or search engine: not a paper
        link, pid = None, None
    if pid is None or not pid.resolvable_by_id:
        pid = PaperId("title", title)
    stars = entry_text.count("⭐") or None
    return Seed(
        pid=pid,
        input=link or title,
        source=source,
        line=line,
        title=title,
        link=link,
        heading_path=tuple(headings[k] for k in sorted(headings)),
        stars=stars,
        must_read="必读" in entry_text or "must read" in entry_text.lower(),
        year_hint=int(note.group("year")) if note and note.group("year") else None,
    )


# an identifier written inside a line of prose: a URL, arXiv:ID, a bare new-style arXiv ID, a DOI, CorpusId:N
_ID_IN_TEXT = re.compile(
    r"https?://[^\s)<>\]\"'，。、]+"
    r"|arxiv:\s*[\w.\-/]+"
    r"|(?<![\w.])\d{4}\.\d{4,5}(?:v\d+)?(?![\w.])"
    r"|\b10\.\d{4,9}/[^\s\"<>，。、]+"
    r"|corpusid:\s*\d+",
    re.IGNORECASE,
)
_MARKUP = re.compile(r"^\s*(?:[-*+>]|\d+[.)]|\[[ xX]\])\s+|[*_`]+")


def _id_in_prose(line: str) -> tuple[str, PaperId] | None:
    """The first resolvable identifier (arXiv, DOI, S2, CorpusId, or a link to one) inside a line."""
    for m in _ID_IN_TEXT.finditer(line):
        token = m.group(0).rstrip(".,;:)")
        try:
            pid = normalise_identifier(token, allow_title=False)
        except SeedError:
            continue
        if pid.resolvable_by_id:
            return token, pid
    return None


def plausible_title(text: str) -> bool:
    """Whether a line of a text seed file can be a paper's title worth a title search.

    Headings, links, labels ("网站：…"), sentences of prose and fragments are not.

    >>> plausible_title("Attention is all you need"), plausible_title("## Labs"), plausible_title("ok")
    (True, False, False)
    """
    t = " ".join(text.split())
    if not t or t.startswith(("#", "|", "```", "---")) or _URL_IN_TEXT.search(t):
        return False
    if t.endswith((":", "：", "。", "；", ";")) or (t.endswith(".") and len(t.split()) > 12):
        return False
    letters = sum(ch.isalpha() for ch in t)
    cjk = sum("\u3000" <= ch <= "\u9fff" for ch in t)
    words = len(t.split())
    if cjk:  # a CJK title has no spaces to count words by
        return 4 <= letters <= 120 and "：" not in t[:8]
    return 2 <= words <= 30 and letters >= 8 and letters >= 0.6 * len(t.replace(" ", ""))


_TRAILING_COMMENT = re.compile(r"\s+#")


def parse_identifier_list(text: str, source: str = "<ids>") -> SeedList:
    """One identifier (or title) per line; ``#`` starts a comment, on a line of its own or after
    the entry (``2205.14135  # FlashAttention``: a ``#`` after white space).

    A line that is not an identifier as a whole may hold one in its prose (an arXiv,
    DOI or S2 link, ``arXiv:ID``, a DOI): that is taken. A line with neither an
    identifier nor a plausible title (a heading, a label, a sentence) is skipped
    and listed among the problems, rather than searched as a title.
    """
    out = SeedList()
    for n, line in enumerate(text.splitlines(), start=1):
        # " #" ends the entry: a comment after an ID or a title is not part of it (a "#" inside
        # a word, as in a URL's fragment or "C#", is kept)
        item = _TRAILING_COMMENT.split(line, maxsplit=1)[0].strip()
        if not item or item.startswith("#"):
            continue
        try:
            pid = normalise_identifier(item)
        except SeedError as exc:
            out.problems.append(SeedProblem(source, n, item, str(exc)))
            continue
        if pid.kind == "title" or not pid.resolvable_by_id:
            found = _id_in_prose(item)
            if found is not None:
                out.seeds.append(Seed(pid=found[1], input=found[0], source=source, line=n))
                continue
            title = " ".join(_MARKUP.sub("", item).split())
            if pid.kind != "title" or not plausible_title(title):
                out.problems.append(SeedProblem(source, n, item, "neither an identifier nor a plausible title"))
                continue
            pid = PaperId("title", title)
        out.seeds.append(Seed(pid=pid, input=item, source=source, line=n,
                              title=pid.value if pid.kind == "title" else None))
    return out


def _bib_value(entry, name: str) -> str | None:
    fields = {k.lower(): v for k, v in entry.fields_dict.items()}
    f = fields.get(name)
    if f is None:
        return None
    value = re.sub(r"[{}]", "", str(f.value)).strip()
    return " ".join(value.split()) or None


def parse_bibtex(text: str, source: str = "<bibtex>") -> SeedList:
    """Seeds from BibTeX entries: ``eprint``, then ``doi``, then ``url``, then ``title``; an entry's
    ``groups`` (else its first keyword) is its section."""
    library = bibtexparser.parse_string(text)
    out = SeedList()
    for block in library.failed_blocks:
        reason = str(getattr(block, "error", "")) or "unparseable BibTeX block"
        out.problems.append(SeedProblem(source, block.start_line + 1, block.raw[:80], f"bad BibTeX: {reason}"))
    for entry in library.entries:
        line = entry.start_line + 1
        title = _bib_value(entry, "title")
        candidates = [_bib_value(entry, "eprint"), _bib_value(entry, "doi"), _bib_value(entry, "url")]
        pid = None
        for cand in filter(None, candidates):
            try:
                got = normalise_identifier(cand, allow_title=False)
            except SeedError:
                continue
            if got.resolvable_by_id:
                pid = got
                break
        if pid is None and title:
            pid = PaperId("title", title)
        if pid is None:
            out.problems.append(SeedProblem(source, line, entry.key,
                                            "BibTeX entry has no eprint, doi, usable url or title"))
            continue
        out.seeds.append(Seed(pid=pid, input=f"@{entry.key}", source=source, line=line, title=title,
                              section=_bib_topic(entry)))
    return out


def _bib_topic(entry) -> str:
    """An entry's topic: its JabRef ``groups``, else its first ``keywords`` term ("" for none), so a
    BibTeX library's groups are the topics of related papers, as a reading list's sections are."""
    for name in ("groups", "keywords"):
        value = _bib_value(entry, name)
        if value:
            return re.split(r"[,;]", value)[0].strip()
    return ""


_NUMBERED_BOLD = re.compile(r"^\s{0,3}\d+[.)]\s+\*\*[^*\n]+\*\*", re.MULTILINE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S", re.MULTILINE)


def looks_like_markdown_reading_list(text: str) -> bool:
    """A markdown reading list by its content: headings and numbered items with a **bold title**.

    >>> looks_like_markdown_reading_list("# Papers\\n\\n1. **Attention Is All You Need** (2017)\\n")
    True
    >>> looks_like_markdown_reading_list("1706.03762\\nAttention is all you need\\n")
    False
    """
    return bool(_NUMBERED_BOLD.search(text)) and bool(_HEADING.search(text))


_REPAIR = ftfy.TextFixerConfig(fix_character_width=False, uncurl_quotes=False, fix_latin_ligatures=False,
                               normalization=None, explain=False)


def repair_mojibake(text: str) -> tuple[str, int]:
    """Undo UTF-8 text that was once decoded as Windows-1252 (or -1254) and saved again.

    Returns the text and how many lines were repaired. Each damaged line is encoded back
    with ftfy's "sloppy" codecs and decoded as UTF-8; bytes the wrong decoding dropped
    are gone for good and show as U+FFFD, one per lost character. A line that cannot be
    taken back that way is left to :func:`ftfy.fix_text`. Lines that are not mojibake
    (by ftfy's badness heuristic) are left alone, so clean text passes unchanged.

    >>> repair_mojibake("AIèŠ¯ç‰‡ and plain text")
    ('AI芯片 and plain text', 1)
    """
    fixed, repaired = [], 0
    for line in text.split("\n"):
        if not is_bad(line):
            fixed.append(line)
            continue
        new = None
        for codec in ("sloppy-windows-1252", "sloppy-windows-1254"):
            try:
                new = line.encode(codec).decode("utf-8", errors="replace")
                break
            except UnicodeEncodeError:
                continue
        # mojibake spends 2-4 odd characters per real one: if most of them would be lost, the line
        # was not mojibake of this kind after all, and ftfy's own judgement is safer
        if new is not None and new.count("\ufffd") * 2 > sum(ord(ch) > 127 for ch in line):
            new = None
        if new is None:
            new = ftfy.fix_text(line, _REPAIR)
        repaired += new != line
        fixed.append(new)
    return "\n".join(fixed), repaired


def read_seed_file(path: str | Path) -> SeedList:
    """Read one seed file: BibTeX by extension, a markdown reading list by extension or by
    content (a ``.txt`` holding markdown is markdown), anything else one identifier a line.

    Text whose UTF-8 was once read as Windows-1252 (mojibake) is repaired first, with a note.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SeedFileError(f"cannot read seed file {p}: {exc.strerror}; check the path") from exc
    except UnicodeDecodeError as exc:
        raise SeedFileError(f"seed file {p} is not UTF-8 text; save it as UTF-8 and retry") from exc
    from .seeds_zotero import reference_reader  # CSL-JSON and RIS, as Zotero exports them

    reader = reference_reader(p, text)
    if reader is not None:
        return reader(text, source=str(p))
    suffix = p.suffix.lower()
    if suffix in {".bib", ".bibtex"}:
        return parse_bibtex(text, source=str(p))
    text, repaired = repair_mojibake(text)
    if suffix in {".md", ".markdown"} or looks_like_markdown_reading_list(text):
        out = parse_markdown_reading_list(text, source=str(p))
    else:
        out = parse_identifier_list(text, source=str(p))
    if repaired:
        out.notes.append(f"{p}: repaired the text encoding of {repaired} line(s) (UTF-8 once read as "
                         f"Windows-1252); characters lost for good show as \ufffd")
    return out


def _dedupe(seeds: Iterable[Seed], problems: list[SeedProblem]) -> list[Seed]:
    first: dict[PaperId, Seed] = {}
    kept = []
    for s in seeds:
        key = PaperId("title", normalise_title(s.pid.value)) if s.pid.kind == "title" else s.pid
        if key in first:
            f = first[key]
            problems.append(SeedProblem(s.source, s.line, s.input, f"duplicate of {f.source}:{f.line}"))
            continue
        first[key] = s
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

    Each item that names an existing file is parsed as a file; anything else
    is an identifier or title typed on the command line.
    """
    from .seeds_zotero import read_zotero_library, zotero_database

    out = SeedList()
    for n, item in enumerate(items, start=1):
        if zotero_database(item) is not None:  # a Zotero data directory or zotero.sqlite, ::COLLECTION
            out.extend(read_zotero_library(item))
            continue
        if _is_file(item):
            read = read_seed_file(item)
            if not read.seeds and not read.problems:
                # said here, so that "see the skipped lines above" has a line above
                read.problems.append(SeedProblem(item, 0, item, "the file holds no seeds (it is empty, or only "
                                                              "comments); write one arXiv ID, DOI or title a line"))
            out.extend(read)
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
    out.seeds = _dedupe(out.seeds, out.problems)
    return out
