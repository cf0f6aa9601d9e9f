"""Training on a table larger than memory: chunks in, partial_fit, bounded memory.

``lucidnet train DATA --stream`` reads the file in chunks of rows (CSV, also gzipped, and
TSV through pandas' ``chunksize``; Parquet batch by batch through pyarrow) and never holds
more than one chunk:

1. a first pass learns what ``TablePreprocessor.fit`` learns, incrementally
   (:class:`TableStats`): means and variances by Chan's parallel update, categories as the
   union over chunks, the classes of the target — and the median from a seeded uniform
   reservoir sample of each numeric column (exact while a column has at most
   ``reservoir_size`` values, an estimate beyond);
2. every epoch streams the file again and calls ``partial_fit`` on each chunk's training
   rows (the estimator shuffles the rows within the chunk; chunks come in file order);
3. held-out rows — chosen per chunk by a Generator seeded with (seed, chunk number), so
   the same rows in every pass — are scored after each epoch with streaming metrics.

The statistics also merge (:meth:`TableStats.merge`), which is how ``lucidnet.dask``
computes them partition by partition on a cluster.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lucidnet.tabular import TableError, TablePreprocessor, TabularModel, _is_numeric

__all__ = [
    "Moments",
    "Reservoir",
    "StreamMetrics",
    "StreamResult",
    "TableStats",
    "read_chunks",
    "scan",
    "train_stream",
    "validation_mask",
]

DEFAULT_CHUNK_ROWS = 50_000
RESERVOIR_SIZE = 100_000
MAX_CATEGORIES = 10_000  # per text column; one-hot widths beyond this are a mistake


# ---------------------------------------------------------------------------- reading


def _format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes or ".pq" in suffixes:
        return "parquet"
    if ".tsv" in suffixes or ".tab" in suffixes:
        return "tsv"
    return "txt" if ".txt" in suffixes else "csv"


def read_chunks(
    path: str | Path, chunk_rows: int = DEFAULT_CHUNK_ROWS, text_columns: list[str] | None = None
) -> Generator[pd.DataFrame, None, None]:
    """The rows of a CSV (.csv, .csv.gz), TSV or Parquet file, ``chunk_rows`` at a time.

    Parameters
    ----------
    path : str or Path
    chunk_rows : int
        Rows per chunk (Parquet: per record batch, read row group by row group).
    text_columns : list of str, optional
        CSV/TSV columns to read as text in every chunk (so that a chunk whose values all
        look like numbers still gives their text, as a whole-file read would).

    Raises
    ------
    TableError
        Missing or unreadable file, or a file without rows.
    """
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise TableError(f"{path} is a folder; give a CSV, TSV or Parquet file.")
    kind = _format(path)
    dtype = {c: str for c in text_columns} if text_columns else None
    any_rows = False
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                frame = batch.to_pandas()
                any_rows = any_rows or len(frame) > 0
                frame.columns = [str(c) for c in frame.columns]
                yield frame
        else:
            options: dict[str, Any] = {"chunksize": chunk_rows, "dtype": dtype}
            if kind == "tsv":
                options["sep"] = "\t"
            elif kind == "txt":
                options.update(sep=None, engine="python")
            with pd.read_csv(path, **options) as reader:
                for frame in reader:
                    any_rows = any_rows or len(frame) > 0
                    frame.columns = [str(c) for c in frame.columns]
                    yield frame
    except pd.errors.EmptyDataError:
        raise TableError(f"{path} is empty: it needs a header line and at least one row.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TableError(f"{path} could not be read in chunks: {first}.") from None
    if not any_rows:
        raise TableError(f"{path} has a header but no rows: add data rows below the header.")


def validation_mask(n_rows: int, chunk: int, seed: int, fraction: float) -> np.ndarray:
    """Which rows of chunk number ``chunk`` are held out: the same ones in every pass."""
    if fraction <= 0:
        return np.zeros(n_rows, dtype=bool)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(chunk)])
    return rng.random(n_rows) < fraction


# ---------------------------------------------------------------------------- statistics


@dataclass
class Moments:
    """Count, mean and M2 = Σ (x − mean)² of each column, updated chunk by chunk.

    Notes
    -----
    Chan et al.'s parallel update for two groups a and b, n = n_a + n_b, δ = mean_b − mean_a:
    mean = mean_a + δ n_b / n,   M2 = M2_a + M2_b + δ² n_a n_b / n.
    """

    count: np.ndarray
    mean: np.ndarray
    M2: np.ndarray

    @classmethod
    def empty(cls, width: int) -> Moments:
        return cls(np.zeros(width), np.zeros(width), np.zeros(width))

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        """Moments of the non-NaN entries of each column of ``values`` (n, width)."""
        present = ~np.isnan(values)
        count = present.sum(axis=0).astype(np.float64)
        total = np.where(present, values, 0.0).sum(axis=0)
        mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        M2 = np.where(present, (values - mean) ** 2, 0.0).sum(axis=0)
        return cls(count, mean, M2)

    def merge(self, other: Moments) -> Moments:
        n = self.count + other.count
        delta = other.mean - self.mean
        share = np.divide(other.count, n, out=np.zeros_like(n), where=n > 0)
        mean = self.mean + delta * share
        M2 = self.M2 + other.M2 + delta**2 * self.count * share
        return Moments(n, mean, M2)

    @property
    def var(self) -> np.ndarray:
        """The population variance M2 / n (as StandardScaler's ``var_``)."""
        return np.divide(self.M2, self.count, out=np.zeros_like(self.M2), where=self.count > 0)


class Reservoir:
    """A seeded uniform sample of at most ``size`` values of each column (Algorithm R).

    While a column has had at most ``size`` values, the sample is all of them (so its
    median is exact); after that each value seen is in the sample with probability
    size / seen. Two reservoirs merge into a uniform sample of the union.
    """

    def __init__(self, width: int, size: int = RESERVOIR_SIZE, seed: int = 0) -> None:
        self.size = int(size)
        self.seen = np.zeros(width, dtype=np.int64)
        self.samples: list[np.ndarray] = [np.empty(0) for _ in range(width)]
        self.rng = np.random.default_rng(seed)

    def update(self, values: np.ndarray) -> None:
        """Offer the non-NaN entries of each column of ``values`` (n, width)."""
        for j in range(values.shape[1]):
            column = values[:, j]
            column = column[~np.isnan(column)]
            sample, seen = self.samples[j], int(self.seen[j])  # len(sample) = min(seen, size)
            room = self.size - len(sample)
            if room > 0:  # the first `size` values all go in
                sample = np.concatenate([sample, column[:room]])
                seen += len(column[:room])
                column = column[room:]
            if len(column):
                # The value with 0-based global index t replaces slot r ~ U{0..t} when
                # r < size (kept with probability size / (t + 1)); later values win ties,
                # as in the sequential algorithm.
                t = seen + np.arange(len(column))
                r = (self.rng.random(len(column)) * (t + 1)).astype(np.int64)
                keep = r < self.size
                sample = sample.copy()
                sample[r[keep]] = column[keep]
                seen += len(column)
            self.samples[j] = sample
            self.seen[j] = seen

    def merge(self, other: Reservoir) -> Reservoir:
        """A uniform sample of both reservoirs' data (each column separately)."""
        out = Reservoir(len(self.samples), self.size, seed=int(self.rng.integers(2**63)))
        for j in range(len(self.samples)):
            a, b = self.samples[j], other.samples[j]
            n_a, n_b = int(self.seen[j]), int(other.seen[j])
            if n_a + n_b <= self.size:
                out.samples[j] = np.concatenate([a, b])
            else:
                take_a, take_b = out.rng.multivariate_hypergeometric([n_a, n_b], self.size)
                out.samples[j] = np.concatenate(
                    [
                        out.rng.choice(a, int(take_a), replace=False),
                        out.rng.choice(b, int(take_b), replace=False),
                    ]
                )
            out.seen[j] = n_a + n_b
        return out

    def median(self) -> np.ndarray:
        return np.array([np.median(s) if len(s) else np.nan for s in self.samples])

    @property
    def exact(self) -> bool:
        """Whether every column's sample still holds all its values."""
        return bool(np.all(self.seen <= self.size))


@dataclass
class TableStats:
    """What ``TablePreprocessor.fit`` and the task choice need, learned chunk by chunk.

    Feed it :meth:`update` with each chunk's training rows (features and target) and
    :meth:`update_target` with the target of every labelled row (classes must include
    the held-out rows' classes); then :meth:`preprocessor` gives the fitted
    ``TablePreprocessor``.
    """

    target: str
    columns: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    moments: Moments | None = None
    reservoir: Reservoir | None = None
    categories: dict[str, set[str]] = field(default_factory=dict)
    rows: int = 0
    target_numeric: bool | None = None
    target_integral: bool = True
    target_values: set[Any] = field(default_factory=set)
    target_moments: Moments = field(default_factory=lambda: Moments.empty(1))
    labelled_rows: int = 0
    unlabelled_rows: int = 0
    reservoir_size: int = RESERVOIR_SIZE
    seed: int = 0
    text_columns: list[str] | None = None  # decided up front; else from the first update

    # ------------------------------------------------------------------ updates

    def _set_columns(self, features: pd.DataFrame) -> None:
        columns = [str(c) for c in features.columns]
        if self.text_columns is not None:
            numeric = [c for c in columns if c not in self.text_columns]
        else:
            numeric = [c for c in columns if _is_numeric(features[c])]
        self._set_schema(columns, numeric)

    def _set_schema(self, columns: list[str], numeric: list[str]) -> None:
        self.columns, self.numeric = list(columns), list(numeric)
        self.categorical = [c for c in self.columns if c not in self.numeric]
        self.moments = Moments.empty(len(self.numeric))
        self.reservoir = Reservoir(len(self.numeric), self.reservoir_size, self.seed)
        self.categories = {c: set() for c in self.categorical}

    def update(self, features: pd.DataFrame) -> None:
        """Learn from the feature columns of some training rows."""
        if not self.columns:
            self._set_columns(features)
        if [str(c) for c in features.columns] != self.columns:
            raise TableError(
                f"The chunks disagree on the columns: {self.columns} first, then "
                f"{[str(c) for c in features.columns]}."
            )
        if len(features) == 0:
            return
        self.rows += len(features)
        if self.numeric:
            values = _numeric_values(features, self.numeric)
            assert self.moments is not None and self.reservoir is not None
            self.moments = self.moments.merge(Moments.of(values))
            self.reservoir.update(values)
        if self.categorical:
            text = TablePreprocessor(categorical=self.categorical)._as_text(features)
            for j, column in enumerate(self.categorical):
                seen = self.categories[column]
                seen.update(np.unique(text[:, j]).tolist())
                if len(seen) > MAX_CATEGORIES:
                    raise TableError(
                        f"Column {column!r} has more than {MAX_CATEGORIES} distinct values; "
                        "one-hot encoding it would make too many inputs. Drop it or bin it."
                    )

    def update_target(self, y: pd.Series) -> None:
        """Learn the target's kind and values from labelled rows (NaN-free)."""
        if len(y) == 0:
            return
        numeric = _is_numeric(y)
        if self.target_numeric is None:
            self.target_numeric = numeric
        elif self.target_numeric and not numeric:
            self.target_numeric = False  # text further down: the target is a label
        self.labelled_rows += len(y)
        if numeric:
            values = y.to_numpy(dtype=np.float64)
            self.target_moments = self.target_moments.merge(Moments.of(values[:, None]))
            self.target_integral = self.target_integral and bool(np.all(values == np.round(values)))
            if len(self.target_values) <= 20 or not self.target_integral:
                self.target_values.update(np.unique(values).tolist())
        else:
            self.target_values.update(np.unique(y.astype(str).to_numpy()).tolist())
        if len(self.target_values) > MAX_CATEGORIES and not self.target_numeric:
            raise TableError(
                f"The target {self.target!r} has more than {MAX_CATEGORIES} distinct values; "
                "that is not a classification target. Use --task regression for numbers."
            )

    def merge(self, other: TableStats) -> TableStats:
        """Statistics of both parts' rows (``lucidnet.dask`` merges partitions this way)."""
        if not self.columns and not other.columns:
            raise ValueError("Merge statistics after at least one update.")
        for part, schema in ((self, other), (other, self)):
            if not part.columns:  # saw no features (only targets): empty feature statistics
                part._set_schema(schema.columns, schema.numeric)
        if other.columns != self.columns or other.numeric != self.numeric:
            raise TableError(
                "The partitions disagree on the columns or their types: "
                f"{self.numeric} numeric in one, {other.numeric} in another."
            )
        assert self.moments and other.moments and self.reservoir and other.reservoir
        merged = TableStats(
            target=self.target,
            columns=self.columns,
            numeric=self.numeric,
            categorical=self.categorical,
            moments=self.moments.merge(other.moments),
            reservoir=self.reservoir.merge(other.reservoir),
            categories={c: self.categories[c] | other.categories[c] for c in self.categorical},
            rows=self.rows + other.rows,
            target_integral=self.target_integral and other.target_integral,
            target_values=self.target_values | other.target_values,
            target_moments=self.target_moments.merge(other.target_moments),
            labelled_rows=self.labelled_rows + other.labelled_rows,
            unlabelled_rows=self.unlabelled_rows + other.unlabelled_rows,
            reservoir_size=self.reservoir_size,
            seed=self.seed,
            text_columns=self.text_columns,
        )
        kinds = {k for k in (self.target_numeric, other.target_numeric) if k is not None}
        merged.target_numeric = None if not kinds else all(kinds)
        return merged

    # ------------------------------------------------------------------ results

    def preprocessor(self) -> TablePreprocessor:
        """The ``TablePreprocessor`` that ``fit`` would learn from the same rows.

        Notes
        -----
        The numeric columns are imputed with the median m of their n_p present values, so
        with n_m = n − n_p missing ones, the imputed column's moments are those of the
        present values merged with n_m copies of m (mean m, M2 = 0). Scale = √var, and 1
        for a constant column (as StandardScaler).
        """
        if self.rows == 0:
            raise TableError("No training rows were read: the file has no labelled rows.")
        pre = TablePreprocessor(
            columns=list(self.columns),
            numeric=list(self.numeric),
            categorical=list(self.categorical),
        )
        if self.numeric:
            assert self.moments is not None and self.reservoir is not None
            empty = [c for c, n in zip(self.numeric, self.moments.count, strict=True) if n == 0]
            if empty:
                raise TableError(f"Column(s) {empty} have no values at all; drop them.")
            median = self.reservoir.median()
            n_missing = self.rows - self.moments.count
            filled = self.moments.merge(Moments(n_missing, median, np.zeros_like(median)))
            var = filled.var
            eps = np.finfo(np.float64).eps
            constant = var <= self.rows * eps * var + (self.rows * filled.mean * eps) ** 2
            pre.median = median
            pre.mean = filled.mean
            pre.scale = np.where(constant, 1.0, np.sqrt(var))
        pre.categories = {c: sorted(self.categories[c]) for c in self.categorical}
        return pre

    def task(self, requested: str = "auto") -> str:
        """As ``lucidnet train``: text, bool or ≤ 20 distinct integers → classification."""
        if requested != "auto":
            return requested
        if not self.target_numeric:
            return "classification"
        if self.target_integral and len(self.target_values) <= 20:
            return "classification"
        return "regression"

    def classes(self) -> np.ndarray:
        """The sorted class labels (int64 for whole numbers, float64 or str otherwise)."""
        if self.target_numeric:
            values = np.array(sorted(self.target_values), dtype=np.float64)
            return values.astype(np.int64) if self.target_integral else values
        return np.array(sorted(str(v) for v in self.target_values), dtype=object)

    def labels(self, y: pd.Series) -> np.ndarray:
        """A chunk's target values in the dtype of :meth:`classes`."""
        if self.target_numeric:
            values = y.to_numpy(dtype=np.float64)
            return values.astype(np.int64) if self.target_integral else values
        return y.astype(str).to_numpy(dtype=object)

    @property
    def target_mean(self) -> float:
        return float(self.target_moments.mean[0])

    @property
    def target_scale(self) -> float:
        return float(np.sqrt(self.target_moments.var[0])) or 1.0


def _numeric_values(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    try:
        return frame[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        bad = [c for c in columns if not _is_numeric(frame[c])]
        raise TableError(
            f"Column(s) {bad} held numbers in the first chunk but hold text further down; "
            "fix those values, or raise --chunk-rows so that the first chunk shows the text."
        ) from None


# ---------------------------------------------------------------------------- metrics


class StreamMetrics:
    """Held-out metrics accumulated chunk by chunk (nothing grows with the rows).

    Classification: val_loss (the network's mean cross-entropy, i.e. log-loss) and
    accuracy. Regression: val_loss (the network's cost on the standardised target), and
    r2, mae, rmse in the target's units.
    """

    def __init__(self, task: str) -> None:
        self.task = task
        self.n = 0
        self.loss = 0.0
        self.correct = 0
        self.abs_error = 0.0
        self.sq_error = 0.0
        self.y = Moments.empty(1)

    def update(self, model: TabularModel, frame: pd.DataFrame, y: np.ndarray) -> None:
        if len(frame) == 0:
            return
        est = model.estimator
        X = model.features(frame)
        net = est.network_
        cache = net.forward(X.T)
        if self.task == "classification":
            Y = est._encode_targets(y, first=False).astype(net.dtype)
            A = cache.A[net.L].T
            pred = (A[:, 0] > 0.5).astype(int) if A.shape[1] == 1 else np.argmax(A, axis=1)
            true = Y[:, 0].astype(int) if Y.shape[1] == 1 else np.argmax(Y, axis=1)
            self.correct += int(np.sum(pred == true))
        else:
            y = np.asarray(y, dtype=np.float64)
            Y = ((y - model.target_mean) / model.target_scale)[:, None].astype(net.dtype)
            prediction = cache.A[net.L][0] * model.target_scale + model.target_mean
            error = prediction - y
            self.abs_error += float(np.sum(np.abs(error)))
            self.sq_error += float(np.sum(error**2))
            self.y = self.y.merge(Moments.of(y[:, None]))
        self.loss += net.cost_from_cache(cache, Y.T) * len(frame)
        self.n += len(frame)

    def merge(self, other: StreamMetrics) -> StreamMetrics:
        """Metrics of both parts' rows."""
        out = StreamMetrics(self.task)
        out.n, out.loss, out.correct = (
            self.n + other.n,
            self.loss + other.loss,
            self.correct + other.correct,
        )
        out.abs_error = self.abs_error + other.abs_error
        out.sq_error = self.sq_error + other.sq_error
        out.y = self.y.merge(other.y)
        return out

    def result(self) -> dict[str, float]:
        if self.n == 0:
            return {}
        out = {"val_loss": self.loss / self.n}
        if self.task == "classification":
            out["accuracy"] = self.correct / self.n
        else:
            total = float(self.y.M2[0])
            out["r2"] = 1 - self.sq_error / total if total > 0 else math.nan
            out["mae"] = self.abs_error / self.n
            out["rmse"] = math.sqrt(self.sq_error / self.n)
        return out


# ---------------------------------------------------------------------------- training


@dataclass
class StreamResult:
    """What :func:`train_stream` returns: the model, per-epoch records and the statistics."""

    model: TabularModel
    history: list[dict[str, Any]]
    stats: TableStats
    stop_reason: str | None = None


def _labelled(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, int]:
    missing = frame[target].isna()
    dropped = int(missing.sum())
    return (frame.loc[~missing] if dropped else frame), dropped


def scan(
    path: str | Path,
    target: str,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    validation: float = 0.0,
    seed: int = 0,
    reservoir_size: int = RESERVOIR_SIZE,
) -> tuple[TableStats, list[str]]:
    """The first pass: statistics of the training rows; returns them and the text columns.

    The column kinds (numbers or text) are those of the first rows (up to 10 000); later
    passes read the text columns as text in every chunk.
    """
    with closing(read_chunks(path, min(chunk_rows, 10_000))) as chunks:
        first = next(chunks)
    if target not in first.columns:
        raise TableError(
            f"{path} has no column {target!r}; its columns are: {', '.join(first.columns)}."
        )
    if first.shape[1] < 2:
        raise TableError(f"{path} has only the target column; add feature columns.")
    text = [c for c in first.columns if not _is_numeric(first[c])]
    stats = TableStats(target=target, reservoir_size=reservoir_size, seed=seed, text_columns=text)
    for i, chunk in enumerate(read_chunks(path, chunk_rows, text)):
        labelled, dropped = _labelled(chunk, target)
        stats.unlabelled_rows += dropped
        stats.update_target(labelled[target])
        held_out = validation_mask(len(labelled), i, seed, validation)
        stats.update(labelled.loc[~held_out].drop(columns=[target]))
    if stats.labelled_rows == 0:
        raise TableError(f"The target column {target!r} is empty; fill it in or pick another.")
    return stats, text


def train_stream(
    path: str | Path,
    target: str,
    *,
    task: str = "auto",
    params: dict[str, Any] | None = None,
    epochs: int = 10,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    validation: float = 0.2,
    seed: int = 0,
    patience: int | None = None,
    reservoir_size: int = RESERVOIR_SIZE,
    on_start: Callable[[TableStats, str, TablePreprocessor], None] | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> StreamResult:
    """Train a table model on a file of any size, one chunk of rows in memory at a time.

    Parameters
    ----------
    path : str or Path
        CSV (also .csv.gz), TSV or Parquet.
    target : str
        The column to predict; rows without a value are skipped.
    task : {"auto", "classification", "regression"}
    params : dict, optional
        Parameters of the MLPClassifier / MLPRegressor (a minibatch solver); ``random_state``
        defaults to ``seed``.
    epochs : int
        Passes over the file.
    chunk_rows : int
        Rows read at a time: memory is bounded by one chunk, whatever the file size.
    validation : float in [0, 1)
        Fraction of rows held out (the same rows in every pass) and scored each epoch.
    seed : int
    patience : int, optional
        Stop when the held-out loss has not improved for this many epochs, and keep the
        best epoch's weights (needs ``validation > 0``).
    reservoir_size : int
        Values per numeric column kept to estimate its median.
    on_start, on_epoch : callables, optional
        Progress hooks: after the first pass, and with each epoch's record.

    Returns
    -------
    StreamResult
    """
    from lucidnet.estimators import MLPClassifier, MLPRegressor

    if patience is not None and validation <= 0:
        raise ValueError("Early stopping needs held-out rows: set validation above 0.")
    stats, text = scan(
        path,
        target,
        chunk_rows=chunk_rows,
        validation=validation,
        seed=seed,
        reservoir_size=reservoir_size,
    )
    task = stats.task(task)
    if task == "classification" and len(stats.target_values) < 2:
        raise TableError(
            f"The target {target!r} has only one class ({next(iter(stats.target_values))!r}); "
            "a classifier needs at least two."
        )
    if task == "regression" and not stats.target_numeric:
        raise TableError(f"The target {target!r} holds text; use --task classification.")
    pre = stats.preprocessor()
    if on_start is not None:
        on_start(stats, task, pre)
    classes = stats.classes() if task == "classification" else None
    Est = MLPClassifier if task == "classification" else MLPRegressor
    est = Est(**{"random_state": seed, **(params or {})})
    if est.solver == "lbfgs":
        raise ValueError(
            "--stream trains by minibatches (partial_fit); L-BFGS needs the full batch at "
            "every step. Choose adam, adamw or sgd, or use --dask for distributed L-BFGS."
        )
    model = TabularModel(
        pre,
        est,
        target,
        task,
        target_mean=stats.target_mean if task == "regression" else 0.0,
        target_scale=stats.target_scale if task == "regression" else 1.0,
    )

    history: list[dict[str, Any]] = []
    best: tuple[float, int, Any] | None = None
    stop_reason = None
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        loss_sum = rows = 0.0
        for i, chunk in enumerate(read_chunks(path, chunk_rows, text)):
            labelled, _ = _labelled(chunk, target)
            held_out = validation_mask(len(labelled), i, seed, validation)
            train = labelled.loc[~held_out]
            if len(train) == 0:
                continue
            X = pre.transform(train.drop(columns=[target]))
            y = stats.labels(train[target])
            if "network_" not in est.__dict__ and est.batch_size != "auto":
                est.set_params(batch_size=min(est.batch_size, len(train)))
            if task == "classification":
                est.partial_fit(X, y, classes=classes)
            else:
                est.partial_fit(X, (y - model.target_mean) / model.target_scale)
            assert est.loss_ is not None  # partial_fit sets it
            loss_sum += est.loss_ * len(train)
            rows += len(train)
        record: dict[str, Any] = {"epoch": epoch, "loss": loss_sum / rows, "rows": int(rows)}
        if validation > 0:
            record.update(_score(model, path, target, stats, text, chunk_rows, validation, seed))
        record["seconds"] = time.perf_counter() - start
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
        if patience is not None:
            if best is None or record["val_loss"] < best[0]:
                best = (record["val_loss"], epoch, est.network_.copy())
            elif epoch - best[1] >= patience:
                stop_reason = (
                    f"early stopping: val_loss has not improved for {patience} epoch(s); "
                    f"kept the weights of epoch {best[1]}"
                )
                break
    if best is not None and best[1] != history[-1]["epoch"]:
        est.network_ = best[2]
    _epoch_attributes(est, history)
    return StreamResult(model, history, stats, stop_reason)


def _epoch_attributes(est: Any, history: list[dict[str, Any]]) -> None:
    """The estimator's training record per epoch (file pass), not per partial_fit chunk."""
    from lucidnet.training.history import History

    records = []
    for r in history:
        record = {"epoch": r["epoch"], "loss": r["loss"]}
        if "val_loss" in r:
            record["val_loss"] = r["val_loss"]
            record["val_score"] = r.get("accuracy", r.get("r2"))
        record["seconds"] = r["seconds"]
        records.append(record)
    est.history_ = History(records)
    est.loss_curve_ = [float(r["loss"]) for r in records]
    est.loss_ = est.loss_curve_[-1]
    est.best_loss_ = min(est.loss_curve_)
    est.n_iter_ = len(records)
    scores = [r["val_score"] for r in records if r.get("val_score") is not None]
    est.validation_scores_ = [float(v) for v in scores] or None
    est.best_validation_score_ = max(scores) if scores else None


def _score(
    model: TabularModel,
    path: str | Path,
    target: str,
    stats: TableStats,
    text: list[str],
    chunk_rows: int,
    validation: float,
    seed: int,
) -> dict[str, float]:
    """Held-out metrics: a pass over the file scoring the held-out rows only."""
    metrics = StreamMetrics(model.task)
    for i, chunk in enumerate(read_chunks(path, chunk_rows, text)):
        labelled, _ = _labelled(chunk, target)
        held_out = validation_mask(len(labelled), i, seed, validation)
        if held_out.any():
            val = labelled.loc[held_out]
            metrics.update(model, val.drop(columns=[target]), stats.labels(val[target]))
    return metrics.result()
