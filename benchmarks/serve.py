"""`citegraph serve` on the reading list, against the local S2 server serving the arXiv CS 2023 graph.

Makes a prior work of the map a seed from the page (as a reader would), prints how long the
first map and the update took and how many requests each made, and with ``--screenshot PATH``
saves a picture of the live map (README: ``docs/serve.png``).

    python benchmarks/serve.py --screenshot docs/serve.png
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.serve import ServeApp, make_server  # noqa: E402
from graph.serve_runner import Runner  # noqa: E402
from graph.session import Explorer  # noqa: E402
from graph.testing.browser import launch, wait_until_settled  # noqa: E402
from graph.testing.s2_server import S2Dataset, S2TestServer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arxiv", default=str(ROOT.parent / "shared" / "data" / "arxiv-cs-2023"))
    ap.add_argument("--screenshot", help="save a PNG of the live map here")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="citegraph-serve-bench-"))
    with S2TestServer(S2Dataset.from_arxiv_cs(args.arxiv)) as s2:
        t0 = time.perf_counter()
        runner = Runner.start(lambda: Explorer([str(ROOT / "seeds" / "ai-chips-llm-deployment.md")],
                                               store=work / "store.sqlite", api_url=s2.url, rate=0))
        runner.call(lambda ex: ex.build())
        print(f"first map: {runner.progress().requests} requests, {time.perf_counter() - t0:.1f} s")
        app = ServeApp(runner, seed_file=work / "seeds.txt")
        server = make_server(app)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as p:
                browser = launch(p)
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.set_default_timeout(120000)
                page.goto(app.url())
                wait_until_settled(page, 120000)
                # a prior work (cited by many of the map's papers, not on it) becomes a seed from its card
                page.click('#tabs button[data-tab="prior"]')
                page.click("tr.row.work >> nth=0")
                added = page.get_attribute("#card", "data-id")
                t1 = time.perf_counter()
                page.click("#live-add-seed")
                page.wait_for_selector('body[data-version="2"]', state="attached")
                prog = page.evaluate("window.citegraph.live.progress")
                print(f"make a prior work a seed: {prog['requests']} requests ({prog['planned']} planned), "
                      f"{time.perf_counter() - t1:.1f} s until the page had redrawn")
                page.click('#tabs button[data-tab="papers"]')
                page.evaluate(f"window.citegraph.select({added!r}, false)")
                page.evaluate("window.citegraph.fitView(null)")
                if args.screenshot:
                    page.screenshot(path=args.screenshot)
                    print(f"wrote {args.screenshot}")
                browser.close()
        finally:
            app.close()
            server.shutdown()
            runner.stop()  # closes the session on its thread


if __name__ == "__main__":
    main()
