"""The maps ``citegraph news`` keeps: a snapshot per run in the store's ``news_snapshots`` table.

The table is news's alone, created when the first snapshot is saved (reading creates nothing), so
the store's own tables and schema version stay as they are. Per seed set it keeps the newest
snapshot and the last one of each earlier month for :data:`MONTHS_KEPT` months: what ``--since``
can ask for, and no more.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Sequence

from .errors import StoreError
from .store import Store

SNAPSHOT_TABLE = """
CREATE TABLE IF NOT EXISTS news_snapshots (
    seed_key TEXT NOT NULL,
    taken_at REAL NOT NULL,
    seeds TEXT NOT NULL,
    papers TEXT NOT NULL,
    PRIMARY KEY (seed_key, taken_at)
)
"""
MONTHS_KEPT = 12


def day(t: float | None) -> str:
    """A time stamp as its UTC day, ``2026-01-31``."""
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d") if t else "?"


def seed_key(seed_ids: Sequence[str]) -> str:
    """The name of a seed set in the snapshots: its paper ids, whatever their order.

    >>> seed_key(["b", "a"]) == seed_key(["a", "b"])
    True
    """
    return hashlib.sha1("\n".join(sorted(set(seed_ids))).encode()).hexdigest()[:16]


def _table(store: Store) -> None:
    # the store's own tables and schema version stay as they are: this table is news's alone
    try:
        store.add_table(SNAPSHOT_TABLE)
    except StoreError as exc:  # read-only, full, damaged
        raise StoreError(f"cannot keep news snapshots in {store.path} ({exc}); pass --store with a writable "
                         "store") from None


def _have_table(store: Store) -> bool:
    # reading creates nothing: a run that fails (no network) leaves the store as it was
    return store.has_table("news_snapshots")


def load_snapshot(store: Store, key: str, before: float | None = None) -> tuple[float, dict] | None:
    """``(taken_at, {paper id: {"relatedness", "citations", "title"}})`` of the newest snapshot of ``key``
    (taken at or before ``before`` when given), or None."""
    if not _have_table(store):
        return None
    sql = "SELECT taken_at, papers FROM news_snapshots WHERE seed_key = ?"
    params: list = [key]
    if before is not None:
        sql += " AND taken_at <= ?"
        params.append(before)
    rows = store.query(sql + " ORDER BY taken_at DESC LIMIT 1", params)
    if not rows:
        return None
    try:
        papers = json.loads(rows[0][1])
    except ValueError:
        return None
    return (rows[0][0], papers) if isinstance(papers, dict) else None


def new_on_map(store: Store, seed_ids: Sequence[str]) -> dict[str, str]:
    """The papers the latest ``news`` run of these seeds that found any brought to the map, each with
    that run's day (``citegraph serve`` marks them); a later run that found nothing keeps them marked."""
    snap = load_snapshot(store, seed_key(seed_ids))
    if snap is None:
        return {}
    came = {p: v["new_on"] for p, v in snap[1].items() if isinstance(v, dict) and isinstance(v.get("new_on"), str)}
    latest = max(came.values(), default=None)
    return {p: day for p, day in came.items() if day == latest}


def oldest_snapshot(store: Store, key: str) -> float | None:
    """When the oldest snapshot of ``key`` was taken."""
    if not _have_table(store):
        return None
    rows = store.query("SELECT MIN(taken_at) FROM news_snapshots WHERE seed_key = ?", [key])
    return rows[0][0] if rows else None


def save_snapshot(store: Store, key: str, seeds: Sequence[str], papers: dict, taken_at: float) -> None:
    """Keep this map of ``key`` and drop the snapshots no ``--since`` needs: of the months before the newest
    snapshot's, the last snapshot of each for :data:`MONTHS_KEPT` months is kept."""
    _table(store)
    store.execute_many("INSERT OR REPLACE INTO news_snapshots VALUES (?, ?, ?, ?)",
                       [(key, taken_at, json.dumps(sorted(seeds)), json.dumps(papers, ensure_ascii=False))])
    times = [r[0] for r in store.query("SELECT taken_at FROM news_snapshots WHERE seed_key = ? ORDER BY taken_at",
                                       [key])]
    keep = {times[-1]}
    last_of_month: dict[str, float] = {}
    for t in times:
        last_of_month[_month(t)] = t  # sorted: the last one wins
    for month in sorted(last_of_month, reverse=True)[:MONTHS_KEPT + 1]:
        keep.add(last_of_month[month])
    drop = [(key, t) for t in times if t not in keep]
    if drop:
        store.execute_many("DELETE FROM news_snapshots WHERE seed_key = ? AND taken_at = ?", drop)


def _month(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m")


def snapshot_of(graph, analysis) -> dict:
    """What a snapshot keeps of a map: each map paper's relatedness, citation count and title."""
    rel = analysis.related["relatedness"]
    return {str(p): {"relatedness": round(float(rel.get(p, 0.0)), 6),
                     "citations": graph.nodes[p].get("citation_count"), "title": graph.nodes[p].get("title")}
            for p in analysis.nodes}
