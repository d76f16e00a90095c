"""`citegraph serve` against hostile clients and hostile data, over real sockets (issue 20: 5, 6, 13)."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from graph.seeds import read_seeds
from graph.testing.s2_server import S2Dataset, S2TestServer
from test_serve import EDGES, Running, start_runner


@pytest.fixture
def dataset():
    ds = S2Dataset.synthetic(15, EDGES)
    # a title with a markdown link to another paper of the graph in it (SYNTH paper 2's arXiv page)
    ds.papers[ds.pid_of(10)]["title"] = "SYNTH paper 10, see [the other](https://arxiv.org/abs/2101.00002) **too**"
    return ds


@pytest.fixture
def s2(dataset):
    with S2TestServer(dataset) as server:
        yield server


@pytest.fixture
def listed(s2, tmp_path):
    """serve over a markdown reading list, so "Append to reading list" is on."""
    md = tmp_path / "list.md"
    md.write_text("# Reading\n\n## Basics\n\n1. **SYNTH paper 0**\n   - https://arxiv.org/abs/2101.00000\n",
                  encoding="utf-8")
    run = Running(start_runner([str(md)], store=tmp_path / "store.sqlite", api_url=s2.url, rate=0), tmp_path,
                  reading_list=md)
    yield run, md
    run.stop()  # stops the runner, which closes the session


# -- 5, 13: appending to the reading list ---------------------------------------------------------------
def test_append_pressed_twice_appends_once_and_nothing_new_appends_nothing(listed, dataset):
    run, md = listed
    original = md.read_text(encoding="utf-8")
    assert run.call("/api/save", {"to": "reading-list"})[1]["added"] == 0
    assert md.read_text(encoding="utf-8") == original  # no empty heading
    assert run.call("/api/seeds", {"add": ["2101.00010"]})[0] == 200
    first = run.call("/api/save", {"to": "reading-list"})[1]
    after_first = md.read_text(encoding="utf-8")
    second = run.call("/api/save", {"to": "reading-list"})[1]
    assert first["added"] == 1 and second["added"] == 0 and "nothing new" in second["message"]
    assert md.read_text(encoding="utf-8") == after_first and after_first.count("## Added in citegraph serve") == 1
    assert run.call("/api/seeds", {"add": ["2101.00011"]})[0] == 200
    assert run.call("/api/save", {"to": "reading-list"})[1]["added"] == 1  # only the new one
    text = md.read_text(encoding="utf-8")
    assert text.count("SYNTH paper 10") == 1 and text.count("2101.00011") == 1


def test_a_title_with_a_markdown_link_reads_back_as_itself(listed, dataset):
    run, md = listed
    run.call("/api/seeds", {"add": ["2101.00010"]})
    run.call("/api/save", {"to": "reading-list"})
    seeds = read_seeds([str(md)]).seeds
    assert [s.pid.value for s in seeds] == ["2101.00000", "2101.00010"]  # not 2101.00002, the link in the title
    assert seeds[1].title == dataset.papers[dataset.pid_of(10)]["title"]


# -- 6: slow and malformed clients --------------------------------------------------------------------------
def _post(run, body: bytes, length: str | None) -> bytes:
    """POST the headers (with ``Content-Length: length``), then ``body``; the whole answer."""
    head = (f"POST /api/cancel HTTP/1.1\r\nHost: 127.0.0.1:{run.app.port}\r\nX-Citegraph-Token: {run.app.token}\r\n"
            "Content-Type: application/json\r\nConnection: close\r\n")
    if length is not None:
        head += f"Content-Length: {length}\r\n"
    with socket.create_connection(("127.0.0.1", run.app.port), timeout=30) as sock:
        sock.sendall(head.encode() + b"\r\n")
        try:
            sock.sendall(body)  # a refusal comes before the body is read: it may be cut off here
        except OSError:
            pass
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
    return out


@pytest.mark.parametrize("length, status", [("-1", b"400"), ("abc", b"400"), ("1e3", b"400"), (None, b"411"),
                                            ("99999999999", b"400"), ("2000000", b"413")])
def test_a_bad_content_length_is_refused_without_reading_the_body(listed, capfd, length, status):
    run, _ = listed
    answer = _post(run, b"", length)
    assert answer.split(b" ", 2)[1] == status, answer[:200]
    assert "Traceback" not in capfd.readouterr().err


def test_json_nested_100k_deep_is_a_400_not_a_traceback(listed, capfd):
    run, _ = listed
    body = b"[" * 100_000 + b"]" * 100_000
    answer = _post(run, body, str(len(body)))
    assert answer.split(b" ", 2)[1] == b"400" and b"nested more than" in answer
    assert capfd.readouterr().err == ""


def test_slow_clients_hold_no_more_than_the_cap_and_are_cut_at_the_header_deadline(listed):
    run, _ = listed
    run.server._slots = threading.BoundedSemaphore(8)
    handler = run.server.RequestHandlerClass  # the class made for this server alone
    threads_before = threading.active_count()
    slow = []
    for _ in range(40):  # each sends half a request and never finishes its headers
        sock = socket.create_connection(("127.0.0.1", run.app.port), timeout=60)
        sock.sendall(b"GET /api/map HTTP/1.1\r\nHost: 127.0.0.1")
        slow.append(sock)
    try:
        # the first 8 hold a slot (until the header deadline); the other 32 are refused at once
        refused = [sock.recv(4096) for sock in slow[8:]]
        assert all(a.startswith(b"HTTP/1.1 503") for a in refused), refused
        assert threading.active_count() <= threads_before + 2 * 8 + 1  # a thread and a watchdog per slot
    finally:
        for sock in slow:
            sock.close()
    # the 8 slots come back as their handlers see the closed sockets (later on a loaded machine): wait for that
    for _ in range(8):
        assert run.server._slots.acquire(timeout=60)
    for _ in range(8):
        run.server._slots.release()
    handler.header_seconds = 0.3
    with socket.create_connection(("127.0.0.1", run.app.port), timeout=60) as sock:
        sock.sendall(b"GET /api/map HTTP/1.1\r\nHost: 127.0.0.1")
        assert sock.recv(4096) == b""  # cut at the deadline, however long the client would trickle
    assert run.call("/api/status")[0] == 200  # the slots came back
