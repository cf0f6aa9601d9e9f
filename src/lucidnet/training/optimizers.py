"""Optimizers: how a gradient becomes a step (SGD, momentum, Nesterov, Adam, AdamW).

Every optimizer sees the parameters as the core's one list in the lecture's order,
``params = [W[1], b[1], W[2], b[2], ..., W[L], b[L]]`` (``lucidnet.core.parameters``),
with ``grads`` the matching ``[dW[1], db[1], ...]``, and returns the new list.

Two rules keep training cheap to checkpoint and to roll back:

- ``step`` never changes an array in place: it builds new parameter arrays and new state
  arrays and rebinds its attributes. A reference to an old list therefore stays a valid
  snapshot, so the trainer can keep "the weights before this batch" or "the best weights"
  without copying anything.
- All the state that ``step`` changes is named in ``_state_names``; :meth:`Optimizer.snapshot`
  and :meth:`Optimizer.restore` save and put back those references (no copies).

Only operators and ``xp.sqrt`` are used, so NumPy and any Array-API library work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

from lucidnet.core.arrays import namespace
from lucidnet.core.parameters import pack, unpack
from lucidnet.training.checks import check_float, invalid

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "Optimizer",
    "clip_by_global_norm",
    "get_optimizer",
    "optimizer_names",
]

Array = Any


class Optimizer:
    """Base class: one object per training run, holding the update rule and its state.

    Parameters
    ----------
    learning_rate : float
        The base (initial) rate η. A schedule scales or replaces it: :meth:`step` takes
        the rate to use now as its ``lr`` argument.

    Notes
    -----
    Subclasses implement :meth:`step`, list their hyperparameters in ``_hyper_names`` and
    the state that ``step`` rebinds in ``_state_names``.
    """

    name: ClassVar[str] = "optimizer"
    _hyper_names: ClassVar[tuple[str, ...]] = ("learning_rate",)
    _state_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, learning_rate: float) -> None:
        owner = type(self).__name__
        self.learning_rate = check_float(owner, "learning_rate", learning_rate, 0, closed="neither")

    def step(self, params: list[Array], grads: list[Array], lr: float) -> list[Array]:
        """Return the new parameters after one step with rate ``lr``.

        Parameters
        ----------
        params : list of arrays
            ``[W[1], b[1], ..., W[L], b[L]]``, shapes (n[l], n[l-1]) and (n[l], 1).
        grads : list of arrays
            ``[dW[1], db[1], ..., dW[L], db[L]]``, the same shapes.
        lr : float
            The learning rate η for this step (the schedule's current rate).

        Returns
        -------
        list of arrays
            New arrays; ``params`` and the previous state are left untouched.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ state

    def snapshot(self) -> tuple[Any, ...]:
        """References to the current state (no copies): valid because ``step`` never mutates."""
        return tuple(getattr(self, name) for name in self._state_names)

    def restore(self, snapshot: tuple[Any, ...]) -> None:
        """Put back a state taken by :meth:`snapshot`."""
        for name, value in zip(self._state_names, snapshot, strict=True):
            setattr(self, name, value)

    def reset(self) -> None:
        """Forget the state (velocities, moments, step count), keeping the hyperparameters."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and state: ``{"name", <hyperparameters>, <state>}``.

        The arrays are references, not copies (see the module docstring).
        """
        state: dict[str, Any] = {"name": self.name}
        for name in (*self._hyper_names, *self._state_names):
            value = getattr(self, name)
            state[name] = list(value) if isinstance(value, list) else value
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by :meth:`state_dict`.

        Raises
        ------
        ValueError
            When the state belongs to another optimizer.
        """
        if state.get("name") != self.name:
            raise ValueError(
                f"This state belongs to the optimizer {state.get('name')!r}, not {self.name!r}; "
                f"create the trainer with optimizer={state.get('name')!r} to load it."
            )
        for name in (*self._hyper_names, *self._state_names):
            value = state[name]
            setattr(self, name, list(value) if isinstance(value, (list, tuple)) else value)

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._hyper_names)
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Parameters
    ----------
    learning_rate : float, default=0.01
        η, the base rate.
    momentum : float, default=0.0
        μ in [0, 1], as scikit-learn's MLP allows (μ = 1: the velocity never decays).
        With μ = 0 this is the lecture's plain update.
    nesterov : bool, default=False
        Use Nesterov's momentum (look ahead along the velocity).

    Notes
    -----
    For every parameter p with gradient g (scikit-learn's formulation)::

        μ = 0:      p ← p − η g
        momentum:   v ← μ v − η g;   p ← p + v
        Nesterov:   v ← μ v − η g;   p ← p + μ v − η g

    The velocities v start at zero.
    """

    name = "sgd"
    _hyper_names = ("learning_rate", "momentum", "nesterov")
    _state_names = ("velocities",)

    def __init__(
        self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False
    ) -> None:
        super().__init__(learning_rate)
        self.momentum = check_float("SGD", "momentum", momentum, 0, 1, closed="both")
        self.nesterov = bool(nesterov)
        self.velocities: list[Array] | None = None

    def step(self, params: list[Array], grads: list[Array], lr: float) -> list[Array]:
        mu = self.momentum
        if mu == 0.0:
            return [p - lr * g for p, g in zip(params, grads, strict=True)]
        if self.velocities is None:
            xp = namespace(*params)
            self.velocities = [xp.zeros_like(p) for p in params]
        self.velocities = [mu * v - lr * g for v, g in zip(self.velocities, grads, strict=True)]
        if self.nesterov:
            return [
                p + (mu * v - lr * g)
                for p, v, g in zip(params, self.velocities, grads, strict=True)
            ]
        return [p + v for p, v in zip(params, self.velocities, strict=True)]

    def reset(self) -> None:
        self.velocities = None


class Adam(Optimizer):
    """Adam: per-parameter steps from bias-corrected moment estimates (Kingma & Ba, 2015).

    Parameters
    ----------
    learning_rate : float, default=1e-3
        η, the base rate.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Keeps the division finite.

    Notes
    -----
    At step t = 1, 2, ... for every parameter p with gradient g (m, v start at zero)::

        m ← β1 m + (1 − β1) g
        v ← β2 v + (1 − β2) g²
        η_t = η √(1 − β2^t) / (1 − β1^t)
        p ← p − η_t m / (√v + ε)

    m and v are kept as single vectors: every entry of every parameter, in ``params``
    order. This is the paper's "efficient" ordering of the bias correction, the one
    scikit-learn uses; it equals p − η m̂ / (√v̂ + ε') with m̂ = m / (1 − β1^t),
    v̂ = v / (1 − β2^t) and ε' = ε / √(1 − β2^t).
    """

    name = "adam"
    _hyper_names: ClassVar[tuple[str, ...]] = ("learning_rate", "beta_1", "beta_2", "epsilon")
    _state_names = ("t", "m", "v")

    def __init__(
        self,
        learning_rate: float = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        super().__init__(learning_rate)
        owner = type(self).__name__
        self.beta_1 = check_float(owner, "beta_1", beta_1, 0, 1, closed="left")
        self.beta_2 = check_float(owner, "beta_2", beta_2, 0, 1, closed="left")
        self.epsilon = check_float(owner, "epsilon", epsilon, 0, closed="neither")
        self.t = 0
        self.m: Array | None = None
        self.v: Array | None = None

    def step(self, params: list[Array], grads: list[Array], lr: float) -> list[Array]:
        b1, b2, eps = self.beta_1, self.beta_2, self.epsilon
        xp = namespace(*params[:1])
        g = pack(grads)  # element-wise rules: one vector costs fewer calls than 2L arrays
        if self.m is None or self.v is None:
            self.m, self.v = xp.zeros_like(g), xp.zeros_like(g)
        self.t += 1
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * (g * g)
        lr_t = lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        step = lr_t * self.m / (xp.sqrt(self.v) + eps)
        return [p - s for p, s in zip(params, unpack(step, params), strict=True)]

    def reset(self) -> None:
        self.t, self.m, self.v = 0, None, None


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Parameters
    ----------
    learning_rate, beta_1, beta_2, epsilon
        As for :class:`Adam`.
    weight_decay : float, default=0.01
        λ ≥ 0. Only the weights W[l] decay; the biases b[l] do not, just as the L2
        penalty ``alpha`` leaves them alone.
    weight_mask : sequence of bool, optional
        Which entries of ``params`` are weights: ``lucidnet.core.parameters.weight_mask(net)``,
        ``[True, False, ..., True, False]`` for ``[W[1], b[1], ..., W[L], b[L]]``. The
        :class:`~lucidnet.training.Trainer` fills it in from its network when it is None;
        calling :meth:`step` yourself with ``weight_decay > 0`` needs it.

    Notes
    -----
    The decay shrinks W directly instead of entering the gradient, so Adam's per-parameter
    scaling does not touch it. With η the current (scheduled) rate and η_t, m, v as in
    :class:`Adam`::

        W ← W − η λ W            (entries where weight_mask is True)
        p ← p − η_t m / (√v + ε)  (every parameter, as Adam)
    """

    name = "adamw"
    _hyper_names = ("learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay")

    def __init__(
        self,
        learning_rate: float = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.01,
        weight_mask: Sequence[bool] | None = None,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self.weight_decay = check_float("AdamW", "weight_decay", weight_decay, 0)
        self.weight_mask = None if weight_mask is None else [bool(m) for m in weight_mask]

    def use_weight_mask(self, mask: Sequence[bool]) -> None:
        """Take the network's mask when none was given; check a given one's length.

        The :class:`~lucidnet.training.Trainer` calls it with ``weight_mask(net)``.
        """
        if self.weight_mask is None:
            self.weight_mask = [bool(m) for m in mask]
        elif len(self.weight_mask) != len(mask):
            raise invalid(
                "AdamW",
                "weight_mask",
                f"{len(mask)} bools, one per array of this network's [W[1], b[1], ..., W[L], b[L]]",
                self.weight_mask,
                "Pass weight_mask=None and the Trainer fills it in.",
            )

    def step(self, params: list[Array], grads: list[Array], lr: float) -> list[Array]:
        decay = lr * self.weight_decay
        if decay:
            mask = self.weight_mask
            if mask is None or len(mask) != len(params):
                raise invalid(
                    "AdamW",
                    "weight_mask",
                    f"{len(params)} bools, one per array of params, True for the weights W[l]",
                    mask,
                    "AdamW decays the weights only: pass weight_mask="
                    "lucidnet.core.parameters.weight_mask(net), or train with a Trainer, "
                    "which fills it in.",
                )
            params = [p - decay * p if is_W else p for p, is_W in zip(params, mask, strict=True)]
        return super().step(params, grads, lr)


_OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


def optimizer_names() -> list[str]:
    """The names :func:`get_optimizer` knows: "sgd", "adam", "adamw"."""
    return list(_OPTIMIZERS)


def get_optimizer(name_or_obj: str | Optimizer, **kwargs: Any) -> Optimizer:
    """An optimizer from its name, or the given instance unchanged.

    Parameters
    ----------
    name_or_obj : {"sgd", "adam", "adamw"} or Optimizer
        A name (case-insensitive) builds a new optimizer with ``kwargs``; an instance is
        returned as is and ``kwargs`` are ignored (its own settings win).
    **kwargs
        Constructor arguments, e.g. ``learning_rate=0.1, momentum=0.9``.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.

    Examples
    --------
    >>> get_optimizer("sgd", learning_rate=0.1, momentum=0.9)
    SGD(learning_rate=0.1, momentum=0.9, nesterov=False)
    """
    if isinstance(name_or_obj, Optimizer):
        return name_or_obj
    key = name_or_obj.lower() if isinstance(name_or_obj, str) else name_or_obj
    if key not in _OPTIMIZERS:
        raise ValueError(
            f"Unknown optimizer {name_or_obj!r}. Use one of {optimizer_names()} or pass an "
            "Optimizer instance."
        )
    return _OPTIMIZERS[key](**kwargs)


def clip_by_global_norm(grads: list[Array], max_norm: float) -> tuple[list[Array], float]:
    """Scale all gradients together so that their global norm is at most ``max_norm``.

    Parameters
    ----------
    grads : list of arrays
        ``[dW[1], db[1], ..., dW[L], db[L]]``.
    max_norm : float
        c > 0.

    Returns
    -------
    grads : list of arrays
        The same arrays when the norm is within c (or not finite), else scaled copies.
    norm : float
        ‖g‖ before clipping.

    Notes
    -----
    ‖g‖ = √(Σ_i Σ_jk g_i[j, k]²) over every gradient array g_i;
    if ‖g‖ > c:  g_i ← g_i · c / ‖g‖  (the direction is kept, the length capped).
    """
    xp = namespace(*grads[:1])
    norm = math.sqrt(sum(float(xp.sum(g * g)) for g in grads))
    if norm > max_norm:
        scale = max_norm / norm
        grads = [g * scale for g in grads]
    return grads, norm
