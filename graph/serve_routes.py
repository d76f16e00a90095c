"""What each path of ``citegraph serve`` does: the page, the map, the actions, the downloads.

:data:`ROUTES` lists every path the server answers, by method; :mod:`graph.serve` checks each
request (host, token, origin, body) before handing it to its route, and answers a route's error with
:func:`graph.serve.status_of`'s status. A GET route is called with the request handler (it writes its
own answer); a POST route with the app and the JSON body, and returns the JSON answer.
"""

from __future__ import annotations

import html
import json
import shutil
import tempfile
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import CitegraphError
from .formats import FORMATS
from .text import plural

if TYPE_CHECKING:
    from .serve import ServeApp, _Handler

# the page's download buttons: every format but Parquet (a binary table few open by hand), the map last
EXPORTS = [(f.name, f.label) for f in sorted(FORMATS.values(), key=lambda f: f.name == "html")
           if f.name != "parquet"]


class RequestError(CitegraphError):
    """A request the server cannot act on as sent (a body of the wrong shape): 400."""


def live_page(explorer, token: str, *, seed_file: Path, reading_list: Path | None,
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


def _page(h: "_Handler", path: str) -> None:
    app = h.app
    with app.positions_lock:
        saved = dict(app.positions)
    page = live_page(app.explorer, app.token, seed_file=app.seed_file, reading_list=app.reading_list,
                     positions=saved).encode()
    h._headers(HTTPStatus.OK, "text/html; charset=utf-8", len(page))
    h.wfile.write(page)


def export_route(h: "_Handler", path: str) -> None:
    fmt = path.rsplit("/", 1)[1]
    if fmt not in FORMATS:
        h._error(HTTPStatus.NOT_FOUND, f"no export {fmt!r}; choose from {', '.join(FORMATS)}")
        return
    out = Path(tempfile.mkdtemp(dir=h.app.export_dir))
    try:
        files = h.app.explorer.export(out, "citegraph-map", [fmt])
        path = next(iter(files.values()))
        data = path.read_bytes()
        h._headers(HTTPStatus.OK, FORMATS[fmt].media_type, len(data),
                   {"Content-Disposition": f'attachment; filename="{path.name}"'})
        h.wfile.write(data)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _seeds_action(app: "ServeApp", body: dict) -> dict:
    add, remove = body.get("add") or [], body.get("remove") or []
    if not isinstance(add, list) or not isinstance(remove, list) or not all(isinstance(x, str) for x in add + remove):
        raise RequestError('expected {"add": [ids or titles], "remove": [paper ids]}')
    if not add and not remove:
        raise RequestError("nothing to add or remove")
    if len(add) + len(remove) > 500:
        raise RequestError("at most 500 papers a call")
    ex = app.explorer
    added, removed = ex.change_seeds(add, remove)  # one action: a bad removal leaves the seeds as they were
    requests = ex.progress().requests
    info = ex.summary()
    resolved = [{"input": r.seed.input, "paper_id": r.paper_id, "reason": r.reason} for r in added]
    n_ok = sum(1 for r in added if r.paper_id)
    parts = []
    if add:
        parts.append(f"added {n_ok} of {plural(len(add), 'seed')}")
        parts.extend(f"not added {r.seed.input!r}: {r.reason}" for r in added if not r.paper_id)
        new = {r.seed.input for r in added}
        parts.extend(f"already a seed: {a!r}" for a in add if a.strip() not in new)
    if removed:
        parts.append(f"removed {removed}")
    p = ex.progress()
    return {"message": "; ".join(parts) + f" ({plural(requests, 'request')})", "added": resolved, "removed": removed,
            "summary": info, "progress": p.to_dict()}


def _expand_action(app: "ServeApp", body: dict) -> dict:
    pid = body.get("paper_id")
    if not isinstance(pid, str) or not pid:
        raise RequestError('expected {"paper_id": "..."}')
    gained = app.explorer.expand_paper(pid)
    p = app.explorer.progress()
    return {"message": f"the graph gained {plural(gained, 'paper')} ({plural(p.requests, 'request')})", "gained": gained,
            "summary": app.explorer.summary(), "progress": p.to_dict()}


def _cancel_action(app: "ServeApp", body: dict) -> dict:
    app.runner.cancel()  # not queued behind the work it stops
    return {"message": "cancelling: the request under way is stopped, and no other is sent"}


def _save_action(app: "ServeApp", body: dict) -> dict:
    to = body.get("to", "text")
    if to == "text":
        saved = app.explorer.save_seeds(app.seed_file)
    elif to == "reading-list":
        if app.reading_list is None:
            raise RequestError("the seeds did not come from a markdown reading list")
        saved = app.explorer.save_seeds(app.reading_list)
    else:
        raise RequestError('"to" is "text" or "reading-list"')
    if saved.kind == "markdown" and not saved.added:
        return {"message": f"nothing new to append to {saved.path} since the last append", "path": str(saved.path),
                "seeds": saved.seeds, "added": 0}
    what = (f"appended {plural(saved.added, 'added seed')} to" if saved.kind == "markdown"
            else f"saved {plural(saved.seeds, 'seed')} to")
    return {"message": f"{what} {saved.path}", "path": str(saved.path), "seeds": saved.seeds, "added": saved.added}


MAX_POSITIONS = 20_000  # papers whose place is kept; a map shows at most a few hundred


def _positions_action(app: "ServeApp", body: dict) -> dict:
    """Keep where the page drew papers: ``{"positions": {paper id: [x, y]}}``, merged with what is kept."""
    given = body.get("positions")
    if not isinstance(given, dict) or len(given) > MAX_POSITIONS:
        raise RequestError(f'expected {{"positions": {{paper id: [x, y]}}}} with at most {MAX_POSITIONS:,} papers')
    clean = {}
    for pid, xy in given.items():
        if not (isinstance(pid, str) and 0 < len(pid) <= 200 and isinstance(xy, list) and len(xy) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e7 for v in xy)):
            raise RequestError(f"not a paper id and two finite numbers: {str(pid)[:80]!r}")
        clean[pid] = [float(xy[0]), float(xy[1])]
    with app.positions_lock:
        app.positions.update(clean)
        if len(app.positions) > MAX_POSITIONS:  # the oldest go first (dicts keep insertion order)
            for pid in list(app.positions)[:len(app.positions) - MAX_POSITIONS]:
                del app.positions[pid]
        return {"kept": len(app.positions)}


def _positions(h: "_Handler", path: str) -> None:
    with h.app.positions_lock:
        saved = dict(h.app.positions)
    h._json(HTTPStatus.OK, {"positions": saved})


# every path the server answers, by method (and /api/export/<format>, matched by its prefix)
ROUTES: dict[tuple[str, str], Callable[..., Any]] = {
    ("GET", "/"): _page,
    ("GET", "/api/map"): lambda h, path: h._json(HTTPStatus.OK, h.app.explorer.map()),
    ("GET", "/api/status"): lambda h, path: h._json(HTTPStatus.OK, h.app.runner.progress().to_dict()),
    ("GET", "/api/seeds"): lambda h, path: h._json(HTTPStatus.OK, {"seeds": h.app.explorer.seed_rows()}),
    ("GET", "/api/events"): lambda h, path: h._events(),
    ("GET", "/api/positions"): _positions,
    ("POST", "/api/seeds"): _seeds_action,
    ("POST", "/api/expand"): _expand_action,
    ("POST", "/api/cancel"): _cancel_action,
    ("POST", "/api/save"): _save_action,
    ("POST", "/api/positions"): _positions_action,
}
