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

A reading list mixes topics (:mod:`graph.analysis.topics`). The fused score is
computed per topic, from that topic's seeds only, each seed weighted by its
inverse frequency (evidence through a seed the whole graph cites counts for
little). Each paper serves the topic it scores best for (``topic``;
``relatedness`` is its score for that topic and ``related_rank`` its place in the
list), and a topic's own ranking holds the papers that serve it, by the geometric
mean of their score for all the seeds and for the topic. The ranked list then
interleaves the topics' rankings in proportion to their shares with the papers
most related to all the seeds (:data:`ALL_SEEDS_SHARE` of the places), so every
topic is served and no one topic or the foundations fill the top. The evidence
columns (``co_citations`` ...) count every seed, unweighted.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Sequence

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..text import plural
from ..versions import merged_ids_text
from .similarity import CitationMatrix, citation_matrix
from .topics import SeedTopics, seed_topics
from .walks import personalized_pagerank, personalized_pagerank_many

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
# with several topics, the share of the list's places that go to the papers most related to all the
# seeds (the rest: each topic's own ranking); chosen on the tuning lists of quality.py --mixed (0.2 and
# 0.4 within 0.005 of it, 0.5 with the previous per-topic rankings a little behind; README)
ALL_SEEDS_SHARE = 0.3
ALL_SEEDS = "all the seeds"


@dataclass(frozen=True)
class RelatednessModel:
    """The fusion's weights (``features -> weight``) and intercept."""

    weights: dict = field(default_factory=lambda: dict(FITTED_WEIGHTS))
    intercept: float = FITTED_INTERCEPT

    def score(self, features: pd.DataFrame) -> np.ndarray:
        """The fused score in (0, 1) for rows of :func:`evidence_table` features."""
        z = self.intercept + sum(w * features[f].to_numpy(dtype=float) for f, w in self.weights.items())
        return 1.0 / (1.0 + np.exp(-z))


def text_matrix(G: nx.DiGraph, nodes: list):
    """TF-IDF rows of each node's title, abstract and TLDR (``None`` when the graph has no text)."""
    docs = [" ".join(filter(None, (G.nodes[n].get(k) for k in ("title", "abstract", "tldr")))) for n in nodes]
    if not any(d.strip() for d in docs):
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        return TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(docs).tocsr()
    except ValueError:  # only stop words
        return None


def _text_match(T, n: int, seed_rows: np.ndarray, seed_weights: np.ndarray) -> np.ndarray:
    if T is None:
        return np.zeros(n)
    centroid = np.asarray(T[seed_rows].T @ seed_weights).ravel() / seed_weights.sum()
    norm = np.linalg.norm(centroid)
    return (T @ centroid) / norm if norm > 0 else np.zeros(n)


_NO_TEXT = object()


def _merged_ids(G: nx.DiGraph, cm: CitationMatrix) -> list:
    """Each node's merged version ids as text, in ``cm``'s node order (one pass; the per-topic tables reuse it)."""
    return [merged_ids_text(G.nodes[node]) for node in cm.nodes]


def evidence_table(G: nx.DiGraph, seeds: Sequence, *, references: dict | None = None,
                   cm: CitationMatrix | None = None, walk_alpha: float = 0.85,
                   walk: dict | None = None, weights: dict | None = None, text=_NO_TEXT,
                   merged_ids: list | None = None) -> pd.DataFrame:
    """Every kind of evidence relating each non-seed paper of ``G`` to ``seeds``.

    Counts (``co_citations``, ``cocited_seeds``, ``shared_references``, ``coupled_seeds``,
    ``cites_seeds``, ``cited_by_seeds``, ``in_graph_citations``), strengths
    (``cocitation_strength``, ``coupling_strength``, ``walk``, ``text_match``) and the
    model features derived from them (see :data:`FEATURES`). ``walk`` may pass in the
    personalised PageRank from the seeds (undirected, damping ``walk_alpha``) when the
    caller has it already. ``weights`` (seed -> weight, mean 1) weigh each seed's part of
    the strengths, the shares, the walk's restarts and the text centroid (the counts stay
    unweighted); ``text`` may pass in :func:`text_matrix` of ``cm.nodes``.

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
    w = np.array([weights.get(s, 1.0) if weights else 1.0 for s in seeds], dtype=float)
    walk = walk if walk is not None else personalized_pagerank(G, seeds, alpha=walk_alpha, weights=weights)
    walk = np.array([walk[node] for node in cm.nodes]) * n
    T = text_matrix(G, cm.nodes) if text is _NO_TEXT else text
    text = _text_match(T, n, rows, w)
    df = pd.DataFrame({
        "co_citations": co.sum(axis=0).astype(int),
        "cocited_seeds": (co > 0).sum(axis=0),
        "shared_references": cp.sum(axis=0).astype(int),
        "coupled_seeds": (cp > 0).sum(axis=0),
        "cites_seeds": cites_seeds.astype(int),
        "cited_by_seeds": cited_by_seeds.astype(int),
        "in_graph_citations": cited_deg.astype(int),
        "cocitation_strength": w @ co_cos,
        "coupling_strength": w @ cp_cos,
        "walk": walk,
        "text_match": text,
    }, index=pd.Index(cm.nodes, name="paper_id"))
    strength = co_cos + cp_cos
    # the seed it shares most with; none when it shares nothing (direct links, walk or text only)
    df["best_seed"] = [seeds[i] if strength[i, j] > 0 else None for j, i in enumerate(strength.argmax(axis=0))]
    df["merged_ids"] = merged_ids if merged_ids is not None else _merged_ids(G, cm)
    df["cocited_share"] = (w @ (co > 0)) / w.sum()
    df["coupled_share"] = (w @ (cp > 0)) / w.sum()
    direct = np.asarray(inner[:, rows] @ w).ravel() + np.asarray(inner[rows].T @ w).ravel()
    df["direct_share"] = direct / w.sum()
    df["log_walk"] = np.log(df["walk"] + 1e-3)
    df["log_popularity"] = np.log1p(df["in_graph_citations"])
    return df.drop(index=seeds)


def _evidence_words(ev, seeds, whose: str) -> str:
    """``ev``'s evidence in words; ``seeds(n)`` names n seeds ("2 seeds", "2 of its seeds") and
    ``whose`` the walk's start ("the", "its")."""
    parts = []
    if ev.co_citations:
        parts.append(f"cited together with {seeds(ev.cocited_seeds)} by {plural(ev.co_citations, 'paper')}")
    if ev.shared_references:
        parts.append(f"shares {plural(ev.shared_references, 'reference')} with {seeds(ev.coupled_seeds)}")
    if ev.cites_seeds:
        parts.append(f"cites {seeds(ev.cites_seeds)}")
    if ev.cited_by_seeds:
        parts.append(f"cited by {seeds(ev.cited_by_seeds)}")
    parts.append(f"walk from {whose} seeds {ev.walk:.1f}x average")
    if ev.text_match > 0:
        parts.append(f"text match {ev.text_match:.2f}")
    return "; ".join(parts)


def _why(row) -> str:
    return _evidence_words(row, lambda n: plural(n, "seed"), "the")


def _topic_why(topic: str, ev) -> str:
    """The evidence through one topic's seeds, in words: "serves: Quantisation — cited together with
    2 of its seeds by 14 papers; shares 3 references with 1 of its seeds; ..."."""
    return f"serves: {topic} — " + _evidence_words(ev, lambda n: f"{n} of its seeds", "its")


def interleave(rankings: dict, shares: dict) -> list[tuple]:
    """One list serving every topic: ``rankings`` (topic -> papers, best first) are merged so that
    each topic's count in every prefix follows its share (Sainte-Laguë: the next pick goes to the
    topic with the largest ``share / (picked + 0.5)``; ties to the earlier topic). A paper another
    topic already placed is skipped. Returns ``[(paper, topic)]``.

    >>> interleave({"a": ["a1", "a2", "a3"], "b": ["b1", "a1", "b2"]}, {"a": 2 / 3, "b": 1 / 3})
    [('a1', 'a'), ('b1', 'b'), ('a2', 'a'), ('a3', 'a'), ('b2', 'b')]
    """
    # a heap of (-quotient, topic's place): only the picked topic's quotient changes between picks, so
    # each pick costs log(topics), not a pass over every topic; the order is max(share / (picked + 0.5))
    # with ties to the earlier topic, exactly as a scan would choose
    order = list(rankings)
    pos = {t: 0 for t in order}
    picked = {t: 0 for t in order}
    placed: set = set()
    out: list[tuple] = []
    heap = [(-(shares.get(t, 0.0) / 0.5), i, t) for i, t in enumerate(order)]
    heapq.heapify(heap)
    while heap:
        _, i, t = heapq.heappop(heap)
        lst = rankings[t]
        while pos[t] < len(lst) and lst[pos[t]] in placed:
            pos[t] += 1
        if pos[t] == len(lst):
            continue  # this topic has nothing left to place
        paper = lst[pos[t]]
        placed.add(paper)
        picked[t] += 1
        out.append((paper, t))
        heapq.heappush(heap, (-(shares.get(t, 0.0) / (picked[t] + 0.5)), i, t))
    return out


def topic_rankings(overall: pd.Series, scores: pd.DataFrame, serves: pd.Series) -> dict:
    """Each topic's own ranking: the papers that serve it (``serves``: paper -> the topic it scores
    best for), ordered by the geometric mean of their score for all the seeds (``overall``, in the
    order ties are to keep) and their score for the topic (``scores``: paper x topic). A paper serves
    one topic, so a paper every topic's seeds relate to takes one topic's place, not each one's, and
    within a topic the papers related to the whole list come before those only its seeds point to.

    >>> overall = pd.Series([0.9, 0.5, 0.4], index=["p", "q", "r"])
    >>> scores = pd.DataFrame({"A": [0.8, 0.1, 0.9], "B": [0.2, 0.6, 0.1]}, index=["p", "q", "r"])
    >>> topic_rankings(overall, scores, scores.idxmax(axis=1))
    {'A': ['p', 'r'], 'B': ['q']}
    """
    out = {}
    for name in scores.columns:
        members = serves.index[serves == name]
        key = np.sqrt(overall.loc[members] * scores.loc[members, name])
        out[name] = key.sort_values(ascending=False, kind="mergesort").index.tolist()
    return out


def topic_scores(G: nx.DiGraph, topics: SeedTopics, *, cm: CitationMatrix, model: RelatednessModel,
                 text=None, merged_ids: list | None = None) -> dict:
    """Each topic's evidence table (:func:`evidence_table` over its seeds, seeds weighted by their
    inverse frequency) with its fused ``score``: ``{topic name: DataFrame}``."""
    seeds_all = [s for t in topics.topics for s in t.seeds]
    restarts = [{s: topics.weights.get(s, 1.0) for s in t.seeds} for t in topics.topics]
    walks = personalized_pagerank_many(G, restarts)
    out = {}
    for t, walk in zip(topics.topics, walks):
        w = {s: topics.weights.get(s, 1.0) for s in t.seeds}
        mean = float(np.mean(list(w.values())))
        w = {s: v / mean for s, v in w.items()}
        ev = evidence_table(G, list(t.seeds), cm=cm, walk=walk, weights=w, text=text, merged_ids=merged_ids)
        ev = ev.drop(index=[s for s in seeds_all if s in ev.index])
        ev["score"] = model.score(ev)
        out[t.name] = ev
    return out


def relatedness(G: nx.DiGraph, seeds: Sequence, *, references: dict | None = None,
                cm: CitationMatrix | None = None, model: RelatednessModel | None = None,
                walk: dict | None = None, topics: SeedTopics | None = None) -> pd.DataFrame:
    """How related each non-seed paper is to the seed set, in the order that serves every topic.

    With one topic, papers come by the fused score over every seed (``relatedness``). With
    several (``topics``, default :func:`graph.analysis.topics.seed_topics`), the list
    interleaves (:func:`interleave`) the papers most related to all the seeds, for
    :data:`ALL_SEEDS_SHARE` of the places, with each topic's own ranking (:func:`topic_rankings`
    of the scores over its seeds only, weighted by inverse frequency) for the rest, in proportion
    to the topics' shares; each paper serves the topic it scores best for (``topic``), and
    ``relatedness`` is that score.

    Columns: ``related_rank`` (1 first), ``topic``, ``relatedness``, every column of
    :func:`evidence_table` over all the seeds, and ``why`` (the evidence in words). Papers with
    no evidence at all (not reachable from a seed and no text in common) are left out. The
    model's weights are in ``result.attrs["weights"]``, the topics in ``result.attrs["topics"]``.

    >>> G = nx.DiGraph([("c1", "s"), ("c1", "p"), ("c2", "s"), ("c2", "p"), ("c2", "q")])
    >>> list(relatedness(G, ["s"]).index[:2])  # p is co-cited with s twice, q once
    ['p', 'q']
    """
    model = model or RelatednessModel()
    seeds = [s for s in dict.fromkeys(seeds) if s in G]
    cm = cm or citation_matrix(G, references)
    text = text_matrix(G, cm.nodes)
    merged = _merged_ids(G, cm)
    ev = evidence_table(G, seeds, references=references, cm=cm, walk=walk, text=text, merged_ids=merged)
    ev = ev[(ev["walk"] > 1e-9) | (ev["text_match"] > 0) | (ev["shared_references"] > 0)]
    ev.insert(0, "relatedness", model.score(ev))
    ev = ev.sort_values(["relatedness", "co_citations"], ascending=False, kind="mergesort")
    topics = topics or seed_topics(G, seeds)
    several = len(topics.topics) > 1
    if several:
        per_topic = topic_scores(G, topics, cm=cm, model=model, text=text, merged_ids=merged)
        scores = pd.DataFrame({name: tev["score"] for name, tev in per_topic.items()}).reindex(ev.index).fillna(0.0)
        best = scores.idxmax(axis=1)  # the topic each paper serves: the one it scores best for
        rankings = {ALL_SEEDS: ev.index.tolist(), **topic_rankings(ev["relatedness"], scores, best)}
        shares = {ALL_SEEDS: ALL_SEEDS_SHARE, **{k: (1 - ALL_SEEDS_SHARE) * v for k, v in topics.shares().items()}}
        order = [p for p, _ in interleave(rankings, shares)]
        ev = ev.loc[order]
        ev["topic"] = best.loc[order].to_numpy()
        column = {name: j for j, name in enumerate(scores.columns)}
        ev["relatedness"] = scores.loc[order].to_numpy(dtype=float)[
            np.arange(len(order)), [column[t] for t in ev["topic"]]]
        why = {}
        for t, papers in ev.groupby("topic", sort=False).groups.items():
            why.update({r.Index: _topic_why(t, r) for r in per_topic[t].loc[papers].itertuples()})
        ev["why"] = [why[p] for p in order]
    else:
        # with one topic the evidence through "its seeds" is the evidence through the seeds: said as before
        ev["topic"] = topics.topics[0].name if topics.topics else None
        ev["why"] = [_why(r) for r in ev.itertuples()]
    ev.insert(0, "topic", ev.pop("topic"))
    ev.insert(0, "related_rank", np.arange(1, len(ev) + 1))
    ev.attrs["weights"] = dict(model.weights)
    ev.attrs["intercept"] = model.intercept
    ev.attrs["topics"] = topics
    return ev


def map_nodes(G: nx.DiGraph, seeds: Sequence, *, top: int = 100, related: pd.DataFrame | None = None,
              references: dict | None = None) -> list:
    """The map's node set: the seeds in the graph plus the ``top`` most related papers."""
    related = related if related is not None else relatedness(G, seeds, references=references)
    return [s for s in dict.fromkeys(seeds) if s in G] + list(related.index[:top])
