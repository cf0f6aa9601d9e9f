"""The ``lucidnet`` command line: train, predict, evaluate, inspect, export — and teach.

Thin by design: each command module parses nothing itself (``parser``), calls the
library, and prints. May import every package of the library.

Every user error is one or two lines on stderr (what is wrong, how to fix it) and exit
code 2; ``--debug`` shows the traceback instead.

Building the parser imports only the standard library and the recipe's defaults; each
command's module, and pandas, scikit-learn or NumPy with it, is imported when that
command runs, so ``lucidnet --help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from lucidnet.cli.common import CLIError
from lucidnet.cli.parser import build_parser

__all__ = ["CLIError", "main"]

EXIT_USAGE = 2


def command(name: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs the command ``name``; its module is imported now."""
    if name == "train":
        from lucidnet.cli.train import cmd_train

        return cmd_train
    if name == "playground":
        from lucidnet.cli.playground import cmd_playground

        return cmd_playground
    if name in ("gradcheck", "trace", "demo"):
        from lucidnet.cli import teach

        return {"gradcheck": teach.cmd_gradcheck, "trace": teach.cmd_trace, "demo": teach.cmd_demo}[
            name
        ]
    from lucidnet.cli import use

    return {
        "predict": use.cmd_predict,
        "evaluate": use.cmd_evaluate,
        "inspect": use.cmd_inspect,
        "export": use.cmd_export,
    }[name]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return command(args.command)(args)
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
    from lucidnet.io.modelfile import ModelFileError
    from lucidnet.tables.read import TableError

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
