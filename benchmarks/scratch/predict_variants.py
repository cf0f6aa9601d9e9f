"""Prediction throughput (B = 4096 blocks): lucidnet today vs prototypes vs scikit-learn.

OPENBLAS_NUM_THREADS=1 python benchmarks/scratch/predict_variants.py S M L
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jobs import CONFIGS, PREDICT_BATCH, make_data

import lucidnet


def forward_proto(W, b, A0, relu_inplace):
    """A[L] for the columns of A0: maximum for ReLU, no cache kept."""
    L = len(W)
    A = A0
    for l in range(1, L):
        Z = W[l] @ A
        Z += b[l]
        A = np.maximum(Z, 0, out=Z) if relu_inplace else np.maximum(Z, 0)
    Z = W[L] @ A + b[L]
    e = np.exp(-np.abs(Z))
    r = 1 / (1 + e)
    return np.where(Z >= 0, r, e * r)


def rate(f, blocks, n, rounds=7):
    f(blocks[0])
    best = 0.0
    for _ in range(rounds):
        c0 = time.process_time()
        for blk in blocks:
            f(blk)
        best = max(best, n / (time.process_time() - c0))
    return best


def main() -> None:
    for name in sys.argv[1:] or ["S", "M", "L"]:
        compare(name)


def compare(name: str) -> None:
    cfg = CONFIGS[name]
    X, y, Xt, _ = make_data(cfg)
    net = lucidnet.Network(cfg.layer_sizes, seed=0, dtype=np.float32)
    clf = MLPClassifier(hidden_layer_sizes=cfg.hidden, max_iter=1, batch_size=256)
    clf.partial_fit(X[:512], y[:512], classes=np.array([0.0, 1.0], np.float32))
    blocks = [Xt[s : s + PREDICT_BATCH] for s in range(0, Xt.shape[0], PREDICT_BATCH)]
    W, b = net.W, net.b
    n = Xt.shape[0]
    variants = {
        "lucidnet predict_output (today)": lambda blk: net.predict_output(blk.T),
        "proto: maximum": lambda blk: forward_proto(W, b, blk.T, False),
        "proto: maximum in place (no cache)": lambda blk: forward_proto(W, b, blk.T, True),
        "sklearn predict_proba": lambda blk: clf.predict_proba(blk),
    }
    print(f"\n{name}: samples/s (CPU time, best of rounds)")
    rates = {k: rate(f, blocks, n) for k, f in variants.items()}
    for k, r in rates.items():
        print(f"  {k:38s}{r:14,.0f}   vs sklearn {r / rates['sklearn predict_proba']:5.2f}x")


if __name__ == "__main__":
    main()
