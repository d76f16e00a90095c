"""Readable clusters: how a map's ~100 papers split into topics, on several seed sets.

Each seed set is expanded over the arXiv CS 2023 corpus (served by the local S2 server) and
analysed as ``citegraph map`` does (seeds + 100 most related). The map's similarity graph is
then clustered two ways with Leiden (resolution 1, seed 0):

- ``all links`` (the baseline, citegraph before #16): every similar pair among the map's papers;
- ``10 nearest``: each paper's 10 strongest links (``graph.analysis.clusters.nearest_neighbours``),
  as the whole-graph clusters already did.

Printed per seed set and way: clusters of 3+ papers, their sizes, papers left in "other",
the modularity of the graph clustered and the modularity of the same partition on every link
(comparable across the two ways), and whether the labels are distinct.

Usage: python benchmarks/clusters.py
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_SETS = {
    "reading list (17 seeds in the corpus)": [str(ROOT / "seeds" / "ai-chips-llm-deployment.md")],
    "quantisation and efficient attention (7)": ["2208.07339", "2210.17323", "2211.10438", "2205.14135",
                                                 "2112.05682", "2004.05150", "1901.02860"],
    "graph neural networks (3)": ["1609.02907", "1706.02216", "1810.00826"],
    "diffusion models (4)": ["2006.11239", "2112.10752", "1503.03585", "2010.02502"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = ap.parse_args()
    import networkx as nx
    from networkx.algorithms.community import modularity

    from graph import ExpansionOptions, S2Config, S2Source, Store, build_map
    from graph.analysis import analyse
    from graph.analysis.clusters import nearest_neighbours, topic_clusters
    from graph.testing.s2_server import S2Dataset, S2TestServer

    dataset = S2Dataset.from_arxiv_cs(Path(args.shared) / "data" / "arxiv-cs-2023")
    with tempfile.TemporaryDirectory() as tmp, S2TestServer(dataset) as srv, \
            Store(Path(tmp) / "s.sqlite") as store, S2Source(S2Config(api_url=srv.url, rate=0)) as src:
        for name, seeds in SEED_SETS.items():
            run = build_map(seeds, store=store, source=src, options=ExpansionOptions(progress=False))
            G = run.graph
            a = analyse(G, G.graph["seeds"], references=run.references)
            H = nx.Graph()
            H.add_nodes_from(a.nodes)
            H.add_weighted_edges_from(a.edges_all[["source", "target", "similarity"]].itertuples(index=False))
            print(f"{name}: {H.number_of_nodes()} papers, {H.number_of_edges()} similar pairs")
            for way, k in (("all links", None), ("10 nearest", 10)):
                res = topic_clusters(G, H, neighbours=k)
                clustered = H if k is None else nearest_neighbours(H, k)
                groups: dict = {}
                for n, c in res.membership["cluster"].items():
                    groups.setdefault(c if c != -1 else ("other", n), set()).add(n)
                sizes = sorted(Counter(c for c in res.membership["cluster"] if c != -1).values(), reverse=True)
                other = int((res.membership["cluster"] == -1).sum())
                labels = [lab for c, lab in zip(res.table["cluster"], res.table["label"]) if c != -1]
                q_all = modularity(H, groups.values(), weight="weight")
                q_own = modularity(clustered, groups.values(), weight="weight")
                print(f"  {way:>10}: {len(sizes)} clusters {sizes}, other {other}; modularity {q_own:.3f} "
                      f"(on every link {q_all:.3f}); labels distinct: {len(set(labels)) == len(labels)}")
                for lab in labels:
                    print(f"              - {lab}")


if __name__ == "__main__":
    main()
