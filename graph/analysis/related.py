"""Related papers: several kinds of evidence about each paper, fused into one score.

For a seed set S and every other paper p of the graph:

* **co-citation**: papers citing both p and a seed (``co_citations``, summed over the
  seeds; ``cocited_seeds``: with how many seeds), and its Salton-normalised
  strength ``sum_s |C(p) ∩ C(s)| / sqrt(|C(p)| |C(s)|)``;
* **bibliographic coupling**: references p shares with the seeds (``shared_references``,
  ``coupled_seeds``, and the Salton strength), counting every stored reference;
* **direct citations**: how many seeds p cites and how many cite p;
* **random walk**: personalised PageRank from the seeds over citations taken both
  ways, as a multiple of the uniform share ``1/n`` (``walk``);
* **text**: TF-IDF cosine of p's title, abstract and TLDR with the seeds' centroid
  (``text_match``; 0 where the data has no text);
* **popularity**: citations inside the graph.

The fused ``relatedness`` is a logistic model over these features,
``1 / (1 + exp(-(b + sum_f w_f x_f)))``, whose weights were fitted by
``benchmarks/quality.py --fit`` on reviews of the arXiv CS 2023 corpus that the
benchmark then does *not* evaluate on (see the README's figures). The evidence
weights are held non-negative so that more evidence never lowers a paper's
score; only popularity may count against it (papers everybody cites are not
specifically related). Every feature stays a column of the result, and ``why``
says them in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..text import plural
from ..versions import merged_ids_text
from .similarity import CitationMatrix, citation_matrix
from .walks import personalized_pagerank

# Feature -> weight, fitted by ``python benchmarks/quality.py --fit`` (training reviews only).
FITTED_WEIGHTS: dict[str, float] = {
    "cocitation_strength": 3.0347,
    "cocited_share": 0.8473,
    "coupling_strength": 0.8359,
    "coupled_share": 0.0,
    "log_walk": 0.8522,
    "text_match": 2.7623,
    "direct_share": 0.0,
    "log_popularity": 0.089,
}
FITTED_INTERCEPT = -5.3975
FEATURES = tuple(FITTED_WEIGHTS)


@dataclass(frozen=True)
class RelatednessModel:
    """The fusion's weights (``features -> weight``) and intercept."""

    weights: dict = field(default_factory=lambda: dict(FITTED_WEIGHTS))
    intercept: float = FITTED_INTERCEPT

    def score(self, features: pd.DataFrame) -> np.ndarray:
        """The fused score in (0, 1) for rows of :func:`evidence_table` features."""
        z = self.intercept + sum(w * features[f].to_numpy(dtype=float) for f, w in self.weights.items())
        return 1.0 / (1.0 + np.exp(-z))


def _text_match(G: nx.DiGraph, nodes: list, seed_rows: np.ndarray) -> np.ndarray:
    docs = [" ".join(filter(None, (G.nodes[n].get(k) for k in ("title", "abstract", "tldr")))) for n in nodes]
    if not any(d.strip() for d in docs):
        return np.zeros(len(nodes))
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        T = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(docs).tocsr()
    except ValueError:  # only stop words
        return np.zeros(len(nodes))
    centroid = np.asarray(T[seed_rows].mean(axis=0)).ravel()
    norm = np.linalg.norm(centroid)
    return (T @ centroid) / norm if norm > 0 else np.zeros(len(nodes))


def evidence_table(G: nx.DiGraph, seeds: Sequence, *, references: dict | None = None,
                   cm: CitationMatrix | None = None, walk_alpha: float = 0.85,
                   walk: dict | None = None) -> pd.DataFrame:
    """Every kind of evidence relating each non-seed paper of ``G`` to ``seeds``.

    Counts (``co_citations``, ``cocited_seeds``, ``shared_references``, ``coupled_seeds``,
    ``cites_seeds``, ``cited_by_seeds``, ``in_graph_citations``), strengths
    (``cocitation_strength``, ``coupling_strength``, ``walk``, ``text_match``) and the
    model features derived from them (see :data:`FEATURES`). ``walk`` may pass in the
    personalised PageRank from the seeds (undirected, damping ``walk_alpha``) when the
    caller has it already.

    >>> G = nx.DiGraph([("c1", "s"), ("c1", "p"), ("c2", "s"), ("c2", "p")])
    >>> int(evidence_table(G, ["s"]).loc["p", "co_citations"])
    2
    """
    seeds = [s for s in dict.fromkeys(seeds) if s in G]
    if not seeds:
        raise AnalysisError("none of the seeds is in the graph")
    cm = cm or citation_matrix(G, references)
    n = len(cm.nodes)
    rows = np.array([cm.index[s] for s in seeds], dtype=np.int64)
    A, AT = cm.A, cm.AT  # A: citing x cited (outside references as extra columns); AT: cited x citing
    co = (AT[rows] @ AT.T).toarray()  # |S| x n: papers citing both
    cp = (A[rows] @ A.T).toarray()  # |S| x n: shared references
    cited_deg = np.diff(AT.indptr).astype(float)
    ref_deg = np.diff(A.indptr).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        co_cos = np.nan_to_num(co / np.sqrt(np.outer(cited_deg[rows], cited_deg)))
        cp_cos = np.nan_to_num(cp / np.sqrt(np.outer(ref_deg[rows], ref_deg)))
    inner = A[:, :n]
    cites_seeds = np.asarray(inner[:, rows].sum(axis=1)).ravel()
    cited_by_seeds = np.asarray(inner[rows].sum(axis=0)).ravel()
    walk = walk if walk is not None else personalized_pagerank(G, seeds, alpha=walk_alpha)
    walk = np.array([walk[node] for node in cm.nodes]) * n
    text = _text_match(G, cm.nodes, rows)
    k = len(seeds)
    df = pd.DataFrame({
        "co_citations": co.sum(axis=0).astype(int),
        "cocited_seeds": (co > 0).sum(axis=0),
        "shared_references": cp.sum(axis=0).astype(int),
        "coupled_seeds": (cp > 0).sum(axis=0),
        "cites_seeds": cites_seeds.astype(int),
        "cited_by_seeds": cited_by_seeds.astype(int),
        "in_graph_citations": cited_deg.astype(int),
        "cocitation_strength": co_cos.sum(axis=0),
        "coupling_strength": cp_cos.sum(axis=0),
        "walk": walk,
        "text_match": text,
    }, index=pd.Index(cm.nodes, name="paper_id"))
    strength = co_cos + cp_cos
    # the seed it shares most with; none when it shares nothing (direct links, walk or text only)
    df["best_seed"] = [seeds[i] if strength[i, j] > 0 else None for j, i in enumerate(strength.argmax(axis=0))]
    df["merged_ids"] = [merged_ids_text(G.nodes[node]) for node in cm.nodes]
    df["cocited_share"] = df["cocited_seeds"] / k
    df["coupled_share"] = df["coupled_seeds"] / k
    df["direct_share"] = (df["cites_seeds"] + df["cited_by_seeds"]) / k
    df["log_walk"] = np.log(df["walk"] + 1e-3)
    df["log_popularity"] = np.log1p(df["in_graph_citations"])
    return df.drop(index=seeds)


def _why(row) -> str:
    parts = []
    if row.co_citations:
        parts.append(f"cited together with {plural(row.cocited_seeds, 'seed')} "
                     f"by {plural(row.co_citations, 'paper')}")
    if row.shared_references:
        parts.append(f"shares {plural(row.shared_references, 'reference')} "
                     f"with {plural(row.coupled_seeds, 'seed')}")
    if row.cites_seeds:
        parts.append(f"cites {plural(row.cites_seeds, 'seed')}")
    if row.cited_by_seeds:
        parts.append(f"cited by {plural(row.cited_by_seeds, 'seed')}")
    parts.append(f"walk from the seeds {row.walk:.1f}x average")
    if row.text_match > 0:
        parts.append(f"text match {row.text_match:.2f}")
    return "; ".join(parts)


def relatedness(G: nx.DiGraph, seeds: Sequence, *, references: dict | None = None,
                cm: CitationMatrix | None = None, model: RelatednessModel | None = None,
                walk: dict | None = None) -> pd.DataFrame:
    """How related each non-seed paper is to the seed set, most related first.

    Columns: ``relatedness`` (the fused score in (0, 1)), every column of
    :func:`evidence_table`, and ``why`` (the evidence in words). Papers with no
    evidence at all (not reachable from a seed and no text in common) are left out.
    The model's weights are in ``result.attrs["weights"]``.

    >>> G = nx.DiGraph([("c1", "s"), ("c1", "p"), ("c2", "s"), ("c2", "p"), ("c2", "q")])
    >>> list(relatedness(G, ["s"]).index[:2])  # p is co-cited with s twice, q once
    ['p', 'q']
    """
    model = model or RelatednessModel()
    ev = evidence_table(G, seeds, references=references, cm=cm, walk=walk)
    ev = ev[(ev["walk"] > 1e-9) | (ev["text_match"] > 0) | (ev["shared_references"] > 0)]
    ev.insert(0, "relatedness", model.score(ev))
    ev["why"] = [_why(r) for r in ev.itertuples()]
    ev = ev.sort_values(["relatedness", "co_citations"], ascending=False, kind="mergesort")
    ev.attrs["weights"] = dict(model.weights)
    ev.attrs["intercept"] = model.intercept
    return ev


def map_nodes(G: nx.DiGraph, seeds: Sequence, *, top: int = 100, related: pd.DataFrame | None = None,
              references: dict | None = None) -> list:
    """The map's node set: the seeds in the graph plus the ``top`` most related papers."""
    related = related if related is not None else relatedness(G, seeds, references=references)
    return [s for s in dict.fromkeys(seeds) if s in G] + list(related.index[:top])
