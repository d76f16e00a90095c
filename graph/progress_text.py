"""How an expansion says what it does: its progress bars (also reported to a caller's hook) and durations."""

from __future__ import annotations

from typing import Callable


class ReportedBar:
    """A tqdm bar that also reports each step to ``ExpansionOptions.on_progress``."""

    def __init__(self, bar, desc: str, total: int, hook: Callable[[str, int, int], None]) -> None:
        self.bar, self.desc, self.total, self.hook, self.done = bar, desc, total, hook, 0

    def __enter__(self) -> "ReportedBar":
        self.bar.__enter__()
        self.hook(self.desc, 0, self.total)
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def update(self, n: int = 1) -> None:
        self.bar.update(n)
        self.done += n
        self.hook(self.desc, self.done, self.total)


def duration(seconds: float) -> str:
    """``5.4 h``, ``12 min``, ``40 s``.

    >>> duration(19367), duration(720), duration(40)
    ('5.4 h', '12 min', '40 s')
    """
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
