"""Per hidden layer: the distributions of Z[l] and A[l], and dead ReLU units."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.plot._figure import CLASS_COLOURS, new_figure
from lucidnet.plot._model import as_model

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["dead_units", "layer_diagnostics"]

LAYER_WIDTH = 10.0
LAYER_ROW_HEIGHT = 2.6
LAYER_TITLE_HEIGHT = 0.5


def dead_units(Z: np.ndarray) -> np.ndarray:
    """Which ReLU units are dead on these examples: Z[l] ≤ 0 for every column, shape (n[l],).

    A dead unit outputs A = max(Z, 0) = 0 and passes back g′ = 0 for every example,
    so gradient descent never changes its incoming weights again.
    """
    return np.all(np.asarray(Z) <= 0, axis=1)


def layer_diagnostics(model: Any, X: Any, *, bins: int = 50) -> Figure:
    """Histograms of Z[l] and A[l] over X for every hidden layer l = 1..L−1, one row each.

    Parameters
    ----------
    model : Network or fitted estimator
        With at least one hidden layer.
    X : array of shape (n_samples, n[0])
        The inputs, fed as A[0] = X.T.
    bins : int, default=50

    Returns
    -------
    matplotlib.figure.Figure
        10 inches wide and 0.5 + 2.6 (L − 1) inches high: 1000 × (50 + 260 (L − 1))
        pixels at dpi=100.

    Notes
    -----
    Each histogram pools the n[l] × n_samples entries of Z[l] (pre-activations) or
    A[l] = g[l](Z[l]) (activations). For a relu layer the title gives the dead units,
    those with Z[l] ≤ 0 for every example in X, and the share of A[l] entries that are 0.
    """
    m = as_model(model)
    net = m.network
    if net.L < 2:
        raise ValueError(
            f"layer_diagnostics shows hidden layers; the network {net.n} has none (L = 1)."
        )
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != net.n[0] or X.shape[0] == 0:
        raise ValueError(f"X must have shape (n_samples, {net.n[0]}); got shape {X.shape}.")
    cache = m.forward(X)
    hidden = range(1, net.L)
    fig, axes = new_figure(
        LAYER_WIDTH, LAYER_TITLE_HEIGHT + LAYER_ROW_HEIGHT * len(hidden), len(hidden), 2
    )
    for row, l in enumerate(hidden):
        Z = np.asarray(cache.Z[l], dtype=float)
        A = np.asarray(cache.A[l], dtype=float)
        name = net.g[l].name
        about = f"layer {l} ({name}, n[{l}] = {net.n[l]})"
        z_title, a_title = f"{about}: Z[{l}]", f"{about}: A[{l}] = {name}(Z[{l}])"
        if name == "relu":
            dead = dead_units(Z)
            z_title += f"\ndead units: {int(dead.sum())} of {net.n[l]} ({dead.mean():.0%})"
            a_title += f"\n{np.mean(A == 0):.0%} of the entries are exactly 0"
        _histogram(axes[row, 0], Z, bins, CLASS_COLOURS[0], f"Z[{l}] (pre-activation)", z_title)
        _histogram(axes[row, 1], A, bins, CLASS_COLOURS[1], f"A[{l}] (activation)", a_title)
    fig.suptitle(f"Hidden layers of {net.n} on {X.shape[0]} examples", fontsize=12)
    return fig


def _histogram(
    ax: Any, values: np.ndarray, bins: int, colour: str, xlabel: str, title: str
) -> None:
    v = values.ravel()
    v = v[np.isfinite(v)]
    ax.hist(v, bins=bins, color=colour, edgecolor="white", linewidth=0.3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count (units × examples)")
    ax.set_title(title, fontsize=10)
    if v.size:
        ax.axvline(0.0, color="black", linewidth=0.8, linestyle=":")
