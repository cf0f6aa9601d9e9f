"""Predictions over row blocks, and how an ensemble's members are combined.

A plain network gives A[L], Z[L] or φ = A[L-1] per row. An ensemble (``n_members > 1``)
predicts the mean of its members' outputs, p̄ = (1/K) Σ_k A[L][k], and its "logits" are
the ones whose output activation gives p̄ back, computed in log space (stable for any z):

- sigmoid: z̄ = log p̄ − log(1 − p̄) = LSE_k(log σ(z_k)) − LSE_k(log σ(−z_k));
- softmax: z̄ = log p̄ = LSE_k(log_softmax(z_k)) − log K  (softmax(z̄) = p̄);
- identity: z̄ = (1/K) Σ_k z_k;
- exp (a Poisson rate): z̄ = log ā = LSE_k(z_k) − log K.

The ensemble's features φ are the members' features side by side (K · n[L-1] columns).
"""

from __future__ import annotations

import math
from typing import Any

from lucidnet.core.arrays import device_of, namespace
from lucidnet.core.ensemble import Ensemble
from lucidnet.core.losses import log_softmax
from lucidnet.core.network import Network

__all__ = ["PREDICT_BLOCK", "combine_logits", "forward_rows", "forward_rows_both"]

# Predictions run over row blocks of this size, so memory does not grow with X; a
# row's bits depend on its place in its block (BLAS rounding), so a table predicted in
# chunks of a multiple of this size gives the bits of the table predicted whole.
PREDICT_BLOCK = 4096


def combine_logits(Z: Any, output: str) -> Any:
    """z̄ of K members' Z[L] of shape (K, n[L], B): see the module docstring."""
    xp = namespace(Z)
    K = Z.shape[0]
    if output == "identity":
        return xp.mean(Z, axis=0)
    if output == "exp":  # log of the mean Poisson rate (below the exp output's linear tail)
        return _logsumexp(Z, xp) - math.log(K)
    if output == "softmax":
        return _logsumexp(log_softmax(Z), xp) - math.log(K)
    zero = xp.zeros_like(Z)
    log_p, log_q = -xp.logaddexp(zero, -Z), -xp.logaddexp(zero, Z)  # log σ(z), log σ(−z)
    return _logsumexp(log_p, xp) - _logsumexp(log_q, xp)


def _logsumexp(V: Any, xp: Any) -> Any:
    """log Σ_k e^{V[k]} over the first axis, shifted by the maximum."""
    m = xp.max(V, axis=0)
    return m + xp.log(xp.sum(xp.exp(V - m), axis=0))


def forward_rows(net: Network, X: Any, what: str) -> Any:
    """``what`` ("A", "Z" or "phi") for the rows of X, block by block, one row per example."""
    L = net.L
    xp = namespace(net.W[1])
    stacked = isinstance(net, Ensemble)
    parts = []
    for A0 in _blocks(X):
        if what == "A":
            block = net.mean_output(A0) if isinstance(net, Ensemble) else net.predict_output(A0)
        elif what == "Z":
            Z = net.predict_logits(A0)  # no cache: two layers in memory at a time
            block = combine_logits(Z, net.output.name) if stacked else Z
        else:
            phi = net.forward(A0).A[L - 1]
            block = xp.reshape(phi, (-1, phi.shape[-1])) if stacked else phi
        parts.append(block.T)
    K = net.K if isinstance(net, Ensemble) else 1
    return _rows(net, parts, net.n[L - 1] * K if what == "phi" else net.n[L])


def forward_rows_both(net: Network, X: Any) -> tuple[Any, Any]:
    """(A, Z) of :func:`forward_rows` from one forward pass per block: the same arrays.

    Notes
    -----
    Per block, Z = predict_logits(A0) once; A = g[L](Z) (the members' mean for an
    ensemble, as ``mean_output``) and Z combined as ``combine_logits``.
    """
    g = net.g[net.L]
    stacked = isinstance(net, Ensemble)
    A_parts, Z_parts = [], []
    for A0 in _blocks(X):
        Z = net.predict_logits(A0)
        A = g(Z)
        A_parts.append((namespace(A).mean(A, axis=0) if stacked else A).T)
        Z_parts.append((combine_logits(Z, net.output.name) if stacked else Z).T)
    width = net.n[net.L]
    return _rows(net, A_parts, width), _rows(net, Z_parts, width)


def _blocks(X: Any) -> Any:
    """A0 = the rows of X, PREDICT_BLOCK at a time, as columns."""
    n = X.shape[0]
    for start in range(0, n, PREDICT_BLOCK):
        yield X[start : min(start + PREDICT_BLOCK, n), :].T


def _rows(net: Network, parts: list[Any], width: int) -> Any:
    """The blocks' rows stacked, or no rows of ``width`` columns."""
    xp = namespace(net.W[1])
    if not parts:
        W = net.W[1]
        return xp.empty((0, width), dtype=W.dtype, device=device_of(W))
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)
