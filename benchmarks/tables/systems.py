"""The systems of the table panel: ``name -> fit(X_train, y_train, task, seed)``.

A fit function returns a fitted object with ``predict`` (and, for classification,
``predict_proba`` and ``classes_``). :data:`SYSTEMS` holds them all; ``run.py`` runs
:data:`DEFAULT_SYSTEMS` unless ``--systems`` names others:

* ``hgb``: ``HistGradientBoostingClassifier/Regressor()`` with native categorical columns;
* ``sk-mlp``: ``MLPClassifier/MLPRegressor()`` after median imputation + standardisation of
  numbers and constant imputation + one-hot encoding of categories;
* ``lucidnet``: what ``lucidnet train data.csv --target y`` does with no options (the
  tabular recipe: ``TabularClassifier`` / ``TabularRegressor`` defaults; every table of
  the panel has at most 20,000 rows, so it is cross-fitted: member k leaves fold k of the
  rows out and picks its own epoch on it, no refit);
* ``lucidnet-crossfit``: ``cross_fit=True``, the same as ``lucidnet`` on the panel's
  tables (the name ``results/crossfit`` measured);
* ``lucidnet-refit``: ``cross_fit=False``, the epochs chosen on 20 % held out, then a
  refit on every row (the recipe's path for tables over 20,000 rows).

The ablation, each the recipe less one ingredient: ``lucidnet-1-member`` (no ensemble:
one network cannot cross-fit, so its epochs are chosen on 20 % held out, then a refit),
``lucidnet-no-refit`` (``lucidnet-refit`` less its refit: the rows that chose the epoch
never trained on), and
``lucidnet-plain-mlp``: a plain MLP, 200 epochs, standardisation, a 20 % hold-out it only
watches. ``lucidnet-plr`` and ``lucidnet-ple``: the recipe with the periodic embedding
(PLR) or the piecewise-linear encoding of its numeric columns, ``lucidnet-plr-sigma0.4``
the periodic one with frequencies drawn at σ = 0.4 (``embedding_sigma``; 0.1 by default) and
``lucidnet-ple-64`` the encoding on 64 bins (``embedding_bins``; 16 by default);
``lucidnet-plr-m{m}-d{d}``: the periodic embedding with m frequencies into d values per
column (``embedding_frequencies``, ``embedding_dim``), ``-h64`` with hidden layers
(64, 128) instead of (128, 128), ``-s0.1-1`` with half the frequencies drawn at σ = 0.1
and half at σ = 1 (``embedding_sigma=(0.1, 1.0)``), ``-s0.1x3-1`` a quarter at σ = 1
(``lucidnet-plr-m16-d8-h64-s0.1x3-1`` is the recipe's default);
``lucidnet-poisson``: the recipe with a Poisson output on count targets (whole numbers
≥ 0; other tables as ``lucidnet``); ``lucidnet-all-levels``: every level of a text column
one-hot encoded (``max_categories=None``), not only the 64 most frequent;
``lucidnet-levels-10``: also every level seen in 10 training rows or more, at most 256 per
column (``min_frequency=10, max_levels=256``);
``lucidnet-no-embedding`` and
``lucidnet-no-poisson``: the recipe less its periodic embedding or its Poisson output
(``lucidnet-poisson`` is the recipe's default); ``lucidnet-no-embedding-128``: no
embedding and hidden layers (128, 128), the recipe before its embedding. The ingredients, one at a
time on scikit-learn's MLP and on the plain MLP:

* ``sk-mlp+ty``: the regression target standardised (``TransformedTargetRegressor``);
  every ``sk-mlp+ty+...`` builds on it;
* ``+quantile``: numbers through ``QuantileTransformer(output_distribution="normal")``;
* ``+robust-clip``: numbers through ``RobustScaler`` then lucidnet's ``smooth_clip``
  (x / sqrt(1 + (x/3)²): identity near 0, bounded by ±3);
* ``+es``: early stopping on a held-out split (the best epoch's weights kept);
* ``lucidnet-plain-mlp+all-rows``: the plain MLP without its hold-out;
* ``lucidnet-plain-mlp+es``: the plain MLP stopping early on its hold-out.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from benchmarks.tables.anchors import ANCHORS
from benchmarks.tables.panel import numeric_columns

FitFunction = Callable[[pd.DataFrame, pd.Series, str, int], Any]


def categorical_columns(X: pd.DataFrame) -> list[str]:
    numeric = set(numeric_columns(X))
    return [c for c in X.columns if c not in numeric]


def _as_text(X: Any) -> np.ndarray:
    """Categorical cells as Python strings, NaN where missing (for the imputer)."""
    frame = pd.DataFrame(X)
    out = frame.astype("object").where(frame.notna(), np.nan)
    return out.map(lambda v: v if isinstance(v, float) else str(v)).to_numpy(dtype=object)


# --------------------------------------------------------------------------- references


class _Categorize(TransformerMixin, BaseEstimator):
    """Categorical columns → pandas ``category`` dtype with the categories seen in fit.

    HistGradientBoosting handles at most ``max_bins`` (255) categories natively; a column
    with more levels becomes its ordinal code (a number), as the ordinal-encoder recipe in
    scikit-learn's documentation would give. Unseen or missing categories become NaN.
    """

    def __init__(self, max_levels: int = 255) -> None:
        self.max_levels = max_levels

    def fit(self, X: pd.DataFrame, y: Any = None) -> _Categorize:
        self.categorical_ = categorical_columns(X)
        self.categories_ = {
            c: sorted({str(v) for v in X[c].dropna().unique()}) for c in self.categorical_
        }
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for c in self.categorical_:
            values = X[c].astype("object").where(X[c].notna(), None)
            values = values.map(lambda v: None if v is None else str(v))
            # categories unseen in fit become missing (NaN for the model)
            values = values.where(values.isin(self.categories_[c]), None)
            cat = pd.Categorical(values, categories=self.categories_[c])
            if len(self.categories_[c]) <= self.max_levels:
                X[c] = cat
            else:
                X[c] = np.where(cat.codes < 0, np.nan, cat.codes.astype(np.float64))
        return X


def fit_hgb(X: pd.DataFrame, y: pd.Series, task: str, seed: int) -> Any:
    """HistGradientBoosting defaults, categorical columns native (from the dtype)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import make_pipeline

    classify = task == "classification"
    Est = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
    model = make_pipeline(_Categorize(), Est(categorical_features="from_dtype", random_state=seed))
    return model.fit(X, y)


def fit_sk_mlp(
    X: pd.DataFrame,
    y: pd.Series,
    task: str,
    seed: int,
    numbers: str = "standard",
    early_stopping: bool = False,
    scale_target: bool = False,
) -> Any:
    """scikit-learn MLP defaults behind the textbook imputation/scaling/one-hot pipeline.

    ``numbers`` ("standard", "quantile" or "robust-clip"), ``early_stopping`` and
    ``scale_target`` (standardise a regression target) are the ingredient variants.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import (
        FunctionTransformer,
        OneHotEncoder,
        QuantileTransformer,
        RobustScaler,
        StandardScaler,
    )

    from lucidnet.tables.preprocess import smooth_clip

    scale: dict[str, list[Any]] = {
        "standard": [StandardScaler()],
        "quantile": [
            QuantileTransformer(
                output_distribution="normal", n_quantiles=min(1000, len(X)), random_state=seed
            )
        ],
        "robust-clip": [RobustScaler(), FunctionTransformer(smooth_clip)],
    }
    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), *scale[numbers]),
                numeric_columns(X),
            ),
            (
                "cat",
                make_pipeline(
                    FunctionTransformer(_as_text),
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical_columns(X),
            ),
        ]
    )
    if task == "classification":
        est: Any = MLPClassifier(random_state=seed, early_stopping=early_stopping)
    else:
        est = MLPRegressor(random_state=seed, early_stopping=early_stopping)
        if scale_target:
            est = TransformedTargetRegressor(est, transformer=StandardScaler())
    model = make_pipeline(pre, est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


# --------------------------------------------------------------------------- lucidnet


def fit_lucidnet(X: pd.DataFrame, y: pd.Series, task: str, seed: int, **params: Any) -> Any:
    """What ``lucidnet train data.csv --target y`` does: the tabular recipe's defaults.

    ``TabularClassifier`` / ``TabularRegressor`` with ``random_state=seed`` (``params``
    override their defaults, for the ablation systems).
    """
    from lucidnet import TabularClassifier, TabularRegressor

    Est = TabularClassifier if task == "classification" else TabularRegressor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Est(random_state=seed, **params).fit(X, y)


class _LucidnetModel:
    """A fitted ``lucidnet.tables.TabularModel`` seen through scikit-learn's names."""

    def __init__(self, model: Any) -> None:
        self.model = model
        if model.task == "classification":
            self.classes_ = np.asarray(model.classes)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict(X)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(X)


# The plain MLP of the ablation: an MLPClassifier/MLPRegressor watching a 20 % hold-out
# it never trains on, 200 epochs, no ensemble, no refit.
PLAIN_DEFAULTS: dict[str, Any] = {
    "hidden": [64, 32],
    "activation": "relu",
    "optimizer": "adam",
    "alpha": 1e-4,
    "batch_size": 64,
    "lr": 1e-3,
    "epochs": 200,
    "validation": 0.2,
    "early_stopping": None,
    "dropout": 0.0,
}


def fit_lucidnet_plain(X: pd.DataFrame, y: pd.Series, task: str, seed: int, **options: Any) -> Any:
    """A plain MLP on the table: the recipe's baseline in the ablation.

    Hold out ``validation`` (20 %, stratified) and only watch it, fit ``TablePreprocessor``
    on the other 80 %, standardise a regression target, train ``MLPClassifier`` /
    ``MLPRegressor`` for 200 epochs. ``options`` override :data:`PLAIN_DEFAULTS`.
    """
    from lucidnet.estimators import MLPClassifier, MLPRegressor
    from lucidnet.tables import TablePreprocessor, TabularModel

    o = {**PLAIN_DEFAULTS, **options}
    target = np.asarray(
        y.astype(str).to_numpy() if task == "classification" and y.dtype == object else y.to_numpy()
    )
    if o["validation"] > 0:
        f_train, f_val, y_train, y_val = train_test_split(
            X,
            target,
            test_size=o["validation"],
            random_state=seed,
            stratify=target if task == "classification" else None,
        )
    else:
        f_train, f_val, y_train, y_val = X, None, target, None
    pre = TablePreprocessor().fit(f_train)
    X_train = pre.transform(f_train)
    mean, scale = 0.0, 1.0
    if task == "regression":
        mean = float(np.mean(y_train))
        scale = float(np.std(y_train)) or 1.0
    Est = MLPClassifier if task == "classification" else MLPRegressor
    est = Est(
        hidden_layer_sizes=tuple(o["hidden"]),
        activation=o["activation"],
        solver=o["optimizer"],
        alpha=o["alpha"],
        batch_size=o["batch_size"],
        learning_rate_init=o["lr"],
        max_iter=o["epochs"],
        random_state=seed,
        early_stopping=bool(o["early_stopping"]),
        n_iter_no_change=o["early_stopping"] or np.inf,
        dropout=o["dropout"] or None,
        callbacks=None,
        verbose=0,
    )
    fit_y = y_train if task == "classification" else (y_train - mean) / scale
    validation_data = None
    if f_val is not None:
        val_y = y_val if task == "classification" else (y_val - mean) / scale
        validation_data = (pre.transform(f_val), val_y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_train, fit_y, validation_data=validation_data)
    model = TabularModel(pre, est, str(y.name), task, target_mean=mean, target_scale=scale)
    return _LucidnetModel(model)


def fit_lucidnet_estimator(
    X: pd.DataFrame, y: pd.Series, task: str, seed: int, **params: Any
) -> Any:
    """The recipe through ``fit_table`` with estimator parameters that the tabular
    estimators do not expose (``label_smoothing``); no params: the recipe as it is."""
    from lucidnet.tables import RECIPE, fit_table
    from lucidnet.tables.fit import InMemorySource

    frame = X.assign(__y__=y.to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = fit_table(InMemorySource(frame, "__y__", seed=seed), task=task, recipe=RECIPE,
                        params=params or None, seed=seed)  # fmt: skip
    return _LucidnetModel(fit.model)


# --------------------------------------------------------------------------- the registry


def _plr(
    m: int = 16,
    d: int = 16,
    sigma: float | tuple[float, ...] = 0.1,
    hidden: tuple[int, ...] = (128, 128),
) -> FitFunction:
    """The recipe with the periodic embedding of m frequencies into d values per column."""
    return partial(
        fit_lucidnet, numeric_embedding="periodic", embedding_frequencies=m, embedding_dim=d,
        embedding_sigma=sigma, hidden_layer_sizes=hidden,
    )  # fmt: skip


def _sk_mlp_ty(numbers: str = "standard", early_stopping: bool = False) -> FitFunction:
    return partial(fit_sk_mlp, numbers=numbers, early_stopping=early_stopping, scale_target=True)


SYSTEMS: dict[str, FitFunction] = {
    "hgb": fit_hgb,
    "sk-mlp": fit_sk_mlp,
    "lucidnet": fit_lucidnet,
    "lucidnet-crossfit": partial(fit_lucidnet, cross_fit=True),
    "lucidnet-refit": partial(fit_lucidnet, cross_fit=False),
    # the ablation: the recipe less one ingredient, and a plain MLP
    "lucidnet-1-member": partial(fit_lucidnet, n_members=1),
    "lucidnet-no-refit": partial(fit_lucidnet, cross_fit=False, refit=False),
    "lucidnet-plain-mlp": fit_lucidnet_plain,
    # the recipe with a numerical embedding of its numeric columns (docs/MATH.md §10)
    "lucidnet-plr": _plr(),
    "lucidnet-ple": partial(fit_lucidnet, numeric_embedding="piecewise"),
    "lucidnet-plr-sigma0.4": _plr(sigma=0.4),
    "lucidnet-plr-m8-d4": _plr(8, 4),
    "lucidnet-plr-m16-d4": _plr(16, 4),
    "lucidnet-plr-m8-d8": _plr(8, 8),
    "lucidnet-plr-m8-d4-s0.1-1": _plr(8, 4, (0.1, 1.0)),
    "lucidnet-plr-m8-d4-s0.1-0.4": _plr(8, 4, (0.1, 0.4)),
    "lucidnet-plr-h64": _plr(hidden=(64, 128)),
    "lucidnet-plr-m16-d8-h64": _plr(16, 8, hidden=(64, 128)),
    "lucidnet-plr-m8-d4-h64": _plr(8, 4, hidden=(64, 128)),
    "lucidnet-plr-h64-s0.1-1": _plr(sigma=(0.1, 1.0), hidden=(64, 128)),
    "lucidnet-plr-m16-d8-h64-s0.1-1": _plr(16, 8, (0.1, 1.0), (64, 128)),
    "lucidnet-plr-m16-d8-h64-s0.1x3-1": _plr(16, 8, (0.1, 0.1, 0.1, 1.0), (64, 128)),
    "lucidnet-plr-m16-d8-h64-s0.1-0.4": _plr(16, 8, (0.1, 0.4), (64, 128)),
    "lucidnet-ple-64": partial(fit_lucidnet, numeric_embedding="piecewise", embedding_bins=64),
    "lucidnet-poisson": partial(fit_lucidnet, count_loss="poisson"),
    "lucidnet-all-levels": partial(fit_lucidnet, max_categories=None),
    "lucidnet-levels-10": partial(fit_lucidnet, min_frequency=10, max_levels=256),
    "lucidnet-no-embedding": partial(fit_lucidnet, numeric_embedding=None),
    "lucidnet-no-embedding-128": partial(
        fit_lucidnet, numeric_embedding=None, hidden_layer_sizes=(128, 128)
    ),
    "lucidnet-no-poisson": partial(fit_lucidnet, count_loss=None),
    "lucidnet-top-levels": partial(fit_lucidnet, min_frequency=None),
    "lucidnet-estimator": fit_lucidnet_estimator,
    "lucidnet-label-smoothing": partial(fit_lucidnet_estimator, label_smoothing=0.1),
    # the ingredients, one at a time
    "sk-mlp+ty": _sk_mlp_ty(),
    "sk-mlp+ty+quantile": _sk_mlp_ty("quantile"),
    "sk-mlp+ty+robust-clip": _sk_mlp_ty("robust-clip"),
    "sk-mlp+ty+es": _sk_mlp_ty(early_stopping=True),
    "sk-mlp+ty+quantile+es": _sk_mlp_ty("quantile", early_stopping=True),
    "sk-mlp+ty+robust-clip+es": _sk_mlp_ty("robust-clip", early_stopping=True),
    "lucidnet-plain-mlp+all-rows": partial(fit_lucidnet_plain, validation=0.0),
    "lucidnet-plain-mlp+es": partial(fit_lucidnet_plain, early_stopping=10),
    # the strongest defaults (optional libraries: anchors.py)
    **ANCHORS,
}
DEFAULT_SYSTEMS = ("hgb", "sk-mlp", "lucidnet")
REFERENCES = ("hgb", "sk-mlp", "catboost", "realmlp-td")  # each compared with when it ran
