"""The ``lucidnet`` command line (grows in later issues)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from lucidnet._version import __version__

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lucidnet",
        description="Fully-connected neural networks trained by backpropagation.",
    )
    parser.add_argument("--version", action="version", version=f"lucidnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="train on the bundled example data",
        description="Train small networks on two half-moons and on breast cancer.",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from lucidnet.demo import run_demo

        run_demo(seed=args.seed)
        return 0
    parser.print_help()
    return 0
