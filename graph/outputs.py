"""Where outputs go, decided in one place: which inputs are files, the output name and folder
(checked before any request is spent), the seed files ``serve`` saves to, and writing every file
atomically (a temporary file beside it, renamed into place).

The CLI, :class:`graph.session.Explorer`, :func:`graph.export.write_map` and ``serve`` all ask here.
"""

from __future__ import annotations

import errno
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from .errors import OutputError
from .formats import FORMATS
from .paths import STREAM_KINDS, kind_of, shown

READING_LIST_SUFFIXES = (".md", ".markdown")


# -- inputs: files or identifiers ------------------------------------------------------------------------
def input_file(item: str) -> Path | None:
    """``item`` as a path when it names an existing file, else ``None`` (an identifier or a title).

    >>> input_file("1706.03762") is None
    True
    """
    p = Path(item)
    try:
        return p if p.is_file() else None
    except (OSError, ValueError):  # not a possible path at all (too long, a NUL): an identifier
        return None


def default_name(inputs: Sequence[str]) -> str:
    """The base name of the files written: the first seed file's name, else ``map``."""
    first = next((p for p in map(input_file, inputs) if p is not None), None)
    return first.stem if first is not None else "map"


def reading_list(inputs: Sequence[str]) -> Path | None:
    """The first markdown reading list among ``inputs`` (the seeds ``serve`` appends to), if any."""
    return next((p for p in map(input_file, inputs)
                 if p is not None and p.suffix.lower() in READING_LIST_SUFFIXES), None)


def is_reading_list(path: Path) -> bool:
    """Whether ``path`` names a markdown reading list (by its suffix)."""
    return path.suffix.lower() in READING_LIST_SUFFIXES


def default_seed_file(inputs: Sequence[str]) -> Path:
    """Where ``serve`` saves the seeds as text: ``NAME.seeds.txt`` beside the first seed file, else
    ``citegraph-seeds.txt``."""
    first = next((p for p in map(input_file, inputs) if p is not None), None)
    return first.with_name(first.stem + ".seeds.txt") if first is not None else Path("citegraph-seeds.txt")


# -- output names and folders, checked before any request is spent -----------------------------------------
NAME_MAX = 255  # bytes in one file name on every common file system
LONGEST_SUFFIX = max((f.suffix for f in FORMATS.values()), key=len)  # ".papers.parquet"


def check_name(name: str) -> str:
    """``name`` if it is a plain file name (the base of the files written), else :class:`OutputError`:
    ``--name`` never leaves ``--out`` (no separators, ``..`` or absolute paths) and is never too long.

    >>> check_name("ai-chips")
    'ai-chips'
    """
    bad = (not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name
           or os.path.isabs(name) or any(ord(c) < 32 for c in name))
    if bad:
        raise OutputError(f"--name {name!r} must be a plain file name, without folders: use --out for the folder")
    if len((name + LONGEST_SUFFIX).encode("utf-8", "surrogateescape")) > NAME_MAX:
        raise OutputError(f"--name is {len(name)} characters long; file names hold at most "
                          f"{NAME_MAX - len(LONGEST_SUFFIX)} here")
    return name


def _probe_writable(folder: Path, what: str) -> None:
    # a real file, not os.access: root passes os.access on a read-only mount
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".citegraph-probe-"):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write {what} in {folder} ({exc.strerror or exc}); "
                          "choose a writable place") from None


def check_out_dir(out_dir: str | Path) -> Path:
    """Make sure ``out_dir`` is (or can become) a writable folder, before any request is spent."""
    out = Path(out_dir)
    for part in out.parts:
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            raise OutputError(f"--out has a folder name of {len(part)} characters; at most {NAME_MAX} fit")
    kind = kind_of(out)
    if kind == "a symlink loop" or (kind is not None and kind != "a folder"):
        raise OutputError(f"--out {shown(str(out))} is {kind}, not a folder")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"--out {out} lies under {probe}, which is a file, not a folder")
    _probe_writable(probe, "the exports")
    return out


def check_output_file(path: str | Path, option: str = "--csv") -> Path:
    """Make sure a single output file can be written, before any request is spent.

    An existing FIFO or character device (a terminal, ``/dev/stdout``) is streamed into, so only its
    own permission counts; a symlink is followed to the file it names."""
    p = Path(path)
    target, stream = output_target(p, option)
    if stream:
        if not os.access(p, os.W_OK):
            raise OutputError(f"{option} {p}: no permission to write it; choose another path")
        return p
    p = target
    if not p.parent.is_dir():
        what = "does not exist" if not p.parent.exists() else "is not a folder"
        raise OutputError(f"{option} {p}: the folder {p.parent} {what}; create it first")
    if len(p.name.encode("utf-8", "surrogateescape")) > NAME_MAX:
        raise OutputError(f"{option}: a file name of {len(p.name)} characters is too long (at most {NAME_MAX})")
    _probe_writable(p.parent, p.name)
    return p


# -- writing files atomically ------------------------------------------------------------------------------
def _through_device_links(path: Path) -> bool:
    """Whether ``path`` is, or leads through symlinks to, a name under /dev or /proc (``/dev/stdout``,
    ``/proc/self/fd/1``): those name what a process already has open, and when that is a file it must be
    written through them, not replaced beside them (the shell's ``> file`` would lose it)."""
    current = Path(os.path.abspath(path))
    for _ in range(40):  # the kernel's own limit on symlinks followed
        if str(current).startswith(("/proc/", "/dev/fd/")):
            return True
        try:
            link = os.readlink(current)
        except (OSError, ValueError):
            return False
        current = Path(os.path.abspath(current.parent / link))
    return False


def output_target(path: Path, option: str = "the output") -> tuple[Path, bool]:
    """Where writing ``path`` goes: ``(path, True)`` to stream into an existing FIFO or character device
    (or through ``/dev/stdout``-like names; there is nothing to replace), else ``(the file, False)`` to
    replace atomically: a symlink's resolved target, so the link stays and the file it names is
    written. A folder, a socket, a block device or a symlink loop is refused with :class:`OutputError`."""
    kind = kind_of(path)
    if kind == "a folder":
        raise OutputError(f"{option} {shown(str(path))} is a folder; give a file name")
    if kind == "a symlink loop":
        raise OutputError(f"{option} {shown(str(path))} is a symlink loop (it leads back to itself); "
                          "point it at a file or give another path")
    stream = kind in STREAM_KINDS
    if kind not in (None, "a file") and not stream:
        raise OutputError(f"{option} {shown(str(path))} is {kind}, which cannot hold a file; give a file path")
    if stream or (kind is not None and _through_device_links(path)):
        return path, True
    if os.path.islink(path):
        return Path(os.path.realpath(path)), False
    return path, False


_STALE_SECONDS = 3600  # a temporary file without a writer's pid (an older citegraph's) is stale after this


def _sweep_stale_temps(path: Path) -> None:
    """Remove the temporary files of ``path`` that a killed writer (``kill -9``, a power cut) left behind:
    their name carries the writer's pid, and that process is gone. Names without a pid (written by an
    older citegraph) go once they are an hour old."""
    prefix = f".{path.name[:100]}."
    try:
        candidates = [p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return
    for tmp in candidates:
        pid_text = tmp.name[len(prefix):].split("-", 1)[0]
        try:
            if pid_text.isdigit() and "-" in tmp.name[len(prefix):]:
                if _alive(int(pid_text)):
                    continue
            elif time.time() - tmp.stat().st_mtime < _STALE_SECONDS:
                continue
            tmp.unlink()
        except OSError:
            pass  # another run removed it, or it cannot be: left for the next sweep


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def _temp_path(path: Path) -> Path:
    # the writer's pid in the name tells a later run whether the file is still being written
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.{os.getpid()}-", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); the export gets the mode a plain open() would give it
        os.fchmod(fd, 0o666 & ~_umask())
    finally:
        os.close(fd)
    return Path(tmp)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _output_error(path: Path, exc: OSError) -> OutputError:
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "no permission to write there"
    else:
        why = exc.strerror or str(exc)
    return OutputError(f"writing {path} failed ({why}); the files written before are unchanged")


@contextmanager
def atomic_paths(paths: list[Path]) -> Iterator[list[Path]]:
    """Temporary files beside ``paths``, renamed over them together once all are written.

    A path that is a symlink is followed: the file it names is replaced and the link kept. An existing
    FIFO or character device is yielded as itself and written in place (streamed, so not atomic); a
    folder, a socket or a symlink loop is refused (see :func:`output_target`).

    A full disk, a crash or an error midway leaves every previous file whole and the set
    of files unmixed: each is written to a temporary file in the same folder (so the final
    ``os.replace`` is an atomic rename on one file system), and only when all are written
    are they renamed into place.
    """
    targets = [output_target(p) for p in paths]
    temps: list[Path] = []
    try:
        for target, stream in targets:
            if not stream:
                _sweep_stale_temps(target)
                temps.append(_temp_path(target))
        # a FIFO or a device is written as it is: there is no file to replace, and a rename over it
        # would destroy the node (as root) or never reach its reader
        fresh = iter(temps)
        yield [target if stream else next(fresh) for target, stream in targets]
        for tmp, target in zip(temps, [t for t, stream in targets if not stream]):
            os.replace(tmp, target)
        temps = []
    except OSError as exc:
        where = paths[0] if len(paths) == 1 else (paths[0].parent if paths else Path("."))
        raise _output_error(where, exc) from None
    finally:
        for tmp in temps:
            try:
                tmp.unlink()
            except OSError:
                pass


def write_atomic(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """``write(temporary_path)``, then rename the result over ``path`` (see :func:`atomic_paths`)."""
    path = Path(path)
    with atomic_paths([path]) as (tmp,):
        write(tmp)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """``text`` (UTF-8) written atomically to ``path``, its folder made if needed."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(path, exc) from None
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
