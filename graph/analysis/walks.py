"""Random walks from the seeds: personalised PageRank with sparse matrices.

A walker starts at a seed, follows a citation at each step with probability
``alpha`` and jumps back to a seed otherwise; a paper's score is the share of
time the walker spends on it. With ``undirected=True`` citations are followed
both ways (papers citing and cited by the topic both gain), otherwise from the
citing to the cited paper (influence flows to what the topic builds on).
Papers without links send the walker back to the seeds, as networkx's
``pagerank(personalization=...)`` does, so the two agree.

One analysis walks the same graph several times (the seeds' walk, the per-topic walks of the
relatedness and of the ranking) and ranks it twice more (PageRank, HITS). Turning the graph into a
sparse matrix cost more than the walks themselves (a Python pass over 50,000 edges each time), so
:func:`matrices_shared` lets one analysis build :class:`GraphMatrices` once and every walk and
ranking of that graph inside the block use it. :func:`pagerank` and :func:`hits` are networkx's
own algorithms (``_pagerank_scipy``, ``hits``) on that matrix: the same arithmetic on the same
matrix, so the same numbers to the last bit (``tests/test_analysis.py`` checks it).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Sequence

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import AnalysisError


class GraphMatrices:
    """``G``'s edges as positions in its node order, and the matrices made of them (each built on
    first use). ``G`` must not change while they are in use."""

    def __init__(self, G: nx.DiGraph) -> None:
        self.graph = G
        adjacency = list(G.adjacency())  # (node, {successor: data}): the plain dicts, in G.edges() order
        self.nodes = [n for n, _ in adjacency]
        self.index = {n: i for i, n in enumerate(self.nodes)}
        targets = [list(nbrs) for _, nbrs in adjacency]
        lengths = np.fromiter(map(len, targets), dtype=np.int64, count=len(self.nodes))
        # label -> position for every edge at once (hashing in pandas' C code, not a Python loop)
        self.cols = pd.Index(self.nodes).get_indexer([v for t in targets for v in t]).astype(np.int64)
        self.rows = np.repeat(np.arange(len(self.nodes), dtype=np.int64), lengths)
        self._made: dict = {}

    def adjacency(self) -> sp.csr_array:
        """networkx's ``to_scipy_sparse_array(G, nodelist=list(G), dtype=float)`` (weights 1)."""
        if "adjacency" not in self._made:
            n = len(self.nodes)
            self._made["adjacency"] = sp.coo_array((np.ones(len(self.rows)), (self.rows, self.cols)), shape=(n, n),
                                                   dtype=float).asformat("csr")
        return self._made["adjacency"]

    def sub_adjacency(self, nodes: list) -> sp.csr_array:
        """The adjacency matrix of the subgraph over ``nodes``, in their order (as networkx builds it)."""
        pos = np.full(len(self.nodes), -1, dtype=np.int64)
        pos[[self.index[n] for n in nodes]] = np.arange(len(nodes))
        keep = (pos[self.rows] >= 0) & (pos[self.cols] >= 0)
        rows, cols = pos[self.rows[keep]], pos[self.cols[keep]]
        return sp.coo_array((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(nodes)),
                            dtype=float).asformat("csr")

    def transition(self, undirected: bool):
        """The walk's transition matrix (column-stochastic, transposed) and the dangling papers."""
        if ("transition", undirected) not in self._made:
            self._made[("transition", undirected)] = _transition(self, undirected)
        return self._made[("transition", undirected)]


_shared: ContextVar[GraphMatrices | None] = ContextVar("citegraph_graph_matrices", default=None)


@contextmanager
def matrices_shared(G: nx.DiGraph) -> Iterator[GraphMatrices]:
    """Inside the block, every walk and ranking of ``G`` (this very object, unchanged) uses one
    :class:`GraphMatrices`; other graphs build their own as before."""
    token = _shared.set(GraphMatrices(G))
    try:
        yield _shared.get()
    finally:
        _shared.reset(token)


def matrices_of(G: nx.DiGraph) -> GraphMatrices:
    """The shared matrices of ``G`` inside :func:`matrices_shared`, else new ones."""
    held = _shared.get()
    return held if held is not None and held.graph is G else GraphMatrices(G)


def pagerank(G: nx.DiGraph, *, alpha: float = 0.85, tol: float = 1e-6, max_iter: int = 100,
             nodes: list | None = None) -> dict:
    """``nx.pagerank(G, alpha=alpha)`` (of the subgraph over ``nodes``, in their order, if given),
    computed as networkx does on the shared adjacency matrix.

    >>> pagerank(nx.DiGraph([("a", "b")])) == nx.pagerank(nx.DiGraph([("a", "b")]))
    True
    """
    gm = matrices_of(G)
    nodelist = gm.nodes if nodes is None else list(nodes)
    N = len(nodelist)
    if N == 0:
        return {}
    A = gm.adjacency() if nodes is None else gm.sub_adjacency(nodelist)
    # networkx's _pagerank_scipy, line for line (uniform start, personalization and dangling weights)
    S = A.sum(axis=1)
    S[S != 0] = 1.0 / S[S != 0]
    Q = sp.dia_array((S.T, 0), shape=A.shape).tocsr()
    A = Q @ A
    x = np.repeat(1.0 / N, N)
    p = np.repeat(1.0 / N, N)
    is_dangling = np.where(S == 0)[0]
    for _ in range(max_iter):
        xlast = x
        x = alpha * (x @ A + sum(x[is_dangling]) * p) + (1 - alpha) * p
        if np.absolute(x - xlast).sum() < N * tol:
            return dict(zip(nodelist, map(float, x)))
    raise nx.PowerIterationFailedConvergence(max_iter)


def hits(G: nx.DiGraph, *, max_iter: int = 100, tol: float = 1e-8, nstart: np.ndarray | None = None,
         normalized: bool = True) -> tuple[dict, dict]:
    """``nx.hits(G, ...)`` (``nstart`` as an array in ``G``'s node order), computed as networkx does
    on the shared adjacency matrix: (hubs, authorities)."""
    from scipy.sparse.linalg import ArpackNoConvergence, svds

    gm = matrices_of(G)
    if not gm.nodes:
        return {}, {}
    A = gm.adjacency()
    try:
        _, _, vt = svds(A, k=1, v0=nstart, maxiter=max_iter, tol=tol)
    except ArpackNoConvergence as exc:
        raise nx.PowerIterationFailedConvergence(max_iter) from exc
    a = vt.flatten().real
    h = A @ a
    if normalized:
        h /= h.sum()
        a /= a.sum()
    return dict(zip(gm.nodes, map(float, h))), dict(zip(gm.nodes, map(float, a)))


def _transition(gm: GraphMatrices, undirected: bool):
    loop = gm.rows == gm.cols
    rows, cols = gm.rows[~loop], gm.cols[~loop]
    n = len(gm.nodes)
    M = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    if undirected:
        M = M + M.T
    M.data[:] = 1.0  # a citation is one link whichever way it is listed
    out_degree = np.asarray(M.sum(axis=1)).ravel()
    dangling = out_degree == 0
    P = (sp.diags(np.divide(1.0, out_degree, out=np.zeros(n), where=~dangling)) @ M).T.tocsr()
    return P, dangling


def personalized_pagerank_many(G: nx.DiGraph, restarts: Sequence[dict], *, alpha: float = 0.85,
                               undirected: bool = True, tol: float = 1e-10, max_iter: int = 200) -> list[dict]:
    """Personalised PageRank for each restart distribution of ``restarts`` (``{paper: weight}``,
    normalised here; papers not in ``G`` ignored), over one transition matrix.

    >>> G = nx.DiGraph([("a", "b"), ("c", "d")])
    >>> one, two = personalized_pagerank_many(G, [{"a": 1}, {"c": 1}])
    >>> one["b"] > 0 == two["b"]
    True
    """
    if not 0 < alpha < 1:
        raise AnalysisError("alpha must be between 0 and 1")
    if not G.number_of_nodes():
        return [{} for _ in restarts]
    gm = matrices_of(G)
    nodes, index = gm.nodes, gm.index
    n = len(nodes)
    R = np.zeros((n, len(restarts)))
    for j, restart in enumerate(restarts):
        for s, w in restart.items():
            if s in index and w > 0:
                R[index[s], j] += w
        if R[:, j].sum() <= 0:
            raise AnalysisError("none of the seeds is in the graph")
        R[:, j] /= R[:, j].sum()
    P, dangling = gm.transition(undirected)
    x = R.copy()
    for _ in range(max_iter):
        new = alpha * (P @ x + x[dangling].sum(axis=0) * R) + (1 - alpha) * R
        done = np.abs(new - x).sum(axis=0).max() < n * tol
        x = new
        if done:
            break
    return [dict(zip(nodes, x[:, j].tolist())) for j in range(len(restarts))]


def personalized_pagerank(G: nx.DiGraph, seeds: Sequence, *, alpha: float = 0.85, undirected: bool = True,
                          tol: float = 1e-10, max_iter: int = 200, weights: dict | None = None) -> dict:
    """Personalised PageRank of every paper of ``G`` with restarts spread evenly over ``seeds``
    (or in proportion to ``weights[seed]``).

    >>> G = nx.DiGraph([("a", "b"), ("c", "b")])
    >>> ppr = personalized_pagerank(G, ["a"], undirected=False)
    >>> ppr["b"] > ppr["c"] == 0.0
    True
    """
    if not 0 < alpha < 1:
        raise AnalysisError("alpha must be between 0 and 1")
    if not G.number_of_nodes():
        return {}
    present = [s for s in dict.fromkeys(seeds) if s in G]
    if not present:
        raise AnalysisError("none of the seeds is in the graph")
    restart = {s: (weights.get(s, 1.0) if weights else 1.0) for s in present}
    return personalized_pagerank_many(G, [restart], alpha=alpha, undirected=undirected, tol=tol,
                                      max_iter=max_iter)[0]
