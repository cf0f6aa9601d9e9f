"""Every picture renders on Agg without warnings and saves a PNG of the documented size."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from lucidnet import Network
from lucidnet.plot import (
    collapse_comparison,
    decision_boundary,
    feature_map,
    gradient_norms,
    layer_diagnostics,
    learning_curves,
    save_figure,
)


def panels(fig):
    """The figure's plotting axes, without its colour bars."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def test_decision_boundary_binary_saves_650_by_560(moons, tmp_path, png_shape):
    fig = decision_boundary(moons.net, moons.X, moons.y)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")
    assert "accuracy" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "class 0",
        "class 1",
        "decision boundary (p = 0.5)",
    ]
    path = save_figure(fig, tmp_path / "boundary.png")
    assert path.stat().st_size > 0
    assert png_shape(path) == (560, 650)


def test_decision_boundary_multiclass_and_feature_names(blobs, tmp_path, png_shape):
    fig = decision_boundary(blobs.net, blobs.X, blobs.y, feature_names=["width", "height"])
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("width", "height")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["class 0", "class 1", "class 2"]
    assert png_shape(save_figure(fig, tmp_path / "b.png", dpi=50)) == (280, 325)


def test_decision_boundary_draws_on_a_given_ax(moons):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(8, 4))
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    assert decision_boundary(moons.net, moons.X, moons.y, ax=right, resolution=40) is fig
    assert right.get_title() and not left.get_title()


def test_decision_boundary_raises_for_three_features():
    net = Network([3, 4, 1], seed=0)
    X = np.zeros((10, 3))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\).*got shape \(10, 3\)"):
        decision_boundary(net, X, np.zeros(10))


def test_decision_boundary_needs_a_classifier():
    net = Network([2, 3, 1], output="identity", seed=0)
    with pytest.raises(ValueError, match="needs a classifier"):
        decision_boundary(net, np.zeros((4, 2)), np.zeros(4))


def test_decision_boundary_rejects_unknown_labels(moons):
    with pytest.raises(ValueError, match=r"not among the model's classes \[0, 1\]"):
        decision_boundary(moons.net, moons.X, moons.y + 5)


def test_estimator_with_string_classes(moons_estimator, moons, tmp_path, png_shape):
    labels = moons_estimator.classes_[moons.y]
    fig = decision_boundary(moons_estimator, moons.X, labels, resolution=50)
    assert "P(y = yes)" in [a.get_ylabel() for a in fig.axes]
    fig = feature_map(moons_estimator, moons.X, labels, resolution=40)
    assert png_shape(save_figure(fig, tmp_path / "fm.png")) == (600, 1200)


def test_feature_map_moons_head_line_is_the_heads_boundary(moons, tmp_path, png_shape):
    fig = feature_map(moons.net, moons.X, moons.y, resolution=60)
    left, right = panels(fig)
    assert "logistic regression" in left.get_title() and "network" in left.get_title()
    assert (right.get_xlabel(), right.get_ylabel()) == ("φ1", "φ2")
    # The black line on the right satisfies W[L] φ + b[L] = 0: the head's own boundary.
    W, b = moons.net.W[moons.net.L], moons.net.b[moons.net.L]
    (line,) = right.get_lines()
    pts = np.column_stack(line.get_data())
    pts = pts[np.isfinite(pts).all(axis=1)]
    assert len(pts) > 10
    np.testing.assert_allclose(pts @ W.T + b.T, 0.0, atol=1e-9)
    assert png_shape(save_figure(fig, tmp_path / "fm.png")) == (600, 1200)


def test_feature_map_captions_what_it_draws(moons):
    fig = feature_map(moons.net, moons.X, moons.y, resolution=20, caption="Points: held out.")
    assert fig.get_supxlabel() == "Points: held out."


def test_feature_map_says_a_line_is_not_enough_only_when_clearly_worse(moons, blobs):
    moons_title = feature_map(moons.net, moons.X, moons.y, resolution=20).axes[0].get_title()
    assert "a straight line is not enough here" in moons_title
    blobs_title = feature_map(blobs.net, blobs.X, blobs.y, resolution=20).axes[0].get_title()
    assert "a straight line does about as well" in blobs_title


def test_feature_map_softmax_pca_branch(blobs, tmp_path, png_shape):
    fig = feature_map(blobs.net, blobs.X, blobs.y, resolution=60)
    right = panels(fig)[1]
    assert right.get_xlabel() == "PC1 of φ"
    captions = [t.get_text() for t in right.texts]
    assert any("restricted to this plane" in c for c in captions)
    assert png_shape(save_figure(fig, tmp_path / "fm.png")) == (600, 1200)


def test_feature_map_wide_inputs_use_pca_on_both_sides(wide, tmp_path, png_shape):
    fig = feature_map(wide.net, wide.X, wide.y, resolution=60)
    assert fig.axes[0].get_xlabel() == "PC1 of x"
    assert panels(fig)[1].get_xlabel() == "PC1 of φ"
    assert png_shape(save_figure(fig, tmp_path / "fm.png")) == (600, 1200)


def test_feature_map_one_feature_plots_against_a_jitter(moons):
    from lucidnet import minibatch_gd

    net = Network([2, 8, 1, 1], "tanh", "sigmoid", seed=0)
    minibatch_gd(net, moons.X, moons.y.astype(float), learning_rate=0.3, epochs=30, seed=0)
    right = panels(feature_map(net, moons.X, moons.y, resolution=30))[1]
    assert right.get_ylabel() == "random jitter (no meaning)"


def test_feature_map_needs_a_hidden_layer(moons):
    with pytest.raises(ValueError, match="needs a hidden layer"):
        feature_map(Network([2, 1], seed=0), moons.X, moons.y)


def test_layer_diagnostics_one_row_per_hidden_layer(wide, tmp_path, png_shape):
    fig = layer_diagnostics(wide.net, wide.X)
    assert len(fig.axes) == 2 * (wide.net.L - 1)
    assert "dead units:" in fig.axes[0].get_title()
    assert fig.axes[0].get_xlabel() == "Z[1] (pre-activation)"
    assert png_shape(save_figure(fig, tmp_path / "layers.png")) == (570, 1000)


def test_layer_diagnostics_counts_dead_relu_units(tmp_path):
    net = Network([2, 3, 1], "relu", seed=0)
    net.b[1][0, 0] = -1e6  # unit 1 of layer 1 is ≤ 0 for every example: dead
    X = np.random.default_rng(0).normal(size=(50, 2))
    fig = layer_diagnostics(net, X)
    assert "dead units: 1 of 3 (33%)" in fig.axes[0].get_title()


def test_layer_diagnostics_tanh_has_no_dead_units_line(moons):
    titles = [ax.get_title() for ax in layer_diagnostics(moons.net, moons.X).axes]
    assert not any("dead" in t for t in titles)


def test_collapse_comparison_identity_network(moons, tmp_path, png_shape):
    from lucidnet import minibatch_gd

    net = Network([2, 4, 3, 1], "identity", "sigmoid", seed=0)
    minibatch_gd(net, moons.X, moons.y.astype(float), learning_rate=0.1, epochs=10, seed=0)
    fig = collapse_comparison(net, moons.X, moons.y, resolution=60)
    title = fig.get_suptitle()
    difference = float(title.split("= ")[-1].split()[0])
    assert difference < 1e-9
    assert png_shape(save_figure(fig, tmp_path / "collapse.png")) == (580, 1200)


def test_collapse_comparison_softmax(blobs):
    net = Network([2, 5, 3], "identity", "softmax", seed=0)
    fig = collapse_comparison(net, blobs.X, blobs.y, resolution=40)
    assert float(fig.get_suptitle().split("= ")[-1].split()[0]) < 1e-9


def test_collapse_comparison_raises_the_networks_error_for_relu(moons):
    with pytest.raises(ValueError, match="layer 1 uses 'relu'"):
        collapse_comparison(moons.net.__class__([2, 4, 1], "relu", seed=0), moons.X, moons.y)


def test_learning_curves_and_gradient_norms_sizes(moons, tmp_path, png_shape):
    fig = learning_curves({"loss": moons.costs, "val_loss": moons.costs, "val_score": moons.costs})
    assert png_shape(save_figure(fig, tmp_path / "lc.png")) == (440, 1100)
    fig = learning_curves(moons.costs)
    assert png_shape(save_figure(fig, tmp_path / "lc1.png")) == (440, 650)
    fig = gradient_norms({1: [1e-3, 1e-4], 2: [1e-2, 1e-3]})
    assert png_shape(save_figure(fig, tmp_path / "gn.png")) == (460, 700)


def test_save_figure_is_atomic_and_replaces(moons, tmp_path):
    fig = learning_curves(moons.costs)
    target = tmp_path / "sub" / "curves.png"
    save_figure(fig, target)
    first = target.read_bytes()
    save_figure(fig, target, dpi=50)
    assert target.read_bytes() != first
    assert sorted(os.listdir(target.parent)) == ["curves.png"]  # no temporary file left
    with pytest.raises(ValueError, match="dpi must be positive"):
        save_figure(fig, target, dpi=0)


def test_no_pyplot_and_lazy_matplotlib(tmp_path):
    """lucidnet.plot imports matplotlib only when drawing, and never pyplot (a fresh process)."""
    code = (
        "import sys\n"
        "import lucidnet\n"
        "before = set(sys.modules)\n"
        "import lucidnet.plot\n"
        "new = [m for m in set(sys.modules) - before if m.split('.')[0] == 'matplotlib']\n"
        "assert not new, f'import lucidnet.plot imported {new}'\n"
        "fig = lucidnet.plot.learning_curves([1.0, 0.5, 0.25])\n"
        f"lucidnet.plot.save_figure(fig, {str(tmp_path / 'x.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    env.pop("MPLBACKEND", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
