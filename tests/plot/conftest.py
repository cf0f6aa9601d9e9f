"""Small trained networks shared by the picture tests (trained once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_classification, make_moons

from lucidnet import Network, minibatch_gd


@dataclass
class Trained:
    net: Network
    X: np.ndarray
    y: np.ndarray
    costs: list[float]


@pytest.fixture(scope="session")
def moons() -> Trained:
    """[2, 16, 2, 1] tanh → sigmoid on the two moons: φ = A[2] is 2-D."""
    X, y = make_moons(200, noise=0.15, random_state=0)
    net = Network([2, 16, 2, 1], "tanh", "sigmoid", seed=0)
    costs = minibatch_gd(net, X, y.astype(float), learning_rate=0.3, epochs=250, seed=0)
    return Trained(net, X, y, costs)


@pytest.fixture(scope="session")
def blobs() -> Trained:
    """[2, 8, 3] relu → softmax on three blobs: φ = A[1] is 8-D (the PCA branch)."""
    X, y = make_blobs(200, centers=3, cluster_std=1.5, random_state=1)
    net = Network([2, 8, 3], "relu", "softmax", seed=0)
    costs = minibatch_gd(net, X, y, learning_rate=0.05, epochs=60, seed=0)
    return Trained(net, X, y, costs)


@pytest.fixture(scope="session")
def wide() -> Trained:
    """[5, 16, 8, 1] relu → sigmoid on 5 features: PCA in input space and in φ space."""
    X, y = make_classification(200, n_features=5, n_informative=3, random_state=0)
    net = Network([5, 16, 8, 1], "relu", "sigmoid", seed=0)
    costs = minibatch_gd(net, X, y.astype(float), learning_rate=0.1, epochs=80, seed=0)
    return Trained(net, X, y, costs)


class FakeHistory:
    """What the estimators' History looks like: records, and history[key] as a list."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def __getitem__(self, key: str) -> list[Any]:
        return [r.get(key) for r in self.records]


class FakeClassifier:
    """Duck-typed like the coming estimators, with string class labels."""

    def __init__(self, trained: Trained, classes: list[str]) -> None:
        self.network_ = trained.net
        self.head_ = trained.net.head
        self.classes_ = np.asarray(classes)
        self.history_ = FakeHistory(
            [
                {"epoch": i + 1, "loss": c, "val_loss": 1.1 * c, "val_score": 1.0 - c, "lr": 0.1}
                for i, c in enumerate(trained.costs)
            ]
        )

    def fit(self, X: Any, y: Any) -> FakeClassifier:  # pragma: no cover - never called
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        AL = self.network_.predict_output(np.asarray(X).T)
        return np.column_stack([1 - AL[0], AL[0]]) if AL.shape[0] == 1 else AL.T

    def transform(self, X: Any) -> np.ndarray:
        return self.network_.feature_map(np.asarray(X).T).T


@pytest.fixture(scope="session")
def moons_estimator(moons: Trained) -> FakeClassifier:
    return FakeClassifier(moons, ["no", "yes"])


@pytest.fixture()
def fake_history() -> type[FakeHistory]:
    return FakeHistory


@pytest.fixture()
def png_shape() -> Any:
    """The (height, width) in pixels of a PNG file, read back with matplotlib."""
    from matplotlib.image import imread

    def shape(path: Any) -> tuple[int, int]:
        image = imread(path)
        return int(image.shape[0]), int(image.shape[1])

    return shape
