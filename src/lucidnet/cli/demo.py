"""The main job on bundled data: two half-moons, and scikit-learn's breast-cancer table.

Each problem is split into training rows and held-out test rows (25 %, stratified). The
inputs are imputed and standardised on the training rows (:class:`TablePreprocessor`),
and an :class:`~lucidnet.MLPClassifier` trains with Adam, holding out a stratified 20 %
of the training rows for validation, with early stopping on the validation loss (the
best epoch's weights are restored) and a live progress bar. Then the per-epoch history,
the held-out metrics, and a report folder: ``report.html`` with the pictures (learning
curves, decision boundary, the learned feature map with the head's straight line, layer
diagnostics, gradient norms, the identity collapse), the PNGs, and the saved models.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from lucidnet.estimators import MLPClassifier
from lucidnet.tables import TablePreprocessor, TabularModel, save
from lucidnet.training import GradientNormRecorder, History

__all__ = ["classification_section", "run_demo"]


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
            f"{epoch:>6}{r['loss']:>10.4f}{r['val_loss']:>10.4f}{r['val_score']:>9.3f}"
            f"{r['lr']:>9.2g}{r['seconds']:>9.3f}{mark}"
        )


def held_out_metrics(model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Accuracy, log-loss and ROC-AUC of a fitted classifier on (X, y)."""
    proba = model.predict_proba(X)
    out = {
        "held-out accuracy": float(skm.accuracy_score(y, model.predict(X))),
        "held-out log-loss": float(skm.log_loss(y, proba, labels=model.classes_)),
    }
    if len(model.classes_) == 2:
        out["held-out ROC-AUC"] = float(skm.roc_auc_score(y == model.classes_[1], proba[:, 1]))
    return out


def classification_section(
    title: str,
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    metrics: dict[str, Any],
    rows: tuple[str, str] = ("held-out rows", "held-out rows, which the model never trained on"),
) -> dict[str, Any]:
    """A report section for a fitted classifier on preprocessed (X, y): metrics, pictures.

    ``rows`` says which rows (X, y) are, short (in the figures' names) and in full (in
    the feature map's caption): held out, or rows the model trained on.
    """
    import lucidnet.plot as plot

    figures: dict[str, Any] = {"learning curves": plot.learning_curves(model)}
    if X.shape[1] == 2:
        figures["decision boundary"] = plot.decision_boundary(model, X, y)
    if model.network_.L > 1 and model.target_type_ != "multilabel-indicator":
        K = model.network_.K
        caption = f"Points: the {len(y)} {rows[1]}."
        if K > 1:  # an ensemble: the lecture's pictures of one member (a bare network)
            member = model.network_.member(0)
            codes = np.searchsorted(model.classes_, y)
            caption += (
                f" Member 1 of the ensemble's {K} networks: each member learns its own "
                f"features φ; the ensemble predicts the mean of the {K} members' probabilities."
            )
            figures[f"feature map (member 1 of {K}, {rows[0]})"] = plot.feature_map(
                member, X, codes, caption=caption
            )
            figures[f"layer diagnostics (member 1 of {K})"] = plot.layer_diagnostics(member, X)
        else:
            figures[f"feature map ({rows[0]})"] = plot.feature_map(model, X, y, caption=caption)
            figures["layer diagnostics"] = plot.layer_diagnostics(model, X)
    if "grad_norm[1]" in model.history_.keys():
        figures["gradient norms"] = plot.gradient_norms(model.history_)
    best = model.trainer_.best_epoch
    chosen = getattr(model, "selected_epochs_", None)
    text = f"{model.network_}: trained {model.n_iter_} epochs" + (
        ", the number chosen on held-out training rows, then refit on all of them."
        if chosen
        else (f" (weights of epoch {best} kept, by early stopping)." if best else ".")
    )
    return {
        "heading": title,
        "text": text,
        "metrics": metrics,
        "summary": model,
        "figures": figures,
    }


def _train(
    title: str,
    frame: pd.DataFrame,
    y: np.ndarray,
    hidden: tuple[int, ...],
    activation: str,
    learning_rate: float,
    patience: int,
    seed: int,
) -> tuple[TabularModel, np.ndarray, np.ndarray, dict[str, float]]:
    f_train, f_test, y_train, y_test = train_test_split(
        frame, y, test_size=0.25, random_state=seed, stratify=y
    )
    pre = TablePreprocessor().fit(f_train)
    X_train, X_test = pre.transform(f_train), pre.transform(f_test)
    clf = MLPClassifier(
        hidden,
        activation=activation,
        learning_rate_init=learning_rate,
        batch_size=32,
        max_iter=300,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=patience,
        random_state=seed,
        verbose=1,
        callbacks=[GradientNormRecorder()],
    )
    print(f"\n== {title}: {len(y_train)} training rows, {len(y_test)} held out ==")
    print(f"inputs: {pre.describe()}", flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    print(f"{clf.network_}, {clf.network_.n_parameters} parameters")
    _print_history(clf.history_, clf.trainer_.best_epoch)
    print(f"stopped: {clf.trainer_.stop_reason or f'{clf.max_iter} epochs done'}")
    metrics = held_out_metrics(clf, X_test, y_test)
    for name, value in metrics.items():
        print(f"{name}: {value:.3f}")
    model = TabularModel(pre, clf, "label", "classification", metrics=metrics)
    return model, X_test, y_test, metrics


def _collapse_section(seed: int) -> dict[str, Any]:
    """An all-identity network is one linear model: the picture that shows it."""
    import lucidnet.plot as plot

    X, y = make_moons(n_samples=300, noise=0.2, random_state=seed)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    clf = MLPClassifier(
        (8, 8), activation="identity", learning_rate_init=0.01, max_iter=200, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    W, _ = clf.network_.collapse_linear()
    return {
        "heading": "Depth without a non-linear g buys nothing",
        "text": (
            f"{clf.network_} with identity hidden layers equals one linear layer "
            f"W = W[3] W[2] W[1] of shape {W.shape}: the same boundary, a straight line "
            f"(training accuracy {clf.score(X, y):.3f})."
        ),
        "figures": {"identity collapse": plot.collapse_comparison(clf.network_, X, y)},
    }


def run_demo(seed: int = 0, out: str | Path | None = "lucidnet-demo") -> dict[str, float]:
    """Train on the moons and on breast cancer; write the report folder ``out``.

    Returns
    -------
    dict
        Held-out accuracy per problem.
    """
    X_moons, y_moons = make_moons(n_samples=1000, noise=0.2, random_state=seed)
    moons = pd.DataFrame(X_moons, columns=["x1", "x2"])
    cancer = load_breast_cancer(as_frame=True)
    runs = {
        "moons": _train("two half-moons", moons, y_moons, (16, 2), "tanh", 0.01, 30, seed),
        "breast_cancer": _train(
            "breast cancer (scikit-learn)",
            cancer.data,
            np.where(cancer.target == 1, "benign", "malignant"),
            (16,),
            "relu",
            1e-3,
            20,
            seed,
        ),
    }
    results = {name: run[3]["held-out accuracy"] for name, run in runs.items()}
    if out is None:
        return results
    from lucidnet.plot import write_report

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    sections = []
    for name, (model, X_test, y_test, metrics) in runs.items():
        save(model, folder / f"{name}.safetensors")
        title = "Two half-moons" if name == "moons" else "Breast cancer (scikit-learn)"
        sections.append(classification_section(title, model.estimator, X_test, y_test, metrics))
    sections.append(_collapse_section(seed))
    path = write_report(folder, "lucidnet demo", sections)
    print(f"\nreport: {path}")
    print(f"models: {folder / 'moons.safetensors'}, {folder / 'breast_cancer.safetensors'}")
    return results
