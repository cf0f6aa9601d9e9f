"""Minibatches drawn per member: each member of an ensemble steps on its own rows only.

With per-member sample weights s of shape (K, n) that leave rows out (weight 0 — the
folds of cross-fitting, ``lucidnet.training.crossfit``), a shared minibatch of B rows
holds, for member k, rows it never learns from: their forward and backward passes are
computed and multiplied by 0. Drawing each member's minibatch from its own rows of
positive weight computes only what counts::

    rows_k  = the training rows i with s[k, i] > 0           m_k of them, M = max_k m_k
    steps   = ⌈n_train / B⌉                                  as many steps as shared batches
    b       = ⌈M / steps⌉                                    rows per member per step
    epoch   : each member's rows in a fresh random order, padded to steps · b slots by
              slots of weight 0, cut into ``steps`` minibatches of b per member

Every row of positive weight is visited once per epoch by each member that learns from
it, with its weight, as in a shared epoch; a padding slot (at most ``steps · b − m_k``
per member, under one row per step) weighs 0 and changes nothing. Member k's step then
averages over its b rows where the shared batch averaged over the ≈ B · m_k / n rows of
it that member k learns from: the same step size and noise, with the rows of weight 0 no
longer computed (K-fold cross-fitting: a fraction 1/K of the products saved).

The minibatch of a step is (A0, Y, s) with a member axis first: A0 of shape (K, n[0], b)
and Y of shape (K, n[L], b), which the core's stacked products take as they are
(``W[l] @ A0`` per member), and s of shape (K, b).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["member_epoch", "member_rows"]


def member_rows(s: Any, train_idx: np.ndarray | None = None) -> list[np.ndarray] | None:
    """Each member's training rows of positive weight, or None when batches are shared.

    Parameters
    ----------
    s : array of shape (K, n_samples), (n_samples,) or None
        Sample weights (NumPy, or any library NumPy can read).
    train_idx : integer array, optional
        The training rows (None: all of them).

    Returns
    -------
    list of K integer arrays, or None
        None unless s is per member and some member has a training row of weight 0
        (then sharing the minibatch computes rows that count for nothing).
    """
    if s is None or getattr(s, "ndim", 1) != 2:
        return None
    s = np.asarray(s)
    rows = np.arange(s.shape[1]) if train_idx is None else np.asarray(train_idx)
    positive = s[:, rows] > 0
    if positive.all():
        return None
    return [rows[positive[k]] for k in range(s.shape[0])]


def member_epoch(
    rows: list[np.ndarray], n_steps: int, rng: np.random.Generator | None
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch of per-member minibatches: row indices and 0/1 validity of every slot.

    Parameters
    ----------
    rows : list of K integer arrays
        Each member's rows (:func:`member_rows`), m_k of them, M = max m_k ≥ 1.
    n_steps : int
        Steps in the epoch (⌈n_train / B⌉: as many as shared minibatches).
    rng : numpy.random.Generator or None
        Shuffles each member's rows (a permutation of its M slots per member, members in
        order); None keeps them in order, padding last.

    Returns
    -------
    idx : int64 array of shape (n_steps, K, b)
        idx[j, k] are member k's rows at step j, b = ⌈M / n_steps⌉.
    valid : float64 array of shape (n_steps, K, b)
        1 for a row, 0 for a padding slot (whose index repeats a row of the member).

    Notes
    -----
    Member k's m_k rows and n_steps · b − m_k padding slots are permuted together, so
    every row appears exactly once per epoch.
    """
    K = len(rows)
    M = max(len(r) for r in rows)
    if M == 0 or n_steps < 1:
        raise ValueError(f"Per-member minibatches need rows and steps; got M={M}, {n_steps}.")
    b = -(-M // n_steps)
    slots = n_steps * b
    idx = np.empty((K, slots), dtype=np.int64)
    valid = np.zeros((K, slots), dtype=np.float64)
    for k, r in enumerate(rows):
        m = len(r)
        if m == 0:
            raise ValueError(f"Member {k} has no row of positive weight to train on.")
        order = np.arange(slots) if rng is None else rng.permutation(slots)
        filled = np.concatenate([r, np.full(slots - m, r[0])])
        idx[k] = filled[order]
        valid[k] = (order < m).astype(np.float64)
    shape = (K, n_steps, b)
    return idx.reshape(shape).transpose(1, 0, 2), valid.reshape(shape).transpose(1, 0, 2)
