"""Replay recorded Semantic Scholar responses (vcrpy cassettes) over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml


def _key(method: str, path: str, query: dict[str, str], body: bytes | str | None, *, with_fields=False):
    ids = None
    if body:
        try:
            ids = tuple(json.loads(body).get("ids", []))
        except (ValueError, AttributeError):
            ids = None
    # fields and limit are the client's choice; the page is picked by path, offset and body
    key = (method, path, query.get("offset", "0"), query.get("query"), ids)
    return key + (query.get("fields"),) if with_fields else key


class CassetteApp:
    """An app for :class:`S2TestServer` answering from recorded interactions."""

    def __init__(self, *cassettes: Path) -> None:
        self.responses = {}
        self.exact = {}
        for path in cassettes:
            for it in yaml.safe_load(Path(path).read_text())["interactions"]:
                req, resp = it["request"], it["response"]
                parts = urlsplit(req["uri"])
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                status = resp.get("status_code") or resp["status"]["code"]
                body = resp.get("content") if "content" in resp else resp["body"]["string"]
                self.responses.setdefault(_key(req["method"], parts.path, query, req.get("body")), (status, body))
                self.exact[_key(req["method"], parts.path, query, req.get("body"), with_fields=True)] = (status, body)

    def __call__(self, method, path, query, body):
        key = _key(method, path, query, body)
        hit = self.exact.get(_key(method, path, query, body, with_fields=True)) or self.responses.get(key)
        if hit is None:
            return 418, {"error": f"no recorded interaction for {key}"}
        status, text = hit
        return status, text.encode() if isinstance(text, str) else text
