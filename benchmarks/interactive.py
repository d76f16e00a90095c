"""How fast exploring feels: the reading list over the arXiv CS 2023 corpus, served by the local S2 server.

1. A cold ``citegraph map`` (empty store), then warm ``related``, ``rank``, ``clusters`` and
   ``map`` from the store, each as a user runs it (a new process: imports included).
   Printed: wall seconds and CPU seconds (user + system) of each command.
2. ``citegraph serve`` in headless Chromium: add a seed typed in the box, make a prior work
   a seed, remove a seed. Each is timed from the click to the page showing the new map
   (``body[data-version]`` bumped), with the moment its last request was answered (from the
   progress events the page receives), the moment the server sent its "done" event (the toolbar says it once the map is drawn), and the CPU seconds
   the server's process spent on it (the session's work, the HTTP answers; not the browser's).

Targets on this 2-core machine: each warm command within 2 s; each serve action within 3 s
after its requests are done; the cold map no slower than before. The machine is shared, so
the load average is printed beside the figures: wall time under load is not CPU time.

``--code DIR`` runs another checkout's ``graph`` package (e.g. ``git archive`` of an older
commit unpacked in DIR), so the figures before a change are measured by the same script.

Usage: python benchmarks/interactive.py [--code DIR] [--skip-serve] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READING_LIST = ROOT / "seeds" / "ai-chips-llm-deployment.md"
TYPED_SEED = "2106.09685"  # LoRA: in the corpus, not in the reading list's graph as a seed


def _env(code: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def timed_command(code: Path, args: list[str]) -> dict:
    """Run ``citegraph ARGS`` with ``code``'s package; wall and CPU seconds of the process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "graph", *args], capture_output=True, text=True, env=_env(code),
                         cwd=code)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode:
        raise SystemExit(f"citegraph {' '.join(args)} failed:\n{res.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "load": os.getloadavg()[0], "stdout": res.stdout, "stderr": res.stderr}


def commands(code: Path, url: str, work: Path) -> dict:
    store, out = work / "store.sqlite", work / "out"
    common = ["--api-url", url, "--rate", "0", "--store", str(store)]
    seeds = str(READING_LIST)
    figures = {"cold map": timed_command(code, ["map", seeds, *common, "--out", str(out)])}
    for name, args in (("warm related", ["related", seeds]), ("warm rank", ["rank", seeds]),
                       ("warm clusters", ["clusters", seeds]),
                       ("warm map", ["map", seeds, "--out", str(out)])):
        figures[name] = timed_command(code, [*args, *common] if name != "warm map" else
                                      ["map", seeds, *common, "--out", str(out)])
    figures["export bytes"] = sum(f.stat().st_size for f in out.iterdir())
    return figures


def serve_actions(url: str, store: Path) -> dict:
    """The three serve actions, timed in Chromium (runs in the child process, with --code's package)."""
    from playwright.sync_api import sync_playwright

    from graph.serve import ServeApp, make_server
    from graph.session import Explorer
    from graph.testing.browser import launch, wait_until_settled

    work = Path(tempfile.mkdtemp(prefix="citegraph-interactive-"))

    def opened() -> Explorer:
        # as `citegraph serve` starts: the map built and analysed before the page is served
        ex = Explorer([str(READING_LIST)], store=store, api_url=url, rate=0)
        ex.build()
        ex.session_summary()
        return ex

    try:
        from graph.serve_runner import Runner
    except ImportError:  # before the runner (#17): the server took the session itself
        ex = opened()
        app = ServeApp(ex, seed_file=work / "seeds.txt")
        stop = ex.close
    else:
        runner = Runner.start(opened)
        app = ServeApp(runner, seed_file=work / "seeds.txt")
        stop = runner.stop
    server = make_server(app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = {}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(180000)
            t = time.perf_counter()
            page.goto(app.url())
            wait_until_settled(page, 180000)
            out["first page"] = {"shown": time.perf_counter() - t}
            # the page's own clock, for the progress events it receives
            page.evaluate("""() => { window.__bench = []; window.citegraph.live.events.addEventListener('progress',
                e => { const p = JSON.parse(e.data); window.__bench.push([performance.now(), p.state, p.requests,
                p.stage]); }); }""")

            def action(name: str, click) -> None:
                version = int(page.get_attribute("body", "data-version") or "0")
                page.evaluate("() => { window.__bench = []; }")
                t0 = page.evaluate("() => performance.now()")
                cpu0 = time.process_time()  # this process serves the page: the server, its runner, the session
                click()
                page.wait_for_selector(f'body[data-version="{version + 1}"]', state="attached")
                shown = page.evaluate("() => performance.now()")
                cpu = time.process_time() - cpu0
                events = page.evaluate("() => window.__bench")
                last_request = t0
                seen = 0
                done_at = None
                for at, state, requests, _stage in events:
                    if requests > seen:
                        seen, last_request = requests, at
                    if state == "done" and done_at is None:
                        done_at = at
                out[name] = {"shown": (shown - t0) / 1000, "requests": seen,
                             "after requests": (shown - last_request) / 1000,
                             "said done": None if done_at is None else (done_at - t0) / 1000,
                             "cpu": cpu, "load": os.getloadavg()[0]}

            def type_seed() -> None:
                page.fill("#live-add", TYPED_SEED)
                page.click("#live-add-button")

            before = set(page.evaluate("() => window.citegraph.data.seeds.map(s => s.id)"))
            action("add a seed", type_seed)
            typed = [s for s in page.evaluate("() => window.citegraph.data.seeds.map(s => s.id)") if s not in before]

            def prior_work() -> None:
                page.click('#tabs button[data-tab="prior"]')
                page.click("tr.row.work >> nth=0")
                page.click("#live-add-seed")

            action("make a prior work a seed", prior_work)

            def remove() -> None:
                page.click('#tabs button[data-tab="papers"]')
                page.evaluate("(id) => window.citegraph.select(window.citegraph.keyOf(id), false)", typed[0])
                page.click("#live-remove-seed")

            action("remove a seed", remove)
            browser.close()
    finally:
        app.close()
        server.shutdown()
        stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--code", default=str(ROOT), help="checkout whose graph package is measured")
    ap.add_argument("--skip-serve", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object too")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step == "serve":
        print(json.dumps(serve_actions(args.url, Path(args.store))))
        return
    sys.path.insert(0, str(ROOT))
    from graph.testing.s2_server import S2Dataset, S2TestServer

    code = Path(args.code).resolve()
    work = Path(tempfile.mkdtemp(prefix="citegraph-interactive-"))
    with S2TestServer(S2Dataset.from_arxiv_cs(Path(args.shared) / "data" / "arxiv-cs-2023")) as s2:
        figures = commands(code, s2.url, work)
        for name, f in figures.items():
            if isinstance(f, dict):
                print(f"{name:>15}: {f['wall']:5.2f} s wall, {f['cpu']:5.2f} s CPU (load {f['load']:.1f})"
                      + ("" if name == "cold map" else "  target <= 2 s"), flush=True)
        print(f"{'exports':>15}: {figures['export bytes'] / 1e6:.1f} MB written by one map")
        if not args.skip_serve:
            res = subprocess.run([sys.executable, __file__, "--step", "serve", "--url", s2.url,
                                  "--store", str(work / "store.sqlite")], capture_output=True, text=True,
                                 env=_env(code), cwd=code)
            if res.returncode:
                raise SystemExit(f"serve step failed:\n{res.stderr[-3000:]}")
            served = json.loads(res.stdout.strip().splitlines()[-1])
            figures["serve"] = served
            for name, f in served.items():
                if name == "first page":
                    print(f"{name:>25}: shown after {f['shown']:.2f} s")
                    continue
                done = "never" if f["said done"] is None else f"{f['said done']:.2f} s"
                print(f"{name:>25}: shown after {f['shown']:.2f} s ({f['requests']} requests; "
                      f"{f['after requests']:.2f} s after the last answer, target <= 3 s; "
                      f"the server's 'done' event at {done}; {f['cpu']:.2f} s CPU of the server's process; load {f['load']:.1f})")
    if args.json:
        for f in figures.values():
            if isinstance(f, dict):
                f.pop("stdout", None)
                f.pop("stderr", None)
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
