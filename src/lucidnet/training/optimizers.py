"""Optimizers: how a gradient becomes a step (SGD, momentum, Nesterov, Adam, AdamW).

Each rule is written ONCE, as :meth:`Optimizer.update`, a function of the flat parameter
vector θ, the flat gradient g and the optimizer's state (``lucidnet.core.parameters``
packs ``[W[1], b[1], ..., W[L], b[L]]`` into θ in the lecture's order)::

    θ, state = optimizer.update(θ, g, state, η)

It reads only the hyperparameters, never ``self``'s state, and it uses nothing but
operators and ``xp.sqrt``, so both engines run the same definition: the NumPy engine calls
it on its one flat buffer, where the augmented assignments (``θ -= ...``, ``m *= β1``)
update θ and the state IN PLACE, a handful of vectorised passes and no new parameter
arrays; the JAX engine traces it inside a compiled epoch, where arrays are immutable and
the same lines build new ones. Either way the caller uses what ``update`` returns and
treats θ, g and the state it passed as consumed.

:meth:`Optimizer.step` is the convenience for a list of arrays (the playground, a user's
own loop): it packs copies, updates them and keeps the state on the optimizer; it never
changes the arrays it is given. Because state changes in place, :meth:`Optimizer.snapshot`
returns copies (taken where a rollback needs them: once per epoch in the trainer).
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
    "copy_state",
    "get_optimizer",
    "optimizer_names",
]

Array = Any


class Optimizer:
    """Base class: one object per training run, holding the update rule and its state.

    Parameters
    ----------
    learning_rate : float
        The base (initial) rate η. A schedule scales or replaces it: :meth:`update` and
        :meth:`step` take the rate to use now as their ``lr`` argument.

    Notes
    -----
    Subclasses implement :meth:`init_state` and :meth:`update`, list their hyperparameters
    in ``_hyper_names`` and their state (attributes, None until the first step) in
    ``_state_names``.
    """

    name: ClassVar[str] = "optimizer"
    _hyper_names: ClassVar[tuple[str, ...]] = ("learning_rate",)
    _state_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, learning_rate: float) -> None:
        owner = type(self).__name__
        self.learning_rate = check_float(owner, "learning_rate", learning_rate, 0, closed="neither")

    # ------------------------------------------------------------------ the rule

    def init_state(self, params: Sequence[Array]) -> tuple[Any, ...]:
        """The state before the first step, for parameters shaped like ``params``.

        Vectors of the state have θ's layout: one entry per entry of ``pack(params)``.
        """
        return ()

    def needs_state(self, state: tuple[Any, ...]) -> bool:
        """Whether ``state`` (e.g. :attr:`state` before the first step) must be initialised."""
        return any(part is None for part in state)

    def update(
        self, theta: Array, g: Array, state: tuple[Any, ...], lr: Any
    ) -> tuple[Array, tuple[Any, ...]]:
        """One step of the rule: the new θ and the new state.

        Parameters
        ----------
        theta : array of shape (P,)
            θ = pack([W[1], b[1], ..., W[L], b[L]]), P = ``net.n_parameters``.
        g : array of shape (P,)
            ∂J/∂θ in the same layout (``pack(gradients(grads))``).
        state : tuple
            From :meth:`init_state` or the previous ``update``.
        lr : float or 0-d array
            The rate η of this step.

        Returns
        -------
        theta, state
            Updated in place where the arrays allow it (NumPy, PyTorch, CuPy), new arrays
            where they do not (JAX). Use the returned values; θ, g and state are consumed.
        """
        raise NotImplementedError

    def step(self, params: list[Array], grads: list[Array], lr: float) -> list[Array]:
        """Return the new parameters after one step with rate ``lr`` (lists of arrays).

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
            New arrays; ``params`` and ``grads`` are left untouched. The optimizer's state
            advances (in place: keep a :meth:`snapshot` to go back).

        Notes
        -----
        θ = pack(params) (a copy), g = pack(grads);  θ, state = update(θ, g, state, lr);
        the result is unpack(θ, params).
        """
        state = self.state
        if self.needs_state(state):
            state = self.init_state(params)
        theta, state = self.update(pack(params), pack(grads), state, lr)
        self.state = state
        return unpack(theta, params)

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> tuple[Any, ...]:
        """The state attributes named in ``_state_names``, by reference (None before a step)."""
        return tuple(getattr(self, name) for name in self._state_names)

    @state.setter
    def state(self, value: tuple[Any, ...]) -> None:
        for name, part in zip(self._state_names, value, strict=True):
            setattr(self, name, part)

    def snapshot(self) -> tuple[Any, ...]:
        """Copies of the current state: :meth:`update` changes it in place."""
        return copy_state(self.state)

    def restore(self, snapshot: tuple[Any, ...]) -> None:
        """Put back a state taken by :meth:`snapshot` (copied again: it stays reusable)."""
        self.state = copy_state(snapshot)

    def reset(self) -> None:
        """Forget the state (velocities, moments, step count), keeping the hyperparameters."""
        self.state = tuple(None for _ in self._state_names)

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and state: ``{"name", <hyperparameters>, <state>}`` (copies)."""
        state: dict[str, Any] = {"name": self.name}
        for name in self._hyper_names:
            state[name] = getattr(self, name)
        for name, part in zip(self._state_names, self.snapshot(), strict=True):
            state[name] = part
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

    The velocity v (one vector, θ's layout) starts at zero.
    """

    name = "sgd"
    _hyper_names = ("learning_rate", "momentum", "nesterov")
    _state_names = ("velocity",)

    def __init__(
        self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False
    ) -> None:
        super().__init__(learning_rate)
        self.momentum = check_float("SGD", "momentum", momentum, 0, 1, closed="both")
        self.nesterov = bool(nesterov)
        self.velocity: Array | None = None

    def init_state(self, params: Sequence[Array]) -> tuple[Any, ...]:
        return (None if self.momentum == 0.0 else _zeros(params),)  # plain SGD keeps none

    def needs_state(self, state: tuple[Any, ...]) -> bool:
        return self.momentum != 0.0 and state[0] is None

    def update(
        self, theta: Array, g: Array, state: tuple[Any, ...], lr: Any
    ) -> tuple[Array, tuple[Any, ...]]:
        mu = self.momentum
        g *= lr  # η g
        if mu == 0.0:
            theta -= g
            return theta, state
        (v,) = state
        v *= mu
        v -= g  # v ← μ v − η g
        if self.nesterov:
            theta += mu * v - g
        else:
            theta += v
        return theta, (v,)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "velocities" in state:  # a state saved before the velocity was one vector
            old = state["velocities"]
            state = {**state, "velocity": None if old is None else pack(list(old))}
        super().load_state_dict(state)


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

    m and v are single vectors in θ's layout. This is the paper's "efficient" ordering of
    the bias correction, the one scikit-learn uses; it equals p − η m̂ / (√v̂ + ε') with
    m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t) and ε' = ε / √(1 − β2^t).
    """

    name = "adam"
    _hyper_names: ClassVar[tuple[str, ...]] = ("learning_rate", "beta_1", "beta_2", "epsilon")
    _state_names: ClassVar[tuple[str, ...]] = ("t", "m", "v")

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
        self.t: Any = 0
        self.m: Array | None = None
        self.v: Array | None = None

    def init_state(self, params: Sequence[Array]) -> tuple[Any, ...]:
        return (0, _zeros(params), _zeros(params))

    def update(
        self, theta: Array, g: Array, state: tuple[Any, ...], lr: Any
    ) -> tuple[Array, tuple[Any, ...]]:
        b1, b2, eps = self.beta_1, self.beta_2, self.epsilon
        t, m, v = state
        t = t + 1
        xp = namespace(theta)
        m *= b1
        m += (1 - b1) * g  # m ← β1 m + (1 − β1) g
        g *= g
        g *= 1 - b2
        v *= b2
        v += g  # v ← β2 v + (1 − β2) g²
        lr_t = lr * _sqrt(1 - b2**t) / (1 - b1**t)
        denominator = xp.sqrt(v)
        denominator += eps
        step = lr_t * m
        step /= denominator
        theta -= step  # p ← p − η_t m / (√v + ε)
        return theta, (t, m, v)

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
    scaling does not touch it. With η the current (scheduled) rate, d the 0/1 vector in
    θ's layout that marks the weights, and η_t, m, v as in :class:`Adam`::

        θ ← θ − η λ (d ⊙ θ)          (W ← W − η λ W; biases unchanged)
        p ← p − η_t m / (√v + ε)      (every parameter, as Adam)

    d is built with the state (:meth:`init_state`) and kept in it.
    """

    name = "adamw"
    _hyper_names = ("learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay")
    _state_names: ClassVar[tuple[str, ...]] = ("t", "m", "v", "decay_mask")

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
        self.decay_mask: Array | None = None

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

    def init_state(self, params: Sequence[Array]) -> tuple[Any, ...]:
        mask = self.weight_mask
        if self.weight_decay and (mask is None or len(mask) != len(params)):
            raise invalid(
                "AdamW",
                "weight_mask",
                f"{len(params)} bools, one per array of params, True for the weights W[l]",
                mask,
                "AdamW decays the weights only: pass weight_mask="
                "lucidnet.core.parameters.weight_mask(net), or train with a Trainer, "
                "which fills it in.",
            )
        xp = namespace(*params)
        marks = [
            (xp.ones_like if is_W else xp.zeros_like)(p)
            for p, is_W in zip(params, mask or [False] * len(params), strict=True)
        ]
        return (*super().init_state(params), pack(marks))

    def update(
        self, theta: Array, g: Array, state: tuple[Any, ...], lr: Any
    ) -> tuple[Array, tuple[Any, ...]]:
        t, m, v, d = state
        if self.weight_decay:
            theta -= (lr * self.weight_decay) * (d * theta)  # W ← W − η λ W
        theta, moments = super().update(theta, g, (t, m, v), lr)
        return theta, (*moments, d)

    def reset(self) -> None:
        super().reset()
        self.decay_mask = None


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


def _zeros(params: Sequence[Array]) -> Array:
    """A zero vector in θ's layout for ``params``."""
    xp = namespace(*params)
    return xp.zeros_like(pack(params))


def copy_state(state: tuple[Any, ...]) -> tuple[Any, ...]:
    """A copy of an optimizer state: its arrays copied, its numbers and Nones as they are."""
    return tuple(_copy(part) for part in state)


def _copy(part: Any) -> Any:
    """A copy of one piece of state (an array; a number or None as it is)."""
    if part is None or not hasattr(part, "shape"):
        return part
    return namespace(part).asarray(part, copy=True)


def _sqrt(x: Any) -> Any:
    """√x of a Python number (math.sqrt) or of a 0-d array (traced by JAX)."""
    return math.sqrt(x) if isinstance(x, (int, float)) else x**0.5
