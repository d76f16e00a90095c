"""citegraph: citation knowledge-graph explorer.

The library API, stage by stage::

    seeds      read_seeds(...)                 -> SeedList
    sources    S2Source(S2Config(...))         (HTTP only)
    store      Store(path)
    expansion  expand(seeds, store, source)    -> ExpansionResult (.graph: networkx.DiGraph)
    pipeline   build_map(...), write_map(...)
"""

from .errors import CitegraphError
from .expansion import ExpansionOptions, ExpansionResult, expand
from .pipeline import MapRun, build_map, write_map
from .seeds import Seed, SeedList, read_seeds
from .sources.s2 import S2Config, S2Source
from .store import Store, default_store_path

__all__ = [
    "CitegraphError", "ExpansionOptions", "ExpansionResult", "MapRun", "S2Config", "S2Source", "Seed",
    "SeedList", "Store", "build_map", "default_store_path", "expand", "read_seeds", "write_map",
]
