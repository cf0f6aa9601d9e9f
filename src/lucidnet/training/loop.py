"""The training loop: epochs of shuffled minibatches through the core's forward and backward.

One minibatch step is the lecture's (docs/MATH.md §6), with the optimizer in place of the
plain update (:mod:`lucidnet.training.step`, written once for both engines)::

    idx            = the next B shuffled row indices        (X[idx] only, never a copy of X)
    cache          = net.forward(X[idx].T, dropout, rng)    Z[l], A[l]
    J              = net.cost(cache, Y[idx].T, alpha, sample_weight)
    dW[l], db[l]   = net.backward(cache, Y[idx].T, alpha, sample_weight)
    θ, state       = optimizer.update(θ, g, state, η)       in place on the flat θ; η: schedule

Around it the trainer adds what makes a run trustworthy: a seeded Generator for the
shuffle and the dropout masks (same data + same int seed → bit-identical weights),
validation after each epoch, early stopping, callbacks, a guard against divergence, a
clean stop on Ctrl-C, and a state that resumes a run bit for bit.

Two engines run the epochs (``engine=``): "numpy" (:mod:`lucidnet.training.engines`: a
Python loop over the step, on one flat parameter buffer updated in place) and "jax"
(:mod:`lucidnet.training.jax_engine`: a ``lax.scan`` over the same step, compiled, a
whole epoch per call). Each takes a :class:`~lucidnet.training.train_state.TrainState`
(θ, the optimizer state, the counters, the rng) and returns it one epoch on. Everything
around the epochs is shared: at each epoch boundary the trainer copies the state's
arrays once, the point that Ctrl-C and a divergence roll back to and where the best
weights are kept.

This module is the loop; its neighbours hold the rest of ``fit``: ``data`` and
``validation`` (the rows it checks, weights and holds out), ``faults`` (divergence and
Ctrl-C) and ``train_state`` (what training changes, :meth:`Trainer.state_dict`'s dict).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable
from contextlib import nullcontext
from functools import partial
from typing import Any

import numpy as np

from lucidnet.core.arrays import device_of, move_to, namespace
from lucidnet.core.network import Network
from lucidnet.core.parameters import pack, parameters, set_parameters, unpack, weight_mask
from lucidnet.training.callbacks import (
    Callback,
    EarlyStopping,
    EpochTable,
    ProgressBar,
    TerminateOnNaN,
)
from lucidnet.training.checks import check_choice, check_float, check_int, invalid
from lucidnet.training.data import (
    as_rows,
    check_same_place,
    check_sample_weight,
    on_device,
    with_class_weights,
)
from lucidnet.training.engines import NumpyEngine, Run, blas_threads
from lucidnet.training.faults import (
    Diverged,
    interruption_note,
    interrupts_deferred,
    run_all,
)
from lucidnet.training.history import History
from lucidnet.training.optimizers import AdamW, Optimizer, get_optimizer
from lucidnet.training.schedules import Schedule, get_schedule
from lucidnet.training.step import Step
from lucidnet.training.train_state import TrainState, load_state_dict, state_dict
from lucidnet.training.validation import Metric, Validation, check_metrics, evaluate, held_out

__all__ = ["Trainer"]

Array = Any


def _reads(path: str, doc: str, settable: bool = False) -> Any:
    """An attribute of the trainer that reads (and, if ``settable``, sets) ``self.state.<path>``."""
    *owners, name = path.split(".")

    def owner(self: Trainer) -> Any:
        value: Any = self.state
        for part in owners:
            value = getattr(value, part)
        return value

    def write(self: Trainer, value: Any) -> None:
        setattr(owner(self), name, value)

    return property(lambda self: getattr(owner(self), name), write if settable else None, doc=doc)


class Trainer:
    """Train a :class:`~lucidnet.core.network.Network` by minibatch optimization.

    Parameters
    ----------
    net : Network
        Trained in place: its ``W`` and ``b`` dicts receive new arrays after every step.
    optimizer : {"adam", "sgd", "adamw"} or Optimizer, default="adam"
        A name builds one with ``learning_rate``; an instance is used as is (its own
        ``learning_rate`` is the base rate and the ``learning_rate`` argument is ignored).
    learning_rate : float, default=1e-3
        The base rate η₀.
    schedule : {"constant", "invscaling", "step", "cosine", "plateau"}, Schedule or None
        How the rate changes; None keeps it constant.
    batch_size : int, default=32
        B; the last minibatch of an epoch holds the remaining rows.
    alpha : float, default=0.0
        L2 strength, as in ``Network.backward``.
    dropout : float or dict {l: p}, optional
        Inverted dropout on hidden layers (``Network.forward``), masks drawn from the
        trainer's Generator.
    clip_norm : float, optional
        Clip the gradients' global norm to this value (off by default).
    early_stopping : bool or EarlyStopping, default=False
        True: ``EarlyStopping()`` on "val_loss", or on "loss" when fit gets no validation data.
    callbacks : iterable of Callback
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    seed : int, numpy.random.Generator or None
        Seeds the shuffle, the dropout masks and the validation split. The same data and
        the same int give bit-identical weights.
    verbose : {0, 1, 2}, default=0
        1: a live tqdm progress bar with loss and val_loss (:class:`ProgressBar`);
        2: one table row per epoch (:class:`EpochTable`).
    terminate_on_nan : bool, default=True
        Stop with a clear ValueError at the first non-finite loss (:class:`TerminateOnNaN`).
    engine : {"numpy", "jax"}, default="numpy"
        "numpy": minibatch steps in Python over one flat, in-place parameter buffer.
        "jax" (``pip install "lucidnet[jax]"``): the same forward, backward and optimizer
        rule compiled by JAX, one call per epoch (on a GPU when JAX has one); callbacks
        see epoch boundaries, and per-batch hooks are replayed after the epoch with each
        batch's loss (see :mod:`lucidnet.training.jax_engine`).

    Attributes
    ----------
    state : TrainState
        Where training stands (θ, optimizer state, counters, best epoch, rng); the
        attributes below read it.
    history : History
        One record per epoch (see :class:`History`).
    epoch : int
        Epochs completed (over every ``fit`` call).
    t : int
        Training examples processed.
    n_batches : int
        Optimizer steps taken.
    best_epoch : int or None
        The epoch with the best monitored value: the early-stopping monitor, else
        "val_loss" with validation data, else "loss".
    best_score : float or None
        That value.
    epoch_params : list of arrays or None
        The parameters at the last epoch boundary: a copy that training never changes
        (``params`` are views of the live buffer, changed by every step).
    stop_training : bool
        Set by a callback to stop after the current batch or epoch.
    active_members : integer ndarray or None
        Set by a callback: the members that the next epochs step (None: all; NumPy only).
    interrupted : bool
        The last fit ended on a KeyboardInterrupt (Ctrl-C).
    stop_reason : str or None
        Why the last fit stopped before ``epochs`` (early stopping, interruption...).
    learning_rate_ : float
        The rate of the next step.
    startup : tuple of float
        ``time.monotonic()`` before and after the engine's start in the last fit (the
        JAX engine: JAX's import, the data moved to the device, the epoch compiled);
        :class:`TimeLimit` leaves this span out of its budget.
    log_keys : list of str
        The keys of this fit's epoch records.

    Examples
    --------
    >>> import numpy as np
    >>> from lucidnet import Network
    >>> X = np.random.default_rng(0).normal(size=(40, 2)); Y = (X[:, :1] > 0) * 1.0
    >>> trainer = Trainer(Network([2, 1], seed=0), optimizer="sgd", learning_rate=0.5, seed=0)
    >>> history = trainer.fit(X, Y, epochs=3, validation_fraction=0.25)
    >>> len(history), sorted(history.records[-1])
    (3, ['epoch', 'loss', 'lr', 'seconds', 'val_loss'])
    """

    def __init__(
        self,
        net: Network,
        *,
        optimizer: str | Optimizer = "adam",
        learning_rate: float = 1e-3,
        schedule: str | Schedule | None = None,
        batch_size: int = 32,
        alpha: float = 0.0,
        dropout: float | dict[int, float] | None = None,
        clip_norm: float | None = None,
        early_stopping: bool | EarlyStopping = False,
        callbacks: Iterable[Callback] = (),
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
        verbose: int = 0,
        terminate_on_nan: bool = True,
        engine: str = "numpy",
    ) -> None:
        if not isinstance(net, Network):
            raise TypeError(f"Trainer trains a lucidnet Network; got {type(net).__name__}.")
        self.batch_size = check_int("Trainer", "batch_size", batch_size, low=1)
        self.alpha = check_float("Trainer", "alpha", alpha, 0)
        self.clip_norm = (
            None
            if clip_norm is None
            else check_float("Trainer", "clip_norm", clip_norm, 0, closed="neither")
        )
        self.verbose = check_choice("Trainer", "verbose", verbose, (0, 1, 2))
        self.engine = check_choice("Trainer", "engine", engine, ("numpy", "jax"))
        self._engine: Any = NumpyEngine() if engine == "numpy" else _jax_engine()
        self.net = net
        self.optimizer = get_optimizer(optimizer, learning_rate=learning_rate)
        if isinstance(self.optimizer, AdamW):
            self.optimizer.use_weight_mask(weight_mask(net))
        self.schedule = get_schedule(schedule)
        self.dropout = dropout
        self.shuffle = bool(shuffle)
        self.state = TrainState.new(seed)

        self._auto_early_stopping = early_stopping is True
        self.early_stopping = EarlyStopping() if early_stopping is True else early_stopping or None
        if not isinstance(self.early_stopping, (EarlyStopping, type(None))):
            raise invalid(
                "Trainer", "early_stopping", "True, False or an EarlyStopping", early_stopping,
                error=TypeError,
            )  # fmt: skip
        callbacks = list(callbacks)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise invalid(
                    "Trainer", "callbacks", "lucidnet Callback objects", cb, error=TypeError
                )
        if self.early_stopping is not None:
            callbacks.append(self.early_stopping)
        if terminate_on_nan:
            callbacks.append(TerminateOnNaN())
        if verbose == 1:
            callbacks.append(ProgressBar())
        elif verbose == 2:
            callbacks.append(EpochTable())
        self.callbacks: list[Callback] = sorted(callbacks, key=lambda cb: cb.order)

        self.stop_training = False
        self.interrupted = False
        self.startup = (0.0, 0.0)
        self.state.learning_rate = self.state.rate(self.schedule, self.optimizer.learning_rate)
        self.log_keys: list[str] = ["epoch", "loss", "lr", "seconds"]
        self.epochs_target = 0
        self.batches_per_epoch = 0
        self._restored: tuple[list[Array], list[Array]] | None = None
        self._boundary: TrainState | None = None  # the state at the last epoch's end
        self._like: list[Array] = []  # θ's layout in this fit
        self._bound: Any = None  # the θ whose views the network holds
        self.epoch_params: list[Array] | None = None
        self.active_members: np.ndarray | None = None

    # ------------------------------------------------------------------ the state, by name

    history = _reads("history", "The epoch records (History).")
    rng = _reads("rng", "The Generator of the shuffles and the dropout masks.")
    epoch = _reads("epoch", "Epochs completed (over every ``fit`` call).")
    t = _reads("t", "Training examples processed.")
    n_batches = _reads("n_batches", "Optimizer steps taken.")
    learning_rate_ = _reads("learning_rate", "The rate of the next step.")
    best_epoch = _reads("best.epoch", "The epoch with the best monitored value.")
    best_score = _reads("best.score", "That value.")
    stop_reason = _reads("stop_reason", "Why the last fit stopped early (callbacks set it).", True)

    # ------------------------------------------------------------------ parameters

    @property
    def params(self) -> list[Array]:
        """The network's parameters ``[W[1], b[1], ..., W[L], b[L]]`` (references).

        ``lucidnet.core.parameters.parameters(trainer.net)``; the optimizer steps this list.
        """
        return parameters(self.net)

    def restore_weights(self, params: list[Array], epoch: int | None = None) -> None:
        """Put ``params`` (e.g. the best epoch's) into the network at the end of training.

        The trainer remembers the weights training had reached: as long as the network
        still holds the restored ones, the next ``fit`` and :meth:`state_dict` continue from
        the weights of the last epoch, so restoring never changes a resumed run.
        """
        training = self._training_params()
        set_parameters(self.net, list(params))
        self._restored = (self.params, training)

    def _training_params(self) -> list[Array]:
        current = self.params
        if self._restored is not None:
            restored, training = self._restored
            if all(a is b for a, b in zip(current, restored, strict=True)):
                return training
        return current

    def require_log(self, key: str, owner: str) -> None:
        """Raise a ValueError when this fit's epoch records will not hold ``key``."""
        if key in self.log_keys:
            return
        hint = (
            " Pass validation_data=(X_val, Y_val) or validation_fraction=0.1 to fit, "
            "or monitor 'loss'."
            if key.startswith("val_")
            else ""
        )
        raise ValueError(f"{owner} monitors {key!r}, but this fit logs {self.log_keys}.{hint}")

    # ------------------------------------------------------------------ fit

    def fit(
        self,
        X: Array,
        Y: Array,
        *,
        epochs: int,
        sample_weight: Array | None = None,
        class_weight: dict[int, float] | str | None = None,
        validation_data: tuple[Array, ...] | None = None,
        validation_fraction: float | None = None,
        stratify: Array | None = None,
        metrics: dict[str, Metric] | None = None,
    ) -> History:
        """Train until ``self.epoch == epochs`` (or an earlier stop); return the history.

        Parameters
        ----------
        X : array of shape (n_samples, n[0])
            One example per row; the network sees ``A0 = X[idx].T``. NumPy or any
            Array-API array (PyTorch, CuPy...) on the device where the network's
            parameters live (``net.to(xp, device)``); training runs there.
        Y : array of shape (n_samples, n[L])
            Encoded targets, one row per example: 0/1, one-hot rows, or real values.
            Shape (n_samples,) is accepted for n[L] = 1. Y, the sample weights and the
            validation data may come from another library: they follow X.
        epochs : int
            The total epoch count to reach, counting epochs of earlier fits: a new
            trainer runs ``epochs`` epochs, a restored one the remaining ones, and
            ``fit(X, Y, epochs=trainer.epoch + 1)`` is one more epoch (``partial_fit``).
        sample_weight : array of shape (n_samples,), or (K, n_samples) per member, optional
            The cost becomes Σ s_i L_i / Σ s_i per minibatch (per member: member k's
            weights s[k]; a 0 leaves the row out of member k's training).
        class_weight : dict {class_index: weight} or "balanced", optional
            Multiplies ``sample_weight``. A row's class is the argmax of its Y row when
            n[L] > 1, else its 0/1 value. "balanced" counts the training rows (after the
            validation split). Validation rows are not class-weighted.
        validation_data : (X_val, Y_val) or (X_val, Y_val, sample_weight_val), optional
        validation_fraction : float in (0, 1), optional
            Hold out this fraction of the rows (by index, seeded by the trainer's
            Generator, the same rows at every fit), stratified by ``stratify`` if given.
            Their sample weights follow them.
        stratify : array of shape (n_samples,), optional
            Class labels for a stratified ``validation_fraction``.
        metrics : dict {name: fn(Y_true_rows, A_out_rows) -> float}, optional
            Computed on the validation data after each epoch, logged as "val_<name>".

        Returns
        -------
        History

        Raises
        ------
        ValueError
            For bad inputs, and when training diverges (a non-finite loss or weight): the
            message names the epoch and batch; the last finite weights are kept.
        """
        net = self.net
        n0, nL = net.n[0], net.n[net.L]
        check_int("Trainer.fit", "epochs", epochs, low=0)
        xp = namespace(X)
        device = device_of(X)
        check_same_place(net.W[1], X)
        X = as_rows("X", X, n0, xp)
        n = X.shape[0]
        Y = as_rows("Y", move_to(Y, xp, device), nL, xp, n_rows=n)  # Y follows X
        sw = None if sample_weight is None else check_sample_weight(sample_weight, n, members=net.K)

        train_idx, val = held_out(
            X, Y, sw, validation_data, validation_fraction, stratify, seed=self.state.split_seed
        )
        n_train = n if train_idx is None else len(train_idx)
        if class_weight is not None:
            sw = with_class_weights(sw, class_weight, Y, train_idx)
        s = None if sw is None else on_device(sw, xp, device)
        metrics = check_metrics(metrics, val)
        self.log_keys = ["epoch", "loss"]
        if val is not None:
            self.log_keys += ["val_loss", *(f"val_{name}" for name in metrics)]
        self.log_keys += ["lr", "seconds"]
        if self._auto_early_stopping and self.early_stopping is not None:
            self.early_stopping.monitor = "val_loss" if val is not None else "loss"
        self.require_log(self.schedule.monitor, "The schedule")
        self.state.best.follow(*self._choose_monitor())  # a new monitor starts afresh

        self.epochs_target = epochs
        self.batches_per_epoch = math.ceil(n_train / self.batch_size)
        self.stop_training = False
        self.interrupted = False
        self.stop_reason = None
        self.active_members = None
        if self.epoch >= epochs:
            return self.history
        params = self._training_params()
        run = Run(
            Step(net, params, self.optimizer, self.alpha, self.dropout, self.clip_norm),
            *(X, Y, s, train_idx, self.schedule, self.batch_size, self.shuffle),
            guard=self._guard(),
            on_batch=self._on_batch if self.batch_callbacks() else None,
            needs_gradients=tuple(type(cb).__name__ for cb in self.callbacks if cb.needs_gradients),
        )
        threads = blas_threads(net, self.batch_size) if self.engine == "numpy" else nullcontext()
        with threads:
            self._run(run, val, metrics, epochs)
        return self.history

    def _choose_monitor(self) -> tuple[str, str]:
        es = next((cb for cb in self.callbacks if isinstance(cb, EarlyStopping)), None)
        if es is not None:
            return es.monitor, es.mode
        return ("val_loss" if "val_loss" in self.log_keys else "loss"), "min"

    # ------------------------------------------------------------------ the loop

    def _run(
        self, run: Run, val: Validation | None, metrics: dict[str, Metric], epochs: int
    ) -> None:
        params = list(run.step.like)
        self._restored = None
        self._boundary = None  # this fit's first boundary is set once the engine holds θ
        diverged: Diverged | None = None
        failure: Exception | None = None
        try:
            began = time.monotonic()
            self._engine.start(run)
            self.startup = (began, time.monotonic())
            self._like = params
            self.state.theta = pack(params)  # a new array: the arrays passed in never change
            self.state.opt_state = self.optimizer.state
            self._bind()
            self._set_boundary()
            for cb in self.callbacks:
                cb.on_train_begin(self)
            while self.epoch < epochs and not self.stop_training:
                self._epoch(run, val, metrics)
            if self.stop_training and self.stop_reason is None:
                self.stop_reason = "stopped by a callback"
        except KeyboardInterrupt:
            if self._boundary is not None:  # (a Ctrl-C during the engine's start: nothing ran)
                self.rollback()
            self.interrupted = True
            self.stop_reason = "interrupted"
        except Diverged as error:
            self.rollback()
            diverged = error
            self.stop_reason = "diverged"
        except Exception as error:  # a writer's OSError, a failing metric: end, then raise
            if self._boundary is None:
                raise  # the engine could not start: nothing ran
            self.rollback()
            failure = error
            self.stop_reason = f"failed: {type(error).__name__}"
        run_all([partial(cb.on_train_end, self) for cb in self.callbacks], failure)
        restored = self._restored is not None
        if self.interrupted:
            note = interruption_note(self.epoch, self.epochs_target, self.best_epoch, restored)
            print(note, file=sys.stderr)
        if diverged is not None:
            raise diverged.error(self.best_epoch, restored)

    def _epoch(self, run: Run, val: Validation | None, metrics: dict[str, Metric]) -> None:
        net, schedule, state = self.net, self.schedule, self.state
        epoch = state.epoch + 1
        base = self.optimizer.learning_rate
        state.learning_rate = state.rate(schedule, base)
        for cb in self.callbacks:
            cb.on_epoch_begin(self, epoch)
        start = time.perf_counter()
        with np.errstate(all="ignore"):
            state, total, weight = self._engine.epoch(run, state, self.active_members)
            self.optimizer.state = state.opt_state
            self._bind()
            lr = state.learning_rate
            if run.guard is not None:
                run.guard.check_weights(self.params, epoch, self.batches_per_epoch, lr)
            logs: dict[str, Any] = {"epoch": epoch, "loss": total / weight if weight else math.nan}
            if val is not None:
                logs.update(evaluate(net, val, metrics))
        logs["lr"] = lr
        logs["seconds"] = time.perf_counter() - start

        with interrupts_deferred():  # the epoch boundary: one step, whole or not at all
            state.epoch = epoch
            state.history.append(logs)
            schedule.on_epoch_end(logs[schedule.monitor])
            state.learning_rate = state.rate(schedule, base)
            self._set_boundary()
            state.best.offer(epoch, logs, self.epoch_params)
        for cb in self.callbacks:
            cb.on_epoch_end(self, epoch, logs)

    @property
    def checks_finite(self) -> bool:
        """Whether a :class:`TerminateOnNaN` callback checks every loss and the weights."""
        return self._guard() is not None

    def _guard(self) -> TerminateOnNaN | None:
        return next((cb for cb in self.callbacks if isinstance(cb, TerminateOnNaN)), None)

    def batch_callbacks(self) -> list[Callback]:
        """The callbacks that act after every minibatch (``on_batch_end`` overridden)."""
        return [cb for cb in self.callbacks if _overrides(cb, "on_batch_end")]

    def _on_batch(self, state: TrainState, batch: int, logs: dict[str, Any]) -> bool:
        """The batch callbacks after one step; whether one of them stops training."""
        self.state = state
        self.optimizer.state = state.opt_state
        self._bind()
        for cb in self.batch_callbacks():
            cb.on_batch_end(self, batch, logs)
        return self.stop_training

    # ------------------------------------------------------------------ faults

    def _bind(self) -> None:
        """Give the network views of the state's θ (again where the library may copy)."""
        theta = self.state.theta
        if theta is not self._bound or not isinstance(theta, np.ndarray):
            set_parameters(self.net, unpack(theta, self._like))
            self._bound = theta

    def _set_boundary(self) -> None:
        """Copy everything an epoch changes once (θ, the optimizer state, the rng)."""
        self._boundary = self.state.boundary()
        self.epoch_params = unpack(self._boundary.theta, self._like)

    def rollback(self) -> None:
        """Go back to the last epoch boundary (after a Ctrl-C or a divergence mid-epoch)."""
        assert self._boundary is not None
        self.state = self._boundary.boundary()  # copied again: the boundary stays reusable
        self.optimizer.state = self.state.opt_state
        self._bind()

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """Everything a bit-identical resume needs (the arrays copied: training goes on in place).

        Save it with :func:`lucidnet.training.save_state`.

        Returns
        -------
        dict
            "weights" (where training continues: the last epoch's, even when the network
            holds restored best weights), "best_weights", "optimizer", "schedule", "rng"
            (the bit generator's state), "split_seed", "epoch", "t", "n_batches",
            "learning_rate_", "best_epoch", "best_score", "best_value", "monitor",
            "stop_reason", "history" (columns), "callbacks" (each callback's state),
            "layer_sizes" and "activations" (checked on load).
        """
        weights = [namespace(a).asarray(a, copy=True) for a in self._training_params()]
        parts = (self.net, weights, self.optimizer, self.schedule, self.callbacks)
        return state_dict(self.state, *parts)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`: the network gets ``state["weights"]``.

        The trainer should be built like the one that saved the state (same optimizer and
        schedule kinds, same callbacks); the callbacks' states are matched by class, in order.

        Raises
        ------
        ValueError
            When the network's layer sizes or activations differ from the saved ones.
        """
        self._restored = None
        load_state_dict(state, self.state, self.net, self.optimizer, self.schedule, self.callbacks)


# ---------------------------------------------------------------------- helpers


def _overrides(cb: Callback, hook: str) -> bool:
    return getattr(type(cb), hook) is not getattr(Callback, hook)


def _jax_engine() -> Any:
    from lucidnet.training.jax_engine import JaxEngine

    return JaxEngine()
