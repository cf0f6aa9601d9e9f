"""The ``lucidnet`` command line: train, predict, evaluate, inspect, export — and teach.

Thin by design: each command module parses nothing itself (``parser``), calls the
library, and prints. May import every package of the library.

Every user error is one or two lines on stderr (what is wrong, how to fix it) and exit
code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from lucidnet.cli.common import CLIError
from lucidnet.cli.parser import build_parser
from lucidnet.cli.playground import cmd_playground
from lucidnet.cli.teach import cmd_demo, cmd_gradcheck, cmd_trace
from lucidnet.cli.train import cmd_train
from lucidnet.cli.use import cmd_evaluate, cmd_export, cmd_inspect, cmd_predict
from lucidnet.io.modelfile import ModelFileError
from lucidnet.tables import TableError

__all__ = ["CLIError", "main"]

EXIT_USAGE = 2

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": cmd_train,
    "predict": cmd_predict,
    "evaluate": cmd_evaluate,
    "inspect": cmd_inspect,
    "export": cmd_export,
    "gradcheck": cmd_gradcheck,
    "trace": cmd_trace,
    "demo": cmd_demo,
    "playground": cmd_playground,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _COMMANDS[args.command](args)
    except BrokenPipeError:
        # The reader went away (e.g. `lucidnet trace | head`): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug:
            raise
        return _report_error(exc)


def _report_error(exc: BaseException) -> int:
    if isinstance(exc, (CLIError, TableError, ModelFileError)):
        message = str(exc)
    elif isinstance(exc, (ValueError, TypeError)):
        message = f"{exc}"
    else:
        message = f"unexpected {type(exc).__name__}: {exc}"
    lines = message.strip().splitlines() or [type(exc).__name__]
    print(f"lucidnet: error: {lines[0]}", file=sys.stderr)
    for line in lines[1:3]:
        print(f"  {line}", file=sys.stderr)
    print("  (run with --debug for the full traceback)", file=sys.stderr)
    return EXIT_USAGE
