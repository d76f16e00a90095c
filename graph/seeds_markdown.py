"""Seeds from a markdown reading list: numbered entries with a **bold title** under headings, each
with its links (the paper's own one chosen, not its code repository), stars and must-read marks."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from .errors import SeedError
from .ids import PaperId, normalise_identifier
from .seed_list import Seed, SeedList, SeedProblem
from .seeds_text import URL_IN_TEXT, id_in_prose

_CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "bitbucket.org")
_CODE_LABELS = ("代码", "code", "repo", "github")
_LINK_LABELS = ("链接", "link", "url", "paper", "pdf", "论文")
# the parenthetical a reading list puts after a paper's title: "(2017)", "(White Paper)"
# matched one innermost parenthetical at a time and its text tested apart, so no repeat can rescan the
# line from every "(" (the old "[^)]*" made a line of 40,000 "(" take half a minute); a note is short
_PARENTHETICAL = re.compile(r"\(([^()]{0,200})\)")
_NOTE_YEAR = re.compile(r"(?:19|20)\d{2}")
_NOTE_WORDS = re.compile(r"paper|report|preprint|thesis|论文|报告", re.IGNORECASE)


def paper_note(rest: str) -> tuple[bool, int | None]:
    """Whether the text after an entry's bold title has a paper's note, "(2017)" or "(White Paper)",
    and the year it names (None for a note without one).

    >>> paper_note(" (2017) ⭐"), paper_note(" (White Paper)"), paper_note(" (see the blog)")
    ((True, 2017), (True, None), (False, None))
    """
    for m in _PARENTHETICAL.finditer(rest):
        body = m.group(1).strip()
        if _NOTE_YEAR.fullmatch(body):
            return True, int(body)
        if _NOTE_WORDS.search(body):
            return True, None
    return False, None


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
        for url in URL_IN_TEXT.findall(line_text):
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


# an item's bold title and the rest of its first paragraph; DOTALL so that the rest may run over lines
# (with "$" after a "." that stops at a line break, every "**" on the first line of a two-line paragraph
# rescanned that line: quadratic)
_BOLD_FIRST = re.compile(r"\*\*(?P<title>(?:\\.|[^\\])+?)\*\*(?P<rest>.*)", re.DOTALL)


def parse_markdown_reading_list(text: str, source: str = "<markdown>") -> SeedList:
    """Extract paper entries from a markdown reading list.

    A paper entry is a numbered list item starting with **bold title**. Its
    link is the first arXiv/DOI/S2 link in the entry (code links skipped).
    Entries whose links are web sites (lab pages, blogs, search engines) are not
    papers; entries with a document link or a "(2022)"/"(White Paper)" note but no
    resolvable ID become title seeds.
    """
    # the block structure alone (headings, lists, each paragraph's raw text): the inline rules, unused
    # here, cost most of the time, and on hostile links a lot (30,000 nested "[a](" took over a minute)
    tokens = MarkdownIt().disable("inline").parse(text)
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
                m = _BOLD_FIRST.match(first_inline.content.strip())
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
    has_note, year = paper_note(m.group("rest"))
    try:
        link, pid = _choose_link(entry_lines)
    except SeedError as exc:
        problems.append(SeedProblem(source, line, title, str(exc)))
        return None
    after_title = entry_text.split(m.group("title"), 1)[-1]
    given = link
    if pid is None or not pid.resolvable_by_id:
        # an identifier written in the item's text ("arXiv:2101.00000", a DOI), as the text reader takes
        # it; the links were weighed above, and a code repository's must not lend its id
        found = id_in_prose(URL_IN_TEXT.sub(" ", after_title))
        if found is not None:
            given, pid = found
            link = link if link and _looks_like_document(link) else None
    if pid is None and not has_note:
        if not any(ch.isalnum() for ch in after_title):
            problems.append(SeedProblem(source, line, entry_lines[0].strip() if entry_lines else title,
                                        "a numbered bold title with no link, identifier or (year) note; add the "
                                        "paper's arXiv ID, DOI or link after the title"))
        return None  # an item of prose (a tip, a to-do), not a paper
    if pid is not None and not pid.resolvable_by_id and not has_note and not _looks_like_document(link or ""):
        return None  # a lab, blog or search engine: not a paper
    if pid is None or not pid.resolvable_by_id:
        pid = PaperId("title", title)
    stars = entry_text.count("⭐") or None
    return Seed(
        pid=pid,
        input=given or title,
        source=source,
        line=line,
        title=title,
        link=link,
        heading_path=tuple(headings[k] for k in sorted(headings)),
        stars=stars,
        must_read="必读" in entry_text or "must read" in entry_text.lower(),
        year_hint=year,
    )


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

