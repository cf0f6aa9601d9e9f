"""float32 vs float64 training, the cost of mixed dtypes, and ways to gather a minibatch.

OPENBLAS_NUM_THREADS=1 python benchmarks/scratch/dtype_and_gather.py
"""

from __future__ import annotations

import sys
import time
import timeit
from pathlib import Path

import numpy as np
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jobs import CONFIGS, PREDICT_BATCH, make_data

import lucidnet
from lucidnet.training import Trainer


def cpu(f, rounds=3):
    best = float("inf")
    for _ in range(rounds):
        c0 = time.process_time()
        f()
        best = min(best, time.process_time() - c0)
    return best


def epoch_time(cfg, X, Y, net_dtype):
    def run():
        net = lucidnet.Network(cfg.layer_sizes, seed=0, dtype=net_dtype)
        Trainer(net, optimizer="sgd", learning_rate=0.05, batch_size=cfg.batch_size, seed=0).fit(
            X, Y, epochs=1
        )

    return cpu(run)


def main() -> None:
    cfg = CONFIGS["M"]
    X32, y, _, _ = make_data(cfg)
    X32, y = X32[:20_000], y[:20_000]
    Y32 = y.reshape(-1, 1)
    X64, Y64 = X32.astype(np.float64), Y32.astype(np.float64)
    print("M config, 20,000 rows, Trainer SGD, CPU s per epoch (1 BLAS thread):")
    t32 = epoch_time(cfg, X32, Y32, np.float32)
    print(f"  float32 data, float32 net : {t32:.3f}")
    t64 = epoch_time(cfg, X64, Y64, np.float64)
    print(f"  float64 data, float64 net : {t64:.3f}   ({t64 / t32:.2f}x float32)")
    tmix = epoch_time(cfg, X64, Y64, np.float32)
    print(f"  float64 data, float32 net : {tmix:.3f}   ({tmix / t32:.2f}x float32)")

    print("\nsklearn predict_proba on the held-out set, samples/s (float32 vs float64 input):")
    for name in ("M", "L"):
        c = CONFIGS[name]
        Xa, ya, Xh, _ = make_data(c)
        for dt in (np.float32, np.float64):
            clf = MLPClassifier(hidden_layer_sizes=c.hidden, max_iter=1, batch_size=256)
            clf.partial_fit(Xa[:512].astype(dt), ya[:512], classes=np.array([0.0, 1.0]))
            Xd = Xh.astype(dt)
            blocks = [Xd[s : s + PREDICT_BATCH] for s in range(0, Xd.shape[0], PREDICT_BATCH)]
            t = cpu(lambda clf=clf, blocks=blocks: [clf.predict_proba(b) for b in blocks])
            print(f"  {name} {np.dtype(dt).name}: {Xd.shape[0] / t:12,.0f}")

    print("\nGathering one minibatch (µs per call):")
    rng = np.random.default_rng(0)
    for name in ("S", "M", "L"):
        c = CONFIGS[name]
        X = rng.standard_normal((c.n_train, c.n_features), dtype=np.float32)
        Y = np.zeros((c.n_train, 1), np.float32)
        idx = rng.permutation(c.n_train)[: c.batch_size]
        buf = np.empty((c.batch_size, c.n_features), np.float32)
        ybuf = np.empty((c.batch_size, 1), np.float32)
        variants = {
            "X[idx], Y[idx]": lambda X=X, Y=Y, idx=idx: (X[idx], Y[idx]),
            "np.take(X, idx, axis=0) x2": lambda X=X, Y=Y, idx=idx: (
                np.take(X, idx, axis=0),
                np.take(Y, idx, axis=0),
            ),
            "np.take(..., out=buffer) x2": lambda X=X, Y=Y, idx=idx, b=buf, yb=ybuf: (
                np.take(X, idx, axis=0, out=b),
                np.take(Y, idx, axis=0, out=yb),
            ),
        }
        for label, f in variants.items():
            t = min(timeit.repeat(f, number=2000, repeat=5)) / 2000
            print(f"  {name} {label:30s}{t * 1e6:8.2f}")


if __name__ == "__main__":
    main()
