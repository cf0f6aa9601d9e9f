"""Figures without pyplot: matplotlib's object API on an Agg canvas, and atomic PNG writes.

Nothing global is touched: no backend is selected, no GUI is opened, no figure is
registered anywhere, so a figure is garbage once the caller drops it. matplotlib is
imported only when a figure is made, so ``import lucidnet.plot`` works without it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.io.atomic import atomic_write_bytes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["save_figure"]

# Okabe & Ito's palette, distinguishable with every common colour-vision deficiency.
CLASS_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
# A second cue besides colour: each class also has its own marker.
CLASS_MARKERS = ["o", "s", "^", "D", "v", "P", "X"]


def _matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # pragma: no cover - matplotlib is a declared extra
        raise ImportError(
            "lucidnet.plot needs matplotlib; install it with `pip install lucidnet[plot]`."
        ) from None


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1) -> tuple[Figure, Any]:
    """A ``width`` × ``height`` inch Figure on an Agg canvas, with an (nrows, ncols) array of Axes.

    Constrained layout keeps titles, labels, legends and colour bars inside the figure.
    """
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def figure_of(ax: Axes) -> Figure:
    """The top-level Figure an Axes is drawn on (through any SubFigure)."""
    try:
        fig = ax.get_figure(root=True)  # matplotlib ≥ 3.10
    except TypeError:  # pragma: no cover - older matplotlib: a SubFigure's .figure is the root
        fig = ax.figure.figure
    assert fig is not None
    return fig


def class_colour(k: int) -> Any:
    """The colour of class index k: Okabe–Ito for the first 7, then tab20."""
    if k < len(CLASS_COLOURS):
        return CLASS_COLOURS[k]
    from matplotlib import colormaps

    return colormaps["tab20"](k % 20)


def class_marker(k: int) -> str:
    return CLASS_MARKERS[k % len(CLASS_MARKERS)]


def class_rgb(k: int) -> np.ndarray:
    from matplotlib.colors import to_rgb

    return np.asarray(to_rgb(class_colour(k)))


def png_bytes(fig: Figure, dpi: float = 100) -> bytes:
    """The figure as PNG bytes: width × dpi by height × dpi pixels (no tight cropping)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def write_png(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write PNG bytes to ``path`` atomically, creating its folder if needed; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return path


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: float = 100) -> Path:
    """Save ``fig`` as a PNG at ``path`` atomically; return the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        Where the PNG goes; its folder is created if missing.
    dpi : float, default=100
        Pixels per inch: the PNG is (height × dpi, width × dpi) pixels, so a 6.5 × 5 inch
        figure at dpi=100 is 650 × 500 pixels.

    Notes
    -----
    The PNG is written to a temporary file in the same folder and moved into place with
    ``os.replace``, so no reader ever sees a half-written file.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive; got {dpi}.")
    return write_png(path, png_bytes(fig, dpi))
