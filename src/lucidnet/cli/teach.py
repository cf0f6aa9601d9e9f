"""``lucidnet gradcheck``, ``trace`` and ``demo``: the lecture, run on the terminal."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from lucidnet.cli.common import CLIError
from lucidnet.core import Network, check_gradients
from lucidnet.core.trace import trace

__all__ = ["cmd_demo", "cmd_gradcheck", "cmd_trace"]


def _teaching_args(args: argparse.Namespace) -> dict[str, Any]:
    outputs = args.outputs or (3 if args.output == "softmax" else 1)
    if args.output == "softmax" and outputs < 2:
        raise CLIError("--output softmax needs --outputs 2 or more.")
    return {
        "hidden": args.hidden,
        "activation": args.activation,
        "output": args.output,
        "n_inputs": args.inputs,
        "n_outputs": outputs,
        "seed": args.seed,
    }


def cmd_gradcheck(args: argparse.Namespace) -> int:
    kw = _teaching_args(args)
    rng = np.random.default_rng(kw["seed"])
    net = Network(
        [kw["n_inputs"], *kw["hidden"], kw["n_outputs"]],
        kw["activation"],
        kw["output"],
        seed=kw["seed"],
    )
    for l in range(1, net.L + 1):  # small random biases keep ReLU units off their kink at 0
        net.b[l] = rng.normal(scale=0.1, size=net.b[l].shape)
    A0 = rng.normal(size=(kw["n_inputs"], args.batch))
    if kw["output"] == "softmax":
        Y = np.eye(kw["n_outputs"])[:, rng.integers(0, kw["n_outputs"], args.batch)]
    elif kw["output"] == "sigmoid":
        Y = (rng.random((kw["n_outputs"], args.batch)) < 0.5).astype(float)
    else:
        Y = rng.normal(size=(kw["n_outputs"], args.batch))
    result = check_gradients(net, A0, Y)
    print(f"{net}, B = {args.batch}: backpropagation vs centred finite differences (float64)")
    print(result)
    return 0 if result.passed else 1


def cmd_trace(args: argparse.Namespace) -> int:
    kw = _teaching_args(args)
    trace(batch=args.batch, **kw)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from lucidnet.cli.demo import run_demo

    run_demo(seed=args.seed, out=args.out)
    return 0
