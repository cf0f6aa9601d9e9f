"""Benchmark driver: the same training job on lucidnet and its peers, one process per job.

    python benchmarks/run.py                               # S, M, L; 3 repeats; 3 epochs
    python benchmarks/run.py --configs S --repeats 1 --epochs 1
    python benchmarks/run.py --configs tiny --systems lucidnet,sklearn --out /tmp/bench

Each (system, configuration, optimizer) job runs in its own process (``benchmarks/jobs.py``)
and the jobs are interleaved: every repeat runs every job once, the systems in a rotated
order, so slow drifts of the machine (other load, thermal state) spread over all systems.
The machine's float32 GEMM rate is measured in the same run, once per repeat, in its own
process; the best is the peak. Medians over repeats are reported with their spread
(min–max) and the ratios between every pair of systems, and the commit measured. The
configurations named by ``--single-thread`` (default S) run again with one thread per
library. lucidnet and scikit-learn are timed through the same public API (``fit``,
``predict_proba``); lucidnet's bare core is reported apart (see ``jobs.py``).

Writes ``<out>/latest.json`` (everything, raw runs included) and ``<out>/latest.md`` (the
tables the README's Performance section shows). Peers that are not installed are skipped
and the reports say so; nothing is installed here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from jobs import (  # noqa: E402  (benchmarks/ is not a package)
    CONFIGS,
    LEARNING_RATES,
    PREDICT_BATCH,
    RESULT_PREFIX,
    SYSTEMS,
    Config,
    system_module,
)

PEER_INSTALL_HINT = {
    "torch": "pip install torch==2.13.0",
    "jax": "pip install jax jaxlib",
}
TARGETS_TRAIN = {  # config: {peer: minimum speedup of lucidnet per epoch}
    "S": {"sklearn": 3.0, "torch": 10.0},
    "M": {"sklearn": 2.0, "torch": 1.5},
}
TARGET_L_PEAK_PCT = 80.0
TARGET_PREDICT_VS_SKLEARN = 2.0
STRETCH_JAX_SCAN_S = 1.5


# ---------------------------------------------------------------------- running jobs


def job_environment(threads: int | None) -> dict[str, str]:
    """The environment of every job: inherited as is, or with the same thread cap for all.

    ``threads=None`` leaves each library its default (BLAS, PyTorch and XLA each use every
    core). A cap applies to every system alike: the BLAS and OpenMP pools (PyTorch reads
    OMP_NUM_THREADS) and, for one thread, XLA's CPU thread pool.
    """
    env = dict(os.environ)
    if threads is not None:
        for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[key] = str(threads)
        if threads == 1:
            flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
            env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + flags).strip()
    return env


def run_job(args: list[str], timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``jobs.py`` with ``args`` in a fresh interpreter; return its result line."""
    cmd = [sys.executable, str(HERE / "jobs.py"), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s: {' '.join(args)}"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            if "error" in result:
                result["stderr_tail"] = proc.stderr[-2000:]
            return result
    return {
        "error": f"no result line (exit code {proc.returncode}): {' '.join(args)}",
        "stderr_tail": proc.stderr[-2000:],
    }


def available_systems(requested: list[str]) -> tuple[list[str], dict[str, str]]:
    """The requested systems whose library is importable here, and why the others are not."""
    usable, skipped = [], {}
    for system in requested:
        module = system_module(system)
        if system == "sklearn":
            module = "sklearn"
        if importlib.util.find_spec(module) is None:
            hint = PEER_INSTALL_HINT.get(module, f"pip install {module}")
            skipped[system] = f"{module} is not installed ({hint} to include it)"
        else:
            usable.append(system)
    return usable, skipped


def measured_commit() -> str:
    """The git commit measured (short hash), "+ uncommitted changes" when the tree differs."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" + uncommitted changes" if dirty else "")  # fmt: skip


def rotated(items: list[str], k: int) -> list[str]:
    k %= max(len(items), 1)
    return items[k:] + items[:k]


# ---------------------------------------------------------------------- aggregation


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def spread_of(runs: list[dict[str, Any]], key: str) -> list[float] | None:
    """[min, max] over the repeats (None when no run has the value)."""
    values = [r[key] for r in runs if r.get(key) is not None]
    return [min(values), max(values)] if values else None


def max_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return max(values) if values else None


def summarize(
    cfg: Config,
    optimizer: str,
    system: str,
    runs: list[dict[str, Any]],
    peak: float,
    variant: str | None = None,
) -> dict[str, Any]:
    sec = median_of(runs, "seconds_per_epoch")
    assert sec is not None
    gflops = cfg.flops_per_epoch / sec / 1e9
    return {
        "config": variant or cfg.name,
        "optimizer": optimizer,
        "system": system,
        "implementation": runs[0].get("implementation"),
        "repeats": len(runs),
        "seconds_per_epoch": sec,
        "seconds_per_epoch_all": [r["seconds_per_epoch"] for r in runs],
        "seconds_per_epoch_spread": spread_of(runs, "seconds_per_epoch"),
        "samples_per_s": cfg.n_train / sec,
        "gflops": gflops,
        "pct_gemm_peak": 100.0 * gflops / peak if peak else None,
        "accuracy": median_of(runs, "accuracy"),
        "predict_samples_per_s": median_of(runs, "predict_samples_per_s"),
        "predict_samples_per_s_spread": spread_of(runs, "predict_samples_per_s"),
        "core_predict_samples_per_s": median_of(runs, "core_predict_samples_per_s"),
        "core_predict_samples_per_s_spread": spread_of(runs, "core_predict_samples_per_s"),
        "peak_rss_mb": max_of(runs, "peak_rss_mb"),
        "train_extra_mb": max_of(runs, "train_extra_mb"),
        "x_train_mb": runs[0].get("x_train_mb"),
        "train_allowance_mb": runs[0].get("train_allowance_mb"),
        "warmup_seconds": median_of(runs, "warmup_seconds"),
    }


def pairwise(rows: list[dict[str, Any]], key: str, higher_is_better: bool) -> dict:
    """ratio[a][b]: how many times better a is than b (b's time / a's time, or a's rate / b's)."""
    values = {r["system"]: r[key] for r in rows if r.get(key)}
    out: dict[str, dict[str, float]] = {}
    for a, va in values.items():
        out[a] = {}
        for b, vb in values.items():
            if a != b:
                out[a][b] = va / vb if higher_is_better else vb / va
    return out


def check_targets(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, evaluated on the medians of this run (reported, never asserted)."""
    by = {(r["config"], r["optimizer"], r["system"]): r for r in summary}
    targets: list[dict[str, Any]] = []

    def add(name: str, value: float | None, goal: str, met: bool | None) -> None:
        targets.append({"target": name, "value": value, "goal": goal, "met": met})

    for (config, optimizer, system), row in sorted(by.items()):
        if system != "lucidnet":
            continue
        speed = row["speedup"]
        for peer, minimum in TARGETS_TRAIN.get(config, {}).items():
            if peer in speed:
                add(
                    f"{config} {optimizer}: per-epoch speedup vs {peer}",
                    speed[peer],
                    f">= {minimum}x",
                    speed[peer] >= minimum,
                )
        if config == "L":
            pct = row["pct_gemm_peak"]
            add(
                f"L {optimizer}: % of float32 GEMM peak",
                pct,
                f">= {TARGET_L_PEAK_PCT}%",
                None if pct is None else pct >= TARGET_L_PEAK_PCT,
            )
            if speed:
                slowest = min(speed.values())
                add(
                    f"L {optimizer}: faster than every peer (smallest speedup)",
                    slowest,
                    "> 1x",
                    slowest > 1.0,
                )
        if config == "S" and "jax_scan" in speed:
            ratio = 1.0 / speed["jax_scan"]
            add(
                f"S {optimizer} (stretch): time / JAX lax.scan epoch time",
                ratio,
                f"<= {STRETCH_JAX_SCAN_S}",
                ratio <= STRETCH_JAX_SCAN_S,
            )
        extra, allowed = row.get("train_extra_mb"), row.get("train_allowance_mb")
        if extra is not None and allowed is not None:
            add(
                f"{config} {optimizer}: memory added by training (MB)",
                extra,
                f"<= {allowed:.1f} (one copy of X + model + batch + slack)",
                extra <= allowed,
            )
        if optimizer == "sgd":
            pred = row.get("predict_speedup", {}).get("sklearn")
            if pred is not None:
                add(
                    f"{config}: prediction throughput vs sklearn",
                    pred,
                    f">= {TARGET_PREDICT_VS_SKLEARN}x",
                    pred >= TARGET_PREDICT_VS_SKLEARN,
                )
    return targets


# ---------------------------------------------------------------------- reports


def fmt(x: float | None, spec: str = ".3g") -> str:
    if x is None:
        return "–"
    return format(x, spec)


def fmt_rate(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:,.0f}"


def fmt_spread(median: float | None, spread: list[float] | None, spec: str = "") -> str:
    """The median with (min–max) over the repeats beside it."""
    if median is None:
        return "–"
    show = fmt_rate if not spec else (lambda x: fmt(x, spec))
    text = show(median)
    if spread and spread[0] != spread[1]:
        text += f" ({show(spread[0])}–{show(spread[1])})"
    return text


def markdown(report: dict[str, Any]) -> str:
    m, v = report["machine"], report["versions"]
    blas = ", ".join(
        f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')}, "
        f"{b.get('num_threads')} threads)"
        for b in report["blas"]
        if b.get("user_api") == "blas"
    )
    peers = ", ".join(
        f"{name} {v.get(dist)}"
        for name, dist in (("scikit-learn", "scikit-learn"), ("PyTorch", "torch"), ("JAX", "jax"))
        if v.get(dist)
    )
    s = report["settings"]
    lines = [
        "# lucidnet benchmarks",
        "",
        f"- Date: {report['date']}; commit measured: {report.get('commit', 'unknown')}",
        f"- Machine: {m['cpu']}, {m['usable_cores']} usable cores "
        f"({m['logical_cores']} logical); {m['platform']}",
        f"- Load average at start / end: {report['load_start']} / {report['load_end']} "
        "(other processes were running when it is near or above the core count)",
        f"- Python {v.get('python')}, NumPy {v.get('numpy')} with {blas or 'unknown BLAS'}",
        f"- lucidnet {v.get('lucidnet')}; peers: {peers or 'none'}",
        f"- Thread variables: {m['thread_env'] or 'none set'} (threads left to each library, "
        "except in the tables marked '1 thread': OMP/OpenBLAS/MKL and XLA capped at one)",
        f"- float32 GEMM peak, measured in this run (best N×N numpy matmul): "
        f"**{report['gemm_peak_gflops']:.1f} GFLOP/s**",
        f"- {s['epochs']} timed epoch(s) after one warm-up epoch, {s['repeats']} repeat(s), "
        f"interleaved, one process per job; medians, with (min–max) over the repeats. "
        "lucidnet and scikit-learn: the public `MLPClassifier.fit` (max_iter = the epochs, "
        "timed whole, input checks included) and `predict_proba`; PyTorch and JAX: a "
        f"hand-written loop. Learning rate: SGD {LEARNING_RATES['sgd']}, Adam "
        f"{LEARNING_RATES['adam']}. GFLOP/s = 6 × weights × samples per epoch / time. "
        f"Prediction: blocks of B = {PREDICT_BATCH}.",
        "",
    ]
    if report["skipped_systems"]:
        lines.append(
            "Skipped peers: "
            + "; ".join(f"{k}: {r}" for k, r in report["skipped_systems"].items())
            + "."
        )
        lines.append("")
    variants = s.get("variants") or [{"config": c, "label": c} for c in s["configs"]]
    for variant in variants:
        name, cfg = variant["label"], CONFIGS[variant["config"]]
        rows = [r for r in report["summary"] if r["config"] == name]
        if not rows:
            continue
        lines += [
            f"## {name}: {cfg.n_train:,} × {cfg.n_features}, hidden {cfg.hidden}, "
            f"B = {cfg.batch_size}",
            "",
            "| system | optimizer | s / epoch (min–max) | samples/s | GFLOP/s | % peak "
            "| peak MB | train + MB | held-out acc. | predict_proba samples/s (min–max) "
            "| lucidnet faster by | lucidnet predicts faster by |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            lucid = next(
                (x for x in rows if x["system"] == "lucidnet" and x["optimizer"] == r["optimizer"]),
                None,
            )
            speed = lucid["speedup"].get(r["system"]) if lucid else None
            pred = lucid.get("predict_speedup", {}).get(r["system"]) if lucid else None
            spread_key = "predict_samples_per_s_spread"
            lines.append(
                f"| {r['system']} | {r['optimizer']} "
                f"| {fmt_spread(r['seconds_per_epoch'], r.get('seconds_per_epoch_spread'), '.4f')} "
                f"| {fmt_rate(r['samples_per_s'])} | {fmt(r['gflops'], '.2f')} "
                f"| {fmt(r['pct_gemm_peak'], '.1f')} | {fmt(r['peak_rss_mb'], '.1f')} "
                f"| {fmt(r['train_extra_mb'], '.1f')} | {fmt(r['accuracy'], '.4f')} "
                f"| {fmt_spread(r['predict_samples_per_s'], r.get(spread_key))} "
                f"| {'–' if speed is None else f'{speed:.2f}×'} "
                f"| {'–' if pred is None else f'{pred:.2f}×'} |"
            )
        cores = [r for r in rows if r.get("core_predict_samples_per_s")]
        if cores:
            lines += [
                "",
                "lucidnet's bare core alone (`network_.predict_output`, no input checks or "
                "labels; not comparable with the `predict_proba` columns): "
                + "; ".join(
                    f"{r['optimizer']} "
                    + fmt_spread(
                        r["core_predict_samples_per_s"], r.get("core_predict_samples_per_s_spread")
                    )
                    + " samples/s"
                    for r in cores
                )
                + ".",
            ]
        lines.append("")
    if report["missing_jobs"]:
        lines += ["Jobs without a result:", ""]
        lines += [
            f"- {j['system']} {j['config']} {j['optimizer']}: {j['why']}"
            for j in report["missing_jobs"]
        ]
        lines.append("")
    if report["targets"]:
        lines += [
            "## Targets (issue 7; this run's medians)",
            "",
            "| target | value | goal | met |",
            "|---|---:|---|---|",
        ]
        for t in report["targets"]:
            met = "–" if t["met"] is None else ("yes" if t["met"] else "**no**")
            lines.append(f"| {t['target']} | {fmt(t['value'], '.3g')} | {t['goal']} | {met} |")
        lines.append("")
    lines += [
        "Columns: *peak MB* is the peak resident memory above the process before the data "
        "were made (data, model, training); *train + MB* is what model creation and training "
        "added above the data; *lucidnet faster by* is this row's seconds per epoch divided "
        "by lucidnet's (same optimizer); the full pairwise ratios are in latest.json.",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--configs", default="S,M,L", help="comma-separated: S, M, L, tiny")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=3, help="timed epochs per job, after a warm-up")
    p.add_argument("--out", default=str(HERE / "results"))
    p.add_argument("--systems", default=",".join(SYSTEMS))
    p.add_argument("--optimizers", default="sgd,adam")
    p.add_argument("--gemm-sizes", default=None, help="default 2048,4096 (256 for tiny only)")
    p.add_argument("--gemm-repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per job")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="cap every system at this many threads (default: each library's own default)",
    )
    p.add_argument(
        "--single-thread",
        default="S",
        help="configs run a second time with one thread per library (default S; '' for none)",
    )
    args = p.parse_args(argv)

    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    optimizers = [o.strip() for o in args.optimizers.split(",") if o.strip()]
    requested = [s.strip() for s in args.systems.split(",") if s.strip()]
    for c in configs:
        if c not in CONFIGS:
            p.error(f"unknown config {c!r}; choose from {', '.join(CONFIGS)}")
    for o in optimizers:
        if o not in LEARNING_RATES:
            p.error(f"unknown optimizer {o!r}; choose from {', '.join(LEARNING_RATES)}")
    for s in requested:
        if s not in SYSTEMS:
            p.error(f"unknown system {s!r}; choose from {', '.join(SYSTEMS)}")
    gemm_sizes = args.gemm_sizes or ("256" if configs == ["tiny"] else "2048,4096")
    systems, skipped = available_systems(requested)
    for system, why in skipped.items():
        print(f"skipping {system}: {why}", flush=True)

    # (config, thread cap, label): every config as asked, then the small ones on one thread
    # per library (thread spin-up dominates tiny matrix products on few cores).
    label = "{}" if args.threads is None else f"{{}}, {args.threads} thread(s)"
    variants = [(c, args.threads, label.format(c)) for c in configs]
    if args.threads != 1:
        single = [c.strip() for c in args.single_thread.split(",") if c.strip()]
        variants += [(c, 1, f"{c}, 1 thread") for c in configs if c in single]
    commit = measured_commit()  # before any job runs: the code the jobs import
    env = job_environment(args.threads)
    info = run_job(["--system", "info"], args.timeout, env)
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    started = time.perf_counter()
    gemm_runs: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    for r in range(args.repeats):
        gemm = run_job(
            [
                "--system",
                "gemm",
                "--gemm-sizes",
                gemm_sizes,
                "--gemm-repeats",
                str(args.gemm_repeats),
            ],
            args.timeout,
            env,
        )
        gemm_runs.append(gemm)
        print(
            f"[repeat {r + 1}/{args.repeats}] float32 GEMM: {gemm.get('gflops', 0):.1f} GFLOP/s",
            flush=True,
        )
        for config, threads, name in variants:
            for optimizer in optimizers:
                for system in rotated(systems, r):
                    result = run_job(
                        [
                            "--system",
                            system,
                            "--config",
                            config,
                            "--optimizer",
                            optimizer,
                            "--epochs",
                            str(args.epochs),
                            "--seed",
                            str(args.seed),
                        ],
                        args.timeout,
                        job_environment(threads),
                    )
                    result.update(
                        system=system, config=name, base_config=config, threads=threads,
                        optimizer=optimizer, repeat=r,
                    )  # fmt: skip
                    if "skipped" in result or "error" in result:
                        why = result.get("skipped") or result.get("error")
                        missing.append(
                            {
                                "system": system,
                                "config": name,
                                "optimizer": optimizer,
                                "why": why,
                                "stderr_tail": result.get("stderr_tail"),
                            }
                        )
                        print(f"  {name} {optimizer} {system}: {why}", flush=True)
                    else:
                        runs.append(result)
                        print(
                            f"  {name} {optimizer} {system}: "
                            f"{result['seconds_per_epoch']:.4f} s/epoch, "
                            f"acc {result['accuracy']:.3f}",
                            flush=True,
                        )

    peak = max((g.get("gflops", 0.0) for g in gemm_runs), default=0.0)
    summary = []
    for config, _, name in variants:
        for optimizer in optimizers:
            rows = []
            for system in systems:
                mine = [
                    x
                    for x in runs
                    if (x["system"], x["config"], x["optimizer"]) == (system, name, optimizer)
                ]
                if mine:
                    rows.append(summarize(CONFIGS[config], optimizer, system, mine, peak, name))
            speed = pairwise(rows, "seconds_per_epoch", higher_is_better=False)
            pred = pairwise(rows, "predict_samples_per_s", higher_is_better=True)
            for row in rows:
                row["speedup"] = speed.get(row["system"], {})
                row["predict_speedup"] = pred.get(row["system"], {})
            summary += rows

    unique_missing = {(m["system"], m["config"], m["optimizer"], m["why"]): m for m in missing}
    report = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": info.get("machine", {}),
        "versions": info.get("versions", {}),
        "blas": info.get("blas", []),
        "load_start": None if load_start is None else [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "wall_seconds": time.perf_counter() - started,
        "settings": {
            "configs": configs,
            "variants": [{"config": c, "threads": t, "label": n} for c, t, n in variants],
            "optimizers": optimizers,
            "systems": requested,
            "repeats": args.repeats,
            "epochs": args.epochs,
            "seed": args.seed,
            "threads": args.threads,
            "learning_rates": LEARNING_RATES,
            "predict_batch": PREDICT_BATCH,
            "config_shapes": {
                c: {
                    "n_train": CONFIGS[c].n_train,
                    "n_test": CONFIGS[c].n_test,
                    "n_features": CONFIGS[c].n_features,
                    "hidden": list(CONFIGS[c].hidden),
                    "batch_size": CONFIGS[c].batch_size,
                    "n_weights": CONFIGS[c].n_weights,
                }
                for c in configs
            },
        },
        "skipped_systems": skipped,
        "missing_jobs": list(unique_missing.values()),
        "gemm_peak_gflops": peak,
        "gemm_runs": gemm_runs,
        "summary": summary,
        "targets": check_targets(summary),
        "runs": runs,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "latest.md").write_text(markdown(report))
    print(f"wrote {out / 'latest.json'} and {out / 'latest.md'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
