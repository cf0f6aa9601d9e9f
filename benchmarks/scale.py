"""Cost against the number of rows: the tables recipe, HistGradientBoosting and scikit-learn's MLP.

    python -m benchmarks.scale                                 # 10 k, 100 k, 1 M rows
    python -m benchmarks.scale --sizes 10000,100000 --profile  # with lucidnet's profile
    python -m benchmarks.scale --sizes 400 --out /tmp/scale    # a smoke run

For every size and seed, one generated table (``scale_job.make_table``: 20 columns, mostly
numbers, two text columns, missing cells, a target with signal) and ONE 75/25 split shared
by every system. Each fit runs in its own process (``python -m benchmarks.scale_job``), so
its seconds and peak resident memory are its own; a fit still running after
``--time-limit`` seconds is stopped and reported as cut, with no score. ``--skip`` leaves a
system out at a size. ``--recipe-time-limit ROWS:SECONDS`` gives lucidnet's recipe its own
``time_limit=`` from that size on (the recipe stops, keeps its best model and skips the
refit): the report marks such a fit as time-limited and extrapolates the whole fit from the
epochs of the largest size fitted whole (see :func:`extrapolate`).

``--profile`` runs lucidnet's fits under ``cProfile`` (``scale_profile.py``): the seconds
of preprocessing, selection phase and refit, and inside each phase forward, loss,
backward, update, validation and the step loop, as fractions (a profiler slows every
Python call, so profiled seconds are not the timed ones). ``--step`` adds the recipe's
training step timed alone for several batch sizes, against ``numpy.matmul`` of the same
shapes and the machine's GEMM rate. Writes ``<out>/<name>.{json,md}`` (default
``results/scale``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.jobs import machine_info, versions
from benchmarks.run import job_environment, measured_commit, result_of
from benchmarks.scale_job import EXTRA_SYSTEMS, SYSTEM_NAMES, TASKS
from benchmarks.scale_report import markdown

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
SETUP_ALLOWANCE_S = 120.0  # the table's generation and the scoring, beyond the fit


def run_job(args: list[str], timeout: float, threads: int | None) -> dict[str, Any]:
    """One ``benchmarks.scale_job`` in a fresh interpreter; its result, or why there is none."""
    cmd = [sys.executable, "-m", "benchmarks.scale_job", *args]
    env = job_environment(threads)
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env
        )
    except subprocess.TimeoutExpired:
        return {"cut": True, "wall_s": time.perf_counter() - start}
    return result_of(proc, args)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- aggregation


def median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
    return statistics.median(values) if values else None


def lucidnet_median(runs: list[dict[str, Any]], key: str) -> float | None:
    return median([r.get("lucidnet", {}) for r in runs], key)


def summarise(runs: list[dict[str, Any]], sizes: list[int], systems: list[str]) -> dict:
    """Per size: each system's medians over seeds, the time ratios and lucidnet's epochs."""
    out: dict[str, Any] = {}
    for rows in sizes:
        per: dict[str, Any] = {}
        for system in systems:
            mine = [r for r in runs if r["rows"] == rows and r["system"] == system]
            done = [r for r in mine if "fit_s" in r]
            entry: dict[str, Any] = {
                "fits": len(done),
                "cut": sum(1 for r in mine if r.get("cut")),
                "errors": [r["error"] for r in mine if "error" in r],
                "skipped": any(r.get("skipped") for r in mine),
            }
            figures = ("fit_s", "s_per_1k_rows", "accuracy", "r2", "log_loss", "peak_rss_mb")
            for key in (*figures, "iterations"):
                entry[key] = median(done, key)
            if system == "lucidnet" and done:
                keys = (
                    "selection_epochs",
                    "best_epoch",
                    "patience_epochs",
                    "refit_epochs",
                    "preprocess_s",
                    "selection_s",
                    "refit_s",
                    "selection_rows_trained",
                    "train_rows",
                    "validation_rows",
                    "batch_size",
                )
                entry["recipe"] = {k: lucidnet_median(done, k) for k in keys}
                entry["recipe"]["refit_ran"] = all(r["lucidnet"].get("refit_ran") for r in done)
                entry["recipe"]["cross_fitted"] = all(
                    r["lucidnet"].get("cross_fitted") for r in done
                )
                entry["time_limited"] = any(r["lucidnet"].get("time_limit_hit") for r in done)
                entry["recipe_time_limit"] = done[0]["lucidnet"].get("recipe_time_limit")
                entry["profiled"] = any(r.get("profiled") for r in done)
            per[system] = entry
        ratios: dict[str, float | None] = {}
        pairs = (("lucidnet", "sk-mlp"), ("lucidnet", "hgb"), ("lucidnet-jax", "lucidnet"))
        for system, ref in pairs:
            a = per.get(system, {}).get("fit_s")
            b = per.get(ref, {}).get("fit_s")
            ratios[f"{system}/{ref}"] = a / b if a and b else None
        out[str(rows)] = {"systems": per, "ratios": ratios}
    return out


def extrapolate(summary: dict[str, Any]) -> dict[str, Any]:
    """The whole recipe fit at each time-limited size, from the per-row cost measured there.

    Notes
    -----
    From the largest size whose fit ran whole: E_sel selection epochs and E_ref refit
    epochs. From the time-limited fit: c = selection seconds / rows trained (the
    step's cost per row, validation included) and the preprocessing seconds P. Then
        t_epoch = c · rows selected on,   total ≈ P + E_sel · t_epoch + E_ref · t_epoch / (1 − v)
    with v the validation fraction (the refit trains on every row, and skips validation).
    """
    whole = [
        (int(rows), s["systems"]["lucidnet"])
        for rows, s in summary.items()
        if s["systems"].get("lucidnet", {}).get("fits")
        and not s["systems"]["lucidnet"].get("time_limited")
    ]
    out: dict[str, Any] = {}
    for rows, s in summary.items():
        luc = s["systems"].get("lucidnet", {})
        if not luc.get("time_limited") or not whole:
            continue
        base_rows, base = max(whole)
        r, b = luc["recipe"], base["recipe"]
        if not r.get("selection_rows_trained") or not r.get("train_rows"):
            continue
        per_row = r["selection_s"] / r["selection_rows_trained"]
        selected_on = r["train_rows"] - (r["validation_rows"] or 0)
        v = (r["validation_rows"] or 0) / r["train_rows"]
        epoch_s = per_row * selected_on
        sel_epochs, ref_epochs = b["selection_epochs"] or 0, b["refit_epochs"] or 0
        total = (r["preprocess_s"] or 0.0) + sel_epochs * epoch_s + ref_epochs * epoch_s / (1 - v)
        out[rows] = {
            "from_rows": base_rows,
            "epoch_s": epoch_s,
            "selection_epochs": sel_epochs,
            "refit_epochs": ref_epochs,
            "total_s": total,
            "s_per_1k_rows": 1000.0 * total / r["train_rows"],
        }
    return out


# --------------------------------------------------------------------------- the run


def load_average() -> float | None:
    """The machine's 1-minute load average (None where the system has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def parse_limits(text: str) -> dict[int, float]:
    """``"1000000:600"`` → {1000000: 600.0}: the recipe's time limit from a size on."""
    limits = {}
    for part in filter(None, (t.strip() for t in text.split(","))):
        rows, seconds = part.split(":")
        limits[int(rows)] = float(seconds)
    return limits


def recipe_limit(limits: dict[int, float], rows: int) -> float | None:
    applicable = [s for r, s in limits.items() if rows >= r]
    return min(applicable) if applicable else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    p.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="rows, comma-separated"
    )
    p.add_argument("--task", choices=TASKS, default="classification")
    p.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 (default 1)")
    p.add_argument(
        "--systems",
        default=",".join(SYSTEM_NAMES),
        help='comma-separated; also lucidnet-jax (the recipe on engine="jax")',
    )
    p.add_argument(
        "--skip", default="", help="SYSTEM:ROWS pairs not run, e.g. sk-mlp:1000000,hgb:10000"
    )
    p.add_argument(
        "--time-limit", type=float, default=1800.0, help="seconds a fit may run (default 1800)"
    )
    p.add_argument(
        "--recipe-time-limit",
        default="1000000:600",
        help="ROWS:SECONDS: lucidnet's own time_limit= from ROWS on (default 1000000:600; "
        "'' for none)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads of every fit (default 1, as bench-tables; 0: the libraries' own)",
    )
    p.add_argument("--profile", action="store_true", help="lucidnet's fits under cProfile")
    p.add_argument("--step", action="store_true", help="time the recipe's step alone too")
    p.add_argument("--batch-sizes", default="256,1024,4096", help="for --step")
    p.add_argument("--out", type=Path, default=HERE / "results", help="default: results/")
    p.add_argument("--name", default="scale", help="report file stem (default: scale)")
    p.add_argument("--render", type=Path, metavar="JSON", help="only rewrite JSON's markdown")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        result = json.loads(args.render.read_text(encoding="utf-8"))
        write(args.render.with_suffix(".md"), markdown(result) + "\n")
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    known = (*SYSTEM_NAMES, *EXTRA_SYSTEMS)
    unknown = [s for s in systems if s not in known]
    if unknown:
        raise SystemExit(f"unknown systems {unknown}; known: {', '.join(known)}")
    skip = {tuple(p.split(":")) for p in args.skip.split(",") if p.strip()}
    limits = parse_limits(args.recipe_time_limit)
    threads = None if args.threads == 0 else args.threads
    started, load_start = time.perf_counter(), load_average()
    runs: list[dict[str, Any]] = []
    for rows in sizes:
        for seed in range(args.seeds):
            for system in systems:
                head = {"system": system, "rows": rows, "task": args.task, "seed": seed}
                if (system, str(rows)) in skip:
                    runs.append({**head, "skipped": True})
                    continue
                job = ["--system", system, "--rows", str(rows), "--task", args.task]
                job += ["--seed", str(seed)]
                limit = recipe_limit(limits, rows) if system == "lucidnet" else None
                if limit is not None:
                    job += ["--recipe-time-limit", str(limit)]
                if args.profile and system == "lucidnet":
                    job.append("--profile")
                result = {**head, **run_job(job, args.time_limit + SETUP_ALLOWANCE_S, threads)}
                if result.get("cut"):
                    result["cut_after_s"] = args.time_limit
                runs.append(result)
                shown = {
                    k: round(v, 4)
                    for k, v in result.items()
                    if k in ("fit_s", "accuracy", "r2", "log_loss", "peak_rss_mb")
                }
                status = "cut" if result.get("cut") else result.get("error", shown)
                print(f"{rows:>9} seed {seed} {system:<9} {status}", file=sys.stderr, flush=True)
    step = None
    if args.step:
        job = ["--system", "step", "--task", args.task, "--batch-sizes", args.batch_sizes]
        step = run_job(job, 900, threads)
    summary = summarise(runs, sizes, systems)
    result = {
        "config": {
            "sizes": sizes,
            "task": args.task,
            "seeds": list(range(args.seeds)),
            "systems": systems,
            "skip": sorted(":".join(p) for p in skip),
            "time_limit_s": args.time_limit,
            "recipe_time_limit": {str(k): v for k, v in limits.items()},
            "profile": args.profile,
            "threads": threads,
        },
        "commit": measured_commit(),
        "machine": machine_info(),
        "versions": versions(),
        "summary": summary,
        "extrapolated": extrapolate(summary),
        "step": step,
        "runs": runs,
        "total_s": time.perf_counter() - started,
        "load_average": {"start": load_start, "end": load_average()},
    }
    report = markdown(result)
    write(args.out / f"{args.name}.json", json.dumps(result, indent=1, default=float) + "\n")
    write(args.out / f"{args.name}.md", report + "\n")
    print(report)
    print(f"wrote {args.out / (args.name + '.md')} and .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
