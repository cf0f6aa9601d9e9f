"""Who the server answers: local Host names, same-origin WebSockets, and the token, always.

Three checks, each an ASGI middleware in front of the app (outermost first). A refused
HTTP request gets 403 and a line saying why; a refused WebSocket is closed with 1008
before it opens (the server answers its handshake with 403).

- **Host** (:class:`HostGate`), against DNS rebinding: a page on another site points its
  own name at this computer, and its requests then reach the server carrying that name
  as Host. Served: ``localhost``, every loopback address (127.0.0.0/8, ::1) and the
  address the server was started with (``--host``), as Jupyter's server does. Started
  on every interface (0.0.0.0 or ::), any IP address and this computer's host name are
  served too: a rebinding page's requests carry the page's name, never an address.
  To serve another name, start the server with ``--host`` that name.
- **Origin** (:class:`HostGate`, WebSockets only): a browser lets any page open a
  WebSocket to any address, and says whose page it is in the Origin header. It must be
  the server's own origin: ``http://`` and the Host of the handshake (same name, same
  port). A handshake without Origin passes: browsers always send one, so it is no web
  page's but a program's, which no same-origin rule binds and which still needs the token.
- **Token** (:class:`TokenGate`): ``?token=`` in the query of every request and
  WebSocket (never a header or a cookie, which a browser would send on its own).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import socket
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["SECURITY_HEADERS", "HostGate", "TokenGate", "split_host"]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
WILDCARDS = ("", "0.0.0.0", "::")  # bind addresses meaning "every interface"

# a Host header, or an origin's part after "scheme://": a name or [IPv6], then :port
_AUTHORITY = re.compile(
    r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))(?::(?P<port>[0-9]{1,5}))?"
)


def split_host(value: str) -> tuple[str, int | None] | None:
    """``(name, port)`` of a Host header such as ``localhost:8000`` or ``[::1]:80``.

    The name comes lowercased, an IPv6 address without brackets and in its short form;
    the port is None when absent. Anything else (user info, a path, a bad port or IPv6
    address) gives None.
    """
    match = _AUTHORITY.fullmatch(value)
    if match is None:
        return None
    port = int(match["port"]) if match["port"] else None
    if port is not None and port > 65535:
        return None
    if match["ipv6"] is None:
        return match["name"].lower(), port
    try:
        return str(ipaddress.IPv6Address(match["ipv6"])), port
    except ValueError:
        return None


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


async def _refuse(scope: Scope, receive: Receive, send: Send, reason: str, text: str) -> None:
    """403 with ``text`` for a request; for a WebSocket, close 1008 with ``reason``."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": reason})
        return
    response = PlainTextResponse(text, status_code=403, headers=SECURITY_HEADERS)
    await response(scope, receive, send)


class HostGate:
    """ASGI middleware: serve local Host names and ``host`` only; refuse cross-origin WebSockets.

    Parameters
    ----------
    app : ASGI app
    host : str, default="127.0.0.1"
        The address (or name) the server listens on; its Host is served besides the
        local ones. A wildcard (``0.0.0.0``, ``::``) serves any IP address and this
        computer's host name.
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1") -> None:
        self.app = app
        bound = host.strip("[]").lower()
        self.any_address = bound in WILDCARDS
        self.names = {"localhost"}
        if self.any_address:
            self.names.add(socket.gethostname().lower())
        else:
            parsed = split_host(f"[{bound}]" if ":" in bound else bound)
            self.names.add(parsed[0] if parsed else bound)

    def serves(self, name: str) -> bool:
        """Whether a request whose Host names ``name`` (from :func:`split_host`) is served."""
        if name in self.names:
            return True
        address = _address(name)
        return address is not None and (address.is_loopback or self.any_address)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        hosts = headers.getlist("host")
        host = split_host(hosts[0]) if len(hosts) == 1 else None
        if host is None or not self.serves(host[0]):
            shown = repr(hosts[0][:80]) if len(hosts) == 1 else f"{len(hosts)} Host headers"
            await _refuse(
                scope,
                receive,
                send,
                "Host not served",
                f"lucidnet playground: this server answers to localhost, 127.0.0.1, [::1] "
                f"and the address it was started with, not to the Host {shown} (a page on "
                "another site may be trying to reach it). Open the address the server "
                "printed; to use another name, start it with --host that name.\n",
            )
            return
        origins = headers.getlist("origin")
        if scope["type"] == "websocket" and origins and not _same_origin(origins, host):
            await _refuse(scope, receive, send, "cross-origin WebSocket refused", "")
            return
        await self.app(scope, receive, send)


def _same_origin(origins: list[str], host: tuple[str, int | None]) -> bool:
    """One Origin, ``http://`` and the Host's name and port (80 when absent on either)."""
    if len(origins) != 1:
        return False
    scheme, sep, authority = origins[0].partition("://")
    origin = split_host(authority) if sep and scheme.lower() == "http" else None
    return origin is not None and (origin[0], origin[1] or 80) == (host[0], host[1] or 80)


class TokenGate:
    """ASGI middleware: refuse any HTTP request or WebSocket without the right token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [""])[0].encode()
        if hmac.compare_digest(given, self.token):
            await self.app(scope, receive, send)
            return
        await _refuse(
            scope,
            receive,
            send,
            "token required",
            "lucidnet playground: this address needs the token that the server printed when "
            "it started (open the full URL, ending in ?token=...).\n",
        )
