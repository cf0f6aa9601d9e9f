"""Prototype experiments for benchmarks/NOTES.md: what each proposed change to src/ gains.

    OPENBLAS_NUM_THREADS=1 python benchmarks/scratch/step_variants.py S M L

A minimal NumPy transcription of lucidnet's minibatch step (ReLU hidden layers, sigmoid
output, binary cross-entropy cost per batch, plain SGD), with switches for each proposed
change. "proto current" performs the same NumPy operations as lucidnet does today, without
the Trainer/Network Python around them; each "+ change" row adds one change to it; "all"
adds every change that keeps lucidnet's design (no in-place update of parameters).
Every variant is checked against the Trainer's weights after the same epoch.

Run with one BLAS thread (OPENBLAS_NUM_THREADS=1) so that CPU time measures the work on a
shared machine; rounds interleave the variants; min over rounds, per epoch, in ms.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jobs import CONFIGS, make_data

import lucidnet
from lucidnet.training import Trainer

LR = 0.05
ROWS = {"S": 20_000, "M": 50_000, "L": 4_096}  # L is subsampled: 16 steps are enough


@dataclass(frozen=True)
class Opts:
    relu: str = "where"  # "where" (today) | "maximum"
    prime: str = "astype"  # "astype" (today: dA * astype(Z > 0)) | "inplace" (dA *= Z > 0)
    db: str = "sum"  # "sum" (today: xp.sum) | "ones" (dZ @ 1, a GEMV)
    sigmoid: str = "where"  # "where" (today) | "lean" (one exp, one division)
    loss: str = "where"  # "where" (today) | "maximum" | "none"
    gather: str = "fancy"  # "fancy" (today: X[idx]) | "take" (np.take into a buffer)
    bias: str = "new"  # "new" (today: W @ A + b) | "inplace" (Z = W @ A; Z += b)
    sgd: str = "alloc"  # "alloc" (today: p - lr*g) | "scale" (g *= lr; p - g) | "inplace"


def relu(Z, o):
    if o.relu == "where":
        return np.where(Z > 0, Z, np.zeros_like(Z))
    return np.maximum(Z, 0)


def sigmoid(Z, o):
    if o.sigmoid == "where":
        e = np.exp(-np.abs(Z))
        return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))
    e = np.exp(-np.abs(Z))
    r = 1 / (1 + e)
    return np.where(Z >= 0, r, e * r)


def bce(Z, Y, o):
    if o.loss == "where":
        per = np.where(Z > 0, Z, np.zeros_like(Z)) - Z * Y + np.log1p(np.exp(-np.abs(Z)))
    else:
        per = np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))
    return float(np.sum(np.sum(per, axis=0)) / Z.shape[1])


def epoch(W, b, X, Y, order, B, o: Opts):
    L = len(W)
    n0 = X.shape[1]
    xbuf = np.empty((B, n0), X.dtype)
    ybuf = np.empty((B, Y.shape[1]), Y.dtype)
    ones = {}
    total = 0.0
    for start in range(0, len(order), B):
        idx = order[start : start + B]
        m = len(idx)
        if o.gather == "fancy":
            A0, Yb = X[idx].T, Y[idx].T
        else:
            A0 = np.take(X, idx, axis=0, out=xbuf[:m]).T
            Yb = np.take(Y, idx, axis=0, out=ybuf[:m]).T
        Z, A = {}, {0: A0}
        for l in range(1, L + 1):
            if o.bias == "new":
                Z[l] = W[l] @ A[l - 1] + b[l]
            else:
                Z[l] = W[l] @ A[l - 1]
                Z[l] += b[l]
            A[l] = relu(Z[l], o) if l < L else sigmoid(Z[l], o)
        if o.loss != "none":
            total += bce(Z[L], Yb, o) * m
        dZ = (A[L] - Yb) / m
        g = {}
        for l in range(L, 0, -1):
            dW = dZ @ A[l - 1].T
            if o.db == "sum":
                db = np.sum(dZ, axis=1, keepdims=True)
            else:
                if m not in ones:
                    ones[m] = np.ones((m, 1), dZ.dtype)
                db = dZ @ ones[m]
            g[l] = (dW, db)
            if l > 1:
                dA = W[l].T @ dZ
                if o.prime == "astype":
                    dZ = dA * (Z[l - 1] > 0).astype(dA.dtype)
                else:
                    dA *= Z[l - 1] > 0
                    dZ = dA
        for l in range(1, L + 1):
            dW, db = g[l]
            if o.sgd == "alloc":
                W[l] = W[l] - LR * dW
                b[l] = b[l] - LR * db
            elif o.sgd == "scale":
                dW *= LR
                db *= LR
                W[l] = W[l] - dW
                b[l] = b[l] - db
            else:
                W[l] -= LR * dW
                b[l] -= LR * db
    return total


def trainer_epoch(cfg, X, Y, seed=0):
    net = lucidnet.Network(cfg.layer_sizes, seed=seed, dtype=np.float32)
    W0 = {l: w.copy() for l, w in net.W.items()}
    b0 = {l: v.copy() for l, v in net.b.items()}
    tr = Trainer(net, optimizer="sgd", learning_rate=LR, batch_size=cfg.batch_size, seed=seed)
    rng = np.random.default_rng(seed)
    rng.integers(2**63)
    order = rng.permutation(X.shape[0])
    tr.fit(X, Y, epochs=1)
    return net, W0, b0, order


def timed(f):
    """CPU seconds of one call (process time: with one BLAS thread, preemption by other
    processes on a shared machine does not count) and wall seconds."""
    c0, t0 = time.process_time(), time.perf_counter()
    f()
    return time.process_time() - c0, time.perf_counter() - t0


def main() -> None:
    configs = sys.argv[1:] or ["S", "M", "L"]
    today = Opts()
    keeps_design = Opts(
        relu="maximum",
        prime="inplace",
        db="ones",
        sigmoid="lean",
        loss="maximum",
        gather="take",
        bias="inplace",
        sgd="scale",
    )
    variants = {
        "proto current": today,
        "+ relu = maximum(Z, 0)": replace(today, relu="maximum"),
        "+ dZ = dA *= (Z > 0)": replace(today, prime="inplace"),
        "+ db = dZ @ 1": replace(today, db="ones"),
        "+ lean sigmoid": replace(today, sigmoid="lean"),
        "+ loss with maximum": replace(today, loss="maximum"),
        "+ no per-batch loss": replace(today, loss="none"),
        "+ np.take into a buffer": replace(today, gather="take"),
        "+ Z += b in place": replace(today, bias="inplace"),
        "+ SGD: g *= lr; p - g": replace(today, sgd="scale"),
        "+ SGD in place (breaks snapshots)": replace(today, sgd="inplace"),
        "all that keep the design": keeps_design,
        "all + in-place SGD": replace(keeps_design, sgd="inplace"),
    }
    for name in configs:
        compare(name, variants)


def compare(name: str, variants: dict[str, Opts]) -> None:
    cfg = CONFIGS[name]
    X, y, _, _ = make_data(cfg)
    X, Y = X[: ROWS[name]], y[: ROWS[name]].reshape(-1, 1)
    cfg = replace(cfg, n_train=X.shape[0])
    repeats = {"S": 9, "M": 5, "L": 5}[name]
    net, W0, b0, order = trainer_epoch(cfg, X, Y)

    def run_trainer():
        n2 = lucidnet.Network(cfg.layer_sizes, seed=0, dtype=np.float32)
        Trainer(n2, optimizer="sgd", learning_rate=LR, batch_size=cfg.batch_size, seed=0).fit(
            X, Y, epochs=1
        )

    def run_gd():
        n2 = lucidnet.Network(cfg.layer_sizes, seed=0, dtype=np.float32)
        lucidnet.minibatch_gd(
            n2, X, Y, batch_size=cfg.batch_size, learning_rate=LR, epochs=1, seed=0
        )

    runs = {"Trainer.fit (today)": run_trainer, "minibatch_gd (today)": run_gd}
    errors = {}
    for label, o in variants.items():
        W = {l: w.copy() for l, w in W0.items()}
        b = {l: v.copy() for l, v in b0.items()}
        epoch(W, b, X, Y, order, cfg.batch_size, o)
        errors[label] = max(
            float(np.max(np.abs(W[l] - net.W[l])) / (np.max(np.abs(net.W[l])) + 1e-30)) for l in W
        )

        def run(o=o):
            W = {l: w.copy() for l, w in W0.items()}
            b = {l: v.copy() for l, v in b0.items()}
            epoch(W, b, X, Y, order, cfg.batch_size, o)

        runs[label] = run
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    wall: dict[str, list[float]] = {k: [] for k in runs}
    labels = list(runs)
    for r in range(repeats):  # interleaved rounds, rotated order
        k = r % len(labels)
        for label in labels[k:] + labels[:k]:
            c, w = timed(runs[label])
            cpu[label].append(c)
            wall[label].append(w)
    base = min(cpu["Trainer.fit (today)"])
    proto = min(cpu["proto current"])
    print(
        f"\n{name}: {X.shape[0]} rows, {-(-X.shape[0] // cfg.batch_size)} steps; "
        f"ms per epoch, min over {repeats} interleaved rounds (CPU time | wall)"
    )
    for label in labels:
        c, w = min(cpu[label]), min(wall[label])
        err = f"  W rel. diff {errors[label]:.0e}" if label in errors else ""
        print(
            f"  {label:36s}{c * 1e3:8.1f} |{w * 1e3:8.1f}   Trainer/this {base / c:5.2f}"
            f"   proto/this {proto / c:5.2f}{err}"
        )


if __name__ == "__main__":
    main()
