"""The lecture's picture (docs/MATH.md §7): a learnable feature map plus a linear model.

Left, the data in input space, with the best straight line a linear model finds there
(logistic regression). Right, the same data mapped to the learned features φ = A[L-1],
with the head's straight line ŷ = g[L](W[L] φ + b[L]).
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.plot._draw import (
    class_handles,
    draw_points,
    grid_over,
    legend_below,
    line_handle,
    linear_boundaries,
    shade_probabilities,
)
from lucidnet.plot._figure import new_figure
from lucidnet.plot._model import as_model, class_indices, network_proba

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["feature_map"]

FEATURE_MAP_SIZE = (12.0, 6.0)

# The network must beat logistic regression by this much accuracy before the picture
# says a straight line is not enough in input space.
CLEARLY_BETTER = 0.05


@dataclass(frozen=True)
class _Plane:
    """A 2-D view u of d-dimensional points v: v ≈ mean + P u, with P of shape (d, 2).

    2-D data is shown as is (P = I); wider data on its first two principal components;
    1-D data against a random jitter (P = [[1, 0]]).
    """

    U: np.ndarray  # the points' coordinates in the plane, (n, 2)
    mean: np.ndarray  # (d,)
    P: np.ndarray  # (d, 2)
    axis_names: tuple[str, str]
    note: str  # how the plane was made, for the caption ("" when it is the space itself)

    def lift(self, U: np.ndarray) -> np.ndarray:
        """Plane points back in the d-D space: mean + U Pᵀ (PCA's inverse_transform)."""
        return self.mean + U @ self.P.T

    def restrict(self, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A linear model z = W v + b restricted to the plane: z = (W P) u + (W mean + b)."""
        return W @ self.P, W @ self.mean + b.reshape(-1)


def _plane(V: np.ndarray, symbol: str, seed: int = 0) -> _Plane:
    n, d = V.shape
    if d == 2:
        return _Plane(V, np.zeros(2), np.eye(2), (f"{symbol}1", f"{symbol}2"), "")
    if d == 1:
        jitter = np.random.default_rng(seed).uniform(-1.0, 1.0, n)
        return _Plane(
            np.column_stack([V[:, 0], jitter]),
            np.zeros(1),
            np.array([[1.0, 0.0]]),
            (symbol, "random jitter (no meaning)"),
            "",
        )
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2).fit(V)
    explained = float(pca.explained_variance_ratio_.sum())
    return _Plane(
        pca.transform(V),
        pca.mean_,
        pca.components_.T,
        (f"PC1 of {symbol}", f"PC2 of {symbol}"),
        f"first two principal components of the {d}-D {symbol} ({explained:.0%} of its variance)",
    )


def _linear_panel(
    ax: Axes,
    plane: _Plane,
    k: np.ndarray,
    classes: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    proba: Callable[[np.ndarray], np.ndarray],
    predicted: np.ndarray,
    *,
    resolution: int,
    title: str,
    line_label: str,
) -> None:
    """Shade ``proba`` over the plane, draw the linear model's straight boundary and the points.

    ``proba`` maps points of the full space (rows) to class probabilities; ``W``, ``b`` are
    the linear model's weights there; ``predicted`` is the class the full model gives
    each point, to count how many fall on the matching side of the line in the plane.
    """
    xx, yy, grid = grid_over(plane.U, resolution)
    xlim, ylim = (float(xx.min()), float(xx.max())), (float(yy.min()), float(yy.max()))
    shade_probabilities(ax, xx, yy, proba(plane.lift(grid)), classes)
    Wp, bp = plane.restrict(W, b)
    for line in linear_boundaries(Wp, bp, xlim, ylim):
        ax.plot(line[:, 0], line[:, 1], color="black", linewidth=2.0, zorder=2)
    draw_points(ax, plane.U, k, classes)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(plane.axis_names[0])
    ax.set_ylabel(plane.axis_names[1])
    ax.set_title(title, fontsize=11)
    caption = ""
    if plane.note:
        Z = plane.U @ Wp.T + bp
        side = (Z[:, 0] > 0).astype(int) if Z.shape[1] == 1 else Z.argmax(axis=1)
        agree = float(np.mean(side == predicted))
        caption = textwrap.fill(
            f"Plane: {plane.note}. The line is the boundary restricted to this plane; "
            f"{agree:.0%} of the points lie on the side the full model predicts for them.",
            width=62,
        )
    handles = [*class_handles(classes), line_handle(line_label)]
    legend = legend_below(ax, handles, ncol=2)
    if caption:
        ax.annotate(
            caption,
            xy=(0.5, 0.0),
            xycoords=legend,
            xytext=(0, -2),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8.5,
        )


def _logistic_regression(X: np.ndarray, k: np.ndarray) -> Any:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it only serves as a reference
        return LogisticRegression(max_iter=2000).fit(X, k)


def feature_map(model: Any, X: Any, y: Any, *, resolution: int = 150, caption: str = "") -> Figure:
    """Input space beside the learned feature space φ = A[L-1], each with a straight boundary.

    Parameters
    ----------
    model : Network or fitted estimator
        A classifier with at least one hidden layer (so that φ is learned).
    X : array of shape (n_samples, n[0])
        Shown as is for two features, on its first two principal components when wider.
    y : array of shape (n_samples,)
        Class labels.
    resolution : int, default=150
        Grid points per axis for the shading.
    caption : str, optional
        A line under the panels saying what is drawn: which rows (held out, or
        trained on), which network (one member of an ensemble).

    Returns
    -------
    matplotlib.figure.Figure
        12 × 6 inches (1200 × 600 pixels at dpi=100).

    Notes
    -----
    Left: a logistic regression fitted on X, the best a straight line does in input
    space; its accuracy and the network's are both in the titles, and the picture only
    says a straight line is not enough when the network is clearly better (by 5 points).

    Right: φ = A[L-1] with the head's boundary, a straight line because the head is a
    linear model: W[L] φ + b[L] = 0 for a sigmoid unit; for a softmax, the pairwise lines
    (W_i − W_j) φ + (b_i − b_j) = 0 where i and j are the top two classes. For n[L-1] = 2
    φ is drawn as is; for n[L-1] = 1 against a jitter; for n[L-1] > 2 on its first two
    principal components, where the line is the head's boundary restricted to that plane
    (the shade is the head evaluated on the plane's inverse transform) and the caption
    says how many points fall on the side the full head predicts.
    """
    m = as_model(model)
    classes = m.require_classifier()
    net = m.network
    if m.head is None:
        raise ValueError(
            "feature_map draws one network's learned features; an ensemble's members each "
            "learn their own: pass one, e.g. model.network_.member(0)."
        )
    if net.L < 2:
        raise ValueError(
            f"feature_map needs a hidden layer, so that φ = A[L-1] is learned; this network "
            f"{net.n} has none (it is already a linear model on x)."
        )
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != net.n[0]:
        raise ValueError(f"X must have shape (n_samples, {net.n[0]}); got shape {X.shape}.")
    k = class_indices(y, classes)
    if k.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {k.shape[0]} labels.")

    net_pred = m.predict_proba(X).argmax(axis=1)
    net_accuracy = float(np.mean(net_pred == k))
    present = np.unique(k)
    if present.size < 2:
        raise ValueError(
            f"feature_map needs examples of at least two classes; y only holds {classes[present]}."
        )
    lr = _logistic_regression(X, k)
    lr_pred = lr.predict(X)
    lr_accuracy = float(np.mean(lr_pred == k))

    def lr_proba(V: np.ndarray) -> np.ndarray:
        """Logistic regression's probabilities, one column per model class (0 if absent in y)."""
        P = np.zeros((V.shape[0], len(classes)))
        P[:, lr.classes_] = lr.predict_proba(V)
        return P

    fig, axes = new_figure(*FEATURE_MAP_SIZE, 1, 2)
    verdict = (
        "a straight line is not enough here"
        if net_accuracy - lr_accuracy >= CLEARLY_BETTER
        else "a straight line does about as well"
    )
    _linear_panel(
        axes[0, 0],
        _plane(X, "x"),
        k,
        classes,
        lr.coef_,
        lr.intercept_,
        lr_proba,
        lr_pred,
        resolution=resolution,
        title=(
            f"Input space x: {verdict}\nlogistic regression {lr_accuracy:.1%} vs "
            f"network {net_accuracy:.1%} accuracy"
        ),
        line_label="logistic regression boundary",
    )

    Phi = m.transform(X)
    head = m.head
    L = net.L
    W_head = np.asarray(head.W[1], dtype=float)
    b_head = np.asarray(head.b[1], dtype=float)
    _linear_panel(
        axes[0, 1],
        _plane(Phi, "φ"),
        k,
        classes,
        W_head,
        b_head,
        lambda V: network_proba(head, V.T),
        net_pred,
        resolution=resolution,
        title=(
            f"Learned features φ = A[{L - 1}] (n[{L - 1}] = {net.n[L - 1]}): the head's "
            f"straight line\nŷ = {head.output.name}(W[{L}] φ + b[{L}]), "
            f"network {net_accuracy:.1%} accuracy"
        ),
        line_label=f"head boundary W[{L}] φ + b[{L}] = 0"
        if W_head.shape[0] == 1
        else "head boundaries (pairwise, top two classes)",
    )
    fig.suptitle(
        "A network is a learnable feature map plus a linear model (docs/MATH.md §7)", fontsize=13
    )
    if caption:  # below the panels, where the constrained layout makes room for it
        fig.supxlabel(textwrap.fill(caption, 160), fontsize=9.5)
    return fig
