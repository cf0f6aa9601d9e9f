"""The server under attack, kept so: traversal, the page cap, bad messages, CSV limits, memory.

The real server (uvicorn, in this process or another) is driven by a small WebSocket client
built on wsproto, the library the server itself speaks through, so that a connection can be
dropped without a closing handshake and a client can stop reading.
"""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import time
from typing import Any

import pytest

from lucidnet.playground.datasets import (
    MAX_CSV_BYTES,
    MAX_CSV_COLUMNS,
    DataError,
    csv_columns,
)

from .conftest import TOKEN
from .test_server import opened, raw_request, receive_until

wsproto = pytest.importorskip("wsproto")
from wsproto import ConnectionType, WSConnection  # noqa: E402
from wsproto.events import (  # noqa: E402
    AcceptConnection,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)


class Page:
    """One page's WebSocket to a real server, over a plain socket (no browser)."""

    def __init__(self, host: str, port: int, token: str, *, rcvbuf: int | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:  # set before connecting: it bounds the advertised window
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect((host, port))
        self.conn = WSConnection(ConnectionType.CLIENT)
        self.pending: list[Any] = []
        self.parts: list[str] = []
        self.received = 0  # bytes read from the socket
        self.sock.sendall(
            self.conn.send(Request(host=f"{host}:{port}", target=f"/ws?token={token}"))
        )
        event = self._next_event()
        self.status = 101 if isinstance(event, AcceptConnection) else event.status_code

    def _next_event(self) -> Any:
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.received += len(data)
            self.conn.receive_data(data)
            self.pending.extend(self.conn.events())
        return self.pending.pop(0)

    def receive(self) -> dict[str, Any]:
        while True:
            event = self._next_event()
            if isinstance(event, TextMessage):
                self.parts.append(event.data)
                if event.message_finished:
                    text, self.parts = "".join(self.parts), []
                    return json.loads(text)
            elif isinstance(event, (RejectConnection, RejectData)):
                raise ConnectionError(f"refused: {event}")

    def receive_until(self, kind: str, limit: int = 200) -> dict[str, Any]:
        for _ in range(limit):
            msg = self.receive()
            if msg["type"] == kind:
                return msg
        raise AssertionError(f"no {kind!r} message in {limit}")

    def send(self, text: str) -> None:
        self.sock.sendall(self.conn.send(TextMessage(data=text)))

    def drop(self) -> None:
        """Gone without a closing handshake: the socket is reset (RST), as a crashed tab's."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


# ---------------------------------------------------------------------------- traversal


@pytest.mark.parametrize(
    "path",
    [
        "/static/../server.py",
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/server.py",
        "/static/..%2fserver.py",
        "/static/..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/%2e%2e%2fserver.py",
        "/static/..%5cserver.py",
        "/static/....//server.py",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/app.js%00.py",
        "/static/.%2fapp.js",
        "/static/static/app.js",
        "/static/__init__.py",
        "/static/index.html/../../server.py",
    ],
)
def test_path_traversal_on_the_real_server_is_not_found(server, path):
    # a raw request line: no client normalises the dots or the escapes away
    sep = "&" if "?" in path else "?"
    status = raw_request(
        server,
        [f"GET {path}{sep}token={server.token} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"],
    )
    assert " 404 " in status, (path, status)


# ---------------------------------------------------------------------------- the page cap


def test_the_page_cap_recovers_after_abrupt_disconnects():
    from lucidnet.playground.server import PlaygroundServer

    with PlaygroundServer(max_fps=20) as server:  # the default cap: 16 pages

        def page() -> Page:
            return Page(server.host, server.port, server.token, rcvbuf=4096)

        for _round in range(2):
            pages = [page() for _ in range(16)]
            assert [p.status for p in pages] == [101] * 16
            for i, p in enumerate(pages):
                assert p.receive()["type"] == "data"
                if i % 2:  # half of them play, and none reads again: their sends block
                    p.send('{"type": "play"}')
            refused = page()
            refused.sock.close()
            assert refused.status == 403  # the 17th is turned away
            time.sleep(0.5)
            for p in pages:
                p.drop()
            # every place comes free again, without a closing handshake from any page
            deadline = time.monotonic() + 20
            while True:
                probe = page()
                if probe.status == 101:
                    probe.drop()
                    break
                probe.sock.close()
                assert time.monotonic() < deadline, "the dropped pages still hold the cap"
                time.sleep(0.1)
            time.sleep(0.5)  # the probe's own place comes free too
        last = [page() for _ in range(16)]
        try:
            assert [p.status for p in last] == [101] * 16
            assert [last[0].receive()["type"] for _ in range(3)] == ["data", "state", "frame"]
            last[0].send('{"type": "step"}')
            assert last[0].receive_until("frame")["steps"] == 1
        finally:
            for p in last:
                p.drop()


# ---------------------------------------------------------------------------- bad messages

DEEP = 100_000
HUGE_INT = "9" * 5000

BAD_MORE = [
    ("[" * DEEP + "]" * DEEP, "valid JSON"),
    ('{"type": "config", "config": ' + "[" * DEEP + "]" * DEEP + "}", "valid JSON"),
    ('{"type": "config", "config": {"a": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}}", ""),
    (HUGE_INT, "valid JSON"),
    ('{"type": "config", "config": {"learningRate": ' + HUGE_INT + "}}", ""),
    ('{"type": "config", "config": {"batchSize": ' + HUGE_INT + "}}", ""),
    ('{"type": "config", "config": {"seed": ' + HUGE_INT + "}}", ""),
    ('{"type": ' + HUGE_INT + "}", ""),
    ('{"type": "config", "config": {"learningRate": NaN}}', "'learningRate' setting"),
    ('{"type": "config", "config": {"learningRate": Infinity}}', "'learningRate' setting"),
    ('{"type": "config", "config": {"learningRate": -Infinity}}', "'learningRate' setting"),
    ('{"type": "config", "config": {"learningRate": 1e999}}', "'learningRate' setting"),
    ('{"type": "config", "config": {"l2": NaN}}', "'l2' setting"),
    ('{"type": "config", "config": {"batchSize": 0}}', "'batchSize' setting"),
    ('{"type": "config", "config": {"batchSize": -1}}', "'batchSize' setting"),
    ('{"type": "config", "config": {"batchSize": NaN}}', "'batchSize' setting"),
    ('{"type": "config", "config": {"hidden": [2, 2, 2, 2, 2, 2, 2]}}', "'hidden' setting"),
    ('{"type": "config", "config": {"hidden": [9]}}', "'hidden' setting"),
    ('{"type": "config", "config": {"hidden": [4, 9]}}', "'hidden' setting"),
    ('{"type": "config", "config": {"hidden": [0]}}', "'hidden' setting"),
    ('{"type": "config", "config": {"hidden": [4.5]}}', "'hidden' setting"),
    ('{"type": "config", "config": {"learningRate": 0.1, "momentum": 0.9}}', "Unknown setting"),
    ('{"type": "config", "config": {"__proto__": {}}}', "Unknown setting"),
    ('{"type": "step", "extra": 1, "unknown": [1, 2]}', None),  # extra keys: ignored
]


def check_bad_messages(send, send_bytes, until) -> None:
    for text, expected in BAD_MORE:
        send(text)
        if expected is None:
            assert until("frame")["steps"] == 1
            continue
        message = until("error")["message"]
        assert "Internal error" not in message, (text[:80], message)
        assert expected in message, (text[:80], message)
    send_bytes(b"\x00\xff binary, not text")
    assert "JSON text" in until("error")["message"]
    # nothing above changed the settings, and the connection carries on
    send('{"type": "step"}')
    frame = until("frame")
    assert frame["steps"] == 2 and frame["n"] == [2, 4, 2, 1]


def test_more_bad_messages_are_each_answered_and_the_page_carries_on(client):
    ws, _ = opened(client)
    try:
        check_bad_messages(ws.send_text, ws.send_bytes, lambda kind: receive_until(ws, kind))
    finally:
        ws.__exit__(None, None, None)


def test_bad_messages_on_the_real_server_keep_the_connection(server):
    # the real server answers on uvicorn's thread: deep nesting must not overflow its stack
    from wsproto.events import BytesMessage

    page = Page(server.host, server.port, server.token)
    assert page.status == 101
    try:
        check_bad_messages(
            page.send,
            lambda data: page.sock.sendall(page.conn.send(BytesMessage(data=data))),
            page.receive_until,
        )
    finally:
        page.drop()


# ---------------------------------------------------------------------------- CSV limits


def numeric_csv(columns: int, rows: int = 3) -> str:
    header = ",".join(f"c{j}" for j in range(columns))
    return "\n".join([header] + [",".join(str(i + j) for j in range(columns)) for i in range(rows)])


def test_csv_limits_are_enforced():
    # 2 MB: just under passes, just over is refused, counted in UTF-8 bytes
    line = "1,2,3\n"
    body = line * ((MAX_CSV_BYTES - 7) // len(line))
    under = "a,b,c\n" + body[: MAX_CSV_BYTES - 6 - 2000]
    assert len(under.encode()) <= MAX_CSV_BYTES
    with pytest.raises(DataError, match="at most 5000"):  # under 2 MB: the row limit speaks
        csv_columns(under)
    over = "a,b,c\n" + "1,2,3\n" * 2 + "x" * MAX_CSV_BYTES
    with pytest.raises(DataError, match="larger than 2 MB"):
        csv_columns(over)
    wide = "a,b,c\n1,2,3\n4,5,6\n7,8,9\n" + "\u00e9" * (MAX_CSV_BYTES // 2)  # 2 bytes each
    assert len(wide) < MAX_CSV_BYTES < len(wide.encode())
    with pytest.raises(DataError, match="larger than 2 MB"):
        csv_columns(wide)
    # 101 columns
    assert MAX_CSV_COLUMNS == 100
    assert len(csv_columns(numeric_csv(100))["all"]) == 100
    with pytest.raises(DataError, match="has 101 columns; at most 100"):
        csv_columns(numeric_csv(101))
    # NUL
    for text in ("a,b,c\n1,2,3\n4,5\x006\n7,8,9\n", "a\x00,b,c\n1,2,3\n"):
        with pytest.raises(DataError, match="NUL"):
            csv_columns(text)
    # ragged rows: too few and too many fields
    for text, line_no in (("a,b,c\n1,2,3\n4,5\n", 3), ("a,b,c\n1,2,3\n4,5,6,7\n", 3)):
        with pytest.raises(DataError, match=f"Line {line_no} has"):
            csv_columns(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,c\n" + "1,2,3\n" * 2 + "x" * MAX_CSV_BYTES, "larger than 2 MB"),
        (numeric_csv(101), "101 columns"),
        ("a,b,c\n1,2,3\n4,\x005,6\n", "NUL"),
        ("a,b,c\n1,2,3\n4,5,6,7\n", "Line 3"),
    ],
)
def test_csv_limits_over_the_socket_keep_the_page(client, text, expected):
    ws, _ = opened(client)
    try:
        ws.send_text(json.dumps({"type": "csv", "name": "t.csv", "text": text}))
        message = receive_until(ws, "error")["message"]
        assert expected in message and "Internal error" not in message, message
        ws.send_text('{"type": "use-csv", "x1": "a", "x2": "b", "target": "c", "task": "x"}')
        assert "Upload a CSV" in receive_until(ws, "error")["message"]  # nothing was kept
        ws.send_text('{"type": "step"}')
        assert receive_until(ws, "frame")["steps"] == 1
    finally:
        ws.__exit__(None, None, None)


# ---------------------------------------------------------------------------- memory

SERVE = """
import sys, time
from lucidnet.playground.server import PlaygroundServer
server = PlaygroundServer(max_fps=1000, token=sys.argv[1])
server.start()
print(server.port, flush=True)
time.sleep(600)
"""


def resident_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc: Linux")
def test_a_client_that_never_reads_keeps_the_servers_memory_flat():
    proc = subprocess.Popen([sys.executable, "-c", SERVE, TOKEN], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        # what the server produces for a page that reads: its frames, as fast as it trains
        reader = Page("127.0.0.1", port, TOKEN)
        reader.send('{"type": "play"}')
        start, first = time.monotonic(), reader.received
        while time.monotonic() - start < 2:
            reader.receive()
        rate = (reader.received - first) / (time.monotonic() - start)  # bytes a second
        reader.send('{"type": "pause"}')
        reader.drop()
        # a page that plays and never reads: without back-pressure its frames pile up
        stalled = Page("127.0.0.1", port, TOKEN, rcvbuf=4096)
        stalled.send('{"type": "play"}')
        time.sleep(2)
        before = resident_mb(proc.pid)
        seconds = min(30.0, max(10.0, 48e6 / rate))  # long enough to offer about 48 MB
        time.sleep(seconds)
        grew = resident_mb(proc.pid) - before
        would_be = rate * seconds / 1e6
        assert grew < 16, f"the server grew by {grew:.1f} MB ({would_be:.0f} MB were offered)"
        assert would_be > 2 * 16, f"only {would_be:.0f} MB offered: the test tells nothing"
        stalled.drop()
        # the server still serves a new page
        again = Page("127.0.0.1", port, TOKEN)
        try:
            assert [again.receive()["type"] for _ in range(3)] == ["data", "state", "frame"]
            again.send('{"type": "step"}')
            assert again.receive_until("frame")["steps"] == 1
        finally:
            again.drop()
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
