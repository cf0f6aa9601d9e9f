"""Where training stands: θ, the optimizer state, the counters, the best epoch, the rng.

A :class:`TrainState` is everything a fit changes, in one object. The engines take it and
return it (an epoch advances θ, the optimizer state, the step counters and the rng); the
trainer adds the epoch boundary (the epoch, the history, the best epoch); a copy of its
arrays at the boundary (:meth:`TrainState.boundary`) is the point that a Ctrl-C or a
divergence rolls back to; and its dict (:meth:`TrainState.to_dict`) is what
``Trainer.state_dict`` saves for a bit-identical resume.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from lucidnet.core.arrays import device_of, namespace, to_numpy
from lucidnet.core.network import Network
from lucidnet.core.parameters import set_parameters
from lucidnet.training._monitor import initial_best, is_better
from lucidnet.training.callbacks import Callback
from lucidnet.training.history import History
from lucidnet.training.optimizers import Optimizer, copy_state
from lucidnet.training.schedules import Schedule

__all__ = ["Best", "TrainState", "load_state_dict", "map_arrays", "state_dict"]

Array = Any


@dataclass
class Best:
    """The best epoch so far by the monitored value (strict improvement, as EarlyStopping).

    Attributes
    ----------
    monitor : str or None
        The epoch log followed ("val_loss", "loss", an early-stopping monitor...).
    mode : {"min", "max"}
    value : float
        The best value (±inf before the first epoch).
    epoch : int or None
    score : float or None
        The value at ``epoch`` (None before the first epoch).
    params : list of arrays or None
        ``[W[1], b[1], ...]`` at the end of that epoch (a copy training never changes).
    """

    monitor: str | None = None
    mode: str = "min"
    value: float = math.inf
    epoch: int | None = None
    score: float | None = None
    params: list[Array] | None = None

    def follow(self, monitor: str, mode: str) -> None:
        """Follow ``monitor``; a new one starts afresh (nothing is best yet)."""
        if monitor != self.monitor:
            self.monitor, self.mode = monitor, mode
            self.value = initial_best(mode)
            self.epoch = self.score = self.params = None
        self.mode = mode

    def offer(self, epoch: int, logs: dict[str, Any], params: list[Array] | None) -> None:
        """Keep ``epoch`` when its monitored value is strictly better than the best."""
        value = logs.get(self.monitor or "loss")
        if value is not None and is_better(value, self.value, self.mode):
            self.value, self.epoch, self.score, self.params = value, epoch, value, params


@dataclass
class TrainState:
    """Everything a fit changes.

    Attributes
    ----------
    rng : numpy.random.Generator
        Draws the shuffles and the dropout masks (and the JAX engine's keys).
    split_seed : int
        Seeds the validation split: the same rows at every fit.
    theta : array of shape (P,) or None
        θ = pack([W[1], b[1], ..., W[L], b[L]]) while a fit runs (None before).
    opt_state : tuple
        The optimizer's state (``Optimizer.state``'s layout).
    epoch : int
        Epochs completed.
    t : int
        Training examples processed.
    n_batches : int
        Optimizer steps taken.
    learning_rate : float
        η of the next step.
    best : Best
    history : History
    stop_reason : str or None
    """

    rng: np.random.Generator
    split_seed: int
    theta: Array | None = None
    opt_state: tuple[Any, ...] = ()
    epoch: int = 0
    t: int = 0
    n_batches: int = 0
    learning_rate: float = 0.0
    best: Best = field(default_factory=Best)
    history: History = field(default_factory=History)
    stop_reason: str | None = None

    @classmethod
    def new(cls, seed: int | np.random.Generator | None) -> TrainState:
        """A state before any training, its rng seeded by ``seed``."""
        rng = np.random.default_rng(seed)
        return cls(rng=rng, split_seed=int(rng.integers(2**63)))

    # ------------------------------------------------------------------ steps

    def rate(self, schedule: Schedule, base: float) -> float:
        """η of the next step: the schedule at the current counters."""
        return schedule.rate(base, self.epoch, self.n_batches, self.t)

    def advance(self, size: int) -> None:
        """Count one step on a minibatch of ``size`` rows."""
        self.t += size
        self.n_batches += 1

    def rates(self, schedule: Schedule, base: float, sizes: Iterable[int]) -> list[float]:
        """η of each of the next ``len(sizes)`` steps (the counters themselves stay)."""
        counters = replace(self)
        rates = []
        for size in sizes:
            rates.append(counters.rate(schedule, base))
            counters.advance(int(size))
        return rates

    # ------------------------------------------------------------------ the epoch boundary

    def boundary(self) -> TrainState:
        """A copy of what an epoch changes (θ, the optimizer state, the rng): the rollback point.

        The history and the best epoch are shared: they change only at a boundary.
        """
        theta = None if self.theta is None else namespace(self.theta).asarray(self.theta, copy=True)
        rng = np.random.Generator(type(self.rng.bit_generator)())
        rng.bit_generator.state = self.rng.bit_generator.state
        return replace(self, theta=theta, opt_state=copy_state(self.opt_state), rng=rng)

    # ------------------------------------------------------------------ resume

    def to_dict(self) -> dict[str, Any]:
        """The state's part of ``Trainer.state_dict`` (arrays by reference: copy to keep)."""
        best = self.best
        return {
            "best_weights": best.params,
            "rng": self.rng.bit_generator.state,
            "split_seed": self.split_seed,
            "epoch": self.epoch,
            "t": self.t,
            "n_batches": self.n_batches,
            "learning_rate_": self.learning_rate,
            "best_epoch": best.epoch,
            "best_score": best.score,
            "best_value": best.value,
            "monitor": best.monitor,
            "stop_reason": self.stop_reason,
            "history": self.history.to_dict(),
        }

    def load_dict(self, state: dict[str, Any], convert: Callable[[Array], Array]) -> None:
        """Continue from :meth:`to_dict` (``convert`` brings arrays to the network's library)."""
        self.rng.bit_generator.state = state["rng"]
        self.split_seed = int(state["split_seed"])
        self.epoch, self.t, self.n_batches = state["epoch"], state["t"], state["n_batches"]
        self.learning_rate = state["learning_rate_"]
        weights = state["best_weights"]
        self.best.params = None if weights is None else [convert(a) for a in weights]
        self.best.epoch, self.best.score = state["best_epoch"], state["best_score"]
        self.best.value, self.best.monitor = state["best_value"], state["monitor"]
        self.stop_reason = state["stop_reason"]
        self.history = History.from_dict(state["history"])


def map_arrays(value: Any, fn: Callable[[Array], Array]) -> Any:
    """``value`` with ``fn`` applied to every array inside its dicts and lists."""
    if isinstance(value, dict):
        return {k: map_arrays(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_arrays(v, fn) for v in value]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return fn(value)
    return value


def state_dict(
    state: TrainState,
    net: Network,
    weights: list[Array],
    optimizer: Optimizer,
    schedule: Schedule,
    callbacks: Sequence[Callback],
) -> dict[str, Any]:
    """``Trainer.state_dict``: the state's dict with what the trainer's objects hold.

    ``weights`` are where training continues (copies); the network gives the layer sizes
    and activations that :func:`load_state_dict` checks.
    """
    return {
        "format": "lucidnet.Trainer",
        "version": 1,
        "layer_sizes": list(net.n),
        "activations": net.activation_names,
        "weights": weights,
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        **state.to_dict(),
        "callbacks": [{"class": type(cb).__name__, "state": cb.state_dict()} for cb in callbacks],
    }


def load_state_dict(
    saved: dict[str, Any],
    state: TrainState,
    net: Network,
    optimizer: Optimizer,
    schedule: Schedule,
    callbacks: Sequence[Callback],
) -> None:
    """Continue from :func:`state_dict`: the network gets ``saved["weights"]``.

    Arrays loaded from disk (NumPy) move into the network's namespace, dtype and device;
    the callbacks' states are matched by class, in order.

    Raises
    ------
    ValueError
        When the network's layer sizes or activations differ from the saved ones.
    """
    if (
        list(saved["layer_sizes"]) != list(net.n)
        or list(saved["activations"]) != net.activation_names
    ):
        raise ValueError(
            f"The state is for a network {saved['layer_sizes']} with activations "
            f"{saved['activations']}, but this trainer's network is {net.n} with "
            f"{net.activation_names}; build the same network to resume."
        )
    convert = _converter(net)
    set_parameters(net, [convert(a) for a in saved["weights"]])
    optimizer.load_state_dict(map_arrays(saved["optimizer"], convert))
    schedule.load_state_dict(saved["schedule"])
    state.load_dict(saved, convert)
    queues: dict[str, list[dict[str, Any]]] = {}
    for entry in saved["callbacks"]:
        queues.setdefault(entry["class"], []).append(entry["state"])
    for cb in callbacks:
        queue = queues.get(type(cb).__name__)
        if queue:
            cb.load_state_dict(map_arrays(queue.pop(0), convert))


def _converter(net: Network) -> Callable[[Array], Array]:
    """Arrays loaded from disk (NumPy) into the network's namespace and dtype."""
    xp = namespace(net.W[1])
    dtype = net.W[1].dtype
    if xp is np:
        return lambda a: np.asarray(a, dtype=dtype)
    device = device_of(net.W[1])
    return lambda a: xp.asarray(to_numpy(a), dtype=dtype, device=device)
