"""Local corpus benchmark: import speed, peak memory and expansion time, up to 50M citation rows.

1. Import ../shared/data/arxiv-cs-2023 (CSV) into a DuckDB corpus and time it.
2. Map the reading list from it: time the expansion alone (target 1-hop <= 1 s).
3. Generate a SYNTHETIC corpus in the S2 bulk format (gzipped JSON lines):
   5M papers titled "SYNTHETIC paper N" and 50M citation rows whose cited
   papers follow a skewed distribution (low ids are cited most), written by
   DuckDB; import it and report rows/s and peak RSS (target <= 4 GiB), then
   expand 25 seeds one hop (target <= 5 s).

Each step runs in its own process so its peak RSS is its own.

Usage: python benchmarks/corpus.py [--papers 5000000] [--citations 50000000] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def step_import_arxiv(shared: Path, work: Path) -> dict:
    from graph.sources.corpus_import import Corpus

    folder = shared / "data" / "arxiv-cs-2023"
    db = work / "arxiv.duckdb"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    with Corpus(db) as corpus:
        r = corpus.import_csv([folder / "ids.csv.gz", folder / "titles.csv.gz"], folder / "edges.csv.gz",
                              title_column="titles", arxiv_column="ids")
    return {"seconds": time.perf_counter() - t, "rows": r.rows}


def expand_from(db: Path, seeds: list[str], repeats: int = 3) -> dict:
    from graph import ExpansionOptions, Store, expand, read_seeds
    from graph.sources.corpus_import import Corpus
    from graph.sources.corpus import CorpusSource

    parsed = read_seeds(seeds).seeds
    times = []
    with Corpus(db, read_only=True) as corpus:
        for _ in range(repeats):
            with Store(":memory:") as store:
                t = time.perf_counter()
                r = expand(parsed, store, CorpusSource(corpus), ExpansionOptions(progress=False))
                times.append(time.perf_counter() - t)
    return {"seconds": min(times), "all": times, "papers": r.graph.number_of_nodes(),
            "edges": r.graph.number_of_edges(), "resolved": len(r.resolved)}


def step_generate(work: Path, n_papers: int, n_citations: int) -> dict:
    import duckdb

    out = work / "synthetic-s2"
    (out / "papers").mkdir(parents=True, exist_ok=True)
    (out / "citations").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET threads=2")
    con.execute("SET memory_limit='2GB'")
    con.execute("SET preserve_insertion_order=false")
    t = time.perf_counter()
    con.execute(f"""COPY (
        SELECT i AS corpusid,
               {{'ArXiv': NULL, 'DOI': '10.0000/synthetic.' || i, 'CorpusId': i::VARCHAR}} AS externalids,
               'https://www.semanticscholar.org/paper/' || lpad(printf('%x', i), 40, '0') AS url,
               'SYNTHETIC paper ' || i AS title,
               [{{'authorId': (i % 100000)::VARCHAR, 'name': 'SYNTHETIC Author ' || (i % 100000)}}] AS authors,
               'SYNTHETIC Venue ' || (i % 50) AS venue, 1990 + (i % 34) AS year,
               10 AS referencecount, 10 AS citationcount, 0 AS influentialcitationcount
        FROM range({n_papers}) t(i))
        TO '{out}/papers/papers-0.jsonl.gz' (FORMAT JSON, COMPRESSION GZIP)""")
    papers_s = time.perf_counter() - t
    t = time.perf_counter()
    # cited ids skewed towards low ids (a few papers are cited a lot, as in real data)
    con.execute(f"""COPY (
        SELECT (hash(i) % {n_papers})::VARCHAR AS citingcorpusid,
               floor({n_papers} * pow((hash(i * 7 + 3) % 1000003) / 1000003.0, 3))::BIGINT::VARCHAR AS citedcorpusid,
               (i % 10 = 0) AS isinfluential, NULL AS contexts, NULL AS intents
        FROM range({n_citations}) t(i))
        TO '{out}/citations/citations-0.jsonl.gz' (FORMAT JSON, COMPRESSION GZIP)""")
    return {"papers_seconds": papers_s, "citations_seconds": time.perf_counter() - t,
            "bytes": sum(f.stat().st_size for f in out.rglob("*.gz"))}


def step_import_synthetic(work: Path) -> dict:
    from graph.sources.corpus_import import Corpus
    from graph.sources.s2_import import import_s2

    db = work / "synthetic.duckdb"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    with Corpus(db, memory_limit="2GB") as corpus:
        reports = import_s2(corpus, [work / "synthetic-s2"])
        counts = corpus.counts()
    seconds = time.perf_counter() - t
    rows = sum(r.rows for r in reports)
    return {"seconds": seconds, "rows": rows, "rows_per_second": rows / seconds, "counts": counts,
            "bad": sum(r.bad for r in reports)}


def child(step: str, args) -> None:
    work = Path(args.workdir)
    if step == "import-arxiv":
        out = step_import_arxiv(Path(args.shared), work)
    elif step == "expand-arxiv":
        out = expand_from(work / "arxiv.duckdb", [str(ROOT / "seeds" / "ai-chips-llm-deployment.md")])
    elif step == "generate":
        out = step_generate(work, args.papers, args.citations)
    elif step == "import-synthetic":
        out = step_import_synthetic(work)
    elif step == "expand-synthetic":
        # 25 seeds spread over the id range: some heavily cited, most not
        seeds = [f"CorpusId:{int(args.papers * (k / 25) ** 2)}" for k in range(25)]
        out = expand_from(work / "synthetic.duckdb", seeds)
    else:
        raise SystemExit(f"unknown step {step}")
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run_step(step: str, args) -> dict:
    cmd = [sys.executable, __file__, "--step", step, "--workdir", args.workdir, "--shared", args.shared,
           "--papers", str(args.papers), "--citations", str(args.citations)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if res.returncode:
        raise SystemExit(f"step {step} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--papers", type=int, default=5_000_000)
    ap.add_argument("--citations", type=int, default=50_000_000)
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        child(args.step, args)
        return
    made = args.workdir is None
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="citegraph-corpus-")
    try:
        a = run_step("import-arxiv", args)
        print(f"arXiv CS 2023 import: {a['rows']:,} rows in {a['seconds']:.2f} s (target <= 10 s), "
              f"peak RSS {a['peak_rss_mib']:.0f} MiB")
        e = run_step("expand-arxiv", args)
        print(f"reading list 1-hop expansion from it: {e['seconds']:.2f} s (target <= 1 s; best of 3: "
              f"{', '.join(f'{x:.2f}' for x in e['all'])}), {e['resolved']} seeds, {e['papers']:,} papers, "
              f"{e['edges']:,} edges")
        if args.skip_synthetic:
            return
        g = run_step("generate", args)
        print(f"generated SYNTHETIC S2-format corpus: {args.papers:,} papers ({g['papers_seconds']:.0f} s), "
              f"{args.citations:,} citation rows ({g['citations_seconds']:.0f} s), {g['bytes'] / 1e9:.2f} GB gzipped")
        i = run_step("import-synthetic", args)
        print(f"synthetic import: {i['rows']:,} rows in {i['seconds']:.0f} s = {i['rows_per_second']:,.0f} rows/s, "
              f"peak RSS {i['peak_rss_mib']:.0f} MiB (target <= 4096 MiB), bad lines {i['bad']}")
        x = run_step("expand-synthetic", args)
        print(f"synthetic 1-hop expansion of 25 seeds: {x['seconds']:.2f} s (target <= 5 s; runs: "
              f"{', '.join(f'{t:.2f}' for t in x['all'])}), {x['papers']:,} papers, {x['edges']:,} edges, "
              f"peak RSS {x['peak_rss_mib']:.0f} MiB")
    finally:
        if made and not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
