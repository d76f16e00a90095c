"""Topic clusters of the similarity graph (Leiden), with readable labels and bridge papers."""

from __future__ import annotations

import threading
from collections import Counter

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import AnalysisError
from .results import OTHER, Partition, TopicClusters
from .similarity import citation_matrix, similarity_graph
_IGRAPH_RNG = threading.Lock()
_TOKEN = r"(?u)\b[^\W\d_][^\W_]{2,}\b"  # words of 3+ characters that start with a letter


def _igraph():
    """igraph, imported without its matplotlib drawing support: igraph imports matplotlib.pyplot
    whenever it is installed (1.6 s), and citegraph never draws with igraph."""
    import sys

    if "igraph" in sys.modules or "matplotlib" in sys.modules:
        import igraph
        return igraph
    sys.modules["matplotlib"] = None  # type: ignore[assignment]  # "import matplotlib" fails for igraph
    try:
        import igraph
    finally:
        del sys.modules["matplotlib"]  # a later "import matplotlib" (a notebook's) works as usual
    return igraph


def detect_clusters(H: nx.Graph, *, resolution: float = 1.0, seed: int = 0, min_size: int = 3) -> Partition:
    """Leiden communities (modularity, igraph's C implementation) of the weighted
    similarity graph ``H``, numbered by size.

    Returns a :class:`Partition` (``membership`` {paper: cluster}, ``modularity``); clusters
    smaller than ``min_size`` go to cluster -1 ("other"). Leiden iterates until no
    node moves, and igraph's random generator is seeded with ``seed`` for the call,
    so the result is the same for the same graph (nodes and edges in the same order).
    Leiden, unlike Louvain, never leaves a community internally disconnected, and
    on the arXiv corpus's similarity graph it is ~5x faster than networkx's Louvain
    with higher modularity (README).
    """
    if H.number_of_nodes() == 0:
        return Partition({}, 0.0)
    import random

    ig = _igraph()

    nodes = list(H)
    index = {n: i for i, n in enumerate(nodes)}
    edges = [(index[u], index[v]) for u, v in H.edges() if u != v]
    weights = [float(w) for u, v, w in H.edges(data="weight", default=1.0) if u != v]
    g = ig.Graph(n=len(nodes), edges=edges, edge_attrs={"weight": weights})
    with _IGRAPH_RNG:  # igraph's generator is process-wide: one seeded call at a time
        ig.set_random_number_generator(random.Random(seed))
        try:
            part = g.community_leiden(objective_function="modularity", weights="weight" if edges else None,
                                      resolution=resolution, n_iterations=-1)
        finally:
            ig.set_random_number_generator(random)  # igraph's default: don't leave our seed behind
    modularity = g.modularity(part.membership, weights="weight", resolution=resolution) if edges else 0.0
    comms: dict[int, list] = {}
    for node, c in zip(nodes, part.membership):
        comms.setdefault(c, []).append(node)
    ordered = sorted(comms.values(), key=lambda c: (-len(c), min(map(str, c))))
    membership = {}
    number = 0
    for c in ordered:
        cid = number if len(c) >= min_size else OTHER
        number += len(c) >= min_size
        for n in c:
            membership[n] = cid
    return Partition(membership, float(modularity))


def _doc(G: nx.DiGraph, n) -> str:
    d = G.nodes[n] if n in G else {}
    return " ".join(filter(None, [d.get("title"), d.get("abstract"), d.get("tldr")]))


def cluster_terms(G: nx.DiGraph, membership: dict, *, n_terms: int = 5) -> dict[int, list[str]]:
    """Class-based TF-IDF terms per cluster from titles, abstracts and TLDRs.

    Each cluster's text is one document; a term's weight is its frequency in the
    cluster times ``log(1 + A / f_t)`` (A: average words per cluster, f_t: the term's
    frequency over all clusters), as in BERTopic, times ``log(1 + k / k_t)`` (k
    clusters, k_t of them using the term) so words every cluster uses ("language",
    "models") do not label them all. English stop words are dropped; a phrase
    replaces the single words it contains.
    """
    clusters = sorted({c for c in membership.values() if c != OTHER})
    if not clusters:
        return {}
    texts: dict[int, list[str]] = {cid: [] for cid in clusters}
    for n, c in sorted(membership.items(), key=lambda x: str(x[0])):
        if c != OTHER:
            texts[c].append(_doc(G, n))
    docs = [" ".join(texts[cid]) for cid in clusters]
    from sklearn.feature_extraction.text import CountVectorizer  # 1.6 s to import: only when labelling

    vec = CountVectorizer(stop_words="english", ngram_range=(1, 2), token_pattern=_TOKEN, lowercase=True)
    try:
        counts = vec.fit_transform(docs)
    except ValueError:  # no words at all (papers without titles)
        return {cid: [] for cid in clusters}
    counts = counts.tocsr().astype(float)  # clusters x vocabulary, kept sparse: vocabularies are large
    words_per_class = np.asarray(counts.sum(axis=1)).ravel()
    avg = words_per_class.mean()
    term_freq = np.asarray(counts.sum(axis=0)).ravel()
    classes_using = np.diff(counts.tocsc().indptr)
    idf = np.log(1 + avg / np.maximum(term_freq, 1))
    spread = np.log(1 + len(clusters) / np.maximum(classes_using, 1))
    score = (sp.diags(1 / np.maximum(words_per_class, 1)) @ counts @ sp.diags(idf * spread)).tocsr()
    vocab = vec.get_feature_names_out()
    out = {}
    for row, cid in enumerate(clusters):
        picked: list[str] = []
        lo, hi = score.indptr[row], score.indptr[row + 1]
        cols, vals = score.indices[lo:hi], score.data[lo:hi]
        for j in cols[np.lexsort((vocab[cols], -vals))]:
            if len(picked) == n_terms:
                break
            term = vocab[j]
            words = term.split()
            if any(term in p.split() for p in picked) or term in picked:
                continue  # a word already inside a chosen phrase
            inside = [p for p in picked if p in words]
            if inside:  # the phrase replaces the chosen word it contains
                picked[picked.index(inside[0])] = term
                picked = [p for p in picked if p not in inside[1:]]
                continue
            picked.append(term)
        out[cid] = picked
    return out


def bridge_papers(H: nx.Graph, membership: dict, *, top: int = 10, sample: int | None = 200,
                  work: int = 3_000_000, seed: int = 0) -> pd.DataFrame:
    """Papers with the highest betweenness in the similarity graph that link clusters.

    Betweenness is exact on graphs of up to ``sample`` nodes; on larger ones it is
    estimated from seeded random source nodes (Brandes' sampling): ``sample`` of them,
    fewer on big graphs so that about ``work`` node and edge visits are made
    (at least 10 sources).
    """
    if H.number_of_nodes() == 0:
        return pd.DataFrame(columns=["paper_id", "betweenness", "clusters"])
    size = H.number_of_nodes() + H.number_of_edges()
    k = None if sample is None or H.number_of_nodes() <= sample else min(sample, max(10, work // size))
    bc = nx.betweenness_centrality(H, k=k, seed=seed, weight=None)
    rows = []
    for n, score in sorted(bc.items(), key=lambda x: (-x[1], str(x[0]))):
        touched = sorted({membership.get(m, OTHER) for m in H.neighbors(n)} | {membership.get(n, OTHER)})
        touched = [c for c in touched if c != OTHER]
        if len(touched) >= 2 and score > 0:
            rows.append({"paper_id": n, "betweenness": score, "clusters": touched})
        if len(rows) == top:
            break
    return pd.DataFrame(rows, columns=["paper_id", "betweenness", "clusters"])


NEIGHBOURS = 10  # each paper's most similar papers that the clustering links it to


def nearest_neighbours(H: nx.Graph, k: int = NEIGHBOURS) -> nx.Graph:
    """The ``k``-nearest-neighbour graph of a weighted similarity graph: each node keeps its ``k``
    strongest links (ties broken by id), and a link kept by either end stays.

    Among a map's ~100 papers nearly every pair shares something (the reading list's map has
    5,501 of 6,786 possible links), and that mass of weak links drowns the topics: Leiden
    on every link finds 3 clusters of 24-57 papers (modularity 0.25). On each paper's 10
    strongest links it finds 5 of 14-32 papers, as the whole-graph clusters already did
    (README: "Clusters"; ``benchmarks/clusters.py``).

    >>> H = nx.Graph([("a", "b", {"weight": 0.9}), ("a", "c", {"weight": 0.1}), ("b", "c", {"weight": 0.2})])
    >>> sorted(nearest_neighbours(H, 1).edges())
    [('a', 'b'), ('b', 'c')]
    """
    K = nx.Graph()
    K.add_nodes_from(H)
    for n in H:
        strongest = sorted(((m, d.get("weight", 1.0)) for m, d in H[n].items() if m != n),
                           key=lambda x: (-x[1], str(x[0])))[:k]
        K.add_weighted_edges_from((n, m, w) for m, w in strongest)
    return K


def distinct_labels(terms: dict[int, list[str]], *, size: int = 3) -> dict[int, str]:
    """Each cluster's label from its first ``size`` terms, no term heading two labels and no two labels
    the same: a term already used by a larger cluster's label moves behind the cluster's own terms.

    >>> distinct_labels({0: ["attention", "bert"], 1: ["attention", "inference"]}, size=2)
    {0: 'attention · bert', 1: 'inference · attention'}
    """
    used: set[str] = set()
    labels: dict[int, str] = {}
    for cid in sorted(terms):  # clusters are numbered by size: the largest keeps its terms
        own = [t for t in terms[cid] if t not in used] + [t for t in terms[cid] if t in used]
        label = " · ".join(own[:size]) or f"cluster {cid}"
        if label in labels.values():
            label = f"{label} ({cid})"
        labels[cid] = label
        used.update(own[:1])
    return labels


def topic_clusters(G: nx.DiGraph, H: nx.Graph, *, resolution: float = 1.0, seed: int = 0, min_size: int = 3,
                   n_terms: int = 5, n_central: int = 3, bridges: int = 10,
                   bridge_sample: int | None = 200, neighbours: int | None = NEIGHBOURS) -> TopicClusters:
    """Clusters of the similarity graph ``H`` of ``G``, each with a label and a summary.

    Leiden runs on each paper's ``neighbours`` strongest links (:func:`nearest_neighbours`; ``None``:
    on every link of ``H``); ``modularity`` is that graph's. Bridges are found on it too.

    Returns :class:`TopicClusters`. Its ``table`` has one row per cluster: cluster, size, label (3 terms,
    distinct across clusters), terms, central_papers (highest weighted degree inside the cluster),
    year_min, year_max, seed_sections (the reading list's sections of the seeds in it).
    """
    if not (0 < resolution < float("inf")):  # NaN fails this too: it would make modularity NaN, not JSON
        raise AnalysisError("resolution must be a finite number > 0")
    if neighbours is not None:
        H = nearest_neighbours(H, neighbours)
    found = detect_clusters(H, resolution=resolution, seed=seed, min_size=min_size)
    membership = found.membership
    terms = cluster_terms(G, membership, n_terms=n_terms)
    label_of = distinct_labels({c: t for c, t in terms.items()})
    groups: dict[int, list] = {}
    for n, c in membership.items():
        groups.setdefault(c, []).append(n)
    inner_degree: Counter = Counter()  # weighted degree inside the paper's own cluster
    for u, v, w in H.edges(data="weight", default=1.0):
        if membership.get(u) == membership.get(v):
            inner_degree[u] += w
            inner_degree[v] += w
    rows = []
    for cid in sorted(groups, key=lambda c: (c == OTHER, c)):
        members = groups[cid]
        central = sorted(members, key=lambda n: (-inner_degree[n], str(n)))[:n_central]
        years = [G.nodes[n].get("year") for n in members if n in G and G.nodes[n].get("year")]
        sections = Counter(G.nodes[n].get("seed_section") for n in members
                           if n in G and G.nodes[n].get("is_seed") and G.nodes[n].get("seed_section"))
        t = terms.get(cid, [])
        rows.append({
            "cluster": cid, "size": len(members),
            "label": label_of.get(cid, f"cluster {cid}") if cid != OTHER else "other (small groups)",
            "terms": t, "central_papers": central,
            "year_min": min(years) if years else None, "year_max": max(years) if years else None,
            "seed_sections": [s for s, _ in sections.most_common()],
        })
    clusters = pd.DataFrame(rows, columns=["cluster", "size", "label", "terms", "central_papers", "year_min",
                                           "year_max", "seed_sections"])
    labels = dict(zip(clusters["cluster"], clusters["label"]))
    mem = pd.DataFrame({"paper_id": list(membership), "cluster": list(membership.values())})
    mem["cluster_label"] = mem["cluster"].map(labels)
    return TopicClusters(
        membership=mem.set_index("paper_id"),
        table=clusters,
        modularity=found.modularity,
        bridges=bridge_papers(H, membership, top=bridges, sample=bridge_sample, seed=seed),
    )


def graph_clusters(G: nx.DiGraph, *, top_k: int = 10, method: str = "salton", resolution: float = 1.0,
                   seed: int = 0, references: dict | None = None) -> TopicClusters:
    """Topic clusters of every paper of ``G``, not only the map's: the landscape of the whole graph.

    A map's clusters use every similarity among its ~100 papers; for thousands of
    papers that is millions of pairs, so here each paper is linked to its ``top_k``
    most similar (:func:`similarity_graph`, sparse and blockwise) and Leiden runs on
    that graph. Papers with no similar paper at all fall into cluster -1.
    """
    H = similarity_graph(G, top_k=top_k, method=method, cm=citation_matrix(G, references))
    H.add_nodes_from(G)
    return topic_clusters(G, H, resolution=resolution, seed=seed, neighbours=None)  # H is top-k already
