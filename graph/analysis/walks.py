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


def personalized_pagerank(G: nx.DiGraph, seeds: Sequence, *, alpha: float = 0.85, undirected: bool = True,
                          tol: float = 1e-10, max_iter: int = 200) -> dict:
    """Personalised PageRank of every paper of ``G`` with restarts spread evenly over ``seeds``.

    >>> G = nx.DiGraph([("a", "b"), ("c", "b")])
    >>> ppr = personalized_pagerank(G, ["a"], undirected=False)
    >>> ppr["b"] > ppr["c"] == 0.0
    True
    """
    if not 0 < alpha < 1:
        raise AnalysisError("alpha must be between 0 and 1")
    nodes = list(G)
    if not nodes:
        return {}
    index = {n: i for i, n in enumerate(nodes)}
    starts = [index[s] for s in dict.fromkeys(seeds) if s in index]
    if not starts:
        raise AnalysisError("none of the seeds is in the graph")
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
    restart = np.zeros(n)
    restart[starts] = 1.0 / len(starts)
    x = restart.copy()
    for _ in range(max_iter):
        new = alpha * (P @ x + x[dangling].sum() * restart) + (1 - alpha) * restart
        if np.abs(new - x).sum() < n * tol:
            x = new
            break
        x = new
    return dict(zip(nodes, x.tolist()))
