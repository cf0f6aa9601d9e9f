"""Benchmark driver: the same training job on lucidnet and its peers, one process per job.

    python -m benchmarks.run                               # S, M, L; 3 repeats; 3 epochs
    python -m benchmarks.run --configs S --repeats 1 --epochs 1
    python -m benchmarks.run --configs tiny --systems lucidnet,sklearn --out /tmp/bench

Each (system, configuration, optimizer) job runs in its own process (``benchmarks.jobs``)
and the jobs are interleaved: every repeat runs every job once, the systems in a rotated
order, so slow drifts of the machine (other load, thermal state) spread over all systems.
The machine's float32 GEMM rate is measured in the same run, once per repeat, in its own
process; the best is the peak. Medians over repeats are reported with their spread
(min–max) and the ratios between every pair of systems, and the commit measured. The
configurations named by ``--single-thread`` (default S) run again with one thread per
library. lucidnet (NumPy engine, and ``engine="jax"`` as ``lucidnet_jax``) and scikit-learn
are timed through the same public API (``fit``, ``predict_proba``); lucidnet's bare core
is reported apart (see ``jobs.py``). The whole-fit systems (the tables recipe,
``TabularClassifier``, and HistGradientBoosting: they choose their own epochs) run once per
configuration and repeat, timed per fit, in their own table; no per-epoch ratio includes
them. The targets are in ``targets.py``, the markdown in ``report.py``.

Writes ``<out>/latest.json`` (everything, raw runs included) and ``<out>/latest.md`` (the
tables docs/performance.md cites). Peers that are not installed are skipped
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

from benchmarks.jobs import RESULT_PREFIX
from benchmarks.report import markdown
from benchmarks.runners import PER_EPOCH_SYSTEMS, SYSTEMS, WHOLE_FIT_SYSTEMS, system_module
from benchmarks.targets import check_targets
from benchmarks.workload import CONFIGS, LEARNING_RATES, PREDICT_BATCH, Config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent  # the jobs run as ``python -m benchmarks.jobs`` from here

PEER_INSTALL_HINT = {
    "torch": "pip install torch==2.13.0",
    "jax": "pip install jax jaxlib",
}


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
    """Run ``benchmarks.jobs`` with ``args`` in a fresh interpreter; return its result line."""
    cmd = [sys.executable, "-m", "benchmarks.jobs", *args]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s: {' '.join(args)}"}
    return result_of(proc, args)


def result_of(proc: subprocess.CompletedProcess[str], args: list[str]) -> dict[str, Any]:
    """A finished job's ``RESULT_PREFIX`` line, with its stderr's tail when it failed."""
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
        if importlib.util.find_spec(module) is None:
            hint = PEER_INSTALL_HINT.get(module, f"pip install {module}")
            skipped[system] = f"{module} is not installed ({hint} to include it)"
        else:
            usable.append(system)
    return usable, skipped


def git(*args: str) -> str:
    """The output of one git command in this checkout."""
    done = subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def measured_commit() -> str:
    """The git commit measured (short hash), "+ uncommitted changes" when the tree differs."""
    try:
        head = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" + uncommitted changes" if dirty else "")


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
        "base_config": cfg.name,
        "kind": "per_epoch",
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
        "param_mb": cfg.param_mb,
        "warmup_seconds": median_of(runs, "warmup_seconds"),
        **run_info(runs),
    }


def summarize_whole_fit(
    cfg: Config, system: str, runs: list[dict[str, Any]], variant: str | None = None
) -> dict[str, Any]:
    """A whole-fit system's medians: seconds per fit (no epochs, no GFLOP/s)."""
    return {
        "config": variant or cfg.name,
        "base_config": cfg.name,
        "kind": "whole_fit",
        "optimizer": "own",
        "system": system,
        "implementation": runs[0].get("implementation"),
        "repeats": len(runs),
        "fit_seconds": median_of(runs, "fit_seconds"),
        "fit_seconds_all": [r["fit_seconds"] for r in runs],
        "fit_seconds_spread": spread_of(runs, "fit_seconds"),
        "first_fit_seconds": median_of(runs, "first_fit_seconds"),
        "first_fit_seconds_spread": spread_of(runs, "first_fit_seconds"),
        "n_iter_all": [r["n_iter"] for r in runs if r.get("n_iter") is not None],
        "n_iter_means": runs[0].get("n_iter_means"),
        "selected_epochs_all": [
            r["selected_epochs"] for r in runs if r.get("selected_epochs") is not None
        ],
        "accuracy": median_of(runs, "accuracy"),
        "predict_samples_per_s": median_of(runs, "predict_samples_per_s"),
        "predict_samples_per_s_spread": spread_of(runs, "predict_samples_per_s"),
        "peak_rss_mb": max_of(runs, "peak_rss_mb"),
        "train_extra_mb": max_of(runs, "train_extra_mb"),
        "x_train_mb": runs[0].get("x_train_mb"),
        **run_info(runs),
    }


def run_info(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """What a runner reported about itself (engine, JAX devices, PyTorch threads)."""
    keys = ("engine", "jax_backend", "jax_devices", "torch_threads")
    return {k: runs[0][k] for k in keys if k in runs[0]}


def runs_of(
    runs: list[dict[str, Any]], system: str, name: str, optimizer: str
) -> list[dict[str, Any]]:
    return [
        x for x in runs if (x["system"], x["config"], x["optimizer"]) == (system, name, optimizer)
    ]


def compare(rows: list[dict[str, Any]], time_key: str, speedup_key: str) -> None:
    """Set each row's ratios to every other row of the same table (same kind of timing)."""
    speed = pairwise(rows, time_key, higher_is_better=False)
    pred = pairwise(rows, "predict_samples_per_s", higher_is_better=True)
    for row in rows:
        row[speedup_key] = speed.get(row["system"], {})
        row["predict_speedup"] = pred.get(row["system"], {})


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
    per_epoch = [s for s in systems if s in PER_EPOCH_SYSTEMS]
    whole_fit = [s for s in systems if s in WHOLE_FIT_SYSTEMS]

    def record(
        system: str, config: str, name: str, threads: int | None, optimizer: str, r: int,
        job: list[str],
    ) -> None:  # fmt: skip
        """Run one job; keep its result in ``runs``, or why it has none in ``missing``."""
        result = run_job(
            ["--system", system, "--config", config, "--seed", str(args.seed), *job],
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
            return
        runs.append(result)
        if system in WHOLE_FIT_SYSTEMS:
            timing = (
                f"{result['fit_seconds']:.3f} s/fit (first, cold: "
                f"{result['first_fit_seconds']:.3f} s), n_iter {result.get('n_iter')}"
            )
        else:
            timing = f"{result['seconds_per_epoch']:.4f} s/epoch"
        print(f"  {name} {optimizer} {system}: {timing}, acc {result['accuracy']:.3f}", flush=True)

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
                for system in rotated(per_epoch, r):
                    job = ["--optimizer", optimizer, "--epochs", str(args.epochs)]
                    record(system, config, name, threads, optimizer, r, job)
            for system in rotated(whole_fit, r):  # once per variant: they pick their optimizer
                record(system, config, name, threads, "own", r, [])

    peak = max((g.get("gflops", 0.0) for g in gemm_runs), default=0.0)
    summary, whole_summary = [], []
    for config, _, name in variants:
        for optimizer in optimizers:
            rows = [
                summarize(CONFIGS[config], optimizer, system, mine, peak, name)
                for system in per_epoch
                if (mine := runs_of(runs, system, name, optimizer))
            ]
            compare(rows, "seconds_per_epoch", "speedup")
            summary += rows
        rows = [
            summarize_whole_fit(CONFIGS[config], system, mine, name)
            for system in whole_fit
            if (mine := runs_of(runs, system, name, "own"))
        ]
        compare(rows, "fit_seconds", "fit_speedup")
        whole_summary += rows

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
            "per_epoch_systems": per_epoch,
            "whole_fit_systems": whole_fit,
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
        "whole_fit": whole_summary,
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
