"""Quality against the anchors without rerunning them: runs of several result files joined.

The panel's splits depend only on the table and the seed, so a system's scores from one
run and another system's from an earlier run are on the same test rows — provided the
table itself is the same. ``joined`` keeps a (table, seed) only where HistGradientBoosting
(deterministic, in every file) scores the same in both files to 4 decimals: the same
rows. Fit times from different runs (different loads) are not compared.

```bash
python -m benchmarks.tables.combine results/latest.json results/anchors.json \
    results/anchors-realmlp.json --systems catboost,lightgbm,realmlp-td
```
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks.tables.report import aggregate, summarise

__all__ = ["joined", "main"]

CHECK = "hgb"


def _score(run: dict[str, Any]) -> float | None:
    value = run.get("accuracy", run.get("r2"))
    return None if value is None else round(float(value), 4)


def joined(
    base: list[dict[str, Any]], other: list[dict[str, Any]], systems: list[str]
) -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
    """``base``'s runs plus ``other``'s runs of ``systems`` on the (table, seed) pairs
    whose HistGradientBoosting scores agree; and the pairs left out (they differ)."""
    mine = {(r["table"], r["seed"]): _score(r) for r in base if r["system"] == CHECK}
    theirs = {(r["table"], r["seed"]): _score(r) for r in other if r["system"] == CHECK}
    same = {key for key, value in theirs.items() if key in mine and mine[key] == value}
    differ = sorted(key for key in theirs if key in mine and key not in same)
    kept = [
        {**r, "fit_s": 0.0}  # another run's seconds: not compared
        for r in other
        if r["system"] in systems and (r["table"], r["seed"]) in same
    ]
    return [*base, *kept], differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", type=Path, help="the run whose systems are compared")
    parser.add_argument("others", type=Path, nargs="+", help="earlier runs holding anchors")
    parser.add_argument("--systems", required=True, help="the anchors to take from them")
    args = parser.parse_args(argv)
    wanted = args.systems.split(",")
    runs = json.loads(args.base.read_text())["runs"]
    for path in args.others:
        runs, differ = joined(runs, json.loads(path.read_text())["runs"], wanted)
        if differ:
            print(f"{path.name}: left out (another split or table version): {differ}")
    tables = aggregate(runs)
    tasks = {r["table"]: r["task"] for r in runs}
    systems = sorted({r["system"] for r in runs})
    print("| system | vs | tables | mean gap | median gap | won | lost | mean log-loss gap |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for system, entry in summarise(tables, tasks, systems).items():
        for key, s in entry.items():
            if key[3:] in wanted or system in wanted:
                print(
                    f"| {system} | {key[3:]} | {s['tables']} | {s['mean_gap']:+.4f} | "
                    f"{s['median_gap']:+.4f} | {s['won']} | {s['lost']} | "
                    f"{s['mean_log_loss_gap']:+.4f} |"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
