"""A session's graph grown and shrunk without reading the whole neighbourhood again.

An action in ``citegraph serve`` (a seed added or removed, a paper expanded) expands the new seed set
as a command would (:func:`graph.expansion.expand`), so the map is the one ``citegraph map`` makes
from the same seeds. What made it slow is reading: the same 120,000 citation rows and 5,000 paper
records, read and turned into objects again for every action, although an action changes a handful
of them. :class:`KeptReads` is the store seen through a memory of what the session's expansions
read: a record or a paper's citations are read once, and forgotten when the session writes them
again (the expansion writes through it), so every answer is the store's. Another process writing
the same store is noticed by :func:`graph.cache.store_fingerprint` before each action, and then
everything is read afresh.

The graph is then assembled from those reads in :func:`graph.citation_graph.build_graph`'s fixed
order, so the analysis sums in the same order and finds the same scores as after a rebuild.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from .model import CitationEdge, PaperRecord

_ABSENT = object()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (an action, an analysis), on again after.

    A session holds about a million objects (the kept reads, the graph, its analysis) and an action
    makes as many: the collector's full passes, each walking all of them, took 0.6-1.2 s of an
    action's 2-4 s of CPU. What an action throws away is freed by reference counting as before; the
    cycles it leaves (the previous graph) are collected once the collector is on again.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def freeze_long_lived() -> None:
    """Leave what is alive now (the modules, the first map, the store's kept reads) out of the
    collector's later passes (:func:`gc.freeze`): a server holds most of it until it stops. The first
    map's cycles stay in memory once it is replaced, a one-off cost of one map."""
    gc.collect()
    gc.freeze()


def _shallow_copy(record: PaperRecord) -> PaperRecord:
    """What ``dataclasses.replace(record)`` makes (the same field values, not copies of them), without
    calling ``__init__`` field by field: 5,000 records an action took 0.03 s that way."""
    copy = object.__new__(type(record))
    copy.__dict__.update(record.__dict__)
    return copy


class KeptReads:
    """``store`` with the reads an expansion repeats kept in memory between a session's actions.

    Papers, a paper's references (edges out), its citations (edges in) and its listed citations
    are kept per paper; writing a paper or an edge through this object forgets what it changed.
    Everything else (transactions, list states, aliases) goes to the store itself.
    """

    def __init__(self, store) -> None:
        self.store = store
        self.fingerprint: str | None = None  # the store's content when the kept reads were last known right
        self._papers: dict[str, Any] = {}
        self._edges: dict[tuple[str, bool], dict[str, list[CitationEdge]]] = {
            ("out", False): {}, ("in", False): {}, ("in", True): {}}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    @property
    def empty(self) -> bool:
        """Whether nothing is kept (no read yet, or all forgotten)."""
        return not self._papers and not any(self._edges.values())

    def forget(self) -> None:
        """Forget every kept read (the store changed behind the session's back)."""
        self._papers.clear()
        for kept in self._edges.values():
            kept.clear()

    def check(self, fingerprint: str | None) -> None:
        """Keep what was read only if the store still holds what it held when last checked."""
        if fingerprint is None or fingerprint != self.fingerprint:
            self.forget()
        self.fingerprint = fingerprint

    # -- reads -------------------------------------------------------------------------------
    def get_papers(self, paper_ids: Iterable[str]) -> dict[str, PaperRecord]:
        """As :meth:`graph.store.Store.get_papers`; each record a copy (callers fill in its links)."""
        ids = list(paper_ids)
        missing = [p for p in dict.fromkeys(ids) if p not in self._papers]
        if missing:
            got = self.store.get_papers(missing)
            for p in missing:
                self._papers[p] = got.get(p, _ABSENT)
        out = {}
        for p in ids:
            rec = self._papers[p]
            if rec is not _ABSENT:
                out[p] = _shallow_copy(rec)
        return out

    def edges_touching(self, paper_ids: Iterable[str], *, direction: str,
                       listed_only: bool = False) -> list[CitationEdge]:
        """As :meth:`graph.store.Store.edges_touching`, grouped by paper in the order given."""
        listed_only = listed_only and direction == "in"
        kept = self._edges[(direction, listed_only)]
        ids = list(dict.fromkeys(paper_ids))
        missing = [p for p in ids if p not in kept]
        if missing:
            for p in missing:
                kept[p] = []
            end = "citing" if direction == "out" else "cited"
            for e in self.store.edges_touching(missing, direction=direction, listed_only=listed_only):
                kept[getattr(e, end)].append(e)
        return [e for p in ids for e in kept[p]]

    # -- writes (each forgets what it changes) ----------------------------------------------------
    def put_papers(self, records: Iterable[PaperRecord]) -> None:
        records = list(records)
        try:
            self.store.put_papers(records)
        finally:
            for r in records:
                self._papers.pop(r.paper_id, None)

    def put_edges(self, edges: Iterable[CitationEdge], *, listed: bool = False) -> None:
        edges = list(edges)
        try:
            self.store.put_edges(edges, listed=listed)
        finally:
            for e in edges:
                self._edges[("out", False)].pop(e.citing, None)
                self._edges[("in", False)].pop(e.cited, None)
                self._edges[("in", True)].pop(e.cited, None)
