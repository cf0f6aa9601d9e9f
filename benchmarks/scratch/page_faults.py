"""Minor page faults and time per epoch: Trainer vs minibatch_gd vs a plain loop (M config)."""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jobs import CONFIGS, make_data
from step_variants import Opts, epoch

import lucidnet
from lucidnet.training import Trainer

name = sys.argv[1] if len(sys.argv) > 1 else "M"
cfg = CONFIGS[name]
X, y, _, _ = make_data(cfg)
rows = int(sys.argv[2]) if len(sys.argv) > 2 else X.shape[0]
X, y = X[:rows], y[:rows]
Y = y.reshape(-1, 1)


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def trainer() -> None:
    net = lucidnet.Network(cfg.layer_sizes, seed=0, dtype=np.float32)
    t = Trainer(net, optimizer="sgd", learning_rate=0.05, batch_size=cfg.batch_size, seed=0)
    t.fit(X, Y, epochs=1)


def gd() -> None:
    net = lucidnet.Network(cfg.layer_sizes, seed=0, dtype=np.float32)
    lucidnet.minibatch_gd(net, X, y, batch_size=cfg.batch_size, learning_rate=0.05, epochs=1)


def proto() -> None:
    net = lucidnet.Network(cfg.layer_sizes, seed=0, dtype=np.float32)
    order = np.random.default_rng(0).permutation(X.shape[0])
    epoch(dict(net.W), dict(net.b), X, Y, order, cfg.batch_size, Opts())


for label, f in [("Trainer", trainer), ("minibatch_gd", gd), ("proto", proto)] * 2:
    f0, c0 = faults(), time.process_time()
    f()
    print(f"{label:14s} {time.process_time() - c0:7.3f} s CPU  {faults() - f0:8d} minor faults")
