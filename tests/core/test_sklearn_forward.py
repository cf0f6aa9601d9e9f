"""The forward pass equals scikit-learn's MLPClassifier given the same weights.

scikit-learn is an independent implementation of the same network: its ``coefs_[l]`` is
our W[l+1].T (it multiplies rows of X from the right) and ``intercepts_[l]`` our b[l+1].
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier

from lucidnet import Network

SKLEARN_TO_LUCIDNET = {
    "relu": "relu",
    "tanh": "tanh",
    "logistic": "sigmoid",
    "identity": "identity",
}


def fitted(activation: str, n_classes: int) -> tuple[MLPClassifier, np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=60,
        n_features=5,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )
    clf = MLPClassifier(
        hidden_layer_sizes=(6, 4), activation=activation, max_iter=5, random_state=0
    )
    clf.fit(X, y)
    return clf, X, y


def as_network(clf: MLPClassifier, output: str) -> Network:
    hidden = SKLEARN_TO_LUCIDNET[clf.activation]
    L = len(clf.coefs_)
    return Network.from_parameters(
        [c.T for c in clf.coefs_],
        clf.intercepts_,
        activations=[hidden] * (L - 1) + [output],
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("activation", list(SKLEARN_TO_LUCIDNET))
def test_binary_forward_equals_predict_proba(activation):
    clf, X, _ = fitted(activation, n_classes=2)
    assert clf.out_activation_ == "logistic"
    net = as_network(clf, "sigmoid")
    A_L = net.predict_output(X.T)
    assert A_L.shape == (1, X.shape[0])
    np.testing.assert_allclose(A_L[0], clf.predict_proba(X)[:, 1], rtol=0, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("activation", list(SKLEARN_TO_LUCIDNET))
def test_multiclass_forward_equals_predict_proba(activation):
    clf, X, _ = fitted(activation, n_classes=3)
    assert clf.out_activation_ == "softmax"
    net = as_network(clf, "softmax")
    A_L = net.predict_output(X.T)
    assert A_L.shape == (3, X.shape[0])
    np.testing.assert_allclose(A_L.T, clf.predict_proba(X), rtol=0, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_cost_equals_sklearn_loss_with_the_same_l2_penalty():
    # scikit-learn's loss_ after an epoch is not at the final weights, so compare the
    # formula instead: J = mean log-loss + (alpha / 2B) Σ‖W‖², as in MLPClassifier.
    from sklearn.metrics import log_loss

    clf, X, y = fitted("tanh", n_classes=3)
    net = as_network(clf, "softmax")
    Y = np.eye(3)[:, np.searchsorted(clf.classes_, y)]  # one-hot columns
    alpha = 0.5
    B = X.shape[0]
    penalty = alpha / (2 * B) * sum(np.sum(c * c) for c in clf.coefs_)
    expected = log_loss(Y.T, clf.predict_proba(X)) + penalty
    assert abs(net.cost(net.forward(X.T), Y, alpha) - expected) < 1e-12
