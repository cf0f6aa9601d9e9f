"""Weight initialisation: He for the ReLU family, Glorot for the others, zero biases.

Weights come from a seeded ``numpy.random.Generator``, so the same seed gives
bit-identical weights; they are generated with NumPy and converted afterwards, which
keeps initialisation identical on every array library.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["initial_weights"]


def initial_weights(
    n_out: int, n_in: int, scheme: str, rng: np.random.Generator, dtype: Any = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """Return a fresh ``(W, b)`` of shapes (n_out, n_in) and (n_out, 1).

    Parameters
    ----------
    n_out, n_in : int
        n[l] and n[l-1].
    scheme : {"he", "glorot"}
        "he": W ~ Normal(0, √(2 / n_in)); "glorot": W ~ Uniform(−r, r) with
        r = √(6 / (n_in + n_out)).
    rng : numpy.random.Generator
    dtype : numpy dtype, default float64

    Notes
    -----
    He:     W_ij ~ N(0, 2 / n[l-1])
    Glorot: W_ij ~ U(−√(6 / (n[l-1] + n[l])), √(6 / (n[l-1] + n[l])))
    b = 0
    """
    if scheme == "he":
        W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))
    elif scheme == "glorot":
        r = np.sqrt(6.0 / (n_in + n_out))
        W = rng.uniform(-r, r, size=(n_out, n_in))
    else:
        raise ValueError(f"Unknown initialisation {scheme!r}; expected 'he' or 'glorot'.")
    return W.astype(dtype), np.zeros((n_out, 1), dtype=dtype)
