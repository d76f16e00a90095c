"""A local HTTP server that speaks the Semantic Scholar Graph API.

For tests, benchmarks and the notebook: no machine here reaches the real API.
It serves ``paper``, ``paper/batch``, ``citations``, ``references`` and
``paper/search/match`` with S2's JSON shapes, caps (500 ids a batch, 1,000 a
page, offset + limit < 10,000, 1,000 nested items) and error bodies, from a
small synthetic dataset or from ``shared/data/arxiv-cs-2023``. It can inject
latency, 429 with ``Retry-After``, 500/502/503 and dropped connections, and it
counts requests.

>>> with S2TestServer(S2Dataset.synthetic(3, [(1, 0), (2, 0)])) as server:
...     server.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import json
import random
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..sources.s2 import endpoint_name
from .s2_dataset import S2Dataset

__all__ = ["Faults", "S2Dataset", "S2TestServer", "main"]

BATCH_LIMIT = 500
PAGE_LIMIT = 1000
OFFSET_CAP = 10000
NESTED_CAP = 1000
LIST_EXTRA_FIELDS = {"isInfluential", "intents", "contexts", "contextsWithIntent"}
KNOWN_FIELDS = {
    "paperId", "corpusId", "externalIds", "title", "year", "venue", "authors", "citationCount",
    "referenceCount", "influentialCitationCount", "abstract", "tldr", "publicationDate", "url",
    "references", "citations",
}



@dataclass
class Faults:
    """Failure injection. Rates are probabilities per request, drawn from a seeded RNG."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_502: float = 0.0
    rate_503: float = 0.0
    rate_drop: float = 0.0
    retry_after: float | None = 0.0
    latency: float = 0.0
    seed: int = 0
    # a hostile server, chosen per test: one of HOSTILE, applied to the first ``hostile_times``
    # requests (None: all of them), so a transient fault can be told from a lasting one
    hostile: str | None = None
    hostile_times: int | None = None
    drip_seconds: float = 0.5  # slow_drip: one byte of the body this often

    def draw(self, rng: random.Random) -> str | None:
        x = rng.random()
        for name in ("429", "500", "502", "503", "drop"):
            rate = getattr(self, f"rate_{name}")
            if x < rate:
                return name
            x -= rate
        return None


HOSTILE = {
    "slow_drip": "the right answer, one byte every drip_seconds",
    "never_answer": "reads the request and never answers",
    "html_200": "HTTP 200 with an HTML error page",
    "empty_200": "HTTP 200 with an empty body",
    "truncated_json": "HTTP 200 with the answer cut in half",
    "string_data": "the list of rows (batch answer, page data) replaced by a string",
    "bad_rows": "every row of a batch or page replaced by a number",
    "string_authors": "every paper's authors as one string",
    "bad_year": "every paper's year as 'abc'",
    "huge_title": "every paper's title 10 MB long",
    "lots": "every paper's citationCount 'lots'",
    "bad_paper_id": "every paper's paperId a number",
}


def _hostile_payload(mode: str, payload: Any) -> Any:
    """``payload`` (a real answer) with the wrong shape or values ``mode`` asks for."""
    if mode == "string_data":
        if isinstance(payload, list):
            return "oops"
        if isinstance(payload, dict) and "data" in payload:
            return {**payload, "data": "oops"}
        return payload
    if mode == "bad_rows":
        if isinstance(payload, list):
            return [42 for _ in payload]
        if isinstance(payload, dict) and isinstance(payload.get("data"), list):
            return {**payload, "data": [42 for _ in payload["data"]]}
        return payload
    change = {"string_authors": ("authors", "Alice Smith and Bob Jones"), "bad_year": ("year", "abc"),
              "huge_title": ("title", "A" * 10_000_000), "lots": ("citationCount", "lots"),
              "bad_paper_id": ("paperId", 12345)}[mode]

    def walk(x: Any) -> Any:
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, dict):
            out = {k: walk(v) for k, v in x.items()}
            if "paperId" in x and x.get("paperId") and ("title" in x or mode != "huge_title"):
                out[change[0]] = change[1]
            return out
        return x
    return walk(payload)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        srv = self.server
        with srv.lock:
            srv.request_log.append((method, parts.path, parts.query))
            srv.request_times.append(time.monotonic())
            fault = srv.faults.draw(srv.rng)
            hostile = srv.faults.hostile
            if hostile and srv.faults.hostile_times is not None:
                if srv.hostile_served >= srv.faults.hostile_times:
                    hostile = None
                else:
                    srv.hostile_served += 1
        if hostile:
            self._hostile(hostile, method, parts, query, body)
            return
        if srv.faults.latency:
            time.sleep(srv.faults.latency)
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "429":
            headers = {} if srv.faults.retry_after is None else {"Retry-After": f"{srv.faults.retry_after:g}"}
            self._send(429, {"message": "Too Many Requests. Please wait and try again or apply for a key "
                                        "for higher rate limits.", "code": "429"}, headers)
            return
        if fault in ("500", "502", "503"):
            self._send(int(fault), {"message": "Internal Server Error" if fault == "500" else "Bad Gateway"})
            return
        status, payload, *headers = srv.app(method, parts.path, query, body)  # an app may add headers
        self._send(status, payload, *headers)


    def _hostile(self, mode: str, method: str, parts, query: dict, body: bytes) -> None:
        srv = self.server
        if mode == "never_answer":
            srv.stopping.wait(120)
            self.close_connection = True
            return
        if mode in ("html_200", "empty_200"):
            data = b"" if mode == "empty_200" else (
                b"<html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>")
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if data else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        status, payload = srv.app(method, parts.path, query, body)
        if mode == "truncated_json":
            data = json.dumps(payload).encode()
            self._send(status, data[: max(1, len(data) // 2)])
            return
        if mode == "slow_drip":
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.flush()
            try:
                for i in range(len(data)):
                    if srv.stopping.wait(srv.faults.drip_seconds):
                        return
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
            except OSError:  # the client gave up: that is the point
                self.close_connection = True
            return
        self._send(status, _hostile_payload(mode, payload) if status == 200 else payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        # a client that hangs up mid-answer (a timeout, an interrupt) is routine, not a server fault:
        # its BrokenPipe/ConnectionReset would only print a traceback into the test log
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class _Api:
    """The API's behaviour, separate from HTTP plumbing."""

    def __init__(self, dataset: S2Dataset) -> None:
        self.ds = dataset

    def __call__(self, method: str, path: str, query: dict[str, str], body: bytes):
        if not path.startswith("/graph/v1/paper/"):
            return 404, {"error": "Not found"}
        rest = unquote(path[len("/graph/v1/paper/"):])
        fields = [f for f in query.get("fields", "").split(",") if f]
        bad = [f for f in fields if f.split(".")[0] not in KNOWN_FIELDS | LIST_EXTRA_FIELDS]
        if bad:
            return 400, {"error": f"Unrecognized or unsupported fields: {bad}"}
        if rest == "batch" and method == "POST":
            return self.batch(body, fields)
        if rest == "search/match":
            return self.match(query.get("query", ""), fields, query.get("year"))
        for kind in ("citations", "references"):
            if rest.endswith("/" + kind):
                return self.page(rest[: -len(kind) - 1], kind, query, fields)
        pid = self.ds.resolve(rest)
        if pid is None:
            return 404, {"error": f"Paper with id {rest} not found"}
        return 200, self.project(pid, fields or ["title"])

    def project(self, pid: str, fields: list[str]) -> dict[str, Any]:
        paper = self.ds.papers[pid]
        out: dict[str, Any] = {"paperId": pid}
        nested: dict[str, list[str]] = {}
        for f in fields:
            head, _, sub = f.partition(".")
            if head in ("references", "citations"):
                nested.setdefault(head, []).append(sub or "title")
            elif head == "authors":
                out["authors"] = [{"authorId": a.get("authorId"), "name": a.get("name")}
                                  for a in paper.get("authors") or []]
            elif head == "tldr":
                out["tldr"] = paper.get("tldr")
            elif head != "paperId":
                out[head] = paper.get(head)
        for head, subs in nested.items():
            ids = (self.ds.references if head == "references" else self.ds.citations).get(pid, [])
            out[head] = [self.project(other, subs) for other in ids[:NESTED_CAP]]
        return out

    def batch(self, body: bytes, fields: list[str]):
        try:
            ids = json.loads(body)["ids"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "Unacceptable request body: expected {\"ids\": [...]}"}
        if len(ids) > BATCH_LIMIT:
            return 400, {"error": f"Too many ids: {len(ids)}. Must not exceed {BATCH_LIMIT}"}
        out = []
        for raw in ids:
            pid = self.ds.resolve(str(raw))
            out.append(None if pid is None else self.project(pid, fields or ["title"]))
        return 200, out

    def match(self, q: str, fields: list[str], year: str | None = None):
        try:
            hit = self.ds.match_title(q, year or None) if q.strip() else None
        except ValueError:
            return 400, {"error": f"Invalid year: {year}"}
        if hit is None:
            return 404, {"error": "Title match not found"}
        pid, score = hit
        paper = self.project(pid, fields or ["title"])
        paper["matchScore"] = round(200 * score, 3)
        return 200, {"data": [paper]}

    def page(self, raw_id: str, kind: str, query: dict[str, str], fields: list[str]):
        pid = self.ds.resolve(raw_id)
        if pid is None:
            return 404, {"error": f"Paper with id {raw_id} not found"}
        try:
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
        except ValueError:
            return 400, {"error": "offset and limit must be integers"}
        if limit > PAGE_LIMIT or limit < 1:
            return 400, {"error": f"The limit parameter must be between 1 and {PAGE_LIMIT}"}
        if offset + limit >= OFFSET_CAP:
            return 400, {"error": "offset + limit must be < 10000"}
        others = (self.ds.citations if kind == "citations" else self.ds.references).get(pid, [])
        key = "citingPaper" if kind == "citations" else "citedPaper"
        paper_fields = [f for f in fields if f not in LIST_EXTRA_FIELDS] or ["title"]
        data = []
        for other in others[offset: offset + limit]:
            edge = (other, pid) if kind == "citations" else (pid, other)
            info = self.ds.edge_info.get(edge, {})
            item = {f: info.get(f) for f in fields if f in LIST_EXTRA_FIELDS}
            item[key] = self.project(other, paper_fields)
            data.append(item)
        out: dict[str, Any] = {"offset": offset, "data": data}
        if offset + limit < len(others):
            out["next"] = offset + limit
        return 200, out


class S2TestServer:
    """Runs the fake API on 127.0.0.1 in a background thread.

    ``server.request_log`` lists every request; ``server.counts()`` groups them by
    endpoint. Change ``server.faults`` at any time to inject failures.
    """

    def __init__(self, dataset: S2Dataset | None = None, faults: Faults | None = None, app=None,
                 port: int = 0) -> None:
        try:
            self._httpd = _Server(("127.0.0.1", port), _Handler)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot serve on 127.0.0.1:{port}: {exc.strerror}; "
                                     "choose another --port (0 picks a free one)") from None
        self._httpd.app = app or _Api(dataset)
        self._httpd.stopping = threading.Event()
        self._httpd.hostile_served = 0
        self._httpd.faults = faults or Faults()
        self._httpd.rng = random.Random(self._httpd.faults.seed)
        self._httpd.lock = threading.Lock()
        self._httpd.request_log = []
        self._httpd.request_times = []
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def faults(self) -> Faults:
        return self._httpd.faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self._httpd.faults = value
        self._httpd.rng = random.Random(value.seed)
        self._httpd.hostile_served = 0

    @property
    def request_log(self) -> list[tuple[str, str, str]]:
        return self._httpd.request_log

    @property
    def request_times(self) -> list[float]:
        """``time.monotonic()`` at the arrival of each request in ``request_log``."""
        return self._httpd.request_times

    def counts(self) -> Counter:
        return Counter(endpoint_name(path) for _, path, _ in self.request_log)

    def serve(self, dataset: S2Dataset) -> None:
        """Answer from ``dataset`` from now on: the data as it is some weeks later (new papers, new
        citations, higher citation counts)."""
        self._httpd.app = _Api(dataset)

    def start(self) -> "S2TestServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.stopping.set()  # wakes the handlers of never_answer and slow_drip
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "S2TestServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m graph.testing.s2_server --arxiv DIR [--port N]``: serve until Ctrl-C."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--arxiv", required=True, help="folder of the arxiv-cs-2023 CSV files")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--rate-429", type=float, default=0.0)
    ap.add_argument("--rate-5xx", type=float, default=0.0)
    args = ap.parse_args(argv)
    faults = Faults(rate_429=args.rate_429, rate_500=args.rate_5xx / 3, rate_502=args.rate_5xx / 3,
                    rate_503=args.rate_5xx / 3)
    if not 0 <= args.port <= 65535:
        ap.error(f"--port {args.port} is not a port number (0 to 65535)")
    if args.port:
        # before the few seconds of loading the data: a port in use is known at once
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", args.port))
        except OSError as exc:
            ap.exit(2, f"error: cannot serve on 127.0.0.1:{args.port}: {exc.strerror}; choose another --port "
                       "(0 picks a free one)\n")
        finally:
            probe.close()
    if not Path(args.arxiv, "ids.csv.gz").is_file():
        ap.error(f"--arxiv {args.arxiv}: no ids.csv.gz there; give the arxiv-cs-2023 folder")
    try:
        server = S2TestServer(S2Dataset.from_arxiv_cs(args.arxiv), faults, port=args.port).start()
    except OSError as exc:
        ap.exit(2, f"error: {exc.strerror or exc}\n")
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
