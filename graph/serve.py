"""``citegraph serve``: the map as a local web app that grows while you explore.

Standard library only (:mod:`http.server`): one user on localhost, a handful of
JSON endpoints and one server-sent-events stream need no framework, and the
package gains no dependency (the test S2 server is built the same way). Every
request is served on its own thread; the work itself is done by the runner
(:class:`graph.serve_runner.Runner`) on the session's thread, so actions from two
windows queue and both see the same map. :data:`graph.serve_routes.ROUTES` lists every path (what each does lives there), and
:func:`status_of` is the one mapping of errors to statuses.

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
from .serve_routes import EXPORTS, ROUTES, RequestError, export_route, live_page  # noqa: F401
from .serve_runner import Runner

TOKEN_HEADER = "X-Citegraph-Token"
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
_MAX_BODY = 1 << 20
_MAX_JSON_DEPTH = 32  # the actions take flat objects; deeper nesting is refused before it costs anything
# connections served at once (the page, its event stream, a few downloads; 50 open streams included):
# beyond it a connection is answered 503 at once instead of holding a thread
MAX_CONNECTIONS = 128
HEADER_SECONDS = 10.0  # a request's line and headers must arrive within this, however slowly they trickle
SOCKET_SECONDS = 60.0  # any one read or write on a connection (an event stream nobody reads ends)


def status_of(exc: BaseException) -> int:
    """The HTTP status of an error: work cancelled (from the page, or the server stopping) is a
    conflict, any other :class:`CitegraphError` the client's to fix, anything else a bug.

    >>> [int(status_of(e)) for e in (Interrupted("x"), RequestError("x"), KeyError("x"))]
    [409, 400, 500]
    """
    if isinstance(exc, Interrupted):
        return HTTPStatus.CONFLICT
    if isinstance(exc, CitegraphError):
        return HTTPStatus.BAD_REQUEST
    return HTTPStatus.INTERNAL_SERVER_ERROR


class ServeApp:
    """What the request handler serves: the runner (``explorer``: the session's methods, done by
    the runner), the token, where seeds are saved."""

    def __init__(self, runner: Runner, *, token: str | None = None, seed_file: Path | None = None,
                 reading_list: Path | None = None) -> None:
        self.runner = runner
        self.explorer = runner.session
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


def _check_text(body: dict) -> None:
    """Refuse a body whose strings are not text: JSON may escape a lone UTF-16 surrogate ("\\ud800"),
    which no identifier, title or file name can hold and which fails wherever it is encoded later."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone surrogate (an escape such as \\ud800), which is not text") from None


class _Handler(BaseHTTPRequestHandler):
    server_version = "citegraph"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    app: ServeApp  # set on the subclass made per server
    timeout = SOCKET_SECONDS
    header_seconds = HEADER_SECONDS

    def log_message(self, *args) -> None:  # the terminal shows the URL and progress, not access logs
        pass

    def handle_one_request(self) -> None:
        # a client trickling its headers never trips the socket timeout: a watchdog cuts it at the deadline
        watchdog = threading.Timer(self.header_seconds, self._headers_too_slow)
        watchdog.daemon = True
        self._watchdog = watchdog
        watchdog.start()
        try:
            super().handle_one_request()
        finally:
            watchdog.cancel()

    def parse_request(self) -> bool:
        ok = super().parse_request()
        self._watchdog.cancel()  # the headers are in: the token is checked next, before any body is read
        return ok

    def _headers_too_slow(self) -> None:
        import socket

        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _body_length(self) -> int | None:
        """The declared body length, strictly: digits only, at most ``_MAX_BODY``; else answers and ``None``."""
        raw = self.headers.get("Content-Length")
        if raw is None:
            self._error(HTTPStatus.LENGTH_REQUIRED, "a POST needs a Content-Length header")
            return None
        raw = raw.strip()
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            self._error(HTTPStatus.BAD_REQUEST, f"Content-Length {raw[:20]!r} is not a number of bytes")
            return None
        if int(raw) > _MAX_BODY:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large")
            return None
        return int(raw)

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
        route = ROUTES.get(("GET", path)) or (export_route if path.startswith("/api/export/") else None)
        if route is None:
            if ("POST", path) in ROUTES:
                self._error(HTTPStatus.METHOD_NOT_ALLOWED, f"{path} changes state: use POST")
            else:
                self._error(HTTPStatus.NOT_FOUND, f"no such page: {path}")
            return
        self._answer(lambda: route(self, path))

    def _answer(self, respond) -> None:
        """``respond()``, its error answered with :func:`status_of`'s status."""
        try:
            respond()
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # noqa: BLE001 - every error answers, a bug included, rather than leaving the page waiting
            if status_of(exc) == HTTPStatus.INTERNAL_SERVER_ERROR:
                self._bug(exc)
            else:
                self._error(status_of(exc), str(exc))

    def do_POST(self) -> None:
        allowed = self._allowed("POST")
        if allowed is None:
            return
        path, _ = allowed
        action = ROUTES.get(("POST", path))
        if action is None:
            self._error(HTTPStatus.NOT_FOUND, f"no such action: {path}")
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send a JSON body (Content-Type: application/json)")
            return
        length = self._body_length()
        if length is None:
            self.close_connection = True  # the body, if any, is not read: the connection cannot be reused
            return
        data = self.rfile.read(length)
        if len(data) < length:
            self.close_connection = True
            return  # the client went away mid-body
        try:
            if _json_depth(data) > _MAX_JSON_DEPTH:
                raise ValueError(f"nested more than {_MAX_JSON_DEPTH} levels deep")
            body = json.loads(data or b"{}")
            if not isinstance(body, dict):
                raise ValueError("a JSON object is expected")
            _check_text(body)
        except (ValueError, RecursionError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"bad JSON: {exc}")
            return
        self._answer(lambda: self._json(HTTPStatus.OK, action(self.app, body)))

    def _bug(self, exc: Exception) -> None:
        if not self.app.stopping.is_set():  # shutting down, the store may close under a request: not a bug
            _say_failed(f"{self.command} {urlsplit(self.path).path}", exc)
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
        runner, seq = self.app.runner, -1
        while not self.app.stopping.is_set():
            p = runner.wait_progress(seq, timeout=1.0)
            try:
                if p.seq != seq:
                    seq = p.seq
                    self.wfile.write(f"event: progress\ndata: {json.dumps(p.to_dict())}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                return

def _json_depth(data: bytes) -> int:
    """How deep the brackets of a JSON text nest (outside strings), without parsing it: the parser
    recurses, so 100,000 opening brackets must be refused before it sees them."""
    import re

    flat = re.sub(rb'"(?:[^"\\]|\\.)*"', b"", data)
    depth = deepest = 0
    for byte in flat:
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > _MAX_JSON_DEPTH:
                    break
        elif byte in b"]}":
            depth -= 1
    return deepest


def _say_failed(what: str, exc: BaseException) -> None:
    """One line on the server's terminal for a request that failed unexpectedly (never a traceback)."""
    import sys

    print(f"citegraph serve: {what} failed ({type(exc).__name__}: {str(exc)[:200]})", file=sys.stderr)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream must not keep the process alive on Ctrl-C
    allow_reuse_address = True
    max_connections = MAX_CONNECTIONS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(self.max_connections)

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            # every slot is held (slow or idle clients): answer at once rather than queue a thread
            try:
                request.settimeout(1.0)
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                                b"Content-Length: 29\r\nConnection: close\r\n\r\ntoo many connections; retry\n\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        # a connection dropped by the browser, or cut by Ctrl-C, is not worth a line on the terminal; anything
        # else is one line, never a traceback
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, CitegraphError)):
            return
        _say_failed("a request", exc)


def make_server(app: ServeApp, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``app`` on 127.0.0.1 (``port`` 0: any free port)."""
    handler = type("Handler", (_Handler,), {"app": app})
    try:
        server = _Server(("127.0.0.1", port), handler)
    except OSError as exc:
        raise CitegraphError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); try another --port") from exc
    app.port = server.server_address[1]
    return server


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if value != value:
        return None
    raise TypeError(f"cannot send {type(value).__name__} as JSON")
