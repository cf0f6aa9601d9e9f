"""engine="jax" through the public estimators: the same fit as engine="numpy", to rounding."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression

from lucidnet import MLPClassifier, MLPRegressor, TabularClassifier

pytest.importorskip("jax")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    return X.astype(np.float32), y


def test_classifier_fits_alike_on_both_engines(classification):
    X, y = classification
    kwargs = {"hidden_layer_sizes": (16,), "max_iter": 5, "batch_size": 64, "random_state": 0}
    fitted = {e: MLPClassifier(**kwargs, engine=e).fit(X, y) for e in ("numpy", "jax")}
    a, b = fitted["numpy"], fitted["jax"]
    assert a.n_iter_ == b.n_iter_ == 5 and a.t_ == b.t_
    np.testing.assert_allclose(b.loss_curve_, a.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), atol=1e-4)
    assert clone(b).get_params()["engine"] == "jax"


def test_regressor_with_early_stopping_on_the_jax_engine():
    X, y = make_regression(200, 4, noise=1.0, random_state=1)
    kwargs = {"hidden_layer_sizes": (8,), "max_iter": 300, "early_stopping": True,
              "n_iter_no_change": 3, "random_state": 0, "learning_rate_init": 0.05,
              "dtype": "float64"}  # fmt: skip
    a = MLPRegressor(**kwargs).fit(X, y)
    b = MLPRegressor(**kwargs, engine="jax").fit(X, y)
    assert a.n_iter_ == b.n_iter_ < 300
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-7, atol=1e-7)


def test_what_the_jax_engine_does_not_run_is_named(classification):
    X, y = classification
    with pytest.raises(ValueError, match="engine='jax' compiles the minibatch solvers"):
        MLPClassifier(solver="lbfgs", engine="jax").fit(X, y)
    with pytest.raises(ValueError, match="'engine' parameter of MLPClassifier must be a str"):
        MLPClassifier(engine="torch").fit(X, y)


def test_the_tabular_recipe_on_the_jax_engine(classification):
    X, y = classification
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    kwargs = {"max_epochs": 6, "n_members": 2, "random_state": 0}
    a = TabularClassifier(**kwargs).fit(frame, y)
    b = TabularClassifier(**kwargs, engine="jax").fit(frame, y)
    assert b.estimator_.engine == "jax"
    assert a.estimator_.n_iter_ == b.estimator_.n_iter_
    np.testing.assert_allclose(b.predict_proba(frame), a.predict_proba(frame), atol=1e-3)
