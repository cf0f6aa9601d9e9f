"""The validation side of ``Trainer.fit``: which rows are held out, and what each epoch
measures on them.

Either ``validation_fraction`` holds out a seeded (optionally stratified) share of the
rows by index, or ``validation_data`` comes in separately and follows X into its
namespace and device. After every epoch :func:`evaluate` logs ``val_loss`` (the mean
loss, without the L2 penalty) and one ``val_<name>`` per metric.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lucidnet.core.arrays import device_of, move_to, namespace
from lucidnet.core.network import Cache, Network
from lucidnet.training.checks import check_float
from lucidnet.training.data import as_rows, check_sample_weight, on_device, validation_split

__all__ = ["Metric", "Validation", "check_metrics", "evaluate", "held_out"]

Array = Any
Metric = Callable[[Array, Array], float]
# (X_val, Y_val, s_val): rows as in fit, s_val None when unweighted.
Validation = tuple[Array, Array, Array | None]


def held_out(
    X: Array,
    Y: Array,
    sw: np.ndarray | None,
    validation_data: tuple[Array, ...] | None,
    validation_fraction: float | None,
    stratify: Array | None,
    *,
    seed: int,
) -> tuple[np.ndarray | None, Validation | None]:
    """The training rows and the validation data of one ``fit`` call.

    Parameters
    ----------
    X, Y : arrays of shape (n_samples, n[0]) and (n_samples, n[L])
        Checked rows, in the namespace and on the device training runs in.
    sw : array of shape (n_samples,), (K, n_samples) or None
        Sample weights (NumPy); the held-out rows keep theirs.
    validation_data, validation_fraction, stratify
        As ``Trainer.fit`` takes them; at most one of the first two.
    seed : int
        Seeds the split, so that every ``fit`` of a trainer holds out the same rows.

    Returns
    -------
    train_idx : int array or None
        The training rows (None: all of them).
    val : (X_val, Y_val, s_val) or None
    """
    if validation_data is not None and validation_fraction is not None:
        raise ValueError("Pass validation_data or validation_fraction to fit, not both.")
    xp, device = namespace(X), device_of(X)
    if validation_fraction is not None:
        fraction = check_float(
            "Trainer.fit", "validation_fraction", validation_fraction, 0, 1, closed="neither"
        )
        rng = np.random.default_rng(seed)
        train_idx, val_idx = validation_split(X.shape[0], fraction, rng, stratify)
        take = val_idx if xp is np else xp.asarray(val_idx, device=device)
        X_val, Y_val = xp.take(X, take, axis=0), xp.take(Y, take, axis=0)
        s_val = None if sw is None else on_device(sw[..., val_idx], xp, device)
        return train_idx, (X_val, Y_val, s_val)
    if validation_data is None:
        return None, None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be (X_val, Y_val) or (X_val, Y_val, sample_weight_val)."
        )
    n0, nL = X.shape[1], Y.shape[1]  # the validation data follow X
    X_val = as_rows("X_val", move_to(validation_data[0], xp, device), n0, xp)
    Y_val = as_rows("Y_val", move_to(validation_data[1], xp, device), nL, xp, n_rows=X_val.shape[0])
    s_val = None
    if len(validation_data) == 3 and validation_data[2] is not None:
        s_val = check_sample_weight(validation_data[2], X_val.shape[0], "sample_weight_val")
        s_val = on_device(s_val, xp, device)
    return None, (X_val, Y_val, s_val)


def check_metrics(metrics: dict[str, Metric] | None, val: Validation | None) -> dict[str, Metric]:
    """The metrics as a dict of callables; refused without validation data to compute them on."""
    metrics = dict(metrics or {})
    for name, fn in metrics.items():
        if not callable(fn):
            raise TypeError(f"metrics[{name!r}] must be a function fn(Y_true, A_out) -> float.")
    if metrics and val is None:
        raise ValueError(
            "metrics are computed on validation data; pass validation_data=(X_val, Y_val) "
            "or validation_fraction=0.1 to fit."
        )
    return metrics


def evaluate(net: Network, val: Validation, metrics: dict[str, Metric]) -> dict[str, float]:
    """val_loss (the mean loss, no L2 penalty) and val_<metric> on the validation rows.

    Notes
    -----
    val_loss = Σ_i s_i L(a[L](i), y(i)) / Σ_i s_i    (s_i = 1 without weights)
    an ensemble's is the mean over its K members, (1/K) Σ_k val_loss_k
    val_<name> = name(Y_val, A[L].T)

    The forward pass is :meth:`~lucidnet.core.network.Network.predict_logits`: only the
    output layer's Z[L] and A[L] exist for all the rows at once, never every layer's.
    """
    X_val, Y_val, s_val = val
    Z_out = net.predict_logits(X_val.T)  # no cache of the hidden layers for all the rows
    cache = Cache(Z={net.L: Z_out}, A={net.L: net.g[net.L](Z_out)})
    logs = {"val_loss": float(net.cost(cache, Y_val.T, 0.0, sample_weight=s_val)) / net.K}
    if metrics:
        A_rows = cache.A[net.L].T
        for name, fn in metrics.items():
            logs[f"val_{name}"] = float(fn(Y_val, A_rows))
    return logs
