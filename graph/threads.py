"""Ctrl-C reaches the main thread, whichever thread the kernel gives it to.

The kernel hands a signal sent to the process (Ctrl-C's SIGINT, `kill`'s SIGTERM) to any thread that
does not block it, and native libraries start threads of their own (numpy's OpenBLAS does at import).
Python runs its handler on the main thread only, and only once that thread runs Python code again: a
main thread waiting without a timeout (on a queue, a future, a prompt's read) never wakes for a signal
another thread took, and the program ignores Ctrl-C. So the threads citegraph starts block those
signals (threads they start inherit the mask), and the main thread waits in short slices
(:func:`result_of`, :func:`next_of`, :func:`wait_readable`), between which a pending Ctrl-C is raised.
"""

from __future__ import annotations

import concurrent.futures
import queue
import select
import signal
import threading
from typing import IO, Any, Callable

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
# how long the main thread waits before looking for a Ctrl-C another thread took: the worst delay
SLICE_SECONDS = 0.25


def start_daemon(target: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any) -> threading.Thread:
    """Start ``target(*args, **kwargs)`` on a daemon thread that never takes SIGINT or SIGTERM.

    >>> import queue
    >>> answers = queue.Queue()
    >>> start_daemon(answers.put, 42).join()
    >>> answers.get()
    42
    """
    def run() -> None:
        if hasattr(signal, "pthread_sigmask"):  # POSIX; elsewhere signals go to the main thread anyway
            signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        target(*args, **kwargs)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def _in_slices(wait: Callable[..., Any], timed_out: type[BaseException]) -> Any:
    """``wait(timeout=SLICE_SECONDS)`` again until it answers (it raises ``timed_out`` when a slice ends
    first); between slices Python raises a pending Ctrl-C on this thread."""
    while True:
        try:
            return wait(timeout=SLICE_SECONDS)
        except timed_out:
            continue


def result_of(future: concurrent.futures.Future) -> Any:
    """``future.result()``, waited for in slices so that a Ctrl-C taken by another thread is raised here.

    >>> done = concurrent.futures.Future()
    >>> done.set_result("answer")
    >>> result_of(done)
    'answer'
    """
    return _in_slices(future.result, concurrent.futures.TimeoutError)


def next_of(calls: queue.Queue) -> Any:
    """``calls.get()``, waited for in slices so that a Ctrl-C taken by another thread is raised here.

    >>> calls = queue.Queue()
    >>> calls.put("job")
    >>> next_of(calls)
    'job'
    """
    return _in_slices(calls.get, queue.Empty)


def wait_readable(stream: IO) -> None:
    """Return once ``stream`` (a terminal, a pipe) has input or has ended, waiting in slices so that a
    Ctrl-C taken by another thread is raised here; a stream without a file descriptor returns at once."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    while not select.select([fd], [], [], SLICE_SECONDS)[0]:
        pass
