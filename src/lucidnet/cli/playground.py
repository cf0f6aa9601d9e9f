"""``lucidnet playground``: serve the browser playground (the ``playground`` extra)."""

from __future__ import annotations

import argparse

__all__ = ["cmd_playground"]


def cmd_playground(args: argparse.Namespace) -> int:
    from lucidnet.playground import serve

    serve(host=args.host, port=args.port, open_browser=not args.no_browser)
    return 0
