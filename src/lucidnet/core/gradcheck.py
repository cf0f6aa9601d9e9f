"""Checking a backward pass against centred finite differences (docs/MATH.md §8)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from lucidnet.core.arrays import to_numpy
from lucidnet.core.network import Network

__all__ = ["GradientCheck", "check_gradients"]


class GradientCheck(Mapping[str, float]):
    """The max relative error of every dW[l] and db[l], printable as a table.

    A mapping ``{"dW[1]": err, "db[1]": err, ...}``; ``max_error`` is the worst one and
    ``passed`` says whether it is below ``tolerance``.
    """

    def __init__(self, errors: dict[str, float], tolerance: float = 1e-6) -> None:
        self._errors = errors
        self.tolerance = tolerance

    def __getitem__(self, key: str) -> float:
        return self._errors[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._errors)

    def __len__(self) -> int:
        return len(self._errors)

    @property
    def max_error(self) -> float:
        return max(self._errors.values())

    @property
    def passed(self) -> bool:
        return self.max_error < self.tolerance

    def __str__(self) -> str:
        lines = ["gradient   max relative error"]
        for name, err in self._errors.items():
            mark = "ok" if err < self.tolerance else "MISMATCH"
            lines.append(f"{name:<10} {err:18.2e}  {mark}")
        verdict = "passed" if self.passed else "FAILED"
        lines.append(f"{verdict}: worst {self.max_error:.2e} (tolerance {self.tolerance:.0e})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def _relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖g − ĝ‖∞ / max(‖g‖∞, ‖ĝ‖∞, tiny): the relative error of docs/MATH.md §8, over one array."""
    scale = max(np.max(np.abs(analytic)), np.max(np.abs(numeric)), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(analytic - numeric)) / scale)


def check_gradients(
    net: Network,
    A0: Any,
    Y: Any,
    alpha: float = 0.0,
    eps: float = 1e-6,
    *,
    sample_weight: Any = None,
    tolerance: float = 1e-6,
) -> GradientCheck:
    """Compare ``net.backward`` with centred finite differences of ``net.cost``, in float64.

    Parameters
    ----------
    net : Network
        Checked on a float64 copy (the network itself is not changed).
    A0 : array of shape (n[0], B)
    Y : array of shape (n[L], B)
    alpha : float, default=0.0
        L2 strength, as in ``backward``.
    eps : float, default=1e-6
        The step ε.
    sample_weight : array of shape (B,), or (K, B) for an ensemble's per-member weights, optional
    tolerance : float, default=1e-6
        Errors below it count as agreement (used for printing and ``passed``).

    Returns
    -------
    GradientCheck
        ``{"dW[1]": err, "db[1]": err, ...}``; ``print`` it for a table.

    Notes
    -----
    For each entry θ of W[l] and b[l] (and of an embedding's E):
    ĝ = (J(θ + ε) − J(θ − ε)) / 2ε, and per array
    err = ‖g − ĝ‖∞ / max(‖g‖∞, ‖ĝ‖∞, tiny). ReLU is not differentiable at 0: keep the
    inputs away from z = 0 exactly.
    """
    net64 = net.astype(np.float64).to(np)
    A0 = np.asarray(to_numpy(A0), dtype=np.float64)
    Y = np.asarray(to_numpy(Y), dtype=np.float64)
    s = None if sample_weight is None else np.asarray(to_numpy(sample_weight), dtype=np.float64)
    if s is not None and (np.any(s < 0) or not np.sum(s) > 0):
        raise ValueError("sample_weight must be non-negative with at least one positive weight.")
    grads = net64.backward(net64.forward(A0), Y, alpha, sample_weight=s)

    def J() -> float:
        return float(net64.cost(net64.forward(A0), Y, alpha, sample_weight=s))

    checked = [
        (name, theta, analytic)
        for l in range(1, net64.L + 1)
        for name, theta, analytic in (
            (f"dW[{l}]", net64.W[l], grads.dW[l]),
            (f"db[{l}]", net64.b[l], grads.db[l]),
        )
    ]
    for key, theta in (getattr(net64, "E", None) or {}).items():  # a numerical embedding's
        checked.append((f"dE[{key}]", theta, grads.dE[key]))  # type: ignore[attr-defined]
    errors: dict[str, float] = {}
    for name, theta, analytic in checked:
        numeric = np.zeros_like(theta)
        for idx in np.ndindex(*theta.shape):
            saved = theta[idx]
            theta[idx] = saved + eps
            J_plus = J()
            theta[idx] = saved - eps
            J_minus = J()
            theta[idx] = saved
            numeric[idx] = (J_plus - J_minus) / (2 * eps)
        errors[name] = _relative_error(np.asarray(analytic), numeric)
    return GradientCheck(errors, tolerance)
