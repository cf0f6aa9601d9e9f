"""Full-batch L-BFGS over row blocks held on the workers (the math: training/lbfgs.py).

The client sends θ; each worker returns its blocks' three sums (Σ s_i L_i, Σ s_i ∂L_i/∂θ,
Σ s_i), added up on the workers in a fixed order; ``combine`` makes J and ∂J/∂θ of them.
A fit that fails leaves the estimator as it was before the call.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import numpy as np
from sklearn.base import is_classifier

from lucidnet.core.network import Network
from lucidnet.core.parameters import pack, parameters
from lucidnet.dask.cluster import FAN_IN, gather, get_client, is_dask, is_frame
from lucidnet.estimators.lbfgs import LBFGS
from lucidnet.estimators.solvers import register_solver
from lucidnet.training.lbfgs import BlockSums, combine, row_block_sums, with_parameters

__all__ = [
    "CLUSTER_LBFGS",
    "ClusterLBFGS",
    "ClusterObjective",
    "as_rows",
    "block_rows",
    "check_block",
    "fit_lbfgs",
]


# ---------------------------------------------------------------------------- on the workers


def check_block(X: np.ndarray, Y: np.ndarray, s: np.ndarray | None) -> tuple[Any, ...]:
    """One row block as the tuple a worker keeps: (X, Y, s), checked."""
    if not np.all(np.isfinite(X)):
        raise ValueError(
            "X contains NaN or infinite values; impute them before training "
            "(e.g. dask_ml.impute.SimpleImputer)."
        )
    if s is not None and (not np.all(np.isfinite(s)) or np.any(s < 0)):
        raise ValueError("sample_weight must hold finite, non-negative weights.")
    return (X, Y if Y.ndim == 2 else Y.reshape(-1, 1), s)


def block_rows(block: tuple[Any, ...]) -> tuple[int, float]:
    X, _, s = block
    return X.shape[0], float(X.shape[0] if s is None else np.sum(s))


def _block_sums(template: Network, theta: np.ndarray, block: tuple[Any, ...]) -> BlockSums:
    """A block's three sums, over sub-blocks of ~32 MB of activations (bounded memory)."""
    X, Y, s = block
    net = with_parameters(template, theta)
    nothing: BlockSums = (0.0, np.zeros(net.n_parameters), 0.0)
    return _sum_parts(nothing, *row_block_sums(net, X, Y, s))


def _hold(value: Any) -> Any:
    """A task whose result is its argument (recomputable, unlike scattered data)."""
    return value


def _sum_parts(*parts: BlockSums) -> BlockSums:
    loss, grad, weight = parts[0][0], parts[0][1].copy(), parts[0][2]
    for part in parts[1:]:
        loss += part[0]
        grad += part[1]
        weight += part[2]
    return loss, grad, weight


# ---------------------------------------------------------------------------- the objective


class ClusterObjective:
    """J(θ) and ∂J/∂θ over row blocks held on the workers, for ``minimize_lbfgs``.

    Parameters
    ----------
    client : distributed.Client
    blocks : list of Future
        Each holds one row block's (X, Y, s) on a worker.
    template : Network
        The architecture; sent to the cluster once.
    alpha : float
        L2 strength.
    """

    def __init__(self, client: Any, blocks: list[Any], template: Network, alpha: float) -> None:
        self.client = client
        self.blocks = blocks
        self.alpha = alpha
        self.template = client.submit(_hold, template, pure=False)

    def __call__(self, net: Network) -> tuple[float, np.ndarray]:
        # θ goes to the cluster as a task's result rather than scattered data: workers
        # fetch it from each other, and a lost copy is recomputed like any other task.
        client = self.client
        theta = client.submit(_hold, pack(parameters(net), dtype=np.float64), pure=False)
        parts = [
            client.submit(_block_sums, self.template, theta, block, pure=False)
            for block in self.blocks
        ]
        while len(parts) > FAN_IN:  # add up on the workers, in a fixed order
            parts = [
                client.submit(_sum_parts, *parts[i : i + FAN_IN], pure=False)
                for i in range(0, len(parts), FAN_IN)
            ]
        return combine(gather(client, parts), net, self.alpha)


# ---------------------------------------------------------------------------- the solver


class ClusterLBFGS(LBFGS):
    """L-BFGS over row blocks on a Dask cluster: the estimators' L-BFGS solver, with its
    refusals and fitted attributes, and the objective computed on the workers.

    Refuses, besides L-BFGS's own refusals of minibatch options, a ``solver`` other
    than "lbfgs" and ``class_weight`` (per-row weights go in ``sample_weight``).
    """

    name = "dask-lbfgs"

    def refuse(self, est: Any, *, xp: Any = np, resume_from: Any = None) -> None:
        if est.solver != "lbfgs":
            raise ValueError(
                f"lucidnet.dask.fit_lbfgs trains full-batch L-BFGS; the estimator has "
                f"solver={est.solver!r}. Set solver='lbfgs', or train by minibatches with "
                "dask_ml.wrappers.Incremental(estimator).fit(X, y, classes=...)."
            )
        self.refuse_stochastic_only(est)
        if getattr(est, "class_weight", None) is not None:
            raise ValueError(
                "lucidnet.dask does not apply class_weight; pass the per-row weights as "
                "sample_weight instead."
            )

    def fit_blocks(
        self,
        client: Any,
        est: Any,
        blocks: list[Any],
        n_samples: int,
        callback: Callable[[int, float], None] | None,
    ) -> None:
        """Run L-BFGS on the blocks; on any failure leave ``est`` unfitted, then re-raise."""
        try:
            objective = ClusterObjective(client, blocks, est.network_, float(est.alpha))
            self.run(est, objective, n_samples=n_samples, callback=callback)
        finally:
            with suppress(Exception):
                client.cancel(blocks)


CLUSTER_LBFGS = register_solver(ClusterLBFGS.name, ClusterLBFGS())


# ---------------------------------------------------------------------------- fitting


def as_rows(X: Any, name: str) -> Any:
    """A 2-D Dask array chunked by rows only (a note when it had to be rechunked)."""
    import dask.array as da

    if is_frame(X):
        bad = [str(c) for c, t in X.dtypes.items() if not _numeric_dtype(t)]
        if bad:
            raise TypeError(
                f"{name} has non-numeric column(s) {bad}; encode them first (e.g. dask_ml's "
                "Categorizer + DummyEncoder), or train on the table with "
                "'lucidnet train DATA --dask ADDRESS', which preprocesses it."
            )
        X = X.to_dask_array(lengths=True)
    if not isinstance(X, da.Array):
        X = da.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got {X.ndim}-D.")
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.numblocks[1] > 1:
        warnings.warn(
            f"{name} is chunked along its columns ({X.numblocks[1]} column chunks); each "
            "block must hold whole rows, so it was rechunked with X.rechunk({1: -1}), which "
            "moves data between workers. Chunk by rows only to avoid this.",
            UserWarning,
            stacklevel=4,
        )
        X = X.rechunk({1: -1})
    return X


def _numeric_dtype(dtype: Any) -> bool:
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        return False
    return kind in "fiu"


def _as_column(v: Any, rows: tuple[int, ...], name: str) -> Any:
    """y or sample_weight as a Dask array with X's row chunks."""
    import dask.array as da

    if is_dask(v) and hasattr(v, "to_dask_array"):
        v = v.to_dask_array(lengths=True)
    elif not isinstance(v, da.Array):
        v = da.asarray(np.asarray(v))
    if v.shape[0] != sum(rows):
        raise ValueError(f"{name} has {v.shape[0]} rows but X has {sum(rows)}; they must match.")
    if v.chunks[0] != rows:
        v = v.rechunk({0: rows, **({1: -1} if v.ndim == 2 else {})})
    return v


def fit_lbfgs(
    estimator: Any,
    X: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    client: Any = None,
    callback: Callable[[int, float], None] | None = None,
) -> Any:
    """Fit a lucidnet estimator by full-batch L-BFGS over a Dask array or DataFrame.

    Parameters
    ----------
    estimator : lucidnet.MLPClassifier or lucidnet.MLPRegressor
        With ``solver="lbfgs"``; fitted in place (its ``max_iter``, ``max_fun``, ``tol``,
        ``alpha``, ``random_state``, ``warm_start`` and ``dtype`` apply).
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n_samples, n_features)
        Numeric. Row blocks stay on the workers; a column-chunked array is rechunked to
        whole rows (with a UserWarning).
    y : dask array / Series (or array-like) of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : dask array / Series (or array-like) of shape (n_samples,), optional
    client : distributed.Client, optional
        Default: the current client.
    callback : callable (iteration, J) -> None, optional
        Called on the client after every L-BFGS iteration.

    Returns
    -------
    estimator

    Raises
    ------
    RuntimeError
        When the cluster loses the computation beyond Dask's retries; the estimator is
        then left unfitted (never a model from a partial sum).
    """
    client = get_client(client)
    est = estimator
    est._validate_params()
    CLUSTER_LBFGS.refuse(est)
    names = [str(c) for c in X.columns] if is_frame(X) else None
    X = as_rows(X, "X")
    rows = X.chunks[0]
    y = _as_column(y, rows, "y")
    s = None if sample_weight is None else _as_column(sample_weight, rows, "sample_weight")
    dtype = np.dtype(est.dtype) if est.dtype else np.dtype(X.dtype)
    dtype = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)
    X = X.astype(dtype)
    fitted = _fitted_state(est)
    try:
        blocks, n_samples = _prepare(client, est, X, y, s, dtype)
        _set_features(est, X.shape[1], names)
        CLUSTER_LBFGS.fit_blocks(client, est, blocks, n_samples, callback)
    except BaseException:
        _restore(est, fitted)  # a failed fit leaves the estimator as it was
        raise
    return est


def _encode(y: np.ndarray, est: Any, dtype: Any) -> np.ndarray:
    return est.encode_targets(y).astype(dtype)


def _prepare(client: Any, est: Any, X: Any, y: Any, s: Any, dtype: Any) -> tuple[list[Any], int]:
    """Set up the network and compute the row blocks on the workers: (blocks, n)."""
    rows, n_features = X.chunks[0], X.shape[1]
    warm = hasattr(est, "network_") and est.warm_start
    if is_classifier(est):
        if y.ndim != 1:
            raise ValueError("lucidnet.dask classifies 1-D targets (multilabel is not supported).")
        targets = np.unique(client.compute(_unique(y)).result())
        if warm and not np.array_equal(targets, est.classes_):
            raise ValueError(
                f"warm_start needs the same classes as before: {list(est.classes_)} then, "
                f"{list(targets)} now. Set warm_start=False to start afresh."
            )
    else:
        targets = np.zeros((1,) if y.ndim == 1 else (1, y.shape[1]))
    if not warm:
        est.prepare_fit(n_features, targets, dtype=dtype)
    n_out = est.network_.n[-1]
    if est.network_.n[0] != n_features:
        raise ValueError(
            f"warm_start needs data of the same shape as before: the network has "
            f"{est.network_.n[0]} inputs, the data {n_features}."
        )
    if is_classifier(est):
        Y = y.map_blocks(_encode, est, dtype, new_axis=1, chunks=(rows, (n_out,)), dtype=dtype)
    else:
        Y = (y[:, None] if y.ndim == 1 else y).astype(dtype)
    blocks = _persist_blocks(client, X, Y, s)
    n_samples = sum(r for r, _ in gather(client, [client.submit(block_rows, b) for b in blocks]))
    return blocks, n_samples


def _fitted_state(est: Any) -> dict[str, Any]:
    """The fitted attributes (a copy of the network: L-BFGS may continue from it)."""
    state = {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("__")}
    if "network_" in state:
        state["network_"] = state["network_"].copy()
    return state


def _restore(est: Any, state: dict[str, Any]) -> None:
    """Put back the fitted attributes of :func:`_fitted_state`; drop any others."""
    for key in [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]:
        delattr(est, key)
    for key, value in state.items():
        setattr(est, key, value)


def _unique(y: Any) -> Any:
    import dask.array as da

    return da.unique(y)


def _persist_blocks(client: Any, X: Any, Y: Any, s: Any) -> list[Any]:
    """One future per row block, holding (X, Y, s) on a worker."""
    import dask

    Xd, Yd = X.to_delayed().ravel(), Y.to_delayed().ravel()
    sd = [None] * len(Xd) if s is None else s.to_delayed().ravel()
    tasks = [
        dask.delayed(check_block, pure=True)(x, y, w) for x, y, w in zip(Xd, Yd, sd, strict=True)
    ]
    return list(client.compute(tasks))


def _set_features(est: Any, n_features: int, names: list[str] | None) -> None:
    est.n_features_in_ = n_features
    if names is not None:
        est.feature_names_in_ = np.asarray(names, dtype=object)
    else:
        with suppress(AttributeError):
            delattr(est, "feature_names_in_")
