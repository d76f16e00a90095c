"""Size and layout time of the HTML map at its design limit (300 papers, 2,000 links).

Maps the reading list from ../shared/data/arxiv-cs-2023 (served by the local S2
API server), keeps the 17 seeds + 283 most related papers and the ~2,000
strongest similarity links, writes the map, and opens it from file:// in
headless Chromium several times: the file size, the time for the force layout
to settle (measured in the page) and the time from navigation to a settled page.

With --screenshot PATH it also saves a picture of the default reading-list map
(seeds + 100 related papers), as shown in the README.

Usage: python benchmarks/map.py [--runs 3] [--screenshot docs/map.png]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def reading_list_graph(shared: Path):
    from graph import ExpansionOptions, S2Config, S2Source, Store, build_map
    from graph.testing.s2_server import S2Dataset, S2TestServer

    with tempfile.TemporaryDirectory() as tmp, S2TestServer(S2Dataset.from_arxiv_cs(shared / "data" / "arxiv-cs-2023")) as srv, \
            Store(Path(tmp) / "s.sqlite") as store, S2Source(S2Config(api_url=srv.url, rate=0)) as src:
        run = build_map([str(ROOT / "seeds" / "ai-chips-llm-deployment.md")], store=store, source=src,
                        options=ExpansionOptions(progress=False))
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--screenshot", help="also save a screenshot of the default reading-list map here")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from graph.analysis import analyse
    from graph.render import write_map_html
    from graph.testing.browser import launch, wait_until_settled

    run = reading_list_graph(Path(args.shared))
    G, refs = run.graph, run.references
    seeds = G.graph["seeds"]
    big = analyse(G, seeds, top=300 - len(seeds), min_similarity=1.0, references=refs)
    sims = big.edges_all["similarity"].sort_values(ascending=False)
    threshold = float(sims.iloc[min(len(sims), 2000) - 1])
    big = analyse(G, seeds, top=300 - len(seeds), min_similarity=threshold, references=refs)
    out = Path(tempfile.mkdtemp())
    path = write_map_html(G, big, out / "map-300.html", title="citegraph: 300-paper benchmark map")
    size = path.stat().st_size
    print(f"map: {len(big.nodes)} papers, {len(big.edges)} similarity links; "
          f"HTML {size / 1e6:.2f} MB (target <= 1.5 MB)")

    with sync_playwright() as p:
        browser = launch(p)
        settle, wall = [], []
        for _ in range(args.runs):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            t0 = time.perf_counter()
            page.goto(path.as_uri())
            settle.append(wait_until_settled(page) / 1000)
            wall.append(time.perf_counter() - t0)
            page.close()
        print(f"layout settled in the page: median {statistics.median(settle):.2f} s, max {max(settle):.2f} s "
              f"over {args.runs} loads (target <= 5 s)")
        print(f"navigation to settled page: median {statistics.median(wall):.2f} s, max {max(wall):.2f} s")
        if args.screenshot:
            small = analyse(G, seeds, references=refs)
            shot = write_map_html(G, small, out / "map.html", title="citegraph: ai-chips-llm-deployment")
            page = browser.new_page(viewport={"width": 1500, "height": 900})
            page.goto(shot.as_uri())
            wait_until_settled(page)
            first = small.non_seeds().index[0]
            page.evaluate("(id) => window.citegraph.select(window.citegraph.keyOf(id), false)", first)
            # the card stays; the highlight is let go, so the picture shows the whole map
            page.evaluate("() => window.citegraph.deselect()")
            page.select_option("#colour-by", "cluster")
            page.screenshot(path=args.screenshot)
            print(f"screenshot: {args.screenshot}")
        browser.close()


if __name__ == "__main__":
    main()
