"""A seed, a line that could not become one, and the list read from some inputs: what every seed
reader (:mod:`graph.seeds` and its format modules) returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from .ids import PaperId


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
        # a skipped line can be megabytes long (a file's content pasted as one line): its start is
        # enough to find it, and the message stays one line of a log
        return f"{self.source}:{self.line}: {_shortened(self.reason, SHOWN_REASON)}: {shown_input(self.input)}"


SHOWN_INPUT = 80  # characters of a skipped line shown in its message
SHOWN_REASON = 300


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def shown_input(text: str) -> str:
    """``text`` quoted as a message shows a skipped input: its first :data:`SHOWN_INPUT` characters,
    and how long it is when that is not all of it.

    >>> shown_input("2101.00000"), shown_input("x" * 100)[-20:]
    ("'2101.00000'", "x'… (100 characters)")
    """
    if len(text) <= SHOWN_INPUT:
        return repr(text)
    return f"{text[:SHOWN_INPUT]!r}… ({len(text):,} characters)"


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


def shown_bytes(text: str) -> str:
    """``text`` with what is not UTF-8 in it shown as U+FFFD, safe to print and to write.

    >>> shown_bytes("Attention \\udcff is all")
    'Attention \ufffd is all'
    """
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
