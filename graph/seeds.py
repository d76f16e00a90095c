"""Seeds: read reading lists (markdown), identifier lists, BibTeX and CLI IDs.

Every seed remembers where it came from (file, line, heading path) so the map
and the tables can group papers by the reading list's own sections. Bad
lines become :class:`SeedProblem` entries; the good lines still go through.

>>> seeds = parse_identifier_list("arXiv:1706.03762\\n10.1145/1\\n", source="ids.txt")
>>> [str(s.pid) for s in seeds.seeds]
['arxiv:1706.03762', 'doi:10.1145/1']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import urlsplit

import bibtexparser
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
    seeds: list[Seed] = field(default_factory=list)
    problems: list[SeedProblem] = field(default_factory=list)

    def extend(self, other: "SeedList") -> None:
        self.seeds.extend(other.seeds)
        self.problems.extend(other.problems)


def _clean_heading(text: str) -> str:
    text = re.sub(r"[*_`]", "", text)
    kept = "".join(
        ch for ch in text if unicodedata.category(ch) not in {"So", "Sk", "Mn", "Cf"} or ch.isalnum()
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
                m = re.match(r"^\*\*(?P<title>.+?)\*\*(?P<rest>.*)$", first_inline.content.strip())
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


def _markdown_entry(m, entry_lines, entry_text, source, line, headings, problems) -> Seed | None:
    title = " ".join(m.group("title").split())
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


def parse_identifier_list(text: str, source: str = "<ids>") -> SeedList:
    """One identifier (or title) per line; ``#`` starts a comment line."""
    out = SeedList()
    for n, line in enumerate(text.splitlines(), start=1):
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        try:
            pid = normalise_identifier(item)
        except SeedError as exc:
            out.problems.append(SeedProblem(source, n, item, str(exc)))
            continue
        out.seeds.append(Seed(pid=pid, input=item, source=source, line=n,
                              title=item if pid.kind == "title" else None))
    return out


def _bib_value(entry, name: str) -> str | None:
    fields = {k.lower(): v for k, v in entry.fields_dict.items()}
    f = fields.get(name)
    if f is None:
        return None
    value = re.sub(r"[{}]", "", str(f.value)).strip()
    return " ".join(value.split()) or None


def parse_bibtex(text: str, source: str = "<bibtex>") -> SeedList:
    """Seeds from BibTeX entries: ``eprint``, then ``doi``, then ``url``, then ``title``."""
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
        out.seeds.append(Seed(pid=pid, input=f"@{entry.key}", source=source, line=line, title=title))
    return out


def read_seed_file(path: str | Path) -> SeedList:
    """Read one seed file, choosing the parser by extension."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SeedFileError(f"cannot read seed file {p}: {exc.strerror}; check the path") from exc
    except UnicodeDecodeError as exc:
        raise SeedFileError(f"seed file {p} is not UTF-8 text; save it as UTF-8 and retry") from exc
    suffix = p.suffix.lower()
    if suffix in {".md", ".markdown"}:
        return parse_markdown_reading_list(text, source=str(p))
    if suffix in {".bib", ".bibtex"}:
        return parse_bibtex(text, source=str(p))
    return parse_identifier_list(text, source=str(p))


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
    out = SeedList()
    for n, item in enumerate(items, start=1):
        if _is_file(item):
            out.extend(read_seed_file(item))
            continue
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
