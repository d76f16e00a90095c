"""The pipeline's functions: seeds to an expanded map, its analysis, its files and its summary.

:class:`graph.session.Explorer` (which the CLI, the notebook and the server hold)
is built on them; they can also be used alone, with a store and a source opened
by the caller.

Example::

    with Store("s.sqlite") as store, S2Source() as source:
        run = build_map(["seeds/ai-chips-llm-deployment.md"], store=store, source=source)
    files = write_map(run, "output", "ai-chips")
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence


from .analysis.results import CitationPaths, MapAnalysis
from .errors import NothingUsableError
from .expansion import ExpansionOptions, ExpansionResult, expand
from .export import scores_table, write_map  # noqa: F401  (the export path, importable from here)
from .formats import EXPORT_FORMATS  # noqa: F401
from .outputs import default_name  # noqa: F401
from .seeds import Seed, SeedList, read_seeds
from .sources.base import PaperSource
from .store import Store
from .text import display_title, plural

if TYPE_CHECKING:
    from .analysis.similarity import SimilarityWeights


@dataclass
class MapRun:
    """Everything one ``citegraph map`` run produced."""

    seed_list: SeedList
    expansion: ExpansionResult
    skipped_exports: list[str] = field(default_factory=list)

    @property
    def graph(self):
        return self.expansion.graph

    @property
    def references(self) -> dict:
        """Every stored reference of the graph's papers, those outside the graph included."""
        return self.expansion.references


def build_map(inputs: Sequence[str], *, store: Store, source: PaperSource | None,
              options: ExpansionOptions | None = None, log: Callable[[str], None] = lambda m: None) -> MapRun:
    """Read seeds from files or identifiers, resolve and expand them.

    Raises :class:`NothingUsableError` when no seed resolves.
    """
    seed_list = read_seeds(inputs)
    report_seed_list(seed_list, log)
    return MapRun(seed_list, expand_seeds(seed_list.seeds, store=store, source=source, options=options, log=log))


SKIPPED_SHOWN = 10  # a prose-heavy file can skip hundreds of lines: the log names the first few


def first_skipped(lines: Sequence[str], indent: str = "") -> list[str]:
    """The first ``SKIPPED_SHOWN`` of ``lines`` (one per skipped seed line), then one line counting
    the rest (``--json`` lists them all).

    >>> first_skipped([f"skipped {i}" for i in range(12)])[-2:]
    ['skipped 9', '… and 2 more skipped lines; --json lists every one']
    """
    shown = list(lines[:SKIPPED_SHOWN])
    more = len(lines) - SKIPPED_SHOWN
    if more > 0:
        shown.append(f"{indent}… and {plural(more, 'more skipped line')}; --json lists every one")
    return shown


def report_seed_list(seed_list: SeedList, log: Callable[[str], None]) -> None:
    """Say what reading the seeds noted, and the lines it skipped (see :func:`first_skipped`)."""
    for note in seed_list.notes:
        log(note)
    for line in first_skipped([f"skipped {problem}" for problem in seed_list.problems]):
        log(line)


def expand_seeds(seeds: Sequence[Seed], *, store: Store, source: PaperSource | None,
                 options: ExpansionOptions | None = None, log: Callable[[str], None] = lambda m: None
                 ) -> ExpansionResult:
    """Resolve and expand seeds already read; raises :class:`NothingUsableError` when none resolves."""
    if not seeds:
        raise NothingUsableError("no usable seeds in the input; see the skipped lines above")
    result = expand(list(seeds), store, source, options, log=log)
    if source is not None:  # a prepared corpus puts its whole-corpus scores on the nodes
        source.annotate(result.graph)
    if not result.resolved:
        causes = {f["error"] for f in result.failures}
        if len(causes) == 1 and all(next(iter(causes)) in (r.reason or "") for r in result.unresolved):
            # one cause failed every lookup (an unreachable server): said once, not once per seed
            raise NothingUsableError(f"none of the {len(result.seeds)} seeds could be resolved: "
                                     f"{next(iter(causes))}")
        reasons = "; ".join(f"{r.seed.input}: {r.reason}" for r in result.unresolved[:5])
        raise NothingUsableError(f"none of the {len(result.seeds)} seeds could be resolved ({reasons})")
    return result


def find_paths(a: str, b: str, *, store: Store, source: PaperSource | None,
               options: ExpansionOptions | None = None, one_hop_longer: bool = False,
               log: Callable[[str], None] = lambda m: None) -> CitationPaths:
    """Citation paths between two papers given as IDs or titles.

    Both are resolved and expanded like seeds, then the paths run through every
    paper in the store; the papers on the paths that lack details get them in one
    batch request (unless offline). The answer's ``titles`` name every paper on it.
    """
    run = build_map([a, b], store=store, source=source, options=options, log=log)
    ids = [r.paper_id for r in run.expansion.seeds]
    if len(ids) != 2 or not all(ids):
        bad = "; ".join(f"{r.seed.input}: {r.reason}" for r in run.expansion.seeds if not r.paper_id)
        raise NothingUsableError(f"cannot resolve {bad or 'two distinct papers'}")
    g = store.citation_graph()
    g.add_nodes_from(ids)  # a paper with no stored citations is still a paper: "no path", not "unknown"
    from .analysis.paths import citation_paths

    res = citation_paths(g, ids[0], ids[1], one_hop_longer=one_hop_longer)
    on_paths = res.papers
    known = store.get_papers(on_paths)
    untitled = [p for p in on_paths if p not in known or not known[p].title]
    if untitled and source is not None and not (options and options.offline):
        batch = source.limits.batch_size
        for start in range(0, len(untitled), batch):
            got = source.fetch_papers(untitled[start:start + batch], with_references=False)
            store.put_papers(f.record for f in got if f is not None)
        known = store.get_papers(on_paths)
    return dataclasses.replace(res, titles={p: (known[p].title if p in known else None) for p in on_paths})


def analyse_map(run: MapRun, *, top: int = 100, method: str = "salton", resolution: float = 1.0,
                min_similarity: float = 0.2, weights: "SimilarityWeights | None" = None,
                on_stage: Callable[[str], None] | None = None) -> MapAnalysis:
    """Run :func:`graph.analysis.analyse` on a map's graph with its resolved seeds (``weights``: the
    similarity's, default :class:`~graph.analysis.similarity.SimilarityWeights`; ``on_stage``: told as
    each stage begins)."""
    # imported here: a command answered from the store needs neither scipy nor the analysis modules
    from .analysis.similarity import SimilarityWeights
    from .analysis.summary import analyse

    return analyse(run.graph, run.graph.graph["seeds"], top=top, method=method, resolution=resolution,
                   min_similarity=min_similarity, weights=weights or SimilarityWeights(), references=run.references,
                   on_stage=on_stage)


def bibtex_selection(analysis: MapAnalysis, *, cluster: int | None = None, top: int | None = None) -> list:
    """The map's papers for a BibTeX export: all, one cluster, or the ``top`` most related
    (seeds first)."""
    nodes = list(analysis.nodes)
    if cluster is not None:
        of = analysis.clusters.cluster_of(nodes)
        nodes = [n for n in nodes if of[n] == cluster]
        if not nodes:
            raise NothingUsableError(f"no cluster {cluster} in this map; `citegraph clusters` lists them")
    if top is not None:
        # the seeds, then the ``top`` most related of the others (the map's nodes come in that order)
        seeds = set(analysis.seeds)
        nodes = [n for n in nodes if n in seeds] + [n for n in nodes if n not in seeds][:top]
    return nodes


def grown_by(main: ExpansionResult, extra: ExpansionResult) -> ExpansionResult:
    """``main``'s graph grown by ``extra``'s papers and edges; ``main``'s seeds and node data win."""
    import networkx as nx

    g = nx.compose(extra.graph, main.graph)  # attributes of the second graph win
    for n in set(extra.graph) - set(main.graph):
        g.nodes[n].update(is_seed=False, seed_section=None, seed_input=None, seed_source=None,
                          seed_stars=None, must_read=False)
    g.graph.update(main.graph.graph)
    refs = {**extra.references, **main.references}
    return dataclasses.replace(
        main, graph=g, references=refs, requests=main.requests + extra.requests, retries=main.retries + extra.retries,
        request_floor=main.request_floor + extra.request_floor, cache_hits=main.cache_hits + extra.cache_hits,
        truncated=main.truncated + extra.truncated, failures=main.failures + extra.failures,
        missing=main.missing + extra.missing, plan=main.plan + extra.plan, seconds=main.seconds + extra.seconds)


_TOKEN = re.compile(r"[^\s,;()\[\]{}\"'“”]+")


def _titles_named(run: MapRun, texts: list[str]) -> dict[str, str]:
    """Titles of the graph's papers whose ids appear in ``texts`` (as words, whatever form the
    source's ids take), so a summary can name them."""
    g = run.graph
    words = {w for t in texts for m in _TOKEN.findall(t) for w in (m, m.rstrip(".:"))}
    return {p: display_title(g.nodes[p]["title"]) for p in sorted(words) if p in g and g.nodes[p].get("title")}


@dataclass
class SeedSummary:
    """How the seeds went: counts, the unresolved ones with why, the skipped lines, reading notes."""

    total: int
    resolved: int
    unresolved: list[dict]
    skipped_lines: list[dict]
    notes: list[str]


@dataclass
class RunSummary:
    """What one run produced and cost, typed; :meth:`to_dict` is ``citegraph map --json``'s object."""

    seeds: SeedSummary
    papers: int
    edges: int
    second_degree: dict
    merged_versions: int
    requests: int
    retries: int
    request_floor: int
    cache_hits: int
    truncated: list[dict]
    failures: list[dict]
    missing: list[str]
    titles: dict[str, str]
    seconds: float
    files: dict[str, str]
    skipped_exports: list[str]

    def retries_note(self) -> str:
        """How many requests repeated a failed one, as the request summary says it."""
        return f"{self.retries} {'retry' if self.retries == 1 else 'retries'} after 429, 5xx or a failed answer"

    def to_dict(self) -> dict:
        """The summary as JSON-able data (the keys of ``citegraph map --json``)."""
        from dataclasses import asdict

        return asdict(self)


def run_summary(run: MapRun, files: dict[str, Path]) -> RunSummary:
    """The typed summary of a run and the files it wrote."""
    r = run.expansion
    return RunSummary(
        seeds=SeedSummary(
            total=len(r.seeds),
            resolved=len(r.resolved),
            unresolved=[{"input": s.seed.input, "source": f"{s.seed.source}:{s.seed.line}",
                         "title": s.seed.title, "reason": s.reason} for s in r.unresolved],
            skipped_lines=[{"source": f"{p.source}:{p.line}", "input": p.input, "reason": p.reason}
                           for p in run.seed_list.problems],
            notes=list(run.seed_list.notes),
        ),
        papers=run.graph.number_of_nodes(),
        edges=run.graph.number_of_edges(),
        second_degree=r.second_degree,
        merged_versions=sum(len(m) - 1 for _, m in run.graph.nodes(data="merged_ids") if m),
        requests=r.requests,
        retries=r.retries,
        request_floor=r.request_floor,
        cache_hits=r.cache_hits,
        # people read titles, not 40-character hashes
        truncated=[{**t, "title": display_title(run.graph.nodes[t["paper_id"]].get("title"))
                    if t["paper_id"] in run.graph else None} for t in r.truncated],
        failures=r.failures,
        missing=r.missing,
        titles=_titles_named(run, [str(f["item"]) for f in r.failures] + list(r.missing)),
        seconds=round(r.seconds, 3),
        files={k: str(v) for k, v in files.items()},
        skipped_exports=run.skipped_exports,
    )
