"""One page's training session: its data, its network and where training stands.

The network is lucidnet's own :class:`~lucidnet.core.Network`, stepped by the trainer's
own step (:class:`lucidnet.training.step.Step`): one call of :meth:`Session.step` is one
minibatch of the lecture's loop,

    cache = net.forward(A0)                       Z[l] = W[l] A[l-1] + b[l],  A[l] = g[l](Z[l])
    grads = net.backward(cache, Y, alpha)         dZ[L] = (A[L] − Y) / B, ... dW[l], db[l]
    θ, state = optimizer.update(θ, g, state, lr)  W[l] := W[l] − lr dW[l]  (SGD)

The network sees the input features of ``u = (x − mean) / scale`` (u on about [-2, 2]²):
u1, u2, u1², u2², u1·u2, sin(3 u1), sin(3 u2); on the generated sets u = x / 3, so
``sin(3 u1) = sin x1``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from lucidnet.core import Network, pack, parameters, set_parameters, unpack
from lucidnet.playground.config import DATA_FIELDS, NETWORK_FIELDS, Config, ConfigError
from lucidnet.playground.datasets import DATASETS, DataError, Dataset, csv_dataset, generate
from lucidnet.training import SGD, Adam, Optimizer
from lucidnet.training.step import Step

__all__ = ["FEATURE_LABELS", "Session", "input_features"]

FEATURE_LABELS = {
    "x1": "x1",
    "x2": "x2",
    "x1sq": "x1²",
    "x2sq": "x2²",
    "x1x2": "x1·x2",
    "sinx1": "sin x1",
    "sinx2": "sin x2",
}
MAX_HISTORY = 400


def input_features(U: np.ndarray, features: list[str]) -> np.ndarray:
    """The network's inputs, one column per feature, from standardised points U (n, 2)."""
    u1, u2 = U[:, 0], U[:, 1]
    columns = {
        "x1": u1,
        "x2": u2,
        "x1sq": u1 * u1,
        "x2sq": u2 * u2,
        "x1x2": u1 * u2,
        "sinx1": np.sin(3 * u1),
        "sinx2": np.sin(3 * u2),
    }
    return np.column_stack([columns[f] for f in features])


class Session:
    """Data, network, optimizer and counters for one page.

    Attributes
    ----------
    config : Config
    data : Dataset
    train, test : ndarray of int
        Row indices of ``data`` in the training and the test part.
    net : Network
    epoch : int
        Completed passes over the training part.
    steps : int
        Minibatches trained on so far (every :meth:`step` adds one).
    history : list of [steps, train loss, test loss]
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.csv_text: str | None = None
        self.csv_choice: dict[str, str] | None = None
        self.running = False
        self._make_data()
        self.reset()

    # ------------------------------------------------------------------ set-up

    def apply(self, config: Config) -> bool:
        """Use new settings; rebuild data and network only where they changed.

        Returns True when training was reset. On error nothing changes.
        """
        old = self.config
        changed = {k for k, v in config.as_dict().items() if getattr(old, k) != v}
        if config.dataset == "csv" and self.csv_text is None:
            raise ConfigError("The dataset 'csv' needs a CSV file: upload one first.")
        self._check_output(config, self.data.task if not changed & set(DATA_FIELDS) else None)
        self.config = config
        if changed & set(DATA_FIELDS):
            try:
                self._make_data()
            except (DataError, ConfigError):
                self.config = old
                raise
        if changed & {*DATA_FIELDS, *NETWORK_FIELDS}:
            self.reset()
            return True
        if "optimizer" in changed:
            self.optimizer = self._make_optimizer()
        return False

    def use_csv(self, text: str, x1: str, x2: str, target: str, task: str) -> None:
        """Train on two columns of an uploaded CSV from now on (resets training)."""
        data = csv_dataset(text, x1, x2, target, task)
        output = self.config.output  # keep the page's choice where it fits the new target
        if data.task == "regression":
            output = "identity"
        elif data.task == "multiclass":
            output = "softmax"
        elif output == "identity":
            output = "sigmoid"
        self.csv_text = text
        self.csv_choice = {"x1": x1, "x2": x2, "target": target, "task": task}
        self.config = Config(**{**self.config.as_dict(), "dataset": "csv", "output": output})
        self._set_data(data)
        self.reset()

    def use_generated(self) -> None:
        """Train on the default generated set again, the CSV dropped (resets training)."""
        default = Config()  # a binary set: a regression's identity output becomes the default
        output = default.output if self.config.output == "identity" else self.config.output
        self.config = Config(
            **{**self.config.as_dict(), "dataset": default.dataset, "output": output}
        )
        self.csv_text = self.csv_choice = None
        self._make_data()
        self.reset()

    def _check_output(self, config: Config, task: str | None) -> None:
        if task is None:
            task = self.data.task if config.dataset == "csv" else DATASETS[config.dataset][0]
        if task == "regression" and config.output != "identity":
            raise ConfigError(
                f"A regression target needs the identity output (squared error); "
                f"{config.output!r} is for class labels."
            )

    def _make_data(self) -> None:
        c = self.config
        if c.dataset == "csv":
            assert self.csv_text is not None and self.csv_choice is not None
            data = csv_dataset(self.csv_text, **self.csv_choice)
        else:
            data = generate(c.dataset, c.points, c.noise, c.dataSeed)
        self._set_data(data)

    def _set_data(self, data: Dataset) -> None:
        self.data = data
        rng = np.random.default_rng(self.config.dataSeed)
        order = rng.permutation(len(data.y))
        n_train = min(max(1, round(self.config.trainRatio * len(order))), len(order) - 1)
        self.train, self.test = np.sort(order[:n_train]), np.sort(order[n_train:])
        self.U = (data.X - np.asarray(data.mean)) / np.asarray(data.scale)
        if data.task == "regression":  # the network learns (y − m) / s
            self.y_mean = float(data.y.mean())
            self.y_scale = float(data.y.std()) or 1.0
            if max(abs(data.y.min()), abs(data.y.max())) <= 1.5:  # already small: keep units
                self.y_mean, self.y_scale = 0.0, 1.0
        else:
            self.y_mean, self.y_scale = 0.0, 1.0

    def reset(self) -> None:
        """A fresh network from the seed; counters, history and optimizer state cleared."""
        c = self.config
        self._check_output(c, self.data.task)
        n_out = self.n_outputs
        sizes = [len(c.features), *c.hidden, n_out]
        self.net = Network(sizes, c.activation, c.output, seed=c.seed)
        self.optimizer = self._make_optimizer()
        self.rng = np.random.default_rng(c.seed)
        self.A0_all = input_features(self.U, c.features).T  # (n[0], n_points)
        self.Y_all = self._targets_as_columns(self.data.y)
        self.epoch = 0
        self.steps = 0
        self._order: np.ndarray = np.zeros(0, dtype=int)
        self._position = 0
        self.last_batch: np.ndarray | None = None
        self.history: list[list[float]] = []
        self.running = False
        self.record()

    @property
    def n_outputs(self) -> int:
        """n[L]: one unit for a binary sigmoid/identity output or a regression, else K."""
        task, output = self.data.task, self.config.output
        if task == "regression":
            return 1
        if task == "binary":
            return 2 if output == "softmax" else 1
        return self.data.n_classes

    def _targets_as_columns(self, y: np.ndarray) -> np.ndarray:
        """Y of shape (n[L], n): 0/1 labels, one-hot columns, or standardised values."""
        if self.data.task == "regression":
            return ((y - self.y_mean) / self.y_scale)[None, :]
        k = self.n_outputs
        if k == 1:
            return y[None, :].astype(np.float64)
        return (np.arange(k)[:, None] == y[None, :].astype(int)).astype(np.float64)

    def _make_optimizer(self) -> Optimizer:
        lr = self.config.learningRate
        return Adam(learning_rate=lr) if self.config.optimizer == "adam" else SGD(lr)

    # ------------------------------------------------------------------ training

    def next_batch(self) -> np.ndarray:
        """Row indices of the next minibatch of the training part (without consuming it)."""
        if self._position >= len(self._order):
            self._order = self.train[self.rng.permutation(len(self.train))]
            self._position = 0
        B = min(self.config.batchSize, len(self._order))
        return self._order[self._position : self._position + B]

    def batch_arrays(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(A0, Y) of a minibatch: examples as columns."""
        return self.A0_all[:, idx], self.Y_all[:, idx]

    def step(self) -> None:
        """Train on one minibatch: forward, backward, one optimizer step.

        Raises
        ------
        FloatingPointError
            When the step made a parameter non-finite; the step is undone.
        """
        c, net, optimizer = self.config, self.net, self.optimizer
        idx = self.next_batch()
        A0, Y = self.batch_arrays(idx)
        like = self.params()
        dropout = c.dropout if c.dropout > 0 and net.L > 1 else None
        step = Step(net, like, optimizer, c.l2, dropout)
        optimizer.learning_rate = c.learningRate
        state = optimizer.state
        if optimizer.needs_state(state):
            state = optimizer.init_state(like)
        with np.errstate(all="ignore"):
            theta, optimizer.state, _ = step(
                pack(like), state, (A0, Y, None), c.learningRate, self.rng
            )
        if not np.all(np.isfinite(theta)):
            raise FloatingPointError(
                "Training diverged (a weight became infinite or NaN), so it was paused and the "
                "last step undone: lower the learning rate, then press play again."
            )
        set_parameters(net, unpack(theta, like))
        self.last_batch = idx
        self._position += len(idx)
        self.steps += 1
        if self._position >= len(self._order):
            self.epoch += 1

    def train_for(self, seconds: float, max_steps: int = 100_000) -> int:
        """Run :meth:`step` until ``seconds`` have passed; return how many steps ran."""
        end = time.perf_counter() + seconds
        done = 0
        while done < max_steps:
            self.step()
            done += 1
            if time.perf_counter() >= end:
                break
        return done

    def params(self) -> list[np.ndarray]:
        """[W[1], b[1], ..., W[L], b[L]], the optimizers' order (``core.parameters``)."""
        return parameters(self.net)

    # ------------------------------------------------------------------ losses

    def losses(self) -> tuple[float, float]:
        """J on the training and the test part (the data term only, no L2 penalty)."""
        with np.errstate(all="ignore"):
            out = []
            for part in (self.train, self.test):
                if len(part) == 0:
                    out.append(float("nan"))
                    continue
                A0, Y = self.batch_arrays(part)
                out.append(float(self.net.cost(self.net.forward(A0), Y)))
        return out[0], out[1]

    def record(self) -> tuple[float, float]:
        """Append (steps, train loss, test loss) to the history, thinned to MAX_HISTORY points."""
        train, test = self.losses()
        if self.history and self.history[-1][0] == self.steps:
            self.history[-1] = [self.steps, train, test]
        else:
            self.history.append([self.steps, train, test])
        if len(self.history) > MAX_HISTORY:  # keep the first point, then every other one
            self.history = self.history[:1] + self.history[2::2]
        return train, test

    def predict(self, A0: np.ndarray) -> np.ndarray:
        """A[L] for the columns of A0, without dropout."""
        with np.errstate(all="ignore"):
            return np.asarray(self.net.predict_output(A0))

    def grid_inputs(self, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """An m × m grid over the shown part of the plane: (x1 values, x2 values, A0 (n[0], m²)).

        Row i of the grid is x2 from the top (largest) down; column j is x1 from the left.
        """
        x0, x1, y0, y1 = self.data.domain
        xs = np.linspace(x0, x1, m)
        ys = np.linspace(y1, y0, m)
        P = np.column_stack([np.tile(xs, m), np.repeat(ys, m)])
        U = (P - np.asarray(self.data.mean)) / np.asarray(self.data.scale)
        return xs, ys, input_features(U, self.config.features).T


def finite(value: float) -> float | None:
    """A float for JSON: None for NaN and infinities."""
    return value if math.isfinite(value) else None
