"""Request count of the reading-list map, beside the per-paper baseline.

Serves ../shared/data/arxiv-cs-2023 through the local S2 API server and maps
seeds/ai-chips-llm-deployment.md twice:

* citegraph (batch lookups, 1,000-item citation pages, the store), paced at
  1 request/second as against the real API (``--rate``);
* the per-paper baseline a script written with the stock ``semanticscholar``
  client makes: one ``get_paper`` per seed and per neighbour (with its
  references), plus each seed's citation pages at the client's default page size.
  It is run unpaced and its wall time at 1 request/second is requests x 1 s
  plus the measured time, since running ~2,600 requests paced takes 45 minutes
  (pass ``--pace-baseline`` to do it anyway).

Usage: python benchmarks/requests.py [--rate 1.0] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_citegraph(url: str, rate: float) -> dict:
    from graph import ExpansionOptions, S2Config, S2Source, Store, expand, read_seeds

    seeds = read_seeds([str(ROOT / "seeds" / "ai-chips-llm-deployment.md")]).seeds
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.sqlite") as store, \
            S2Source(S2Config(api_url=url, rate=rate)) as src:
        t0 = time.perf_counter()
        r = expand(seeds, store, src, ExpansionOptions(progress=False))
        wall = time.perf_counter() - t0
        t1 = time.perf_counter()
        again = expand(seeds, store, src, ExpansionOptions(progress=False))
        wall2 = time.perf_counter() - t1
    return {"requests": r.requests, "floor": r.request_floor, "wall": wall, "papers": r.graph.number_of_nodes(),
            "edges": r.graph.number_of_edges(), "second_run_requests": again.requests, "second_run_wall": wall2}


def run_baseline(url: str, pace: float, max_citations: int = 1000) -> dict:
    from semanticscholar import SemanticScholar
    from semanticscholar.SemanticScholarException import ObjectNotFoundException

    from graph import read_seeds
    from graph.sources.s2 import s2_request_id

    fields = ["title", "year", "externalIds", "citationCount", "references.paperId"]
    sch = SemanticScholar(api_url=url, retry=False)
    seeds = read_seeds([str(ROOT / "seeds" / "ai-chips-llm-deployment.md")]).seeds
    requests = 0
    t0 = time.perf_counter()

    def tick():
        nonlocal requests
        requests += 1
        if pace:
            time.sleep(1 / pace)

    neighbours: set[str] = set()
    seed_ids = set()
    for s in seeds:
        tick()
        try:
            if s.pid.resolvable_by_id:
                p = sch.get_paper(s2_request_id(s.pid), fields=fields)
            else:
                p = sch.search_paper(s.pid.value, match_title=True, fields=fields)
        except ObjectNotFoundException:
            continue
        if not p or not p.paperId:
            continue
        seed_ids.add(p.paperId)
        neighbours.update(r.paperId for r in p.references or [] if r.paperId)
        cites = sch.get_paper_citations(p.paperId, fields=["paperId"])  # client default: 100 a page
        tick()
        n = len(cites.items)
        while n < max_citations and cites.next:
            cites.next_page()
            tick()
            n = len(cites.items)
        neighbours.update(c.paper.paperId for c in cites.items[:max_citations] if c.paper.paperId)
    for pid in neighbours - seed_ids:
        tick()
        sch.get_paper(pid, fields=fields)
    wall = time.perf_counter() - t0
    return {"requests": requests, "wall": wall, "papers": len(seed_ids | neighbours)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=1.0, help="citegraph's pacing, requests/second")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--pace-baseline", action="store_true", help="run the baseline at --rate too (slow)")
    args = ap.parse_args()

    from graph.testing.s2_server import S2Dataset, S2TestServer

    data = Path(args.shared) / "data" / "arxiv-cs-2023"
    t = time.perf_counter()
    dataset = S2Dataset.from_arxiv_cs(data)
    print(f"served corpus: {len(dataset.papers):,} papers from {data} (loaded in {time.perf_counter() - t:.1f} s)")
    with S2TestServer(dataset) as server:
        ours = run_citegraph(server.url, args.rate)
        try:
            base = run_baseline(server.url, args.rate if args.pace_baseline else 0.0)
        except ImportError:  # the stock client is only in the [bench] extra
            base = None
    print(f"\nreading-list map: {ours['papers']:,} papers, {ours['edges']:,} edges\n")
    print(f"{'':32}{'requests':>10}{'floor':>8}{'wall @ ' + format(args.rate, 'g') + ' req/s':>18}")
    print(f"{'citegraph':32}{ours['requests']:>10}{ours['floor']:>8}{ours['wall']:>16.1f} s")
    print(f"{'citegraph, second run (store)':32}{ours['second_run_requests']:>10}{'':>8}"
          f"{ours['second_run_wall']:>16.1f} s")
    print(f"\nrequests / floor: {ours['requests'] / ours['floor']:.2f}x")
    if base is None:
        print("per-paper baseline: not run, the stock semanticscholar client is missing (pip install -e '.[bench]')")
        return
    # unpaced (--rate 0): the baseline's own wall time, with no pacing to add
    paced = args.pace_baseline or args.rate <= 0
    base_at_rate = base["wall"] if paced else base["requests"] / args.rate + base["wall"]
    label = "" if args.pace_baseline else " (projected)"
    print(f"{'per-paper baseline':32}{base['requests']:>10}{'':>8}{base_at_rate:>16.1f} s{label}")
    print(f"baseline / citegraph: {base['requests'] / max(1, ours['requests']):.0f}x the requests")


if __name__ == "__main__":
    main()
