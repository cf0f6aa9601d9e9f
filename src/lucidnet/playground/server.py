"""The web server: the page, its static files and one WebSocket per page (Starlette + uvicorn).

Safe by default, as Jupyter is: it binds 127.0.0.1, answers only to local Host names
and the address it was started with, accepts WebSockets from its own page only, and
every request and every WebSocket must carry the random token printed at start
(``?token=...``); otherwise the answer is 403 and nothing runs (see
:mod:`lucidnet.playground.access`). Each WebSocket gets its own :class:`Session` (its own
data and network). Every message is checked (size, JSON, type, every field's bounds)
and a bad one is answered with ``{"type": "error", "message": ...}``: the connection,
the session and the server carry on, and nothing trains on what was refused.

While a page plays, its connection trains in slices and pushes at most ``max_fps``
frames a second.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import html
import json
import logging
import math
import secrets
import socket
import threading
import time
from collections.abc import Mapping
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket, WebSocketDisconnect

from lucidnet.playground import views
from lucidnet.playground.access import SECURITY_HEADERS, HostGate, TokenGate
from lucidnet.playground.config import ConfigError, parse_config
from lucidnet.playground.datasets import MAX_CSV_BYTES, DataError, csv_columns
from lucidnet.playground.export import model_file
from lucidnet.playground.session import Session

__all__ = ["MAX_MESSAGE_BYTES", "ListenError", "create_app", "new_token"]

log = logging.getLogger("lucidnet.playground")

MAX_MESSAGE_BYTES = 2 * MAX_CSV_BYTES + 64_000  # a CSV upload, JSON-escaped, is the largest
STATIC_FILES = {
    "app.js": "text/javascript",
    "draw.js": "text/javascript",
    "panels.js": "text/javascript",
    "style.css": "text/css",
}


def new_token() -> str:
    """A random URL-safe token (32 bytes of entropy)."""
    return secrets.token_urlsafe(32)


def _static(name: str) -> str:
    return (resources.files("lucidnet.playground") / "static" / name).read_text("utf-8")


def create_app(
    token: str, *, max_fps: float = 10.0, max_pages: int = 16, host: str = "127.0.0.1"
) -> ASGIApp:
    """The playground as an ASGI app behind its gates (see :mod:`lucidnet.playground.access`).

    Parameters
    ----------
    token : str
        Required as ``?token=`` on every request and WebSocket.
    max_fps : float, default=10
        At most this many frames a second per playing page.
    max_pages : int, default=16
        At most this many pages (WebSockets, each with its own network) at once.
    host : str, default="127.0.0.1"
        The address the server listens on: requests are served when their Host is a local
        name (localhost, 127.0.0.0/8, ::1) or this one, and WebSockets when their Origin,
        if any, is the page's own.
    """
    if not isinstance(token, str) or len(token) < 16:
        raise ValueError("The token must be a string of at least 16 characters.")
    if not (math.isfinite(max_fps) and max_fps > 0):
        raise ValueError(f"max_fps must be a positive number; got {max_fps!r}.")
    files = {name: _static(name) for name in STATIC_FILES}
    page = _static("index.html").replace("__TOKEN__", html.escape(token, quote=True))
    pages = {"open": 0}

    async def index(request: Request) -> Response:
        return Response(page, media_type="text/html", headers=SECURITY_HEADERS)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            return PlainTextResponse("not found\n", status_code=404)
        return Response(files[name], media_type=STATIC_FILES[name], headers=SECURITY_HEADERS)

    async def websocket(ws: WebSocket) -> None:
        if pages["open"] >= max_pages:
            await ws.close(code=1013, reason=f"at most {max_pages} pages at once")
            return
        pages["open"] += 1
        try:
            await ws.accept()
            await Connection(ws, max_fps).run()
        finally:
            pages["open"] -= 1

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/static/{name}", static),
            WebSocketRoute("/ws", websocket),
        ]
    )
    return HostGate(TokenGate(app, token), host)


class Connection:
    """One page: its session, its message loop and, while playing, its training task."""

    def __init__(self, ws: WebSocket, max_fps: float) -> None:
        self.ws = ws
        self.interval = 1.0 / max_fps
        self.session = Session()
        self.pending_csv: str | None = None
        self.trainer: asyncio.Task[None] | None = None

    async def run(self) -> None:
        await self.send(views.data_points(self.session))
        await self.send_state()
        await self.send(views.frame(self.session))
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await self.handle(message)
        except (WebSocketDisconnect, RuntimeError):  # gone, or closed while we answered
            pass
        finally:
            await self.stop_training()

    async def send(self, payload: dict[str, Any]) -> None:
        text = as_json(payload)
        if text is None:
            text = json.dumps(
                {
                    "type": "error",
                    "message": "The network's numbers are no "
                    "longer finite; press reset and lower the learning rate.",
                }
            )
        await self.ws.send_text(text)

    async def error(self, message: str) -> None:
        await self.send({"type": "error", "message": message})

    async def send_state(self) -> None:
        s = self.session
        await self.send({"type": "state", "config": s.config.as_dict(), "csv": s.csv_choice})

    # ------------------------------------------------------------------ messages

    async def handle(self, message: Mapping[str, Any]) -> None:
        text = message.get("text")
        if text is None:
            await self.error("Messages must be JSON text, not binary.")
            return
        if len(text) > MAX_MESSAGE_BYTES:
            await self.error(f"Message too large ({len(text)} bytes; at most {MAX_MESSAGE_BYTES}).")
            return
        try:
            msg = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            await self.error("Messages must be JSON objects; this one is not valid JSON.")
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            await self.error('Messages must be JSON objects with a "type" string.')
            return
        handler = getattr(self, "on_" + msg["type"].replace("-", "_"), None)
        if msg["type"] not in MESSAGE_TYPES or handler is None:
            await self.error(
                f"Unknown message type {msg['type'][:40]!r}; known: {', '.join(MESSAGE_TYPES)}."
            )
            return
        try:
            await handler(msg)
        except (ConfigError, DataError) as exc:
            await self.error(str(exc))
        except FloatingPointError as exc:
            self.session.running = False
            await self.error(str(exc))
            await self.send(views.frame(self.session))
        except Exception as exc:  # the page gets a message; the server carries on
            log.exception("playground: %s failed", msg["type"])
            await self.error(
                f"Internal error while handling {msg['type']!r}: {type(exc).__name__}: {exc}"
            )

    async def on_config(self, msg: dict[str, Any]) -> None:
        data_before = self.session.data
        try:
            changed = self.session.apply(parse_config(msg.get("config")))
        except (ConfigError, DataError) as exc:
            await self.error(str(exc))
            await self.send_state()  # the page shows the settings in use, not the refused ones
            return
        if changed:
            if self.session.data is not data_before:
                await self.send(views.data_points(self.session))
            await self.send(views.frame(self.session))
        await self.send_state()

    async def on_play(self, msg: dict[str, Any]) -> None:
        self.session.running = True
        if self.trainer is None or self.trainer.done():
            self.trainer = asyncio.create_task(self.train())
        await self.send(views.frame(self.session))

    async def on_pause(self, msg: dict[str, Any]) -> None:
        await self.stop_training()
        await self.send(views.frame(self.session))

    async def on_step(self, msg: dict[str, Any]) -> None:
        await self.stop_training()
        self.session.step()
        self.session.record()
        await self.send(views.frame(self.session))

    async def on_reset(self, msg: dict[str, Any]) -> None:
        await self.stop_training()
        self.session.reset()
        frame = views.frame(self.session)
        if as_json(frame) is None:  # a fresh network, so the data themselves overflow
            self.session.use_generated()
            await self.error(
                "Even a fresh network gives numbers that are not finite on these data, so the "
                f"page went back to the {self.session.config.dataset!r} data set. Check the "
                "uploaded columns for numbers too large to compute with."
            )
            await self.send(views.data_points(self.session))
            await self.send_state()
            frame = views.frame(self.session)
        await self.send(frame)

    async def on_trace(self, msg: dict[str, Any]) -> None:
        await self.send(views.trace_rows(self.session))

    async def on_gradcheck(self, msg: dict[str, Any]) -> None:
        await self.send(views.gradient_check(self.session))

    async def on_collapse(self, msg: dict[str, Any]) -> None:
        await self.send(views.collapse(self.session))

    async def on_download(self, msg: dict[str, Any]) -> None:
        data, name, note = model_file(self.session)
        await self.send(
            {
                "type": "model",
                "name": name,
                "note": note,
                "data": base64.b64encode(data).decode("ascii"),
            }
        )

    async def on_csv(self, msg: dict[str, Any]) -> None:
        text = msg.get("text")
        if not isinstance(text, str):
            raise DataError('A CSV upload must send the file as text in "text".')
        columns = csv_columns(text)
        self.pending_csv = text
        name = msg.get("name")
        name = name if isinstance(name, str) else "upload.csv"
        await self.send({"type": "csv-columns", "name": name[:200], **columns})

    async def on_use_csv(self, msg: dict[str, Any]) -> None:
        if self.pending_csv is None:
            raise DataError("Upload a CSV file first, then choose its columns.")
        fields = [msg.get(k) for k in ("x1", "x2", "target", "task")]
        x1, x2, target, task = (f if isinstance(f, str) else "" for f in fields)
        if not all(isinstance(f, str) for f in fields):
            raise DataError('Choosing CSV columns needs "x1", "x2", "target" and "task" strings.')
        await self.stop_training()
        self.session.use_csv(self.pending_csv, x1, x2, target, task)
        await self.send(views.data_points(self.session))
        await self.send_state()
        await self.send(views.frame(self.session))

    # ------------------------------------------------------------------ training

    async def train(self) -> None:
        """Train in slices, one frame per slice, at most one frame per interval (the
        frames' send times at least ``interval`` apart, however long a frame takes to
        draw)."""
        s = self.session
        last_sent = -math.inf
        while s.running:
            start = time.perf_counter()
            epoch_steps = math.ceil(len(s.train) / s.config.batchSize)
            try:
                s.train_for(min(0.04, self.interval / 2), max_steps=5 * epoch_steps)
            except FloatingPointError as exc:
                s.running = False
                await self.error(str(exc))
            s.record()
            data = views.frame(s)
            while (wait := last_sent + self.interval - time.perf_counter()) > 0:
                await asyncio.sleep(wait)  # the event loop may wake a hair early: wait again
            last_sent = time.perf_counter()
            data["sent"] = round(last_sent, 6)  # the server's clock: the rate bound
            try:
                await self.send(data)
            except (WebSocketDisconnect, RuntimeError):  # the page went away: stop quietly
                s.running = False
                return
            await asyncio.sleep(max(0.0, self.interval - (time.perf_counter() - start)))

    async def stop_training(self) -> None:
        self.session.running = False
        task, self.trainer = self.trainer, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task  # also collects an exception it ended with


def as_json(payload: dict[str, Any]) -> str | None:
    """The payload as JSON text; None when it holds a NaN or an infinity."""
    try:
        return json.dumps(payload, allow_nan=False)
    except ValueError:
        return None


MESSAGE_TYPES = (
    "config",
    "play",
    "pause",
    "step",
    "reset",
    "trace",
    "gradcheck",
    "collapse",
    "download",
    "csv",
    "use-csv",
)


# ---------------------------------------------------------------------------- running


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


class ListenError(OSError):
    """The server cannot listen where it was asked; the message names the host or the port."""


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port``, or a :class:`ListenError` saying what to change.

    An address that is no IP address and no name this computer resolves, or one that is
    not this computer's, is a bad ``--host``; a port in use or reserved is a bad ``--port``.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None,  # "": every interface
            port,
            family=socket.AF_INET6 if ":" in host else socket.AF_INET,
            type=socket.SOCK_STREAM,
            flags=socket.AI_PASSIVE,
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise ListenError(
            f"Cannot listen on {host!r}: it is not an IP address or a name this computer "
            f"resolves ({reason}); choose another --host (the default, 127.0.0.1, serves "
            "this computer only)."
        ) from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRNOTAVAIL:
            message = (
                f"Cannot listen on {host!r}: it is not an address of this computer; choose "
                "another --host (the default, 127.0.0.1, serves this computer only; 0.0.0.0 "
                "serves every network it is on)."
            )
        elif exc.errno in (errno.EADDRINUSE, errno.EACCES):
            why = "in use" if exc.errno == errno.EADDRINUSE else "reserved (below 1024)"
            message = (
                f"Cannot listen on port {port} of {host!r}: the port is {why}; choose another "
                "--port (0 picks a free one)."
            )
        else:
            message = f"Cannot listen on {host!r}, port {port}: {exc.strerror or exc}."
        raise ListenError(message) from None
    sock.listen(128)  # a browser opened before uvicorn runs waits, not refused
    return sock


class PlaygroundServer:
    """The playground served by uvicorn in a background thread (or in this one).

    For tests and notebooks::

        with PlaygroundServer() as server:   # binds 127.0.0.1 on a free port
            print(server.url)                # http://127.0.0.1:PORT/?token=...
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        *,
        max_fps: float = 10.0,
        max_pages: int = 16,
    ) -> None:
        import uvicorn

        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer in [0, 65535]; got {port!r}.")
        self.token = token or new_token()
        app = create_app(self.token, max_fps=max_fps, max_pages=max_pages, host=host)
        self.socket = listen_socket(host, port)
        self.host, self.port = host, int(self.socket.getsockname()[1])
        config = uvicorn.Config(
            app,
            log_level="warning",
            ws="wsproto",
            lifespan="off",
            ws_max_size=MAX_MESSAGE_BYTES + 1024,
        )
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The page's address, token included (through the loopback when bound to all)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/?token={self.token}"

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C)."""
        try:
            asyncio.run(self.server.serve(sockets=[self.socket]))
        finally:
            self.socket.close()

    def start(self) -> str:
        """Serve in a background thread; return the URL once the server accepts requests."""
        self.thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve(sockets=[self.socket])),
            name="lucidnet-playground",
            daemon=True,
        )
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The playground server did not start.")
            time.sleep(0.02)
        return self.url

    def stop(self) -> None:
        """Stop the background server and release its port."""
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
            self.thread = None
        self.socket.close()

    def __enter__(self) -> PlaygroundServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
