"""Sample weights in the cost and in dZ[L]: shared by the members, or each member's own.

An ensemble of K members (``lucidnet.core.ensemble``) takes either weights s of shape
(B,), shared by every member, or per-member weights s of shape (K, B): s[k, i] weighs
example i in member k's cost (a 0 leaves it out of member k's training, as cross-fitting
does). Each member's cost stays the lecture's weighted mean (docs/MATH.md §6, §9), and
the ensemble's cost is still the sum of the members' costs.
"""

from __future__ import annotations

from typing import Any

from lucidnet.core.arrays import namespace

__all__ = ["check_sample_weight", "per_member_cost", "per_member_scale"]

Array = Any


def check_sample_weight(s: Array, AL: Array) -> Array:
    """``s`` checked against A[L] (shape (n[L], B), or (K, n[L], B)), in A[L]'s dtype.

    Raises
    ------
    ValueError
        When s is not of shape (B,), nor (K, B) for an ensemble's A[L].
    """
    shape, B = tuple(getattr(s, "shape", ())), AL.shape[-1]
    if shape != (B,) and not (AL.ndim == 3 and shape == (AL.shape[0], B)):
        per_member = (
            f" or (K, B) = ({AL.shape[0]}, {B}), one row per member" if AL.ndim == 3 else ""
        )
        raise ValueError(
            f"sample_weight must have shape (B,) = ({B},){per_member}; got "
            f"{getattr(s, 'shape', None)}."
        )
    if s.dtype != AL.dtype:
        s = namespace(s).astype(s, AL.dtype)
    return s  # its values (≥ 0, Σ > 0) are checked once, where the data enter training


def per_member_cost(losses: Array, s: Array, W: list[Array], alpha: float) -> Array:
    """J of an ensemble with per-member weights, a 0-d array.

    Parameters
    ----------
    losses : array of shape (K, B)
        L_ki, member k's loss on example i.
    s : array of shape (K, B)
        s[k, i] ≥ 0.
    W : list of arrays of shape (K, n[l], n[l-1])
        W[1] … W[L].
    alpha : float
        L2 strength.

    Notes
    -----
    J = Σ_k J_k,  J_k = (Σ_i s_ki L_ki + (alpha / 2) Σ_l ‖W[l]_k‖²) / Σ_i s_ki
    (member k's weighted mean loss and L2 penalty, with its own Σ_i s_ki in place of B).
    A member whose weights in the minibatch are all 0 has J_k = 0 and no gradient from it
    (a minibatch may hold only rows of the fold that member leaves out).
    """
    xp = namespace(losses, s)
    J_k = xp.sum(s * losses, axis=-1)
    if alpha:
        J_k = J_k + alpha / 2 * sum(xp.sum(Wl * Wl, axis=(-2, -1)) for Wl in W)
    return xp.sum(J_k / _positive(xp.sum(s, axis=-1), xp))


def _positive(total: Array, xp: Any) -> Array:
    """Σ_i s_ki, with ∞ for a member whose weights are all 0 (its J_k and gradients: 0)."""
    return xp.where(total > 0, total, xp.asarray(xp.inf, dtype=total.dtype))


def per_member_scale(s: Array) -> tuple[Array, Array]:
    """(s, Σ s) shaped to scale dZ[L] and the L2 term of dW[l].

    Parameters
    ----------
    s : array of shape (B,) or (K, B)

    Returns
    -------
    s_b : array of shape (B,), or (K, 1, B)
    total : 0-d array Σ_i s_i, or array of shape (K, 1, 1) holding Σ_i s_ki (∞ where 0)

    Notes
    -----
    dZ[L] = (A[L] − Y) ⊙ s_b / total;  dW[l] gains (alpha / total) W[l]: per member k,
    dZ[L]_k = (A[L]_k − Y) ⊙ s_k / Σ_i s_ki and (alpha / Σ_i s_ki) W[l]_k.
    """
    xp = namespace(s)
    if s.ndim == 1:
        return s, xp.sum(s)
    s_b = s[:, None, :]
    return s_b, _positive(xp.sum(s_b, axis=-1, keepdims=True), xp)
