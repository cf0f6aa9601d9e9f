"""Full-batch L-BFGS: the whole data set's J and ∂J/∂θ, summed over row blocks, for scipy.

L-BFGS needs J(θ) and its gradient over *all* the examples at every step (docs/MATH.md §6 with
B = n). The sum over examples splits into row blocks, so memory holds one block's
activations at a time — and the blocks can live anywhere (on Dask workers too)::

    for each row block k:     (ℓ_k, G_k, w_k) = (Σ_i s_i L_i,  Σ_i s_i ∂L_i/∂θ,  Σ_i s_i)
    J(θ)     = Σ_k ℓ_k / Σ_k w_k + (alpha / 2Σw) Σ_l ‖W[l]‖²
    ∂J/∂W[l] = Σ_k G_k / Σ_k w_k + (alpha / Σw) W[l]        (biases are not penalised)

which is exactly the core's J over the full batch (``Network.backward`` with B = Σw).
Each block goes through the same ``net.forward`` and ``net.backward``; the block's mean
gradient times its weight w_k gives its sum. θ is the flat float64 vector scipy works
with, ``lucidnet.core.parameters.pack`` of ``[W[1], b[1], ..., W[L], b[L]]``; the
gradients pack into the same layout.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import scipy.optimize

from lucidnet.core.network import Network
from lucidnet.core.parameters import (
    gradients,
    pack,
    parameters,
    set_parameters,
    unpack,
    weight_mask,
)
from lucidnet.training.checks import check_int
from lucidnet.training.data import check_sample_weight
from lucidnet.training.faults import interrupts_deferred

__all__ = [
    "BlockSums",
    "block_loss_grad",
    "block_rows_for",
    "combine",
    "fit_lbfgs",
    "loss_grad",
    "minimize_lbfgs",
    "row_block_sums",
    "with_parameters",
]

Array = Any
# (Σ s_i L_i, Σ s_i ∂L_i/∂θ as a flat float64 vector, Σ s_i) of one row block.
BlockSums = tuple[float, np.ndarray, float]

# A block's forward and backward arrays stay around this size (tens of MB).
_BLOCK_BYTES = 32 * 2**20


def _set_theta(net: Network, theta: np.ndarray) -> None:
    """Put θ into ``net``: new arrays in net's dtype (never views of scipy's vector)."""
    parts = unpack(np.asarray(theta), parameters(net))
    set_parameters(net, [part.astype(net.dtype) for part in parts])


def with_parameters(template: Network, theta: np.ndarray) -> Network:
    """A shallow copy of ``template`` holding θ (the template itself is not changed).

    Workers share one template between tasks; each task gets its own W and b dicts.
    """
    net = copy.copy(template)
    net.W, net.b = dict(template.W), dict(template.b)
    _set_theta(net, theta)
    return net


def block_loss_grad(
    net: Network, X_block: Array, Y_block: Array, s_block: Array | None = None
) -> BlockSums:
    """Σ_i s_i L_i, Σ_i s_i ∂L_i/∂θ and Σ_i s_i over one row block (no penalty).

    Parameters
    ----------
    net : Network
    X_block : array of shape (B, n[0])
        One example per row; the network sees ``X_block.T``.
    Y_block : array of shape (B, n[L])
        Encoded targets, one row per example.
    s_block : array of shape (B,), optional
        Sample weights (all ones when None).

    Returns
    -------
    (loss_sum, grad_sum, weight_sum) : (float, ndarray of shape (n_parameters,), float)

    Notes
    -----
    The core gives the block's means J_k = Σ s_i L_i / w_k and dW[l] = Σ s_i ∂L_i/∂W[l] / w_k
    (``alpha = 0``); the sums are those times w_k = Σ s_i (w_k = B without weights).
    """
    B = X_block.shape[0]
    if s_block is None:
        w = float(B)
    else:
        w = float(np.sum(s_block))
        if w == 0:  # every row weighs 0: the block adds nothing
            return 0.0, np.zeros(net.n_parameters), 0.0
    if B == 0:
        return 0.0, np.zeros(net.n_parameters), 0.0
    Y = Y_block.reshape(B, -1) if Y_block.ndim == 1 else Y_block
    cache = net.forward(X_block.T)
    J = float(net.cost(cache, Y.T, 0.0, sample_weight=s_block))
    grads = net.backward(cache, Y.T, 0.0, sample_weight=s_block)
    return J * w, pack(gradients(grads), dtype=np.float64) * w, w


def block_rows_for(net: Network, target_bytes: int = _BLOCK_BYTES) -> int:
    """Rows per block so that a block's forward and backward arrays take ~target_bytes.

    Notes
    -----
    Per row: A[0], and Z[l], A[l], dZ[l] for l = 1..L → n[0] + 3 Σ_l n[l] numbers.
    """
    per_row = (net.n[0] + 3 * sum(net.n[1:])) * np.dtype(net.dtype).itemsize
    return max(1, target_bytes // per_row)


def row_block_sums(
    net: Network,
    X: Array,
    Y: Array,
    sample_weight: Array | None = None,
    block_rows: int | None = None,
) -> Iterator[BlockSums]:
    """:func:`block_loss_grad` over consecutive row blocks of at most ``block_rows`` rows.

    The blocks are views ``X[start:stop]``; nothing is copied.
    """
    n = X.shape[0]
    step = block_rows or block_rows_for(net)
    for start in range(0, n, step):
        stop = min(start + step, n)
        s = None if sample_weight is None else sample_weight[start:stop]
        yield block_loss_grad(net, X[start:stop], Y[start:stop], s)


def combine(
    parts: Iterable[BlockSums], net: Network, alpha: float = 0.0
) -> tuple[float, np.ndarray]:
    """J and ∂J/∂θ over all the blocks, with the L2 penalty, from the blocks' sums.

    Parameters
    ----------
    parts : iterable of (loss_sum, grad_sum, weight_sum)
        From :func:`block_loss_grad`, in any order (summed as they come).
    net : Network
        Holds the θ the parts were computed at (for the penalty).
    alpha : float
        L2 strength, as in ``Network.backward``.

    Returns
    -------
    J : float
    grad : ndarray of shape (n_parameters,)

    Notes
    -----
    J = Σ_k ℓ_k / Σw + (alpha / 2Σw) Σ_l ‖W[l]‖²
    ∂J/∂W[l] = Σ_k G_k / Σw + (alpha / Σw) W[l],   ∂J/∂b[l] = Σ_k G_k / Σw
    """
    loss = 0.0
    grad = np.zeros(net.n_parameters)
    weight = 0.0
    for loss_k, grad_k, weight_k in parts:
        loss += loss_k
        grad += grad_k
        weight += weight_k
    if not weight > 0:
        raise ValueError("The examples' total weight is 0: there is nothing to fit.")
    J = loss / weight
    grad /= weight
    if alpha:
        # the weights as a vector in θ's layout, 0 where θ holds a bias (not penalised)
        W = pack(
            [
                p if is_W else np.zeros_like(p)
                for p, is_W in zip(parameters(net), weight_mask(net), strict=True)
            ],
            dtype=np.float64,
        )
        J += alpha * float(W @ W) / (2 * weight)
        grad += (alpha / weight) * W
    return J, grad


def loss_grad(
    net: Network,
    X: Array,
    Y: Array,
    sample_weight: Array | None = None,
    alpha: float = 0.0,
    block_rows: int | None = None,
) -> tuple[float, np.ndarray]:
    """J(θ) and ∂J/∂θ over all the rows of (X, Y), one block of rows at a time."""
    return combine(row_block_sums(net, X, Y, sample_weight, block_rows), net, alpha)


def minimize_lbfgs(
    net: Network,
    objective: Callable[[Network], tuple[float, np.ndarray]],
    *,
    max_iter: int = 200,
    max_fun: int = 15000,
    tol: float = 1e-4,
    callback: Callable[[int, float], None] | None = None,
) -> scipy.optimize.OptimizeResult:
    """Minimise ``objective`` from net's parameters with scipy's L-BFGS-B; train net in place.

    Parameters
    ----------
    net : Network
        The start; it ends holding the result's parameters.
    objective : callable net -> (J, grad)
        J and ∂J/∂θ at the parameters ``net`` holds; ∂J/∂θ flat, in the layout of
        ``pack(parameters(net))`` (``lucidnet.core.parameters``).
    max_iter, max_fun, tol : as scikit-learn's ``max_iter``, ``max_fun`` and ``tol``
        scipy's ``maxiter``, ``maxfun`` and ``gtol``.
    callback : callable (iteration, J) -> None, optional
        Called after every iteration with the iteration's J, while ``net`` holds the
        iterate's parameters.

    Returns
    -------
    scipy.optimize.OptimizeResult
        With ``loss_curve`` (J after every iteration) and ``seconds`` (per iteration) added.
        After a Ctrl-C: the last accepted iterate (``net`` holds it), ``nit`` and
        ``loss_curve`` up to it, ``status`` −1 and ``interrupted`` True.

    Raises
    ------
    ValueError
        When J or the parameters become non-finite; the starting parameters are kept.
    Exception
        Any error of ``objective`` or ``callback``, raised again once ``net`` holds the
        last accepted iterate; its ``lbfgs_result`` attribute is the result up to there.
    """
    start = pack(parameters(net), dtype=np.float64)  # θ₀
    last: dict[str, Any] = {"J": math.nan, "nfev": 0}
    loss_curve: list[float] = []
    seconds: list[float] = []
    clock = [time.perf_counter()]
    accepted: list[Any] = [start, math.nan]  # θ and J of the last accepted iterate

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        _set_theta(net, theta)
        J, grad = objective(net)
        last["J"] = J
        last["nfev"] += 1
        if last["nfev"] == 1:
            accepted[1] = J  # J(θ₀)
        return J, grad

    def on_iteration(intermediate_result: Any) -> None:
        # scipy ≥ 1.11 passes an OptimizeResult; older ones the iterate only, which is the
        # last point L-BFGS-B evaluated (its line search ends on the accepted point).
        J = float(getattr(intermediate_result, "fun", last["J"]))
        theta = np.array(getattr(intermediate_result, "x", intermediate_result), copy=True)
        now = time.perf_counter()
        if callback is not None:
            _set_theta(net, theta)
            callback(len(loss_curve) + 1, J)
        with interrupts_deferred():  # the accepted iterate and its history: one step
            loss_curve.append(J)
            seconds.append(now - clock[0])
            clock[0] = now
            accepted[:] = [theta, J]

    try:
        with np.errstate(over="ignore", invalid="ignore"):
            result = scipy.optimize.minimize(
                fun,
                start,
                method="L-BFGS-B",
                jac=True,
                callback=on_iteration,
                options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
            )
    except BaseException as error:
        # A Ctrl-C or an error mid-run: back to the last accepted iterate (never a line
        # search's trial point), with the history of the iterations that led to it.
        _set_theta(net, accepted[0])
        stopped = scipy.optimize.OptimizeResult(
            x=accepted[0], fun=accepted[1], nit=len(loss_curve), nfev=last["nfev"],
            status=-1, success=False, message=f"stopped by {type(error).__name__}",
            loss_curve=loss_curve, seconds=seconds,
            interrupted=isinstance(error, KeyboardInterrupt),
        )  # fmt: skip
        if stopped.interrupted:
            return stopped
        error.lbfgs_result = stopped  # type: ignore[attr-defined]
        raise
    if not (np.all(np.isfinite(result.x)) and math.isfinite(result.fun)):
        _set_theta(net, start)
        raise ValueError(
            f"L-BFGS diverged: the cost became {result.fun} after {result.nit} iteration(s); "
            "the starting weights were kept. Scale the inputs (e.g. StandardScaler) or "
            "raise alpha."
        )
    _set_theta(net, result.x)
    result["loss_curve"] = loss_curve
    result["seconds"] = seconds
    return result


def fit_lbfgs(
    net: Network,
    X: Array,
    Y: Array,
    *,
    sample_weight: Array | None = None,
    alpha: float = 0.0,
    max_iter: int = 200,
    max_fun: int = 15000,
    tol: float = 1e-4,
    block_rows: int | None = None,
    callback: Callable[[int, float], None] | None = None,
) -> scipy.optimize.OptimizeResult:
    """Train ``net`` by full-batch L-BFGS on (X, Y), one row block in memory at a time.

    Parameters
    ----------
    net : Network
        Trained in place.
    X : array of shape (n_samples, n[0])
        One example per row.
    Y : array of shape (n_samples, n[L])
        Encoded targets (0/1, one-hot rows, or real values).
    sample_weight : array of shape (n_samples,), optional
    alpha : float, default=0.0
        L2 strength: J gains (alpha / 2Σs) Σ_l ‖W[l]‖².
    max_iter, max_fun, tol, callback :
        See :func:`minimize_lbfgs`.
    block_rows : int, optional
        Rows per block; by default a block's activations take about 32 MB.

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x`` (θ), ``fun`` (the final J), ``nit``, ``nfev``, ``status``, ``message``,
        ``loss_curve``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2)); Y = (X[:, :1] > 0) * 1.0
    >>> net = Network([2, 1], seed=0)
    >>> result = fit_lbfgs(net, X, Y, alpha=1e-3, block_rows=30)
    >>> J = net.cost(net.forward(X.T), Y.T, 1e-3)
    >>> bool(result.fun < 0.1), bool(abs(result.fun - J) < 1e-12)
    (True, True)
    """
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but Y has {Y.shape[0]}; they must match.")
    if block_rows is not None:
        check_int("fit_lbfgs", "block_rows", block_rows, low=1)
    if sample_weight is not None:  # checked once here: the core does not read the values
        sample_weight = check_sample_weight(sample_weight, X.shape[0])

    def objective(candidate: Network) -> tuple[float, np.ndarray]:
        return loss_grad(candidate, X, Y, sample_weight, alpha, block_rows)

    return minimize_lbfgs(
        net, objective, max_iter=max_iter, max_fun=max_fun, tol=tol, callback=callback
    )
