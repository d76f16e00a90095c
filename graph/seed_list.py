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

