"""Training across a Dask cluster: full-batch L-BFGS whose data never leaves the workers.

Each L-BFGS step needs J(θ) and ∂J/∂θ over all the examples. The examples are row
blocks held on the workers; the client sends θ, every worker runs the lecture's
forward and backward on its blocks and returns three sums, and the client adds them up
(the way Spark MLlib trains its perceptron)::

    θ ──▶ worker holding block k: (ℓ_k, G_k, w_k) = block_loss_grad(net(θ), X_k, Y_k, s_k)
    client: J, ∂J/∂θ = combine([(ℓ_k, G_k, w_k) for every block k])  (summed on the workers)

``lucidnet.training.lbfgs`` holds the math; here is only the plumbing. With the same
seed the result equals single-machine ``solver="lbfgs"`` (up to floating-point
summation order). Needs the ``dask`` extra: ``pip install "lucidnet[dask]"``.

Also usable with lucidnet's ordinary estimators:

- minibatch training over a Dask collection: ``dask_ml.wrappers.Incremental(
  lucidnet.MLPClassifier(...)).fit(X, y, classes=[...])`` calls ``partial_fit`` block by
  block;
- hyperparameter search on the cluster: ``GridSearchCV(lucidnet.MLPClassifier(), ...)``
  inside ``joblib.parallel_backend("dask")``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lucidnet import estimators
from lucidnet.core.network import Network
from lucidnet.estimators._lbfgs import refuse_stochastic_only, run_lbfgs
from lucidnet.streaming import StreamMetrics, TableStats, read_chunks, validation_mask
from lucidnet.tabular import TableError, TablePreprocessor, TabularModel, _is_numeric
from lucidnet.training.lbfgs import BlockSums, combine, pack, row_block_sums, with_parameters

__all__ = [
    "ClusterObjective",
    "MLPClassifier",
    "MLPRegressor",
    "connect",
    "fit_lbfgs",
    "predict",
    "read_dask_table",
    "train_table",
]

INSTALL_HINT = 'lucidnet.dask needs Dask: pip install "lucidnet[dask]"'
_FAN_IN = 8  # block sums added per reduction task on the workers


def _require_distributed() -> Any:
    try:
        import dask.array  # noqa: F401
        import distributed
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc}).") from exc
    return distributed


def _client(client: Any) -> Any:
    distributed = _require_distributed()
    if client is not None:
        return client
    try:
        return distributed.get_client()
    except ValueError:
        raise ValueError(
            "lucidnet.dask trains on a Dask cluster and found no distributed Client: start "
            "one first, e.g. Client(LocalCluster()) or Client('tcp://scheduler:8786')."
        ) from None


def _is_dask(X: Any) -> bool:
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr")


def _is_frame(X: Any) -> bool:
    return _is_dask(X) and hasattr(X, "columns")


# ---------------------------------------------------------------------------- on the workers


def _check_block(X: np.ndarray, Y: np.ndarray, s: np.ndarray | None) -> tuple[Any, ...]:
    """One row block as the tuple a worker keeps: (X, Y, s), checked."""
    if not np.all(np.isfinite(X)):
        raise ValueError(
            "X contains NaN or infinite values; impute them before training "
            "(e.g. dask_ml.impute.SimpleImputer)."
        )
    if s is not None and (not np.all(np.isfinite(s)) or np.any(s < 0)):
        raise ValueError("sample_weight must hold finite, non-negative weights.")
    return (X, Y if Y.ndim == 2 else Y.reshape(-1, 1), s)


def _block_rows(block: tuple[Any, ...]) -> tuple[int, float]:
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


def _encode_labels(y: np.ndarray, binarizer: Any, dtype: Any) -> np.ndarray:
    return binarizer.transform(y).astype(dtype)


def _call_block(X: np.ndarray, est: Any, method: str) -> np.ndarray:
    # The plain lucidnet class's method (the Dask subclasses would dispatch back here).
    # Blocks carry no column names; predict() compared the names once, on the client.
    base = estimators.MLPClassifier if est._is_classifier else estimators.MLPRegressor
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return getattr(base, method)(est, X)


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
        theta = client.submit(_hold, pack(net), pure=False)
        parts = [
            client.submit(_block_sums, self.template, theta, block, pure=False)
            for block in self.blocks
        ]
        while len(parts) > _FAN_IN:  # add up on the workers, in a fixed order
            parts = [
                client.submit(_sum_parts, *parts[i : i + _FAN_IN], pure=False)
                for i in range(0, len(parts), _FAN_IN)
            ]
        return combine(_gather(client, parts), net, self.alpha)


def _gather(client: Any, futures: list[Any]) -> list[Any]:
    """client.gather, turning a lost cluster into a clear error (never a partial sum)."""
    distributed = _require_distributed()
    try:
        return list(client.gather(futures))
    except distributed.KilledWorker as exc:
        raise RuntimeError(
            f"Training stopped: Dask workers died while computing the cost ({exc}). Dask "
            "retries a block on another worker, but this one failed too often. No model "
            "was fitted; check the workers' memory and logs, then fit again."
        ) from exc
    except (distributed.client.FutureCancelledError, OSError, TimeoutError) as exc:
        raise RuntimeError(
            f"Training stopped: the Dask cluster lost a result ({type(exc).__name__}: {exc}). "
            "No model was fitted; check that the scheduler and workers are running."
        ) from exc


# ---------------------------------------------------------------------------- fitting


def _as_rows(X: Any, name: str) -> Any:
    """A 2-D Dask array chunked by rows only (a note when it had to be rechunked)."""
    import dask.array as da

    if _is_frame(X):
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

    if _is_dask(v) and hasattr(v, "to_dask_array"):
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
    client = _client(client)
    est = estimator
    est._validate_params()
    if est.solver != "lbfgs":
        raise ValueError(
            f"lucidnet.dask.fit_lbfgs trains full-batch L-BFGS; the estimator has "
            f"solver={est.solver!r}. Set solver='lbfgs', or train by minibatches with "
            "dask_ml.wrappers.Incremental(estimator).fit(X, y, classes=...)."
        )
    refuse_stochastic_only(est)
    if getattr(est, "class_weight", None) is not None:
        raise ValueError(
            "lucidnet.dask does not apply class_weight; pass the per-row weights as "
            "sample_weight instead."
        )
    names = [str(c) for c in X.columns] if _is_frame(X) else None
    X = _as_rows(X, "X")
    rows = X.chunks[0]
    y = _as_column(y, rows, "y")
    s = None if sample_weight is None else _as_column(sample_weight, rows, "sample_weight")
    dtype = est._dtype_for(X)
    X = X.astype(dtype)
    first = "network_" not in est.__dict__ or not est.warm_start
    try:
        blocks, n_samples, n_out = _prepare(client, est, X, y, s, dtype, first)
    except BaseException:
        _unfit(est)
        raise
    n_features = X.shape[1]
    if first:
        from sklearn.utils import check_random_state

        seed = int(check_random_state(est.random_state).randint(np.iinfo(np.int32).max))
        est.network_ = est._build_network(n_features, n_out, dtype, seed)
    elif est.network_.n[0] != n_features or est.network_.n[-1] != n_out:
        raise ValueError(
            f"warm_start needs data of the same shape as before: the network has "
            f"{est.network_.n[0]} inputs and {est.network_.n[-1]} outputs, the data "
            f"{n_features} and {n_out}."
        )
    _set_features(est, n_features, names)
    _train(client, est, blocks, n_samples, callback)
    return est


def _prepare(
    client: Any, est: Any, X: Any, y: Any, s: Any, dtype: Any, first: bool
) -> tuple[list[Any], int, int]:
    """Encode the targets and compute the row blocks on the workers: (blocks, n, n[L])."""
    rows = X.chunks[0]
    if est._is_classifier:
        if y.ndim != 1:
            raise ValueError("lucidnet.dask classifies 1-D targets (multilabel is not supported).")
        classes = np.unique(client.compute(_unique(y)).result())
        if first or not np.array_equal(classes, est.__dict__.get("classes_", [])):
            est._encode_targets(classes, first=True, classes=classes)
        n_out = 1 if len(est.classes_) == 2 else len(est.classes_)
        Y = y.map_blocks(
            _encode_labels,
            est._label_binarizer,
            dtype,
            new_axis=1,
            chunks=(rows, (n_out,)),
            dtype=dtype,
        )
    else:
        est._y_1d = y.ndim == 1
        Y = (y[:, None] if y.ndim == 1 else y).astype(dtype)
        n_out = Y.shape[1]
    blocks = _persist_blocks(client, X, Y, s)
    n_samples = sum(r for r, _ in _gather(client, [client.submit(_block_rows, b) for b in blocks]))
    return blocks, n_samples, n_out


def _unfit(est: Any) -> None:
    """Remove every fitted attribute: no half-trained model that looks fitted."""
    for key in [k for k in est.__dict__ if k.endswith("_") and not k.startswith("__")]:
        del est.__dict__[key]


def _train(
    client: Any,
    est: Any,
    blocks: list[Any],
    n_samples: int,
    callback: Callable[[int, float], None] | None,
) -> None:
    """Run L-BFGS on the blocks; on any failure leave ``est`` unfitted, then re-raise."""
    try:
        objective = ClusterObjective(client, blocks, est.network_, float(est.alpha))
        run_lbfgs(est, objective, n_samples=n_samples, callback=callback)
    except BaseException:
        _unfit(est)
        raise
    finally:
        with suppress(Exception):
            client.cancel(blocks)


def _unique(y: Any) -> Any:
    import dask.array as da

    return da.unique(y)


def _persist_blocks(client: Any, X: Any, Y: Any, s: Any) -> list[Any]:
    """One future per row block, holding (X, Y, s) on a worker."""
    import dask

    Xd, Yd = X.to_delayed().ravel(), Y.to_delayed().ravel()
    sd = [None] * len(Xd) if s is None else s.to_delayed().ravel()
    tasks = [
        dask.delayed(_check_block, pure=True)(x, y, w) for x, y, w in zip(Xd, Yd, sd, strict=True)
    ]
    return list(client.compute(tasks))


def _set_features(est: Any, n_features: int, names: list[str] | None) -> None:
    est.n_features_in_ = n_features
    if names is not None:
        est.feature_names_in_ = np.asarray(names, dtype=object)
    else:
        est.__dict__.pop("feature_names_in_", None)


# ---------------------------------------------------------------------------- prediction


def predict(estimator: Any, X: Any, method: str = "predict") -> Any:
    """A fitted lucidnet estimator's ``method`` over a Dask array or DataFrame, lazily.

    Returns a Dask array with X's row chunks; compute it (or write it out) when needed.
    """
    import dask.array as da

    _require_distributed()
    est = estimator
    if method not in (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
    ):
        raise ValueError(f"method must be a prediction method of the estimator; got {method!r}.")
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est)
    names = getattr(est, "feature_names_in_", None)
    if _is_frame(X) and names is not None and [str(c) for c in X.columns] != list(names):
        raise ValueError(
            f"X has columns {[str(c) for c in X.columns]}, but the model was fitted with "
            f"{list(names)}; pass the same columns in the same order."
        )
    X = _as_rows(X, "X")
    if X.shape[1] != est.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(est).__name__} is expecting "
            f"{est.n_features_in_} features as input."
        )
    net = est.network_
    n = X.chunks[0]
    if method == "transform":
        width: int | None = net.n[net.L - 1]
        dtype = np.dtype(net.dtype)
    elif method == "predict":
        if est._is_classifier:
            width = net.n[-1] if est._multilabel else None
            dtype = np.dtype(int) if est._multilabel else np.asarray(est.classes_).dtype
        else:
            width = None if est._y_1d else net.n[-1]
            dtype = np.dtype(net.dtype)
    elif method == "decision_function":
        width = None if net.n[-1] == 1 and not est._multilabel else net.n[-1]
        dtype = np.dtype(net.dtype)
    else:
        width = max(2, net.n[-1]) if not est._multilabel else net.n[-1]
        dtype = np.dtype(net.dtype)
    if width is None:
        return X.map_blocks(_call_block, est, method, drop_axis=1, chunks=(n,), dtype=dtype)
    out: da.Array = X.map_blocks(_call_block, est, method, chunks=(n, (width,)), dtype=dtype)
    return out


class _DaskFit:
    """``fit`` and the predictions accept Dask collections (lazy results for Dask input)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Dask input: :func:`fit_lbfgs` on the current client; otherwise the usual ``fit``."""
        if _is_dask(X):
            if args or kwargs:
                raise TypeError("With Dask input, fit takes only X, y and sample_weight.")
            return fit_lbfgs(self, X, y, sample_weight)
        return super().fit(X, y, sample_weight, *args, **kwargs)  # type: ignore[misc]

    def predict(self, X: Any) -> Any:
        if _is_dask(X):
            return predict(self, X, "predict")
        return super().predict(X)  # type: ignore[misc]

    def transform(self, X: Any) -> Any:
        if _is_dask(X):
            return predict(self, X, "transform")
        return super().transform(X)  # type: ignore[misc]


class MLPClassifier(_DaskFit, estimators.MLPClassifier):
    """lucidnet's MLPClassifier whose ``fit`` also takes Dask arrays and DataFrames.

    Dask input is fitted by :func:`fit_lbfgs` (pass ``solver="lbfgs"``); ``predict``,
    ``predict_proba``, ``predict_log_proba``, ``decision_function`` and ``transform`` of
    Dask input return lazy Dask arrays. NumPy input behaves exactly as the plain class.
    It saves (``lucidnet.save``) as a plain MLPClassifier.

    Examples
    --------
    >>> from lucidnet.dask import MLPClassifier
    >>> MLPClassifier((32,), solver="lbfgs").solver
    'lbfgs'
    """

    def predict_proba(self, X: Any) -> Any:
        if _is_dask(X):
            return predict(self, X, "predict_proba")
        return super().predict_proba(X)

    def predict_log_proba(self, X: Any) -> Any:
        if _is_dask(X):
            return predict(self, X, "predict_log_proba")
        return super().predict_log_proba(X)

    def decision_function(self, X: Any) -> Any:
        if _is_dask(X):
            return predict(self, X, "decision_function")
        return super().decision_function(X)


class MLPRegressor(_DaskFit, estimators.MLPRegressor):
    """lucidnet's MLPRegressor whose ``fit`` also takes Dask arrays and DataFrames.

    See :class:`MLPClassifier`.
    """


# ---------------------------------------------------------------------------- tables


@dataclass
class _TargetEncoder:
    """A chunk's target column → the network's target rows (shipped to the workers)."""

    task: str
    numeric: bool
    integral: bool
    binarizer: Any = None
    mean: float = 0.0
    scale: float = 1.0

    def labels(self, y: Any) -> np.ndarray:
        if self.numeric:
            values = y.to_numpy(dtype=np.float64)
            return values.astype(np.int64) if self.integral else values
        return y.astype(str).to_numpy(dtype=object)

    def rows(self, y: Any, dtype: Any) -> np.ndarray:
        if self.task == "classification":
            return self.binarizer.transform(self.labels(y)).astype(dtype)
        values = y.to_numpy(dtype=np.float64)
        return ((values - self.mean) / self.scale)[:, None].astype(dtype)


def _labelled(frame: Any, target: str) -> Any:
    return frame.loc[frame[target].notna()]


def _partition_stats(
    frame: Any, number: int, target: str, text: list[str], fraction: float, seed: int, size: int
) -> TableStats:
    stats = TableStats(target=target, reservoir_size=size, seed=seed + number, text_columns=text)
    stats.unlabelled_rows = int(frame[target].isna().sum())
    frame = _labelled(frame, target)
    stats.update_target(frame[target])
    held_out = validation_mask(len(frame), number, seed, fraction)
    stats.update(frame.loc[~held_out].drop(columns=[target]))
    return stats


def _merge_stats(*parts: TableStats) -> TableStats:
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged


def _partition_block(
    frame: Any,
    number: int,
    target: str,
    pre: TablePreprocessor,
    encoder: _TargetEncoder,
    fraction: float,
    seed: int,
    dtype: Any,
) -> tuple[Any, ...]:
    frame = _labelled(frame, target)
    train = frame.loc[~validation_mask(len(frame), number, seed, fraction)]
    X = pre.transform(train.drop(columns=[target]), dtype=dtype)
    return _check_block(X, encoder.rows(train[target], dtype), None)


def _partition_metrics(
    frame: Any,
    number: int,
    model: TabularModel,
    encoder: _TargetEncoder,
    fraction: float,
    seed: int,
) -> StreamMetrics:
    metrics = StreamMetrics(model.task)
    frame = _labelled(frame, model.target)
    val = frame.loc[validation_mask(len(frame), number, seed, fraction)]
    metrics.update(model, val.drop(columns=[model.target]), encoder.labels(val[model.target]))
    return metrics


def _tree(client: Any, fn: Callable[..., Any], parts: list[Any]) -> Any:
    while len(parts) > 1:
        parts = [
            client.submit(fn, *parts[i : i + _FAN_IN], pure=False)
            for i in range(0, len(parts), _FAN_IN)
        ]
    return _gather(client, parts)[0]


def read_dask_table(path: str | Path, blocksize: Any = "default") -> tuple[Any, list[str]]:
    """A CSV/TSV/Parquet file as a Dask DataFrame, and its text columns.

    The column kinds come from the first rows (as ``--stream``); numeric columns are read
    as float64 and text columns as text, so that no partition disagrees.
    """
    import dask.dataframe as dd

    path = Path(path)
    with closing(read_chunks(path, 10_000)) as chunks:
        first = next(chunks)
    text = [c for c in first.columns if not _is_numeric(first[c])]
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes or ".pq" in suffixes:
        return dd.read_parquet(str(path)), text
    dtypes = {c: (str if c in text else "float64") for c in first.columns}
    options: dict[str, Any] = {"dtype": dtypes, "blocksize": blocksize}
    if ".gz" in suffixes:
        options["blocksize"] = None  # a gzip stream cannot be split
    if ".tsv" in suffixes or ".tab" in suffixes:
        options["sep"] = "\t"
    return dd.read_csv(str(path), **options), text


def train_table(
    path: str | Path,
    target: str,
    *,
    client: Any = None,
    task: str = "auto",
    params: dict[str, Any] | None = None,
    validation: float = 0.2,
    seed: int = 0,
    blocksize: Any = "default",
    on_start: Callable[[TableStats, str, TablePreprocessor, int], None] | None = None,
    callback: Callable[[int, float], None] | None = None,
) -> TabularModel:
    """``lucidnet train DATA --dask``: a table model trained by L-BFGS across the cluster.

    The file is read by the workers (``dask.dataframe``), one partition per row block.
    The preprocessing statistics are computed partition by partition on the workers and
    merged there (:class:`lucidnet.streaming.TableStats`), the same held-out rows as
    ``--stream`` are chosen per partition, and the model's held-out metrics are
    computed on the workers too. Returns the fitted table model (``metrics`` filled in).
    """
    client = _client(client)
    df, text = read_dask_table(path, blocksize)
    if target not in df.columns:
        raise TableError(
            f"{path} has no column {target!r}; its columns are: {', '.join(map(str, df.columns))}."
        )
    if len(df.columns) < 2:
        raise TableError(f"{path} has only the target column; add feature columns.")
    parts = list(df.to_delayed())
    n_parts = len(parts)
    from lucidnet.streaming import RESERVOIR_SIZE

    stats_futures = client.compute(
        [
            _delayed(_partition_stats)(p, i, target, text, validation, seed, RESERVOIR_SIZE)
            for i, p in enumerate(parts)
        ]
    )
    stats: TableStats = _tree(client, _merge_stats, list(stats_futures))
    if stats.labelled_rows == 0:
        raise TableError(f"The target column {target!r} is empty; fill it in or pick another.")
    task = stats.task(task)
    if task == "classification" and len(stats.target_values) < 2:
        raise TableError(f"The target {target!r} has only one class; a classifier needs two.")
    if task == "regression" and not stats.target_numeric:
        raise TableError(f"The target {target!r} holds text; use --task classification.")
    pre = stats.preprocessor()
    if on_start is not None:
        on_start(stats, task, pre, n_parts)

    Est = estimators.MLPClassifier if task == "classification" else estimators.MLPRegressor
    est = Est(**{"random_state": seed, **(params or {}), "solver": "lbfgs"})
    est._validate_params()
    refuse_stochastic_only(est)
    encoder = _TargetEncoder(task, bool(stats.target_numeric), stats.target_integral)
    if task == "classification":
        classes = stats.classes()
        est._encode_targets(classes, first=True, classes=classes)
        encoder.binarizer = est._label_binarizer
        n_out = 1 if len(classes) == 2 else len(classes)
    else:
        est._y_1d = True
        encoder.mean, encoder.scale = stats.target_mean, stats.target_scale
        n_out = 1
    dtype = np.float64
    blocks = list(
        client.compute(
            [
                _delayed(_partition_block)(p, i, target, pre, encoder, validation, seed, dtype)
                for i, p in enumerate(parts)
            ]
        )
    )
    sizes = _gather(client, [client.submit(_block_rows, b) for b in blocks])
    n_features = len(pre.feature_names_out)
    from sklearn.utils import check_random_state

    net_seed = int(check_random_state(est.random_state).randint(np.iinfo(np.int32).max))
    est.network_ = est._build_network(n_features, n_out, dtype, net_seed)
    est.n_features_in_ = n_features
    _train(client, est, blocks, sum(r for r, _ in sizes), callback)
    model = TabularModel(
        pre,
        est,
        target,
        task,
        target_mean=encoder.mean,
        target_scale=encoder.scale,
    )
    metrics: dict[str, Any] = {
        "epochs": int(est.n_iter_),
        "rows_trained": int(sum(r for r, _ in sizes)),
        "solver": "lbfgs (dask)",
        "partitions": n_parts,
    }
    if validation > 0:
        pieces = client.compute(
            [
                _delayed(_partition_metrics)(p, i, model, encoder, validation, seed)
                for i, p in enumerate(parts)
            ]
        )
        held_out = _tree(client, _merge_metrics, list(pieces)).result()
        renamed = {("loss" if k == "val_loss" else k): v for k, v in held_out.items()}
        metrics.update({f"validation_{k}": v for k, v in renamed.items()})
    model.metrics = metrics
    return model


def _merge_metrics(*parts: StreamMetrics) -> StreamMetrics:
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged


def _delayed(fn: Callable[..., Any]) -> Any:
    import dask

    return dask.delayed(fn, pure=True)


def connect(address: str, n_workers: int = 2, timeout: str = "10s") -> tuple[Any, Any]:
    """A Client for ``address``, or for a new LocalCluster when ``address == "local"``.

    Returns (client, cluster); cluster is None for a remote address. Close both after use.
    """
    distributed = _require_distributed()
    if address == "local":
        cluster = distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        return distributed.Client(cluster), cluster
    try:
        return distributed.Client(address, timeout=timeout), None
    except (OSError, TimeoutError) as exc:
        raise ValueError(
            f"Could not connect to a Dask scheduler at {address!r} ({exc}). Start one "
            "('dask scheduler' and 'dask worker ADDRESS'), or use --dask local."
        ) from None
