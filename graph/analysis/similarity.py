"""Related papers: bibliographic coupling and co-citation, done with sparse matrices.

With ``A`` the citation matrix (``A[i, k] = 1`` when paper i cites k):

* coupling(i, j) = shared references = ``(A Aᵀ)[i, j]``
* co-citation(i, j) = papers citing both = ``(Aᵀ A)[i, j]``

Each is normalised to [0, 1]:

* ``method="salton"`` (default): Salton's cosine, ``count / sqrt(d_i * d_j)`` with
  d the number of references (coupling) or citations (co-citation) in the graph;
* ``method="adamic_adar"``: every shared reference k weighs ``1 / log(max(c_k, 2))``
  (c_k: k's citations in the graph), every co-citing paper m weighs
  ``1 / log(max(r_m, 2))`` (r_m: m's references), and the weighted count is
  normalised as a weighted cosine, so rare shared references count for more.

The combined similarity is ``w_coupling * coupling + w_cocitation * cocitation``
with weights that sum to 1 (default 0.5 / 0.5), so it stays in [0, 1].
"""

from __future__ import annotations

import math
from collections import deque
from itertools import chain
from dataclasses import dataclass
from typing import Iterable, Sequence

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import AnalysisError
from .results import Explanation

METHODS = ("salton", "adamic_adar")


@dataclass(frozen=True)
class SimilarityWeights:
    """Weights of the two signals in the combined similarity (normalised to sum 1)."""

    coupling: float = 0.5
    cocitation: float = 0.5

    def normalised(self) -> tuple[float, float]:
        if self.coupling < 0 or self.cocitation < 0 or self.coupling + self.cocitation <= 0:
            raise AnalysisError("similarity weights must be >= 0 and not both 0")
        total = self.coupling + self.cocitation
        return self.coupling / total, self.cocitation / total


@dataclass
class CitationMatrix:
    """``G`` as a sparse matrix, built once and shared by the analyses of one graph."""

    nodes: list
    index: dict
    # A[i, k] = 1: paper i cites k. Columns are the graph's papers, then any papers outside the
    # graph that its papers cite (from their full reference lists), so coupling sees every reference.
    A: sp.csr_matrix

    @property
    def AT(self) -> sp.csr_matrix:
        """Cited x citing among the graph's papers (co-citation only knows citers in the graph)."""
        if not hasattr(self, "_AT"):
            self._AT = self.A[:, :len(self.nodes)].T.tocsr()
        return self._AT


def citation_matrix(G: nx.DiGraph, references: dict | None = None) -> CitationMatrix:
    """The citation matrix of ``G`` with its node order.

    ``references`` optionally gives papers' full reference lists (as the store holds
    them); the papers they name outside ``G`` become extra columns, so coupling counts
    them. Citations between papers of ``G`` always come from ``G``'s own edges.

    >>> citation_matrix(nx.DiGraph([("a", "b")])).A.toarray().tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    >>> citation_matrix(nx.DiGraph([("a", "b")]), {"b": ["z"]}).A.toarray().tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    adjacency = list(G.adjacency())  # (node, {successor: data}) with the plain dicts, no view per node
    nodes = [n for n, _ in adjacency]
    targets = [list(nbrs) for _, nbrs in adjacency]
    if references:
        targets = [t + [r for r in references.get(n, ()) if r not in G] for n, t in zip(nodes, targets)]
    index = {n: i for i, n in enumerate(nodes)}
    flat = list(chain.from_iterable(targets))
    outside = list(dict.fromkeys(r for r in flat if r not in index)) if references else []
    lengths = np.fromiter(map(len, targets), dtype=np.int64, count=len(nodes))
    # label -> position for all edge targets at once (hashing in pandas' C code, not a Python loop)
    cols = pd.Index(nodes + outside).get_indexer(flat).astype(np.int64)
    rows = np.repeat(np.arange(len(nodes)), lengths)
    loop = rows == cols
    if loop.any():
        rows, cols = rows[~loop], cols[~loop]
    A = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(nodes) + len(outside)))
    A.sum_duplicates()
    A.data[:] = 1.0
    return CitationMatrix(nodes, index, A)


def _weights(cm: CitationMatrix, method: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-column weight for coupling (per cited paper) and co-citation (per citing paper);
    ``None`` means every weight is 1 (Salton)."""
    if method not in METHODS:
        raise AnalysisError(f"unknown similarity method {method!r}; use one of {', '.join(METHODS)}")
    if method == "salton":
        return None, None
    cited = np.asarray(cm.A.sum(axis=0)).ravel()
    citing = np.asarray(cm.A.sum(axis=1)).ravel()
    return 1.0 / np.log(np.maximum(cited, 2.0)), 1.0 / np.log(np.maximum(citing, 2.0))


def _weighted(M: sp.csr_matrix, w: np.ndarray | None) -> tuple[sp.csr_matrix, np.ndarray]:
    """``M`` with column weights ``w`` (None: all 1) and each row's weighted squared norm."""
    if w is None:  # a 0/1 matrix: the squared norm is the row's count
        return M, np.diff(M.indptr).astype(float)
    Mw = (M @ sp.diags(w)).tocsr()
    return Mw, np.asarray(Mw.multiply(M).sum(axis=1)).ravel()


def _cosine_rows(M: sp.csr_matrix, rows: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Weighted cosine of rows ``rows`` of ``M`` against every row: dense |rows| x n."""
    Mw, norms = _weighted(M, w)
    gram = (Mw[rows] @ M.T).toarray()
    denom = np.sqrt(np.outer(norms[rows], norms))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(denom > 0, gram / denom, 0.0)
    return np.clip(out, 0.0, 1.0)


def _indices(cm: CitationMatrix, papers: Iterable) -> np.ndarray:
    missing = [p for p in papers if p not in cm.index]
    if missing:
        raise AnalysisError(f"{len(missing)} papers are not in the graph, e.g. {missing[0]!r}")
    return np.array([cm.index[p] for p in papers], dtype=np.int64)


def similarity_to(G: nx.DiGraph, sources: Sequence, *, method: str = "salton",
                  weights: SimilarityWeights = SimilarityWeights(), cm: CitationMatrix | None = None,
                  ) -> dict[str, pd.DataFrame]:
    """Similarity of every paper to each paper of ``sources``.

    Returns ``{"coupling", "cocitation", "combined"}``, each a DataFrame indexed by
    paper with one column per source.

    >>> G = nx.DiGraph([("a", "x"), ("b", "x")])
    >>> float(similarity_to(G, ["a"])["coupling"].loc["b", "a"])
    1.0
    """
    cm = cm or citation_matrix(G)
    rows = _indices(cm, sources)
    w_ref, w_citer = _weights(cm, method)
    coupling = _cosine_rows(cm.A, rows, w_ref)
    cocitation = _cosine_rows(cm.AT, rows, w_citer)
    wc, wk = weights.normalised()
    combined = wc * coupling + wk * cocitation
    make = lambda m: pd.DataFrame(m.T, index=pd.Index(cm.nodes, name="paper_id"), columns=list(sources))
    return {"coupling": make(coupling), "cocitation": make(cocitation), "combined": make(combined)}


def pair_similarity(G: nx.DiGraph, u, v, *, method: str = "salton",
                    weights: SimilarityWeights = SimilarityWeights(), references: dict | None = None,
                    ) -> dict[str, float]:
    """The definition, written out for one pair with sets (for tests and explanations)."""
    refs = lambda n: (set(G.successors(n)) | {r for r in (references or {}).get(n, ()) if r not in G}) - {n}
    def cosine(shared, a, b, weight):
        num = sum(weight(k) for k in shared)
        den = math.sqrt(sum(weight(k) for k in a) * sum(weight(k) for k in b))
        return num / den if den else 0.0

    if method == "salton":
        w_ref = w_citer = lambda k: 1.0
    elif method == "adamic_adar":
        cited_by = {}
        for n in G:
            for k in refs(n):
                cited_by[k] = cited_by.get(k, 0) + 1
        w_ref = lambda k: 1.0 / math.log(max(cited_by.get(k, 0), 2))
        w_citer = lambda m: 1.0 / math.log(max(len(refs(m)), 2))
    else:
        raise AnalysisError(f"unknown similarity method {method!r}")
    ru, rv = refs(u), refs(v)
    cu, cv = set(G.predecessors(u)) - {u}, set(G.predecessors(v)) - {v}
    coupling = min(1.0, cosine(ru & rv, ru, rv, w_ref))
    cocitation = min(1.0, cosine(cu & cv, cu, cv, w_citer))
    wc, wk = weights.normalised()
    return {"coupling": coupling, "cocitation": cocitation, "combined": wc * coupling + wk * cocitation}


def similarity_edges(G: nx.DiGraph, nodes: Sequence, *, method: str = "salton",
                     weights: SimilarityWeights = SimilarityWeights(), min_similarity: float = 0.0,
                     cm: CitationMatrix | None = None) -> pd.DataFrame:
    """Pairs of ``nodes`` with combined similarity above ``min_similarity`` (u < v by position)."""
    nodes = list(nodes)
    sims = similarity_to(G, nodes, method=method, weights=weights, cm=cm)
    sub = {k: v.loc[nodes, nodes].to_numpy() for k, v in sims.items()}
    iu, ju = np.triu_indices(len(nodes), k=1)
    keep = sub["combined"][iu, ju] > min_similarity
    iu, ju = iu[keep], ju[keep]
    return pd.DataFrame({
        "source": [nodes[i] for i in iu], "target": [nodes[j] for j in ju],
        "coupling": sub["coupling"][iu, ju], "cocitation": sub["cocitation"][iu, ju],
        "similarity": sub["combined"][iu, ju],
    }).sort_values("similarity", ascending=False, ignore_index=True)


def _normalised_block(M: sp.csr_matrix, Mw: sp.csr_matrix, norms: np.ndarray, rows: np.ndarray,
                      share: float) -> sp.csr_matrix:
    gram = (Mw[rows] @ M.T).tocoo()
    den = np.sqrt(norms[rows][gram.row] * norms[gram.col])
    vals = np.divide(gram.data, den, out=np.zeros_like(gram.data), where=den > 0) * share
    return sp.csr_matrix((vals, (gram.row, gram.col)), shape=gram.shape)


def similarity_graph(G: nx.DiGraph, nodes: Sequence | None = None, *, top_k: int = 10,
                     method: str = "salton", weights: SimilarityWeights = SimilarityWeights(),
                     cm: CitationMatrix | None = None, block: int = 2048) -> nx.Graph:
    """Undirected graph linking each paper to its ``top_k`` most similar papers.

    Computed from the sparse products ``A Aᵀ`` and ``Aᵀ A`` (no pairwise loops) in
    blocks of ``block`` rows, so memory stays bounded on large graphs, and pruned to
    each row's strongest links so community detection sees a readable graph.
    """
    cm = cm or citation_matrix(G)
    keep_idx = np.arange(len(cm.nodes)) if nodes is None else _indices(cm, nodes)
    w_ref, w_citer = _weights(cm, method)
    wc, wk = weights.normalised()
    parts = []
    for M, w, share in ((cm.A[keep_idx].tocsr(), w_ref, wc), (cm.AT[keep_idx].tocsr(), w_citer, wk)):
        Mw, norms = _weighted(M, w)
        parts.append((M, Mw, norms, share))
    src, dst, wts = [], [], []
    n = len(keep_idx)
    for start in range(0, n, block):
        rows = np.arange(start, min(n, start + block))
        S = None
        for M, Mw, norms, share in parts:
            if share > 0:
                piece = _normalised_block(M, Mw, norms, rows, share)
                S = piece if S is None else S + piece
        S = S.tocsr()
        S.eliminate_zeros()
        for r in range(S.shape[0]):
            lo, hi = S.indptr[r], S.indptr[r + 1]
            data, cols = S.data[lo:hi], S.indices[lo:hi]
            own = cols == start + r  # block row r is paper start + r: no self-loop
            if own.any():
                data, cols = data[~own], cols[~own]
            if len(cols) == 0:
                continue
            if len(cols) > top_k:
                pick = np.argpartition(-data, top_k - 1)[:top_k]
                data, cols = data[pick], cols[pick]
            src.append(np.full(len(cols), start + r))
            dst.append(cols)
            wts.append(data)
    H = nx.Graph()
    names = [cm.nodes[i] for i in keep_idx]
    H.add_nodes_from(names)
    if src:
        s_, d_, w_ = np.concatenate(src), np.concatenate(dst), np.concatenate(wts)
        H.add_weighted_edges_from(zip((names[i] for i in s_), (names[j] for j in d_), w_.tolist()))
    return H


def _works(G: nx.DiGraph, nodes: Sequence, direction: str, top: int) -> pd.DataFrame:
    members = set(nodes)
    counts: dict = {}
    for n in members:
        others = G.successors(n) if direction == "prior" else G.predecessors(n)
        for o in others:
            if o not in members:
                counts.setdefault(o, []).append(n)
    col = "cited_by_map" if direction == "prior" else "cites_map"
    rows = [{"paper_id": p, col: len(v), "title": G.nodes[p].get("title"), "year": G.nodes[p].get("year"),
             "map_papers": sorted(v)} for p, v in counts.items()]
    df = pd.DataFrame(rows, columns=["paper_id", col, "title", "year", "map_papers"])
    return df.sort_values([col, "paper_id"], ascending=[False, True]).head(top).reset_index(drop=True)


def prior_works(G: nx.DiGraph, nodes: Sequence, *, top: int = 20) -> pd.DataFrame:
    """Papers outside the map cited by the most papers of the map (its foundations)."""
    return _works(G, nodes, "prior", top)


def derivative_works(G: nx.DiGraph, nodes: Sequence, *, top: int = 20) -> pd.DataFrame:
    """Papers outside the map citing the most papers of the map (its descendants, surveys)."""
    return _works(G, nodes, "derivative", top)


def nearest_seed_paths(G: nx.DiGraph, seeds: Sequence) -> dict:
    """For every paper reachable from a seed (citations undirected), the path from its
    nearest seed, in one multi-source search."""
    present = [s for s in seeds if s in G]
    if not present:
        return {}
    # ``nx.multi_source_dijkstra(G.to_undirected(as_view=True), present, weight=None)``'s paths, found
    # by a breadth-first search: with every step costing 1 its heap pops in the order a queue does,
    # and each paper keeps the first path that reached it. The neighbours are visited in the order
    # the undirected view lists them (the same set expression), so ties go the same way; the view
    # and the heap cost three times the search (0.15 s of a serve action)
    succ, pred = G._succ, G._pred
    paths = {s: [s] for s in present}
    queue = deque(paths)
    while queue:
        v = queue.popleft()
        to_v = paths[v]
        for u in set(succ[v].keys()) | set(pred[v].keys()):
            if u not in paths:
                paths[u] = to_v + [u]
                queue.append(u)
    return paths


def _bfs_to_nearest(G: nx.DiGraph, start, targets: set) -> tuple:
    """The nearest of ``targets`` from ``start`` over undirected citations, and the path to it."""
    parent = {start: None}
    for node, pred in nx.bfs_predecessors(G.to_undirected(as_view=True), start):
        parent[node] = pred
        if node in targets:
            path = [node]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])
            return node, list(reversed(path))
    return None, None


def explain(G: nx.DiGraph, paper, seeds: Sequence, *, seed_paths: dict | None = None,
            references: dict | None = None) -> Explanation:
    """Why ``paper`` is related to the seeds: shared references and co-citations per
    seed, and its citation path (either direction) to the nearest seed.

    >>> G = nx.DiGraph([("a", "x"), ("b", "x"), ("c", "a"), ("c", "b")])
    >>> explain(G, "b", ["a"]).shared_references
    {'a': ['x']}
    """
    if paper not in G:
        raise AnalysisError(f"{paper!r} is not in the graph")
    full_refs = lambda n: set(G.successors(n)) | {r for r in (references or {}).get(n, ()) if r not in G}
    refs = full_refs(paper)
    citers = set(G.predecessors(paper))
    shared, cocited = {}, {}
    for s in seeds:
        if s not in G or s == paper:
            continue
        common_refs = sorted(refs & full_refs(s))
        common_citers = sorted(citers & set(G.predecessors(s)))
        if common_refs:
            shared[s] = common_refs
        if common_citers:
            cocited[s] = common_citers
    others = [s for s in seeds if s != paper]
    if seed_paths is None:
        seed_paths = nearest_seed_paths(G, others)
    path = seed_paths.get(paper)
    if path is not None and path[0] == paper:  # ``paper`` is itself a seed: look for the next one
        nearest, path = _bfs_to_nearest(G, paper, set(others))
        return Explanation(paper, shared, cocited, nearest, path)
    path = list(reversed(path)) if path else None
    return Explanation(paper, shared, cocited, path[-1] if path else None, path)
