"""``lucidnet playground``: the lecture, live in the browser.

A local web page in the spirit of TensorFlow Playground, trained by lucidnet's own core:
the ``Network`` (forward, backward, cost, feature map, head, collapse) and the
optimizers of ``lucidnet.training`` step the page's network one minibatch at a time,
and the page draws what they compute. Beyond the classic views it shows the learned
feature map A[L-1] with the head's straight boundary, the current minibatch traced
through every formula, a gradient check, the collapse of an all-identity network, and
it exports the trained network as a lucidnet model file.

Modules: ``datasets`` (the data), ``config`` (the page's settings, checked),
``session`` (one page's data, network and training state), ``views`` (what the page
draws, as JSON), ``export`` (the model file), ``access`` (the token, Host and Origin
checks), ``server`` (Starlette + uvicorn, WebSocket); the page itself is plain HTML, CSS
and JavaScript in ``static/``.

Needs the ``playground`` extra: ``pip install "lucidnet[playground]"``.

What it may import: every package of lower rank (``lucidnet.core`` … ``lucidnet.tables``),
their public names only (nothing starting with ``_``; ``tests/test_layering.py`` checks
it) — plus NumPy, the standard library, and Starlette / uvicorn in ``access`` and
``server``. Nothing in lucidnet imports it but the command line.
"""

from __future__ import annotations

import sys
import webbrowser
from typing import TYPE_CHECKING, TextIO

from lucidnet._lazy import attach

if TYPE_CHECKING:
    from lucidnet.playground.server import PlaygroundServer

__all__ = ["PlaygroundServer", "serve"]

# imported on use: it needs the optional web packages
if not TYPE_CHECKING:  # type checkers read the imports above
    __getattr__, __dir__ = attach(__name__, {"lucidnet.playground.server": ("PlaygroundServer",)})


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = True,
    token: str | None = None,
    *,
    out: TextIO | None = None,
) -> None:
    """Serve the playground until interrupted (Ctrl-C).

    Parameters
    ----------
    host : str, default="127.0.0.1"
        The address to bind. Anything but the loopback prints a warning: whoever can reach
        that address and has the token can use the page.
    port : int, default=0
        0 picks a free port.
    open_browser : bool, default=True
        Open the page in the default web browser.
    token : str, optional
        The token every request must carry (``?token=...``); a random one by default.
    out : text stream, optional
        Where the address and warnings are printed (standard error by default).
    """
    try:
        from lucidnet.playground.server import PlaygroundServer, is_loopback
    except ImportError as exc:
        raise ImportError(
            f"lucidnet playground needs the 'playground' extra ({exc.name} is missing): "
            'pip install "lucidnet[playground]"'
        ) from None
    out = out or sys.stderr
    server = PlaygroundServer(host, port, token)
    if not is_loopback(host):
        print(
            f"WARNING: the playground listens on {host}, not only on this computer: anyone "
            "who can reach that address and has the token can use it (and its CPU).",
            file=out,
        )
    print(f"lucidnet playground: {server.url}", file=out)
    print("(Ctrl-C stops it)", file=out, flush=True)
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
