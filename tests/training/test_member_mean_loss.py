"""An ensemble's logged losses are per network: the mean of its members' own losses."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import MLPClassifier, MLPRegressor


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_the_epoch_loss_is_the_mean_of_the_members_losses(Estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    y = (X[:, 0] > 0).astype(int) if Estimator is MLPClassifier else X[:, 0] + X[:, 1]
    # one full-batch step so small that the weights after it are the weights before
    est = Estimator(
        (6,), n_members=3, solver="sgd", momentum=0.0, learning_rate_init=1e-12,
        batch_size=80, max_iter=1, alpha=0.0, random_state=0,
    )  # fmt: skip
    est.fit(X, y, validation_data=(X[:40], y[:40]))
    net = est.network_
    Y = est.encode_targets(y).astype(net.dtype)
    Y_val = Y[:40]

    def mean_cost(X_rows, Y_rows):
        members = [net.member(k) for k in range(net.K)]
        return np.mean([float(m.cost(m.forward(X_rows.T), Y_rows.T)) for m in members])

    assert est.history_["loss"][0] == pytest.approx(mean_cost(X, Y), rel=1e-9)
    assert est.history_["val_loss"][0] == pytest.approx(mean_cost(X[:40], Y_val), rel=1e-9)
    assert est.loss_ == est.history_["loss"][0]
