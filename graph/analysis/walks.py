"""Random walks from the seeds: personalised PageRank with sparse matrices.

A walker starts at a seed, follows a citation at each step with probability
``alpha`` and jumps back to a seed otherwise; a paper's score is the share of
time the walker spends on it. With ``undirected=True`` citations are followed
both ways (papers citing and cited by the topic both gain), otherwise from the
citing to the cited paper (influence flows to what the topic builds on).
Papers without links send the walker back to the seeds, as networkx's
``pagerank(personalization=...)`` does, so the two agree.
"""

from __future__ import annotations

from typing import Sequence

import networkx as nx
import numpy as np
import scipy.sparse as sp

from ..errors import AnalysisError


def _transition(G: nx.DiGraph, nodes: list, index: dict, undirected: bool):
    rows = np.fromiter((index[u] for u, v in G.edges() if u != v), dtype=np.int64)
    cols = np.fromiter((index[v] for u, v in G.edges() if u != v), dtype=np.int64)
    n = len(nodes)
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
    nodes = list(G)
    if not nodes:
        return [{} for _ in restarts]
    index = {n: i for i, n in enumerate(nodes)}
    n = len(nodes)
    R = np.zeros((n, len(restarts)))
    for j, restart in enumerate(restarts):
        for s, w in restart.items():
            if s in index and w > 0:
                R[index[s], j] += w
        if R[:, j].sum() <= 0:
            raise AnalysisError("none of the seeds is in the graph")
        R[:, j] /= R[:, j].sum()
    P, dangling = _transition(G, nodes, index, undirected)
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
