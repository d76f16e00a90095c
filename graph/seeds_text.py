"""Seeds from plain text: one identifier or title a line (``#`` comments), an identifier found in a
line of prose, and text whose UTF-8 was once read as Windows-1252 (mojibake) repaired."""

from __future__ import annotations

import re

import ftfy
from ftfy.badness import is_bad

from .errors import SeedError
from .ids import PaperId, normalise_identifier
from .seed_list import Seed, SeedList, SeedProblem

URL_IN_TEXT = re.compile(r"https?://[^\s)<>\]\"'，。、]+")


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


def id_in_prose(line: str) -> tuple[str, PaperId] | None:
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
    if not t or t.startswith(("#", "|", "```", "---")) or URL_IN_TEXT.search(t):
        return False
    if t.endswith((":", "：", "。", "；", ";")) or (t.endswith(".") and len(t.split()) > 12):
        return False
    letters = sum(ch.isalpha() for ch in t)
    cjk = sum("\u3000" <= ch <= "\u9fff" for ch in t)
    words = len(t.split())
    if cjk:  # a CJK title has no spaces to count words by
        return 4 <= letters <= 120 and "：" not in t[:8]
    return 2 <= words <= 30 and letters >= 8 and letters >= 0.6 * len(t.replace(" ", ""))


# a "#" after white space; a look-behind, not "\s+#", which rescanned a run of spaces from each one of
# them (a line of 40,000 spaces took seconds)
_TRAILING_COMMENT = re.compile(r"(?<=\s)#")


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
            found = id_in_prose(item)
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
