"""The trained network as a lucidnet model file, for ``lucidnet.load`` and ``lucidnet predict``.

``lucidnet predict model.safetensors data.csv`` takes a *table model*: the network plus a
declarative preprocessing (each numeric column standardised, x ← (x − mean) / scale) and
the classes or the target's scaling. The file is written by ``lucidnet.save`` as a
``TabularModel``; the playground's tests load it and run ``predict`` on it.

What that layout can express, and so what the file holds:

- inputs x1 and x2 only: exactly the page's model. The page feeds the network
  u = (x − mean) / scale, which is the table's standardisation.
- derived inputs (x1², x1·x2, sin x1, ...) on: the preprocessing has no squares or sines,
  so the file takes those inputs as columns of their own, named after what they hold
  (``u1^2``, ``u1*u2``, ``sin(3*u1)``, with u the standardised x), passed through as they
  are (mean 0, scale 1). A CSV must carry them; the note says how to compute them.
- a binary softmax output (two units) is saved as the single sigmoid unit it equals:
  softmax(z)₁ = σ(z₁ − z₀), so w = W[L]₁ − W[L]₀ and b = b[L]₁ − b[L]₀, the same outputs.
- outputs that no estimator has (identity on class labels, K sigmoids on K classes) are
  saved as a bare network: ``lucidnet.load`` gives the Network, ``predict`` refuses it.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

from lucidnet.core import Network
from lucidnet.estimators import MLPClassifier, MLPRegressor
from lucidnet.playground.session import Session
from lucidnet.tables import TablePreprocessor, TabularModel, save

__all__ = ["model_file"]

_DERIVED_COLUMNS = {
    "x1sq": "u1^2",
    "x2sq": "u2^2",
    "x1x2": "u1*u2",
    "sinx1": "sin(3*u1)",
    "sinx2": "sin(3*u2)",
}


def model_file(session: Session) -> tuple[bytes, str, str]:
    """The session's network as model-file bytes, a file name, and a note for the user."""
    kind, model, note = _describe(session)
    name = f"playground-{session.config.dataset}-{kind}.safetensors"
    note = note.replace("{file}", name)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.safetensors")
        save(model, path)
        with open(path, "rb") as f:
            data = f.read()
    return data, name, note


def _describe(session: Session) -> tuple[str, Network | TabularModel, str]:
    c, d = session.config, session.data
    net = session.net.copy()
    task, L = d.task, net.L
    if task == "binary" and net.output.name == "softmax":
        w = net.W[L][1:2] - net.W[L][0:1]
        b = net.b[L][1:2] - net.b[L][0:1]
        Ws = [net.W[l] for l in range(1, L)] + [w]
        bs = [net.b[l] for l in range(1, L)] + [b]
        net = Network.from_parameters(Ws, bs, [*net.activation_names[:-1], "sigmoid"])
    expressible = (
        (task == "binary" and net.output.name == "sigmoid" and net.n[L] == 1)
        or (task == "multiclass" and net.output.name == "softmax")
        or (task == "regression" and net.output.name == "identity")
    )
    if not expressible:
        note = (
            f"A {net.output.name} output on {task} labels is not a model that 'lucidnet "
            "predict' knows (it takes a sigmoid or softmax classifier or an identity "
            "regressor), so the file holds the bare network: lucidnet.load gives the "
            "Network, whose inputs are the page's features."
        )
        return "network", net, note
    columns, mean, scale = [], [], []
    linear = {"x1": 0, "x2": 1}
    for f in c.features:
        if f in linear:
            j = linear[f]
            columns.append(d.names[j])
            mean.append(d.mean[j])
            scale.append(d.scale[j])
        else:
            columns.append(_DERIVED_COLUMNS[f])
            mean.append(0.0)
            scale.append(1.0)
    params: dict[str, Any] = dict(
        hidden_layer_sizes=tuple(c.hidden),
        activation=c.activation,
        solver=c.optimizer,
        alpha=c.l2,
        batch_size=c.batchSize,
        learning_rate_init=c.learningRate,
        max_iter=max(1, session.epoch),
        random_state=c.seed,
        dropout=c.dropout or None,
    )
    is_classifier = task != "regression"
    est = MLPClassifier(**params) if is_classifier else MLPRegressor(**params)
    targets = _labels(d.classes) if is_classifier else np.zeros(1)
    est.prepare_fit(len(columns), targets, dtype=net.dtype)
    est.network_ = net  # the page's trained network, in the estimator's place
    est.n_iter_, est.t_ = session.epoch, session.steps
    train, test = session.losses()
    pre = TablePreprocessor(
        columns=columns,
        numeric=columns,
        median=np.asarray(mean, dtype=np.float64),
        mean=np.asarray(mean, dtype=np.float64),
        scale=np.asarray(scale, dtype=np.float64),
    )
    metrics = {
        "source": "lucidnet playground",
        "dataset": c.dataset,
        "epochs": session.epoch,
        "train_loss": train,
        "test_loss": test,
    }
    model = TabularModel(
        pre,
        est,
        d.names[2],
        "classification" if is_classifier else "regression",
        metrics,
        target_mean=session.y_mean,
        target_scale=session.y_scale,
    )
    derived = [f for f in c.features if f in _DERIVED_COLUMNS]
    if derived:
        note = (
            "The derived inputs cannot be written as a table model's preprocessing (it only "
            "standardises columns), so the file takes them as columns of their own: "
            + ", ".join(_DERIVED_COLUMNS[f] for f in derived)
            + f", with u1 = ({d.names[0]} − {d.mean[0]:.6g}) / {d.scale[0]:.6g} and "
            f"u2 = ({d.names[1]} − {d.mean[1]:.6g}) / {d.scale[1]:.6g}. Add them to a CSV "
            "before 'lucidnet predict'."
        )
    else:
        note = (
            "A table model: 'lucidnet predict {file} data.csv' takes a CSV with the "
            f"column(s) {', '.join(columns)}."
        )
    return "table", model, note


def _labels(classes: list[str]) -> np.ndarray:
    """Class labels as ints when every one is an integer, else as text."""
    try:
        ints = [int(v) for v in classes]
    except ValueError:
        return np.asarray(classes, dtype=str)
    if [str(i) for i in ints] == classes:
        return np.asarray(ints, dtype=np.int64)
    return np.asarray(classes, dtype=str)
