"""Expansion: resolve seeds, fetch their neighbourhood, build the citation graph.

The store is consulted before every request and written after every response,
so a second run makes zero requests and an interrupted run resumes. The
source is passed in (any :class:`graph.sources.base.PaperSource`: the API over HTTP,
a local corpus, an in-memory graph; or ``None`` for offline), and everything
source-specific (batch and page sizes, list caps, messages) comes from it.

Request plan, for a source whose requests are metered, with batch size B and page
size P (its ``limits``): for N id seeds, T title seeds, C_i citations listed per seed
(and, with coupling, one list per seed reference), and M_j papers needing details
and reference lists at stage j (the 1-hop papers, then the second-degree papers
found from their reference lists, then each further depth)::

    ceil(N/B) + T + sum(max(1, ceil(C_i/P))) + sum_j ceil(M_j/B)

(:meth:`graph.sources.base.SourceLimits.request_floor`). The stages are sequential
(each is found from the reference lists the previous one fetched), so their batches
cannot be shared.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from rapidfuzz import fuzz
from tqdm import tqdm

from .citation_graph import build_graph, citation_graph  # noqa: F401  (build_graph: importable from here)
from .errors import CitegraphError, PlanTooLongError, SourceError
from .expansion_model import ExpansionOptions, ExpansionResult, ResolvedSeed
from .ids import alias_key, normalise_title
from .model import CitationEdge, ListState, PaperLinks, PaperRecord
from .neighbourhood import (COUPLING_CITERS, SECOND_DEGREE_SHARE, neighbours, pick, second_degree,  # noqa: F401
                            topic_room)
from .seeds import Seed
from .sources.base import FetchedPaper, PaperSource, SourceLimits
from .store import Store
from .progress_text import ReportedBar, duration
from .text import plural

_duration = duration  # the name graph.news imports

__all__ = ["Expander", "ExpansionOptions", "ExpansionResult", "ResolvedSeed", "build_graph", "expand"]

TITLE_MATCH_MIN = 85  # rapidfuzz token_sort_ratio between asked and returned title


class Expander:
    """Runs one expansion. Use :func:`expand` rather than this class directly."""

    def __init__(self, store: Store, source: PaperSource | None, options: ExpansionOptions,
                 log: Callable[[str], None], limits: SourceLimits | None = None) -> None:
        self.store = store
        self.source = source
        # the source's limits; offline (no source to fetch from) those of the source the caller
        # passed, if any, so the same citation cap applies as online
        self.limits = source.limits if source is not None else limits
        self.opt = options
        self.log = log
        self.cache_hits = 0
        # inputs of the request floor: id lookups, title lookups, citations per seed, papers needing refs
        self.n_id_lookups = 0
        self.n_title_lookups = 0
        self.citations_listed: list[int] = []
        self.detail_stages: list[int] = []  # papers fetched per (sequential) details stage
        self.fetched_now: set[str] = set()  # so --refresh fetches each paper once per run
        self.truncated: list[dict] = []
        self.failures: list[dict] = []
        self._said: set[str] = set()  # failures already logged
        self.missing: list[str] = []
        self.plan: list[str] = []

    # -- helpers -------------------------------------------------------------
    @property
    def _local(self) -> bool:
        # a source whose requests are not metered (a local corpus, an in-memory graph) answers
        # queries, not rate-limited requests: its plan does not count requests (nor does the floor)
        return not self.source.limits.metered

    def _cost(self, n: int, what: str, *, listed: bool = False, approx: bool = False) -> str:
        """How a plan line says what a step costs: `` (3 requests)`` over the API, nothing for a
        local source; ``listed`` ends a line: ``: 3 requests`` / `` from the corpus X``."""
        if self._local:
            return f" from {self.source.label}" if listed else ""
        text = ("about " if approx else "") + plural(n, what)
        return f": {text}" if listed else f" ({text})"

    def _say(self, msg: str) -> None:
        self.plan.append(msg)
        self.log(msg)

    def _plan(self, msg: str, n_requests: int) -> None:
        """Say what the next step will request and how long that takes; a step longer than
        ``max_plan_seconds`` runs only if ``confirm`` agrees (else :class:`PlanTooLongError`)."""
        seconds = self.source.seconds_for(n_requests)
        if seconds >= 1:
            msg += f", about {duration(seconds)}"
        note = self.source.deadline_note
        if note and not self.plan:
            msg += f"; {note}"  # said once, in the plan's first line
        self._say(msg)
        limit = self.opt.max_plan_seconds
        if limit is not None and seconds > limit:
            if self.opt.confirm is not None and self.opt.confirm(
                    f"This step makes {n_requests:,} requests, about {duration(seconds)} at the current rate."):
                return
            hint = f", or {self.source.rate_hint}" if self.source.rate_hint else ""
            raise PlanTooLongError(
                f"this step would make {n_requests:,} requests, about {duration(seconds)} at the current rate "
                f"(more than {duration(limit)}); pass --yes to run it anyway, or lower --max-citations / "
                f"--max-papers / --depth{hint}. Nothing was requested for it yet")

    def _bar(self, total: int, desc: str):
        # disable=None: drawn on a terminal only; redirected, its frames would run into the messages
        off = True if not self.opt.progress or total == 0 else None
        bar = tqdm(total=total, desc=desc, unit="req", disable=off, leave=False)
        if self.opt.on_progress is None or total == 0:
            return bar
        return ReportedBar(bar, desc, total, self.opt.on_progress)

    def _store_fetched(self, fetched: Iterable[FetchedPaper]) -> None:
        fetched = list(fetched)
        self.fetched_now.update(f.record.paper_id for f in fetched if f.reference_ids is not None)
        now = time.time()
        with self.store.transaction():
            self.store.put_papers(f.record for f in fetched)
            for f in fetched:
                if f.reference_ids is None:
                    continue
                self.store.put_edges(CitationEdge(f.record.paper_id, r) for r in f.reference_ids)
                self.store.put_list_state(ListState(
                    f.record.paper_id, "references", len(f.reference_ids), f.record.reference_count,
                    f.references_truncated is None, f.references_truncated, now, None))
        for f in fetched:
            if f.references_truncated:
                self._note_truncated(f.record.paper_id, "references", f.references_truncated)

    def _note_truncated(self, paper_id: str, kind: str, reason: str) -> None:
        self.truncated.append({"paper_id": paper_id, "list": kind, "reason": reason})

    def _fail(self, item: str, exc: Exception) -> None:
        self.failures.append({"item": item, "error": str(exc)})
        # one cause (an unreachable server) fails every request alike: it is said once, not per request
        if str(exc) in self._said:
            return
        self._said.add(str(exc))
        with tqdm.external_write_mode():  # above the progress bar, not into it
            self.log(f"warning: {item}: {exc}")

    # -- stage 1: seeds --------------------------------------------------------
    def resolve(self, seeds: list[Seed]) -> list[ResolvedSeed]:
        out: dict[int, ResolvedSeed] = {}
        by_id: list[tuple[int, Seed]] = []
        by_title: list[tuple[int, Seed]] = []
        for i, seed in enumerate(seeds):
            cached = None if self.opt.refresh else self._cached_alias(seed)
            if cached is not None:
                self.cache_hits += 1
                out[i] = ResolvedSeed(seed, cached[0], cached[1])
            elif self.source is None:
                out[i] = ResolvedSeed(seed, None, "not in the store and --offline was given")
                self.missing.append(f"seed {seed.input} ({seed.source}:{seed.line})")
            elif seed.pid.resolvable_by_id:
                by_id.append((i, seed))
            else:
                by_title.append((i, seed))
        if not by_id and not by_title:
            return [out[i] for i in range(len(seeds))]
        batch = self.source.limits.batch_size
        n_batches = self.source.limits.batches(len(by_id))
        self.n_id_lookups += len(by_id)
        self.n_title_lookups += len(by_title)
        self._plan(f"resolve {len(by_id)} seeds by ID{self._cost(n_batches, 'batch request')} and "
                   f"{len(by_title)} by title{self._cost(len(by_title), 'request')}; "
                   f"{self.cache_hits} from the store", n_batches + len(by_title))
        with self._bar(n_batches + len(by_title), "resolving seeds") as bar:
            for start in range(0, len(by_id), batch):
                chunk = by_id[start:start + batch]
                try:
                    got = self.source.fetch_papers([s.pid for _, s in chunk], with_references=True)
                except (SourceError, OSError) as exc:
                    self._fail(f"batch lookup of {len(chunk)} seeds", exc)
                    for i, s in chunk:
                        out[i] = ResolvedSeed(s, None, f"lookup failed: {exc}")
                    continue
                finally:
                    bar.update(1)
                self._store_fetched(f for f in got if f is not None)
                for (i, s), f in zip(chunk, got):
                    if f is None and s.pid in self.source.invalid_ids:
                        out[i] = ResolvedSeed(s, None, "the answer for it was not a valid paper; run again later")
                    elif f is None:
                        reason = self.source.not_found(s.pid)
                        self.store.put_alias(alias_key(s.pid), None, reason)
                        out[i] = ResolvedSeed(s, None, reason)
                    else:
                        self.store.put_alias(alias_key(s.pid), f.record.paper_id)
                        out[i] = ResolvedSeed(s, f.record.paper_id, None)
            for i, s in by_title:
                out[i] = self._resolve_title(s)
                bar.update(1)
        return [out[i] for i in range(len(seeds))]

    def _cached_alias(self, seed: Seed) -> tuple[str | None, str | None] | None:
        """What the store says a seed resolved to. A title with a year hint is kept under its own key;
        a store written before hints were used holds it under the plain title, which still answers
        when that paper is of the hinted year, when the title was not found at all, or offline (an
        --offline run rebuilds what the earlier run resolved, never less)."""
        cached = self.store.get_alias(alias_key(seed.pid, seed.year_hint))
        if cached is not None or seed.year_hint is None:
            return cached
        plain = self.store.get_alias(alias_key(seed.pid))
        if plain is None or plain[0] is None or self.source is None:
            return plain
        record = self.store.get_papers([plain[0]]).get(plain[0])
        return plain if record is not None and record.year == seed.year_hint else None

    def _resolve_title(self, seed: Seed) -> ResolvedSeed:
        title = seed.pid.value
        asked = (self.source.requests, self.source.retries)
        try:
            rec = self.source.match_title(title, seed.year_hint)
        except (SourceError, OSError) as exc:
            self._fail(f"title match of {title!r}", exc)
            return ResolvedSeed(seed, None, f"title lookup failed: {exc}")
        finally:
            # a best match of another year than the hint is asked again for that year: a request the
            # floor counts, as it could not have been spared (the plan counted one per title)
            sent = (self.source.requests - asked[0]) - (self.source.retries - asked[1])
            self.n_title_lookups += max(0, sent - 1)
        if rec is None:
            reason = f"no paper titled {title!r} in {self.source.label}"
        elif fuzz.token_sort_ratio(normalise_title(title), normalise_title(rec.title or "")) < TITLE_MATCH_MIN:
            reason = f"best title match {rec.title!r} is too different from {title!r}"
        else:
            self.store.put_papers([rec])
            self.store.put_alias(alias_key(seed.pid, seed.year_hint), rec.paper_id)
            return ResolvedSeed(seed, rec.paper_id, None)
        self.store.put_alias(alias_key(seed.pid, seed.year_hint), None, reason)
        return ResolvedSeed(seed, None, reason)

    # -- stage 2: citations of seeds -------------------------------------------
    def fetch_citations(self, seed_ids: list[str], *, limit: int | None = None, what: str = "seeds",
                        note_truncation: bool = True) -> None:
        """Make sure the citations of ``seed_ids`` (up to ``limit``, default ``--max-citations``)
        are in the store."""
        limit = self.opt.max_citations if limit is None else limit
        if self.limits is not None:
            limit = self.limits.capped(limit)
        if limit <= 0:
            return
        states = {} if self.opt.refresh else self.store.get_list_states(seed_ids, "citations")
        todo = [p for p in seed_ids if not (p in states and states[p].satisfies(limit))]
        self.cache_hits += len(seed_ids) - len(todo)
        for pid, st in states.items():
            if pid not in todo and st.truncated and note_truncation:
                self._note_truncated(pid, "citations", st.truncated)
        if not todo:
            return
        if self.source is None:
            self.missing.extend(f"citations of {p}" for p in todo)
            return
        papers = self.store.get_papers(todo)
        for p in [p for p in todo if p in papers and papers[p].citation_count == 0]:
            # the source already said there are none: no request needed
            self.store.put_list_state(ListState(p, "citations", 0, 0, True, None, time.time(), limit))
            todo.remove(p)
        expected = {p: min(limit, papers[p].citation_count if p in papers and papers[p].citation_count
                           is not None else limit) for p in todo}
        n_req = sum(self.source.limits.pages(expected[p]) for p in todo)
        self._plan(f"list citations of {len(todo)} {what} (up to {limit} each)"
                   + self._cost(n_req, "request", listed=True, approx=True),
                   0 if self._local else n_req)
        self.source.prefetch_citations(todo, limit)  # a local corpus lists them all in one query
        with self._bar(n_req, "citations") as bar:
            for pid in todo:
                st = states.get(pid)
                resume = st.n_items if st is not None and st.in_progress and st.limit == limit else 0
                self._fetch_citation_list(pid, limit, papers.get(pid), bar, resume, note_truncation)

    def _fetch_citation_list(self, pid: str, limit: int, paper: PaperRecord | None, bar, start: int,
                             note_truncation: bool = True) -> None:
        listed = start
        try:
            for page in self.source.iter_citations(pid, limit, start):
                listed = page.next_offset
                # edges and the offset reached are stored together: a re-run resumes here
                with self.store.transaction():
                    self.store.put_edges(page, listed=True)
                    self.store.put_list_state(ListState(pid, "citations", listed, None, False, None,
                                                        time.time(), limit))
                bar.update(1)
        except (SourceError, OSError) as exc:
            self._fail(f"citations of {pid}", exc)
            self.citations_listed.append(listed - start)
            return
        self.citations_listed.append(listed - start)
        total = paper.citation_count if paper else None
        truncated = None
        cap = self.source.limits.list_cap
        if total is not None and listed < total:
            if cap is not None and total > cap and limit >= cap:
                truncated = self.source.truncation_note(listed, total)
            elif listed >= limit:
                truncated = f"--max-citations {limit} reached; {listed} of {total} citations are in the graph"
        self.store.put_list_state(ListState(pid, "citations", listed, total, truncated is None, truncated,
                                            time.time(), limit))
        if truncated and note_truncation:
            self._note_truncated(pid, "citations", truncated)

    # -- stage 3: details and reference lists ------------------------------------
    def fetch_details(self, paper_ids: list[str], desc: str, *, count_hits: bool = True) -> None:
        """Make sure each paper has details and a reference list in the store."""
        ids = list(dict.fromkeys(paper_ids))
        have_refs = {} if self.opt.refresh else self.store.get_list_states(ids, "references")
        have_papers = self.store.get_papers(ids) if not self.opt.refresh else {}
        todo = [p for p in ids if p not in self.fetched_now
                and not (p in have_refs and p in have_papers and have_papers[p].title is not None)]
        if count_hits:
            self.cache_hits += len(ids) - len(todo)
        for p, st in have_refs.items():
            if st.truncated and p not in todo:
                self._note_truncated(p, "references", st.truncated)
        if not todo:
            return
        if self.source is None:
            self.missing.append(f"details and references of {len(todo)} papers ({desc})")
            return
        batch = self.source.limits.batch_size
        n_batches = self.source.limits.batches(len(todo))
        self.detail_stages.append(len(todo))
        self._plan(f"fetch details and references of {len(todo)} {desc}"
                   + self._cost(n_batches, "batch request", listed=True), 0 if self._local else n_batches)
        with self._bar(n_batches, desc) as bar:
            for start in range(0, len(todo), batch):
                chunk = todo[start:start + batch]
                try:
                    got = self.source.fetch_papers(chunk, with_references=True)
                except (SourceError, OSError) as exc:
                    self._fail(f"details of {len(chunk)} {desc}", exc)
                    continue
                finally:
                    bar.update(1)
                self._store_fetched(f for f in got if f is not None)
                lost = [p for p, f in zip(chunk, got) if f is None]
                if lost:
                    self.missing.append(f"{len(lost)} papers are not in {self.source.label}")

    @property
    def floor(self) -> int:
        """The fewest requests that could have fetched what this run fetched (0 offline, or
        when the source's requests are not metered)."""
        if self.source is None:
            return 0
        return self.source.limits.request_floor(self.n_id_lookups, self.n_title_lookups,
                                                self.citations_listed, self.detail_stages)

def expand(seeds: list[Seed], store: Store, source: PaperSource | None,
           options: ExpansionOptions | None = None, log: Callable[[str], None] = lambda m: None,
           ) -> ExpansionResult:
    """Resolve ``seeds`` and expand them into a citation graph.

    ``source=None`` (or ``options.offline``) builds from the store alone and lists
    what is missing in ``result.missing``. Offline, a given source is never asked, but its
    limits (its citation list cap) still apply, so the graph is the one an online run built.

    Example::

        result = expand(read_seeds(["seeds/ai-chips-llm-deployment.md"]).seeds, Store("s.sqlite"), S2Source())
        result.graph.number_of_nodes()
    """
    opt = options or ExpansionOptions()
    if opt.depth < 1:
        raise CitegraphError("--depth must be 1 or more")
    t0 = time.perf_counter()
    src = None if opt.offline else source
    requests_before = src.requests if src is not None else 0
    retries_before = src.retries if src is not None else 0
    ex = Expander(store, src, opt, log, limits=source.limits if source is not None else None)
    resolved = ex.resolve(seeds)
    seed_ids = list(dict.fromkeys(r.paper_id for r in resolved if r.paper_id))
    # only title-resolved seeds lack references here; the others came with their lookup
    ex.fetch_details(seed_ids, "seeds", count_hits=False)
    ex.fetch_citations(seed_ids)
    # a reading list of several topics shares the room among them (graph.neighbourhood); read from
    # the store, so --offline finds the same topics and rebuilds the same graph
    topics = topic_room(store, resolved, citation_topics=opt.citation_topics) \
        if opt.topic_shares and opt.max_papers is not None else None
    if topics is not None:
        ex._say(f"the room under --max-papers is shared by the seeds' {len(topics.shares)} topics, "
                "in proportion to their seeds")
    members = set(seed_ids)
    frontier = set(seed_ids)
    second: dict = {}
    second_on = opt.co_cited or opt.coupled is not False
    for level in range(1, opt.depth + 1):
        room = None if opt.max_papers is None else opt.max_papers - len(members)
        if room is not None and level == 1 and second_on:
            # one-hop papers linked to a single seed must not crowd out papers co-cited with the
            # seeds dozens of times: they take at most 80% of the room
            room -= opt.max_papers // SECOND_DEGREE_SHARE
        # citations are listed for the seeds only (each list costs requests); deeper levels follow references
        scores = neighbours(store, frontier, citing_too=level == 1)
        candidates = {p: s for p, s in scores.items() if p not in members}
        chosen = topics.pick_one_hop(candidates, room) if topics is not None and level == 1 else \
            pick(candidates, room)
        if chosen:
            ex.fetch_details(chosen, f"depth-{level} papers")
            members.update(chosen)
            frontier = set(chosen)
        if level == 1 and seed_ids:
            room = None if opt.max_papers is None else opt.max_papers - len(members)
            second = second_degree(ex, seed_ids, members, room, topics)
            members.update(second.pop("chosen"))
        if not chosen:
            break
    graph, references = citation_graph(store, members, resolved,
                                       links=source.links if source is not None else PaperLinks.of, log=log)
    return ExpansionResult(
        graph=graph, seeds=resolved, requests=(src.requests if src is not None else 0) - requests_before,
        retries=(src.retries if src is not None else 0) - retries_before, request_floor=ex.floor,
        cache_hits=ex.cache_hits, truncated=ex.truncated, failures=ex.failures, missing=ex.missing,
        plan=ex.plan, seconds=time.perf_counter() - t0, references=references, second_degree=second,
    )
