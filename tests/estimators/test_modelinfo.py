"""An estimator's model-file info: a score that could not be computed is saved as absent."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

import lucidnet
from lucidnet import MLPRegressor


def test_a_regressor_validated_on_one_row_is_saved(tmp_path):
    X = np.arange(10.0).reshape(5, 2)
    y = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=3,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)  # 20 % of 5 rows: one validation row, whose R² is undefined
    assert np.isnan(est.validation_scores_).all()
    lucidnet.save(est, tmp_path / "m.safetensors")
    loaded = lucidnet.load(tmp_path / "m.safetensors")
    assert loaded.validation_scores_ is None and loaded.best_validation_score_ is None
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
