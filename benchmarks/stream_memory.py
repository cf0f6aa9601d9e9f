"""Peak memory of ``lucidnet train FILE --stream`` (the streamed recipe) against the file's size.

For each size, a CSV of 20 columns of mixed types is generated row block by row block in
a temporary folder (never whole in memory): twelve numeric columns (one with missing
cells), an integer count, a day of the month, a log-normal amount, a yes/no flag, three
text columns (12, 3 and 200 values: the last one-hot encoded in its 64 most frequent
categories), and a target from a fixed rule with noise: a yes/no ``label`` or, with
``--targets number``, the real-valued score itself in a column ``y`` (a regression
target, almost every row a new value). Then, in a fresh process::

    python -m lucidnet train FILE --target label --stream --time-limit 300 ...   # or --target y

the streamed recipe (the ensemble of 4 × (128, 128), Adam, the held-out rows kept in
memory, a shuffle buffer of chunks) for ``--time-limit`` seconds of training after the
first pass, and the child's peak resident set size is read from ``os.wait4`` (the
kernel's ``ru_maxrss`` of that one process). For contrast, the smallest file is also read
whole with ``pandas.read_csv`` in another process. The CSV is deleted afterwards.

    python -m benchmarks.stream_memory                    # 0.2 GB and 2 GB
    python -m benchmarks.stream_memory --sizes-gb 0.01 --time-limit 10 --out /tmp/x   # smoke
    python -m benchmarks.stream_memory --sizes-gb 0.2 --targets number \\
        --name stream_memory_regression                   # a regression target

Writes ``<out>/<name>.json`` and ``<out>/<name>.md`` (default ``results/stream_memory.*``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CITIES = np.array(
    ["Lyon", "Oslo", "Lima", "Pune", "Kyiv", "Baku", "Riga", "Doha", "Cork", "Nice", "Bern", "Bonn"]
)
BLOCK_ROWS = 200_000


def generate_csv(path: Path, target_bytes: int, seed: int = 0, kind: str = "label") -> int:
    """Append blocks of rows to ``path`` until it holds at least ``target_bytes``; return rows.

    ``kind`` "label": a yes/no column ``label``; "number": the noisy score as ``y``.
    """
    rng = np.random.default_rng(seed)
    w = rng.normal(size=12)
    regions = np.array([f"r{i:03d}" for i in range(200)])
    region_p = 1 / np.arange(1, 201)  # a long tail of rare regions
    region_p /= region_p.sum()
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        header = True
        while f.tell() < target_bytes:
            n = BLOCK_ROWS if target_bytes > 50 * 2**20 else 5_000
            X = rng.normal(size=(n, 12))
            city = rng.integers(0, len(CITIES), n)
            count = rng.poisson(3.0, n)
            tier = rng.integers(0, 3, n)
            flag = rng.random(n) < 0.3
            amount = rng.lognormal(3.0, 1.0, n)
            score = (
                X @ w / 2
                + 0.5 * (city % 3)
                - 0.2 * count
                + 0.4 * tier
                + 0.6 * flag
                + 0.2 * np.log(amount)
                + rng.normal(scale=0.5, size=n)
            )
            frame = pd.DataFrame(np.round(X, 5), columns=[f"x{j}" for j in range(12)])
            frame.loc[rng.random(n) < 0.05, "x3"] = np.nan
            frame["count"] = count
            frame["day"] = rng.integers(1, 32, n)
            frame["amount"] = np.round(amount, 2)
            frame["flag"] = np.where(flag, "yes", "no")
            frame["city"] = CITIES[city]
            frame["tier"] = np.array(["bronze", "silver", "gold"])[tier]
            frame["region"] = regions[rng.choice(200, n, p=region_p)]
            if kind == "number":
                frame["y"] = np.round(score, 6)  # (almost) every row a new value
            else:
                frame["label"] = np.where(score > 0.5, "yes", "no")
            frame.to_csv(f, header=header, index=False)
            header = False
            rows += n
    return rows


def peak_rss(command: list[str], log: Path) -> tuple[float, float, int]:
    """Run ``command``; return (peak RSS in MB, seconds, exit code) of that process."""
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, seconds, code  # ru_maxrss is in KiB on Linux: MiB


def measure(
    size_gb: float, workdir: Path, args: argparse.Namespace, kind: str = "label"
) -> dict[str, object]:
    path = workdir / f"stream_{size_gb:g}gb_{kind}.csv"
    target = "y" if kind == "number" else "label"
    t0 = time.perf_counter()
    rows = generate_csv(path, int(size_gb * 1e9), kind=kind)
    generated = time.perf_counter() - t0
    size_mb = path.stat().st_size / 1e6
    print(f"{path.name}: {size_mb:,.0f} MB, {rows:,} rows (generated in {generated:.0f} s)")
    model = workdir / "model.safetensors"
    log = workdir / f"train_{size_gb:g}gb_{kind}.log"
    command = [
        sys.executable, "-m", "lucidnet", "train", str(path), "--target", target, "--stream",
        "--time-limit", str(args.time_limit), "--chunk-rows", str(args.chunk_rows),
        "--quiet", "-o", str(model),
    ]  # fmt: skip
    rss, seconds, code = peak_rss(command, log)
    output = log.read_text(encoding="utf-8")
    if code != 0:
        raise SystemExit(f"lucidnet train failed ({code}):\n{output}")
    accuracy = None
    metric = "r2" if kind == "number" else "accuracy"
    for line in output.splitlines():
        if line.strip().startswith(metric):
            accuracy = float(line.split()[-1])
    result: dict[str, object] = {
        "target": "real number (regression)" if kind == "number" else "yes/no",
        "metric": metric,
        "file_gb": size_gb,
        "file_mb": round(size_mb, 1),
        "rows": rows,
        "peak_rss_mib": round(rss, 1),
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "held_out_accuracy": accuracy,
    }
    print(f"  --stream: peak RSS {rss:,.0f} MB in {seconds:.0f} s, held-out {metric} {accuracy}")
    if args.compare_in_memory:
        read = [sys.executable, "-c", f"import pandas; pandas.read_csv({str(path)!r})"]
        rss_read, _, _ = peak_rss(read, workdir / "read.log")
        result["read_csv_whole_peak_rss_mib"] = round(rss_read, 1)
        print(f"  pandas.read_csv of the whole file: peak RSS {rss_read:,.0f} MB")
    path.unlink()
    model.unlink(missing_ok=True)
    return result


def write_report(results: list[dict[str, object]], args: argparse.Namespace) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "command": "lucidnet train FILE --target label|y --stream "
        f"--time-limit {args.time_limit:g} --chunk-rows {args.chunk_rows}",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (args.out / f"{args.name}.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2) + "\n", encoding="utf-8"
    )
    lines = [
        "# Streaming training: peak memory against file size",
        "",
        f"`{meta['command']}` (the streamed recipe: a first pass for the statistics and "
        "the held-out rows, then passes of training through the shuffle buffer until the "
        "time limit; the held-out rows scored in memory after each), "
        f"Python {meta['python']}, {meta['cpus']} CPUs. Peak RSS is the whole process's "
        "(os.wait4's ru_maxrss); file sizes in MB (10⁶ bytes), memory in MiB.",
        "",
        "| target | file | rows | peak RSS | time | rows/s | held-out score |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['target']} | {r['file_mb']:,.0f} MB | {r['rows']:,} | "
            f"{r['peak_rss_mib']:,.0f} MiB | {r['seconds']:,.0f} s | {r['rows_per_second']:,} | "
            f"{r['metric']} {r['held_out_accuracy']} |"
        )
    whole = [r for r in results if "read_csv_whole_peak_rss_mib" in r]
    if whole:
        r = whole[0]
        lines += [
            "",
            f"For contrast, `pandas.read_csv` of the whole {r['file_mb']:,.0f} MB file alone "
            f"peaks at {r['read_csv_whole_peak_rss_mib']:,.0f} MiB.",
        ]
    (args.out / f"{args.name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-gb", default="0.2,2.0", help="file sizes in GB (default 0.2,2.0)")
    parser.add_argument(
        "--targets",
        default="label",
        help="label (yes/no), number (regression) or both: label,number",
    )
    parser.add_argument(
        "--time-limit", type=float, default=300.0, help="seconds of training (default 300)"
    )
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--name", default="stream_memory", help="report file stem")
    parser.add_argument("--tmp", type=Path, default=None, help="where to write the CSVs")
    parser.add_argument(
        "--no-compare", dest="compare_in_memory", action="store_false",
        help="skip reading the smallest file whole with pandas",
    )  # fmt: skip
    args = parser.parse_args(argv)
    sizes = sorted(float(s) for s in args.sizes_gb.split(","))
    kinds = [k.strip() for k in args.targets.split(",")]
    if not set(kinds) <= {"label", "number"}:
        parser.error(f"--targets takes label and/or number; got {args.targets!r}")
    results = []
    with tempfile.TemporaryDirectory(dir=args.tmp, prefix="lucidnet-stream-") as tmp:
        for kind in kinds:
            for i, size in enumerate(sizes):
                compare = args.compare_in_memory and i == 0 and kind == kinds[0]
                options = argparse.Namespace(**{**vars(args), "compare_in_memory": compare})
                results.append(measure(size, Path(tmp), options, kind))
    write_report(results, args)
    print(f"wrote {args.out / args.name}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
