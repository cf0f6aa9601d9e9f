"""Output layers and their canonical losses (docs/MATH.md §4 and §4b).

Each output activation g[L] is paired with the loss whose derivative through it is the
lecture's shortcut ∂L/∂z[L] = a[L] − y:

=========  ===========================================  =================================
output     g[L]                                          L(a, y) for one example (column)
=========  ===========================================  =================================
sigmoid    σ per unit (binary or independent labels)     Σ_k −y_k log a_k − (1−y_k) log(1−a_k)
softmax    a_k = e^{z_k} / Σ_j e^{z_j}  (K classes)      −Σ_k y_k log a_k
identity   z (regression, one or more outputs)           ½ Σ_k (a_k − y_k)²
exp        e^z (counts: a Poisson mean, log link)        Σ_k a_k − y_k z_k + y_k log y_k − y_k
=========  ===========================================  =================================

The Poisson loss is the negative log-likelihood up to terms without z (log y! is left out
and y log y − y added, so it is 0 where a = y): ∂L/∂z = e^z − y = a − y, the lecture's
shortcut again. Above z = ``EXP_LINEAR_FROM`` (30) the exponential continues along its
tangent, a = e^30 (1 + (z − 30)), and the loss along the matching integral, so every value
and derivative stays finite and ∂L/∂z = a − y holds for every z.

Every loss is computed from Z[L] (log-sigmoid, log-softmax), never as the log of a
rounded probability, so it is finite for any finite z. Sums over units run along axis −2
(the rows of a column-per-example array), so a stack of K members' outputs of shape
(K, n[L], B) works unchanged (``lucidnet.core.ensemble``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lucidnet.core.activations import sigmoid
from lucidnet.core.arrays import namespace

__all__ = ["EXP_LINEAR_FROM", "Output", "get_output", "log_softmax", "output_names", "softmax"]

Array = Any


@dataclass(frozen=True)
class Output:
    """An output activation g[L] with its canonical loss.

    Parameters
    ----------
    name : str
        "sigmoid", "softmax" or "identity".
    fn : callable
        ``fn(Z) -> A``: A[L] = g[L](Z[L]), Z of shape (n[L], B).
    example_loss : callable
        ``example_loss(Z, Y) -> (B,)``: L(a(i), y(i)) of every column, from Z[L].
    task : str
        What the output is for: "binary / multilabel", "multiclass" or "regression".
    """

    name: str
    fn: Callable[[Array], Array]
    example_loss: Callable[[Array, Array], Array]
    task: str

    def __call__(self, Z: Array) -> Array:
        """A[L] = g[L](Z[L])."""
        return self.fn(Z)

    def loss(self, Z: Array, Y: Array) -> Array:
        """The loss of every example (column), shape (B,), computed from Z[L]."""
        return self.example_loss(Z, Y)

    def __repr__(self) -> str:
        return f"Output({self.name!r})"


def _binary_cross_entropy(Z: Array, Y: Array) -> Array:
    """Σ_k [max(z, 0) − z·y + log(1 + e^(−|z|))], the stable form of binary cross-entropy.

    Notes
    -----
    −y log σ(z) − (1 − y) log(1 − σ(z)) = max(z, 0) − z·y + log(1 + e^(−|z|)).
    """
    xp = namespace(Z, Y)
    per_unit = xp.maximum(Z, 0.0) - Z * Y + xp.log1p(xp.exp(-xp.abs(Z)))
    return xp.sum(per_unit, axis=-2)


def log_softmax(Z: Array) -> Array:
    """log a_k = z_k − logsumexp(z), per column; logsumexp shifted by max_k z_k.

    Notes
    -----
    logsumexp(z) = m + log Σ_j e^{z_j − m} with m = max_k z_k.
    """
    xp = namespace(Z)
    shifted = Z - xp.max(Z, axis=-2, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=-2, keepdims=True))


def softmax(Z: Array) -> Array:
    """a_k = e^{z_k − m} / Σ_j e^{z_j − m} per column, with m = max_k z_k (no overflow)."""
    xp = namespace(Z)
    E = xp.exp(Z - xp.max(Z, axis=-2, keepdims=True))
    return E / xp.sum(E, axis=-2, keepdims=True)


def _cross_entropy(Z: Array, Y: Array) -> Array:
    """−Σ_k y_k log a_k, with log a_k from :func:`log_softmax`."""
    xp = namespace(Z, Y)
    return -xp.sum(Y * log_softmax(Z), axis=-2)


def _identity(Z: Array) -> Array:
    return Z


def _squared_error(Z: Array, Y: Array) -> Array:
    """½ Σ_k (a_k − y_k)², with a = z."""
    xp = namespace(Z, Y)
    R = Z - Y
    return 0.5 * xp.sum(R * R, axis=-2)


EXP_LINEAR_FROM = 30.0  # the exp output continues linearly above this z


def exp_output(Z: Array) -> Array:
    """a = e^z for z ≤ 30, e^30 (1 + (z − 30)) above (its tangent: finite for any z).

    Notes
    -----
    a = exp(min(z, m)) · (1 + max(z − m, 0)),  m = EXP_LINEAR_FROM
    """
    xp = namespace(Z)
    m = EXP_LINEAR_FROM
    return xp.exp(xp.minimum(Z, m)) * (1.0 + xp.maximum(Z - m, 0.0))


def _poisson(Z: Array, Y: Array) -> Array:
    """Σ_k G(z_k) − y_k z_k + y_k log y_k − y_k, with G' = :func:`exp_output` (G = e^z up to 30).

    Notes
    -----
    G(z) = exp(min(z, m)) · (1 + t + t²/2) with t = max(z − m, 0); 0 log 0 = 0.
    """
    xp = namespace(Z, Y)
    m = EXP_LINEAR_FROM
    t = xp.maximum(Z - m, 0.0)
    G = xp.exp(xp.minimum(Z, m)) * (1.0 + t + 0.5 * t * t)
    positive = Y > 0
    y_log_y = xp.where(positive, Y * xp.log(xp.where(positive, Y, xp.ones_like(Y))), 0.0)
    return xp.sum(G - Y * Z + y_log_y - Y, axis=-2)


_OUTPUTS: dict[str, Output] = {
    "sigmoid": Output("sigmoid", sigmoid, _binary_cross_entropy, "binary / multilabel"),
    "softmax": Output("softmax", softmax, _cross_entropy, "multiclass"),
    "identity": Output("identity", _identity, _squared_error, "regression"),
    "exp": Output("exp", exp_output, _poisson, "counts"),
}


def output_names() -> list[str]:
    """The output names: "sigmoid", "softmax", "identity", "exp"."""
    return list(_OUTPUTS)


def get_output(name: str | Output) -> Output:
    """Look up an output layer by name.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    if isinstance(name, Output):
        return name
    try:
        return _OUTPUTS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown output {name!r}. Known outputs (each with its canonical loss): "
            "'sigmoid' (binary cross-entropy), 'softmax' (cross-entropy), "
            "'identity' (squared error), 'exp' (Poisson)."
        ) from None
