"""learning_curves and gradient_norms read every form a history comes in."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet.plot import gradient_norms, learning_curves
from lucidnet.plot.curves import history_columns


def line_labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def test_dict_of_lists_marks_the_best_validation_epoch():
    history = {
        "loss": [1.0, 0.6, 0.4, 0.3, 0.2],
        "val_loss": [1.1, 0.7, 0.5, 0.6, 0.7],
        "val_accuracy": [0.5, 0.7, 0.8, 0.8, 0.79],
    }
    fig = learning_curves(history)
    loss_ax, metric_ax = fig.axes
    assert "best validation epoch 3 (val_loss 0.5)" in loss_ax.get_title()
    assert {"training loss", "validation loss", "best epoch (3)"} <= set(line_labels(loss_ax))
    assert "validation accuracy" in line_labels(metric_ax)
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel()) == ("epoch", "loss J")
    assert metric_ax.get_xlabel() == "epoch"


def test_history_like_object_and_estimator(fake_history, moons_estimator):
    records = [
        {"epoch": 1, "loss": 0.9, "val_loss": 1.0, "val_score": 0.6, "score": 0.62, "lr": 0.1},
        {"epoch": 2, "loss": 0.5, "val_loss": 0.7, "val_score": 0.8, "score": 0.85, "lr": 0.1},
        {"epoch": 3, "loss": 0.3, "lr": 0.1},  # no validation this epoch
    ]
    fig = learning_curves(fake_history(records))
    loss_ax, metric_ax = fig.axes
    assert "best validation epoch 2" in loss_ax.get_title()
    assert {"validation score", "training score"} <= set(line_labels(metric_ax))
    fig = learning_curves(moons_estimator)  # reads history_
    assert len(fig.axes) == 2


def test_best_epoch_from_a_metric_without_val_loss():
    fig = learning_curves({"loss": [3.0, 2.0, 1.0], "val_score": [0.2, 0.9, 0.5]})
    assert "best validation epoch 2 (val_score 0.9)" in fig.axes[0].get_title()
    fig = learning_curves({"loss": [3.0, 2.0, 1.0], "val_mse": [0.2, 0.1, 0.5]})
    assert "best validation epoch 2 (val_mse 0.1)" in fig.axes[0].get_title()


def test_loss_only_gives_one_axes_and_one_given_ax_gets_the_losses():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    assert len(learning_curves([0.9, 0.5, 0.2]).axes) == 1
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    assert learning_curves({"loss": [1, 0.5], "val_score": [0.3, 0.4]}, ax=ax) is fig
    assert len(fig.axes) == 1


def test_history_columns_fills_missing_entries_with_nan():
    columns = history_columns([{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5}])
    assert columns["loss"].tolist() == [1.0, 0.5]
    assert columns["val_loss"][0] == 2.0 and np.isnan(columns["val_loss"][1])


def test_history_errors():
    with pytest.raises(ValueError, match="needs a 'loss' or 'val_loss' column"):
        learning_curves({"lr": [0.1, 0.1]})
    with pytest.raises(ValueError, match="one value per epoch"):
        learning_curves({"loss": [1.0, 0.5], "val_loss": [1.0]})
    with pytest.raises(TypeError, match="Expected a history"):
        learning_curves(3.0)


def test_gradient_norms_from_a_dict_uses_a_log_scale():
    fig = gradient_norms({1: [1e-4, 1e-5, 1e-6], 2: [1e-2, 1e-3, 1e-3], 3: [0.1, 0.05, 0.0]})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert line_labels(ax) == ["layer 1", "layer 2", "layer 3"]
    assert ax.get_xlabel() == "epoch" and "gradient norm" in ax.get_ylabel()


def test_gradient_norms_from_history_records(fake_history):
    records = [
        {"epoch": e, "loss": 1.0 / e, "grad_norm[1]": 0.1 / e, "grad_norm[2]": 1.0 / e}
        for e in range(1, 6)
    ]
    for source in (records, fake_history(records)):
        ax = gradient_norms(source).axes[0]
        assert line_labels(ax) == ["layer 1", "layer 2"]
        np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1, 2, 3, 4, 5])


def test_gradient_norms_without_norms_says_which_keys_it_wants():
    with pytest.raises(ValueError, match=r"grad_norm\[1\]"):
        gradient_norms([{"loss": 1.0}])
