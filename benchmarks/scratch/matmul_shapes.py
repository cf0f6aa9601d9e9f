"""Time the GEMMs of one minibatch step at M and L, with 1 and 2 BLAS threads."""

from __future__ import annotations

import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits


def bench(f, reps=200):
    f()
    best = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            f()
        best.append((time.perf_counter() - t0) / reps)
    return min(best)


rng = np.random.default_rng(0)
cases = {
    "M": (100, 256, 128),
    "L": (784, 1024, 256),
}


def compare(name: str, n0: int, n1: int, B: int) -> None:
    X = rng.standard_normal((50_000, n0), dtype=np.float32)
    idx = rng.permutation(50_000)[:B]
    W1 = rng.standard_normal((n1, n0), dtype=np.float32)
    W2 = rng.standard_normal((n1, n1), dtype=np.float32)
    A0 = X[idx].T
    A0c = np.ascontiguousarray(A0)
    A1 = rng.standard_normal((n1, B), dtype=np.float32)
    dZ = rng.standard_normal((n1, B), dtype=np.float32)
    ops = {
        "W1 @ A0 (A0 = X[idx].T view)": lambda: W1 @ A0,
        "W1 @ A0 (contiguous copy)": lambda: W1 @ A0c,
        "W2 @ A1": lambda: W2 @ A1,
        "dZ @ A1.T (dW2)": lambda: dZ @ A1.T,
        "W2.T @ dZ (dA1)": lambda: W2.T @ dZ,
        "dZ @ A0.T (dW1)": lambda: dZ @ A0.T,
    }
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            for label, f in ops.items():
                t = bench(f, 50 if name == "L" else 200)
                flops = {
                    "W1 @ A0 (A0 = X[idx].T view)": 2 * n1 * n0 * B,
                    "W1 @ A0 (contiguous copy)": 2 * n1 * n0 * B,
                    "W2 @ A1": 2 * n1 * n1 * B,
                    "dZ @ A1.T (dW2)": 2 * n1 * n1 * B,
                    "W2.T @ dZ (dA1)": 2 * n1 * n1 * B,
                    "dZ @ A0.T (dW1)": 2 * n1 * n0 * B,
                }[label]
                print(
                    f"{name} threads={threads} {label:32s} {t * 1e6:9.1f} us "
                    f"{flops / t / 1e9:6.1f} GFLOP/s"
                )


for name, (n0, n1, B) in cases.items():
    if len(sys.argv) == 1 or name in sys.argv[1:]:
        compare(name, n0, n1, B)
