"""Seeds from BibTeX: an entry's ``eprint``, ``doi``, ``url`` or ``title``, its group as its section
and its ``year`` as the year hint a title match uses."""

from __future__ import annotations

import re

import bibtexparser

from .errors import SeedError
from .ids import PaperId, normalise_identifier
from .seed_list import Seed, SeedList, SeedProblem
from .seeds_references import year_in


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
                              section=_bib_topic(entry), year_hint=year_in(_bib_value(entry, "year"))))
    return out


def _bib_topic(entry) -> str:
    """An entry's topic: its JabRef ``groups``, else its first ``keywords`` term ("" for none), so a
    BibTeX library's groups are the topics of related papers, as a reading list's sections are."""
    for name in ("groups", "keywords"):
        value = _bib_value(entry, name)
        if value:
            return re.split(r"[,;]", value)[0].strip()
    return ""

