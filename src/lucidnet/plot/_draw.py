"""Drawing pieces shared by the pictures: grids, class points, probability shading, boundaries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.plot._figure import class_colour, class_marker, class_rgb, figure_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Shade strength of the predicted class's colour, from an uncertain to a certain point.
_SHADE_MIN, _SHADE_MAX = 0.1, 0.5


def grid_over(U: np.ndarray, resolution: int, margin: float = 0.1) -> tuple[Any, Any, np.ndarray]:
    """A resolution × resolution grid covering the rows of U (n, 2) with a relative margin.

    Returns the mesh (xx, yy), each (resolution, resolution), and its points as rows (r², 2).
    """
    if int(resolution) != resolution or resolution < 2:
        raise ValueError(f"resolution must be an integer ≥ 2; got {resolution!r}.")
    lo, hi = U.min(axis=0), U.max(axis=0)
    pad = margin * np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - pad, hi + pad
    xx, yy = np.meshgrid(
        np.linspace(lo[0], hi[0], int(resolution)), np.linspace(lo[1], hi[1], int(resolution))
    )
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def class_label(c: Any) -> str:
    return f"class {c}"


def draw_points(
    ax: Axes, U: np.ndarray, k: np.ndarray, classes: np.ndarray, size: float = 22
) -> None:
    """The points U (n, 2), one colour and one marker per class index k, with black edges."""
    for j, c in enumerate(classes):
        mine = k == j
        ax.scatter(
            U[mine, 0],
            U[mine, 1],
            s=size,
            c=[class_colour(j)],
            marker=class_marker(j),
            edgecolors="black",
            linewidths=0.5,
            label=f"{class_label(c)} ({int(mine.sum())})",
            zorder=3,
        )


def binary_cmap() -> Any:
    """Class 0's colour → white (p = 0.5) → class 1's colour: a diverging map."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list(
        "lucidnet_binary", [class_colour(0), "#FFFFFF", class_colour(1)]
    )


def shade_probabilities(
    ax: Axes, xx: Any, yy: Any, P: np.ndarray, classes: np.ndarray, *, colorbar: bool = True
) -> None:
    """Shade the grid by class probabilities P (r², K).

    Binary: P(y = classes[1]) on a diverging map. K > 2: the predicted class's colour,
    stronger where its probability max_k P_k is higher.
    """
    K = P.shape[1]
    if K == 2:
        p1 = P[:, 1].reshape(xx.shape)
        filled = ax.contourf(
            xx, yy, p1, levels=np.linspace(0.0, 1.0, 11), cmap=binary_cmap(), alpha=0.6, zorder=0
        )
        if colorbar:
            add_colorbar(ax, filled, f"P(y = {classes[1]})")
        return
    winner = P.argmax(axis=1)
    confidence = (P.max(axis=1) - 1.0 / K) / (1.0 - 1.0 / K)
    strength = _SHADE_MIN + (_SHADE_MAX - _SHADE_MIN) * np.clip(confidence, 0.0, 1.0)
    rgb = np.stack([class_rgb(j) for j in range(K)])[winner]
    image = 1.0 - strength[:, None] * (1.0 - rgb)
    ax.imshow(
        image.reshape(*xx.shape, 3),
        origin="lower",
        extent=(xx.min(), xx.max(), yy.min(), yy.max()),
        aspect="auto",
        interpolation="nearest",
        zorder=0,
    )
    if colorbar:
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import LinearSegmentedColormap, Normalize

        grey = LinearSegmentedColormap.from_list(
            "lucidnet_shade", [(1 - _SHADE_MIN * 0.6,) * 3, (1 - _SHADE_MAX * 0.6,) * 3]
        )
        add_colorbar(ax, ScalarMappable(Normalize(1.0 / K, 1.0), grey), "max class probability")


def add_colorbar(ax: Axes, mappable: Any, label: str) -> None:
    """A slim colour bar right beside ``ax``."""
    bar = figure_of(ax).colorbar(mappable, ax=ax, shrink=0.9, pad=0.02, aspect=30)
    bar.set_label(label)


def draw_probability_boundary(ax: Axes, xx: Any, yy: Any, P: np.ndarray) -> bool:
    """Where the predicted class changes: the p = 0.5 contour (binary) or the edges of every
    class's region (K > 2). Returns whether any boundary lies on the grid."""
    K = P.shape[1]
    drawn = False
    margins = [P[:, 1] - P[:, 0]] if K == 2 else []
    for j in range(K if K > 2 else 0):
        others = np.delete(P, j, axis=1).max(axis=1)
        margins.append(P[:, j] - others)
    for m in margins:
        m = m.reshape(xx.shape)
        if m.min() < 0.0 < m.max():  # otherwise the contour is empty (and matplotlib warns)
            ax.contour(xx, yy, m, levels=[0.0], colors="black", linewidths=1.6, zorder=2)
            drawn = True
    return drawn


def linear_boundaries(
    W: np.ndarray,
    b: np.ndarray,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    n: int = 2001,
) -> list[np.ndarray]:
    """Straight boundaries of a linear model z = W u + b on the plane, as (n, 2) polylines.

    One row of W (a sigmoid unit): the line W u + b = 0. K rows (a softmax): for every
    pair i < j the line (W_i − W_j) u + (b_i − b_j) = 0, kept only where i and j are the
    two top classes, so the segments outline the regions the model predicts. Points
    outside the box, or not on a boundary, are NaN (matplotlib leaves gaps there).
    """
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float).reshape(-1)
    pairs = (
        [(0, None)]
        if W.shape[0] == 1
        else [(i, j) for i in range(W.shape[0]) for j in range(i + 1, W.shape[0])]
    )
    centre = np.array([sum(xlim) / 2, sum(ylim) / 2])
    reach = np.hypot(xlim[1] - xlim[0], ylim[1] - ylim[0])
    lines = []
    for i, j in pairs:
        w = W[i] if j is None else W[i] - W[j]
        c = b[i] if j is None else b[i] - b[j]
        norm2 = float(w @ w)
        if norm2 == 0.0:
            continue
        foot = -c * w / norm2  # the point of the line closest to the origin
        along = np.array([-w[1], w[0]]) / np.sqrt(norm2)
        t0 = float((centre - foot) @ along)
        t = np.linspace(t0 - reach, t0 + reach, n)
        pts = foot + t[:, None] * along
        keep = (
            (pts[:, 0] >= xlim[0])
            & (pts[:, 0] <= xlim[1])
            & (pts[:, 1] >= ylim[0])
            & (pts[:, 1] <= ylim[1])
        )
        if j is not None and W.shape[0] > 2:
            Z = pts @ W.T + b
            top = Z[:, i]
            rest = np.delete(Z, [i, j], axis=1).max(axis=1)
            keep &= top >= rest - 1e-9 * (1.0 + np.abs(top))
        if keep.any():
            pts[~keep] = np.nan
            lines.append(pts)
    return lines


def class_handles(classes: np.ndarray) -> list[Any]:
    """Legend entries for the classes (colour and marker), without drawing anything."""
    from matplotlib.lines import Line2D

    return [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=class_marker(j),
            markerfacecolor=class_colour(j),
            markeredgecolor="black",
            markeredgewidth=0.5,
            markersize=7,
            label=class_label(c),
        )
        for j, c in enumerate(classes)
    ]


def line_handle(label: str, **style: Any) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], label=label, **{"color": "black", "linewidth": 1.6, **style})


def legend_below(ax: Axes, handles: list[Any], ncol: int | None = None) -> Any:
    """A legend under the axes (outside the data), in as many columns as fit."""
    return ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncol=ncol or (len(handles) if len(handles) <= 3 else 2),
        fontsize=9,
        frameon=False,
    )
