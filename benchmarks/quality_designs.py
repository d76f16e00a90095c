"""What else was tried for mixed reading lists (issue 15), measured on the tuning lists.

Run by ``python benchmarks/quality.py --designs --cache DIR`` (the tuning samples 2 and 3 of
``--mixed`` by default; ``--mixed-samples`` picks others). Every list is the sectioned variant of
``--mixed`` (one section per review) on the same expanded graphs, so only the ranking differs.

Two tables:

* **The whole list**: each review's hidden references within the list's top reviews x N (mean over the
  list's reviews and the worst-served one), for the shipped ``related``, personalised PageRank (the best
  baseline) and variants of how the topics' rankings are merged (:func:`graph.analysis.related.interleave`).
* **Each topic's own ranking**: each review's references within the top N of its own section's ranking
  (the ranking :func:`graph.analysis.related.topic_scores` gives; mean over the reviews, and the lower
  quartile), for the shipped fused score and for other scorers: walks, two-step co-citation walks,
  the logistic model refitted with more evidence, gradient-boosted trees, and pseudo-relevance feedback.
  Anything fitted is cross-fitted between the samples (fitted on one, scored on the other).

The designs are not in citegraph: they are what the shipped ranking was compared with (README,
"Reading lists that mix topics").
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from quality import fit
from quality_mixed import MIXED_NS, _set_sections, prepare_mixed

# evidence the shipped model does not use, tried as extra features of a refitted model
EXTRA_FEATURES = ("log_p3_cocitation", "log_p3_coupling", "log_cocitation_aa", "log_walk_local",
                  "cited_by_share", "cites_share", "log_co_citations")
PRF_TOP, PRF_WEIGHT, PRF_MIX = 10, 0.6, 0.5  # pseudo-relevance feedback: the best of several on sample 2


def _inverse(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, 1.0 / np.maximum(x, 1e-12), 0.0)


def extra_evidence(cm, rows: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """Per paper of ``cm``: two-step walks from the weighted seeds ``rows`` (seed -> its citer -> the
    citer's references, each step uniform: P3 co-citation; seed -> its reference -> that reference's
    citers: P3 coupling) and co-citation with citers weighted 1/log2(2 + their references) (Adamic-Adar)."""
    n = len(cm.nodes)
    A = cm.A.tocsr()
    inner = A[:, :n].tocsr()
    AT = cm.AT
    refs = np.asarray(A.sum(axis=1)).ravel()
    cited = np.asarray(inner.sum(axis=0)).ravel()
    cited_all = np.asarray(A.sum(axis=0)).ravel()
    to_citers = sp.diags(w) @ AT[rows].multiply(_inverse(cited[rows])[:, None])
    p3_co = np.asarray(to_citers.sum(axis=0) @ inner.multiply(_inverse(refs)[:, None]).tocsr()).ravel()
    to_refs = np.asarray((sp.diags(w) @ A[rows].multiply(_inverse(refs[rows])[:, None])).sum(axis=0)).ravel()
    p3_cp = np.asarray(A.multiply(_inverse(cited_all)[None, :]).tocsr() @ to_refs).ravel()
    weighted_citers = AT[rows].multiply(_inverse(np.log2(2 + refs))[None, :]).tocsr()
    co_aa = np.asarray(w @ (weighted_citers @ AT.T).toarray()).ravel()
    return {"p3_cocitation": p3_co, "p3_coupling": p3_cp, "cocitation_aa": co_aa}


def list_tables(g, refs, seed_ids: list, sections: dict) -> dict:
    """What every design needs of one sectioned list: the all-seeds evidence (``ev``, with ``score``),
    the same with the seeds' inverse-frequency weights (``weighted``), each topic's evidence with the
    extra features and a pseudo-relevance-feedback score (``per``), the topics and the shipped order."""
    from graph.analysis.related import RelatednessModel, evidence_table, relatedness, text_matrix
    from graph.analysis.similarity import citation_matrix
    from graph.analysis.topics import seed_topics
    from graph.analysis.walks import personalized_pagerank_many

    _set_sections(g, sections)
    model = RelatednessModel()
    seed_ids = [s for s in dict.fromkeys(seed_ids) if s in g]
    cm = citation_matrix(g, refs)
    text = text_matrix(g, cm.nodes)
    topics = seed_topics(g, seed_ids)
    ev = evidence_table(g, seed_ids, cm=cm, text=text)
    ev = ev[(ev["walk"] > 1e-9) | (ev["text_match"] > 0) | (ev["shared_references"] > 0)].copy()
    ev["score"] = model.score(ev)
    w_all = {s: topics.weights.get(s, 1.0) for s in seed_ids}
    mean = float(np.mean(list(w_all.values())))
    weighted = evidence_table(g, seed_ids, cm=cm, text=text, weights={s: v / mean for s, v in w_all.items()})
    restarts = [{s: topics.weights.get(s, 1.0) for s in t.seeds} for t in topics.topics]
    local = personalized_pagerank_many(g, restarts, alpha=0.5)
    per = {}
    for t, walk_local in zip(topics.topics, local):
        w = {s: topics.weights.get(s, 1.0) for s in t.seeds}
        mean = float(np.mean(list(w.values())))
        w = {s: v / mean for s, v in w.items()}
        tev = evidence_table(g, list(t.seeds), cm=cm, weights=w, text=text).reindex(ev.index)
        rows = np.array([cm.index[s] for s in t.seeds])
        for name, values in extra_evidence(cm, rows, np.array([w[s] for s in t.seeds])).items():
            tev[name] = pd.Series(values, index=cm.nodes).reindex(tev.index).to_numpy()
        tev["walk_local"] = pd.Series(walk_local).reindex(tev.index).to_numpy() * len(cm.nodes)
        tev["score"] = model.score(tev)
        tev["prf"] = _feedback_score(g, cm, text, model, t.seeds, w, tev, seed_ids)
        per[t.name] = _with_extra_features(tev)
    order = relatedness(g, seed_ids, references=refs, cm=cm).index.tolist()
    _set_sections(g, None)
    return {"ev": ev, "weighted": model.score(weighted.reindex(ev.index)), "per": per, "topics": topics,
            "related": order}


def _feedback_score(g, cm, text, model, seeds, w: dict, tev: pd.DataFrame, seed_ids: list) -> np.ndarray:
    """Pseudo-relevance feedback: the topic's best :data:`PRF_TOP` papers join its seeds with weight
    :data:`PRF_WEIGHT`; the rest are ranked by the log-mix of both scores, after those papers."""
    from graph.analysis.related import evidence_table

    first = tev["score"].sort_values(ascending=False, kind="mergesort").index[:PRF_TOP].tolist()
    again = evidence_table(g, list(seeds) + first, cm=cm, text=text, weights={**w, **{p: PRF_WEIGHT for p in first}})
    again = again.reindex(tev.index)
    mixed = PRF_MIX * np.log(model.score(again.fillna(0.0))) + (1 - PRF_MIX) * np.log(tev["score"].to_numpy())
    top = tev.index.isin(first)
    return np.where(top, 1e6 + tev["score"].to_numpy(), mixed)  # the feedback papers first, in their order


def _with_extra_features(tev: pd.DataFrame) -> pd.DataFrame:
    tev["log_p3_cocitation"] = np.log(tev["p3_cocitation"] + 1e-4)
    tev["log_p3_coupling"] = np.log(tev["p3_coupling"] + 1e-4)
    tev["log_cocitation_aa"] = np.log1p(tev["cocitation_aa"])
    tev["log_walk_local"] = np.log(tev["walk_local"] + 1e-3)
    tev["cited_by_share"] = tev["cited_by_seeds"] / 5
    tev["cites_share"] = tev["cites_seeds"] / 5
    tev["log_co_citations"] = np.log1p(tev["co_citations"])
    return tev


def _order(scores: pd.Series) -> list:
    return scores.sort_values(ascending=False, kind="mergesort").index.tolist()


# -- whole-list designs: table -> the list's order ------------------------------------------------

def merged(all_share: float = 0.3, key: str = "geometric", shares: str = "seeds", overall: str = "score"):
    """The shipped merge with one knob changed: ``all_share`` (places for the all-seeds ranking),
    ``key`` ("geometric": a topic's papers by the geometric mean of both scores; "topic": by the topic's
    score alone), ``shares`` ("seeds": by the topics' seeds, as shipped; "equal"; "evidence": by the
    sum of each topic's scores) and ``overall`` ("score"; "weighted": the all-seeds score with the seeds'
    inverse-frequency weights)."""
    from graph.analysis.related import ALL_SEEDS, interleave, topic_rankings

    def order(t: dict) -> list:
        ev = t["ev"]
        base = pd.Series(t["weighted"], index=ev.index) if overall == "weighted" else ev["score"]
        scores = pd.DataFrame({name: tev["score"] for name, tev in t["per"].items()}).fillna(0.0)
        best = scores.idxmax(axis=1)
        if key == "geometric":
            rankings = topic_rankings(base, scores, best)
        else:
            rankings = {name: _order(scores.loc[best.index[best == name], name]) for name in scores.columns}
        if shares == "equal":
            topic_share = {name: 1 / len(scores.columns) for name in scores.columns}
        elif shares == "evidence":
            mass = scores.sum()
            topic_share = (mass / mass.sum()).to_dict()
        else:
            topic_share = t["topics"].shares()
        weights = {ALL_SEEDS: all_share, **{k: (1 - all_share) * v for k, v in topic_share.items()}}
        return [p for p, _ in interleave({ALL_SEEDS: _order(base), **rankings}, weights)]
    return order


LIST_DESIGNS = {
    "`related` as shipped (share 0.3, geometric mean, shares by seeds)": lambda t: t["related"],
    "personalised PageRank (the best baseline)": lambda t: _order(t["ev"]["walk"]),
    "one fused list over every seed (no topics)": lambda t: _order(t["ev"]["score"]),
    "all-seeds share 0 (topics only)": merged(all_share=0.0),
    "all-seeds share 0.5": merged(all_share=0.5),
    "a topic's papers by its own score only": merged(key="topic"),
    "equal shares for every topic": merged(shares="equal"),
    "shares by each topic's summed scores": merged(shares="evidence"),
    "all-seeds ranking with inverse-frequency seed weights": merged(overall="weighted"),
}


def score_lists(runs: list[dict]) -> pd.DataFrame:
    """One row per list and design: mean and worst recall at reviews x N."""
    rows = []
    for run in runs:
        m = len(run["truths"])
        for name, design in LIST_DESIGNS.items():
            order = design(run["tables"])
            row = {"sample": run["sample"], "design": name}
            for n_ in MIXED_NS:
                top = set(order[:m * n_])
                rec = [len(top & t) / len(t) for t in run["truths"].values() if t]
                row[f"mean@{n_}"], row[f"worst@{n_}"] = float(np.mean(rec)), float(np.min(rec))
            rows.append(row)
    return pd.DataFrame(rows)


# -- each topic's own ranking -----------------------------------------------------------------------

def topic_rows(runs: list[dict]) -> list[pd.DataFrame]:
    """Each review's own topic table with ``label`` (a hidden reference of the review), ``sample`` and
    ``truth`` (how many hidden references it has)."""
    out = []
    for run in runs:
        for i, (review, truth) in enumerate(run["truths"].items()):
            tev = run["tables"]["per"][f"review {i + 1}"].copy()
            tev["label"] = tev.index.isin(truth)
            tev["truth"] = len(truth)
            tev["sample"] = run["sample"]
            out.append(tev)
    return out


def _cross_fitted(tables: list[pd.DataFrame], fit_one, score_one) -> list[np.ndarray]:
    """Each table scored by a model fitted on the other samples' tables (all of them when one sample)."""
    samples = sorted({int(t["sample"].iloc[0]) for t in tables})
    models = {s: fit_one([t for t in tables if t["sample"].iloc[0] != s] or tables) for s in samples}
    return [score_one(models[int(t["sample"].iloc[0])], t) for t in tables]


def _logistic(features: tuple):
    def fit_one(train):
        got = fit(train, features=features, free=("log_popularity",))
        return np.array([got["weights"][f] for f in features])
    return lambda tables: _cross_fitted(tables, fit_one, lambda w, t: t[list(features)].to_numpy(float) @ w)


def _trees(tables):
    from sklearn.ensemble import HistGradientBoostingClassifier

    from graph.analysis.related import FEATURES

    cols = list(FEATURES) + list(EXTRA_FEATURES)

    def fit_one(train):
        data = pd.concat(train)
        return HistGradientBoostingClassifier(learning_rate=0.05, max_iter=400, max_leaf_nodes=15,
                                              min_samples_leaf=50, l2_regularization=1.0,
                                              random_state=0).fit(data[cols].to_numpy(float), data["label"])
    return _cross_fitted(tables, fit_one, lambda m, t: m.predict_proba(t[cols].to_numpy(float))[:, 1])


def topic_scorers() -> dict:
    """Name -> (tables -> one score array per table)."""
    from graph.analysis.related import FEATURES

    column = lambda c: (lambda tables: [t[c].to_numpy(float) for t in tables])  # noqa: E731
    return {
        "fused score as shipped (fitted on single-topic reviews)": column("score"),
        "personalised PageRank from the topic's seeds": column("walk"),
        "a local walk (PageRank, damping 0.5)": column("walk_local"),
        "P3 co-citation walk (seed -> citer -> reference)": column("p3_cocitation"),
        "co-citation strength (Salton)": column("cocitation_strength"),
        "logistic refit on these lists, the shipped features": _logistic(tuple(FEATURES)),
        "logistic refit, + two-step walks, Adamic-Adar, local walk, direction": _logistic(
            tuple(FEATURES) + EXTRA_FEATURES),
        "gradient-boosted trees (sklearn), all of the above features": _trees,
        f"pseudo-relevance feedback (top {PRF_TOP} as seeds, weight {PRF_WEIGHT})": column("prf"),
    }


def score_topics(runs: list[dict]) -> pd.DataFrame:
    tables = topic_rows(runs)
    rows = []
    for name, scorer in topic_scorers().items():
        for t, s in zip(tables, scorer(tables)):
            order = np.argsort(-np.nan_to_num(s, nan=-np.inf), kind="mergesort")
            labels = t["label"].to_numpy()[order]
            rows.append({"sample": int(t["sample"].iloc[0]), "scorer": name,
                         **{f"R@{n_}": labels[:n_].sum() / t["truth"].iloc[0] for n_ in MIXED_NS}})
    return pd.DataFrame(rows)


def run_designs(G, samples: tuple, max_papers: int, cache: Path | None) -> str:
    """Both tables as markdown, for the sectioned lists of ``samples``."""
    runs = []
    for run in prepare_mixed(G, samples, max_papers, cache):
        v = run["variants"]["sections"]
        runs.append({"sample": run["sample"], "truths": v["truths"],
                     "tables": list_tables(v["graph"], v["refs"], v["seeds"], v["sections"])})
        print(f"  designs: sample {run['sample']}, list {len(runs)} ready", file=sys.stderr, flush=True)
    lists = score_lists(runs)
    cols = [f"{kind}@{n_}" for n_ in MIXED_NS for kind in ("mean", "worst")]
    out = [f"**The whole list** ({len(runs)} sectioned lists, samples {', '.join(map(str, samples))})", "",
           "| design | " + " | ".join(c.replace("@", " R@") for c in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name in LIST_DESIGNS:
        d = lists[lists["design"] == name]
        per = d.groupby("sample")[cols].mean()
        out.append(f"| {name} | " + " | ".join(
            f"{d[c].mean():.3f} ({' / '.join(f'{v:.2f}' for v in per[c])})" for c in cols) + " |")
    topics = score_topics(runs)
    out += ["", f"**Each topic's own ranking** ({len(topics) // len(topic_scorers())} reviews; fitted rows "
            "cross-fitted between the samples)", "",
            "| scorer | R@20 | R@50 | R@50, lower quartile |", "|---|---|---|---|"]
    for name in topic_scorers():
        d = topics[topics["scorer"] == name]
        per = d.groupby("sample")[["R@20", "R@50"]].mean()
        out.append(f"| {name} | {d['R@20'].mean():.3f} ({' / '.join(f'{v:.2f}' for v in per['R@20'])}) | "
                   f"{d['R@50'].mean():.3f} ({' / '.join(f'{v:.2f}' for v in per['R@50'])}) | "
                   f"{d['R@50'].quantile(0.25):.3f} |")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit("quality_designs.py is run by quality.py: python benchmarks/quality.py --designs (--help there)")
