"""The library entry points that the CLI and the notebook share.

>>> run = build_map(["seeds/ai-chips-llm-deployment.md"], store=Store("s.sqlite"),
...                 source=S2Source())                       # doctest: +SKIP
>>> files = write_map(run, "output", "ai-chips")              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .errors import NothingUsableError
from .expansion import ExpansionOptions, ExpansionResult, expand
from .export import papers_table, write_graphml
from .render import render_basic_map
from .seeds import SeedList, read_seeds
from .sources.base import PaperSource
from .store import Store


@dataclass
class MapRun:
    """Everything one ``citegraph map`` run produced."""

    seed_list: SeedList
    expansion: ExpansionResult

    @property
    def graph(self):
        return self.expansion.graph


def build_map(inputs: Sequence[str], *, store: Store, source: PaperSource | None,
              options: ExpansionOptions | None = None, log: Callable[[str], None] = lambda m: None) -> MapRun:
    """Read seeds from files or identifiers, resolve and expand them.

    Raises :class:`NothingUsableError` when no seed resolves.
    """
    seed_list = read_seeds(inputs)
    for problem in seed_list.problems:
        log(f"skipped {problem}")
    if not seed_list.seeds:
        raise NothingUsableError("no usable seeds in the input; see the skipped lines above")
    result = expand(seed_list.seeds, store, source, options, log=log)
    if not result.resolved:
        reasons = "; ".join(f"{r.seed.input}: {r.reason}" for r in result.unresolved[:5])
        raise NothingUsableError(f"none of the {len(result.seeds)} seeds could be resolved ({reasons})")
    return MapRun(seed_list, result)


def default_name(inputs: Sequence[str]) -> str:
    for item in inputs:
        p = Path(item)
        if p.is_file():
            return p.stem
    return "map"


def write_map(run: MapRun, out_dir: str | Path, name: str) -> dict[str, Path]:
    """Write ``NAME.html``, ``NAME.papers.csv`` and ``NAME.graphml`` under ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    g = run.graph
    files = {
        "html": render_basic_map(g, out / f"{name}.html", title=f"citegraph: {name}"),
        "papers_csv": out / f"{name}.papers.csv",
        "graphml": write_graphml(g, out / f"{name}.graphml"),
    }
    papers_table(g).to_csv(files["papers_csv"], index=False)
    return files


def summary(run: MapRun, files: dict[str, Path]) -> dict:
    """The machine-readable summary printed by ``citegraph map --json``."""
    r = run.expansion
    return {
        "seeds": {
            "total": len(r.seeds),
            "resolved": len(r.resolved),
            "unresolved": [{"input": s.seed.input, "source": f"{s.seed.source}:{s.seed.line}",
                            "title": s.seed.title, "reason": s.reason} for s in r.unresolved],
            "skipped_lines": [{"source": f"{p.source}:{p.line}", "input": p.input, "reason": p.reason}
                              for p in run.seed_list.problems],
        },
        "papers": run.graph.number_of_nodes(),
        "edges": run.graph.number_of_edges(),
        "requests": r.requests,
        "request_floor": r.request_floor,
        "cache_hits": r.cache_hits,
        "truncated": r.truncated,
        "failures": r.failures,
        "missing": r.missing,
        "seconds": round(r.seconds, 3),
        "files": {k: str(v) for k, v in files.items()},
    }
