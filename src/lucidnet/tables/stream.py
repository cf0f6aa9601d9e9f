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

With a recipe (``lucidnet train DATA --stream``, ``train_stream(..., recipe=RECIPE)``)
the passes train the recipe's way instead (:mod:`lucidnet.tables.streamed`): the recipe's
preprocessing from the same first pass (:meth:`TableStats.recipe_preprocessor`), at most
``max_validation_rows`` rows chosen by row hash and kept in memory, minibatches from a
shuffle buffer of chunks. Which way depends on the file's rows:

- a table the recipe cross-fits (:meth:`Recipe.cross_fits`) of at most
  ``max_validation_rows`` rows (no more than memory holds of a larger file) is read into
  memory after the first pass and trained as
  :class:`~lucidnet.tables.fit.InMemorySource` trains it: cross-fitted, its held-out
  metrics out of fold: the same model as in memory;
- a larger one of up to ``cross_fit_max_rows`` rows is cross-fitted pass by pass: every
  row trains the K − 1 members whose fold (row hash mod K) it is not in (the rows kept in
  memory too, and the statistics include them), each member is scored on its fold after
  every pass (``fold_scoring``), no refit, the held-out metrics out of fold on the rows
  kept in memory;
- a larger one still follows the recipe's large-table path: the kept rows held out, the
  best epoch chosen on them, and the refit when the recipe's ``min_refit_share`` asks
  for one.

The statistics also merge (:meth:`TableStats.merge`), which is how ``lucidnet.dask``
computes them partition by partition on a cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lucidnet.tables.embedding import embed
from lucidnet.tables.fit import (
    InMemorySource,
    Training,
    check_columns,
    fit_table,
    labelled_rows,
    out_of_fold,
    refuse_recipe,
)
from lucidnet.tables.metrics import StreamMetrics, table_metrics
from lucidnet.tables.model import TabularModel
from lucidnet.tables.preprocess import TablePreprocessor, is_numeric
from lucidnet.tables.read import DEFAULT_CHUNK_ROWS, read_chunks, validation_mask
from lucidnet.tables.recipe import Recipe
from lucidnet.tables.stats import RESERVOIR_SIZE, TableStats
from lucidnet.tables.streamed import HeldOutRows, cross_fit_passes, row_folds, train_passes
from lucidnet.training.crossfit import fold_weights

__all__ = ["BUFFER_CHUNKS", "StreamResult", "StreamSource", "scan", "train_stream"]

BUFFER_CHUNKS = 4  # the streamed recipe's shuffle buffer, in chunks


@dataclass
class StreamResult:
    """What :func:`train_stream` returns: the model, per-epoch records and the statistics."""

    model: TabularModel
    history: list[dict[str, Any]]
    stats: TableStats
    stop_reason: str | None = None


def scan(
    path: str | Path,
    target: str,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    validation: float = 0.0,
    seed: int = 0,
    reservoir_size: int = RESERVOIR_SIZE,
    held_out: HeldOutRows | None = None,
) -> tuple[TableStats, list[str]]:
    """The first pass: statistics of the training rows; returns them and the text columns.

    The column kinds (numbers or text) are those of the first rows (up to 10 000); later
    passes read the text columns as text in every chunk. With ``held_out`` the held-out
    rows are chosen by row hash and kept there (:class:`HeldOutRows`); otherwise per
    chunk (:func:`validation_mask`).
    """
    with closing(read_chunks(path, min(chunk_rows, 10_000))) as chunks:
        first = next(chunks)
    check_columns(first, target, str(path))
    text = [c for c in first.columns if not is_numeric(first[c])]
    stats = TableStats(target=target, reservoir_size=reservoir_size, seed=seed, text_columns=text)
    for i, chunk in enumerate(_numbered(read_chunks(path, chunk_rows, text))):
        labelled, dropped = labelled_rows(chunk, target)
        stats.unlabelled_rows += dropped
        stats.update_target(labelled[target])
        if held_out is not None:
            train = held_out.offer(labelled)
        else:
            train = labelled.loc[~validation_mask(len(labelled), i, seed, validation)]
        stats.update(train.drop(columns=[target]))
    if held_out is not None:
        held_out.finish()
    return stats, text


def _numbered(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The chunks with the file's row numbers (0 for the first row) as their index."""
    start = 0
    for chunk in chunks:
        chunk.index = pd.RangeIndex(start, start + len(chunk))
        start += len(chunk)
        yield chunk


class StreamSource:
    """A file read in chunks, ``epochs`` passes: the recipe's way, or ``partial_fit`` per chunk.

    Parameters
    ----------
    path : str or Path
        CSV (also .csv.gz), TSV or Parquet.
    target : str
        The column to predict; rows without a value are skipped.
    epochs : int
        Passes over the file (without a recipe; the recipe's ``max_epochs`` with one).
    chunk_rows : int
        Rows read at a time: memory is bounded by one chunk (and the recipe's shuffle
        buffer and held-out rows), whatever the file size.
    validation : float in [0, 1)
        Fraction of rows held out (the same rows in every pass) and scored each epoch.
    seed : int
    patience : int, optional
        Without a recipe: stop when the held-out loss has not improved for this many
        epochs, and keep the best epoch's weights (needs ``validation > 0``).
    reservoir_size : int
        Values per numeric column kept to estimate its median (and quartiles).
    on_epoch : callable, optional
        Called with each epoch's record.
    recipe : Recipe, optional
        Train the recipe's way (:mod:`lucidnet.tables.streamed`); pass the same recipe to
        ``fit_table``. The held-out rows are then chosen by row hash, at most
        ``recipe.max_validation_rows`` of them, and kept in memory; a table the recipe
        cross-fits of at most ``max_validation_rows`` rows is read into memory whole and
        cross-fitted there, a larger one of up to ``cross_fit_max_rows`` rows is
        cross-fitted pass by pass (the kept rows then train too, and give the
        out-of-fold metrics).
    buffer_chunks : int
        With a recipe: the shuffle buffer holds this many chunks' rows.
    fold_scoring : {"file", "sample"}
        Cross-fitted pass by pass, what scores member k's weights of every pass: "file",
        every row of fold k (each chunk of the next pass, before it trains; the last
        pass's weights by a pass that only predicts); "sample", the rows of fold k among
        those kept in memory. Either way the held-out metrics are out of fold on the rows
        kept in memory.
    """

    def __init__(
        self,
        path: str | Path,
        target: str,
        *,
        epochs: int = 10,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        validation: float = 0.2,
        seed: int = 0,
        patience: int | None = None,
        reservoir_size: int = RESERVOIR_SIZE,
        on_epoch: Callable[[dict[str, Any]], None] | None = None,
        recipe: Recipe | None = None,
        buffer_chunks: int = BUFFER_CHUNKS,
        fold_scoring: str = "file",
    ) -> None:
        if patience is not None and validation <= 0:
            raise ValueError("Early stopping needs held-out rows: set validation above 0.")
        if recipe is not None and recipe.choose_epochs and validation <= 0:
            raise ValueError(
                "The streamed recipe chooses its epochs on held-out rows: set validation "
                "above 0, or train a fixed number of epochs (--epochs N)."
            )
        self.path, self.target, self.epochs = path, target, epochs
        self.chunk_rows, self.validation, self.seed = chunk_rows, validation, seed
        self.patience, self.reservoir_size, self.on_epoch = patience, reservoir_size, on_epoch
        if fold_scoring not in ("file", "sample"):
            raise ValueError(f"fold_scoring is 'file' or 'sample'; got {fold_scoring!r}.")
        self.recipe, self.buffer_chunks = recipe, buffer_chunks
        self.fold_scoring = fold_scoring
        self.history: list[dict[str, Any]] = []
        self.held: HeldOutRows | None = None
        if recipe is not None and validation > 0:
            self.held = HeldOutRows(validation, recipe.max_validation_rows, seed)
        self.metrics: dict[str, Any] = {}
        self.in_memory: InMemorySource | None = None
        self.folds: int | None = None  # K when cross-fitted while streaming

    def describe(self) -> TableStats:
        self.stats, self.text = scan(
            self.path,
            self.target,
            chunk_rows=self.chunk_rows,
            validation=self.validation,
            seed=self.seed,
            reservoir_size=self.reservoir_size,
            held_out=self.held,
        )
        return self.stats

    def prepare(self, stats: TableStats, task: str, recipe: Recipe | None) -> TablePreprocessor:
        if recipe is not None and self.recipe is None:
            raise ValueError(
                "A streamed recipe chooses its held-out rows in the first pass: give the "
                "recipe to StreamSource(..., recipe=recipe) as well as to fit_table."
            )
        if recipe is None:
            self.pre = stats.preprocessor()
        elif self._cross_fits(stats, recipe) == "in memory":
            self.in_memory = InMemorySource(
                pd.concat(read_chunks(self.path, self.chunk_rows, self.text), ignore_index=True),
                self.target,
                validation=self.validation,
                seed=self.seed,
                name=str(self.path),
            )
            self.pre = self.in_memory.prepare(stats, task, recipe)
        else:
            if self._cross_fits(stats, recipe) == "streamed":  # the sample rows train too
                assert self.held is not None and self.held.frame is not None
                stats.update(self.held.frame.drop(columns=[self.target]))
                self.folds = recipe.n_members
            self.pre = stats.recipe_preprocessor(
                recipe.max_categories, recipe.min_frequency, recipe.max_levels
            )
        return self.pre

    def _cross_fits(self, stats: TableStats, recipe: Recipe) -> str | None:
        """How the recipe cross-fits the file: "in memory" (no more rows than the held-out
        rows' cap, ``max_validation_rows``, which memory holds anyway), "streamed" (up to
        ``cross_fit_max_rows``), or None (the large-table path)."""
        if self.folds is not None:  # decided, and the sample rows counted in stats.rows
            return "streamed"
        rows = stats.rows + (len(self.held) if self.held is not None else 0)
        if not (rows <= recipe.cross_fit_max_rows and recipe.cross_fits(rows, recipe.n_members)):
            return None
        cap = recipe.max_validation_rows
        if cap is None or rows <= cap:
            return "in memory"
        return "streamed" if self.held is not None and len(self.held) else None

    def _chunks(self, held_out: bool) -> Any:
        """(features, labels) of each chunk's training rows, or of its held-out rows."""
        chunks = _numbered(read_chunks(self.path, self.chunk_rows, self.text))
        for i, chunk in enumerate(chunks):
            labelled, _ = labelled_rows(chunk, self.target)
            if self.held is not None:
                mask = self.held.mask(labelled.index.to_numpy())
            else:
                mask = validation_mask(len(labelled), i, self.seed, self.validation)
            rows = labelled.loc[mask if held_out else ~mask]
            if len(rows):
                yield rows.drop(columns=[self.target]), self.stats.labels(rows[self.target])

    def train(self, model: TabularModel, recipe: Recipe | None, resume_from: Any) -> Training:
        if recipe is None:
            refuse_recipe(recipe, "--stream", resume_from)
        elif resume_from is not None:
            raise ValueError("--stream cannot resume from a checkpoint; train without it.")
        est = model.estimator
        if est.solver == "lbfgs":
            raise ValueError(
                "--stream trains by minibatches (partial_fit); L-BFGS needs the full batch at "
                "every step. Choose adam, adamw or sgd, or use --dask for distributed L-BFGS."
            )
        if recipe is not None and self.in_memory is not None:
            return self._train_in_memory(model, recipe)
        if recipe is not None and self.folds is not None:
            return self._train_cross_fitted(model, recipe)
        if recipe is not None:
            return self._train_recipe(model, recipe)
        classes = self.stats.classes() if model.task == "classification" else None
        best: tuple[float, int, Any] | None = None
        stop_reason = None
        for epoch in range(1, self.epochs + 1):
            start = time.perf_counter()
            loss_sum = rows = 0.0
            for features, y in self._chunks(held_out=False):
                X = self.pre.transform(features)
                if not hasattr(est, "network_") and est.batch_size != "auto":
                    est.set_params(batch_size=min(est.batch_size, len(y)))
                if model.task == "classification":
                    est.partial_fit(X, y, classes=classes)
                else:
                    est.partial_fit(X, model.scaling.forward(y))
                assert est.loss_ is not None  # partial_fit sets it
                loss_sum += est.loss_ * len(y)
                rows += len(y)
            record: dict[str, Any] = {"epoch": epoch, "loss": loss_sum / rows, "rows": int(rows)}
            if self.validation > 0:
                record.update(self.score(model))
            record["seconds"] = time.perf_counter() - start
            self.history.append(record)
            if self.on_epoch is not None:
                self.on_epoch(record)
            if self.patience is not None:
                if best is None or record["val_loss"] < best[0]:
                    best = (record["val_loss"], epoch, est.network_.copy())
                elif epoch - best[1] >= self.patience:
                    stop_reason = (
                        f"early stopping: val_loss has not improved for {self.patience} "
                        f"epoch(s); kept the weights of epoch {best[1]}"
                    )
                    break
        if best is not None and best[1] != self.history[-1]["epoch"]:
            est.network_ = best[2]
        self.kept = self.history[best[1] - 1] if best is not None else self.history[-1]
        _epoch_attributes(est, self.history)
        return Training(
            self.history[-1]["rows"], stop_reason, extra={"streamed_chunk_rows": self.chunk_rows}
        )

    def _train_in_memory(self, model: TabularModel, recipe: Recipe) -> Training:
        """A small table's rows, read into memory, cross-fitted as :meth:`Recipe.fit` does."""
        assert self.in_memory is not None
        training = self.in_memory.train(model, recipe, None)
        rows = len(self.in_memory.target_values)
        for record in model.estimator.history_.records:
            record = {**record, "rows": rows, "phase": "cross-fit"}
            self.history.append(record)
            if self.on_epoch is not None:
                self.on_epoch(record)
        training.extra["streamed_chunk_rows"] = self.chunk_rows
        return training

    def _steps(self, model: TabularModel) -> tuple[Any, Callable[[np.ndarray], np.ndarray], Any]:
        """The recipe's passes over the file: (dtype, the network's target of the labels,
        ``step(est, X, y, sample_weight=None)``: one ``partial_fit``); the batch size
        capped by a draw (``chunk_rows`` rows) and the training rows."""
        est = model.estimator
        dtype = np.float32 if est.dtype == "float32" else np.float64
        classes = self.stats.classes() if model.task == "classification" else None
        regression = model.task == "regression"

        def target(y: np.ndarray) -> np.ndarray:
            return model.scaling.forward(y) if regression else y

        def step(est: Any, X: np.ndarray, y: np.ndarray, sample_weight: Any = None) -> None:
            if regression:
                est.partial_fit(X, y, sample_weight=sample_weight)
            else:
                est.partial_fit(X, y, classes=classes, sample_weight=sample_weight)

        if isinstance(est.batch_size, int):  # a draw of chunk_rows rows holds the batches
            cap = min(est.batch_size, self.stats.rows, self.chunk_rows)
            est.set_params(batch_size=max(1, cap))
        return dtype, target, step

    def _train_recipe(self, model: TabularModel, recipe: Recipe) -> Training:
        """The recipe's large-table path over the file (:func:`train_passes`)."""
        est = model.estimator
        est.set_params(early_stopping=False, n_iter_no_change=np.inf)  # the passes choose
        dtype, target, fit_step = self._steps(model)

        def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
            for features, y in self._chunks(held_out=False):
                yield self.pre.transform(features, dtype=dtype), target(y)

        validation = None
        if self.held is not None and self.held.frame is not None:
            val_features = self.held.frame.drop(columns=[self.target])
            y_val = self.stats.labels(self.held.frame[self.target])
            validation = (self.pre.transform(val_features, dtype=dtype), target(y_val))
        first = validation[0] if validation is not None else next(iter(batches()))[0]
        embed(est, recipe, self.pre, first, self.stats.rows)  # bins from the kept rows

        def score(selected: Any) -> None:
            """The held-out metrics of the model that chose the epochs on them."""
            scored = model.with_estimator(selected)
            self.metrics = table_metrics(scored, val_features, y_val)

        n_train = self.stats.rows
        final, history, stop_reason = train_passes(
            est,
            recipe,
            batches,
            validation,
            n_train=n_train,
            fit_step=fit_step,
            buffer_rows=self.buffer_chunks * self.chunk_rows,
            draw_rows=self.chunk_rows,
            on_epoch=self.on_epoch,
            on_selected=score if validation is not None else None,
        )
        model.estimator = final
        self.history = history
        refit = hasattr(final, "selected_epochs_")
        _epoch_attributes(final, [r for r in history if (r["phase"] == "refit") == refit])
        extra: dict[str, Any] = {"streamed_chunk_rows": self.chunk_rows}
        if refit:
            extra["refit_epochs"] = final.selected_epochs_
        held = len(self.held) if self.held is not None else 0
        rows = n_train + (held if refit else 0)
        return Training(rows, stop_reason, extra=extra)

    def _train_cross_fitted(self, model: TabularModel, recipe: Recipe) -> Training:
        """The recipe cross-fitted over the file's passes (:func:`cross_fit_passes`): every
        row in its fold by row hash; the rows kept in memory train too, and give the
        out-of-fold metrics."""
        assert self.folds is not None and self.held is not None and self.held.frame is not None
        K = self.folds
        dtype, target, step = self._steps(model)

        def batches() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
            for features, y, folds in self._fold_chunks(K):
                yield self.pre.transform(features, dtype=dtype), target(y), folds

        def fit_step(est: Any, X: np.ndarray, y: np.ndarray, folds: np.ndarray) -> None:
            step(est, X, y, fold_weights(folds, K))

        def chunk_losses(
            network: Any, X: np.ndarray, y: np.ndarray, folds: np.ndarray, members: np.ndarray
        ) -> tuple[np.ndarray, np.ndarray]:
            """Member k's summed loss on the chunk's rows of fold k, and their count."""
            totals, sizes = np.zeros(K), np.zeros(K)
            Y = model.estimator.encode_targets(y).astype(dtype, copy=False)
            for k in members:
                rows = folds == k
                n = np.count_nonzero(rows)
                if n:
                    member = network.member(int(k))
                    totals[k] = float(member.cost(member.forward(X[rows].T), Y[rows].T)) * n
                    sizes[k] = n
            return totals, sizes

        sample = self.held.frame
        features, y_s = sample.drop(columns=[self.target]), self.stats.labels(sample[self.target])
        folds_s = row_folds(sample.index.to_numpy(), self.seed, K)
        scoring = (self.pre.transform(features, dtype=dtype), target(y_s), folds_s)
        embed(model.estimator, recipe, self.pre, scoring[0], self.stats.rows)
        final, history, stop_reason = cross_fit_passes(
            model.estimator,
            recipe,
            batches,
            scoring,
            fit_step=fit_step,
            buffer_rows=self.buffer_chunks * self.chunk_rows,
            draw_rows=self.chunk_rows,
            on_epoch=self.on_epoch,
            chunk_losses=chunk_losses if self.fold_scoring == "file" else None,
        )
        model.estimator = final
        self.history = history
        _epoch_attributes(final, history)
        self.metrics = table_metrics(out_of_fold(model), features, y_s)  # out of fold
        extra: dict[str, Any] = {"streamed_chunk_rows": self.chunk_rows}
        extra.update(cross_fit_epochs=final.selected_epochs_, out_of_fold_rows=len(sample))
        return Training(self.stats.rows, stop_reason, extra=extra)

    def _fold_chunks(self, K: int) -> Iterator[tuple[pd.DataFrame, np.ndarray, np.ndarray]]:
        """(features, labels, folds) of each chunk's rows, every row of the file."""
        for chunk in _numbered(read_chunks(self.path, self.chunk_rows, self.text)):
            labelled, _ = labelled_rows(chunk, self.target)
            if len(labelled):
                folds = row_folds(labelled.index.to_numpy(), self.seed, K)
                yield (
                    labelled.drop(columns=[self.target]),
                    self.stats.labels(labelled[self.target]),
                    folds,
                )

    def score(self, model: TabularModel) -> dict[str, float]:
        """Held-out metrics now: a pass over the file scoring the held-out rows only."""
        metrics = StreamMetrics(model.task)
        for features, y in self._chunks(held_out=True):
            metrics.update(model, features, y)
        return metrics.result()

    def held_out(self, model: TabularModel) -> dict[str, Any]:
        """The held-out metrics of the epoch whose weights were kept (no extra pass)."""
        if self.in_memory is not None:  # cross-fitted: the out-of-fold predictions
            return self.in_memory.held_out(model)
        if self.recipe is not None:
            return self.metrics
        if self.validation <= 0 or not self.history:
            return {}
        kept = self.kept
        out: dict[str, Any] = {k: kept[k] for k in ("accuracy", "r2", "mae", "rmse") if k in kept}
        return {**out, "loss": kept["val_loss"]} if "val_loss" in kept else out


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
    recipe: Recipe | None = None,
) -> StreamResult:
    """Train a table model on a file of any size, one chunk of rows in memory at a time.

    :func:`~lucidnet.tables.fit.fit_table` over a :class:`StreamSource` (its parameters
    are documented there); ``task``, ``params`` (estimator parameters, a minibatch
    solver), ``recipe`` (the streamed recipe: :mod:`lucidnet.tables.streamed`; e.g.
    ``RECIPE``) and ``on_start`` go to ``fit_table``.

    Returns
    -------
    StreamResult
    """
    source = StreamSource(
        path,
        target,
        epochs=epochs,
        chunk_rows=chunk_rows,
        validation=validation,
        seed=seed,
        patience=patience,
        reservoir_size=reservoir_size,
        on_epoch=on_epoch,
        recipe=recipe,
    )
    fit = fit_table(source, task=task, recipe=recipe, params=params, seed=seed, on_start=on_start)
    return StreamResult(fit.model, source.history, fit.stats, fit.training.stop_reason)


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
