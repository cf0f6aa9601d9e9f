"""Decision boundaries in the input plane, and the lecture's §3 identity collapse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.core.network import Network
from lucidnet.plot._draw import (
    class_handles,
    draw_points,
    draw_probability_boundary,
    grid_over,
    legend_below,
    line_handle,
    shade_probabilities,
)
from lucidnet.plot._figure import figure_of, new_figure
from lucidnet.plot._model import Model, as_model, class_indices

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["collapse_comparison", "decision_boundary"]

DECISION_BOUNDARY_SIZE = (6.5, 5.6)
COLLAPSE_SIZE = (12.0, 5.8)


def check_two_features(X: Any, what: str = "decision_boundary") -> np.ndarray:
    """X as a float array of shape (n_samples, 2), or a ValueError saying how to get there."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(
            f"{what} draws the input plane, so X must have shape (n_samples, 2); got shape "
            f"{X.shape}. For wider inputs use lucidnet.plot.feature_map, which projects with PCA."
        )
    return X


def _draw_decision_boundary(
    ax: Axes,
    model: Model,
    X: np.ndarray,
    y: Any,
    *,
    resolution: int,
    feature_names: Sequence[str] | None,
    title: str,
) -> np.ndarray:
    """Shade, boundary, points and legend on ``ax``; returns the grid's probabilities."""
    classes = model.require_classifier()
    k = class_indices(y, classes)
    if k.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {k.shape[0]} labels.")
    xx, yy, grid = grid_over(X, resolution)
    P = model.predict_proba(grid)
    shade_probabilities(ax, xx, yy, P, classes)
    drawn = draw_probability_boundary(ax, xx, yy, P)
    draw_points(ax, X, k, classes)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    names = list(feature_names or model.feature_names or ["x1", "x2"])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    accuracy = float(np.mean(model.predict_proba(X).argmax(axis=1) == k))
    ax.set_title(f"{title}\naccuracy {accuracy:.1%} on these {X.shape[0]} points", fontsize=11)
    boundary = "decision boundary (p = 0.5)" if len(classes) == 2 else "decision boundary"
    handles = class_handles(classes)
    if drawn:
        handles.append(line_handle(boundary))
    legend_below(ax, handles)
    return P


def decision_boundary(
    model: Any,
    X: Any,
    y: Any,
    ax: Axes | None = None,
    resolution: int = 200,
    *,
    feature_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """The classifier's probabilities over the input plane, its boundary, and the data.

    Parameters
    ----------
    model : Network or fitted estimator
        A classifier: one sigmoid output unit (binary) or a softmax (K classes).
    X : array of shape (n_samples, 2)
        Two input features; the grid covers them with a 10 % margin.
    y : array of shape (n_samples,)
        Class labels (0..K−1 for a bare Network, ``classes_`` for an estimator).
    ax : matplotlib Axes, optional
        Draw there (a colour bar is added beside it); otherwise a new
        6.5 × 5.6 inch figure (650 × 560 pixels at dpi=100).
    resolution : int, default=200
        Grid points per axis.
    feature_names : sequence of two str, optional
        Axis labels; default ``feature_names_in_`` of an estimator, else "x1", "x2".
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or ``ax``'s figure.

    Raises
    ------
    ValueError
        When X does not have exactly two features, or the model is not a classifier.

    Notes
    -----
    Binary: the shade is P(y = classes[1]) on a diverging map and the line is its
    0.5 contour. K classes: the shade is the predicted class's colour, stronger where
    max_k P_k is higher, and the lines are where the predicted class changes.
    """
    m = as_model(model)
    X = check_two_features(X)
    if ax is None:
        fig, axes = new_figure(*DECISION_BOUNDARY_SIZE)
        ax = axes[0, 0]
    else:
        fig = figure_of(ax)
    _draw_decision_boundary(
        ax,
        m,
        X,
        y,
        resolution=resolution,
        feature_names=feature_names,
        title=title or "Decision boundary",
    )
    return fig


def collapse_comparison(net: Any, X: Any, y: Any, resolution: int = 200) -> Figure:
    """An all-identity network beside the single linear layer it collapses to (docs/MATH.md §3).

    Left: the network's decision boundary. Right: that of ŷ = g[L](W x + b) with
    (W, b) = ``net.collapse_linear()``. The suptitle gives max |ŷ_net − ŷ_collapsed| over
    the points of X and the grid: zero up to rounding.

    Parameters
    ----------
    net : Network or fitted estimator
        Every hidden layer must use the identity; the output a sigmoid unit or a softmax.
    X : array of shape (n_samples, 2)
    y : array of shape (n_samples,)
    resolution : int, default=200

    Returns
    -------
    matplotlib.figure.Figure
        12 × 5.8 inches (1200 × 580 pixels at dpi=100).

    Raises
    ------
    ValueError
        The network's own error when a hidden layer is not the identity; also for X
        without exactly two features.

    Notes
    -----
    W = W[L] ··· W[2] W[1],  b = W[L] ··· W[2] b[1] + ... + W[L] b[L-1] + b[L].
    """
    m = as_model(net)
    network = m.network
    W, b = network.collapse_linear()  # raises for a non-identity hidden layer
    X = check_two_features(X, "collapse_comparison")
    collapsed = Network.from_parameters([np.asarray(W)], [np.asarray(b)], [network.output.name])
    flat = as_model(collapsed)
    flat = Model(flat.network, flat.head, m.classes, m.feature_names, None, None)
    deep = Model(network, network.head, m.classes, m.feature_names, None, None)

    fig, axes = new_figure(*COLLAPSE_SIZE, 1, 2)
    P_deep = _draw_decision_boundary(
        axes[0, 0],
        deep,
        X,
        y,
        resolution=resolution,
        feature_names=None,
        title=f"Network {network.n}, hidden layers all identity",
    )
    g = network.output.name
    P_flat = _draw_decision_boundary(
        axes[0, 1],
        flat,
        X,
        y,
        resolution=resolution,
        feature_names=None,
        title=f"Collapsed: ŷ = {g}(W x + b),  W = W[{network.L}]···W[1]",
    )
    A0 = X.T
    on_points = np.abs(
        np.asarray(network.predict_output(A0)) - np.asarray(collapsed.predict_output(A0))
    ).max()
    difference = float(max(on_points, np.abs(P_deep - P_flat).max()))
    fig.suptitle(
        f"Identity layers collapse to one linear layer (docs/MATH.md §3): "
        f"max |ŷ_net − ŷ_collapsed| = {difference:.2e} on the data and the grid",
        fontsize=12,
    )
    return fig
