"""The server without a browser: token, message checks, frame rate, one network per page."""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request

import pytest
from starlette.websockets import WebSocketDisconnect

from .conftest import LOCAL, TOKEN, local_client


def ws_url(token: str = TOKEN) -> str:
    return f"ws://{LOCAL}/ws?token={token}"  # absolute: the test client's websocket default
    # host is "testserver", which is no local name


def receive_until(ws, kind: str, limit: int = 50) -> dict:
    """Messages until one of type ``kind`` (frames etc. in between are skipped)."""
    for _ in range(limit):
        msg = ws.receive_json()
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind!r} message in {limit}")


def opened(client):
    ws = client.websocket_connect(ws_url())
    ws.__enter__()
    first = [ws.receive_json() for _ in range(3)]
    assert [m["type"] for m in first] == ["data", "state", "frame"]
    return ws, first


# ---------------------------------------------------------------------------- the token


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/static/style.css", "/nowhere"])
@pytest.mark.parametrize("query", ["", "?token=", "?token=wrong", f"?token={TOKEN}x"])
def test_every_request_needs_the_token(client, path, query):
    response = client.get(path + query)
    assert response.status_code == 403
    assert "token" in response.text


def test_the_page_and_its_files_with_the_token(client):
    page = client.get(f"/?token={TOKEN}")
    assert page.status_code == 200
    assert "<title>lucidnet playground</title>" in page.text
    assert f"static/app.js?token={TOKEN}" in page.text  # the scripts carry it too
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for name in ("app.js", "draw.js", "panels.js", "style.css"):
        assert client.get(f"/static/{name}?token={TOKEN}").status_code == 200
    assert client.get(f"/static/secret.py?token={TOKEN}").status_code == 404
    assert client.get(f"/static/..%2F__init__.py?token={TOKEN}").status_code == 404


@pytest.mark.parametrize("token", ["", "wrong", TOKEN[:-1]])
def test_a_websocket_needs_the_token(client, token):
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(ws_url(token)) as ws:
            ws.receive_json()
    assert info.value.code == 1008


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": f"token {TOKEN}"},
        {"authorization": f"Bearer {TOKEN}"},
        {"cookie": f"token={TOKEN}"},
        {"x-token": TOKEN},
    ],
)
def test_the_token_counts_in_the_query_only(client, headers):
    # a header or a cookie would be sent by the browser on its own, to any page's request
    assert client.get("/", headers=headers).status_code == 403
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(f"ws://{LOCAL}/ws", headers=headers) as ws:
            ws.receive_json()
    assert info.value.code == 1008


def test_the_real_server_refuses_requests_without_the_token(server):
    base = server.url.split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(base, timeout=5)
    assert info.value.code == 403
    info.value.close()
    with urllib.request.urlopen(server.url, timeout=5) as response:
        assert "lucidnet" in response.read().decode()
    assert server.host == "127.0.0.1"


# ---------------------------------------------------------------------------- Host and Origin
# A page on another site can point its own name at 127.0.0.1 (DNS rebinding): its requests
# then carry that name as Host. And any page can open a WebSocket to any address: only the
# Origin header tells the server whose page it is.

FOREIGN_HOSTS = [
    "evil.example",
    "evil.example:8000",
    "127.0.0.1.evil.example",
    "localhost.evil.example:8000",
    "[::2]:8000",
    "10.0.0.1:8000",
    "localhost:8000@evil.example",
    "localhost:http",
    "",
]


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_a_foreign_host_is_refused_even_with_the_token(client, host):
    response = client.get(f"/?token={TOKEN}", headers={"host": host})
    assert response.status_code == 403, host
    assert "Host" in response.text and "<title>" not in response.text
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(ws_url(), headers={"host": host}) as ws:
            ws.receive_json()
    assert info.value.code == 1008 and "Host" in info.value.reason


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8000", "LocalHost:8000", "127.0.0.1", "127.1.2.3:80", "[::1]:8000"],
)
def test_local_host_names_are_served(client, host):
    assert client.get(f"/?token={TOKEN}", headers={"host": host}).status_code == 200
    origin = f"http://{host.lower()}"
    with client.websocket_connect(ws_url(), headers={"host": host, "origin": origin}) as ws:
        assert ws.receive_json()["type"] == "data"


@pytest.mark.parametrize(
    ("bound", "served", "refused"),
    [
        ("192.168.1.5", ["192.168.1.5:8000", "localhost"], ["192.168.1.6:8000", "evil.example"]),
        ("lab.example", ["lab.example:8000", "LAB.example"], ["evil.example", "10.0.0.1"]),
        ("::", ["[fe80::1]:8000", "10.0.0.1:8000", "[::1]"], ["evil.example", "lab.example"]),
        ("0.0.0.0", ["192.168.1.5:8000", "127.0.0.1"], ["evil.example", "localhost.example"]),
        ("fe80::1", ["[FE80:0::1]:8000", "[::1]"], ["[fe80::2]", "evil.example"]),
    ],
)
def test_the_host_it_was_started_with_is_served(bound, served, refused):
    from lucidnet.playground.server import create_app

    with local_client(create_app(TOKEN, host=bound)) as c:
        for host in served:
            assert c.get(f"/?token={TOKEN}", headers={"host": host}).status_code == 200, host
        for host in refused:
            assert c.get(f"/?token={TOKEN}", headers={"host": host}).status_code == 403, host


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        f"http://{LOCAL}.evil.example",
        "http://localhost:8001",  # another port is another origin
        "http://127.0.0.1:8000",  # another name for this computer, but another origin
        "https://localhost:8000",
        "null",  # a sandboxed frame, a file:// page
        "",
        "localhost:8000",
    ],
)
def test_a_cross_origin_websocket_is_refused(client, origin):
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(ws_url(), headers={"origin": origin}) as ws:
            ws.receive_json()
    assert info.value.code == 1008 and "origin" in info.value.reason.lower()


def test_a_same_origin_websocket_and_one_without_origin_are_served(client):
    for headers in ({"origin": f"http://{LOCAL}"}, {"origin": "HTTP://LOCALHOST:8000"}, {}):
        with client.websocket_connect(ws_url(), headers=headers) as ws:
            assert ws.receive_json()["type"] == "data"


def raw_request(server, lines: list[str]) -> str:
    """The status line of the real server's answer to a raw HTTP request."""
    import socket

    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return sock.makefile("rb").readline().decode()


def test_the_real_server_checks_host_and_origin(server):
    path = f"/?token={server.token}"
    local = f"127.0.0.1:{server.port}"
    assert " 200 " in raw_request(server, [f"GET {path} HTTP/1.1", f"Host: {local}"])
    assert " 403 " in raw_request(server, [f"GET {path} HTTP/1.1", "Host: evil.example"])
    upgrade = [
        f"GET /ws?token={server.token} HTTP/1.1",
        f"Host: {local}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    assert " 101 " in raw_request(server, [*upgrade, f"Origin: http://{local}"])
    assert " 101 " in raw_request(server, upgrade)  # no Origin: not a browser's page
    assert " 403 " in raw_request(server, [*upgrade, "Origin: http://evil.example"])


# ---------------------------------------------------------------------------- bad messages

BAD = [
    ("not json", "valid JSON"),
    ("[1, 2]", '"type" string'),
    ('{"kind": "step"}', '"type" string'),
    ('{"type": "fly"}', "Unknown message type"),
    ('{"type": "config", "config": 3}', "JSON object"),
    ('{"type": "config", "config": {"hidden": [4, 99]}}', "'hidden' setting"),
    ('{"type": "config", "config": {"hidden": [1, 1, 1, 1, 1, 1, 1]}}', "'hidden' setting"),
    ('{"type": "config", "config": {"learningRate": -1}}', "'learningRate' setting"),
    ('{"type": "config", "config": {"learningRate": "fast"}}', "'learningRate' setting"),
    ('{"type": "config", "config": {"batchSize": true}}', "'batchSize' setting"),
    ('{"type": "config", "config": {"features": []}}', "'features' setting"),
    ('{"type": "config", "config": {"features": ["x3"]}}', "'features' setting"),
    ('{"type": "config", "config": {"activation": "gelu"}}', "'activation' setting"),
    ('{"type": "config", "config": {"dataset": "mnist"}}', "'dataset' setting"),
    ('{"type": "config", "config": {"dataset": "csv"}}', "upload one first"),
    ('{"type": "config", "config": {"dataset": "reg-plane"}}', "identity output"),
    ('{"type": "config", "config": {"noise": 1e309}}', "'noise' setting"),
    ('{"type": "config", "config": {"sneaky": 1}}', "Unknown setting"),
    ('{"type": "csv", "text": 5}', "as text"),
    ('{"type": "csv", "text": ""}', "empty"),
    ('{"type": "csv", "text": "a,b\\n1,2\\n"}', "at least three"),
    ('{"type": "csv", "text": "a,b,c\\nx,y,z\\n"}', "numeric columns"),
    ('{"type": "csv", "text": "a,b,c\\n1,2\\n"}', "Line 2"),
    (
        '{"type": "use-csv", "x1": "a", "x2": "b", "target": "c", "task": "classification"}',
        "Upload a CSV",
    ),
]


def test_bad_messages_get_a_clear_error_and_the_page_carries_on(client):
    ws, _ = opened(client)
    try:
        for text, expected in BAD:
            ws.send_text(text)
            msg = receive_until(ws, "error")
            assert expected in msg["message"], (text, msg["message"])
        ws.send_text("[" * 200_000)
        assert "valid JSON" in receive_until(ws, "error")["message"]
        ws.send_bytes(b"\x00\x01")
        assert "JSON text" in receive_until(ws, "error")["message"]
        ws.send_text(json.dumps({"type": "csv", "text": "a" * 4_100_000}))
        assert "too large" in receive_until(ws, "error")["message"]
        # nothing above changed the session: it still has its defaults and trains
        ws.send_text('{"type": "step"}')
        frame = receive_until(ws, "frame")
        assert frame["steps"] == 1
        assert frame["n"] == [2, 4, 2, 1]
    finally:
        ws.__exit__(None, None, None)


def test_a_csv_upload_then_its_columns(client):
    rows = ["height,width,colour,kind"] + [
        f"{i % 7},{(i * 3) % 11},{'red' if i % 2 else 'blue'},{'a' if i % 3 else 'b'}"
        for i in range(60)
    ]
    ws, _ = opened(client)
    try:
        ws.send_text(json.dumps({"type": "csv", "name": "t.csv", "text": "\n".join(rows)}))
        cols = receive_until(ws, "csv-columns")
        assert cols["numeric"] == ["height", "width"]
        assert cols["all"] == ["height", "width", "colour", "kind"]
        ws.send_text(
            json.dumps(
                {
                    "type": "use-csv",
                    "x1": "height",
                    "x2": "height",
                    "target": "kind",
                    "task": "classification",
                }
            )
        )
        assert "three different" in receive_until(ws, "error")["message"]
        ws.send_text(
            json.dumps(
                {
                    "type": "use-csv",
                    "x1": "height",
                    "x2": "width",
                    "target": "kind",
                    "task": "regression",
                }
            )
        )
        assert "regression needs numbers" in receive_until(ws, "error")["message"]
        ws.send_text(
            json.dumps(
                {
                    "type": "use-csv",
                    "x1": "height",
                    "x2": "width",
                    "target": "kind",
                    "task": "classification",
                }
            )
        )
        data = receive_until(ws, "data")
        assert data["classes"] == ["a", "b"] and data["names"] == ["height", "width", "kind"]
        state = receive_until(ws, "state")
        assert state["config"]["dataset"] == "csv"
        assert receive_until(ws, "frame")["steps"] == 0  # a fresh network for the new data
        ws.send_text('{"type": "step"}')
        assert receive_until(ws, "frame")["steps"] == 1
    finally:
        ws.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("text", "line"), [("a,b,c\\n1,2,\\ud800\\n3,4,5\\n", 2), ("a,b\\udfff,c\\n1,2,3\\n", 1)]
)
def test_a_csv_with_a_lone_surrogate_is_a_data_error(client, text, line):
    # JSON can carry half of a UTF-16 pair (a lone \ud800 escape); no text file holds one
    ws, _ = opened(client)
    try:
        ws.send_text('{"type": "csv", "name": "t.csv", "text": "' + text + '"}')
        message = receive_until(ws, "error")["message"]
        assert "Internal error" not in message, message
        assert "not valid Unicode" in message and "UTF-8" in message, message
        assert f"line {line}" in message, message
        ws.send_text('{"type": "step"}')  # the page carries on
        assert receive_until(ws, "frame")["steps"] == 1
    finally:
        ws.__exit__(None, None, None)


# ---------------------------------------------------------------------------- training


def test_frames_while_playing_come_at_a_bounded_rate(app):
    from lucidnet.playground.server import create_app

    slow = create_app(TOKEN, max_fps=5)
    with local_client(slow) as client:
        ws, _ = opened(client)
        try:
            ws.send_text('{"type": "play"}')
            receive_until(ws, "frame")  # the answer to play
            frames = [receive_until(ws, "frame") for _ in range(6)]
            ws.send_text('{"type": "pause"}')
        finally:
            ws.__exit__(None, None, None)
    # at 5 frames a second the server sends them at least 0.2 s apart (its own clock: a
    # loaded client may read several queued frames at once)
    sent = [f["sent"] for f in frames]
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert sent[-1] - sent[0] >= 5 * 0.2 * 0.95, gaps  # five intervals, on average ≥ 0.2 s
    assert min(gaps) >= 0.2 - 2e-6, gaps  # each one: sent once 0.2 s have passed (µs stamps)
    steps = [f["steps"] for f in frames]
    assert steps == sorted(steps) and steps[-1] > steps[0]


def test_concurrent_pages_each_have_their_own_network(client):
    ws1, _ = opened(client)
    ws2, _ = opened(client)
    try:
        ws1.send_text(json.dumps({"type": "config", "config": {"hidden": [3, 3, 3]}}))
        assert receive_until(ws1, "frame")["n"] == [2, 3, 3, 3, 1]
        ws2.send_text(
            json.dumps({"type": "config", "config": {"dataset": "blobs3", "output": "softmax"}})
        )
        assert receive_until(ws2, "frame")["n"] == [2, 4, 2, 3]
        for _ in range(3):
            ws1.send_text('{"type": "step"}')
            last = receive_until(ws1, "frame")
        assert last["steps"] == 3
        ws2.send_text('{"type": "step"}')
        other = receive_until(ws2, "frame")
        assert other["steps"] == 1 and other["n"] == [2, 4, 2, 3]
    finally:
        ws1.__exit__(None, None, None)
        ws2.__exit__(None, None, None)


def test_the_views_and_the_download_over_the_socket(client):
    ws, _ = opened(client)
    try:
        for kind in ("trace", "gradcheck", "collapse", "download"):
            ws.send_text(json.dumps({"type": kind}))
        trace = receive_until(ws, "trace")
        assert trace["forward"][1][0] == "Z[1] = W[1] @ A[0] + b[1]"
        assert trace["forward"][1][1] == "(4×10) = (4×2)(2×10) + (4×1) broadcast"
        assert receive_until(ws, "gradcheck")["passed"] is True
        assert "tanh" in receive_until(ws, "collapse")["message"]
        model = receive_until(ws, "model")
        assert model["name"].endswith(".safetensors") and model["data"]
    finally:
        ws.__exit__(None, None, None)


def test_a_diverging_run_pauses_with_a_message(client):
    ws, _ = opened(client)
    try:
        ws.send_text(
            json.dumps(
                {
                    "type": "config",
                    "config": {
                        "dataset": "reg-gauss",
                        "output": "identity",
                        "activation": "relu",
                        "hidden": [8, 8, 8, 8, 8, 8],
                        "learningRate": 10,
                        "batchSize": 1,
                    },
                }
            )
        )
        receive_until(ws, "state")
        ws.send_text('{"type": "play"}')
        msg = receive_until(ws, "error", limit=500)
        assert "diverged" in msg["message"]
        frame = receive_until(ws, "frame")
        assert frame["running"] is False
    finally:
        ws.__exit__(None, None, None)


def test_the_command_line_serves_and_prints_the_address():
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "lucidnet", "playground", "--no-browser"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("lucidnet playground: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()
        assert "?token=" in url
        with urllib.request.urlopen(url, timeout=10) as response:
            assert "<title>lucidnet playground</title>" in response.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_only_loopback_addresses_pass_without_a_warning():
    from lucidnet.playground.server import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_pages_beyond_the_limit_are_turned_away():
    from lucidnet.playground.server import create_app

    with local_client(create_app(TOKEN, max_pages=1)) as client:
        ws, _ = opened(client)
        try:
            with pytest.raises(WebSocketDisconnect) as info:
                with client.websocket_connect(ws_url()) as second:
                    second.receive_json()
            assert info.value.code == 1013
        finally:
            ws.__exit__(None, None, None)
        ws, _ = opened(client)  # the first page's place is free again
        ws.__exit__(None, None, None)


# ---------------------------------------------------------------------------- where it listens


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("256.1.1.1", "not an IP address or a name"),
        ("192.0.2.1", "not an address of this computer"),
    ],
)
def test_a_host_it_cannot_listen_on_is_named(host, says):
    from lucidnet.playground.server import PlaygroundServer

    with pytest.raises(OSError) as info:
        PlaygroundServer(host)
    message = str(info.value)
    assert repr(host) in message and says in message and "--host" in message, message
    assert "--port" not in message, message


@pytest.mark.parametrize(("host", "bound"), [("", "0.0.0.0"), ("localhost", "127.0.0.1")])
def test_a_name_or_nothing_listens_where_it_did(host, bound):
    from lucidnet.playground.server import PlaygroundServer

    server = PlaygroundServer(host)
    try:
        assert server.socket.getsockname()[0] == bound
    finally:
        server.socket.close()


def test_a_port_in_use_says_to_choose_another_port():
    import socket

    from lucidnet.playground.server import PlaygroundServer

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(OSError) as info:
            PlaygroundServer("127.0.0.1", port)
    message = str(info.value)
    assert f"port {port}" in message and "choose another --port" in message, message
    assert "--host" not in message, message


def test_the_command_line_names_the_bad_host(capsys):
    from lucidnet.cli import main

    assert main(["playground", "--host", "256.1.1.1", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lucidnet: error: Cannot listen on '256.1.1.1'"), err
    assert "choose another --host" in err and "unexpected" not in err, err


def huge_csv() -> str:
    """60 rows whose column 'a' holds ±1e308, the largest floats' size."""
    rows = ["a,b,c"] + [f"{(-1) ** i * 1e308!r},{i % 5},{'xy'[i % 2]}" for i in range(60)]
    return "\n".join(rows)


def use_csv(ws, text: str) -> None:
    ws.send_text(json.dumps({"type": "csv", "name": "huge.csv", "text": text}))
    receive_until(ws, "csv-columns")
    choice = {"x1": "a", "x2": "b", "target": "c", "task": "classification"}
    ws.send_text(json.dumps({"type": "use-csv", **choice}))


def test_a_csv_column_of_huge_numbers_is_refused_and_the_page_carries_on(client):
    ws, _ = opened(client)
    try:
        use_csv(ws, huge_csv())
        message = receive_until(ws, "error")["message"]
        assert "Column 'a' holds '1e+308' on line 2" in message and "rescale" in message
        ws.send_text('{"type": "step"}')
        frame = receive_until(ws, "frame")
        assert frame["steps"] == 1 and frame["trainLoss"] is not None
    finally:
        ws.__exit__(None, None, None)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflows themselves
def test_reset_recovers_even_from_data_that_overflow(client, monkeypatch):
    # were such data let through, every frame would overflow, a fresh network's too:
    # reset then goes back to the default data set, and says so
    from lucidnet.playground import datasets

    monkeypatch.setattr(datasets, "MAX_CSV_MAGNITUDE", float("inf"), raising=False)
    ws, _ = opened(client)
    try:
        use_csv(ws, huge_csv())
        assert "no longer finite" in receive_until(ws, "error")["message"]  # the points
        assert receive_until(ws, "state")["config"]["dataset"] == "csv"
        assert "no longer finite" in receive_until(ws, "error")["message"]  # the frame
        ws.send_text('{"type": "reset"}')
        message = receive_until(ws, "error")["message"]
        assert "went back to the 'circle' data" in message and "reset" not in message, message
        assert receive_until(ws, "data")["names"] == ["x1", "x2", "y"]
        assert receive_until(ws, "state")["config"]["dataset"] == "circle"
        frame = receive_until(ws, "frame")
        assert frame["steps"] == 0 and frame["trainLoss"] is not None
        ws.send_text('{"type": "step"}')
        assert receive_until(ws, "frame")["steps"] == 1
    finally:
        ws.__exit__(None, None, None)
