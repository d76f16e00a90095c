"""A session: one store and one source, opened once, and a seed list that can change.

The CLI opens a store and a source per command; a notebook or a long-running
server (``citegraph serve``) wants to hold them for hours and act on the map again
and again: add a seed, remove one, expand a paper, save the list. :class:`Explorer`
is that object. It is built on :mod:`graph.pipeline` (``expand_seeds``, ``analyse_map``,
``run_summary``) and :func:`graph.export.write_map`, so a map it makes is the map the CLI
makes from the same seeds.

Example::

    with Explorer(["seeds/ai-chips-llm-deployment.md"], store="s.sqlite") as ex:
        ex.build()
        ex.add_seeds(["2205.14135"])      # fetches only what is missing
        ex.related().head()
        ex.save_seeds("my-seeds.txt")

It is a plain synchronous object, like a database connection: each method runs on the
caller's thread, and the store is used from the thread that opened it. A Ctrl-C (in the CLI or a
notebook cell) is an ordinary ``KeyboardInterrupt``: the source cancels its request in flight, the
action's change to the seeds is undone and what was fetched stays stored. :meth:`Explorer.cancel`
may be called from another thread (as ``sqlite3.Connection.interrupt``). Several clients share one
session through ``serve``'s runner (:mod:`graph.serve_runner`), which queues their calls.
"""

from __future__ import annotations

import dataclasses
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable, Sequence

from .analysis.results import MapAnalysis
from .errors import Cancelled, CitegraphError, Interrupted, SeedError
from .expansion import ExpansionOptions, ExpansionResult, ResolvedSeed, expand
from .growth import KeptReads, collector_paused
from .session_questions import MapQuestions, SessionSummary
from .ids import normalise_identifier
from .outputs import reading_list
from .pipeline import MapRun, analyse_map, expand_seeds, grown_by, report_seed_list
from .seed_saving import SaveResult, save_seed_rows, seed_rows
from .seeds import Seed, SeedList, read_seeds

__all__ = ["Cancelled", "Explorer", "Progress", "SaveResult", "SessionSummary"]


@dataclasses.dataclass(frozen=True)
class Progress:
    """What the session is doing: the action, the stage, and its requests planned and done.

    ``planned``/``done`` add up the stages seen so far (each stage plans its requests
    when it starts, since it is found from what the previous one fetched);
    ``requests`` is what the source really sent during the action.
    """

    seq: int
    state: str  # "idle" | "working" | "done" | "cancelled" | "failed"
    action: str = ""
    stage: str = ""
    planned: int = 0
    done: int = 0
    requests: int = 0
    version: int = 0  # bumped whenever the map changes
    message: str = ""

    def to_dict(self) -> dict:
        """The progress as JSON-able data."""
        return dataclasses.asdict(self)


class _AnalysisBar:
    """The analysis' progress bar, drawn like the fetch's: with ``progress`` on, on a terminal only
    (tqdm's ``disable=None``), gone when the analysis ends; each stage advances it and names itself."""

    def __init__(self, progress: bool) -> None:
        from tqdm import tqdm  # imported by the expansion already

        from .analysis.summary import ANALYSIS_STAGES  # the analysis imports it next anyway

        self.bar = tqdm(total=len(ANALYSIS_STAGES), desc="analysing the map", unit="stage", leave=False,
                        disable=None if progress else True)
        self.started = False

    def __enter__(self) -> "_AnalysisBar":
        return self

    def stage(self, name: str) -> None:
        if self.started:
            self.bar.update(1)
        self.started = True
        self.bar.set_description_str(f"analysing the map: {name}")

    def __exit__(self, *exc) -> None:
        self.bar.close()


class Explorer(MapQuestions):
    """Holds a store, a source, the expansion options and the current seeds.

    ``seeds`` are files or identifiers as on the command line. ``store`` is the
    store file (default: where the source keeps its papers; for a ``corpus``, a throwaway
    in-memory store). ``source`` may be passed ready-made (the session then does not close it);
    otherwise :func:`graph.sources.open_source` opens the local ``corpus`` or Semantic Scholar
    with ``api_url``, ``rate``, ``timeout`` and ``max_wait``. ``log`` gets the plan and progress
    notes; ``warn`` (default: ``log``) gets what must be seen even when the notes are not: long
    waits, and invalid values repaired in the store. ``on_progress`` is called with each
    :class:`Progress` (see :meth:`watch`).

    ``confirm`` (default: ``options.confirm``) is asked before a step planned to take longer than
    the options allow; ``None``: nobody is asked and such a step stops with its message.
    """

    def __init__(self, seeds: Sequence[str] = (), *, store: str | Path | None = None,
                 corpus: str | Path | None = None, source: Any = None, api_url: str | None = None,
                 rate: float | None = None, timeout: float | None = None, max_wait: float | None = None,
                 options: ExpansionOptions | None = None, top: int = 100,
                 method: str = "salton", resolution: float = 1.0,
                 log: Callable[[str], None] = lambda m: None, warn: Callable[[str], None] | None = None,
                 on_progress: Callable[[Progress], None] | None = None) -> None:
        from .sources import open_source
        from .store import Store

        self.inputs = [str(s) for s in seeds]
        self.log, self.warn = log, warn or log
        self.options = options or ExpansionOptions(progress=False)
        self.confirm = self.options.confirm
        self.top, self.method, self.resolution = top, method, resolution
        self.seed_list = read_seeds(self.inputs) if self.inputs else SeedList()
        self._removed: list[dict] = []
        # per reading list, what an append of this session wrote (paper ids, ("removed", id)): never twice
        self._appended: dict[Path, set] = {}
        self._expanded: list[str] = []  # papers whose neighbourhood was fetched into the graph
        self._run: MapRun | None = None
        self._analysis: MapAnalysis | None = None
        self._analysis_of: MapRun | None = None
        self._progress = Progress(seq=0, state="idle")
        self._watchers: list[Callable[[Progress], None]] = [on_progress] if on_progress else []
        self._cancel = threading.Event()  # set by cancel(), from any thread
        self._working: ExpansionOptions | None = None  # the options of the action under way
        self._closed = False
        self._stack = ExitStack()
        try:
            self.source = source if source is not None else self._stack.enter_context(
                open_source(corpus=corpus, api_url=api_url, rate=rate, timeout=timeout, max_wait=max_wait,
                            log=self.warn))
            # where the source keeps its papers (S2: one store per API host), or a throwaway store
            self.store = self._stack.enter_context(Store(store or self.source.default_store() or ":memory:"))
        except BaseException:
            # a store that cannot be opened (damaged, wrong schema) must not leave the source open
            self._stack.close()
            raise
        # what the session's expansions read from the store, kept between actions (see graph.growth)
        self._reads = KeptReads(self.store)
        self._stored_run: MapRun | None = None  # the run whose graph and analysis are kept in the store
        for r in self.store.repaired:
            self.warn(f"warning: the store {self.store.path} held {r}; they were set to null and will be fetched "
                      "again with --refresh")

    def close(self) -> None:
        """Close the store and the source (and the corpus the session opened)."""
        if not self._closed:
            self._closed = True
            self._stack.close()

    def __enter__(self) -> "Explorer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise CitegraphError("this session is closed")

    # -- progress and cancel ----------------------------------------------------------
    def progress(self) -> Progress:
        """What the session is doing now (or did last)."""
        return self._progress

    def watch(self, callback: Callable[[Progress], None]) -> None:
        """Call ``callback`` with every new :class:`Progress` (on the thread doing the work)."""
        self._watchers.append(callback)

    def _set(self, **changes) -> None:
        self._progress = dataclasses.replace(self._progress, seq=self._progress.seq + 1, **changes)
        for watcher in self._watchers:
            watcher(self._progress)

    def cancel(self) -> None:
        """Stop the action or export under way; callable from any thread. Its request in flight is
        cancelled (waits and retries included) and it makes no further request; what was fetched is
        stored. A cancel while nothing runs stops nothing, and nothing later is refused."""
        self._cancel.set()
        if self._progress.state == "working":
            self.source.interrupt()

    def _start(self) -> None:
        """A new piece of work: a cancel given before it belongs to the work before."""
        self._check_open()
        self._cancel.clear()
        self.source.resume()

    def _action(self, name: str, work: Callable[[], Any]) -> Any:
        """Run ``work`` as one action, reporting its progress; an action's work that needs another
        (a map built on first use) is part of it. An action that fails, is cancelled or is interrupted
        (Ctrl-C) leaves the seeds as they were before it."""
        if self._working is not None:
            return work()
        self._start()
        saved = (list(self.seed_list.seeds), list(self._removed), list(self._expanded))
        map_before = (self._run, self._analysis, self._analysis_of)  # the map too: a failed action changes nothing
        before = self.source.requests
        stages: list[list] = []  # [stage, done, total], in the order the stages ran

        def hook(stage: str, done: int, total: int) -> None:
            if self._cancel.is_set():
                raise Cancelled(f"{name} cancelled; what was fetched is stored")
            if done == 0 or not stages or stages[-1][0] != stage:
                stages.append([stage, done, total])
            else:
                stages[-1][1:] = [done, total]
            self._set(stage=stage, planned=sum(t for _, _, t in stages), done=sum(d for _, d, _ in stages),
                      requests=self.source.requests - before)

        self._working = dataclasses.replace(self.options, on_progress=hook, confirm=self.confirm)
        self._unchanged = False
        self._set(state="working", action=name, stage="", planned=0, done=0, requests=0, message="")
        try:
            with collector_paused():
                result = work()
        except BaseException as exc:
            self.seed_list.seeds, self._removed, self._expanded = saved
            self._run, self._analysis, self._analysis_of = map_before
            sent = self.source.requests - before
            if isinstance(exc, Interrupted) and not isinstance(exc, Cancelled):
                # the source stopped its request on our cancel: one message for a cancel, wherever it landed
                exc = Cancelled(f"{name} cancelled; what was fetched is stored")
                self._set(state="cancelled", message=str(exc), requests=sent)
                raise exc from None
            if isinstance(exc, (Cancelled, KeyboardInterrupt)):
                self._set(state="cancelled", message=str(exc) or f"{name} interrupted", requests=sent)
            else:
                self._set(state="failed", message=str(exc), requests=sent)
            raise
        finally:
            self._working = None
        version = self._progress.version + (0 if self._unchanged else 1)  # a new map, a new version
        self._set(state="done", requests=self.source.requests - before, version=version, message="")
        return result

    # -- building -----------------------------------------------------------------
    @property
    def seeds(self) -> list[Seed]:
        """The current seeds."""
        return list(self.seed_list.seeds)

    @property
    def run(self) -> MapRun:
        """The current map run (built on first use)."""
        self._check_open()
        if self._run is None:
            self.build()  # an action wherever it is asked for, so that it reports progress and can be cancelled
        return self._run

    def build(self) -> MapRun:
        """Resolve and expand the current seeds (and expanded papers), fetching only what is missing."""
        return self._action("build", self._build)

    def _build(self) -> MapRun:
        if self._run is None:  # what reading the seeds noted, said once
            report_seed_list(self.seed_list, self.log)
        from .cache import cached_expansion, store_fingerprint

        seeds = list(self.seed_list.seeds)
        self._reads.check(store_fingerprint(self.store))  # written by another process since: read afresh
        expand_now = lambda: expand_seeds(seeds, store=self._reads, source=self.source, options=self._working,
                                          log=self.log)
        first = self._run is None
        # the first map is the one a command about the same seeds builds: kept in the store for it; later maps
        # (a seed added, removed) are the session's own, and rebuilt from the kept reads faster than read back
        result = (cached_expansion(seeds, store=self.store, source=self.source, options=self._working, log=self.log,
                                   expand=expand_now) if first else expand_now())
        for pid in self._expanded:
            result = grown_by(result, self._expand_one(pid))
        self._reads.fingerprint = store_fingerprint(self.store)
        self._run, self._analysis = MapRun(self.seed_list, result), None
        if first:
            self._stored_run = self._run
        return self._run

    def keep_reads(self) -> None:
        """Read into memory what the next action will read from the store, if the map is built and
        nothing is kept yet (a map read back from the results cache read nothing): ``serve`` calls it
        before serving, so its first action is as quick as the later ones. Makes no request."""
        self._check_open()
        if self._run is None or not self._reads.empty:
            return
        from .cache import store_fingerprint

        quiet = dataclasses.replace(self.options, offline=True, progress=False, on_progress=None, confirm=None)
        with collector_paused():
            self._reads.check(store_fingerprint(self.store))
            expand_seeds(list(self.seed_list.seeds), store=self._reads, source=self.source, options=quiet,
                         log=lambda m: None)
            for pid in self._expanded:
                seed = Seed(pid=normalise_identifier(pid, allow_title=False), input=pid, source="<expanded>", line=0)
                expand([seed], self._reads, self.source, quiet)
            self._reads.fingerprint = store_fingerprint(self.store)

    def _expand_one(self, paper_id: str) -> ExpansionResult:
        # the paper's neighbourhood by the same expansion as a seed's, with the same store and pacing
        seed = Seed(pid=normalise_identifier(paper_id, allow_title=False), input=paper_id, source="<expanded>",
                    line=0)
        return expand([seed], self._reads, self.source, self._working, log=self.log)

    def analysis(self) -> MapAnalysis:
        """The analysis of the current map (computed once per change)."""
        run = self.run
        if self._analysis is None or self._analysis_of is not run:
            from .cache import cached_analysis

            def compute():
                # the silent part after the last progress bar: say what is going on
                self.log(f"analysing the map: relatedness, influence and clusters of "
                         f"{run.graph.number_of_nodes():,} papers")
                with _AnalysisBar(self.options.progress) as bar:
                    def on_stage(name: str) -> None:
                        bar.stage(name)
                        if self._progress.state == "working":  # serve's progress line names the stage too
                            self._set(stage=f"analysing the map: {name}")
                    return analyse_map(run, top=self.top, method=self.method, resolution=self.resolution,
                                       on_stage=on_stage)
            # kept in the store: another command asking of the same graph reads it back (the session's later
            # maps are its own: digesting and keeping them would cost more than the analysis saves)
            with collector_paused():
                self._analysis = (cached_analysis(self.store, run, (self.top, self.method, self.resolution),
                                                  compute) if run is self._stored_run else compute())
            self._analysis_of = run
        return self._analysis

    # -- changing the seeds --------------------------------------------------------------
    def add_seeds(self, items: Sequence[str]) -> list[ResolvedSeed]:
        """Add papers (IDs or titles) to the seeds and rebuild; returns how each new item resolved.

        Items are identifiers or titles, never file names: a request from the page
        must not make the server read a file.
        """
        items = [str(i).strip() for i in items if str(i).strip()]
        if not items:
            raise SeedError("nothing to add")

        def work():
            new = []
            known = {s.pid for s in self.seed_list.seeds}
            for n, item in enumerate(items, start=1):
                pid = normalise_identifier(item)
                if pid not in known:
                    known.add(pid)
                    new.append(Seed(pid=pid, input=item, source="<added>", line=n,
                                    title=item if pid.kind == "title" else None))
            kept = (self._run, self._analysis, self._analysis_of)
            self.seed_list.seeds.extend(new)
            self._build()
            got = [r for r in self._run.expansion.seeds if r.seed in set(new)]
            # an item that did not resolve is reported, not kept: it would only clutter the saved list
            failed = {r.seed for r in got if not r.paper_id}
            self.seed_list.seeds = [s for s in self.seed_list.seeds if s not in failed]
            if kept[0] is not None and all(not r.paper_id for r in got):
                # nothing new resolved: the map stays as it was, with no new analysis and no redraw
                self._run, self._analysis, self._analysis_of = kept
                self._unchanged = True
            return got
        return self._action("add seeds", work)

    def remove_seeds(self, paper_ids: Sequence[str]) -> int:
        """Remove the seeds that resolved to ``paper_ids`` and rebuild; returns how many were removed."""
        gone = set(paper_ids)

        def work():
            run = self.run
            drop = {r.seed for r in run.expansion.seeds if r.paper_id in gone}
            if not drop:
                raise SeedError("none of these papers is a seed: " + ", ".join(sorted(gone)))
            if len(drop) == len(self.seed_list.seeds):
                raise SeedError("cannot remove every seed: a map needs at least one")
            titles = {r.paper_id: run.graph.nodes[r.paper_id].get("title") for r in run.expansion.seeds
                      if r.seed in drop and r.paper_id in run.graph}
            self._removed.extend({"paper_id": p, "title": t} for p, t in titles.items())
            self.seed_list.seeds = [s for s in self.seed_list.seeds if s not in drop]
            self._build()
            return len(drop)
        return self._action("remove seeds", work)

    def change_seeds(self, add: Sequence[str] = (), remove: Sequence[str] = ()) -> tuple[list[ResolvedSeed], int]:
        """Add ``add`` (IDs or titles) and remove the seeds that resolved to ``remove`` as one action:
        ``(how each new item resolved, how many seeds were removed)``. Either both happen or neither:
        a removal that names no seed is refused before anything is added or fetched, and an action that
        fails after the adding leaves the seeds and the map as they were."""

        def work():
            if remove:
                gone = set(remove)
                if not any(r.paper_id in gone for r in self.run.expansion.seeds):
                    raise SeedError("none of these papers is a seed: " + ", ".join(sorted(gone)))
            added = self.add_seeds(add) if add else []
            return added, (self.remove_seeds(remove) if remove else 0)
        name = "change seeds" if add and remove else "add seeds" if add else "remove seeds"  # as the page says it
        return self._action(name, work)

    def expand_paper(self, paper_id: str) -> int:
        """Fetch a paper's neighbourhood (its references, citers and co-cited papers) into the graph;
        returns how many papers the graph gained. The seeds, and so relatedness, stay as they are."""

        def work():
            before = self.run.graph.number_of_nodes()
            if paper_id not in self.run.graph:
                raise SeedError(f"{paper_id} is not in the graph")
            if paper_id not in self._expanded:
                self._expanded.append(paper_id)
            self._build()
            return self._run.graph.number_of_nodes() - before
        return self._action("expand", work)

    # -- saving the seeds --------------------------------------------------------------------
    def seed_rows(self) -> list[dict]:
        """The current seeds as ``{"paper_id", "title", "input", "section", "arxiv_id", "doi", "links",
        "added"}`` (see :func:`graph.seed_saving.seed_rows`)."""
        return seed_rows(self.run, self.seed_list.seeds)

    def save_seeds(self, path: str | Path | None = None) -> SaveResult:
        """Save the seeds: to a text seed file (one ID a line, the title as a comment), or, when ``path``
        is a markdown reading list (default: the one the seeds came from, if any), append the seeds
        added in this session under a dated heading (see :mod:`graph.seed_saving`)."""
        target = Path(path) if path is not None else reading_list(self.inputs)
        if target is None:
            raise CitegraphError("no reading list to append to: give a file name to save the seeds in")
        # a markdown target remembers what this session appended to it (see save_seed_rows)
        return save_seed_rows(target, self.seed_rows(), removed=self._removed,
                              appended=self._appended.setdefault(target.resolve(), set()))

    def reading_list(self) -> Path | None:
        """The markdown reading list the seeds came from (the first among the inputs), if any."""
        return reading_list(self.inputs)
