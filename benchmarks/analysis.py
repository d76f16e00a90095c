"""Full analysis of the arXiv CS 2023 graph, citegraph beside the straightforward approach.

Loads ../shared/data/arxiv-cs-2023 (33,868 papers, 305,672 edges) into a
networkx graph and runs, stage by stage:

1. relatedness of every paper to the 17 reading-list seeds in the corpus;
2. influence: topical and global PageRank, HITS, recency PageRank, momentum;
3. the similarity graph (each paper's 10 most similar papers) for clustering;
4. clusters with class-based TF-IDF labels;
5. bridge papers (betweenness, sampled).

``citegraph`` computes relatedness from all its evidence (co-citation, coupling,
direct citations, a personalised PageRank walk, TF-IDF text match) with sparse
matrix products, the similarity graph likewise, and clusters with igraph's
Leiden. The baseline is the straightforward approach: Salton similarities by
pairwise common-neighbour loops over networkx adjacency fused by reciprocal rank,
the similarity graph by neighbour-of-neighbour counting, and networkx's Louvain.
Stages 2 and 5 and the labels are the same code in both.
Each implementation runs in its own process so peak memory (max RSS) is its own.

Usage: python benchmarks/analysis.py [--shared ../shared] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_ARXIV = ["1706.03762", "1810.04805", "2005.14165", "2205.14135", "2112.05682", "2004.05150", "1901.02860",
              "2208.07339", "2210.17323", "2211.10438", "1803.03635", "1910.01108", "2303.06865", "2211.17192",
              "2302.13971", "2307.09288", "1704.04760"]


def load(shared: Path):
    import gzip
    import csv

    import networkx as nx
    import pandas as pd

    folder = shared / "data" / "arxiv-cs-2023"
    with gzip.open(folder / "ids.csv.gz", "rt") as fh:
        ids = [r[0] for r in csv.reader(fh)][1:]
    with gzip.open(folder / "titles.csv.gz", "rt") as fh:
        titles = [r[0] for r in csv.reader(fh)][1:]
    from graph.ids import arxiv_year

    G = nx.DiGraph()
    G.add_nodes_from((i, {"title": t, "year": arxiv_year(a) if "." in a else None})
                     for i, (a, t) in enumerate(zip(ids, titles)))
    edges = pd.read_csv(folder / "edges.csv.gz")
    G.add_edges_from(zip(edges["source"].tolist(), edges["target"].tolist()))
    index = {a: i for i, a in enumerate(ids)}
    seeds = [index[a] for a in SEED_ARXIV if a in index]
    return G, seeds


def rrf(sims_by_seed: dict, seeds: list, k: int = 60) -> dict:
    score: dict = {}
    for s in seeds:
        ranked = sorted(((v, p) for p, v in sims_by_seed[s].items() if v > 0 and p not in seeds), reverse=True)
        for rank, (_, p) in enumerate(ranked, 1):
            score[p] = score.get(p, 0.0) + 1.0 / (k + rank)
    return score


# --- the straightforward approach -----------------------------------------------------

def loops_similarity_to(G, seeds):
    out = {}
    for s in seeds:
        rs, cs = set(G.successors(s)), set(G.predecessors(s))
        row = {}
        for p in G:
            rp, cp = set(G.successors(p)), set(G.predecessors(p))
            coup = len(rs & rp) / math.sqrt(len(rs) * len(rp)) if rs and rp else 0.0
            coc = len(cs & cp) / math.sqrt(len(cs) * len(cp)) if cs and cp else 0.0
            row[p] = 0.5 * coup + 0.5 * coc
        out[s] = row
    return out


def loops_similarity_graph(G, top_k=10):
    import networkx as nx

    H = nx.Graph()
    H.add_nodes_from(G)
    for u in G:
        coupling, cocitation = Counter(), Counter()
        for k in G.successors(u):
            for v in G.predecessors(k):
                coupling[v] += 1
        for m in G.predecessors(u):
            for v in G.successors(m):
                cocitation[v] += 1
        du, cu = G.out_degree(u), G.in_degree(u)
        sims = {}
        for v, n in coupling.items():
            sims[v] = 0.5 * n / math.sqrt(du * G.out_degree(v))
        for v, n in cocitation.items():
            sims[v] = sims.get(v, 0.0) + 0.5 * n / math.sqrt(cu * G.in_degree(v))
        sims.pop(u, None)
        for v, w in heapq.nlargest(top_k, sims.items(), key=lambda x: x[1]):
            H.add_edge(u, v, weight=w)
    return H


def louvain_clusters(G, H):
    """What citegraph did before Leiden: networkx's Louvain, then the same labels and bridges."""
    import networkx as nx
    import pandas as pd

    from graph.analysis.clusters import bridge_papers, cluster_terms

    comms = sorted(nx.community.louvain_communities(H, weight="weight", seed=0), key=len, reverse=True)
    modularity = nx.community.modularity(H, comms, weight="weight")
    membership = {n: (i if len(c) >= 3 else -1) for i, c in enumerate(comms) for n in c}
    terms = cluster_terms(G, membership)
    bridge_papers(H, membership)
    labels = [" · ".join(terms[c][:3]) for c in sorted(terms)]
    return {"clusters": pd.DataFrame({"cluster": sorted(terms), "label": labels}), "modularity": modularity}


# --- one implementation, in its own process ------------------------------------------------

def run(impl: str, shared: Path) -> dict:
    from graph.analysis import (citation_matrix, influence_table, relatedness, similarity_graph,
                                topic_clusters)

    t = time.perf_counter()
    G, seeds = load(shared)
    times = {"load graph": time.perf_counter() - t}

    def stage(name, fn):
        t0 = time.perf_counter()
        value = fn()
        times[name] = time.perf_counter() - t0
        return value

    if impl == "citegraph":
        t0 = time.perf_counter()
        cm = citation_matrix(G)
        related = relatedness(G, seeds, cm=cm)
        times["similarity to seeds + relatedness"] = time.perf_counter() - t0
        top_related = list(related.index[:20])
        stage("influence (PageRank, HITS, recency)", lambda: influence_table(G))
        H = stage("similarity graph (top 10)", lambda: similarity_graph(G, cm=cm, top_k=10))
    else:
        sims = stage("similarity to seeds + relatedness", lambda: loops_similarity_to(G, seeds))
        score = rrf(sims, seeds)
        top_related = [p for p, _ in sorted(score.items(), key=lambda x: (-x[1], x[0]))[:20]]
        stage("influence (PageRank, HITS, recency)", lambda: influence_table(G))
        H = stage("similarity graph (top 10)", lambda: loops_similarity_graph(G, 10))
    if impl == "citegraph":
        res = stage("clusters + labels + bridges", lambda: topic_clusters(G, H, seed=0))
    else:
        res = stage("clusters + labels + bridges", lambda: louvain_clusters(G, H))
    analysis = sum(v for k, v in times.items() if k != "load graph")
    # citegraph's clusters are typed (graph.analysis.TopicClusters); the baseline's a dict
    table, modularity = (res.table, res.modularity) if impl == "citegraph" else (res["clusters"], res["modularity"])
    return {
        "impl": impl, "times": times, "analysis_seconds": analysis,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "top_related": [int(p) for p in top_related], "similarity_edges": H.number_of_edges(),
        "clusters": int((table["cluster"] >= 0).sum()), "modularity": modularity,
        "labels": table["label"].head(5).tolist(), "seeds": len(seeds),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--impl", choices=["citegraph", "baseline"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.impl:
        print(json.dumps(run(args.impl, Path(args.shared))))
        return
    results = []
    for impl in ["citegraph"] + ([] if args.skip_baseline else ["baseline"]):
        out = subprocess.run([sys.executable, __file__, "--impl", impl, "--shared", args.shared],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    ours = results[0]
    print(f"arXiv CS 2023 graph, {ours['seeds']} seeds; {ours['clusters']} clusters, "
          f"modularity {ours['modularity']:.3f}; labels: {ours['labels'][:3]}\n")
    names = list(ours["times"])
    header = f"{'stage':40}{'citegraph':>12}" + (f"{'baseline':>12}{'speed-up':>10}" if len(results) > 1 else "")
    print(header)
    for name in names:
        line = f"{name:40}{ours['times'][name]:>11.2f}s"
        if len(results) > 1:
            b = results[1]["times"][name]
            line += f"{b:>11.2f}s{b / ours['times'][name]:>9.1f}x"
        print(line)
    line = f"{'whole analysis (without loading)':40}{ours['analysis_seconds']:>11.2f}s"
    if len(results) > 1:
        b = results[1]["analysis_seconds"]
        line += f"{b:>11.2f}s{b / ours['analysis_seconds']:>9.1f}x"
    print(line)
    line = f"{'peak memory (max RSS)':40}{ours['peak_rss_mib']:>9.0f} MiB"
    if len(results) > 1:
        line += f"{results[1]['peak_rss_mib']:>9.0f} MiB"
    print(line)
    if len(results) > 1:
        common = len(set(ours["top_related"]) & set(results[1]["top_related"]))
        print(f"\n20 most related papers in common: {common} (the fusion differs: see benchmarks/quality.py); "
              f"similarity-graph edges: {ours['similarity_edges']:,} vs {results[1]['similarity_edges']:,}; "
              f"modularity {ours['modularity']:.3f} (Leiden) vs {results[1]['modularity']:.3f} (Louvain)")


if __name__ == "__main__":
    main()
