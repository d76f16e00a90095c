"""What a path given on the command line really is, said before anything opens it.

A store, a corpus or an output file is a regular file (or a folder, where one is asked for). A
FIFO, a device, a socket or a symlink loop named as one would hang an open (a FIFO blocks until
someone writes to it), replace a device node with a file, or fail deep inside SQLite with a
message about permissions; names that are not valid UTF-8 (Python keeps their bytes as
surrogates) fail in whatever first encodes them. Each is said here, in one line, where the path
enters.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

KINDS = (
    (stat.S_ISREG, "a file"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(path: str | Path) -> str | None:
    """What ``path`` is, following symlinks, in words: ``"a file"``, ``"a folder"``, ``"a FIFO (named
    pipe)"``, ``"a character device"``, ``"a block device"``, ``"a socket"``, ``"a symlink loop"``;
    ``None`` when nothing is there (a dangling symlink included: its target can be made).

    >>> kind_of("/nonexistent/citegraph") is None
    True
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop"
        return None
    except ValueError:  # a NUL in the name: no such file can exist
        return None
    return next((what for test, what in KINDS if test(mode)), "not a regular file")


# what writing a path streams into (a terminal, /dev/null, a named pipe) rather than replaces
STREAM_KINDS = ("a FIFO (named pipe)", "a character device")


def not_utf8(text: str) -> bool:
    """Whether ``text`` (a name Python decoded from the command line or the environment) holds bytes
    that are not UTF-8 (kept by Python as lone surrogates).

    >>> not_utf8("ok-é"), not_utf8(b"o\\xffdir".decode("utf-8", "surrogateescape"))
    (False, True)
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def shown(text: str) -> str:
    """``text`` as it can be printed: bytes that are not UTF-8 as ``\\xff`` escapes.

    >>> shown(b"o\\xffdir".decode("utf-8", "surrogateescape"))
    'o\\\\xffdir'
    """
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def utf8_problem(text: str, what: str = "") -> str | None:
    """The one-line message for a name (``what``: e.g. ``the store path``) that is not valid UTF-8,
    else ``None``."""
    if not not_utf8(text):
        return None
    return f"{what + ' ' if what else ''}{shown(text)} is not valid UTF-8; rename it (or pick a name in UTF-8)"


def file_problem(path: str | Path, what: str, *, file_word: str = "file") -> str | None:
    """Why ``path`` cannot be opened as a ``what`` (e.g. ``"store"``) file, in one line, or ``None``
    when it is a regular file or nothing is there yet (it may be created). A folder is left to the
    caller (a corpus may be one)."""
    text = str(path)
    bad = utf8_problem(text, f"the {what} path")
    if bad:
        return bad
    kind = kind_of(path)
    if kind in (None, "a file", "a folder"):
        return None
    if kind == "a symlink loop":
        return (f"{shown(text)} is a symlink loop (it leads back to itself), not a {what} {file_word}; "
                "point it at a file or pass another path")
    return f"{shown(text)} is {kind}, not a {what} {file_word}; pass the path of a regular file"
