"""One benchmark job per process: train one system on one configuration, print one JSON line.

    python -m benchmarks.jobs --system lucidnet --config S --optimizer sgd --epochs 3
    python -m benchmarks.jobs --system lucidnet_tabular --config S
    python -m benchmarks.jobs --system gemm --gemm-sizes 2048,4096

The systems are in ``runners.py``, the configurations and the data in ``workload.py``.
Every per-epoch system sees the same job: the same synthetic binary data (a fixed random teacher
network labels Gaussian inputs, float32, generated here with NumPy from one seed), the same
architecture (ReLU hidden layers, one sigmoid output, binary cross-entropy averaged over
the minibatch, no L2 penalty), the same minibatch size, learning rate and number of epochs,
a fresh shuffle every epoch, and the same held-out split for accuracy and prediction.

What is timed
-------------
lucidnet (either engine: ``lucidnet`` is NumPy, ``lucidnet_jax`` is ``engine="jax"``) and
scikit-learn: their public API, as a user calls it. A warm-up ``fit`` of one
epoch, then one ``fit`` of ``--epochs`` epochs (``max_iter``; no early stop), timed whole
with ``time.perf_counter``: seconds per epoch = that time / epochs, input validation
included. PyTorch and JAX have no estimator: their hand-written loop (what a user writes)
runs one warm-up epoch (JIT compilation, lazy allocation), then ``--epochs`` epochs timed
one by one; the median is reported. An epoch is everything a user's epoch costs: the
shuffle, the minibatch gather, forward, loss, backward and the parameter update.

Whole-fit systems (``lucidnet_tabular``, ``lucidnet_tabular_jax``, ``sklearn_hgb``) are
estimators with their own defaults that choose their own number of epochs or boosting
rounds: the same data, no optimizer or learning rate given, timed as whole ``fit`` calls
(a cold first fit, then a second one; see ``run_whole_fit_job``), never per epoch.

Prediction throughput: the held-out set in blocks of ``PREDICT_BATCH`` rows, NumPy in and
NumPy out for every system, passes repeated for at least ``Config.predict_seconds``; the
median over passes is reported. lucidnet and scikit-learn: the public ``predict_proba``.
lucidnet's bare core (``Network.predict_output``, no input checks) is reported apart, as
``core_predict_samples_per_s``.

Memory: the system's modules are imported first. ``peak_rss_mb`` is ``ru_maxrss`` at the
end minus the resident size just before the data were created: the data, the model,
training and prediction, not the imports. Once the data exist the kernel's high-water mark
is reset (``/proc/self/clear_refs``, Linux ≥ 4.0; otherwise ``train_extra_mb`` is None and
``peak_rss_mb`` also holds the transient of data generation). ``train_extra_mb`` is the
peak during model creation and training above the resident size with the data, to compare
with ``x_train_mb`` and ``train_allowance_mb``: training should add at most one copy of X
plus what the model and one minibatch need.

The result is one line ``BENCH_RESULT {...json...}`` on stdout; everything else a library
prints is left alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.runners import (
    PRELOAD,
    SYSTEMS,
    WHOLE_FIT_SYSTEMS,
    EstimatorRunner,
    LucidnetRunner,
    SkipJob,
    WholeFitRunner,
    make_runner,
)
from benchmarks.workload import (
    CONFIGS,
    LEARNING_RATES,
    PREDICT_BATCH,
    Config,
    make_data,
    train_allowance_mb,
)

RESULT_PREFIX = "BENCH_RESULT "


# ---------------------------------------------------------------------- memory


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def current_rss_mb() -> float:
    kb = _status_kb("VmRSS")
    if kb is None:  # not Linux: the peak so far is the best we have
        return peak_rss_mb()
    return kb / 1024


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark (Linux ≥ 4.0); False where it is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


# ---------------------------------------------------------------------- versions


def versions() -> dict[str, str | None]:
    """Versions of NumPy and of every peer that is importable (None when absent)."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in ("numpy", "scikit-learn", "lucidnet", "torch", "jax", "jaxlib", "threadpoolctl"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def blas_info() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = ("user_api", "internal_api", "num_threads", "version", "architecture", "prefix")
    return [{k: d.get(k) for k in keep} for d in threadpool_info()]


# ---------------------------------------------------------------------- jobs


def preload(system: str) -> None:
    """Import what ``system`` needs before the memory baseline, so imports are not counted.

    JAX's backend is started here as well; what compiling the training step costs stays
    in the memory measured.
    """
    import importlib

    for name in PRELOAD[system]:
        importlib.import_module(name)
    if "jax" in PRELOAD[system]:  # start XLA's client too: a one-off, like an import
        importlib.import_module("jax").devices()


def held_out(runner: Any, cfg: Config, X_test: np.ndarray, y_test: np.ndarray) -> tuple:
    """(accuracy on the held-out rows, predict_proba samples/s in blocks of PREDICT_BATCH)."""
    proba = np.concatenate(
        [
            runner.predict_proba(X_test[s : s + PREDICT_BATCH])
            for s in range(0, cfg.n_test, PREDICT_BATCH)
        ]
    )
    accuracy = float(np.mean((proba > 0.5) == (y_test > 0.5)))
    return accuracy, predict_throughput(runner.predict_proba, X_test, cfg.predict_seconds)


class Memory:
    """The resident sizes a job's memory figures are measured from (see the module doc)."""

    def __init__(self) -> None:
        self.before_data = current_rss_mb()
        self.with_data = self.before_data
        self.peak_reset = False

    def data_made(self) -> None:
        """Call once the data exist: resets the high-water mark to the current size."""
        self.peak_reset = reset_peak_rss()
        self.with_data = current_rss_mb()

    def figures(self, train_peak: float, X_train: np.ndarray) -> dict[str, Any]:
        """Peak, training's extra and the data's MB, with ``train_peak`` read after training."""
        return {
            "peak_rss_mb": peak_rss_mb() - self.before_data,
            "train_extra_mb": max(train_peak - self.with_data, 0.0) if self.peak_reset else None,
            "x_train_mb": X_train.nbytes / 2**20,
            "data_mb": self.with_data - self.before_data,
        }


def prepared(system: str, cfg: Config) -> tuple[Memory, tuple[np.ndarray, ...]]:
    """Import what ``system`` needs, then make the data: the memory baselines and the data."""
    preload(system)
    memory = Memory()
    data = make_data(cfg)
    memory.data_made()
    return memory, data


def run_training_job(system: str, cfg: Config, optimizer: str, epochs: int, seed: int) -> dict:
    memory, (X_train, y_train, X_test, y_test) = prepared(system, cfg)
    lr = LEARNING_RATES[optimizer]

    runner = make_runner(system, cfg, X_train, y_train, optimizer, lr, seed)
    t0 = time.perf_counter()
    if isinstance(runner, EstimatorRunner):
        runner.fit(1)  # warm-up: one epoch's fit
        warmup = time.perf_counter() - t0
        t0 = time.perf_counter()
        runner.fit(epochs)  # the timed, public fit of `epochs` epochs
        times = [(time.perf_counter() - t0) / epochs]
    else:
        runner.train_epoch()
        warmup = time.perf_counter() - t0
        times = []
        for _ in range(epochs):
            t0 = time.perf_counter()
            runner.train_epoch()
            times.append(time.perf_counter() - t0)
    train_peak = peak_rss_mb()

    accuracy, predict = held_out(runner, cfg, X_test, y_test)
    core = None
    if isinstance(runner, LucidnetRunner):
        core = predict_throughput(runner.core_predict_proba, X_test, cfg.predict_seconds)

    sec = statistics.median(times) if times else warmup
    return {
        "system": system,
        "kind": "per_epoch",
        "implementation": runner.implementation,
        "config": cfg.name,
        "optimizer": optimizer,
        "learning_rate": lr,
        "batch_size": cfg.batch_size,
        "epochs_timed": epochs,
        "warmup_seconds": warmup,
        "epoch_seconds": times,
        "seconds_per_epoch": sec,
        "samples_per_s": cfg.n_train / sec,
        "gflops": cfg.flops_per_epoch / sec / 1e9,
        "accuracy": accuracy,
        "predict_samples_per_s": predict,
        "core_predict_samples_per_s": core,
        **memory.figures(train_peak, X_train),
        "train_allowance_mb": train_allowance_mb(cfg),
        **runner.info(),
    }


def run_whole_fit_job(system: str, cfg: Config, seed: int) -> dict:
    """One whole-fit system: a cold ``fit`` (the first in this process), then a timed one.

    The estimator chooses its own epochs (or boosting rounds), so the time is per fit,
    never per epoch. ``first_fit_seconds`` is the first fit in a fresh process (imports
    done; JIT compilation, if any, included); ``fit_seconds`` a second, identical fit in
    the same process (what a second model costs a user).
    """
    memory, (X_train, y_train, X_test, y_test) = prepared(system, cfg)
    runner = make_runner(system, cfg, X_train, y_train, "own", 0.0, seed)  # no optimizer, lr
    assert isinstance(runner, WholeFitRunner)
    t0 = time.perf_counter()
    runner.fit()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    runner.fit()
    seconds = time.perf_counter() - t0
    train_peak = peak_rss_mb()

    accuracy, predict = held_out(runner, cfg, X_test, y_test)
    return {
        "system": system,
        "kind": "whole_fit",
        "implementation": runner.implementation,
        "config": cfg.name,
        "optimizer": "own",
        "first_fit_seconds": first,
        "fit_seconds": seconds,
        **runner.rounds(),
        "accuracy": accuracy,
        "predict_samples_per_s": predict,
        **memory.figures(train_peak, X_train),
        **runner.info(),
    }


def predict_throughput(
    predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, min_seconds: float
) -> float:
    """Median samples/s over passes of the held-out set in PREDICT_BATCH blocks."""
    blocks = [X[s : s + PREDICT_BATCH] for s in range(0, X.shape[0], PREDICT_BATCH)]
    predict(blocks[0])  # warm-up (JIT)
    rates: list[float] = []
    start = time.perf_counter()
    while not rates or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        for block in blocks:
            predict(block)
        rates.append(X.shape[0] / (time.perf_counter() - t0))
    return statistics.median(rates)


def run_gemm_job(sizes: list[int], repeats: int) -> dict:
    """The machine's float32 GEMM rate: numpy matmul of square matrices, best of several."""
    rng = np.random.default_rng(0)
    runs = []
    for n in sizes:
        A = rng.standard_normal((n, n), dtype=np.float32)
        B = rng.standard_normal((n, n), dtype=np.float32)
        C = np.empty((n, n), dtype=np.float32)
        np.matmul(A, B, out=C)  # warm-up
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            np.matmul(A, B, out=C)
            best = min(best, time.perf_counter() - t0)
        runs.append({"n": n, "seconds": best, "gflops": 2.0 * n**3 / best / 1e9})
    return {"system": "gemm", "runs": runs, "gflops": max(r["gflops"] for r in runs)}


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "XLA_FLAGS"))
    }
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "thread_env": env,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--system", required=True, choices=[*SYSTEMS, "gemm", "info"])
    p.add_argument("--config", choices=sorted(CONFIGS), default="tiny")
    p.add_argument(
        "--optimizer",
        choices=sorted(LEARNING_RATES),
        default="sgd",
        help="per-epoch systems only (the whole-fit ones use their own)",
    )
    p.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gemm-sizes", default="2048,4096")
    p.add_argument("--gemm-repeats", type=int, default=3)
    args = p.parse_args(argv)

    try:
        if args.system == "gemm":
            sizes = [int(s) for s in args.gemm_sizes.split(",")]
            result = run_gemm_job(sizes, args.gemm_repeats)
        elif args.system == "info":
            result = {
                "system": "info",
                "machine": machine_info(),
                "versions": versions(),
                "blas": blas_info(),
            }
        elif args.system in WHOLE_FIT_SYSTEMS:
            result = run_whole_fit_job(args.system, CONFIGS[args.config], args.seed)
        else:
            cfg = CONFIGS[args.config]
            result = run_training_job(args.system, cfg, args.optimizer, args.epochs, args.seed)
    except SkipJob as e:
        result = {"system": args.system, "skipped": str(e)}
    except ImportError as e:
        result = {"system": args.system, "skipped": f"not installed ({e})"}
    except Exception as e:
        traceback.print_exc()
        result = {"system": args.system, "error": f"{type(e).__name__}: {e}"}
    if args.system not in ("gemm", "info"):
        whole = args.system in WHOLE_FIT_SYSTEMS
        result.setdefault("config", args.config)
        result.setdefault("optimizer", "own" if whole else args.optimizer)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
