"""Which levels of a many-level text column get a one-hot column: rules compared.

The recipe one-hot encodes the ``max_categories − 1`` = 63 most frequent levels of a
text column; ``min_frequency`` (with its cap ``max_levels``) also keeps every level
seen that often. Compared on the panel's table with a many-level column
(gen_rare_categories) and two generated tables kept beside the panel:

* ``gen_uniform_levels``: 300 equally frequent levels, each with its own effect on a
  binary target (about 20 training rows per level), and two numbers;
* ``gen_noise_levels``: a 1,000-level Zipf column with no effect, a 20-level one with
  an effect and four numbers; a regression target.

Same splits and scoring as ``run.py`` (one 75/25 split per seed); the width is the
preprocessed table's number of columns (layer 1's inputs).

    python -m benchmarks.tables.levels --seeds 3
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.tables.panel import PANEL, Table
from benchmarks.tables.run import load_table, score, split_table
from benchmarks.tables.systems import fit_lucidnet

RULES: dict[str, dict[str, Any]] = {
    "63 most frequent (default)": {},
    "min_frequency=10, max_levels=256": {"min_frequency": 10, "max_levels": 256},
    "min_frequency=5, max_levels=256": {"min_frequency": 5, "max_levels": 256},
    "every level": {"max_categories": None},
}


def _uniform_levels() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(7)
    n = 8000
    zone = rng.integers(0, 300, size=n)
    effect = rng.normal(0.0, 1.0, size=300)
    x0, x1 = rng.normal(size=n), rng.normal(size=n)
    logit = effect[zone] + 0.8 * x0 - 0.5 * x1
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    X = pd.DataFrame({"zone": np.char.add("z", zone.astype(str)), "x0": x0, "x1": x1})
    return X, pd.Series(y.astype(int), name="y")


def _noise_levels() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(8)
    n = 8000
    weights = 1.0 / np.arange(1, 1001)
    noise = rng.choice(1000, size=n, p=weights / weights.sum())
    group = rng.integers(0, 20, size=n)
    effect = rng.normal(0, 1, size=20)
    Z = rng.normal(size=(n, 4))
    y = effect[group] + Z[:, 0] - 0.5 * Z[:, 1] ** 2 + 0.3 * Z[:, 2] * Z[:, 3]
    y = y + 0.5 * rng.normal(size=n)
    X = pd.DataFrame(
        {
            "noise": np.char.add("n", noise.astype(str)),
            "grp": np.char.add("g", group.astype(str)),
            **{f"z{j}": Z[:, j] for j in range(4)},
        }
    )
    return X, pd.Series(y, name="y")


TABLES = {
    "gen_rare_categories": PANEL["gen_rare_categories"],
    "gen_uniform_levels": Table(
        "gen_uniform_levels", _uniform_levels, "classification", "generated", kind="generated"
    ),
    "gen_noise_levels": Table(
        "gen_noise_levels", _noise_levels, "regression", "generated", kind="generated"
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "levels")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one BLAS thread, as run.py's default
    runs = []
    for name, table in TABLES.items():
        X, y = load_table(table, None)
        for rule, params in RULES.items():
            for seed in range(args.seeds):
                X_train, X_test, y_train, y_test = split_table(X, y, table.task, seed)
                model = fit_lucidnet(X_train, y_train, table.task, seed, **params)
                width = len(model.preprocessor_.feature_names_out)
                rec = {"table": name, "rule": rule, "seed": seed, "width": width}
                runs.append({**rec, **score(model, X_test, y_test, table.task)})
                print(json.dumps(runs[-1]), flush=True)
    lines = ["| table | rule | score | log-loss | width |", "| --- | --- | ---: | ---: | ---: |"]
    for name in TABLES:
        for rule in RULES:
            rs = [r for r in runs if r["table"] == name and r["rule"] == rule]
            main_score = np.mean([r.get("r2", r.get("accuracy")) for r in rs])
            loss = f"{np.mean([r['log_loss'] for r in rs]):.4f}" if "log_loss" in rs[0] else ""
            mean_width = float(np.mean([r["width"] for r in rs]))
            lines.append(f"| {name} | {rule} | {main_score:.4f} | {loss} | {mean_width:.0f} |")
    heading = f"# Levels of text columns\n\nSeeds 0–{args.seeds - 1}; score: accuracy or R².\n"
    args.out.with_suffix(".md").write_text(heading + "\n" + "\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(runs, indent=1) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
