"""The main job on bundled data: two half-moons, and scikit-learn's breast-cancer table.

Each problem is split into training rows and held-out test rows (25 %, stratified), the
inputs are standardised on the training rows, and a :class:`~lucidnet.training.Trainer`
fits the network with Adam, holding out a stratified 20 % of the training rows for
validation, with early stopping on the validation loss (the best epoch's weights are
restored) and a live progress bar. The per-epoch history and the test accuracy follow.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer, make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from lucidnet.core.network import Network
from lucidnet.training import EarlyStopping, History, Trainer

__all__ = ["run_demo"]


def accuracy(Y: np.ndarray, A: np.ndarray) -> float:
    """The share of rows whose predicted class (ŷ ≥ 0.5) matches the 0/1 target."""
    return float(np.mean((A >= 0.5) == (Y == 1)))


def _train_and_report(
    title: str,
    X: np.ndarray,
    y: np.ndarray,
    hidden: list[int],
    activation: str,
    epochs: int,
    learning_rate: float,
    patience: int,
    seed: int,
) -> float:
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    net = Network([X.shape[1], *hidden, 1], hidden_activation=activation, seed=seed)
    print(f"\n== {title}: {X_train.shape[0]} training rows, {X_test.shape[0]} held out ==")
    print(f"{net}, {net.n_parameters} parameters", flush=True)
    trainer = Trainer(
        net,
        optimizer="adam",
        learning_rate=learning_rate,
        batch_size=32,
        early_stopping=EarlyStopping(patience=patience),
        seed=seed,
        verbose=1,
    )
    trainer.fit(
        X_train,
        y_train.astype(float)[:, None],
        epochs=epochs,
        validation_fraction=0.2,
        stratify=y_train,
        metrics={"acc": accuracy},
    )
    _print_history(trainer.history, trainer.best_epoch)
    print(f"stopped: {trainer.stop_reason or f'{epochs} epochs done'}")
    print(f"kept the weights of epoch {trainer.best_epoch} (lowest validation loss)")
    test_accuracy = accuracy(y_test[:, None], net.predict_output(X_test.T).T)
    print(f"held-out accuracy: {test_accuracy:.3f}")
    return test_accuracy


def _print_history(history: History, best_epoch: int | None, rows: int = 10) -> None:
    """About ``rows`` evenly spaced epochs, plus the first, the best and the last."""
    n = len(history)
    step = max(1, n // rows)
    shown = sorted({1, n, *(best_epoch or 1,), *range(step, n + 1, step)})
    print(f"{'epoch':>6}{'loss':>10}{'val_loss':>10}{'val_acc':>9}{'lr':>9}{'seconds':>9}")
    for epoch in shown:
        r = history.records[epoch - 1]
        mark = "  * best" if epoch == best_epoch else ""
        print(
            f"{epoch:>6}{r['loss']:>10.4f}{r['val_loss']:>10.4f}{r['val_acc']:>9.3f}"
            f"{r['lr']:>9.2g}{r['seconds']:>9.3f}{mark}"
        )


def run_demo(seed: int = 0) -> dict[str, float]:
    """Train on the moons and on breast cancer; print the training and held-out accuracy."""
    X_moons, y_moons = make_moons(n_samples=1000, noise=0.2, random_state=seed)
    cancer = load_breast_cancer()
    results = {
        "moons": _train_and_report(
            "two half-moons", X_moons, y_moons, [16, 16], "tanh", 300, 0.01, 30, seed
        ),
        "breast_cancer": _train_and_report(
            "breast cancer (scikit-learn)",
            cancer.data,
            cancer.target,
            [16],
            "relu",
            300,
            1e-3,
            20,
            seed,
        ),
    }
    return results
