"""Reading the files an import is given (S2 shards, citation CSVs), whoever imports them (a DuckDB
corpus, ``citegraph prepare``): a file's identity, gzip-aware reads that name a damaged file for
what it is, blocks of lines, and the check that a file is text.
"""

from __future__ import annotations

import gzip
import hashlib
import stat
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator

from ..errors import CitegraphError
from ..paths import KINDS

__all__ = ["check_input_file", "check_text_file", "file_digest", "line_blocks", "open_bytes", "read_block"]


def check_input_file(path: Path) -> None:
    """Refuse an import input that is not a regular file (a FIFO, a device, a folder): reading a FIFO
    waits for a writer forever, and a device never ends."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise CitegraphError(f"{path} does not exist") from None
    except OSError as exc:
        raise CitegraphError(f"cannot read {path} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        what = next((words for test, words in KINDS if test(mode)), "not a regular file")
        raise CitegraphError(f"{path} is {what}, not a regular file; give the data file itself")


def file_digest(path: Path) -> str:
    """Identity of a shard: size plus the hash of its first and last MiB (fast on GB files)."""
    h = hashlib.sha1(str(path.stat().st_size).encode())
    with open(path, "rb") as fh:
        h.update(fh.read(1 << 20))
        if path.stat().st_size > 2 << 20:
            fh.seek(-(1 << 20), 2)
            h.update(fh.read())
    return h.hexdigest()


def open_bytes(path: Path) -> BinaryIO:
    """``path`` opened for reading bytes, through gzip when its name ends in ``.gz``."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_block(fh, size: int, path: Path) -> bytes:
    """``fh.read(size)``, with a damaged file named for what it is (not an interruption, not a traceback)."""
    try:
        return fh.read(size)
    except EOFError:
        raise CitegraphError(f"{path} is truncated: the gzip stream ends early (an incomplete download?); "
                             "download it again") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise CitegraphError(f"{path} is not a valid gzip file ({exc}); give .jsonl or .jsonl.gz files") from None
    except OSError as exc:
        raise CitegraphError(f"cannot read {path} ({exc.strerror or exc})") from None


def line_blocks(path: Path, size: int) -> Iterator[tuple[int, list[str]]]:
    """(number of the first line, lines) blocks of about ``size`` bytes, decoded as UTF-8."""
    first = 1
    tail = b""
    with open_bytes(path) as fh:
        while True:
            block = read_block(fh, size, path)
            if not block:
                break
            block = tail + block
            cut = block.rfind(b"\n")
            if cut < 0:
                tail = block
                continue
            tail = block[cut + 1:]
            lines = block[:cut].decode("utf-8", errors="replace").split("\n")
            yield first, lines
            first += len(lines)
    if tail:
        yield first, [tail.decode("utf-8", errors="replace")]


def check_text_file(path: Path) -> None:
    """Refuse a binary file before DuckDB's CSV reader turns it into a cryptic error."""
    try:
        with open_bytes(path) as fh:
            head = read_block(fh, 64 << 10, path)
    except CitegraphError:
        raise
    except OSError as exc:
        raise CitegraphError(f"cannot read {path} ({exc.strerror or exc})") from None
    if b"\0" in head:
        raise CitegraphError(f"{path} is a binary file, not CSV text")
    if not head.strip():
        raise CitegraphError(f"{path} is empty; a CSV file needs a header row")
