"""``serve``'s runner: one thread does every piece of work on the session, whoever asks for it.

:class:`graph.session.Explorer` is a plain synchronous object whose store belongs to the thread
that opened it. ``serve`` answers each HTTP request on a thread of its own, so the requests hand
their work to the runner, which does it on the session's thread, one call after another (actions
from two windows queue, and both see the same map). The runner also relays the session's progress
to the event streams and stops the work under way when the page cancels or the server stops.

In ``citegraph serve`` the runner runs on the main thread (:meth:`Runner.run`), where the session
was opened and where a Ctrl-C lands: a Ctrl-C during an action is the session's ordinary
``KeyboardInterrupt``. Tests and notebooks start it on a thread of its own (:meth:`Runner.start`).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable, TypeVar

from .errors import Cancelled, CitegraphError
from .session import Explorer, Progress
from .threads import next_of

T = TypeVar("T")
STOPPING = "not started: the server is stopping"


class Runner:
    """Runs calls on ``explorer`` one at a time, on the thread that calls :meth:`run`.

    From then on nobody is asked on the terminal: a page cannot answer a prompt there, so a step
    planned to take too long stops with its message (``--yes`` lets it run).
    """

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        explorer.confirm = None
        self._calls: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        explorer.watch(self._progressed)
        self.session = _OnRunner(self)
        self._thread: threading.Thread | None = None  # set by start()

    # -- the session's thread ------------------------------------------------------------
    def run(self) -> None:
        """Do the calls as they come, until :meth:`stop` (or a ``KeyboardInterrupt``, which stops the
        call under way as a Ctrl-C does, answers it as cancelled and is raised again)."""
        from .growth import freeze_long_lived

        try:
            self.explorer.keep_reads()  # the first action reads from memory as the later ones do
        except CitegraphError:
            pass  # a store that cannot be read now says so on the first action that needs it
        _load_analysis_modules()
        freeze_long_lived()  # the first map and the store's kept reads live as long as the server
        while not self._stopping.is_set():
            job = next_of(self._calls)  # in slices: a Ctrl-C another thread took still stops the server
            if job is None:
                break
            fn, answer = job
            if not answer.set_running_or_notify_cancel():
                continue
            try:
                answer.set_result(fn(self.explorer))
            except KeyboardInterrupt:
                answer.set_exception(Cancelled("stopped: the server is stopping; what was fetched is stored"))
                raise
            except BaseException as exc:  # noqa: BLE001 - the caller gets the error, the runner goes on
                answer.set_exception(exc)
        self._refuse_queued()

    @classmethod
    def start(cls, open_explorer: Callable[[], Explorer]) -> "Runner":
        """A runner on a thread of its own, with the session ``open_explorer()`` opens there."""
        opened: Future = Future()

        def main() -> None:
            try:
                runner = cls(open_explorer())
            except BaseException as exc:  # noqa: BLE001 - raised again on the caller's thread
                opened.set_exception(exc)
                return
            opened.set_result(runner)
            try:
                runner.run()
            finally:
                runner.explorer.close()  # on the thread that opened it

        thread = threading.Thread(target=main, name="citegraph-session", daemon=True)
        thread.start()
        runner = opened.result()
        runner._thread = thread
        return runner

    # -- any thread ------------------------------------------------------------------------
    def call(self, fn: Callable[[Explorer], T]) -> T:
        """``fn(explorer)`` done on the session's thread, after the calls before it; its result or error."""
        if self._stopping.is_set():
            raise Cancelled(STOPPING)
        answer: Future = Future()
        self._calls.put((fn, answer))
        return answer.result()

    def progress(self) -> Progress:
        """What the session is doing now."""
        return self.explorer.progress()

    def wait_progress(self, after_seq: int, timeout: float) -> Progress:
        """The progress once it differs from ``after_seq`` (or after ``timeout`` seconds, or on stop)."""
        with self._changed:
            self._changed.wait_for(lambda: self.explorer.progress().seq != after_seq or self._stopping.is_set(),
                                   timeout)
        return self.explorer.progress()

    def cancel(self) -> None:
        """Stop the action under way (see :meth:`Explorer.cancel`)."""
        self.explorer.cancel()

    def stop(self) -> None:
        """Stop: the call under way stops at its next step, queued calls are answered as cancelled.
        A runner from :meth:`start` closes its session and is waited for."""
        self._stopping.set()
        self.explorer.cancel()
        self._calls.put(None)
        with self._changed:
            self._changed.notify_all()  # wakes the event streams
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._refuse_queued()

    def _refuse_queued(self) -> None:
        while True:
            try:
                job = self._calls.get_nowait()
            except queue.Empty:
                return
            if job is not None and job[1].set_running_or_notify_cancel():
                job[1].set_exception(Cancelled(STOPPING))

    def _progressed(self, progress: Progress) -> None:
        with self._changed:
            self._changed.notify_all()


class _OnRunner:
    """The session's methods as seen from another thread: each call is done by the runner.

    >>> callable(_OnRunner(None).add_seeds)
    True
    """

    def __init__(self, runner: Runner | None) -> None:
        self._runner = runner

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(Explorer, name)
        if not callable(method):
            raise AttributeError(f"{name} is not a method of the session")
        return lambda *args, **kwargs: self._runner.call(lambda ex: getattr(ex, name)(*args, **kwargs))


def _load_analysis_modules() -> None:
    """Import what analysing a new map imports on first use: a server whose first map was read back
    from the store imported none of it, and its first action spent 1.5 s more than the later ones
    importing the analysis, igraph (through the clustering's own loader, without matplotlib) and
    scikit-learn's term counter."""
    from .analysis import clusters, summary  # noqa: F401

    clusters._igraph()
    from sklearn.feature_extraction.text import CountVectorizer  # noqa: F401

