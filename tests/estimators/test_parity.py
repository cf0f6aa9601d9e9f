"""Parity with scikit-learn's MLP on the datasets that ship with scikit-learn.

Same hyperparameters, same splits, 5 seeds: lucidnet's mean held-out score must be at
least scikit-learn's minus 0.01.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import lucidnet

SEEDS = range(5)
CASES = {
    "breast_cancer": (load_breast_cancer, "classifier", {}),
    "wine": (load_wine, "classifier", {}),
    "digits": (load_digits, "classifier", {}),
    "iris": (load_iris, "classifier", {"max_iter": 500}),
    "diabetes": (load_diabetes, "regressor", {"max_iter": 500, "learning_rate_init": 0.01}),
}


def _mean_score(module, kind, loader, params):
    X, y = loader(return_X_y=True)
    if kind == "regressor":
        y = (y - y.mean()) / y.std()
    Est = getattr(module, "MLPClassifier" if kind == "classifier" else "MLPRegressor")
    scores = []
    for seed in SEEDS:
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed)
        model = make_pipeline(StandardScaler(), Est(random_state=seed, **params))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_tr, y_tr)
        scores.append(model.score(X_te, y_te))
    return float(np.mean(scores))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_held_out_score_at_least_sklearn_minus_001(name):
    loader, kind, params = CASES[name]
    ours = _mean_score(lucidnet, kind, loader, params)
    theirs = _mean_score(neural_network, kind, loader, params)
    print(f"{name}: lucidnet {ours:.4f}  scikit-learn {theirs:.4f}")
    assert ours >= theirs - 0.01, f"{name}: lucidnet {ours:.4f} < scikit-learn {theirs:.4f} - 0.01"
