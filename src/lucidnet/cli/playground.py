"""``lucidnet playground``: serve the browser playground (the ``playground`` extra)."""

from __future__ import annotations

import argparse

from lucidnet.cli.common import CLIError

__all__ = ["cmd_playground"]


def cmd_playground(args: argparse.Namespace) -> int:
    from lucidnet.playground import serve

    try:
        serve(host=args.host, port=args.port, open_browser=not args.no_browser)
    except OSError as exc:
        from lucidnet.playground.server import ListenError  # importable: serve got that far

        if isinstance(exc, ListenError):  # a bad --host or --port: a user error
            raise CLIError(str(exc)) from None
        raise
    return 0
