"""What is new since the last map of a seed set: ``citegraph news``.

A run of :func:`whats_new`:

1. takes the previous map of the same seeds: the last snapshot ``news`` kept in the store (or,
   with ``since``, the last one taken on or before that date); before any ``news`` run, the map
   the store holds (as ``citegraph map`` built it, rebuilt from the store without a request);
2. plans what refreshing costs and says it before the first request, under the same budget rule
   as ``map`` (a step planned longer than ``max_plan_seconds`` needs ``confirm`` or ``--yes``):
   one batch of fresh details (citation counts) for the map's papers, the citation lists of the
   seeds and of the map's core (its ``core`` most related papers), then the details of the papers
   found;
3. rebuilds the map from the store with what came in (a citer of the core that the new listing adds,
   citing at least ``min_evidence`` core papers, joins it too), and compares: the papers new to the map,
   most related first, with why; and the papers whose citation counts jumped;
4. keeps a snapshot of the new map (the newest per seed set, plus the last one of each earlier
   month for a year: what ``--since`` can ask for, and no more).

Without network nothing is changed: the first request's failure is said once
(:class:`NoNetworkError`), before anything was written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .errors import CitegraphError, NothingUsableError, PlanTooLongError, SourceError, SourceUnavailableError
from .expansion import ExpansionOptions, ExpansionResult, Expander, _duration, build_graph, expand
from .news_snapshots import day, load_snapshot, oldest_snapshot, save_snapshot, seed_key, snapshot_of
from .seeds import Seed
from .store import Store
from .text import plural

JUMP_MIN = 3  # new citations for a jump: at least this many, and at least JUMP_SHARE of the old count
JUMP_SHARE = 0.1


class NoNetworkError(SourceError):
    """The source could not be reached: ``news`` changed nothing."""


@dataclass(frozen=True)
class NewPaper:
    """A paper on the map now that was not on it before, and why it is there."""

    paper_id: str
    title: str | None
    year: int | None
    authors: list[str]
    venue: str | None
    relatedness: float
    why: str
    url: str | None
    cites_seeds: int
    doi: str | None = None
    arxiv_id: str | None = None


@dataclass(frozen=True)
class CitationJump:
    """A paper of both maps whose citation count grew by a jump."""

    paper_id: str
    title: str | None
    before: int
    after: int

    @property
    def gained(self) -> int:
        return self.after - self.before


@dataclass
class News:
    """What changed for a seed set: new papers (most related first) and citation jumps (largest first)."""

    seed_key: str
    seeds: list[str]
    baseline: str  # what the map was compared with, in words
    baseline_at: float | None
    taken_at: float
    new: list[NewPaper]
    jumps: list[CitationJump]
    map_papers: int
    requests: int
    plan: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-able data (``citegraph news --json``)."""
        out = dataclasses.asdict(self)
        for j, jump in zip(out["jumps"], self.jumps):
            j["gained"] = jump.gained
        return out


# -- the run -----------------------------------------------------------------------------------------------
def whats_new(seeds: Sequence[Seed], *, store: Store, source, options: ExpansionOptions | None = None,
              top: int = 100, method: str = "salton", resolution: float = 1.0, since: dt.date | None = None,
              core: int = 10, log: Callable[[str], None] = lambda m: None) -> News:
    """Refresh what can have changed for ``seeds`` and compare with their previous map (module doc)."""
    if options is not None and options.offline:
        raise CitegraphError("news asks the source what is new, which --offline forbids; drop --offline "
                             "(`citegraph map --offline` shows the map as the store has it)")
    if source is None:
        raise CitegraphError("news needs a source to ask (the API, or --corpus)")
    opt = dataclasses.replace(options or ExpansionOptions(progress=False), refresh=False, offline=False)
    # coupling as an online run decides it: offline, expansion turns it on wherever citers of a seed
    # reference were ever listed, and news lists the core's (seed references among them)
    opt = dataclasses.replace(opt, coupled=opt.coupled if opt.coupled is not None else source.limits.cheap_citations)
    analysed = lambda result, seed_ids: _analyse(result.graph, seed_ids, result.references, top, method, resolution)

    before = _previous_map(seeds, store, opt)
    seed_ids = [r.paper_id for r in before.resolved]
    key = seed_key(seed_ids)
    before_analysis = analysed(before, seed_ids)
    baseline_at, baseline, baseline_text = _baseline(store, key, since, before.graph, before_analysis)
    map_ids = list(before_analysis.nodes)
    core_ids = [p for p in map_ids if p not in set(seed_ids)][:core]
    plan = _plan(source, opt, before.graph, map_ids, seed_ids, core_ids, log)
    requests_before = source.requests

    _refresh_citation_counts(store, source, map_ids)
    # the core's citers as listed before: only a citer the new listing adds is news (a paper that has
    # cited the core for years is not, though the map never listed it)
    core_listed_before = set(store.get_list_states(core_ids, "citations"))
    known_citers = {e.citing for e in store.edges_touching(core_ids, direction="in", listed_only=True)}
    refresh = Expander(store, source, dataclasses.replace(opt, refresh=True, max_plan_seconds=None), log,
                       limits=source.limits)
    refresh.fetch_citations(seed_ids + core_ids, what="seeds and core papers")
    # the map now: expansion from the store (fetching the details of what is new), plus the new
    # citers of the core that build on it
    after = expand(list(seeds), store, source, dataclasses.replace(opt, max_plan_seconds=None), log=log)
    graph, references = _with_new_core_citers(after, store, refresh, [c for c in core_ids if c in core_listed_before],
                                              known_citers - _last_map(store, key, baseline), opt.min_evidence)
    analysis = _analyse(graph, list(graph.graph["seeds"]), references, top, method, resolution)
    now_map = snapshot_of(graph, analysis)

    new = _new_papers(graph, analysis, baseline, now_map)
    jumps = _jumps(baseline, now_map)
    taken_at = time.time()
    # the day each paper came in through news, carried from snapshot to snapshot (`serve` marks them)
    new_ids = {n.paper_id for n in new}
    for p, entry in now_map.items():
        came = day(taken_at) if p in new_ids else (baseline.get(p) or {}).get("new_on")
        if came:
            entry["new_on"] = came
    save_snapshot(store, key, seed_ids, now_map, taken_at)
    failed = len(after.failures) + len(refresh.failures)
    notes = [f"{plural(failed, 'request')} failed; the rest is compared (run again to complete it)"] if failed else []
    return News(seed_key=key, seeds=seed_ids, baseline=baseline_text, baseline_at=baseline_at, taken_at=taken_at,
                new=new, jumps=jumps, map_papers=len(analysis.nodes), requests=source.requests - requests_before,
                plan=plan + refresh.plan + after.plan, notes=notes)


def _analyse(graph, seed_ids, references, top, method, resolution):
    from .analysis import analyse

    return analyse(graph, seed_ids, top=top, method=method, resolution=resolution, references=references)


def _previous_map(seeds: Sequence[Seed], store: Store, opt: ExpansionOptions) -> ExpansionResult:
    """The seeds' map as the store holds it, rebuilt without a request."""
    before = expand(list(seeds), store, None, dataclasses.replace(opt, offline=True, progress=False,
                                                                   on_progress=None))
    if not before.resolved or before.missing:
        lacking = f" (it lacks the {before.missing[0]})" if before.missing else ""
        raise NothingUsableError(f"no map of these seeds in the store yet{lacking}: run `citegraph map` on them "
                                 "first with the same options and --store, then `citegraph news` tells what "
                                 "changed since")
    return before


def _baseline(store: Store, key: str, since: dt.date | None, graph, analysis) -> tuple[float | None, dict, str]:
    """What the map is compared with: ``(when, snapshot, in words)``."""
    if since is not None:
        cut = dt.datetime.combine(since, dt.time.max, dt.timezone.utc).timestamp()
        snap = load_snapshot(store, key, before=cut)
        if snap is None:
            oldest = oldest_snapshot(store, key)
            raise NothingUsableError(
                f"no news snapshot of these seeds on or before {since.isoformat()}"
                + (f"; the oldest is of {day(oldest)}" if oldest else "; news has not run on them yet")
                + ": drop --since to compare with the last one")
        return snap[0], snap[1], f"the map of {day(snap[0])} (news snapshot)"
    snap = load_snapshot(store, key)
    if snap is not None:
        return snap[0], snap[1], f"the map of {day(snap[0])} (last news run)"
    return None, snapshot_of(graph, analysis), "the map in the store (first news run of these seeds)"


def _last_map(store: Store, key: str, baseline: dict) -> set:
    """The papers of the last map news made of ``key`` (``baseline`` before any run), whatever --since asks."""
    last = load_snapshot(store, key)
    return set(last[1] if last is not None else baseline)


def _plan(source, opt: ExpansionOptions, graph, map_ids: list, seed_ids: list, core_ids: list,
          log: Callable[[str], None]) -> list[str]:
    """Say what the refresh requests and how long that takes, before the first request; a plan
    longer than ``max_plan_seconds`` runs only if ``confirm`` agrees (as ``map``'s steps)."""
    limits = source.limits
    limit = limits.capped(opt.max_citations)
    n_list = sum(limits.pages(min(limit, graph.nodes[p].get("citation_count") or limit))
                 for p in seed_ids + core_ids)
    n_details = limits.batches(len(map_ids))
    total = n_details + n_list + 1
    what = (f"refresh the citation counts of the {len(map_ids)} map papers, list the citations of "
            f"{plural(len(seed_ids), 'seed')} and {len(core_ids)} core papers (up to {limit} each), then fetch "
            "the details of the new papers found")
    seconds = source.seconds_for(total)
    if limits.metered:
        plan = [f"news plan: {what}: about {plural(total, 'request')} ({n_details} + {n_list} + 1 per "
                f"{limits.batch_size} new papers)" + (f", about {_duration(seconds)}" if seconds >= 1 else "")]
    else:
        plan = [f"news plan: {what}, from {source.label}"]
    for line in plan:
        log(line)
    if opt.max_plan_seconds is not None and seconds > opt.max_plan_seconds:
        if not (opt.confirm is not None and opt.confirm(f"news makes about {total:,} requests, about "
                                                        f"{_duration(seconds)} at the current rate.")):
            raise PlanTooLongError(f"news would make about {total:,} requests, about {_duration(seconds)} at the "
                                   "current rate; pass --yes to run it anyway, or lower --core / --max-citations. "
                                   "Nothing was requested")
    return plan


def _refresh_citation_counts(store: Store, source, map_ids: list) -> None:
    """Fresh details (citation counts) of the map's papers: the first request, so that a missing
    network is known before anything is written."""
    batch = source.limits.batch_size
    for start in range(0, len(map_ids), batch):
        try:
            got = source.fetch_papers(map_ids[start:start + batch], with_references=False)
        except (SourceUnavailableError, OSError) as exc:
            if start == 0:
                raise NoNetworkError(f"cannot reach {source.label} ({exc}); nothing was changed: run "
                                     "`citegraph news` again when it can be reached") from None
            raise
        store.put_papers(f.record for f in got if f is not None)


def _with_new_core_citers(after: ExpansionResult, store: Store, refresh: Expander, core_ids: list,
                          known_citers: set, min_evidence: int):
    """``after``'s graph and references, with the citers of ``core_ids`` that cite at least ``min_evidence``
    of them (their details fetched), ``known_citers`` aside: those listed before and not on the previous map."""
    from .versions import merge_versions

    graph, references = after.graph, after.references
    cites: dict[str, int] = {}
    for e in store.edges_touching(core_ids, direction="in", listed_only=True):
        if e.citing not in graph and e.citing not in known_citers:
            cites[e.citing] = cites.get(e.citing, 0) + 1
    extra = sorted(p for p, n in cites.items() if n >= min_evidence)
    if not extra:
        return graph, references
    refresh.opt = dataclasses.replace(refresh.opt, refresh=False)
    refresh.fetch_details(extra, "new papers citing the map's core")
    have = store.get_papers(extra)
    members = set(graph.nodes) | {p for p in extra if p in have}
    out_edges = store.edges_touching(members, direction="out")
    graph = build_graph(store, members, after.seeds, out_edges, links=refresh.source.links)
    references = {}
    for e in out_edges:
        references.setdefault(e.citing, []).append(e.cited)
    graph, references, _ = merge_versions(graph, references)
    return graph, references


def _new_papers(graph, analysis, baseline: dict, now_map: dict) -> list[NewPaper]:
    """The map's papers the baseline did not have (seeds aside), most related first."""
    from .citation_formats import paper_url

    why = analysis.related["why"] if "why" in analysis.related else None
    seeds = set(analysis.seeds)
    new = []
    for p in analysis.nodes:
        if p in baseline or p in seeds:
            continue
        d = graph.nodes[p]
        new.append(NewPaper(
            paper_id=p, title=d.get("title"), year=d.get("year"), authors=list(d.get("authors") or []),
            venue=d.get("venue"), relatedness=now_map[p]["relatedness"],
            why=str(why.get(p)) if why is not None and isinstance(why.get(p), str) else "",
            url=paper_url(p, d), cites_seeds=sum(1 for s in seeds if graph.has_edge(p, s)),
            doi=d.get("doi"), arxiv_id=d.get("arxiv_id")))
    new.sort(key=lambda n: (-n.relatedness, n.paper_id))
    return new


def _jumps(baseline: dict, now_map: dict) -> list[CitationJump]:
    """Papers of both maps with at least :data:`JUMP_MIN` more citations, and :data:`JUMP_SHARE` more."""
    jumps = []
    for p, now in now_map.items():
        old, new = (baseline.get(p) or {}).get("citations"), now.get("citations")
        if isinstance(old, int) and isinstance(new, int) and new - old >= max(JUMP_MIN, math.ceil(JUMP_SHARE * old)):
            jumps.append(CitationJump(p, now.get("title"), old, new))
    jumps.sort(key=lambda j: (-j.gained, j.paper_id))
    return jumps
