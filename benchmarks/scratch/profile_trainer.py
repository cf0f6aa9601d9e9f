"""Profile lucidnet's Trainer on a benchmark configuration (pyinstrument or py-spy).

python benchmarks/scratch/profile_trainer.py S sgd 2          # pyinstrument text
py-spy record -o s.txt -f raw -- python benchmarks/scratch/profile_trainer.py S sgd 2 --plain
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jobs import CONFIGS, LEARNING_RATES, make_data

import lucidnet
from lucidnet.training import Trainer


def main() -> None:
    config, optimizer, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cfg = CONFIGS[config]
    X, y, _, _ = make_data(cfg)
    net = lucidnet.Network(cfg.layer_sizes, seed=0, dtype=np.float32)
    trainer = Trainer(
        net,
        optimizer=optimizer,
        learning_rate=LEARNING_RATES[optimizer],
        batch_size=cfg.batch_size,
        seed=0,
    )
    Y = y.reshape(-1, 1)
    trainer.fit(X, Y, epochs=1)  # warm-up
    if "--plain" in sys.argv:
        t0 = time.perf_counter()
        trainer.fit(X, Y, epochs=1 + epochs)
        print(f"{(time.perf_counter() - t0) / epochs:.4f} s/epoch")
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    trainer.fit(X, Y, epochs=1 + epochs)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
