"""One benchmark job per process: train one system on one configuration, print one JSON line.

    python benchmarks/jobs.py --system lucidnet --config S --optimizer sgd --epochs 3
    python benchmarks/jobs.py --system gemm --gemm-sizes 2048,4096

Every system sees the same job: the same synthetic binary data (a fixed random teacher
network labels Gaussian inputs, float32, generated here with NumPy from one seed), the same
architecture (ReLU hidden layers, one sigmoid output, binary cross-entropy averaged over
the minibatch, no L2 penalty), the same minibatch size, learning rate and number of epochs,
a fresh shuffle every epoch, and the same held-out split for accuracy and prediction.

What is timed
-------------
lucidnet and scikit-learn: their public API, as a user calls it. A warm-up ``fit`` of one
epoch, then one ``fit`` of ``--epochs`` epochs (``max_iter``; no early stop), timed whole
with ``time.perf_counter``: seconds per epoch = that time / epochs, input validation
included. PyTorch and JAX have no estimator: their hand-written loop (what a user writes)
runs one warm-up epoch (JIT compilation, lazy allocation), then ``--epochs`` epochs timed
one by one; the median is reported. An epoch is everything a user's epoch costs: the
shuffle, the minibatch gather, forward, loss, backward and the parameter update.

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
from dataclasses import dataclass
from typing import Any

import numpy as np

RESULT_PREFIX = "BENCH_RESULT "
PREDICT_BATCH = 4096
DATA_SEED = 20240601
TEACHER_WIDTH = 32
LEARNING_RATES = {"sgd": 0.05, "adam": 1e-3}
SYSTEMS = ("lucidnet", "sklearn", "torch", "jax_jit", "jax_scan")


@dataclass(frozen=True)
class Config:
    """One benchmark size: n_train rows of n_features, hidden widths, minibatch size B."""

    name: str
    n_train: int
    n_test: int
    n_features: int
    hidden: tuple[int, ...]
    batch_size: int
    predict_seconds: float = 0.5  # how long prediction passes are repeated, at least

    @property
    def layer_sizes(self) -> list[int]:
        return [self.n_features, *self.hidden, 1]

    @property
    def n_weights(self) -> int:
        """Σ_l n[l]·n[l-1]: the multiply-adds of one example's forward pass."""
        n = self.layer_sizes
        return sum(n[l] * n[l - 1] for l in range(1, len(n)))

    @property
    def flops_per_epoch(self) -> float:
        """6 × weights × samples: forward (2), backward dA and dW (2 + 2) per weight."""
        return 6.0 * self.n_weights * self.n_train


MEMORY_SLACK_MB = 16.0


def train_allowance_mb(cfg: Config) -> float:
    """What training may add: one copy of X, what the minibatch and the model need, slack.

    The model: parameters, gradients and two Adam moments (4 copies); the minibatch: Z, A,
    dZ and dA for every layer (4 × B × Σ n[l]); float32. The slack covers the allocator and
    RSS granularity.
    """
    n = cfg.layer_sizes
    n_params = cfg.n_weights + sum(n[1:])
    model = 4 * n_params * 4
    batch = 4 * cfg.batch_size * sum(n) * 4
    x_copy = cfg.n_train * cfg.n_features * 4
    return (x_copy + model + batch) / 2**20 + MEMORY_SLACK_MB


CONFIGS = {
    "tiny": Config("tiny", 512, 256, 10, (16,), 32, predict_seconds=0.05),
    "S": Config("S", 20_000, 8192, 30, (64,), 32),
    "M": Config("M", 50_000, 8192, 100, (256, 256), 128),
    "L": Config("L", 20_000, 8192, 784, (1024, 1024), 256),
}


# ---------------------------------------------------------------------- data and memory


def make_data(cfg: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """X ~ N(0, 1) in float32, y = 1 where a fixed random tanh teacher's logit > its median.

    Generated in chunks straight into float32 buffers, so that the generation itself adds
    no peak memory beyond the data. Returns contiguous views X_train, y_train, X_test, y_test.
    """
    rng = np.random.default_rng(DATA_SEED)
    d = cfg.n_features
    n = cfg.n_train + cfg.n_test
    W = (rng.standard_normal((d, TEACHER_WIDTH)) / np.sqrt(d)).astype(np.float32)
    v = rng.standard_normal(TEACHER_WIDTH).astype(np.float32)
    X = np.empty((n, d), dtype=np.float32)
    logit = np.empty(n, dtype=np.float32)
    chunk = 4096
    for start in range(0, n, chunk):
        rows = X[start : start + chunk]
        rng.standard_normal(rows.shape, dtype=np.float32, out=rows)
        logit[start : start + chunk] = np.tanh(2.0 * (rows @ W)) @ v
    y = (logit > np.median(logit)).astype(np.float32)
    return X[: cfg.n_train], y[: cfg.n_train], X[cfg.n_train :], y[cfg.n_train :]


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


# ---------------------------------------------------------------------- runners


class Runner:
    """Holds one model, trains it one epoch at a time, predicts P(y = 1) for a block."""

    name = ""
    implementation = ""

    def train_epoch(self) -> None:
        raise NotImplementedError

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        return {}


class EstimatorRunner(Runner):
    """A scikit-learn-style MLPClassifier trained by its public ``fit``, the way users do.

    lucidnet's and scikit-learn's estimators get the same parameters: ReLU, ``alpha=0``,
    constant learning rate, no momentum, no early stopping, no tolerance stop, and
    ``max_iter`` = the timed epochs, so one ``fit`` runs exactly that many epochs
    (validation of X and y, the shuffles, every update). The time per epoch is the ``fit``
    time divided by the epochs. Prediction is the public ``predict_proba``.
    """

    def __init__(
        self, cfg: Config, X: np.ndarray, y: np.ndarray, optimizer: str, lr: float, seed: int
    ) -> None:
        self.params = {
            "hidden_layer_sizes": cfg.hidden,
            "activation": "relu",
            "solver": optimizer,
            "alpha": 0.0,
            "batch_size": cfg.batch_size,
            "learning_rate": "constant",
            "learning_rate_init": lr,
            "momentum": 0.0,
            "nesterovs_momentum": False,
            "shuffle": True,
            "random_state": seed,
            "tol": 0.0,
            "n_iter_no_change": 10**9,
            "early_stopping": False,
        }
        self.X, self.y = X, y
        self.clf: Any = None

    def estimator(self, max_iter: int) -> Any:
        raise NotImplementedError

    def fit(self, epochs: int) -> None:
        import warnings

        self.clf = self.estimator(epochs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the ConvergenceWarning of max_iter epochs
            self.clf.fit(self.X, self.y)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.clf.predict_proba(X)[:, 1]


class LucidnetRunner(EstimatorRunner):
    """``lucidnet.MLPClassifier``: public fit and predict_proba (float32 in: float32 model).

    ``core_predict_proba`` is the bare core, ``network_.predict_output`` on the columns
    (no input checks, no label handling), reported separately and labelled as such.
    """

    name = "lucidnet"
    implementation = "MLPClassifier.fit"

    def estimator(self, max_iter: int) -> Any:
        from lucidnet import MLPClassifier

        return MLPClassifier(**self.params, max_iter=max_iter)

    def core_predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.clf.network_.predict_output(X.T))[0]


class SklearnRunner(EstimatorRunner):
    """scikit-learn's ``MLPClassifier``: public fit and predict_proba (float32 kept)."""

    name = "sklearn"
    implementation = "MLPClassifier.fit"

    def estimator(self, max_iter: int) -> Any:
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(**self.params, max_iter=max_iter)


class TorchRunner(Runner):
    """PyTorch eager: nn.Sequential(Linear, ReLU, ..., Linear), BCEWithLogitsLoss.

    The usual hand-written loop: ``torch.randperm`` each epoch, ``index_select`` of the
    minibatch rows, ``zero_grad(set_to_none=True)``, forward, loss, backward, ``step``.
    X is shared with NumPy (``torch.from_numpy``, no copy). Threads: PyTorch's default.
    """

    name = "torch"
    implementation = "eager"

    def __init__(
        self, cfg: Config, X: np.ndarray, y: np.ndarray, optimizer: str, lr: float, seed: int
    ) -> None:
        import torch

        self.torch = torch
        torch.manual_seed(seed)
        layers: list[Any] = []
        sizes = cfg.layer_sizes
        for l in range(1, len(sizes)):
            layers.append(torch.nn.Linear(sizes[l - 1], sizes[l]))
            if l < len(sizes) - 1:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        params = self.model.parameters()
        if optimizer == "sgd":
            self.opt: Any = torch.optim.SGD(params, lr=lr, momentum=0.0)
        else:
            self.opt = torch.optim.Adam(params, lr=lr)
        self.loss = torch.nn.BCEWithLogitsLoss()
        self.X = torch.from_numpy(X)
        self.Y = torch.from_numpy(y).reshape(-1, 1)
        self.B = cfg.batch_size
        self.gen = torch.Generator().manual_seed(seed)

    def train_epoch(self) -> None:
        torch, model, opt, loss_fn = self.torch, self.model, self.opt, self.loss
        n = self.X.shape[0]
        perm = torch.randperm(n, generator=self.gen)
        for start in range(0, n, self.B):
            idx = perm[start : start + self.B]
            xb = torch.index_select(self.X, 0, idx)
            yb = torch.index_select(self.Y, 0, idx)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            return torch.sigmoid(self.model(torch.from_numpy(X)))[:, 0].numpy()

    def info(self) -> dict[str, Any]:
        return {"torch_threads": self.torch.get_num_threads()}


class JaxRunner(Runner):
    """JAX with jax.numpy written directly here; two ways to run an epoch.

    ``jax_jit``: a Python loop over minibatches calling one jitted step (gather inside the
    step with ``jnp.take``; the smaller last minibatch compiles once more, in the warm-up).
    ``jax_scan``: the whole epoch is one jitted function: ``lax.scan`` over the full
    minibatches, then the last, smaller one. The shuffle is a NumPy permutation per epoch.
    Adam is written out (same formula and defaults as torch.optim.Adam).
    """

    implementation = ""

    def __init__(
        self,
        cfg: Config,
        X: np.ndarray,
        y: np.ndarray,
        optimizer: str,
        lr: float,
        seed: int,
        scan: bool,
    ) -> None:
        import jax
        import jax.numpy as jnp

        self.name = "jax_scan" if scan else "jax_jit"
        self.implementation = "lax.scan epoch" if scan else "jitted step"
        self.jax, self.jnp = jax, jnp
        rng = np.random.default_rng(seed)
        sizes = cfg.layer_sizes
        params = []
        for l in range(1, len(sizes)):
            fan_in = sizes[l - 1]
            W = rng.standard_normal((fan_in, sizes[l])) * np.sqrt(2.0 / fan_in)
            params.append((jnp.asarray(W, jnp.float32), jnp.zeros(sizes[l], jnp.float32)))
        self.params = params
        self.X = jnp.asarray(X)
        self.Y = jnp.asarray(y)
        self.n = X.shape[0]
        self.B = cfg.batch_size
        self.rng = rng
        b1, b2, eps = 0.9, 0.999, 1e-8

        def forward(params: Any, xb: Any) -> Any:
            h = xb
            for W, b in params[:-1]:
                h = jax.nn.relu(h @ W + b)
            W, b = params[-1]
            return (h @ W + b)[:, 0]

        def loss_fn(params: Any, xb: Any, yb: Any) -> Any:
            z = forward(params, xb)
            return jnp.mean(jnp.maximum(z, 0) - z * yb + jnp.log1p(jnp.exp(-jnp.abs(z))))

        grad_fn = jax.grad(loss_fn)

        def step(params: Any, state: Any, X: Any, Y: Any, idx: Any) -> Any:
            g = grad_fn(params, jnp.take(X, idx, axis=0), jnp.take(Y, idx, axis=0))
            if optimizer == "sgd":
                return jax.tree_util.tree_map(lambda p, d: p - lr * d, params, g), state
            m, v, t = state
            t = t + 1
            m = jax.tree_util.tree_map(lambda a, d: b1 * a + (1 - b1) * d, m, g)
            v = jax.tree_util.tree_map(lambda a, d: b2 * a + (1 - b2) * d * d, v, g)
            c1 = 1 - b1**t
            c2 = 1 - b2**t
            params = jax.tree_util.tree_map(
                lambda p, a, s: p - lr * (a / c1) / (jnp.sqrt(s / c2) + eps), params, m, v
            )
            return params, (m, v, t)

        n_full, rest = divmod(self.n, self.B)

        def epoch(params: Any, state: Any, X: Any, Y: Any, perm: Any) -> Any:
            def body(carry: Any, idx: Any) -> Any:
                return step(*carry, X, Y, idx), None

            full = jnp.reshape(perm[: n_full * self.B], (n_full, self.B))
            (params, state), _ = jax.lax.scan(body, (params, state), full)
            if rest:
                params, state = step(params, state, X, Y, perm[n_full * self.B :])
            return params, state

        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        adam_state = (zeros, zeros, jnp.asarray(0.0, jnp.float32))
        self.state: Any = adam_state if optimizer == "adam" else ()
        self._step = jax.jit(step)
        self._epoch = jax.jit(epoch)
        self._forward = jax.jit(lambda params, xb: jax.nn.sigmoid(forward(params, xb)))
        self.scan = scan

    def train_epoch(self) -> None:
        perm = self.rng.permutation(self.n).astype(np.int32)
        if self.scan:
            self.params, self.state = self._epoch(self.params, self.state, self.X, self.Y, perm)
        else:
            params, state, X, Y = self.params, self.state, self.X, self.Y
            for start in range(0, self.n, self.B):
                params, state = self._step(params, state, X, Y, perm[start : start + self.B])
            self.params, self.state = params, state
        self.jax.block_until_ready(self.params)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self._forward(self.params, X))

    def info(self) -> dict[str, Any]:
        return {"jax_devices": [str(d) for d in self.jax.devices()]}


class SkipJob(Exception):
    """The system cannot run this job (not installed, or no such optimizer)."""


def make_runner(
    system: str, cfg: Config, X: np.ndarray, y: np.ndarray, optimizer: str, lr: float, seed: int
) -> Runner:
    if system == "lucidnet":
        return LucidnetRunner(cfg, X, y, optimizer, lr, seed)
    if system == "sklearn":
        return SklearnRunner(cfg, X, y, optimizer, lr, seed)
    if system == "torch":
        return TorchRunner(cfg, X, y, optimizer, lr, seed)
    if system in ("jax_jit", "jax_scan"):
        return JaxRunner(cfg, X, y, optimizer, lr, seed, scan=system == "jax_scan")
    raise ValueError(f"Unknown system {system!r}; expected one of {SYSTEMS}.")


# ---------------------------------------------------------------------- versions


def system_module(system: str) -> str:
    return {"jax_jit": "jax", "jax_scan": "jax"}.get(system, system)


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
    """Import what ``system`` needs before the memory baseline, so imports are not counted."""
    import importlib

    modules = {
        "lucidnet": ["lucidnet", "lucidnet.estimators"],
        "sklearn": ["sklearn.neural_network"],
        "torch": ["torch"],
        "jax_jit": ["jax", "jax.numpy"],
        "jax_scan": ["jax", "jax.numpy"],
    }[system]
    for name in modules:
        importlib.import_module(name)


def run_training_job(system: str, cfg: Config, optimizer: str, epochs: int, seed: int) -> dict:
    preload(system)
    rss_before_data = current_rss_mb()
    X_train, y_train, X_test, y_test = make_data(cfg)
    peak_reset = reset_peak_rss()  # the high-water mark is now the current size
    rss_with_data = current_rss_mb()
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

    proba = np.concatenate(
        [
            runner.predict_proba(X_test[s : s + PREDICT_BATCH])
            for s in range(0, cfg.n_test, PREDICT_BATCH)
        ]
    )
    accuracy = float(np.mean((proba > 0.5) == (y_test > 0.5)))
    predict = predict_throughput(runner.predict_proba, X_test, cfg.predict_seconds)
    core = None
    if isinstance(runner, LucidnetRunner):
        core = predict_throughput(runner.core_predict_proba, X_test, cfg.predict_seconds)

    sec = statistics.median(times) if times else warmup
    return {
        "system": system,
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
        "peak_rss_mb": peak_rss_mb() - rss_before_data,
        "train_extra_mb": max(train_peak - rss_with_data, 0.0) if peak_reset else None,
        "x_train_mb": X_train.nbytes / 2**20,
        "train_allowance_mb": train_allowance_mb(cfg),
        "data_mb": rss_with_data - rss_before_data,
        **runner.info(),
    }


def predict_throughput(
    predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, min_seconds: float
) -> float:
    """Median samples/s over passes of the held-out set in PREDICT_BATCH blocks."""
    blocks = [X[s : s + PREDICT_BATCH] for s in range(0, X.shape[0], PREDICT_BATCH)]
    predict(blocks[0])  # warm-up (JIT)
    rates = []
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
    p.add_argument("--optimizer", choices=sorted(LEARNING_RATES), default="sgd")
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
        result.setdefault("config", args.config)
        result.setdefault("optimizer", args.optimizer)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
