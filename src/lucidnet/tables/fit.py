"""ONE way to fit a table: ``fit_table`` over a source of rows (memory, a stream, a cluster).

The pipeline is the same whatever holds the rows:

1. the source describes the table (:class:`TableStats`: the target's kind and values,
   and what preprocessing needs), the held-out rows chosen the same way in every pass;
2. the task rule (:func:`choose_task`) and the target checks (:func:`check_target`);
3. the source's fitted preprocessor; the estimator (``MLPClassifier`` /
   ``MLPRegressor``: the :class:`~lucidnet.tables.recipe.Recipe`'s, or scikit-learn's
   defaults without one); for regression the network learns the standardised target
   (:class:`~lucidnet.tables.model.TargetScaling`);
4. the source trains the estimator (``fit``, ``partial_fit`` per chunk, or L-BFGS on a
   cluster) and scores the held-out rows;
5. the metrics are named the same way: ``epochs``, ``rows_trained`` and
   ``validation_<metric>``; one the held-out rows cannot give (R² of one row) is
   listed under ``absent`` instead (:func:`~lucidnet.tables.model.recorded_metrics`).

A source implements :class:`TableSource` and says only where the rows come from:
:class:`InMemorySource` for a DataFrame (or features and labels), ``StreamSource``
(``lucidnet.tables.stream``) reads a file in chunks, and ``lucidnet.dask``'s
``DaskRecipeSource`` (the recipe) and ``DaskSource`` (L-BFGS) read it on a cluster. The
training policy is the ``recipe`` given to :func:`fit_table`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from lucidnet.estimators import MLPClassifier, MLPRegressor
from lucidnet.estimators.refit import fit_within
from lucidnet.tables.counts import count_scaling
from lucidnet.tables.embedding import embed
from lucidnet.tables.metrics import table_metrics
from lucidnet.tables.model import TabularModel, recorded_metrics
from lucidnet.tables.preprocess import TablePreprocessor, is_numeric
from lucidnet.tables.read import TableError
from lucidnet.tables.recipe import Recipe
from lucidnet.tables.stats import Moments, TableStats
from lucidnet.tables.task import check_target, choose_task

__all__ = [
    "InMemorySource",
    "TableFit",
    "TableSource",
    "Training",
    "fit_table",
    "make_estimator",
    "refuse_recipe",
]


@dataclass
class Training:
    """What a source reports after training: counts and how it ended."""

    rows_trained: int
    stop_reason: str | None = None
    interrupted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class TableSource(Protocol):
    """Where the rows of a table come from: what :func:`fit_table` asks of a source."""

    def describe(self) -> TableStats:
        """Statistics of the labelled rows (target) and of the training rows (features)."""
        ...

    def prepare(self, stats: TableStats, task: str, recipe: Recipe | None) -> TablePreprocessor:
        """The preprocessor fitted on the training rows: the recipe's, or standardisation."""
        ...

    def train(self, model: TabularModel, recipe: Recipe | None, resume_from: Any) -> Training:
        """Fit ``model.estimator`` on the training rows (the recipe's way, when given)."""
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


def make_estimator(
    task: str, recipe: Recipe | None, params: dict[str, Any] | None, seed: int
) -> Any:
    """The unfitted estimator for ``task``: the recipe's (or scikit-learn's defaults),
    ``params`` overriding; ``random_state`` is ``seed`` unless ``params`` sets one."""
    params = {"random_state": seed, **(params or {})}
    if recipe is not None:
        return recipe.estimator(task, params)
    Est = MLPClassifier if task == "classification" else MLPRegressor
    return Est(**params)


def fit_table(
    source: TableSource,
    *,
    task: str = "auto",
    recipe: Recipe | None = None,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    resume_from: Any = None,
    on_start: Any = None,
    warn: bool = False,
) -> TableFit:
    """Fit a table model on the rows that ``source`` gives.

    Parameters
    ----------
    source : TableSource
        :class:`InMemorySource`, ``StreamSource``, ``lucidnet.dask.DaskRecipeSource`` or
        ``lucidnet.dask.DaskSource``.
    task : {"auto", "classification", "regression"}
        "auto" applies :func:`~lucidnet.tables.task.choose_task`.
    recipe : Recipe, optional
        The training policy (``lucidnet.tables.recipe.RECIPE`` is the default recipe;
        a stream or a cluster follows its large-table path); None: standardisation and
        the estimator's own parameters.
    params : dict, optional
        Parameters of the estimator, over the recipe's.
    seed : int
        The estimator's ``random_state`` unless ``params`` sets one.
    resume_from : dict, optional
        A training state to continue from (``Trainer.state_dict()``; rows in memory).
    on_start : callable, optional
        Called as ``on_start(stats, task, preprocessor)`` before training (progress output).
    warn : bool, default=False
        Let the estimator's ConvergenceWarning through (scikit-learn's way); by default
        how training ended is reported in ``TableFit.training`` instead.

    Returns
    -------
    TableFit
    """
    if recipe is not None and params and "n_members" in params:  # what prepare() sees
        recipe = replace(recipe, n_members=int(params["n_members"]))
    if recipe is not None and resume_from is not None:  # a resumed fit continues, no folds
        recipe = replace(recipe, cross_fit=False)
    stats = source.describe()
    task = choose_task(stats, task)
    check_target(stats, task)
    pre = source.prepare(stats, task, recipe)
    est = make_estimator(task, recipe, params, seed)
    scaling = stats.target_scaling(task)
    counts = count_scaling(
        getattr(recipe, "count_loss", None), task, stats.target_integral,
        getattr(source, "y_train", None),
    )  # fmt: skip
    if counts is not None:  # a count target: the Poisson output (tables/counts.py)
        scaling = counts
        est.set_params(loss="poisson")
    model = TabularModel(pre, est, stats.target, task, None, scaling.mean, scaling.scale)
    if on_start is not None:
        on_start(stats, task, pre)
    with warnings.catch_warnings():
        if not warn:  # the number of epochs is the caller's choice; how training ended is reported
            warnings.simplefilter("ignore", ConvergenceWarning)
        training = source.train(model, recipe, resume_from)
    est = model.estimator
    metrics: dict[str, Any] = {"epochs": int(est.n_iter_), "rows_trained": training.rows_trained}
    metrics.update(training.extra)
    held_out = source.held_out(model)
    metrics.update(
        {f"validation_{k}": v for k, v in held_out.items() if not isinstance(v, (list, dict))}
    )
    model.metrics = recorded_metrics(metrics)  # what cannot be computed is listed as absent
    return TableFit(model, stats, training)


def refuse_recipe(recipe: Recipe | None, where: str, resume_from: Any = None) -> None:
    """Raise a ValueError: a source of the plain MLP follows no recipe."""
    if recipe is not None:
        raise ValueError(
            f"{where} trains the plain MLP; pass recipe=None, or train the recipe with its "
            "sources: StreamSource(..., recipe=recipe) or lucidnet.dask.DaskRecipeSource."
        )
    if resume_from is not None:
        raise ValueError(f"{where} cannot resume from a checkpoint; train without it.")


def labelled_rows(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, int]:
    """The rows with a target value, and how many were dropped (an empty or non-finite
    target cell is missing, as a feature cell is)."""
    y = frame[target]
    missing = y.isna()
    if is_numeric(y):
        missing |= ~np.isfinite(y.to_numpy(dtype=np.float64, na_value=np.nan))
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


class OutOfFold:
    """A cross-fitted estimator's out-of-fold outputs under an estimator's names.

    ``predict`` and ``predict_proba`` give, for the rows the estimator was fitted on and
    in their order, each row's output from the member that left its fold out
    (``oof_output_``); the features passed are not read.
    """

    def __init__(self, est: Any) -> None:
        self.A = np.asarray(est.oof_output_)
        self.classes_ = getattr(est, "classes_", None)
        self.network_ = est.network_  # its dtype reads the features

    def predict_proba(self, X: Any) -> np.ndarray:
        """[1 − p, p] for one sigmoid column; the softmax rows as they are."""
        return np.hstack([1 - self.A, self.A]) if self.A.shape[1] == 1 else self.A

    def predict(self, X: Any) -> np.ndarray:
        return self.A[:, 0] if self.A.shape[1] == 1 else self.A

    def predict_with_proba(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        return self.predict(X), self.predict_proba(X)


def out_of_fold(model: TabularModel) -> TabularModel:
    """The cross-fitted ``model`` predicting its training rows out of fold (for metrics)."""
    return model.with_estimator(OutOfFold(model.estimator))


class InMemorySource:
    """Rows in memory: a DataFrame, with a (stratified) held-out fraction for honest metrics.

    Parameters
    ----------
    frame : DataFrame
        Features and the target column; rows without a target value are dropped.
    target : str
    validation : float in [0, 1)
        Fraction held out (stratified for classification); the estimator monitors it each
        epoch, a recipe chooses the number of epochs on it, and the held-out metrics are
        those of the model that never trained on it. A cross-fitting recipe holds no rows
        out: its held-out metrics are the out-of-fold predictions on every row.
    seed : int
        The split's seed.
    name : str
        How messages name the data (a file name).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        target: str,
        *,
        validation: float = 0.2,
        seed: int = 0,
        name: str = "the table",
    ) -> None:
        check_columns(frame, target, name)
        labelled, dropped = labelled_rows(frame, target)
        labelled = labelled.reset_index(drop=True)
        features, values = labelled.drop(columns=[target]), labelled[target]
        self._hold(
            features, values, None, target, dropped, validation=validation, seed=seed, name=name
        )

    @classmethod
    def from_arrays(cls, features: pd.DataFrame, y: np.ndarray, target: str) -> InMemorySource:
        """Features and the labels apart (a scikit-learn ``fit(X, y)``): every row trains,
        nothing is held out, and the labels are used as given."""
        source = cls.__new__(cls)
        values = pd.Series(y, name=target)
        source._hold(features, values, np.asarray(y), target, 0, validation=0.0, seed=0, name="X")
        return source

    def _hold(
        self,
        features: pd.DataFrame,
        values: pd.Series,
        labels: np.ndarray | None,
        target: str,
        dropped: int,
        *,
        validation: float,
        seed: int,
        name: str,
    ) -> None:
        self.features, self.target_values, self.labels = features, values, labels
        self.target, self.dropped = target, dropped
        self.validation, self.seed, self.name = validation, seed, name
        self.metrics: dict[str, Any] | None = None
        self.train_frame: pd.DataFrame | None = None
        self.val_frame: pd.DataFrame | None = None

    def describe(self) -> TableStats:
        stats = TableStats(target=self.target)
        stats.unlabelled_rows = self.dropped
        stats.update_target(self.target_values)
        self.stats = stats
        return stats

    def prepare(self, stats: TableStats, task: str, recipe: Recipe | None) -> TablePreprocessor:
        features = self.features
        y = self.labels if self.labels is not None else stats.labels(self.target_values)
        if self.validation > 0 and not (recipe and recipe.cross_fits(len(y), recipe.n_members)):
            try:
                f_train, f_val, y_train, y_val = train_test_split(
                    features,
                    y,
                    test_size=(
                        recipe.held_out_fraction(len(y), self.validation)
                        if recipe
                        else self.validation
                    ),
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
        self.pre = (recipe.preprocessor() if recipe else TablePreprocessor()).fit(f_train)
        return self.pre

    def train(self, model: TabularModel, recipe: Recipe | None, resume_from: Any) -> Training:
        assert self.train_frame is not None, "prepare() comes first"
        est = model.estimator
        dtype = np.float32 if est.dtype == "float32" else np.float64
        X = self.pre.transform(self.train_frame, dtype=dtype)
        y = self._network_target(model, self.y_train)
        validation_data = None
        if self.val_frame is not None:
            validation_data = (
                self.pre.transform(self.val_frame, dtype=dtype),
                self._network_target(model, self.y_val),
            )

        def score(selected: Any) -> None:
            """Score the held-out rows with the model that chose the epochs on them."""
            assert self.val_frame is not None
            held_out = model.with_estimator(selected)
            self.metrics = table_metrics(held_out, self.val_frame, self.y_val)

        if recipe is not None:  # the recipe's numerical embedding
            embed(est, recipe, self.pre, X)
        if recipe is not None:
            model.estimator = est = recipe.fit(
                est,
                X,
                y,
                validation_data=validation_data,
                on_selected=score,
                resume_from=resume_from,
            )
        else:
            fit_within(est, X, y, validation_data=validation_data, resume_from=resume_from)
        trainer = getattr(est, "trainer_", None)  # L-BFGS has no Trainer
        stop_reason = trainer.stop_reason if trainer is not None else None
        interrupted = bool(trainer is not None and trainer.interrupted)
        extra = {}
        if hasattr(est, "member_epochs_"):  # cross-fitted: the latest member's best epoch
            extra["cross_fit_epochs"] = est.selected_epochs_
        elif hasattr(est, "selected_epochs_"):
            extra["refit_epochs"] = est.selected_epochs_
        rows = len(self.y_train) + (
            len(self.y_val) if "refit_epochs" in extra and validation_data else 0
        )
        return Training(rows, stop_reason, interrupted, extra)

    @staticmethod
    def _network_target(model: TabularModel, y: np.ndarray) -> np.ndarray:
        return model.scaling.forward(y) if model.task == "regression" else y

    def held_out(self, model: TabularModel) -> dict[str, Any]:
        if self.val_frame is None:
            cross_fitted = hasattr(model.estimator, "oof_output_")
            if self.validation > 0 and cross_fitted and self.train_frame is not None:
                return table_metrics(out_of_fold(model), self.train_frame, self.y_train)
            return {}
        if self.metrics is not None:  # scored before the refit that trained on these rows
            return self.metrics
        return table_metrics(model, self.val_frame, self.y_val)
