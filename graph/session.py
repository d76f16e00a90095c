"""A session: one store and one source, opened once, and a seed list that can change.

The CLI opens a store and a source per command; a notebook or a long-running
server (``citegraph serve``) wants to hold them for hours and act on the map again
and again: add a seed, remove one, expand a paper, save the list. :class:`Explorer`
is that object. It is built on :mod:`graph.pipeline` (``build_map``'s expansion,
``analyse_map``, ``write_map``, ``summary``), so a map it makes is the map the CLI
makes from the same seeds.

Example::

    with Explorer(["seeds/ai-chips-llm-deployment.md"], store="s.sqlite") as ex:
        ex.build()
        ex.add_seeds(["2205.14135"])      # fetches only what is missing
        ex.related().head()
        ex.save_seeds("my-seeds.txt")

Threads: SQLite connections belong to the thread that opened them, and the S2
source paces its requests, so every piece of work that touches the store or the
source runs on one worker thread the session owns (actions queue behind each
other, which also keeps two browsers on one server consistent). Any thread may
call the methods; results that were already computed are read under a lock.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import queue
import threading
import time
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable, Sequence

from .analysis.results import CitationPaths, MapAnalysis, TopicClusters
from .errors import AnalysisError, CitegraphError, Interrupted, SeedError
from .expansion import ExpansionOptions, ExpansionResult, ResolvedSeed, expand
from .ids import normalise_identifier
from .pipeline import MapRun, RunSummary, analyse_map, expand_seeds, report_seed_list, run_summary, write_map
from .seeds import Seed, SeedList, read_seeds
from .sources.s2 import paper_url


class Cancelled(Interrupted):
    """The work was cancelled; everything fetched before is stored, so running it again goes on."""


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


@dataclasses.dataclass(frozen=True)
class SessionSummary:
    """A session's map: the run (:class:`RunSummary`), its clusters (``cluster``, ``size``,
    ``label``), how many papers the map shows, the papers expanded, and the last build's plan."""

    run: RunSummary
    clusters: list[dict]
    map_papers: int
    expanded: list[str]
    plan: list[str]

    def to_dict(self) -> dict:
        """The run's keys (as ``citegraph map --json``) and this summary's own, as JSON-able data."""
        return {**self.run.to_dict(), "clusters": self.clusters, "map_papers": self.map_papers,
                "expanded": self.expanded, "plan": self.plan}


@dataclasses.dataclass(frozen=True)
class SaveResult:
    """Where :meth:`Explorer.save_seeds` wrote, and how many seeds."""

    path: Path
    kind: str  # "text" | "markdown"
    seeds: int
    added: int


class Explorer:
    """Holds a store, a source, the expansion options and the current seeds.

    ``seeds`` are files or identifiers as on the command line. ``store`` is the
    store file (default: as the CLI; with ``corpus`` a throwaway in-memory store).
    ``source`` may be passed ready-made (the session then does not close it);
    otherwise it is the local ``corpus`` or Semantic Scholar at ``api_url``, paced at ``rate``
    requests/s, with ``timeout`` seconds per attempt and ``max_wait`` per request (each ``None``:
    from the environment, else the default; see :class:`graph.sources.s2.S2Config`).
    ``log`` gets the plan and progress notes; ``warn`` (default: ``log``) gets what must
    be seen even when the notes are not: long waits, and invalid values repaired in the store.
    """

    def __init__(self, seeds: Sequence[str] = (), *, store: str | Path | None = None,
                 corpus: str | Path | None = None, source: Any = None, api_url: str | None = None,
                 rate: float | None = None, timeout: float | None = None, max_wait: float | None = None,
                 options: ExpansionOptions | None = None, top: int = 100,
                 method: str = "salton", resolution: float = 1.0,
                 log: Callable[[str], None] = lambda m: None, warn: Callable[[str], None] | None = None) -> None:
        self.inputs = [str(s) for s in seeds]
        self.warn = warn or log
        self.options = options or ExpansionOptions(progress=False)
        if self.options.confirm is not None:
            # expansion asks on the worker thread; the question is put to the thread waiting for it
            ask = self.options.confirm
            self.options.confirm = lambda msg: self._ask_caller(lambda: ask(msg), default=False)
        self.top, self.method, self.resolution = top, method, resolution
        self.log = log
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._cancel = threading.Event()
        self._closing = threading.Event()  # set by close(): queued actions do not start, running ones stop
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="citegraph-session")
        self._worker_thread: threading.Thread | None = None
        self._stack = ExitStack()
        self.store = self.source = None
        self._closed = False
        seed_list = read_seeds(self.inputs) if self.inputs else SeedList()
        self.seed_list = seed_list
        self._removed: list[dict] = []
        self._expanded: list[str] = []  # papers whose neighbourhood was fetched into the graph
        self._run: MapRun | None = None
        self._analysis: MapAnalysis | None = None
        self._progress = Progress(seq=0, state="idle")
        try:
            self._call(lambda: self._open(store, corpus, source,
                                          {"api_url": api_url and api_url.rstrip("/"), "rate": rate,
                                           "timeout": timeout, "max_wait": max_wait}))
        except BaseException:
            # a store that cannot be opened (damaged, wrong schema) must not leave the source open
            self._worker.submit(self._stack.close).result()
            self._worker.shutdown(wait=True)
            self._closed = True
            raise

    # -- the worker thread ------------------------------------------------------
    def _open(self, store_path, corpus, source, s2_settings: dict) -> None:
        from .store import Store

        self._worker_thread = threading.current_thread()
        if source is not None:
            self.source = source
        elif corpus:
            from .sources.prepared import open_corpus

            # a DuckDB corpus file, or a prepared corpus folder (`citegraph prepare`)
            opened, self.source = open_corpus(corpus)
            self._stack.enter_context(opened)
        else:
            from .sources.s2 import S2Config, S2Source

            # what was given wins over the environment (S2_API_URL, S2_RATE, S2_TIMEOUT, S2_MAX_WAIT)
            self.source = self._stack.enter_context(S2Source(S2Config.from_env(**s2_settings), log=self.warn))
        if store_path is None:
            # where the source keeps its papers (S2: one store per API host), or a throwaway store
            store_path = self.source.default_store() or ":memory:"
        self.store = self._stack.enter_context(Store(store_path))
        for r in self.store.repaired:
            self.warn(f"warning: the store {self.store.path} held {r}; they were set to null and will be fetched "
                      "again with --refresh")

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the session's worker thread and return its result (or raise its error)."""
        if self._closed:
            raise CitegraphError("this session is closed")
        if threading.current_thread() is self._worker_thread:
            return fn()

        # questions the work asks (a prompt to go on with a long step) come back here, to be asked
        # on this thread: where a Ctrl-C lands, so that it can stop the prompt
        inbox: queue.Queue = queue.Queue()

        def guarded():
            # work queued behind close() must not touch the closed store
            if self._closing.is_set():
                raise Cancelled("not started: the session is closing")
            self._inbox = inbox
            try:
                return fn()
            finally:
                self._inbox = None

        try:
            future: Future = self._worker.submit(guarded)
        except RuntimeError:  # the worker was shut down meanwhile
            raise CitegraphError("this session is closed") from None
        future.add_done_callback(lambda f: inbox.put(None))
        try:
            while (asked := inbox.get()) is not None:
                question, answer = asked
                try:
                    answer.set_result(question())
                except BaseException as exc:  # Ctrl-C at the prompt: the work gets no, this thread stops
                    answer.set_exception(exc)
                    raise
        except BaseException:
            # the caller stopped waiting (a Ctrl-C in a notebook cell, or at a prompt): so does the work
            self.cancel()
            raise
        try:
            return future.result()
        except CancelledError:
            raise CitegraphError("this session closed before the work started") from None

    _inbox: "queue.Queue | None" = None
    _in_action = False

    def _ask_caller(self, question: Callable[[], Any], default: Any) -> Any:
        """``question()``'s answer, asked on the thread waiting for this work (from the worker);
        ``default`` when nobody waits, the question fails, or the session closes meanwhile."""
        inbox = self._inbox
        if threading.current_thread() is not self._worker_thread:
            return question()
        if inbox is None:
            return default
        answer: Future = Future()
        inbox.put((question, answer))
        while True:
            try:
                return answer.result(timeout=0.2)
            except FutureTimeout:
                if self._closing.is_set() or self._cancel.is_set():
                    return default
            except BaseException:  # noqa: BLE001 - the asking thread stopped (Ctrl-C): take the default
                return default

    def close(self) -> None:
        """Close the store and the source (waits for the action under way, which stops before its
        next step; queued actions do not start)."""
        if self._closed:
            return
        self._closing.set()
        self._cancel.set()
        if self.source is not None:
            self.source.interrupt()  # the action under way stops now, not after its request's waits
        closing = self._worker.submit(self._stack.close)
        try:
            closing.result()
        except KeyboardInterrupt:
            # a second Ctrl-C: stop waiting, but let the worker close the store and the source once
            # its step ends (the interpreter waits for it at exit), rather than cancel the close
            self._worker.shutdown(wait=False, cancel_futures=False)
            raise
        finally:
            with self._changed:
                self._closed = True
                self._changed.notify_all()  # wakes event streams waiting for progress
        self._worker.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "Explorer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- progress -----------------------------------------------------------------
    def progress(self) -> Progress:
        """What the session is doing now."""
        with self._lock:
            return self._progress

    def wait_progress(self, after_seq: int, timeout: float) -> Progress:
        """The progress once it differs from ``after_seq`` (or after ``timeout`` seconds)."""
        with self._changed:
            self._changed.wait_for(lambda: self._progress.seq != after_seq or self._closed, timeout)
            return self._progress

    def _set(self, **changes) -> None:
        with self._changed:
            self._progress = dataclasses.replace(self._progress, seq=self._progress.seq + 1, **changes)
            self._changed.notify_all()

    def cancel(self) -> None:
        """Stop the action under way: its request in flight is cancelled (waits and retries
        included), and it makes no further request. What was fetched is stored. With no action
        under way there is nothing to stop, and nothing later is refused."""
        with self._lock:
            self._cancel.set()
            if self.source is not None and self._progress.state == "working":
                self.source.interrupt()

    def _requests(self) -> int:
        return self.source.requests

    def _action(self, name: str, work: Callable[[], Any]) -> Any:
        """Run ``work`` as one action on the worker thread, reporting its progress.

        An action that fails or is cancelled leaves the seeds as they were before it."""

        def run():
            if self._in_action:  # an action's work that needs another (a first build): one action
                return work()
            if self._closing.is_set():
                raise Cancelled(f"{name} not started: the session is closing")
            self._in_action = True
            try:
                return unguarded()
            finally:
                self._in_action = False

        def unguarded():
            self._cancel.clear()
            self.source.resume()  # a cancel applies to the action it was given in, not to this one
            saved = (list(self.seed_list.seeds), list(self._removed), list(self._expanded))
            before = self._requests()
            stages: list[list] = []  # [stage, done, total], in the order the stages ran

            def hook(stage: str, done: int, total: int) -> None:
                if self._cancel.is_set() or self._closing.is_set():
                    raise Cancelled(f"{name} cancelled; what was fetched is stored")
                if done == 0 or not stages or stages[-1][0] != stage:
                    stages.append([stage, done, total])
                else:
                    stages[-1][1:] = [done, total]
                self._set(stage=stage, planned=sum(t for _, _, t in stages),
                          done=sum(d for _, d, _ in stages), requests=self._requests() - before)

            self._set(state="working", action=name, stage="", planned=0, done=0, requests=0, message="")
            old = self.options.on_progress
            self.options.on_progress = hook
            try:
                result = work()
            except Interrupted as exc:
                self.seed_list.seeds, self._removed, self._expanded = saved
                if isinstance(exc, Cancelled):
                    raise
                # the source stopped its request on our cancel: one message for a cancel, wherever it landed
                raise Cancelled(f"{name} cancelled; what was fetched is stored") from None
            except CitegraphError:
                self.seed_list.seeds, self._removed, self._expanded = saved
                raise
            finally:
                self.options.on_progress = old
            with self._lock:
                version = self._progress.version + 1
            self._set(state="done", requests=self._requests() - before, version=version, message="")
            return result

        def reported():
            before = self._requests()
            try:
                return run()
            except Interrupted as exc:
                self._set(state="cancelled", message=str(exc), requests=self._requests() - before)
                raise
            except CitegraphError as exc:
                self._set(state="failed", message=str(exc), requests=self._requests() - before)
                raise

        return self._call(reported)

    # -- building -----------------------------------------------------------------
    @property
    def seeds(self) -> list[Seed]:
        """The current seeds."""
        return list(self.seed_list.seeds)

    @property
    def run(self) -> MapRun:
        """The current map run (built on first use)."""
        if self._run is None:
            self.build()  # an action wherever it is asked for, so that it reports progress and can be cancelled
        return self._run

    def build(self) -> MapRun:
        """Resolve and expand the current seeds (and expanded papers), fetching only what is missing."""
        return self._action("build", self._build)

    def _build(self) -> MapRun:
        if self._run is None:  # what reading the seeds noted, said once
            report_seed_list(self.seed_list, self.log)
        result = expand_seeds(self.seed_list.seeds, store=self.store, source=self.source, options=self.options,
                              log=self.log)
        for pid in self._expanded:
            result = _compose(result, self._expand_one(pid))
        run = MapRun(self.seed_list, result)
        with self._lock:
            self._run, self._analysis = run, None
        return run

    def _expand_one(self, paper_id: str) -> ExpansionResult:
        # the paper's neighbourhood by the same expansion as a seed's, with the same store and pacing
        seed = Seed(pid=normalise_identifier(paper_id, allow_title=False), input=paper_id, source="<expanded>",
                    line=0)
        return expand([seed], self.store, self.source, self.options, log=self.log)

    def analysis(self) -> MapAnalysis:
        """The analysis of the current map (computed once per change)."""
        def work():
            run = self.run
            with self._lock:
                if self._analysis is not None and self._analysis_of is run:
                    return self._analysis
            if self._closing.is_set():  # Ctrl-C or close() came while the map was built
                raise Cancelled("analysis not started: the session is stopping")
            # computed outside the lock (only this worker computes), so progress and cancel answer meanwhile
            analysis = analyse_map(run, top=self.top, method=self.method, resolution=self.resolution)
            with self._lock:
                self._analysis, self._analysis_of = analysis, run
            return analysis
        return self._call(work)

    _analysis_of: MapRun | None = None

    # -- reading the map --------------------------------------------------------------
    def map(self) -> dict:
        """The map as JSON-able data: papers (``paper_id``, ``title``, ``year``, ``is_seed``, scores, why),
        ``links`` (the similarity links shown), clusters, seeds and the run summary."""
        from .render import map_data

        def work():
            run, analysis = self.run, self.analysis()
            data = map_data(run.graph, analysis, self.title)
            for p in data["papers"]:
                p["paper_id"] = p["id"]
                p["key"] = p["id"]  # stable across changes, so the page can keep each node where it is
            data["links"] = [{"source": r.source, "target": r.target, "similarity": round(float(r.similarity), 4)}
                             for r in analysis.edges.itertuples()]
            data["summary"] = self.summary()
            data["version"] = self.progress().version
            return data
        return self._call(work)

    @property
    def title(self) -> str:
        """The map's title: the first seed file's name, else ``map``."""
        from .pipeline import default_name

        return f"citegraph: {default_name(self.inputs)}"

    def run_summary(self, files: dict[str, Path] | None = None) -> RunSummary:
        """The typed summary of the current map's run (seeds, papers, requests, what failed) and of
        the ``files`` an export wrote."""
        return self._call(lambda: run_summary(self.run, files or {}))

    def session_summary(self) -> "SessionSummary":
        """The typed summary of the current map: its run, clusters, size on the map, the papers
        expanded and what the last build planned."""
        def work():
            analysis = self.analysis()
            return SessionSummary(run=run_summary(self.run, {}), clusters=analysis.clusters.summary(),
                                  map_papers=len(analysis.nodes), expanded=list(self._expanded),
                                  plan=list(self.run.expansion.plan))
        return self._call(work)

    def summary(self) -> dict:
        """:meth:`session_summary` as JSON-able data: ``citegraph map --json``'s keys (no files), with
        ``clusters``, ``map_papers``, ``expanded`` and ``plan``."""
        return self.session_summary().to_dict()

    def related(self):
        """The map's papers other than the seeds, most related first (a DataFrame indexed by
        ``paper_id``, with title, year, every score and the title of the seed it is closest to)."""
        def work():
            analysis, g = self.analysis(), self.run.graph
            t = analysis.non_seeds()
            node = lambda p, key: g.nodes[p].get(key) if p in g else None
            t.insert(0, "title", [node(p, "title") for p in t.index])
            t.insert(1, "year", pd_int([node(p, "year") for p in t.index]))
            t["best_seed_title"] = [node(p, "title") for p in t["best_seed"]]
            return t
        return self._call(work)

    def rank(self, *, global_rank: bool = False, by: str | None = None):
        """Influence within the seeds' topic (topical PageRank), or ``global_rank`` PageRank; with a
        prepared corpus, also its whole-corpus PageRank and percentile, and ``by`` ranks by one of
        them (``"corpus-pagerank"``, ``"corpus-percentile"``)."""
        from .analysis import influence_table
        from .analysis.corpus_scores import has_corpus_scores, with_corpus_scores

        def work():
            g = self.run.graph
            table = influence_table(g, seeds=g.graph["seeds"], by="global" if global_rank else "topic")
            if by is not None and not has_corpus_scores(g):
                raise CitegraphError(f"--by {by} needs a prepared corpus (`citegraph prepare`, then --corpus DIR)")
            return with_corpus_scores(table, g, by=by) if has_corpus_scores(g) else table
        return self._call(work)

    def clusters(self, *, whole_graph: bool = False) -> TopicClusters:
        """The map's topic clusters with labels and year spans; ``whole_graph``: clusters of every
        paper of the graph (each linked to its 10 most similar), not only the map's."""
        if not whole_graph:
            return self.analysis().clusters
        from .analysis import graph_clusters

        def work():
            run = self.run
            return graph_clusters(run.graph, method=self.method, resolution=self.resolution,
                                  references=run.references)
        return self._call(work)

    def reading_order(self, *, cluster: int | None = None):
        """An order to read the seeds (or one ``cluster`` of the map) in: a DataFrame with
        order, stage, prerequisites (see :func:`graph.analysis.reading_order`)."""
        from .analysis import influence_table, reading_order

        def work():
            g = self.run.graph
            papers = g.graph["seeds"]
            if cluster is not None:
                papers = self.analysis().clusters.members(cluster)
                if not papers:
                    raise AnalysisError(f"no cluster {cluster}; see `citegraph clusters` for the numbers")
            return reading_order(g, papers, influence=influence_table(g)["pagerank"])
        return self._call(work)

    def find_paths(self, a: str, b: str, *, one_hop_longer: bool = False) -> CitationPaths:
        """All shortest citation paths between papers ``a`` and ``b`` (IDs or titles), through every
        paper in the store (see :func:`graph.pipeline.find_paths`). The seeds stay as they are."""
        from .pipeline import find_paths

        return self._action("paths", lambda: find_paths(
            a, b, store=self.store, source=self.source, options=self.options,
            one_hop_longer=one_hop_longer, log=self.log))

    def export(self, out_dir: str | Path, name: str | None = None, formats: Sequence[str] | None = None, *,
               bib_cluster: int | None = None, bib_top: int | None = None) -> dict[str, Path]:
        """Write the map and its exports (as ``citegraph map``) under ``out_dir`` as ``NAME.*``; the
        BibTeX holds the map, one ``bib_cluster`` or the seeds and the ``bib_top`` most related."""
        from .formats import EXPORT_FORMATS
        from .pipeline import bibtex_selection, default_name

        chosen = list(formats or EXPORT_FORMATS)

        def work():
            analysis = self.analysis()
            if self._closing.is_set():  # a Ctrl-C during the analysis: write nothing, not a whole export
                raise Cancelled("nothing written: the session is stopping")
            bib = (bibtex_selection(analysis, cluster=bib_cluster, top=bib_top)
                   if "bibtex" in chosen and (bib_cluster is not None or bib_top is not None) else None)
            return write_map(self.run, out_dir, name or default_name(self.inputs), analysis, formats=chosen,
                             bib_nodes=bib, stop=self._closing.is_set)
        return self._call(work)

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
            self.seed_list.seeds.extend(new)
            self._build()
            got = [r for r in self._run.expansion.seeds if r.seed in set(new)]
            # an item that did not resolve is reported, not kept: it would only clutter the saved list
            failed = {r.seed for r in got if not r.paper_id}
            self.seed_list.seeds = [s for s in self.seed_list.seeds if s not in failed]
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
        """The current seeds as ``{"paper_id", "title", "input", "section", "added"}`` (resolved ones first
        as the map has them; unresolved ones keep their input)."""
        def work():
            run = self.run
            rows = []
            current = set(self.seed_list.seeds)
            for r in run.expansion.seeds:
                if r.seed not in current:
                    continue
                d = run.graph.nodes[r.paper_id] if r.paper_id and r.paper_id in run.graph else {}
                rows.append({"paper_id": r.paper_id, "title": d.get("title") or r.seed.title,
                             "input": r.seed.input, "section": r.seed.section,
                             "arxiv_id": d.get("arxiv_id"), "doi": d.get("doi"),
                             "added": r.seed.source == "<added>"})
            return rows
        return self._call(work)

    def save_seeds(self, path: str | Path | None = None) -> SaveResult:
        """Save the seeds: to a text seed file (one ID a line, the title as a comment), or, when ``path``
        is a markdown reading list (default: the one the seeds came from, if any), append the seeds
        added in this session under a dated heading.

        Removed seeds are listed in a comment block of the markdown (its numbered items are the
        author's own, left untouched); the text file is the exact current list.
        """
        target = Path(path) if path is not None else self._reading_list()
        if target is None:
            raise CitegraphError("no reading list to append to: give a file name to save the seeds in")
        rows = self.seed_rows()
        if target.suffix.lower() in (".md", ".markdown"):
            return self._append_markdown(target, rows)
        # the title goes on a comment line of its own above the ID: the seed reader takes whole-line
        # comments only (an ID followed by "# title" on one line would be skipped)
        lines = [f"# citegraph seeds, saved {_now()}: one ID a line, each under its title"]
        for r in rows:
            ident = r["paper_id"] or r["input"]
            title = " ".join((r["title"] or "").split())
            if title and ident != title:
                lines.append(f"# {title}")
            lines.append(ident)
        _write_text(target, "\n".join(lines) + "\n")
        return SaveResult(target, "text", len(rows), sum(r["added"] for r in rows))

    def _reading_list(self) -> Path | None:
        for item in self.inputs:
            p = Path(item)
            if p.is_file() and p.suffix.lower() in (".md", ".markdown"):
                return p
        return None

    def _append_markdown(self, target: Path, rows: list[dict]) -> SaveResult:
        added = [r for r in rows if r["added"] and r["paper_id"]]
        parts = [f"\n\n## Added in citegraph serve ({_now()})\n"]
        for n, r in enumerate(added, start=1):
            title = " ".join((r["title"] or r["input"]).split()).replace("**", "")
            parts.append(f"{n}. **{title}**\n   - {_paper_link(r)}\n")
        if self._removed:
            parts.append("\n<!-- removed from the seeds in citegraph serve:\n")
            parts.extend(f"  {r['paper_id']}  {' '.join((r['title'] or '').split())}\n" for r in self._removed)
            parts.append("-->\n")
        old = target.read_text(encoding="utf-8") if target.exists() else ""
        _write_text(target, old.rstrip("\n") + "".join(parts))
        return SaveResult(target, "markdown", len(rows), len(added))


def _compose(main: ExpansionResult, extra: ExpansionResult) -> ExpansionResult:
    """``main``'s graph grown by ``extra``'s papers and edges; ``main``'s seeds and node data win."""
    import networkx as nx

    g = nx.compose(extra.graph, main.graph)  # attributes of the second graph win
    for n in set(extra.graph) - set(main.graph):
        g.nodes[n].update(is_seed=False, seed_section=None, seed_input=None, seed_source=None,
                          seed_stars=None, must_read=False)
    g.graph.update(main.graph.graph)
    refs = {**extra.references, **main.references}
    return dataclasses.replace(
        main, graph=g, references=refs, requests=main.requests + extra.requests,
        request_floor=main.request_floor + extra.request_floor, cache_hits=main.cache_hits + extra.cache_hits,
        truncated=main.truncated + extra.truncated, failures=main.failures + extra.failures,
        missing=main.missing + extra.missing, plan=main.plan + extra.plan, seconds=main.seconds + extra.seconds)


def _paper_link(row: dict) -> str:
    # a link the reading-list parser takes back as an ID
    if row.get("arxiv_id"):
        return f"https://arxiv.org/abs/{row['arxiv_id']}"
    if row.get("doi"):
        return f"https://doi.org/{row['doi']}"
    pid = row["paper_id"]
    if pid.startswith("CorpusId:"):
        return pid
    return paper_url(pid)


def _now() -> str:
    return _dt.datetime.now().strftime("%Y-%m-%d %H:%M")


def _write_text(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a crash never leaves half a seed list."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{int(time.time() * 1000)}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def pd_int(values: list):
    """Years as a nullable integer column (missing years stay missing instead of turning floats)."""
    import pandas as pd

    return pd.array(values, dtype="Int64")
