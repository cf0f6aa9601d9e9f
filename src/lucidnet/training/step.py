"""One minibatch step, written once: the lecture's, with the optimizer in place of the update.

::

    model      = the network with W[l], b[l] = unpack(θ)      views of θ in NumPy
    cache      = model.forward(A0, dropout, key)             Z[l], A[l]
    J          = model.cost(cache, Y, alpha, sample_weight)   a 0-d array
    grads      = model.backward(cache, Y, alpha, sample_weight)
    g          = pack(grads), clipped to ‖g‖ ≤ clip_norm when asked
    θ, state   = optimizer.update(θ, g, state, η)

:class:`Step` binds the settings (the network's structure, the optimizer, alpha, dropout,
clip_norm) once; calling it is ``step(θ, opt_state, batch, lr, key) -> (θ, opt_state, J)``.
The NumPy engine calls it in a Python loop, the JAX engine in a ``lax.scan``: the same
function (the optax/equinox pattern). Under NumPy the optimizer's augmented assignments
change θ and the state in place, the network's views of θ are taken once per θ (not per
step) and the gradient is packed into one preallocated buffer, so a step allocates no
parameter-sized array; under JAX the same lines build new arrays and the step is pure.

:func:`gather` takes a minibatch's rows out of the data (both engines), and
:func:`clip_vector` is the gradient clipping, for concrete and for traced norms.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lucidnet.core.arrays import namespace
from lucidnet.core.network import Grads, Network
from lucidnet.core.parameters import gradients, pack, parameters, set_parameters, unpack
from lucidnet.training.optimizers import Optimizer

__all__ = ["Batch", "Step", "clip_vector", "gather", "some_members"]

Array = Any
Batch = tuple[Array, Array, Array | None]  # (A0 (n[0], B), Y (n[L], B), s (B,) or None)
PiecewiseUpdate = Callable[[Optimizer, Array, list[Array], tuple[Any, ...], Any], Any]


def gather(X: Array, Y: Array, s: Array | None, rows: Array) -> Batch:
    """The minibatch of ``rows``: (A0, Y_b, s_b), examples as columns.

    Parameters
    ----------
    X : array of shape (n_samples, n[0])
    Y : array of shape (n_samples, n[L])
    s : array of shape (n_samples,), (K, n_samples) (per member) or None
    rows : integer array of shape (B,), or (K, b): member k's own rows
        Row indices, in X's library and on its device
        (:mod:`lucidnet.training.member_batches` for the per-member rows).

    Returns
    -------
    A0 : array of shape (n[0], B), or (K, n[0], b)
    Y_b : array of shape (n[L], B), or (K, n[L], b)
    s_b : array of shape (B,), (K, B), (K, b) or None

    Notes
    -----
    A0 = X[rows].T,  Y_b = Y[rows].T,  s_b = s[..., rows]   (``.T`` is a view: no copy)
    per member: A0[k] = X[rows[k]].T,  Y_b[k] = Y[rows[k]].T,  s_b[k] = s[k, rows[k]]
    """
    xp = namespace(X)
    if rows.ndim == 2:
        K, b = rows.shape
        flat = xp.reshape(rows, (-1,))
        A0 = xp.reshape(xp.take(X, flat, axis=0), (K, b, X.shape[1]))
        Yb = xp.reshape(xp.take(Y, flat, axis=0), (K, b, Y.shape[1]))
        sb = None if s is None else xp.take_along_axis(s, rows, axis=-1)
        return xp.permute_dims(A0, (0, 2, 1)), xp.permute_dims(Yb, (0, 2, 1)), sb
    A0 = xp.take(X, rows, axis=0).T
    Yb = xp.take(Y, rows, axis=0).T
    return A0, Yb, None if s is None else xp.take(s, rows, axis=-1)


def some_members(net: Network, members: np.ndarray) -> Network:
    """The ensemble of ``members`` only: a network of K' = len(members) members.

    Every parameter of an ensemble (its W[l], b[l] and an embedding's E) carries the
    member axis first, so member k' of the result is member ``members[k']`` of ``net``
    (parameters copied).
    """
    sub = copy.copy(net)
    sub.W, sub.b = {}, {}
    set_parameters(sub, [p[members] for p in parameters(net)])
    sub.K = len(members)
    return sub


def clip_vector(g: Array, max_norm: float) -> Array:
    """Scale the flat gradient so that its norm is at most ``max_norm``.

    Notes
    -----
    ‖g‖ = √(Σ_i g_i²);  if ‖g‖ > c:  g ← g · c / ‖g‖   (the direction kept, the length
    capped). A NumPy g is scaled in place; other libraries compute
    g · where(‖g‖ > c, c / ‖g‖, 1), which reads no value, so a compiled engine traces it.
    """
    xp = namespace(g)
    norm = xp.sqrt(xp.sum(g * g))
    if isinstance(g, np.ndarray):
        if norm > max_norm:
            g *= max_norm / float(norm)
        return g
    return g * xp.where(norm > max_norm, max_norm / norm, xp.ones_like(norm))


@dataclass(frozen=True, slots=True)
class Step:
    """``step(θ, opt_state, batch, lr, key) -> (θ, opt_state, J)`` with its settings bound.

    Parameters
    ----------
    net : Network
        The architecture; its parameters are never read (they come from θ).
    like : list of arrays
        ``[W[1], b[1], ..., W[L], b[L]]`` (or arrays of their shapes): θ's layout.
    optimizer : Optimizer
        Its :meth:`~Optimizer.update` rule (its own state is not used: it is an argument).
    alpha : float
        L2 strength.
    dropout : float or dict {l: p}, optional
        Inverted dropout on hidden layers; ``key`` then draws the masks.
    clip_norm : float, optional
        Cap on the gradient's global norm.
    update_in_pieces : callable, optional
        ``fn(optimizer, θ, grads, state, lr) -> (θ, state)`` in place of packing the
        gradient and one ``optimizer.update`` (the NumPy engine's threaded update of a
        large θ; without clipping).
    keep_grads : bool, default=False
        Keep the last call's :class:`~lucidnet.core.network.Grads` in :attr:`last_grads`
        (for callbacks that read every step's gradients; concrete arrays only).
    members : integer ndarray, optional
        An ensemble's members that step (NumPy only): the batch holds theirs only (A0 and
        Y of shape (K', ·, b), or shared columns; s of shape (K', b) or (B,)), the
        forward and backward passes run on those members' parameters, and the other
        members' gradient is 0 (their state moves with Adam's decaying moments, which
        nothing keeps: :mod:`lucidnet.training.crossfit`).

    Examples
    --------
    >>> import numpy as np
    >>> from lucidnet.core.parameters import pack, parameters
    >>> from lucidnet.training.optimizers import SGD
    >>> net = Network([2, 1], seed=0)
    >>> step = Step(net, parameters(net), SGD(0.1))
    >>> theta, batch = pack(parameters(net)), (np.ones((2, 4)), np.ones((1, 4)), None)
    >>> theta, state, J = step(theta, (None,), batch, 0.1, None)
    >>> bool(step(theta, state, batch, 0.1, None)[2] < J)
    True
    """

    net: Network
    like: list[Array]
    optimizer: Optimizer
    alpha: float = 0.0
    dropout: float | dict[int, float] | None = None
    clip_norm: float | None = None
    update_in_pieces: PiecewiseUpdate | None = None
    keep_grads: bool = False
    members: np.ndarray | None = None
    _bound: list[Any] = field(default_factory=lambda: [None, None], repr=False, compare=False)
    _g: list[Any] = field(default_factory=lambda: [None], repr=False, compare=False)
    _last: list[Any] = field(default_factory=lambda: [None], repr=False, compare=False)
    _full: list[Any] = field(default_factory=lambda: [None], init=False, repr=False, compare=False)

    def __call__(
        self, theta: Array, opt_state: tuple[Any, ...], batch: Batch, lr: Any, key: Any
    ) -> tuple[Array, tuple[Any, ...], Array]:
        """One step on ``batch``; returns the new θ, the new optimizer state and J.

        Parameters
        ----------
        theta : array of shape (P,)
            θ = pack([W[1], b[1], ..., W[L], b[L]]); consumed (changed in place in NumPy).
        opt_state : tuple
            The optimizer's state (``optimizer.init_state(like)`` before the first step).
        batch : (A0, Y, s)
            A0 of shape (n[0], B), Y of shape (n[L], B), s of shape (B,) or None.
        lr : float or 0-d array
            η of this step.
        key : numpy.random.Generator or an object with ``random(shape)``, or None
            Draws the dropout masks (unused without dropout).

        Returns
        -------
        theta, opt_state, J
            J is the minibatch cost before the update, a 0-d array.
        """
        A0, Y, s = batch
        bound = self._bound
        model = bound[1] if bound[0] is theta else self.network(theta)
        if self.members is not None:
            model = some_members(model, self.members)
        cache = model.forward(A0, dropout=self.dropout, rng=key)
        J = model.cost(cache, Y, self.alpha, sample_weight=s)
        backward = model.backward(cache, Y, self.alpha, sample_weight=s)
        if self.keep_grads:
            self._last[0] = backward
        grads = gradients(backward)
        if self.members is not None:
            grads = self._every_member(grads)
        if self.update_in_pieces is not None:
            theta, opt_state = self.update_in_pieces(self.optimizer, theta, grads, opt_state, lr)
            return theta, opt_state, J
        buffer = self._g[0]  # set at the first NumPy step: the gradient's one buffer
        if type(grads[0]) is np.ndarray and buffer is not None and buffer.dtype == grads[0].dtype:
            g = np.concatenate([d.reshape(-1) for d in grads], out=buffer)
        else:
            g = self._flat(grads)
        if self.clip_norm is not None:
            g = clip_vector(g, self.clip_norm)
        theta, opt_state = self.optimizer.update(theta, g, opt_state, lr)
        return theta, opt_state, J

    @property
    def last_grads(self) -> Grads | None:
        """The last call's gradients, with ``keep_grads`` (else None)."""
        return self._last[0]

    def network(self, theta: Array) -> Network:
        """The network with W[l], b[l] = unpack(θ): views of a NumPy θ, taken once per θ."""
        bound = self._bound
        if bound[0] is theta:
            return bound[1]
        model = copy.copy(self.net)
        model.W, model.b = {}, {}
        set_parameters(model, unpack(theta, self.like))
        if isinstance(theta, np.ndarray):  # kept only where θ is changed in place
            bound[0], bound[1] = theta, model
        return model

    def _every_member(self, grads: list[Array]) -> list[Array]:
        """The stepping members' gradients in arrays of every member, the others' 0."""
        full = self._full[0]
        if full is None:
            full = self._full[0] = [
                np.zeros(p.shape, dtype=g.dtype) for p, g in zip(self.like, grads, strict=True)
            ]
        for whole, part in zip(full, grads, strict=True):
            whole.fill(0)
            whole[self.members] = part
        return full

    def _flat(self, grads: list[Array]) -> Array:
        """g = pack(grads); for NumPy into a new buffer that the next steps reuse."""
        if not isinstance(grads[0], np.ndarray):
            return pack(grads)
        size = sum(math.prod(p.shape) for p in self.like)
        buffer = self._g[0] = np.empty(size, dtype=grads[0].dtype)
        return np.concatenate([d.reshape(-1) for d in grads], out=buffer)
