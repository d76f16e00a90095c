"""Background threads that leave Ctrl-C to the main thread.

The kernel hands a signal sent to the process (Ctrl-C's SIGINT, `kill`'s SIGTERM) to any thread that
does not block it. Python runs its handler on the main thread only, and only once that thread runs
Python code again: a main thread waiting on a lock without a timeout (a queue, a future, a prompt's
read) never wakes for a signal another thread took, and the program ignores Ctrl-C. So the threads
citegraph starts block those signals; threads they start inherit the mask.
"""

from __future__ import annotations

import signal
import threading
from typing import Any, Callable

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


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
