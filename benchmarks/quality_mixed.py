"""Mixed reading lists and leave-one-seed-out (issue 15), run by ``benchmarks/quality.py --mixed`` / ``--loo``.

Mixed reading lists: reviews whose reference lists barely overlap (at most a fifth of the smaller list
shared) are grouped two or three to a list, each giving k = 5 seeds (its most-cited arXiv reference and 4
drawn with a fixed seed); all the list's reviews are removed from the corpus, and each review's other
references are scored within the list's top (reviews x N), N = 20 and 50: the mean over the list's reviews
and the worst-served review, and how much of each review's references the expanded graph holds at all
("in graph"). Each list is expanded twice, as a plain identifier list and with one section per review,
since the expansion shares its room by the seeds' topics and these differ. Leave one seed out: for each arXiv seed of the shipped reading list that the
corpus holds, the list without it is run over the whole corpus and the left-out paper is looked for.

Expanding a list's graph is most of a run's time: with ``--cache DIR`` each expanded graph is pickled
there (keyed by the list's seeds, the removed reviews and ``--max-papers``) and read back on the next run,
so design experiments rerun the analysis only. The cache lives outside the repository (e.g. /tmp).
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from quality import (BASELINES, FIT_SAMPLES, MIN_ARXIV_REFS, MIN_REFS, ROOT, _alias, baseline_rankings,
                     expand_seeds_over, reviews)

# -- mixed reading lists (issue 15) ----------------------------------------------------------------
MIXED_K = 5
MIXED_NS = (20, 50)
MIXED_LIST_SIZE = 10  # lists per sample
MIXED_SAMPLES = (0, 1)
MIXED_TUNE_SAMPLES = (2, 3)
MIXED_PERMUTATION_SEED = 15
MAX_SHARED = 0.2  # at most a fifth of the smaller reference list shared by two reviews of one list
SHIPPED_LIST = ROOT / "seeds" / "ai-chips-llm-deployment.md"


def _eligible_reviews(G) -> list[str]:
    return sorted((n for n in G if G.out_degree(n) >= MIN_REFS
                   and sum(1 for r in G.successors(n) if G.nodes[r]["arxiv_id"]) >= MIN_ARXIV_REFS),
                  key=lambda n: int(n.split(":")[1]))


def mixed_lists(G, n_lists: int) -> list[list[str]]:
    """``n_lists`` lists of 2 or 3 reviews (alternately) whose references pairwise overlap by at
    most :data:`MAX_SHARED` of the smaller list; no review is in two lists, none is a single-topic
    fit review, no review of a list cites another of it."""
    fit = {r for s in FIT_SAMPLES for r in reviews(G, s)}
    pool = [r for r in _eligible_reviews(G) if r not in fit]
    order = [pool[i] for i in np.random.default_rng(MIXED_PERMUTATION_SEED).permutation(len(pool))]
    refs = {r: set(G.successors(r)) for r in order}
    used: set[str] = set()
    lists: list[list[str]] = []
    for i in range(n_lists):
        size = 2 + i % 2
        chosen: list[str] = []
        for r in order:
            if r in used or any(r in refs[c] or c in refs[r] for c in chosen):
                continue
            if all(len(refs[r] & refs[c]) <= MAX_SHARED * min(len(refs[r]), len(refs[c])) for c in chosen):
                chosen.append(r)
                if len(chosen) == size:
                    break
        if len(chosen) < size:
            break
        used.update(chosen)
        lists.append(chosen)
    return lists


def mixed_seeds(G, review: str, rng) -> list[str]:
    """k = 5 arXiv seeds of ``review``: its most-cited arXiv reference and 4 drawn by ``rng``."""
    arxiv_refs = sorted((r for r in G.successors(review) if G.nodes[r]["arxiv_id"]),
                        key=lambda r: int(r.split(":")[1]))
    top = max(arxiv_refs, key=lambda r: (G.in_degree(r), -int(r.split(":")[1])))
    rest = [r for r in arxiv_refs if r != top]
    picked = [top, *rng.choice(rest, size=MIXED_K - 1, replace=False).tolist()]
    return [G.nodes[r]["arxiv_id"] for r in picked]


def citegraph_rankings(g, seed_ids, refs) -> dict[str, list]:
    """``related`` and ``rank`` as the CLI computes them on this graph (non-seeds only)."""
    from graph.analysis import influence_table, relatedness

    related = relatedness(g, seed_ids, references=refs)
    rank = influence_table(g, seeds=seed_ids)
    seeds = set(seed_ids)
    return {"citegraph related": related.index.tolist(),
            "citegraph rank": [p for p in rank.index if p not in seeds]}


def expand_cached(G, seeds, removed: set, max_papers: int, cache: Path | None = None,
                  topic_shares: bool = True, citation_topics: bool = False) -> tuple:
    """:func:`quality.expand_seeds_over`, as ``(graph, references, {paper id: its seed's section})``; with
    ``cache`` (a folder) the result is read from there when a run expanded the same seeds (with their
    sections), removed papers, ``max_papers`` and ``topic_shares`` before, else written there (atomically)
    for the next run."""
    path = None
    if cache is not None:
        key = repr(([(s.pid.kind, s.pid.value, s.section) for s in seeds], sorted(removed), max_papers)
                   + (() if topic_shares else ("no topic shares",))
                   + (("citation topics",) if citation_topics and topic_shares else ()))
        path = Path(cache) / f"expanded-{hashlib.sha256(key.encode()).hexdigest()[:24]}.pkl"
        if path.exists():
            with open(path, "rb") as f:
                return pickle.load(f)
    res = expand_seeds_over(G, seeds, removed, max_papers, topic_shares, citation_topics)
    out = (res.graph, res.references, {x.paper_id: x.seed.section for x in res.seeds if x.paper_id})
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(out, f)
        tmp.replace(path)
    return out


VARIANTS = ("plain ids", "sections")


def prepare_mixed(G, samples, max_papers: int, cache: Path | None = None, topic_shares: bool = True,
                  citation_topics: bool = False) -> list[dict]:
    """Expand each mixed list of ``samples`` as plain ids and with a section per review (once when
    ``topic_shares`` is off: the sections do not change that expansion): ``{sample, reviews,
    variants: {variant: {graph, refs, seeds, sections, truths}}}`` (``sections``: seed -> its
    review's name, None for plain ids; ``truths``: review -> set)."""
    from dataclasses import replace

    from graph.seeds import read_seeds

    lists = mixed_lists(G, MIXED_LIST_SIZE * (max(samples) + 1))
    out = []
    for sample in samples:
        for j, revs in enumerate(lists[sample * MIXED_LIST_SIZE:(sample + 1) * MIXED_LIST_SIZE]):
            rng = np.random.default_rng(1000 * sample + j)
            per_review = {r: mixed_seeds(G, r, rng) for r in revs}
            seed_nodes = {G.nodes[n]["arxiv_id"]: n for r in revs for n in G.successors(r)}
            variants: dict = {}
            for variant in VARIANTS:
                seeds = []
                for i, r in enumerate(revs):
                    section = f"review {i + 1}" if variant == "sections" or not topic_shares else ""
                    seeds += [replace(s, section=section) for s in read_seeds(per_review[r]).seeds]
                if variant == "sections" and not topic_shares:
                    variants[variant] = {**variants["plain ids"], "sections": variants["plain ids"]["all_sections"]}
                    continue
                g, refs, sections = expand_cached(G, seeds, set(revs), max_papers, cache, topic_shares,
                                                  citation_topics)
                alias = _alias(g)
                all_seed = {alias.get(seed_nodes[a], seed_nodes[a]) for r in revs for a in per_review[r]}
                truths = {r: {alias.get(x, x) for x in G.successors(r)} - all_seed for r in revs}
                variants[variant] = {"graph": g, "refs": refs, "seeds": list(g.graph["seeds"]), "truths": truths,
                                     "sections": sections if variant == "sections" else None,
                                     "all_sections": sections}
            out.append({"sample": sample, "reviews": revs, "variants": variants})
            print(f"  mixed sample {sample}: list {j} ({len(revs)} reviews, "
                  + " / ".join(f"{v['graph'].number_of_nodes()}" for v in variants.values()) + " papers)",
                  file=sys.stderr, flush=True)
    return out


def _set_sections(g, sections: dict | None) -> None:
    for n in g.graph["seeds"]:
        g.nodes[n]["seed_section"] = sections.get(n) if sections else None


def score_mixed(runs: list[dict], rankers: dict | None = None) -> pd.DataFrame:
    """One row per list, variant (plain ids / sectioned) and method: mean and worst recall of the
    reviews at reviews x N, and the share of each review's references in the variant's graph (mean
    and worst). The baselines rank each variant's graph, over every seed, without sections."""
    rows = []
    base_of: dict = {}
    for run in runs:
        for variant, v in run["variants"].items():
            g, refs, seed_ids, truths, sections = v["graph"], v["refs"], v["seeds"], v["truths"], v["sections"]
            m = len(truths)
            if id(g) not in base_of:  # one graph for both variants when the room is not shared by topics
                _set_sections(g, None)
                base_of = {id(g): baseline_rankings(g, seed_ids, refs)}
            base = base_of[id(g)]
            in_graph = [len(t & set(g)) / len(t) for t in truths.values() if t]
            _set_sections(g, sections)
            rankings = dict(citegraph_rankings(g, seed_ids, refs)) if rankers is None else \
                {name: f(g, seed_ids, refs) for name, f in rankers.items()}
            rankings.update(base)
            for name, order in rankings.items():
                row = {"sample": run["sample"], "list": "+".join(run["reviews"]), "reviews": m,
                       "variant": variant, "method": name, "in graph mean": float(np.mean(in_graph)),
                       "in graph worst": float(np.min(in_graph)), "papers": g.number_of_nodes()}
                for n_ in MIXED_NS:
                    top = set(order[:m * n_])
                    rec = [len(top & t) / len(t) for t in truths.values() if t]
                    row[f"mean@{n_}"] = float(np.mean(rec))
                    row[f"worst@{n_}"] = float(np.min(rec))
                rows.append(row)
            _set_sections(g, None)
    return pd.DataFrame(rows)


def ratio_interval(d: pd.DataFrame, ours: str, baseline: str, column: str, draws: int = 10_000,
                   seed: int = 0) -> tuple[float, float]:
    """The 5th and 95th percentiles of ``mean(ours) / mean(baseline)`` of ``column`` over lists drawn with
    replacement (the same lists for both: the methods ran on the same graphs)."""
    a = d[d["method"] == ours].set_index("list")[column]
    b = d[d["method"] == baseline].set_index("list")[column].reindex(a.index)
    idx = np.random.default_rng(seed).integers(0, len(a), size=(draws, len(a)))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = a.to_numpy()[idx].mean(axis=1) / b.to_numpy()[idx].mean(axis=1)
    lo, hi = np.nanpercentile(r, [5, 95])
    return float(lo), float(hi)


def report_mixed(df: pd.DataFrame) -> str:
    """Markdown: mean and worst-topic recall per method (per sample in brackets) and the targets."""
    names = {"citegraph related": "`related`", "citegraph rank": "`rank`"}
    cols = [f"{kind}@{n_}" for n_ in MIXED_NS for kind in ("mean", "worst")]
    out = []
    methods = [m for m in df["method"].unique()]
    baselines = [m for m in methods if m in BASELINES]
    for variant in df["variant"].unique():
        d = df[df["variant"] == variant]
        out += [f"**{variant}** ({d['list'].nunique()} lists)", "",
                "| method | " + " | ".join(c.replace("@", " R@") for c in cols) + " |",
                "|---" * (len(cols) + 1) + "|"]
        for m in methods:
            sub = d[d["method"] == m]
            per = sub.groupby("sample")[cols].mean()
            cells = [f"{sub[c].mean():.3f} ({' / '.join(f'{v:.2f}' for v in per[c])})" for c in cols]
            out.append(f"| {names.get(m, m)} | " + " | ".join(cells) + " |")
        cover = d[d["method"] == "citegraph related"].groupby("sample")[["in graph mean", "in graph worst"]]
        per_cover = cover.mean()
        out.append(f"| in the graph (any ranking's ceiling) | | | "
                   f"{per_cover['in graph mean'].mean():.3f} ({' / '.join(f'{v:.2f}' for v in per_cover['in graph mean'])}) | "
                   f"{per_cover['in graph worst'].mean():.3f} ({' / '.join(f'{v:.2f}' for v in per_cover['in graph worst'])}) |")
        means = d.groupby("method")[cols].mean()
        best = means.loc[baselines].max()
        out.append("| `related` / best baseline | " + " | ".join(
            f"{means.loc['citegraph related', c] / best[c]:.3f}x" for c in cols) + " |")
        best_method = {c: means.loc[baselines, c].idxmax() for c in cols}
        for c in ("mean@50", "worst@50"):
            lo, hi = ratio_interval(d, "citegraph related", best_method[c], c)
            out.append(f"`related` / {best_method[c]}, {c.replace('@', ' R@')}: 90% interval over the lists "
                       f"{lo:.3f}x-{hi:.3f}x (paired bootstrap, 10,000 draws, seed 0)")
        out.append("")
        for sample in sorted(d["sample"].unique()):
            ms = d[d["sample"] == sample].groupby("method")[cols].mean()
            b = ms.loc[baselines].max()
            w = ms.loc["citegraph related", "worst@50"] / b["worst@50"]
            mn = ms.loc["citegraph related", "mean@50"] / b["mean@50"]
            out.append(f"{variant}, sample {sample}: worst-topic R@50 {w:.3f}x the best baseline (target 1.3x), "
                       f"mean {mn:.3f}x (target 1.2x): {'met' if w >= 1.3 and mn >= 1.2 else 'NOT met'}")
        out.append("")
    return "\n".join(out)


def leave_one_out(G, path: Path, max_papers: int, rankers: dict | None = None,
                  cache: Path | None = None, topic_shares: bool = True) -> pd.DataFrame:
    """For each arXiv seed of the reading list at ``path`` that ``G`` holds: the list without it,
    expanded over ``G``; the left-out paper's position in each ranking (NaN: not ranked)."""
    from graph.seeds import read_seeds

    seeds = read_seeds([str(path)]).seeds
    by_arxiv = {d["arxiv_id"]: n for n, d in G.nodes(data=True) if d.get("arxiv_id")}
    held = [s for s in seeds if s.pid.kind == "arxiv" and s.pid.value in by_arxiv]
    rows = []
    for s in held:
        g, refs, _ = expand_cached(G, [x for x in seeds if x is not s], set(), max_papers, cache, topic_shares)
        target = _alias(g).get(by_arxiv[s.pid.value], by_arxiv[s.pid.value])
        seed_ids = list(g.graph["seeds"])
        rankings = dict(citegraph_rankings(g, seed_ids, refs)) if rankers is None else \
            {name: f(g, seed_ids, refs) for name, f in rankers.items()}
        rankings.update(baseline_rankings(g, seed_ids, refs))
        for name, order in rankings.items():
            pos = order.index(target) + 1 if target in order else np.nan
            rows.append({"left_out": s.pid.value, "section": s.section, "method": name, "position": pos,
                         "in_graph": target in g})
        print(f"  leave-one-out: {s.pid.value} done", file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def report_loo(df: pd.DataFrame) -> str:
    """Markdown: hits@20, hits@50 and median position per method (a paper not ranked counts as
    beyond every position)."""
    names = {"citegraph related": "`related`", "citegraph rank": "`rank`"}
    n = df["left_out"].nunique()
    out = [f"| method | hits@20 (of {n}) | hits@50 | median position |", "|---|---|---|---|"]
    stats = {}
    for m in df["method"].unique():
        pos = df[df["method"] == m]["position"].fillna(np.inf)
        stats[m] = ((pos <= 20).sum(), (pos <= 50).sum(), float(np.median(pos)))
        out.append(f"| {names.get(m, m)} | {stats[m][0]} | {stats[m][1]} | {stats[m][2]:g} |")
    best = max(v[1] for k, v in stats.items() if k in BASELINES)
    h50, med = stats["citegraph related"][1], stats["citegraph related"][2]
    out.append("")
    if "in_graph" in df:
        held = df[df["method"] == "citegraph related"]["in_graph"]
        out.append(f"Left-out papers in the expanded graph: {int(held.sum())} of {n}")
    out.append(f"`related` hits@50 {h50} = {h50 / best:.2f}x the best baseline's {best} (target 1.2x), median "
               f"position {med:g} (target 25 or better): "
               f"{'met' if h50 >= 1.2 * best and med <= 25 else 'NOT met'}")
    worst = df[df["method"] == "citegraph related"].sort_values("position", na_position="last")
    out.append("Positions under `related`: " + ", ".join(
        f"{r.left_out} {'-' if np.isnan(r.position) else int(r.position)}" for r in worst.itertuples()))
    return "\n".join(out)


if __name__ == "__main__":
    # run on its own it would print nothing and exit 0, as if it had measured something
    sys.exit("quality_mixed.py is run by quality.py: python benchmarks/quality.py --mixed (or --loo); --help there")
