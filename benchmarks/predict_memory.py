"""Peak memory of ``lucidnet predict`` and ``lucidnet evaluate`` against the file's size.

A CSV of 20 columns is generated block by block (never whole in memory; beyond 200 MB,
the first 200 MB of rows are repeated): twelve numeric columns with 5 % empty cells, two
integer columns, three text columns (cities with empty cells, a letter code, a yes/no
flag), two numeric columns without gaps and a yes/no ``label``. A model is trained (for
60 s at most) on a 1 MB file of the same kind; then, each in a fresh process whose peak
resident set size is read from ``os.wait4``
(:func:`benchmarks.stream_memory.peak_rss`)::

    python -m lucidnet predict MODEL FILE -o predictions.csv
    python -m lucidnet evaluate MODEL FILE

For contrast, the smallest file is also read whole with ``pandas.read_csv``. The files are
deleted afterwards.

    python -m benchmarks.predict_memory                        # 0.2 GB and 2 GB
    python -m benchmarks.predict_memory --sizes-gb 0.01 --out /tmp/x   # smoke

Writes ``<out>/predict_memory.json`` and ``.md`` (default ``results/``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.stream_memory import BLOCK_ROWS, CITIES, peak_rss

HERE = Path(__file__).resolve().parent
CODES = np.array([f"{letter}{digit}" for letter in "ABCDEFGH" for digit in range(10)])


def generate_wide_csv(path: Path, target_bytes: int, seed: int = 0) -> int:
    """Append blocks of 20-column rows to ``path`` until it holds ``target_bytes``; return
    the number of rows."""
    w = np.random.default_rng(1234).normal(size=14)  # one rule for every file
    rng = np.random.default_rng(seed)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        header = True
        while f.tell() < target_bytes:
            n = BLOCK_ROWS if target_bytes > 50 * 2**20 else 5_000
            X = rng.normal(size=(n, 14))
            city = rng.integers(0, len(CITIES), n)
            score = X @ w + 0.5 * (city % 3) + rng.normal(scale=0.5, size=n)
            frame = pd.DataFrame(np.round(X[:, :12], 4), columns=[f"x{j}" for j in range(12)])
            frame = frame.mask(rng.random(frame.shape) < 0.05)  # empty cells
            frame["count"] = rng.poisson(3.0, n)
            frame["year"] = rng.integers(1990, 2025, n)
            frame["city"] = pd.Series(CITIES[city]).mask(rng.random(n) < 0.05)
            frame["code"] = CODES[rng.integers(0, len(CODES), n)]
            frame["flag"] = np.where(X[:, 12] > 0, "yes", "no")
            frame["u"] = np.round(X[:, 12], 4)
            frame["v"] = np.round(X[:, 13], 4)
            frame["label"] = np.where(score > 0, "yes", "no")
            frame.to_csv(f, header=header, index=False)
            header = False
            rows += n
    return rows


def generate_large_csv(path: Path, target_bytes: int, seed: int = 0) -> int:
    """:func:`generate_wide_csv` up to 200 MB, then its rows again and again until the file
    holds ``target_bytes`` (generating is slower than predicting); return the rows."""
    block = min(target_bytes, 200_000_000)
    rows = generate_wide_csv(path, block, seed)
    size = path.stat().st_size
    copies = 1
    with path.open("ab") as out:
        while size * copies < target_bytes:
            with path.open("rb") as f:
                header = len(f.readline())
                shutil.copyfileobj(_Limited(f, size - header), out, 2**20)
            copies += 1
    return rows * copies


class _Limited:
    """The first ``n`` bytes of a binary file, for ``shutil.copyfileobj``."""

    def __init__(self, f: Any, n: int) -> None:
        self.f, self.left = f, n

    def read(self, size: int = -1) -> bytes:
        chunk = self.f.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(chunk)
        return chunk


def run_child(command: list[str], log: Path) -> tuple[float, float]:
    """Peak RSS (MiB) and seconds of ``command``; a failure stops the benchmark.

    The command runs under ``/usr/bin/time`` when there is one: a child forked from this
    process (which holds the generated rows) would inherit its high-water mark, since
    Linux keeps ``ru_maxrss`` across ``exec``; forked from ``time``, it starts small.
    """
    timed = Path("/usr/bin/time")
    if not timed.exists():
        rss, seconds, code = peak_rss(command, log)
    else:
        report = log.with_suffix(".rss")
        _, seconds, code = peak_rss([str(timed), "-f", "%M", "-o", str(report), *command], log)
        rss = int(report.read_text().split()[-1]) / 1024  # KiB
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{log.read_text()}")
    return rss, seconds


def measure(size_gb: float, workdir: Path, model: Path, compare: bool) -> dict[str, object]:
    path = workdir / f"predict_{size_gb:g}gb.csv"
    rows = generate_large_csv(path, int(size_gb * 1e9), seed=1)
    size_mb = path.stat().st_size / 1e6
    print(f"{path.name}: {size_mb:,.0f} MB, {rows:,} rows", flush=True)
    lucidnet = [sys.executable, "-m", "lucidnet"]
    out = workdir / "predictions.csv"
    predict = [*lucidnet, "predict", str(model), str(path), "-o", str(out)]
    rss_predict, seconds_predict = run_child(predict, workdir / "predict.log")
    out_mb = out.stat().st_size / 1e6
    out.unlink()
    print(f"  predict: peak RSS {rss_predict:,.0f} MiB in {seconds_predict:.0f} s", flush=True)
    evaluate = [*lucidnet, "evaluate", str(model), str(path), "--json"]
    rss_evaluate, seconds_evaluate = run_child(evaluate, workdir / "evaluate.log")
    metrics = json.loads((workdir / "evaluate.log").read_text())
    print(f"  evaluate: peak RSS {rss_evaluate:,.0f} MiB, accuracy {metrics['accuracy']:.4f}")
    result: dict[str, object] = {
        "file_gb": size_gb,
        "file_mb": round(size_mb, 1),
        "rows": rows,
        "predict_peak_rss_mib": round(rss_predict, 1),
        "predict_seconds": round(seconds_predict, 1),
        "predictions_mb": round(out_mb, 1),
        "evaluate_peak_rss_mib": round(rss_evaluate, 1),
        "evaluate_seconds": round(seconds_evaluate, 1),
        "accuracy": round(metrics["accuracy"], 4),
        "roc_auc": round(metrics["roc_auc"], 4),
    }
    if compare:
        read = [sys.executable, "-c", f"import pandas; pandas.read_csv({str(path)!r})"]
        result["read_csv_whole_peak_rss_mib"] = round(run_child(read, workdir / "read.log")[0], 1)
    path.unlink()
    return result


def write_report(results: list[dict[str, object]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "commands": [
            "lucidnet predict MODEL FILE -o predictions.csv",
            "lucidnet evaluate MODEL FILE --json",
        ],
        "chunk_rows": 16_384,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (out / "predict_memory.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2) + "\n", encoding="utf-8"
    )
    lines = [
        "# Prediction in chunks: peak memory against file size",
        "",
        "`lucidnet predict MODEL FILE -o predictions.csv` and `lucidnet evaluate MODEL FILE` "
        "(default chunks of 16,384 rows) on generated CSVs of 20 columns (14 numeric, 12 of "
        "them with 5 % empty cells; 2 integer; 3 text, one with empty cells; a yes/no label), "
        "a model of the default recipe trained (for 60 s at most) on a 1 MB file of the same "
        "kind. Python "
        f"{meta['python']}, {meta['cpus']} CPUs, measured under load (times are not "
        "benchmarks). Peak RSS is the whole process's (os.wait4's ru_maxrss); file sizes in "
        "MB (10⁶ bytes), memory in MiB.",
        "",
        "| file | rows | predict peak RSS | evaluate peak RSS | predict time | accuracy | "
        "ROC-AUC |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['file_mb']:,.0f} MB | {r['rows']:,} | {r['predict_peak_rss_mib']:,.0f} MiB | "
            f"{r['evaluate_peak_rss_mib']:,.0f} MiB | {r['predict_seconds']:,.0f} s | "
            f"{r['accuracy']} | {r['roc_auc']} |"
        )
    lines += [
        "",
        "`predict` keeps nothing per row: its peak is set by the chunk. `evaluate` keeps, "
        "per row, the codes of the label and of the prediction and the class probabilities "
        "(4 + 4 + 8·2 bytes for a yes/no label), and scikit-learn's arrays for the metrics "
        "at the end, so that every metric, ROC-AUC included, is the whole file's exactly.",
    ]
    whole = [r for r in results if "read_csv_whole_peak_rss_mib" in r]
    if whole:
        r = whole[0]
        lines += [
            "",
            f"For contrast, `pandas.read_csv` of the whole {r['file_mb']:,.0f} MB file alone "
            f"peaks at {r['read_csv_whole_peak_rss_mib']:,.0f} MiB.",
        ]
    (out / "predict_memory.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-gb", default="0.2,2.0", help="file sizes in GB (default 0.2,2.0)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--tmp", type=Path, default=None, help="where to write the CSVs")
    parser.add_argument(
        "--no-compare", dest="compare", action="store_false",
        help="skip reading the smallest file whole with pandas",
    )  # fmt: skip
    args = parser.parse_args(argv)
    sizes = sorted(float(s) for s in args.sizes_gb.split(","))
    results = []
    with tempfile.TemporaryDirectory(dir=args.tmp, prefix="lucidnet-predict-") as tmp:
        workdir = Path(tmp)
        train = workdir / "train.csv"
        generate_wide_csv(train, 1_000_000, seed=0)
        model = workdir / "model.safetensors"
        command = [
            sys.executable, "-m", "lucidnet", "train", str(train), "--target", "label",
            "--time-limit", "60", "--quiet", "--seed", "0", "-o", str(model),
        ]  # fmt: skip
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        for i, size in enumerate(sizes):
            results.append(measure(size, workdir, model, compare=args.compare and i == 0))
    write_report(results, args.out)
    print(f"wrote {args.out / 'predict_memory'}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
