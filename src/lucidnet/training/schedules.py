"""Learning-rate schedules: the rate η each epoch trains with, for any optimizer.

The trainer asks ``schedule.rate(base_lr, epoch, step, samples_seen)`` at the start of
every epoch (and before every batch for a schedule with ``per_batch = True``), with

- ``base_lr``: the optimizer's ``learning_rate`` (the initial rate η₀),
- ``epoch``: the number of epochs completed so far (0 for the first epoch),
- ``step``: the number of optimizer steps so far,
- ``samples_seen``: the number of training examples processed so far,

and tells it ``on_epoch_end(value)`` with the epoch's ``schedule.monitor`` log (the
training loss by default), which only :class:`ReduceOnPlateau` uses.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from lucidnet.training._monitor import initial_best, is_better, is_improvement, resolve_mode
from lucidnet.training.checks import check_float, check_int

__all__ = [
    "Constant",
    "Cosine",
    "InverseScaling",
    "ReduceOnPlateau",
    "Schedule",
    "StepDecay",
    "get_schedule",
    "schedule_names",
]


class Schedule:
    """Base class for learning-rate schedules.

    Attributes
    ----------
    monitor : str
        The epoch log passed to :meth:`on_epoch_end` ("loss" by default).
    per_batch : bool
        False: the rate is asked once per epoch. True: before every batch.
    """

    name: ClassVar[str] = "schedule"
    per_batch: ClassVar[bool] = False
    monitor: str = "loss"
    _hyper_names: ClassVar[tuple[str, ...]] = ()
    _state_names: ClassVar[tuple[str, ...]] = ()

    def rate(self, base_lr: float, epoch: int, step: int, samples_seen: int) -> float:
        """The learning rate to use now (see the module docstring for the arguments)."""
        raise NotImplementedError

    def on_epoch_end(self, monitor_value: float) -> None:
        """Called after each epoch with the epoch's ``monitor`` log."""

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and state, JSON-friendly."""
        return {
            "name": self.name,
            **{k: getattr(self, k) for k in (*self._hyper_names, *self._state_names)},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved.

        Raises
        ------
        ValueError
            When the state belongs to another schedule.
        """
        if state.get("name") != self.name:
            raise ValueError(
                f"This state belongs to the schedule {state.get('name')!r}, not {self.name!r}; "
                f"create the trainer with schedule={state.get('name')!r} to load it."
            )
        for key in (*self._hyper_names, *self._state_names):
            setattr(self, key, state[key])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._hyper_names)
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """The base rate throughout.

    Notes
    -----
    η = η₀
    """

    name = "constant"

    def rate(self, base_lr: float, epoch: int, step: int, samples_seen: int) -> float:
        return base_lr


class InverseScaling(Schedule):
    """η₀ divided by a power of the number of examples seen (scikit-learn's "invscaling").

    Parameters
    ----------
    power_t : float, default=0.5

    Notes
    -----
    η = η₀ / (t + 1)^power_t, with t the examples seen before the epoch starts, so the
    rate changes at epoch ends, as in scikit-learn.
    """

    name = "invscaling"
    _hyper_names = ("power_t",)

    def __init__(self, power_t: float = 0.5) -> None:
        self.power_t = float(power_t)

    def rate(self, base_lr: float, epoch: int, step: int, samples_seen: int) -> float:
        return base_lr / (samples_seen + 1) ** self.power_t


class StepDecay(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs.

    Parameters
    ----------
    step_size : int, default=10
    gamma : float, default=0.1

    Notes
    -----
    η = η₀ · gamma^⌊epoch / step_size⌋
    """

    name = "step"
    _hyper_names = ("step_size", "gamma")

    def __init__(self, step_size: int = 10, gamma: float = 0.1) -> None:
        self.step_size = check_int("StepDecay", "step_size", step_size, low=1)
        self.gamma = check_float("StepDecay", "gamma", gamma, 0, closed="neither")

    def rate(self, base_lr: float, epoch: int, step: int, samples_seen: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class Cosine(Schedule):
    """Cosine annealing from η₀ to ``min_lr`` over ``total_epochs``, after a linear warm-up.

    Parameters
    ----------
    total_epochs : int
        The epoch count over which the rate falls; later epochs use ``min_lr``.
    warmup_epochs : int, default=0
        Epochs of linear warm-up before the cosine starts.
    min_lr : float, default=0.0

    Notes
    -----
    With e the epoch (0-based), w = warmup_epochs and T = total_epochs::

        e < w:       η = η₀ (e + 1) / w
        w ≤ e < T:   η = min_lr + (η₀ − min_lr) (1 + cos(π (e − w) / (T − w))) / 2
        e ≥ T:       η = min_lr
    """

    name = "cosine"
    _hyper_names = ("total_epochs", "warmup_epochs", "min_lr")

    def __init__(self, total_epochs: int, warmup_epochs: int = 0, min_lr: float = 0.0) -> None:
        self.total_epochs = check_int("Cosine", "total_epochs", total_epochs, low=1)
        self.warmup_epochs = check_int(
            "Cosine",
            "warmup_epochs",
            warmup_epochs,
            low=0,
            high=self.total_epochs - 1,
            hint=f"The warm-up must end before total_epochs={self.total_epochs}.",
        )
        self.min_lr = check_float("Cosine", "min_lr", min_lr, 0)

    def rate(self, base_lr: float, epoch: int, step: int, samples_seen: int) -> float:
        w, T = self.warmup_epochs, self.total_epochs
        if epoch < w:
            return base_lr * (epoch + 1) / w
        if epoch >= T:
            return self.min_lr
        return (
            self.min_lr
            + (base_lr - self.min_lr) * (1 + math.cos(math.pi * (epoch - w) / (T - w))) / 2
        )


class ReduceOnPlateau(Schedule):
    """Multiply the rate by ``factor`` when the monitored value stops improving.

    Parameters
    ----------
    factor : float, default=0.2
        In (0, 1).
    patience : int, default=2
        Epochs in a row without an improvement of at least ``min_delta`` before a cut.
    min_delta : float, default=1e-4
    min_lr : float, default=0.0
        The rate never goes below it.
    monitor : str, default="loss"
        The epoch log to watch: "loss" (training loss), "val_loss" or "val_<metric>".
    mode : {"auto", "min", "max"}, default="auto"
        "auto": "min" for names containing "loss", else "max".

    Notes
    -----
    After each epoch, with value the monitored log (min mode)::

        wait ← 0 if value ≤ best − min_delta else wait + 1
        best ← min(best, value)
        if wait ≥ patience:  scale ← factor · scale;  wait ← 0
        η = max(η₀ · scale, min_lr)

    This is scikit-learn's ``learning_rate="adaptive"`` rule (factor=0.2 divides by 5):
    scikit-learn cuts when its counter *exceeds* ``n_iter_no_change``, so
    ``ReduceOnPlateau(0.2, patience=n_iter_no_change + 1, min_delta=tol)`` reproduces it
    (its stop once η ≤ 1e-6 is left to the caller).
    """

    name = "plateau"
    _hyper_names = ("factor", "patience", "min_delta", "min_lr", "monitor", "mode")
    _state_names = ("scale", "best", "wait", "n_reductions")

    def __init__(
        self,
        factor: float = 0.2,
        patience: int = 2,
        min_delta: float = 1e-4,
        min_lr: float = 0.0,
        monitor: str = "loss",
        mode: str = "auto",
    ) -> None:
        self.factor = check_float("ReduceOnPlateau", "factor", factor, 0, 1, closed="neither")
        self.patience = check_int("ReduceOnPlateau", "patience", patience, low=1)
        self.min_delta = float(min_delta)
        self.min_lr = float(min_lr)
        self.monitor = monitor
        self.mode = resolve_mode(monitor, mode, "ReduceOnPlateau")
        self.scale = 1.0
        self.best = initial_best(self.mode)
        self.wait = 0
        self.n_reductions = 0

    def rate(self, base_lr: float, epoch: int, step: int, samples_seen: int) -> float:
        return max(base_lr * self.scale, self.min_lr)

    def on_epoch_end(self, monitor_value: float) -> None:
        value = float(monitor_value)
        self.wait = (
            0 if is_improvement(value, self.best, self.mode, self.min_delta) else self.wait + 1
        )
        if is_better(value, self.best, self.mode):
            self.best = value
        if self.wait >= self.patience:
            self.scale *= self.factor
            self.wait = 0
            self.n_reductions += 1


_SCHEDULES: dict[str, type[Schedule]] = {
    "constant": Constant,
    "invscaling": InverseScaling,
    "step": StepDecay,
    "cosine": Cosine,
    "plateau": ReduceOnPlateau,
}


def schedule_names() -> list[str]:
    """The names :func:`get_schedule` knows."""
    return list(_SCHEDULES)


def get_schedule(name_or_obj: str | Schedule | None, **kwargs: Any) -> Schedule:
    """A schedule from its name, or the given instance unchanged (``None`` is constant).

    Parameters
    ----------
    name_or_obj : {"constant", "invscaling", "step", "cosine", "plateau"}, Schedule or None
    **kwargs
        Constructor arguments for a name, e.g. ``get_schedule("cosine", total_epochs=50)``.

    Examples
    --------
    >>> get_schedule("step", step_size=5, gamma=0.5).rate(0.1, epoch=10, step=0, samples_seen=0)
    0.025
    """
    if name_or_obj is None:
        return Constant()
    if isinstance(name_or_obj, Schedule):
        return name_or_obj
    key = name_or_obj.lower() if isinstance(name_or_obj, str) else name_or_obj
    if key not in _SCHEDULES:
        raise ValueError(
            f"Unknown schedule {name_or_obj!r}. Use one of {schedule_names()}, a Schedule "
            "instance, or None for a constant rate."
        )
    try:
        return _SCHEDULES[key](**kwargs)
    except TypeError as exc:
        raise ValueError(
            f"Cannot build the {key!r} schedule from {kwargs}: {exc}. Pass a schedule object "
            f"instead, e.g. schedule=Cosine(total_epochs=100)."
        ) from None
