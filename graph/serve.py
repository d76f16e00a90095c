"""``citegraph serve``: the map as a local web app that grows while you explore.

Standard library only (:mod:`http.server`): one user on localhost, a handful of
JSON endpoints and one server-sent-events stream need no framework, and the
package gains no dependency (the test S2 server is built the same way). Every
request is served on its own thread; the work itself runs on the session's
single worker thread (:class:`graph.session.Explorer`), so actions from two
windows queue and both see the same map.

Security (the server can spend your API quota and write your seed file):

- it listens on 127.0.0.1 only;
- every request carries the per-run token: header ``X-Citegraph-Token``, or
  ``?token=`` on GET (the page URL, the event stream, downloads);
- state changes are POST with a JSON body only (a cross-site form cannot send
  one without a preflight, which is never granted), and a foreign ``Origin`` is refused;
- the Host header must be the server's own (DNS rebinding);
- the page has the static map's Content-Security-Policy plus ``connect-src 'self'``
  (its own API); paper text reaches it only through ``textContent``.
"""

from __future__ import annotations

import hmac
import html
import json
import secrets
import shutil
import tempfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import CitegraphError, Interrupted
from .session import Explorer

TOKEN_HEADER = "X-Citegraph-Token"
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
EXPORTS = [("csv", "papers CSV"), ("edges", "edges CSV"), ("bibtex", "BibTeX"), ("graphml", "GraphML"),
           ("gexf", "GEXF"), ("json", "JSON"), ("html", "HTML map")]
_SUFFIX = {"csv": ".papers.csv", "edges": ".edges.csv", "bibtex": ".bib", "graphml": ".graphml",
           "gexf": ".gexf", "json": ".json", "html": ".html", "parquet": ".papers.parquet"}
_MAX_BODY = 1 << 20


def live_page(explorer: Explorer, token: str, *, seed_file: Path, reading_list: Path | None,
              positions: dict | None = None) -> str:
    """The map page with the live controls, for the current map, and where earlier pages drew its
    papers (``positions``), so a reload or a second window shows the same layout."""
    from .render import map_options, safe_json, template_env

    data = explorer.map()
    data["positions"] = positions or {}
    page = template_env().get_template("citegraph_map.html").render(
        nodes=[], edges=[], options=json.dumps(map_options(len(data["papers"]))), live=True)
    config = {"token": token, "seed_file": str(seed_file), "reading_list": str(reading_list) if reading_list else None,
              "exports": EXPORTS}
    page = page.replace("__CITEGRAPH_TITLE__", html.escape(data["title"]), 1)
    page = page.replace("__CITEGRAPH_DATA__", safe_json(data), 1)
    return page.replace("__CITEGRAPH_LIVE__", safe_json(config), 1)


class ServeApp:
    """What the request handler serves: the session, the token, where seeds are saved."""

    def __init__(self, explorer: Explorer, *, token: str | None = None, seed_file: Path | None = None,
                 reading_list: Path | None = None) -> None:
        self.explorer = explorer
        self.token = token or secrets.token_urlsafe(24)
        self.seed_file = seed_file or Path("citegraph-seeds.txt")
        self.reading_list = reading_list
        self.port = 0
        self.stopping = threading.Event()
        self.export_dir = Path(tempfile.mkdtemp(prefix="citegraph-serve-"))
        # where each paper was drawn, {paper id: [x, y]}, kept with the session for every page of this server
        self.positions: dict[str, list[float]] = {}
        self.positions_lock = threading.Lock()

    @property
    def hosts(self) -> set[str]:
        """The Host headers this server answers to."""
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    def url(self) -> str:
        """The URL to open, token included."""
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def close(self) -> None:
        self.stopping.set()
        shutil.rmtree(self.export_dir, ignore_errors=True)


class _Handler(BaseHTTPRequestHandler):
    server_version = "citegraph"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    app: ServeApp  # set on the subclass made per server

    def log_message(self, *args) -> None:  # the terminal shows the URL and progress, not access logs
        pass

    # -- answers -------------------------------------------------------------------------
    def _headers(self, status: int, content_type: str, length: int | None, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Security-Policy", CSP)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False, default=_plain).encode()
        self._headers(status, "application/json; charset=utf-8", len(data))
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    # -- checks made before anything else ----------------------------------------------------
    def _allowed(self, method: str) -> tuple[str, dict] | None:
        """The path and query when the request may be served; otherwise answers it and returns None."""
        app = self.app
        if self.headers.get("Host", "") not in app.hosts:
            # DNS rebinding: a page from another site resolved to 127.0.0.1 still sends its own name
            self._error(HTTPStatus.FORBIDDEN, "this server answers only to its own address (Host header refused)")
            return None
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        given = self.headers.get(TOKEN_HEADER)
        if given is None and method == "GET":
            given = (query.get("token") or [None])[0]
        if not given or not hmac.compare_digest(given.encode(), app.token.encode()):
            self._error(HTTPStatus.FORBIDDEN, "missing or wrong token: use the URL citegraph serve printed")
            return None
        origin = self.headers.get("Origin")
        if origin is not None and origin not in {f"http://{h}" for h in app.hosts}:
            self._error(HTTPStatus.FORBIDDEN, "cross-origin requests are refused")
            return None
        return url.path, query

    def do_GET(self) -> None:
        allowed = self._allowed("GET")
        if allowed is None:
            return
        path, query = allowed
        try:
            if path == "/":
                with self.app.positions_lock:
                    saved = dict(self.app.positions)
                page = live_page(self.app.explorer, self.app.token, seed_file=self.app.seed_file,
                                 reading_list=self.app.reading_list, positions=saved).encode()
                self._headers(HTTPStatus.OK, "text/html; charset=utf-8", len(page))
                self.wfile.write(page)
            elif path == "/api/map":
                self._json(HTTPStatus.OK, self.app.explorer.map())
            elif path == "/api/positions":
                with self.app.positions_lock:
                    self._json(HTTPStatus.OK, {"positions": dict(self.app.positions)})
            elif path == "/api/status":
                self._json(HTTPStatus.OK, self.app.explorer.progress().to_dict())
            elif path == "/api/seeds":
                self._json(HTTPStatus.OK, {"seeds": self.app.explorer.seed_rows()})
            elif path == "/api/events":
                self._events()
            elif path.startswith("/api/export/"):
                self._export(path.rsplit("/", 1)[1])
            elif path in _POST_ONLY:
                self._error(HTTPStatus.METHOD_NOT_ALLOWED, f"{path} changes state: use POST")
            else:
                self._error(HTTPStatus.NOT_FOUND, f"no such page: {path}")
        except CitegraphError as exc:
            self._error(HTTPStatus.CONFLICT, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # noqa: BLE001 - a bug answers 500 rather than leaving the page waiting
            self._bug(exc)

    def do_POST(self) -> None:
        allowed = self._allowed("POST")
        if allowed is None:
            return
        path, _ = allowed
        if path not in _POST_ONLY:
            self._error(HTTPStatus.NOT_FOUND, f"no such action: {path}")
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send a JSON body (Content-Type: application/json)")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large")
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise ValueError("a JSON object is expected")
        except ValueError as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"bad JSON: {exc}")
            return
        try:
            self._json(HTTPStatus.OK, _POST_ONLY[path](self.app, body))
        except Interrupted as exc:  # cancelled from the page, or the server is stopping
            self._error(HTTPStatus.CONFLICT, str(exc))
        except (CitegraphError, ValueError, TypeError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # noqa: BLE001 - a bug answers 500 rather than leaving the page waiting
            self._bug(exc)

    def _bug(self, exc: Exception) -> None:
        if not self.app.stopping.is_set():  # shutting down, the store may close under a request: not a bug
            import traceback

            traceback.print_exc()
        try:
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {exc}")
        except OSError:
            pass

    def _refuse(self) -> None:
        if self._allowed(self.command) is not None:
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "only GET and POST are served")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _refuse

    # -- the event stream ----------------------------------------------------------------------
    def _events(self) -> None:
        """Server-sent events: the session's progress whenever it changes (and a heartbeat)."""
        self.close_connection = True
        self._headers(HTTPStatus.OK, "text/event-stream; charset=utf-8", None, {"Connection": "close"})
        ex, seq = self.app.explorer, -1
        while not self.app.stopping.is_set():
            p = ex.wait_progress(seq, timeout=1.0)
            try:
                if p.seq != seq:
                    seq = p.seq
                    self.wfile.write(f"event: progress\ndata: {json.dumps(p.to_dict())}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                return

    # -- downloads -------------------------------------------------------------------------------
    def _export(self, fmt: str) -> None:
        if fmt not in _SUFFIX:
            self._error(HTTPStatus.NOT_FOUND, f"no export {fmt!r}; choose from {', '.join(_SUFFIX)}")
            return
        out = Path(tempfile.mkdtemp(dir=self.app.export_dir))
        try:
            files = self.app.explorer.export(out, "citegraph-map", [fmt])
            path = next(iter(files.values()))
            data = path.read_bytes()
            kind = {"html": "text/html", "csv": "text/csv", "edges": "text/csv", "bibtex": "application/x-bibtex",
                    "json": "application/json"}.get(fmt, "application/octet-stream")
            self._headers(HTTPStatus.OK, kind, len(data),
                          {"Content-Disposition": f'attachment; filename="{path.name}"'})
            self.wfile.write(data)
        finally:
            shutil.rmtree(out, ignore_errors=True)


def _seeds_action(app: ServeApp, body: dict) -> dict:
    add, remove = body.get("add") or [], body.get("remove") or []
    if not isinstance(add, list) or not isinstance(remove, list) or not all(isinstance(x, str) for x in add + remove):
        raise ValueError('expected {"add": [ids or titles], "remove": [paper ids]}')
    if not add and not remove:
        raise ValueError("nothing to add or remove")
    if len(add) + len(remove) > 500:
        raise ValueError("at most 500 papers a call")
    ex = app.explorer
    added, requests = [], 0
    if add:
        added = ex.add_seeds(add)
        requests += ex.progress().requests
    removed = ex.remove_seeds(remove) if remove else 0
    if remove:
        requests += ex.progress().requests
    info = ex.summary()
    resolved = [{"input": r.seed.input, "paper_id": r.paper_id, "reason": r.reason} for r in added]
    n_ok = sum(1 for r in added if r.paper_id)
    parts = []
    if add:
        parts.append(f"added {n_ok} of {_n(len(add), 'seed')}")
        parts.extend(f"not added {r.seed.input!r}: {r.reason}" for r in added if not r.paper_id)
        new = {r.seed.input for r in added}
        parts.extend(f"already a seed: {a!r}" for a in add if a.strip() not in new)
    if removed:
        parts.append(f"removed {removed}")
    p = ex.progress()
    return {"message": "; ".join(parts) + f" ({_n(requests, 'request')})", "added": resolved, "removed": removed,
            "summary": info, "progress": p.to_dict()}


def _expand_action(app: ServeApp, body: dict) -> dict:
    pid = body.get("paper_id")
    if not isinstance(pid, str) or not pid:
        raise ValueError('expected {"paper_id": "..."}')
    gained = app.explorer.expand_paper(pid)
    p = app.explorer.progress()
    return {"message": f"the graph gained {_n(gained, 'paper')} ({_n(p.requests, 'request')})", "gained": gained,
            "summary": app.explorer.summary(), "progress": p.to_dict()}


def _cancel_action(app: ServeApp, body: dict) -> dict:
    app.explorer.cancel()
    return {"message": "cancelling: the request under way is stopped, and no other is sent"}


def _save_action(app: ServeApp, body: dict) -> dict:
    to = body.get("to", "text")
    if to == "text":
        saved = app.explorer.save_seeds(app.seed_file)
    elif to == "reading-list":
        if app.reading_list is None:
            raise ValueError("the seeds did not come from a markdown reading list")
        saved = app.explorer.save_seeds(app.reading_list)
    else:
        raise ValueError('"to" is "text" or "reading-list"')
    what = (f"appended {_n(saved.added, 'added seed')} to" if saved.kind == "markdown"
            else f"saved {_n(saved.seeds, 'seed')} to")
    return {"message": f"{what} {saved.path}", "path": str(saved.path), "seeds": saved.seeds, "added": saved.added}


MAX_POSITIONS = 20_000  # papers whose place is kept; a map shows at most a few hundred


def _positions_action(app: ServeApp, body: dict) -> dict:
    """Keep where the page drew papers: ``{"positions": {paper id: [x, y]}}``, merged with what is kept."""
    given = body.get("positions")
    if not isinstance(given, dict) or len(given) > MAX_POSITIONS:
        raise ValueError(f'expected {{"positions": {{paper id: [x, y]}}}} with at most {MAX_POSITIONS:,} papers')
    clean = {}
    for pid, xy in given.items():
        if not (isinstance(pid, str) and 0 < len(pid) <= 200 and isinstance(xy, list) and len(xy) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e7 for v in xy)):
            raise ValueError(f"not a paper id and two finite numbers: {str(pid)[:80]!r}")
        clean[pid] = [float(xy[0]), float(xy[1])]
    with app.positions_lock:
        app.positions.update(clean)
        if len(app.positions) > MAX_POSITIONS:  # the oldest go first (dicts keep insertion order)
            for pid in list(app.positions)[:len(app.positions) - MAX_POSITIONS]:
                del app.positions[pid]
        return {"kept": len(app.positions)}


_POST_ONLY = {"/api/seeds": _seeds_action, "/api/expand": _expand_action, "/api/cancel": _cancel_action,
              "/api/save": _save_action, "/api/positions": _positions_action}


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream must not keep the process alive on Ctrl-C
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        # a connection dropped by the browser, or cut by Ctrl-C, is not worth a traceback on the terminal
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, CitegraphError)):
            return
        super().handle_error(request, client_address)


def make_server(app: ServeApp, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``app`` on 127.0.0.1 (``port`` 0: any free port)."""
    handler = type("Handler", (_Handler,), {"app": app})
    try:
        server = _Server(("127.0.0.1", port), handler)
    except OSError as exc:
        raise CitegraphError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); try another --port") from exc
    app.port = server.server_address[1]
    return server


def _n(n: int, noun: str) -> str:
    """``1 seed``, ``2 seeds``.

    >>> _n(1, "seed"), _n(3, "added seed")
    ('1 seed', '3 added seeds')
    """
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if value != value:
        return None
    raise TypeError(f"cannot send {type(value).__name__} as JSON")
