"""MLPRegressor(loss="poisson"): an exp output on counts; predictions, errors, ONNX."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from lucidnet.estimators import MLPRegressor


def _counts(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    return X, rng.poisson(np.exp(0.5 + 0.8 * X[:, 0])).astype(float)


pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)


@pytest.mark.parametrize("members", [1, 3])
def test_poisson_regressor_predicts_non_negative_rates(members):
    X, y = _counts()
    reg = MLPRegressor(
        (16,), loss="poisson", n_members=members, max_iter=80, learning_rate_init=0.01,
        random_state=0,
    )  # fmt: skip
    reg.fit(X, y)
    assert reg.network_.output.name == "exp" and reg.out_activation_ == "exp"
    p = reg.predict(X)
    assert np.all(p > 0)
    rate = np.exp(0.5 + 0.8 * X[:, 0])  # the true Poisson mean
    assert np.corrcoef(p, rate)[0, 1] > 0.95
    assert abs(np.mean(p) / np.mean(y) - 1) < 0.1


def test_negative_targets_are_refused():
    X, y = _counts(20)
    with pytest.raises(ValueError, match=r"non-negative targets.*squared_error"):
        MLPRegressor(loss="poisson").fit(X, y - 5)


def test_onnx_graph_applies_exp():
    ort = pytest.importorskip("onnxruntime")
    from lucidnet.io.onnx_export import network_to_onnx

    X, y = _counts()
    for members in (1, 2):
        reg = MLPRegressor((8,), loss="poisson", n_members=members, max_iter=5, random_state=0)
        reg.fit(X, y)
        model = network_to_onnx(reg.network_)
        session = ort.InferenceSession(model.SerializeToString())
        got = session.run(["predictions"], {"X": X.astype(np.float32)})[0][:, 0]
        np.testing.assert_allclose(got, reg.predict(X), rtol=1e-5, atol=1e-5)
