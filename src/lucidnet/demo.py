"""The main job on bundled data: two half-moons, and scikit-learn's breast-cancer table."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer, make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from lucidnet.core.network import Network
from lucidnet.training.minibatch import minibatch_gd

__all__ = ["run_demo"]


def _train_and_report(
    title: str,
    X: np.ndarray,
    y: np.ndarray,
    hidden: list[int],
    activation: str,
    epochs: int,
    learning_rate: float,
    seed: int,
) -> float:
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    net = Network([X.shape[1], *hidden, 1], hidden_activation=activation, seed=seed)
    print(f"\n== {title}: {X_train.shape[0]} training rows, {X_test.shape[0]} held out ==")
    print(f"{net}, {net.n_parameters} parameters")
    costs = minibatch_gd(
        net, X_train, y_train.astype(float), batch_size=32, learning_rate=learning_rate,
        epochs=epochs, seed=seed,
    )
    for epoch, J in enumerate(costs, start=1):
        if epoch == 1 or epoch % max(1, epochs // 10) == 0 or epoch == epochs:
            print(f"epoch {epoch:4d}  cost J = {J:.4f}")
    p = net.predict_output(X_test.T)[0]
    accuracy = float(np.mean((p >= 0.5) == (y_test == 1)))
    print(f"held-out accuracy: {accuracy:.3f}")
    return accuracy


def run_demo(seed: int = 0) -> dict[str, float]:
    """Train on the moons and on breast cancer; print costs and held-out accuracy."""
    X_moons, y_moons = make_moons(n_samples=1000, noise=0.2, random_state=seed)
    cancer = load_breast_cancer()
    results = {
        "moons": _train_and_report(
            "two half-moons", X_moons, y_moons, [16, 16], "tanh", 200, 0.1, seed
        ),
        "breast_cancer": _train_and_report(
            "breast cancer (scikit-learn)", cancer.data, cancer.target, [16], "relu", 50, 0.05, seed
        ),
    }
    return results
