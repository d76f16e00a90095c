"""Hostile batch and page answers for the S2 test server: an app for :class:`S2TestServer` (``app=``)
that answers from a dataset as the real API does, then lies in the way its mode says. Kept apart from
:mod:`.s2_server`, whose ``Faults.hostile`` modes break an answer's shape or values; these keep a
valid shape and lie about which papers they are, or about their size.

Example::

    with S2TestServer(app=HostileApi(S2Dataset.synthetic(10, []), "same_paper")) as server:
        ...
"""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

from .s2_dataset import S2Dataset
from .s2_server import _Api

HOSTILE_ANSWERS = {
    "same_paper": "every row of a batch answer is the first row's paper",
    "swap": "a batch answer's rows in reverse order",
    "same_id": "every row of a batch answer keeps its own paper but has the first row's paperId",
    "huge_refs": "every paper of a batch answer with `size` references (S2 nests at most 1,000)",
    "weird_ids": "every paperId of a batch answer (its references' too) a path, markup or spaces",
    "weird_refs": "every paper of a batch answer with references whose paperIds are a path, markup or spaces",
    "huge_page": "a citations page with `size` rows, whatever limit was asked",
    "gzip_bomb": "a batch answer gzipped, inflating to `size` bytes (JSON padded with spaces)",
    "bad_gzip": "a batch answer said to be gzipped whose body is no gzip stream",
}
WEIRD_IDS = ["../../etc/passwd", "<script>alert(1)</script>", "a b c"]


class HostileApi:
    """The test API over ``dataset`` with the lie ``mode`` (one of :data:`HOSTILE_ANSWERS`) in its answers."""

    def __init__(self, dataset: S2Dataset, mode: str, size: int = 5000) -> None:
        if mode not in HOSTILE_ANSWERS:
            raise ValueError(f"unknown mode {mode!r}; one of {sorted(HOSTILE_ANSWERS)}")
        self.api = _Api(dataset)
        self.mode = mode
        self.size = size

    def __call__(self, method: str, path: str, query: dict[str, str], body: bytes):
        status, payload = self.api(method, path, query, body)
        if status != 200:
            return status, payload
        if isinstance(payload, dict) and isinstance(payload.get("data"), list):
            if self.mode == "huge_page" and payload["data"]:
                rows = payload["data"]
                return status, {**payload, "data": [rows[i % len(rows)] for i in range(self.size)]}
            return status, payload
        if not isinstance(payload, list):
            return status, payload
        return self._batch(payload)

    def _batch(self, rows: list[Any]):
        mode = self.mode
        if mode == "same_paper":
            return 200, [rows[0] for _ in rows]
        if mode == "same_id":
            return 200, [None if r is None else {**r, "paperId": rows[0]["paperId"]} for r in rows]
        if mode == "swap":
            return 200, rows[::-1]
        if mode == "huge_refs":
            fake = [{"paperId": hashlib.sha1(f"HOSTILE/{i}".encode()).hexdigest()} for i in range(self.size)]
            return 200, [None if r is None else {**r, "references": fake} for r in rows]
        if mode in ("weird_ids", "weird_refs"):
            return 200, [None if r is None else {**r, "references": [{"paperId": w} for w in WEIRD_IDS],
                                                 **({"paperId": WEIRD_IDS[i % len(WEIRD_IDS)]}
                                                    if mode == "weird_ids" else {})}
                         for i, r in enumerate(rows)]
        if mode == "bad_gzip":
            return 200, b"\x1f\x8b SYNTH not a gzip stream" * 10, {"Content-Encoding": "gzip"}
        # gzip_bomb: whitespace is valid JSON padding and compresses about 1000 to 1
        data = json.dumps(rows).encode()
        padded = data[:-1] + b" " * max(0, self.size - len(data)) + data[-1:]
        return 200, gzip.compress(padded, 9), {"Content-Encoding": "gzip"}
