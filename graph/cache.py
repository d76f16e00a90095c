"""Results kept in the store, so a second question about the same seeds is answered at once.

Two kinds of entry live in the store's own table ``results_cache`` (created here, IF NOT
EXISTS; the store's schema version is not touched):

- ``graph``: the expanded graph of some seeds, keyed by the seeds, the expansion options,
  the source and a fingerprint of the store's content. The same store and seeds give the
  same graph, so while the store is unchanged a command reads the graph back instead of
  rebuilding it from tens of thousands of rows (5 s on the reading list).
- ``analysis`` and the like: analysis results keyed by the graph's content (a digest of its
  papers, their fields and its citations) and the parameters, so any command asking the
  same question of the same graph reads the answer back.

Every key also holds a digest of citegraph's own code, so results of another version are
never read. Entries are pickles, and unpickling runs code: each entry is signed with a
key kept in the user's cache directory (HMAC-SHA256), and an entry whose signature does not
match (a store handed over by someone else, a damaged row) is ignored and computed again.
Nothing here ever fails a command: a cache that cannot be read or written is skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import secrets
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Sequence

from .errors import StoreError

_TABLE = """
CREATE TABLE IF NOT EXISTS results_cache (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, created REAL NOT NULL, mac TEXT NOT NULL, data BLOB NOT NULL
)"""
# entries kept per kind, the newest: the reading list's graph takes 6.4 MB, its analysis 3.8 MB
KEEP = {"graph": 4, "analysis": 8}
KEEP_DEFAULT = 16
_PACKAGE = Path(__file__).resolve().parent
_code: str | None = None
_digests: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()


def code_digest() -> str:
    """A digest of citegraph's own source files: results made by other code are never read back."""
    global _code
    if _code is None:
        h = hashlib.sha256()
        for path in sorted(_PACKAGE.rglob("*.py")):
            h.update(str(path.relative_to(_PACKAGE)).encode())
            h.update(path.read_bytes())
        _code = h.hexdigest()[:16]
    return _code


def digest(*parts: Any) -> str:
    """A stable digest of JSON-able ``parts`` (anything else by its ``repr``)."""
    text = json.dumps(parts, sort_keys=True, default=repr, ensure_ascii=False)
    # surrogatepass: a path of bytes that are not UTF-8 (kept by Python as lone surrogates) digests too
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def graph_digest(G, references: dict | None = None) -> str:
    """A digest of a graph's content: its papers with every field, its citations, its graph-level
    data (the seeds) and the ``references`` lists the analysis reads beside it. Computed once per
    graph object (a graph comes with one reference list: the run's)."""
    known = _digests.get(G)
    if known is not None:
        return known
    h = hashlib.sha256()
    h.update(repr(sorted((str(k), repr(v)) for k, v in G.graph.items())).encode())
    for n in sorted(G, key=str):
        h.update(repr((n, sorted(G.nodes[n].items()))).encode())
    h.update(repr(sorted(G.edges())).encode())
    for p in sorted(references or {}, key=str):
        h.update(repr((p, references[p])).encode())
    value = h.hexdigest()
    _digests[G] = value
    return value


def remember_digest(G, value: str) -> None:
    """Record a graph's digest known from elsewhere (a graph read back with it)."""
    _digests[G] = value


def store_fingerprint(store) -> str | None:
    """What the store holds, in a few numbers: rows and latest fetch time of each table.

    Every write of the store adds rows or sets a fetch time (a paper, a citation list, an
    alias), so an unchanged fingerprint means the same content; ``None`` if it cannot be read."""
    try:
        row = store.query(
            "SELECT (SELECT count(*) FROM papers), (SELECT max(fetched_at) FROM papers), "
            "(SELECT count(*) FROM edges), (SELECT count(*) FROM edges WHERE listed = 1), "
            "(SELECT count(*) FROM lists), (SELECT max(fetched_at) FROM lists), "
            "(SELECT count(*) FROM aliases), (SELECT max(fetched_at) FROM aliases)")[0]
    except (StoreError, AttributeError):
        return None
    return digest(store.path, list(row))


def _key_file() -> Path:
    env = os.environ.get("CITEGRAPH_CACHE_KEY")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("citegraph")) / "results-cache.key"


_secret: bytes | None = None


def _signing_key() -> bytes | None:
    """This user's key for signing entries, made on first use (0600); ``None`` if it cannot be."""
    global _secret
    if _secret is not None:
        return _secret
    path = _key_file()
    try:
        data = path.read_bytes()
        if len(data) < 32:
            raise FileNotFoundError
    except FileNotFoundError:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
            os.replace(tmp, path)  # two processes racing both end with one key, whole
            data = path.read_bytes()
        except OSError:
            return None
    except OSError:
        return None
    _secret = data
    return data


class ResultsCache:
    """Entries of the store's ``results_cache`` table, read and written on the store's thread."""

    def __init__(self, store) -> None:
        self.store = store
        self.enabled = False
        self.key = _signing_key()
        if self.key is None:
            return
        try:
            store.add_table(_TABLE)
            self.enabled = True
        except (StoreError, AttributeError):  # read-only or damaged: work without it
            pass

    def _mac(self, key: str, data: bytes) -> str:
        return hmac.new(self.key, key.encode() + b"\0" + data, hashlib.sha256).hexdigest()

    def get(self, kind: str, key: str) -> Any | None:
        """The entry ``key`` of ``kind``, or ``None`` (absent, unsigned by this user, unreadable)."""
        if not self.enabled:
            return None
        full = f"{kind}:{key}"
        try:
            rows = self.store.query("SELECT mac, data FROM results_cache WHERE key = ?", (full,))
        except StoreError:
            return None
        row = rows[0] if rows else None
        if row is None or not hmac.compare_digest(row[0], self._mac(full, row[1])):
            return None
        try:
            return pickle.loads(row[1])
        except Exception:  # noqa: BLE001 - an entry of classes since changed: compute it again
            return None

    def put(self, kind: str, key: str, value: Any) -> None:
        """Keep ``value``; the oldest entries of its kind beyond :data:`KEEP` go."""
        if not self.enabled:
            return
        full = f"{kind}:{key}"
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - something unpicklable (a callback): not worth failing for
            return
        try:
            with self.store.transaction():
                self.store.execute_many("INSERT OR REPLACE INTO results_cache VALUES (?, ?, ?, ?, ?)",
                                        [(full, kind, time.time(), self._mac(full, data), data)])
                self.store.execute_many(
                    "DELETE FROM results_cache WHERE kind = ? AND key NOT IN (SELECT key FROM results_cache "
                    "WHERE kind = ? ORDER BY created DESC LIMIT ?)", [(kind, kind, KEEP.get(kind, KEEP_DEFAULT))])
        except StoreError:  # a full disk or a locked store: the answer stands, only not kept
            pass

    def memo(self, kind: str, key: str, compute: Callable[[], Any]) -> Any:
        """The entry if kept, else ``compute()`` kept and returned."""
        found = self.get(kind, key)
        if found is not None:
            return found
        value = compute()
        self.put(kind, key, value)
        return value


def graph_key(seeds: Sequence, options, source, fingerprint: str) -> str:
    """The key of the graph expanded from ``seeds`` with ``options`` from ``source`` over a store
    whose content is ``fingerprint``."""
    opts = {k: getattr(options, k, None) for k in ("depth", "max_citations", "max_papers", "offline",
                                                   "co_cited", "coupled", "min_evidence")}
    # which source, in the protocol's own terms: its kind, how it is named, where it keeps its papers
    # (one store per API host for Semantic Scholar)
    where = None if source is None else (source.name, source.label, str(source.default_store()))
    return digest(code_digest(), [repr(s) for s in seeds], opts, where, fingerprint)


def analysis_key(G, references: dict | None, *parts: Any) -> str:
    """The key of an analysis of graph ``G`` (with its run's ``references``) with parameters ``parts``."""
    return digest(code_digest(), graph_digest(G, references), parts)


_caches: "weakref.WeakKeyDictionary[Any, ResultsCache]" = weakref.WeakKeyDictionary()


def results_cache(store) -> ResultsCache:
    """The cache kept in ``store`` (one object per store)."""
    cache = _caches.get(store)
    if cache is None:
        cache = _caches[store] = ResultsCache(store)
    return cache


def cached_expansion(seeds: Sequence, *, store, source, options, expand: Callable[[], Any],
                     log: Callable[[str], None] = lambda m: None):
    """``expand()``'s :class:`~graph.expansion.ExpansionResult`, read back when the store is unchanged
    since the same seeds were expanded with the same options.

    A graph read back made no request: its ``requests`` is 0 and every lookup the run that built
    it made (answered by a request or by the store) counts as served from the store.
    ``--refresh`` always expands anew."""
    import dataclasses
    import time as clock

    if options is not None and getattr(options, "refresh", False):
        return expand()
    t0 = clock.perf_counter()
    cache = results_cache(store)
    before = store_fingerprint(store) if cache.enabled else None
    if before is not None:
        hit = cache.get("graph", graph_key(seeds, options, source, before))
        if hit is not None:
            result, value = hit
            remember_digest(result.graph, value)
            log(f"the graph of these seeds, as built before from this store ({result.graph.number_of_nodes():,} "
                "papers): no request needed")
            return dataclasses.replace(result, requests=0, retries=0, cache_hits=result.cache_hits + result.requests,
                                       seconds=clock.perf_counter() - t0,
                                       plan=["read back the graph built before from this store: 0 requests"])
    result = expand()
    after = store_fingerprint(store) if cache.enabled else None
    if after is not None:
        cache.put("graph", graph_key(seeds, options, source, after), (result, graph_digest(result.graph, result.references)))
    return result


def cached_analysis(store, run, parameters: tuple, compute: Callable[[], Any]):
    """The analysis of ``run``'s graph with ``parameters`` (top, method, resolution): kept in
    ``store``, computed by ``compute()`` only when absent."""
    return results_cache(store).memo("analysis", analysis_key(run.graph, run.references, *parameters), compute)


def cached_influence(store, run, by: str, parameters: tuple, compute: Callable[[], Any]):
    """The influence table of ``run``'s graph ranked ``by`` ``"topic"`` or ``"global"``: the kept
    analysis's (with ``parameters``) when there is one (it ranks by the same walk from the
    seeds), else kept on its own."""
    cache = results_cache(store)
    if by == "topic":
        kept = cache.get("analysis", analysis_key(run.graph, run.references, *parameters))
        if kept is not None:
            return kept.influence
    return cache.memo("rank", analysis_key(run.graph, run.references, by), compute)


def cached(store, run, kind: str, parameters: tuple, compute: Callable[[], Any]):
    """Any result ``kind`` of ``run``'s graph with ``parameters``: kept in ``store``, computed by
    ``compute()`` only when absent."""
    return results_cache(store).memo(kind, analysis_key(run.graph, run.references, *parameters), compute)
