"""Peak memory that Trainer.fit adds (tracemalloc sees NumPy's allocations), by cause.

python benchmarks/scratch/memory_trainer.py L adam 4096
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jobs import CONFIGS, make_data

import lucidnet
from lucidnet.training import Trainer
from lucidnet.training.data import as_rows

MB = 2**20


def main() -> None:
    name, optimizer, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cfg = CONFIGS[name]
    X, y, _, _ = make_data(cfg)
    X, Y = np.ascontiguousarray(X[:rows]), y[:rows].reshape(-1, 1).copy()
    net = lucidnet.Network(cfg.layer_sizes, seed=0, dtype=np.float32)
    model = (
        sum(w.nbytes + v.nbytes for w, v in zip(net.W.values(), net.b.values(), strict=True)) / MB
    )
    print(f"{name} {optimizer}: X {X.nbytes / MB:.1f} MB, parameters {model:.1f} MB")

    tracemalloc.start()
    as_rows("X", X, X.shape[1], np)
    peak = tracemalloc.get_traced_memory()[1] / MB
    print(f"  as_rows(X) (the finiteness check) peak: {peak:.1f} MB")
    tracemalloc.reset_peak()
    trainer = Trainer(
        net, optimizer=optimizer, learning_rate=1e-3, batch_size=cfg.batch_size, seed=0
    )
    trainer.fit(X, Y, epochs=2)
    current, peak = tracemalloc.get_traced_memory()
    print(
        f"  Trainer.fit, 2 epochs: peak {peak / MB:.1f} MB above the data, "
        f"{current / MB:.1f} MB still held after fit ({current / MB / model:.1f}× the parameters)"
    )


if __name__ == "__main__":
    main()
