"""The network's parameters as ONE ordered list, and as one flat vector θ.

The network keeps its parameters per layer, ``W[l]`` and ``b[l]``; an optimizer, L-BFGS
and a checkpoint want them all at once. This module is the one place that says how::

    params = [W[1], b[1], W[2], b[2], ..., W[L], b[L]]         the lecture's order
    grads  = [dW[1], db[1], ..., dW[L], db[L]]                 the same order, same shapes
    mask   = [True, False, ..., True, False]                   which entries are weights W[l]
    θ      = concat(W[1].ravel(), b[1].ravel(), ..., b[L].ravel())   one flat vector

A network with a numerical embedding (``lucidnet.core.embedded``) appends the
embedding's parameters E (and its gradients dE) after b[L], in E's order.

Each array is raveled row by row, so θ has ``net.n_parameters`` entries and the
gradients pack into the same layout: entry i of ``pack(grads)`` is ∂J/∂θ_i.

The lists hold references (nothing is copied), and everything runs in the arrays'
own Array-API namespace. An ``Ensemble`` is no different: its W[l] and b[l] carry a
leading axis of K members, and θ has its ``n_parameters`` = K · Σ_l (n[l]·n[l-1] + n[l]).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lucidnet.core.arrays import namespace

if TYPE_CHECKING:
    from lucidnet.core.network import Grads, Network

__all__ = ["gradients", "pack", "parameters", "set_parameters", "unpack", "weight_mask"]

Array = Any


def parameters(net: Network) -> list[Array]:
    """The network's parameters in the lecture's order (references, not copies).

    Parameters
    ----------
    net : Network

    Returns
    -------
    list of 2L arrays
        ``[W[1], b[1], ..., W[L], b[L]]``; W[l] of shape (n[l], n[l-1]), b[l] of shape
        (n[l], 1).

    Notes
    -----
    params[2(l-1)] = W[l],  params[2(l-1) + 1] = b[l]   for l = 1..L

    Examples
    --------
    >>> from lucidnet.core.network import Network
    >>> [p.shape for p in parameters(Network([3, 4, 1], seed=0))]
    [(4, 3), (4, 1), (1, 4), (1, 1)]
    """
    W, b = net.W, net.b
    return [p for l in range(1, net.L + 1) for p in (W[l], b[l])] + list(_extra(net).values())


def gradients(grads: Grads) -> list[Array]:
    """∂J/∂• from ``Network.backward`` in the same order as :func:`parameters`.

    Parameters
    ----------
    grads : Grads
        dW[l] and db[l] for l = 1..L.

    Returns
    -------
    list of 2L arrays
        ``[dW[1], db[1], ..., dW[L], db[L]]``, each shaped like its parameter.

    Notes
    -----
    grads_list[2(l-1)] = dW[l],  grads_list[2(l-1) + 1] = db[l]   for l = 1..L
    """
    dW, db = grads.dW, grads.db
    return [d for l in range(1, len(dW) + 1) for d in (dW[l], db[l])] + list(
        getattr(grads, "dE", {}).values()
    )


def set_parameters(net: Network, params: Sequence[Array]) -> None:
    """Put ``params`` (ordered as :func:`parameters`) into ``net.W`` and ``net.b``.

    The arrays are used as they are (not copied, shapes not re-checked: this runs after
    every minibatch). A vector from elsewhere goes through :func:`unpack` first, which
    checks its size.

    Parameters
    ----------
    net : Network
        Changed in place: its dicts W and b receive the arrays.
    params : sequence of 2L arrays
        ``[W[1], b[1], ..., W[L], b[L]]``.

    Raises
    ------
    ValueError
        When ``params`` does not hold 2L arrays.

    Notes
    -----
    W[l] = params[2(l-1)],  b[l] = params[2(l-1) + 1]   for l = 1..L
    """
    L, names = net.L, list(_extra(net))
    if len(params) != 2 * L + len(names):
        raise ValueError(
            f"params must hold 2L = {2 * L} arrays [W[1], b[1], ..., W[{L}], b[{L}]]"
            + (f" and then the embedding's {names}" if names else "")
            + f"; got {len(params)}."
        )
    W, b = net.W, net.b
    for l in range(1, L + 1):
        W[l] = params[2 * l - 2]
        b[l] = params[2 * l - 1]
    if names:  # a new dict: a copy of the network (Step.network) keeps its own
        net.E = dict(zip(names, params[2 * L :], strict=True))  # type: ignore[attr-defined]


def weight_mask(net: Network) -> list[bool]:
    """Which entries of :func:`parameters` are weights W[l] (True) rather than biases.

    AdamW's decoupled decay and the L2 penalty touch the weights only.

    Notes
    -----
    mask[2(l-1)] = True (W[l]),  mask[2(l-1) + 1] = False (b[l])   for l = 1..L

    Examples
    --------
    >>> from lucidnet.core.network import Network
    >>> weight_mask(Network([3, 4, 1]))
    [True, False, True, False]
    """
    mask = [is_weight for _ in range(net.L) for is_weight in (True, False)]
    return mask + [False] * len(_extra(net))


def _extra(net: Network) -> dict[str, Array]:
    """The embedding's parameters E of an embedded network; none for the lecture's."""
    return getattr(net, "E", None) or {}


def pack(arrays: Sequence[Array], dtype: Any = None) -> Array:
    """θ: every entry of ``arrays``, raveled row by row and concatenated in order.

    Parameters
    ----------
    arrays : sequence of arrays
        Usually :func:`parameters` or :func:`gradients`; all from one namespace.
    dtype : dtype of that namespace, optional
        Convert θ (e.g. ``numpy.float64`` for scipy); by default the arrays' own dtype.

    Returns
    -------
    array of shape (Σ_i size(arrays[i]),)
        For the parameters that is (n_parameters,) = (Σ_l n[l]·n[l-1] + n[l],).

    Notes
    -----
    θ = concat(W[1].ravel(), b[1].ravel(), ..., W[L].ravel(), b[L].ravel())

    Examples
    --------
    >>> from lucidnet.core.network import Network
    >>> net = Network([3, 4, 1], seed=0)
    >>> pack(parameters(net)).shape == (net.n_parameters,)
    True
    """
    xp = namespace(*arrays)
    theta = xp.concat([xp.reshape(a, (-1,)) for a in arrays])
    return theta if dtype is None else xp.astype(theta, dtype)


def unpack(theta: Array, like: Sequence[Array]) -> list[Array]:
    """Cut θ back into arrays shaped like ``like``: the inverse of :func:`pack`.

    Parameters
    ----------
    theta : array of shape (Σ_i size(like[i]),)
    like : sequence of arrays
        Gives the shapes (and the order); usually ``parameters(net)``.

    Returns
    -------
    list of arrays
        Part i has ``like[i].shape``, in θ's dtype; views of θ where the library allows
        (convert or copy them before θ changes).

    Raises
    ------
    ValueError
        When θ is not a vector with exactly as many entries as ``like`` holds.

    Notes
    -----
    part[i] = θ[s_i : s_i + size_i].reshape(shape_i),  s_i = Σ_{j<i} size_j
    """
    total = sum(math.prod(a.shape) for a in like)
    if tuple(getattr(theta, "shape", ())) != (total,):
        raise ValueError(
            f"theta must have shape ({total},), the number of entries it fills "
            f"(net.n_parameters for a network); got {getattr(theta, 'shape', None)}."
        )
    xp = namespace(theta)
    parts, start = [], 0
    for a in like:
        size = math.prod(a.shape)
        parts.append(xp.reshape(theta[start : start + size], tuple(a.shape)))
        start += size
    return parts
