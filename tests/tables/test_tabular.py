"""TabularClassifier / TabularRegressor: the recipe on mixed tables, honestly checked."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import lucidnet
from lucidnet.core.ensemble import Ensemble
from lucidnet.tables import TablePreprocessor
from lucidnet.tables.preprocess import smooth_clip
from lucidnet.tables.tabular import TabularClassifier, TabularRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (32,), "n_members": 3, "max_epochs": 60, "patience": 6}


def _table(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "heavy": rng.standard_cauchy(size=n),  # outliers a standard scaler would chase
            "city": rng.choice(["a", "b", "c"], n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "x"] = np.nan
    signal = frame.x.fillna(0) + (frame.city == "a") - 0.5
    label = np.where(signal > 0, "yes", "no")
    value = 3 * frame.x.fillna(0) + 2 * (frame.city == "b") + rng.normal(scale=0.1, size=n)
    return frame, label, value.to_numpy()


def test_the_classifier_learns_a_mixed_table_and_refits_on_all_rows():
    frame, label, _ = _table()
    clf = TabularClassifier(cross_fit=False, random_state=0, **FAST).fit(frame[:450], label[:450])
    assert list(clf.classes_) == ["no", "yes"]
    assert clf.score(frame[450:], label[450:]) > 0.85
    proba = clf.predict_proba(frame[450:])
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    est = clf.estimator_
    assert isinstance(est.network_, Ensemble) and est.network_.K == 3
    # the refit ran the chosen number of epochs on every row, without a held-out part
    assert est.n_iter_ == est.selected_epochs_ and not est.early_stopping
    assert clf.selected_epochs_ == est.selected_epochs_ == clf.model_.metrics["refit_epochs"]
    assert est.trainer_.history.records[-1].get("val_loss") is None
    np.testing.assert_allclose(
        np.exp(clf.predict_log_proba(frame[450:])), proba, rtol=1e-5, atol=1e-7
    )


def test_without_refit_the_held_out_rows_stay_out():
    frame, label, _ = _table()
    clf = TabularClassifier(cross_fit=False, refit=False, random_state=0, **FAST).fit(frame, label)
    assert clf.estimator_.early_stopping and not hasattr(clf.estimator_, "selected_epochs_")
    # the epochs chosen in the first phase: that model's best epoch, its weights restored
    assert clf.selected_epochs_ == clf.estimator_.trainer_.best_epoch >= 1


def test_the_regressor_predicts_in_the_targets_units():
    frame, _, value = _table(seed=1)
    reg = TabularRegressor(random_state=0, **FAST).fit(frame[:450], value[:450] * 100 + 5000)
    assert reg.score(frame[450:], value[450:] * 100 + 5000) > 0.8
    assert abs(np.mean(reg.predict(frame[450:])) - 5000) < 100


def test_a_time_limit_keeps_the_best_model_so_far():
    frame, label, _ = _table(n=3000)
    start = time.perf_counter()
    params = {**FAST, "max_epochs": 10_000, "patience": 10_000, "time_limit": 1.0}
    clf = TabularClassifier(random_state=0, **params).fit(frame, label)
    assert time.perf_counter() - start < 10  # the limit, plus set-up and one batch per phase
    assert clf.score(frame, label) > 0.7


def test_the_table_model_round_trips_through_a_model_file(tmp_path):
    frame, label, _ = _table()
    clf = TabularClassifier(random_state=0, **FAST).fit(frame, label)
    lucidnet.save(clf.table_model("label"), tmp_path / "m.safetensors")
    model = lucidnet.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(model.predict_proba(frame), clf.predict_proba(frame))
    assert model.preprocessor.scaling == "robust" and model.preprocessor.indicators == ["x"]


def test_robust_preprocessing_is_bounded_and_declarative():
    frame, _, _ = _table()
    pre = TablePreprocessor(scaling="robust", missing_indicators=True).fit(frame)
    X = pre.transform(frame)
    assert np.all(np.abs(X[:, :2]) < 3)  # the smooth clip bounds every number by 3
    assert pre.feature_names_out[:3] == ["x", "heavy", "x=missing"]
    np.testing.assert_array_equal(X[:, 2], frame.x.isna().to_numpy(dtype=float))
    again = TablePreprocessor.from_state(*pre.to_state())
    np.testing.assert_array_equal(again.transform(frame), X)
    z = np.array([-100.0, -3.0, 0.0, 0.1, 3.0])
    np.testing.assert_allclose(smooth_clip(z), z / np.sqrt(1 + (z / 3) ** 2))
    assert smooth_clip(np.array([0.01]))[0] == pytest.approx(0.01, rel=1e-5)


def test_scikit_learn_can_clone_and_validates_parameters():
    clf = TabularClassifier(n_members=2)
    assert clone(clf).get_params()["n_members"] == 2
    frame, label, _ = _table(n=50)
    with pytest.raises(ValueError, match="n_members"):
        TabularClassifier(n_members=0).fit(frame, label)
