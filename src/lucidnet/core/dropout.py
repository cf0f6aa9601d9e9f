"""Inverted dropout on hidden layers (``Network.forward(A0, dropout=p, rng=...)``).

During training each unit of hidden layer l is kept with probability 1 − p and scaled by
1 / (1 − p), so that A[l] keeps its expected value and prediction needs no change::

    M[l] = (U ≥ p) / (1 − p),  U ~ Uniform(0, 1) of shape (n[l], B)
    A[l] = g[l](Z[l]) * M[l]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucidnet.core.arrays import device_of, namespace

__all__ = ["dropout_mask", "dropout_rates"]

Array = Any


def dropout_rates(dropout: float | dict[int, float] | None, L: int) -> dict[int, float]:
    """The rate p of each hidden layer that drops units, ``{l: p}`` with p > 0.

    One float applies to every hidden layer 1..L−1; a dict names the layers.

    Raises
    ------
    ValueError
        For a layer outside 1..L−1 or a rate outside [0, 1).
    """
    if dropout is None:
        return {}
    if isinstance(dropout, dict):
        rates = {int(l): float(p) for l, p in dropout.items()}
    else:
        rates = {l: float(dropout) for l in range(1, L)}
    for l, p in rates.items():
        if not 1 <= l < L:
            raise ValueError(f"Dropout applies to hidden layers 1..{L - 1}; got layer {l}.")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"The dropout rate must be in [0, 1); got {p} for layer {l}.")
    return {l: p for l, p in rates.items() if p > 0}


def dropout_mask(A: Array, p: float, rng: Any) -> Array:
    """M = (U ≥ p) / (1 − p): keep a unit with probability 1 − p and scale it up.

    U = ``rng.random(shape)``: a numpy.random.Generator (reproducible on every array
    library; its draws move to A's namespace), or any object with that method returning
    arrays of A's library (a compiled engine's key-based generator).
    """
    if rng is None:
        raise ValueError("Dropout needs a numpy.random.Generator: pass rng=... to forward.")
    xp = namespace(A)
    U = rng.random(tuple(A.shape))
    if isinstance(U, np.ndarray) and xp is not np:
        U = xp.asarray(U, device=device_of(A))
    return xp.astype(U >= p, A.dtype) / (1.0 - p)
