"""ONE way to fit a table: ``fit_table`` over a source of rows (memory, a stream, a cluster).

The pipeline is the same whatever holds the rows:

1. the source describes the table (:class:`TableStats`: the target's kind and values,
   and what preprocessing needs), the held-out rows chosen the same way in every pass;
2. the task rule (:func:`choose_task`) and the target checks (:func:`check_target`);
3. the source's preprocessor; the estimator (``MLPClassifier`` / ``MLPRegressor``);
   for regression the network learns the standardised target (y − mean) / scale;
4. the source trains the estimator (``fit``, ``partial_fit`` per chunk, or L-BFGS on a
   cluster) and scores the held-out rows;
5. the metrics are named the same way: ``epochs``, ``rows_trained`` and
   ``validation_<metric>``.

A source implements :class:`TableSource`; :class:`InMemorySource` is the one for a
DataFrame, ``lucidnet.tables.stream.StreamSource`` reads a file in chunks, and
``lucidnet.dask.DaskSource`` reads it on a cluster.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from lucidnet.estimators import MLPClassifier, MLPRegressor
from lucidnet.tables.metrics import table_metrics
from lucidnet.tables.model import TabularModel
from lucidnet.tables.preprocess import TablePreprocessor
from lucidnet.tables.read import TableError
from lucidnet.tables.stats import Moments, TableStats
from lucidnet.tables.tabular import (
    TimeLimit,
    fit_batch,
    fit_recipe,
    recipe_estimator,
    recipe_preprocessor,
)
from lucidnet.tables.task import check_target, choose_task

__all__ = ["InMemorySource", "TableFit", "TableSource", "Training", "fit_table", "make_estimator"]


@dataclass
class Training:
    """What a source reports after training: counts and how it ended."""

    rows_trained: int
    stop_reason: str | None = None
    interrupted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class TableSource(Protocol):
    """Where the rows of a table come from, and how an estimator is trained on them."""

    def describe(self) -> TableStats:
        """Statistics of the labelled rows (target) and of the training rows (features)."""
        ...

    def prepare(self, stats: TableStats, task: str) -> TablePreprocessor:
        """The fitted preprocessor (and whatever split the source needs) for ``task``."""
        ...

    def train(self, model: TabularModel) -> Training:
        """Fit ``model.estimator`` on the training rows."""
        ...

    def held_out(self, model: TabularModel) -> dict[str, Any]:
        """Metrics of the fitted model on the held-out rows ({} when none are held out)."""
        ...


@dataclass
class TableFit:
    """What :func:`fit_table` returns: the model, the statistics and how training ended."""

    model: TabularModel
    stats: TableStats
    training: Training


def make_estimator(task: str, params: dict[str, Any] | None, seed: int) -> Any:
    """The unfitted MLPClassifier / MLPRegressor for ``task``; ``random_state`` defaults to seed."""
    Est = MLPClassifier if task == "classification" else MLPRegressor
    return Est(**{"random_state": seed, **(params or {})})


def fit_table(
    source: TableSource,
    *,
    task: str = "auto",
    params: dict[str, Any] | None = None,
    seed: int = 0,
    on_start: Any = None,
) -> TableFit:
    """Fit a table model on the rows that ``source`` gives.

    Parameters
    ----------
    source : TableSource
        :class:`InMemorySource`, ``StreamSource`` or ``lucidnet.dask.DaskSource``.
    task : {"auto", "classification", "regression"}
        "auto" applies :func:`~lucidnet.tables.task.choose_task`.
    params : dict, optional
        Parameters of the estimator.
    seed : int
        The estimator's ``random_state`` unless ``params`` sets one.
    on_start : callable, optional
        Called as ``on_start(stats, task, preprocessor)`` before training (progress output).

    Returns
    -------
    TableFit
    """
    stats = source.describe()
    task = choose_task(stats, task)
    check_target(stats, task)
    pre = source.prepare(stats, task)
    regression = task == "regression"
    if getattr(source, "recipe", False):
        est = recipe_estimator(task, {"random_state": seed, **(params or {})})
    else:
        est = make_estimator(task, params, seed)
    model = TabularModel(
        pre,
        est,
        stats.target,
        task,
        target_mean=stats.target_mean if regression else 0.0,
        target_scale=stats.target_scale if regression else 1.0,
    )
    if on_start is not None:
        on_start(stats, task, pre)
    with warnings.catch_warnings():
        # the number of epochs is the user's choice here; how training ended is reported
        warnings.simplefilter("ignore", ConvergenceWarning)
        training = source.train(model)
    est = model.estimator
    metrics: dict[str, Any] = {"epochs": int(est.n_iter_), "rows_trained": training.rows_trained}
    metrics.update(training.extra)
    held_out = source.held_out(model)
    metrics.update(
        {f"validation_{k}": v for k, v in held_out.items() if not isinstance(v, (list, dict))}
    )
    model.metrics = metrics
    return TableFit(model, stats, training)


def labelled_rows(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, int]:
    """The rows with a target value, and how many were dropped."""
    missing = frame[target].isna()
    dropped = int(missing.sum())
    return (frame.loc[~missing] if dropped else frame), dropped


def check_columns(frame: pd.DataFrame, target: str, source: str) -> None:
    """The target is a column and there is at least one feature column."""
    if target not in frame.columns:
        raise TableError(
            f"{source} has no column {target!r}; its columns are: "
            f"{', '.join(map(str, frame.columns))}."
        )
    if frame.shape[1] < 2:
        raise TableError(f"{source} has only the target column; add feature columns.")


class InMemorySource:
    """A DataFrame: a (stratified) held-out fraction for honest metrics, and the recipe.

    Parameters
    ----------
    frame : DataFrame
        Features and the target column.
    target : str
    validation : float in [0, 1)
        Fraction held out (stratified for classification); the estimator monitors it each
        epoch (validation loss; early stopping when the estimator asks for it).
    seed : int
        The split's seed.
    name : str
        How messages name the data (a file name).
    resume_from : dict, optional
        A training state to continue from (``Trainer.state_dict()``).
    recipe : bool, default=True
        The tabular recipe (``lucidnet.tables.tabular``): robust preprocessing and the
        recipe's estimator; False: standardisation and scikit-learn's MLP defaults.
    automatic : bool, default=True
        The recipe chooses the number of epochs on the held-out rows (on its own split
        of the rows when ``validation`` is 0), the held-out metrics are those of that
        model, and the model is then refit on every row (``fit_recipe``); False: the
        estimator's own ``max_iter`` / early stopping, monitored on the held-out rows.
    refit : bool, default=True
    time_limit : float, optional
        Seconds for training; the best model so far is kept.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        target: str,
        *,
        validation: float = 0.2,
        seed: int = 0,
        name: str = "the table",
        resume_from: Any = None,
        recipe: bool = True,
        automatic: bool = True,
        refit: bool = True,
        time_limit: float | None = None,
    ) -> None:
        check_columns(frame, target, name)
        self.frame, self.dropped = labelled_rows(frame, target)
        self.frame = self.frame.reset_index(drop=True)
        self.target = target
        self.validation = validation
        self.seed = seed
        self.name = name
        self.resume_from = resume_from
        self.recipe, self.automatic, self.refit = recipe, automatic, refit
        self.time_limit = time_limit
        self.metrics: dict[str, Any] | None = None
        self.train_frame: pd.DataFrame | None = None
        self.val_frame: pd.DataFrame | None = None

    def describe(self) -> TableStats:
        stats = TableStats(target=self.target)
        stats.unlabelled_rows = self.dropped
        stats.update_target(self.frame[self.target])
        self.stats = stats
        return stats

    def prepare(self, stats: TableStats, task: str) -> TablePreprocessor:
        features = self.frame.drop(columns=[self.target])
        y = stats.labels(self.frame[self.target])
        if self.validation > 0:
            try:
                f_train, f_val, y_train, y_val = train_test_split(
                    features,
                    y,
                    test_size=self.validation,
                    random_state=self.seed,
                    stratify=y if task == "classification" else None,
                )
            except ValueError as exc:
                raise TableError(
                    f"Cannot hold out {self.validation:.0%} for validation: {exc}"
                ) from None
            self.val_frame, self.y_val = f_val, y_val
        else:
            f_train, y_train = features, y
        self.train_frame, self.y_train = f_train, y_train
        if task == "regression":  # the target's scaling comes from the training rows only
            stats.target_moments = Moments.of(np.asarray(y_train, dtype=np.float64)[:, None])
        self.pre = (recipe_preprocessor() if self.recipe else TablePreprocessor()).fit(f_train)
        return self.pre

    def _fit_target(self, model: TabularModel, y: np.ndarray) -> np.ndarray:
        if model.task == "regression":
            return (np.asarray(y, dtype=np.float64) - model.target_mean) / model.target_scale
        return y

    def train(self, model: TabularModel) -> Training:
        assert self.train_frame is not None, "prepare() comes first"
        est = model.estimator
        dtype = np.float32 if est.dtype == "float32" else np.float64
        X = self.pre.transform(self.train_frame, dtype=dtype)
        y = self._fit_target(model, self.y_train)
        validation_data = None
        if self.val_frame is not None:
            validation_data = (
                self.pre.transform(self.val_frame, dtype=dtype),
                self._fit_target(model, self.y_val),
            )
        if self.recipe and self.automatic and self.resume_from is None:
            # the held-out rows choose the epoch; they are scored by the model that never
            # trained on them; then the model is refit on every row, those included
            def score(selected: Any) -> None:
                assert self.val_frame is not None
                held_out = TabularModel(
                    self.pre,
                    selected,
                    model.target,
                    model.task,
                    target_mean=model.target_mean,
                    target_scale=model.target_scale,
                )
                self.metrics = table_metrics(held_out, self.val_frame, self.y_val)

            if validation_data is None:
                est.set_params(early_stopping=True)  # its own split of the rows
            model.estimator = est = fit_recipe(
                est,
                X,
                y,
                validation_data=validation_data,
                refit=self.refit,
                time_limit=self.time_limit,
                on_selected=score if validation_data is not None else None,
            )
        else:
            if validation_data is None and est.early_stopping:
                raise TableError("Early stopping needs validation rows; set validation above 0.")
            fit_batch(est, len(X))
            if self.time_limit:
                limit = TimeLimit(self.time_limit, time.monotonic())
                est.set_params(callbacks=[*(est.callbacks or []), limit])
            est.fit(X, y, validation_data=validation_data, resume_from=self.resume_from)
        trainer = getattr(est, "trainer_", None)  # L-BFGS has no Trainer
        stop_reason = trainer.stop_reason if trainer is not None else None
        interrupted = bool(trainer is not None and trainer.interrupted)
        extra = {}
        if hasattr(est, "selected_epochs_"):
            extra["refit_epochs"] = est.selected_epochs_
        rows = len(self.y_train) + (
            len(self.y_val) if "refit_epochs" in extra and validation_data else 0
        )
        return Training(rows, stop_reason, interrupted, extra)

    def held_out(self, model: TabularModel) -> dict[str, Any]:
        if self.val_frame is None:
            return {}
        if self.metrics is not None:  # scored before the refit that trained on these rows
            return self.metrics
        return table_metrics(model, self.val_frame, self.y_val)
