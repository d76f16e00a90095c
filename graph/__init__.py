"""citegraph: citation knowledge-graph explorer.

The library API, stage by stage::

    seeds      read_seeds(...)                 -> SeedList
    sources    S2Source(S2Config(...))         (HTTP only)
    store      Store(path)
    expansion  expand(seeds, store, source)    -> ExpansionResult (.graph: networkx.DiGraph)
    pipeline   build_map(...), write_map(...)

The names are loaded on first use, so that ``import graph.cli`` (and ``citegraph --help``)
does not pay for pandas, scikit-learn and scipy.
"""

from importlib import import_module
from typing import Any

from .errors import CitegraphError

_LAZY = {
    "ExpansionOptions": "expansion", "ExpansionResult": "expansion", "expand": "expansion",
    "MapRun": "pipeline", "build_map": "pipeline", "write_map": "pipeline",
    "Seed": "seeds", "SeedList": "seeds", "read_seeds": "seeds",
    "S2Config": "sources.s2", "S2Source": "sources.s2",
    "Store": "store", "default_store_path": "sources.s2",
}

__all__ = ["CitegraphError", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` when it is first asked for (PEP 562)."""
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
