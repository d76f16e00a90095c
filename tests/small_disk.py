"""A real small disk for tests: a tmpfs of a few MB mounted on a folder (needs root; the tests
that use it are skipped, saying why, where mounting is impossible), that can be filled up or made
read-only."""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


@contextmanager
def small_disk(folder: Path, megabytes: int = 4) -> Iterator[Path]:
    """``folder`` with a tmpfs of ``megabytes`` MB mounted on it, unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0777", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({(done.stderr or 'not root').strip()[:80]}); "
                    "these tests need a real full or read-only disk")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder: Path) -> Path:
    """Fill the disk under ``folder`` to the last byte; the filler file, to remove to free it."""
    filler = folder / "filler"
    with open(filler, "ab", buffering=0) as fh:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError:
                pass
    assert os.statvfs(folder).f_bavail == 0
    return filler


def remount_read_only(folder: Path) -> None:
    """Make the small disk under ``folder`` read-only (root writes nowhere on it either)."""
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)
