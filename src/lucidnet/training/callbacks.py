"""Callbacks: code the trainer runs at fixed points of training.

The hooks, in the order they fire::

    on_train_begin(trainer)
        on_epoch_begin(trainer, epoch)              epoch = 1, 2, ... (the one starting)
            on_batch_end(trainer, batch, logs)      batch = 1, 2, ... within the epoch;
                                                    logs = {"batch", "size", "loss",
                                                            "grads" (the batch's Grads)}
        on_epoch_end(trainer, epoch, logs)          logs = the epoch's History record
    on_train_end(trainer)                           also after an interruption or divergence

A callback stops training by setting ``trainer.stop_training = True`` (and, if it likes,
``trainer.stop_reason``); set in ``on_batch_end`` it ends the epoch after that batch.
Callbacks run sorted by their ``order`` (stable): EarlyStopping first, so that a
checkpoint written at the same epoch already holds the early-stopping counters; the
displays last. Only callbacks that override ``on_batch_end`` cost anything per batch.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

from lucidnet.core.arrays import namespace
from lucidnet.training._monitor import initial_best, is_better, is_improvement, resolve_mode
from lucidnet.training.checks import check_float, check_int, invalid
from lucidnet.training.faults import Diverged, all_finite
from lucidnet.training.state import save_state

if TYPE_CHECKING:
    from lucidnet.training.loop import Trainer

__all__ = [
    "Callback",
    "EarlyStopping",
    "EpochTable",
    "GradientNormRecorder",
    "HistoryLogger",
    "ModelCheckpoint",
    "ProgressBar",
    "TerminateOnNaN",
]


class Callback:
    """Base class: every hook does nothing; override the ones you need.

    Attributes
    ----------
    order : int
        Callbacks run sorted by it (default 50; EarlyStopping 10, displays 90).
    needs_gradients : bool
        Whether ``on_batch_end`` reads ``logs["grads"]``, each step's gradients, which only
        the NumPy engine hands out (``engine="jax"`` refuses such a callback).
    """

    order: ClassVar[int] = 50
    needs_gradients: ClassVar[bool] = False

    def on_train_begin(self, trainer: Trainer) -> None:
        """Before the first epoch of a ``fit`` call."""

    def on_train_end(self, trainer: Trainer) -> None:
        """After the last epoch, an interruption or a divergence."""

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        """Before epoch ``epoch`` (1-based) starts."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        """After epoch ``epoch``; ``logs`` is its History record."""

    def on_batch_end(self, trainer: Trainer, batch: int, logs: dict[str, Any]) -> None:
        """After the update of minibatch ``batch`` (1-based within the epoch).

        ``logs``: "batch", "size", "loss" and (NumPy engine) "grads". With
        ``engine="jax"`` the hooks of an epoch are called after it, in order.
        """

    def state_dict(self) -> dict[str, Any]:
        """What a resumed run needs from this callback (empty by default)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""


class EarlyStopping(Callback):
    """Stop when the monitored value has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default="val_loss"
        An epoch log: "val_loss", "val_<metric>", or "loss" (the training loss, for
        training without validation data).
    patience : int, default=10
        Epochs in a row without an improvement of at least ``min_delta`` before stopping.
    min_delta : float, default=1e-4
    mode : {"auto", "min", "max"}, default="auto"
        "auto": "min" for names containing "loss", else "max".
    restore_best_weights : bool, default=True
        At the end of training (however it ends), put back the weights of the best epoch.

    Attributes
    ----------
    best : float
        The best monitored value so far.
    best_epoch : int or None
    wait : int
        Epochs since the last improvement by at least ``min_delta``.
    best_weights : list of arrays or None
        ``[W[1], b[1], ...]`` of the best epoch: the trainer's copy at that epoch's end
        (``trainer.epoch_params``), which training never changes.

    Notes
    -----
    As in scikit-learn: the counter restarts on an improvement by at least ``min_delta``,
    while the best value and weights follow every strict improvement. Training stops when
    ``wait ≥ patience`` (scikit-learn stops when its counter exceeds ``n_iter_no_change``:
    use ``patience = n_iter_no_change + 1``). The state persists across ``fit`` calls so
    an interrupted run resumes exactly; :meth:`reset` starts afresh.
    """

    order = 10

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 1e-4,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        self.monitor = monitor
        self.patience = check_int("EarlyStopping", "patience", patience, low=1)
        self.min_delta = check_float("EarlyStopping", "min_delta", min_delta, 0)
        self.mode = resolve_mode(monitor, mode, "EarlyStopping")
        self.restore_best_weights = bool(restore_best_weights)
        self.reset()

    def reset(self) -> None:
        """Forget the best value, the counter and the best weights."""
        self.best = initial_best(self.mode)
        self.best_epoch: int | None = None
        self.wait = 0
        self.best_weights: list[Any] | None = None
        self.stopped_epoch: int | None = None

    def on_train_begin(self, trainer: Trainer) -> None:
        trainer.require_log(self.monitor, "EarlyStopping")

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        value = float(logs[self.monitor])
        self.wait = (
            0 if is_improvement(value, self.best, self.mode, self.min_delta) else self.wait + 1
        )
        if is_better(value, self.best, self.mode):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = trainer.epoch_params  # a copy training never changes
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True
            trainer.stop_reason = (
                f"early stopping: {self.monitor} did not improve by {self.min_delta:g} for "
                f"{self.patience} epochs (best {self.best:.6g} at epoch {self.best_epoch})"
            )

    def on_train_end(self, trainer: Trainer) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            trainer.restore_weights(self.best_weights, epoch=self.best_epoch)

    def state_dict(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "best_weights": self.best_weights,
            "stopped_epoch": self.stopped_epoch,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.monitor = state["monitor"]
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        weights = state["best_weights"]
        self.best_weights = None if weights is None else list(weights)
        self.stopped_epoch = state["stopped_epoch"]

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
            f"min_delta={self.min_delta}, mode={self.mode!r}, "
            f"restore_best_weights={self.restore_best_weights})"
        )


class ModelCheckpoint(Callback):
    """Save the full training state (``trainer.state_dict()``) to a file.

    Parameters
    ----------
    path : str or path-like
        A ``.safetensors`` file, written atomically by :func:`lucidnet.training.save_state`.
        It may name log fields, e.g. ``"ckpt-{epoch:03d}.safetensors"``.
    monitor : str, default="val_loss"
        The epoch log deciding what "best" means ("loss" without validation data).
    save_best_only : bool, default=True
        Save only when ``monitor`` reaches a new best (strict improvement); otherwise
        after every epoch.
    mode : {"auto", "min", "max"}, default="auto"

    Notes
    -----
    The file resumes training with ``trainer.load_state_dict(load_state(path))``; its
    ``"weights"`` are the weights of the saved epoch.
    """

    order = 60

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        save_best_only: bool = True,
        mode: str = "auto",
    ) -> None:
        self.path = path
        self.monitor = monitor
        self.save_best_only = bool(save_best_only)
        self.mode = resolve_mode(monitor, mode, "ModelCheckpoint")
        self.best = initial_best(self.mode)
        self.last_saved: str | None = None

    def on_train_begin(self, trainer: Trainer) -> None:
        if self.save_best_only:
            trainer.require_log(self.monitor, "ModelCheckpoint")

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        if self.save_best_only:
            value = float(logs[self.monitor])
            if not is_better(value, self.best, self.mode):
                return
            self.best = value
        path = os.fspath(self.path)
        if "{" in path:
            path = path.format(**logs)
        save_state(trainer.state_dict(), path)
        self.last_saved = path

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state["best"]


class TerminateOnNaN(Callback):
    """Stop at the first minibatch whose loss is not finite (on by default in the Trainer).

    The engines call :meth:`check_loss` after every step (the JAX engine after each
    compiled epoch, for its first non-finite step) and the trainer calls
    :meth:`check_weights` at every epoch's end (``Trainer(terminate_on_nan=True)`` adds
    this callback). On a non-finite value the trainer goes back to the last epoch
    boundary, the last finite weights, and raises a ``ValueError`` naming the epoch and
    batch.
    """

    order = 0

    def check_loss(self, J: float, epoch: int, batch: int, lr: float) -> None:
        """Raise :class:`~lucidnet.training.faults.Diverged` when the loss J is not finite."""
        if not math.isfinite(J):
            raise Diverged(epoch, batch, f"the loss became {J}", lr)

    def check_weights(self, params: list[Any], epoch: int, batch: int, lr: float) -> None:
        """Raise :class:`~lucidnet.training.faults.Diverged` when a weight is inf or nan."""
        if not all_finite(params, namespace(*params[:1])):
            raise Diverged(epoch, batch, "the weights became inf or nan", lr)


class ProgressBar(Callback):
    """A live tqdm progress bar over the minibatches, with loss and validation loss.

    ``Trainer(verbose=1)`` adds it.

    Parameters
    ----------
    file : text stream, optional
        Where the bar goes (tqdm's default, standard error, when None).
    """

    order = 90

    def __init__(self, file: TextIO | None = None) -> None:
        self.file = file
        self._bar: Any = None

    def on_train_begin(self, trainer: Trainer) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=trainer.batches_per_epoch * (trainer.epochs_target - trainer.epoch),
            unit="batch",
            desc=self._describe(trainer.epoch + 1, trainer.epochs_target),
            file=self.file,
            leave=True,
            dynamic_ncols=True,
        )

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        if self._bar is not None:
            self._bar.set_description(self._describe(epoch, trainer.epochs_target), refresh=False)

    def on_batch_end(self, trainer: Trainer, batch: int, logs: dict[str, Any]) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        if self._bar is not None:
            shown = {k: f"{v:.4g}" for k, v in logs.items() if k == "loss" or k.startswith("val_")}
            self._bar.set_postfix(shown, refresh=False)  # tqdm redraws at most 10 times a second

    def on_train_end(self, trainer: Trainer) -> None:
        if self._bar is not None:
            if trainer.epoch < trainer.epochs_target:
                done = self._describe(trainer.epoch, trainer.epochs_target)
                reason = (trainer.stop_reason or "stopped").split(":")[0]  # e.g. "early stopping"
                self._bar.set_description(f"{done} ({reason})", refresh=False)
            self._bar.close()
            self._bar = None

    @staticmethod
    def _describe(epoch: int, epochs: int) -> str:
        return f"epoch {epoch}/{epochs}"


class EpochTable(Callback):
    """Print one table row per epoch: epoch, loss, val_loss, metrics, lr, seconds.

    ``Trainer(verbose=2)`` adds it. A ``*`` marks an epoch that set a new best of the
    trainer's monitored value (``trainer.best_epoch``).

    Parameters
    ----------
    file : text stream, optional
        Standard output when None.
    """

    order = 90

    def __init__(self, file: TextIO | None = None) -> None:
        self.file = file
        self._columns: list[str] = []

    def on_train_begin(self, trainer: Trainer) -> None:
        self._columns = [k for k in trainer.log_keys if k != "epoch"]
        header = f"{'epoch':>6}" + "".join(f"{k:>12}" for k in self._columns)
        self._print(header)
        self._print("-" * len(header))

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        cells = "".join(_cell(logs.get(k), k) for k in self._columns)
        mark = "  *" if trainer.best_epoch == epoch else ""
        self._print(f"{epoch:>6}{cells}{mark}")

    def _print(self, line: str) -> None:
        print(line, file=self.file if self.file is not None else sys.stdout)


def _cell(value: Any, key: str) -> str:
    if value is None:
        return f"{'':>12}"
    if key == "seconds":
        return f"{value:>12.3f}"
    return f"{value:>12.6g}" if key == "lr" else f"{value:>12.5f}"


class HistoryLogger(Callback):
    """Write the history to a CSV or JSON file after every epoch, atomically.

    Parameters
    ----------
    path : str or path-like
        Ends in ``.csv`` (one row per epoch) or ``.json`` (columns, as ``History.to_dict``).
    """

    order = 80

    def __init__(self, path: str | os.PathLike[str]) -> None:
        suffix = Path(path).suffix.lower()
        if suffix not in (".csv", ".json"):
            raise invalid(
                "HistoryLogger",
                "path",
                "a file name ending in .csv or .json",
                os.fspath(path),
                "HistoryLogger writes CSV (one row per epoch) or JSON (columns).",
            )
        self.path = path
        self.suffix = suffix

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        if self.suffix == ".csv":
            trainer.history.to_csv(self.path)
        else:
            trainer.history.to_json(self.path)


class GradientNormRecorder(Callback):
    """Record the size of every layer's gradient, per epoch, in the history.

    After each epoch the history record gains ``grad_norm[l]`` for l = 1..L: the mean
    over the epoch's minibatches of ‖dW[l]‖ (the Frobenius norm, before clipping) — the
    numbers behind ``lucidnet.plot.gradient_norms``. Vanishing gradients show as norms
    that shrink towards the first layer.

    Notes
    -----
    grad_norm[l] = (1 / n_batches) Σ_batches √(Σ_ij dW[l]_ij²)
    """

    order = 20
    needs_gradients = True

    def __init__(self) -> None:
        self._sums: dict[int, float] = {}
        self._count = 0

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        self._sums = {l: 0.0 for l in range(1, trainer.net.L + 1)}
        self._count = 0

    def on_batch_end(self, trainer: Trainer, batch: int, logs: dict[str, Any]) -> None:
        dW = logs["grads"].dW
        xp = namespace(dW[1])
        for l in self._sums:
            self._sums[l] += float(xp.sqrt(xp.sum(dW[l] * dW[l])))
        self._count += 1

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        if not self._count:
            return
        norms = {f"grad_norm[{l}]": total / self._count for l, total in self._sums.items()}
        logs.update(norms)
        trainer.history.records[-1].update(norms)


class TimeLimit(Callback):
    """Stop training once ``seconds`` of it have passed since ``start``.

    The budget counts training, not the engine's start-up: the seconds each ``fit``
    spends starting its engine (``trainer.startup``) are left out. With
    ``engine="numpy"`` the start-up takes no time, so the budget is the wall clock from
    ``start``; with ``engine="jax"`` it is JAX's one-time work (its import, the data
    moved to the device, the epoch compiled: a second or two the first time a network,
    setting and data shape are trained in a process): it comes before the clock runs, so
    such a fit's wall time is its compilation plus the budget. A short budget then buys
    the same training on the first fit as on later ones, and compiling (which cannot be
    cut short) never uses the budget up before a single epoch has run.

    Parameters
    ----------
    seconds : float
        The budget.
    start : float
        A reading of ``time.monotonic()``: when the budget began.

    Attributes
    ----------
    hit : bool
        Whether the budget ran out (training was stopped by this callback).
    left_out : float
        The seconds of engine start-up since ``start``, not counted.

    Notes
    -----
    The check runs after every minibatch: at least one step is taken, and with
    ``engine="jax"`` (whose batch hooks run after each compiled epoch) at least one epoch.
    elapsed = now − start − left_out, where each fit adds to left_out the part of its
    start-up span (t0, t1) after ``start``: max(0, t1 − max(t0, start)).
    """

    def __init__(self, seconds: float, start: float) -> None:
        from time import monotonic

        self._clock = monotonic
        self.seconds, self.start = float(seconds), float(start)
        self.hit = False
        self.left_out = 0.0

    def elapsed(self) -> float:
        """The seconds of the budget spent so far."""
        return self._clock() - self.start - self.left_out

    def on_train_begin(self, trainer: Trainer) -> None:
        began, ready = trainer.startup
        self.left_out += max(0.0, ready - max(began, self.start))

    def on_batch_end(self, trainer: Trainer, batch: int, logs: dict[str, Any]) -> None:
        if self.elapsed() > self.seconds:
            self.hit = trainer.stop_training = True


__all__ += ["TimeLimit"]
