"""Plain minibatch gradient descent, as in the lecture (docs/MATH.md §6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from lucidnet.core.arrays import device_of, namespace
from lucidnet.core.network import Network
from lucidnet.core.parameters import pack, parameters, set_parameters, unpack
from lucidnet.training.checks import check_float, check_int
from lucidnet.training.optimizers import SGD
from lucidnet.training.step import Step, gather

__all__ = ["minibatch_gd", "minibatches", "targets_as_columns"]

Array = Any


def minibatches(
    n_samples: int, batch_size: int, rng: np.random.Generator | None
) -> Iterator[np.ndarray]:
    """Yield index arrays of one shuffled epoch: ⌈n / B⌉ minibatches, the last maybe smaller.

    ``rng=None`` keeps the original order.
    """
    order = np.arange(n_samples) if rng is None else rng.permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]


def targets_as_columns(net: Network, y: Array) -> Array:
    """Y of shape (n[L], n_samples) from y given one example per row.

    ``y`` of shape (n,) is taken as one output per example, or, for a softmax output
    with n[L] > 1, as integer class indices 0..n[L]−1 (one-hot encoded). ``y`` of shape
    (n, n[L]) is transposed.
    """
    xp = namespace(y)
    nL = net.n[net.L]
    if y.ndim == 1 and net.output.name == "softmax" and nL > 1:
        integral = xp.isdtype(y.dtype, "integral") or bool(xp.all(y == xp.floor(y)))
        if not integral or bool(xp.any((y < 0) | (y >= nL))):
            raise ValueError(
                f"Class indices for a softmax output with {nL} units must be integers in "
                f"0..{nL - 1}; y holds other values."
            )
        classes = xp.arange(nL, dtype=y.dtype, device=device_of(y))
        return xp.astype(classes[:, None] == y[None, :], net.W[1].dtype)
    if y.ndim == 1 and nL == 1:
        return xp.reshape(y, (1, y.shape[0]))
    if y.ndim == 2 and y.shape[1] == nL:
        return y.T
    raise ValueError(
        f"y must have shape (n,) or (n, {nL}) for a network with {nL} output(s); "
        f"got {tuple(y.shape)}."
    )


def minibatch_gd(
    net: Network,
    X: Array,
    y: Array,
    *,
    batch_size: int = 32,
    learning_rate: float = 0.01,
    epochs: int = 10,
    alpha: float = 0.0,
    seed: int | np.random.Generator | None = None,
) -> list[float]:
    """Train ``net`` in place by minibatch gradient descent; return the cost per epoch.

    Parameters
    ----------
    net : Network
    X : array of shape (n_samples, n[0])
        One example per row (the network sees ``A0 = X_batch.T``).
    y : array of shape (n_samples,) or (n_samples, n[L])
        See :func:`targets_as_columns`.
    batch_size : int, default=32
        B; the last minibatch of an epoch may be smaller.
    learning_rate : float, default=0.01
        The step size (the lecture's α in W := W − α dW; here ``alpha`` is the L2 strength).
    epochs : int, default=10
    alpha : float, default=0.0
        L2 strength, as in ``Network.backward``.
    seed : int or numpy.random.Generator, optional
        Seeds the shuffle of each epoch.

    Returns
    -------
    list of float
        Per epoch, the mean of the minibatch costs J weighted by minibatch size (the
        cost seen while training, as ``loss_curve_`` in scikit-learn).

    Notes
    -----
    For each epoch, for each minibatch (A0, Y) of a shuffled split, one
    :class:`~lucidnet.training.step.Step` with plain SGD:
    W[l] := W[l] − learning_rate · dW[l],  b[l] := b[l] − learning_rate · db[l].
    """
    batch_size = check_int("minibatch_gd", "batch_size", batch_size, low=1)
    epochs = check_int("minibatch_gd", "epochs", epochs, low=0)
    learning_rate = check_float("minibatch_gd", "learning_rate", learning_rate, 0, closed="neither")
    alpha = check_float("minibatch_gd", "alpha", alpha, 0)
    xp = namespace(X)
    if X.ndim != 2 or X.shape[1] != net.n[0] or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X must have shape (n_samples, {net.n[0]}) and y n_samples rows; got X "
            f"{tuple(X.shape)} and y {tuple(y.shape)}."
        )
    Y = targets_as_columns(net, y).T  # one example per row, as X
    rng = np.random.default_rng(seed)
    n_samples = X.shape[0]
    device = None if xp is np else device_of(X)  # the row indices go where X is
    like = parameters(net)
    step = Step(net, like, SGD(learning_rate), alpha)  # plain SGD: θ ← θ − η g
    theta, state = pack(like), (None,)
    costs = []
    for _ in range(epochs):
        total = 0.0
        for idx in minibatches(n_samples, batch_size, rng):
            batch = gather(X, Y, None, xp.asarray(idx, device=device))
            theta, state, J = step(theta, state, batch, learning_rate, None)
            total += float(J) * len(idx)
        costs.append(total / n_samples)
    set_parameters(net, unpack(theta, like))
    return costs
