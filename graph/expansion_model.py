"""What an expansion is asked (:class:`ExpansionOptions`) and what it answers (:class:`ExpansionResult`).

Kept apart from :mod:`graph.expansion`, which does the work, so the session, the pipeline and the
exports can speak of an expansion without the machinery that runs one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import networkx as nx

from .seeds import Seed


@dataclass
class ExpansionOptions:
    """How far to expand. ``max_papers`` bounds the graph; ``depth`` 2 adds the
    papers that the 1-hop papers cite (their citations are not listed: each
    would cost requests)."""

    depth: int = 1
    max_citations: int = 1000
    max_papers: int | None = 5000
    refresh: bool = False
    offline: bool = False
    progress: bool = True
    # called as ``on_progress(stage, done, total)`` when a stage plans its requests and after each
    # one, so a long-running caller (``citegraph serve``) can show progress; it may raise to cancel
    # between requests (everything fetched before is already stored)
    on_progress: Callable[[str, int, int], None] | None = None
    # second-degree papers: co-cited with the seeds (cited by the seeds' citers; their ids are
    # already in the store) and coupled with them (citing the seeds' references). Coupling needs
    # the citers of every seed reference: one query in a local corpus, one request per reference
    # over the API, so ``None`` means "on where the source lists citers cheaply".
    co_cited: bool = True
    coupled: bool | None = None
    min_evidence: int = 2  # co-cited by / sharing at least this many papers with the seeds
    # seeds of several sections share --max-papers among their topics (graph.neighbourhood.TopicRoom);
    # False: candidates are picked by their evidence over every seed, as before (for comparison)
    topic_shares: bool = True
    # a plain id list's groups by citations share the room too: off, since splitting one review's 10
    # or 20 seeds by their citations lost 0.007-0.008 R@50 in benchmarks/quality.py --k 10,20 (README)
    citation_topics: bool = False
    # a step planned to take longer than this (at the source's pace) needs ``confirm`` to agree;
    # None: no limit (``--yes``)
    max_plan_seconds: float | None = 3600.0
    confirm: Callable[[str], bool] | None = None


@dataclass
class ResolvedSeed:
    """A seed and the paper it resolved to, or the ``reason`` it did not."""

    seed: Seed
    paper_id: str | None
    reason: str | None = None


@dataclass
class ExpansionResult:
    graph: nx.DiGraph
    seeds: list[ResolvedSeed]
    requests: int = 0
    retries: int = 0  # of ``requests``, those that repeated a failed one (429, 5xx, no or a broken answer)
    request_floor: int = 0
    cache_hits: int = 0
    truncated: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # each paper's stored references, papers outside the graph included (for full coupling)
    references: dict[str, list[str]] = field(default_factory=dict)
    # candidates co-cited and coupled with the seeds, how many were added and how many left out for room
    second_degree: dict = field(default_factory=dict)

    @property
    def resolved(self) -> list[ResolvedSeed]:
        return [s for s in self.seeds if s.paper_id]

    @property
    def unresolved(self) -> list[ResolvedSeed]:
        return [s for s in self.seeds if not s.paper_id]
