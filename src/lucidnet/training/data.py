"""The data side of training: checking inputs, weighting rows, holding out validation rows.

Everything here works on row indices; no function copies X. The data may be NumPy or any
Array-API array; the network's parameters must already live where X does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucidnet.core.arrays import device_of, namespace, plain, to_numpy

__all__ = [
    "as_rows",
    "check_same_place",
    "check_sample_weight",
    "class_weights",
    "on_device",
    "row_classes",
    "validation_split",
    "with_class_weights",
]

Array = Any


def as_rows(name: str, A: Array, n_cols: int, xp: Any, n_rows: int | None = None) -> Array:
    """``A`` as a 2-D array of shape (n_rows, n_cols), one example per row.

    A 1-D array is accepted when ``n_cols == 1`` and becomes one column. An ndarray
    subclass (``numpy.memmap``) becomes a plain view of the same memory, never a copy, and
    its finiteness is checked block by block, so a file larger than memory stays on disk.

    Raises
    ------
    ValueError
        For another shape, non-finite values, or a row count other than ``n_rows``.
    """
    A = plain(A)
    shape = tuple(getattr(A, "shape", ()))
    if len(shape) == 1 and n_cols == 1:
        A = xp.reshape(A, (shape[0], 1))
        shape = (shape[0], 1)
    if len(shape) != 2 or shape[1] != n_cols:
        raise ValueError(
            f"{name} must have shape (n_samples, {n_cols}), one example per row; got shape "
            f"{shape}. Targets must already be encoded (0/1, one-hot, or real values)."
        )
    if n_rows is not None and shape[0] != n_rows:
        raise ValueError(f"{name} has {shape[0]} rows but X has {n_rows}; they must match.")
    if not _all_finite(A, xp):
        raise ValueError(
            f"{name} contains NaN or infinite values; remove or impute them before training "
            "(e.g. sklearn.impute.SimpleImputer)."
        )
    return A


def _all_finite(A: Array, xp: Any, block: int = 65_536) -> bool:
    """Whether every entry of A is finite; NumPy rows a block at a time (bounded memory)."""
    if xp is not np:
        return bool(xp.all(xp.isfinite(A)))
    return all(bool(np.isfinite(A[i : i + block]).all()) for i in range(0, A.shape[0], block))


def check_same_place(W: Array, X: Array) -> None:
    """The network's parameters (``W = net.W[1]``) must live where X does.

    The trainer never moves them: moving is the user's one explicit ``net.to(xp, device)``.

    Raises
    ------
    TypeError
        Naming both places and the call that moves the network.
    """
    xp, device = namespace(X), device_of(X)
    if namespace(W) is xp and (xp is np or device_of(W) == device):
        return
    where = f"{type(X).__module__}.{type(X).__name__} on {device}"
    raise TypeError(
        f"X is a {where}, but the network's parameters are "
        f"{type(W).__module__}.{type(W).__name__} on {device_of(W)}. Move the network to "
        "the data first: Trainer(net.to(xp, device), ...) with xp and device those of X "
        "(array_api_compat.array_namespace(X), array_api_compat.device(X))."
    )


def on_device(weights: np.ndarray, xp: Any, device: Any) -> Array:
    """Sample weights (NumPy) in the data's namespace ``xp``, on its device."""
    return weights if xp is np else xp.asarray(weights, device=device)


def check_sample_weight(
    sample_weight: Array, n_rows: int, name: str = "sample_weight", members: int = 1
) -> np.ndarray:
    """``sample_weight`` as a float64 NumPy array: finite, ≥ 0, Σ > 0.

    Shape (n_rows,), or (members, n_rows) for an ensemble's per-member weights (each
    member's row with Σ > 0).
    """
    s = np.asarray(to_numpy(sample_weight), dtype=np.float64)
    if s.shape != (n_rows,) and not (members > 1 and s.shape == (members, n_rows)):
        per_member = f" or (K, n_samples) = ({members}, {n_rows})" if members > 1 else ""
        raise ValueError(
            f"{name} must have shape (n_samples,) = ({n_rows},){per_member}; got {s.shape}."
        )
    if not np.all(np.isfinite(s)) or np.any(s < 0) or not np.all(s.sum(axis=-1) > 0):
        raise ValueError(
            f"{name} must hold finite, non-negative weights with a positive sum; got "
            f"min {s.min():g}, max {s.max():g}, sum {s.sum():g}."
        )
    return s


def row_classes(Y: Array) -> np.ndarray:
    """The class index of every row of Y (n_samples, n[L]), as int64.

    Notes
    -----
    n[L] > 1 (softmax, one-hot rows): class = argmax of the row.
    n[L] = 1 (sigmoid): class = the row's 0/1 value.

    Raises
    ------
    ValueError
        When a single column holds values other than 0 and 1.
    """
    Y = to_numpy(Y)
    if Y.shape[1] > 1:
        return np.argmax(Y, axis=1).astype(np.int64)
    column = Y[:, 0]
    if not np.all((column == 0) | (column == 1)):
        raise ValueError(
            "class_weight needs class labels, but the single target column holds values other "
            "than 0 and 1 (a regression target?). Use sample_weight for real-valued targets."
        )
    return column.astype(np.int64)


def class_weights(
    class_weight: dict[int, float] | str, classes: np.ndarray, n_classes: int
) -> np.ndarray:
    """One weight per row from its class.

    Parameters
    ----------
    class_weight : dict {class_index: weight} or "balanced"
        Classes missing from the dict weigh 1.
    classes : array of shape (n_rows,)
        The class index of every (training) row, from :func:`row_classes`.
    n_classes : int
        How many classes the output can express (2 for one sigmoid unit, else n[L]).

    Notes
    -----
    "balanced", as scikit-learn: w_c = n_rows / (n_present_classes · count_c).
    """
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                "class_weight must be a dict {class_index: weight} or 'balanced'; "
                f"got {class_weight!r}."
            )
        counts = np.bincount(classes, minlength=n_classes).astype(np.float64)
        present = counts > 0
        per_class = np.ones(n_classes)
        per_class[present] = len(classes) / (present.sum() * counts[present])
    elif isinstance(class_weight, dict):
        per_class = np.ones(n_classes)
        for c, w in class_weight.items():
            if not (isinstance(c, (int, np.integer)) and 0 <= c < n_classes):
                raise ValueError(
                    f"class_weight keys must be class indices 0..{n_classes - 1}; got {c!r}."
                )
            if not (np.isfinite(w) and w >= 0):
                raise ValueError(f"class_weight[{c}] must be a finite weight ≥ 0; got {w!r}.")
            per_class[c] = float(w)
    else:
        raise TypeError(
            "class_weight must be a dict {class_index: weight} or 'balanced'; "
            f"got {type(class_weight).__name__}."
        )
    return per_class[classes]


def with_class_weights(
    sw: np.ndarray | None,
    class_weight: dict[int, float] | str,
    Y: Array,
    train_idx: np.ndarray | None,
) -> np.ndarray:
    """The sample weights times each training row's class weight (validation rows: × 1).

    Parameters
    ----------
    sw : array of shape (n_rows,), (K, n_rows) or None
        The sample weights (None: all ones).
    class_weight : dict {class_index: weight} or "balanced"
        See :func:`class_weights`; "balanced" counts the training rows only.
    Y : array of shape (n_rows, n[L])
        Encoded targets; a row's class is its argmax (n[L] > 1) or its 0/1 value.
    train_idx : int array or None
        The training rows (None: every row).
    """
    rows = to_numpy(Y) if train_idx is None else to_numpy(Y)[train_idx]
    n_out = Y.shape[1]
    per_row = class_weights(class_weight, row_classes(rows), n_out if n_out > 1 else 2)
    s_train = np.ones(Y.shape[0])
    s_train[slice(None) if train_idx is None else train_idx] = per_row
    return s_train if sw is None else sw * s_train


def validation_split(
    n_rows: int, fraction: float, rng: np.random.Generator, stratify: Array | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Hold out a seeded random ``fraction`` of the rows, class by class when stratified.

    Parameters
    ----------
    n_rows : int
    fraction : float in (0, 1)
    rng : numpy.random.Generator
    stratify : array of shape (n_rows,), optional
        Labels; each label keeps round(fraction · count) of its rows for validation.

    Returns
    -------
    train_idx, val_idx : int arrays, sorted, disjoint, together 0..n_rows−1

    Raises
    ------
    ValueError
        When either part would be empty.
    """
    if stratify is None:
        order = rng.permutation(n_rows)
        n_val = round(fraction * n_rows)
        val = order[:n_val]
    else:
        labels = to_numpy(stratify)
        if labels.shape[:1] != (n_rows,):
            raise ValueError(
                f"stratify must have one label per row, shape ({n_rows},); got {labels.shape}."
            )
        _, inverse = np.unique(labels, return_inverse=True, axis=0 if labels.ndim > 1 else None)
        inverse = inverse.reshape(-1)
        parts = []
        for c in range(int(inverse.max()) + 1):
            members = rng.permutation(np.flatnonzero(inverse == c))
            parts.append(members[: round(fraction * len(members))])
        val = np.concatenate(parts)
        if len(val) in (0, n_rows):  # the cause is the rounding of each class's share
            k, most = len(parts), int(np.bincount(inverse).max())
            empty = len(val) == 0
            raise ValueError(
                f"validation_fraction={fraction}, stratified by class, holds out "
                f"round({fraction} × count) rows of each class; with {k} classes of at most "
                f"{most} rows (round({fraction} × {most}) = {0 if empty else most}) that "
                + (
                    f"is no row at all. Use validation_fraction above {0.5 / most:.3g}"
                    if empty
                    else f"leaves no training row. Use validation_fraction below "
                    f"{1 - 0.5 / most:.3g}"
                )
                + ", merge the rare classes, or pass validation rows of your own."
            )
    if len(val) == 0 or len(val) == n_rows:
        raise ValueError(
            f"validation_fraction={fraction} of {n_rows} rows leaves an empty training or "
            "validation set; use more data or another fraction."
        )
    is_val = np.zeros(n_rows, dtype=bool)
    is_val[val] = True
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)
