"""The workload every benchmark system sees: the configurations and the synthetic data.

Shared by ``jobs.py`` (one job per process), ``runners.py`` (the systems) and ``run.py``
(the driver). The data: Gaussian inputs in float32 labelled by a fixed random tanh teacher
at its median (balanced), generated with NumPy from one seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PREDICT_BATCH = 4096
DATA_SEED = 20240601
TEACHER_WIDTH = 32
LEARNING_RATES = {"sgd": 0.05, "adam": 1e-3}


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
    def n_params(self) -> int:
        """Weights and biases."""
        return self.n_weights + sum(self.layer_sizes[1:])

    @property
    def param_mb(self) -> float:
        """One copy of the parameters in float32, MiB (what the Adam memory target allows)."""
        return 4 * self.n_params / 2**20

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
    model = 4 * cfg.n_params * 4
    batch = 4 * cfg.batch_size * sum(n) * 4
    x_copy = cfg.n_train * cfg.n_features * 4
    return (x_copy + model + batch) / 2**20 + MEMORY_SLACK_MB


CONFIGS = {
    "tiny": Config("tiny", 512, 256, 10, (16,), 32, predict_seconds=0.05),
    "S": Config("S", 20_000, 8192, 30, (64,), 32),
    "M": Config("M", 50_000, 8192, 100, (256, 256), 128),
    "L": Config("L", 20_000, 8192, 784, (1024, 1024), 256),
}


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
