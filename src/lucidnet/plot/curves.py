"""Curves over epochs: the losses and validation metrics, and gradient norms per layer."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.plot._figure import class_colour, figure_of, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["gradient_norms", "history_columns", "learning_curves"]

CURVES_SIZE = (11.0, 4.4)  # loss and metrics side by side
CURVES_SIZE_LOSS_ONLY = (6.5, 4.4)
GRADIENT_NORMS_SIZE = (7.0, 4.6)

_LOWER_IS_BETTER = ("loss", "error", "mse", "mae", "rmse", "deviance", "log_loss")
_GRAD_NORM_KEY = re.compile(r"^grad_norm\[(\d+)\]$")


def history_columns(history: Any) -> dict[str, np.ndarray]:
    """A training history as float columns {key: values per epoch}; missing entries are NaN.

    Accepts a fitted estimator (its ``history_``), a History-like object with
    ``records`` (a list of dicts, one per epoch), a list of such dicts, a dict of lists,
    or a plain list of losses (as ``minibatch_gd`` returns).
    """
    if hasattr(history, "history_"):
        history = history.history_
    if hasattr(history, "records"):
        history = history.records
    if isinstance(history, Mapping):
        columns = {str(key): _floats(values, key) for key, values in history.items()}
    elif isinstance(history, Sequence) and not isinstance(history, str):
        rows = list(history)
        if all(isinstance(r, Real) for r in rows):
            columns = {"loss": _floats(rows, "loss")}
        elif all(isinstance(r, Mapping) for r in rows):
            keys = list(dict.fromkeys(key for r in rows for key in r))
            columns = {str(key): _floats([r.get(key, np.nan) for r in rows], key) for key in keys}
        else:
            raise TypeError(
                "A history given as a list must hold numbers (losses) or dicts (one per epoch)."
            )
    else:
        raise TypeError(
            "Expected a history: a fitted estimator with history_, an object with records, a "
            f"list of per-epoch dicts, a dict of lists or a list of losses; got "
            f"{type(history).__name__}."
        )
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(
            f"Every history column needs one value per epoch; got lengths "
            f"{ {key: len(v) for key, v in columns.items()} }."
        )
    return columns


def _floats(values: Any, key: Any) -> np.ndarray:
    out = []
    for v in values:
        if v is None:
            out.append(np.nan)
            continue
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(np.nan)  # a non-numeric column (a note, say) is never plotted
    return np.asarray(out, dtype=float)


def _epochs(columns: dict[str, np.ndarray], n: int) -> np.ndarray:
    epoch = columns.get("epoch")
    if epoch is not None and np.all(np.isfinite(epoch)):
        return epoch
    return np.arange(1, n + 1, dtype=float)


def _lower_is_better(key: str) -> bool:
    return any(word in key.lower() for word in _LOWER_IS_BETTER)


def _best(values: np.ndarray, lower: bool) -> int | None:
    if not np.any(np.isfinite(values)):
        return None
    return int(np.nanargmin(values) if lower else np.nanargmax(values))


def _plottable(values: np.ndarray | None) -> bool:
    return values is not None and bool(np.any(np.isfinite(values)))


def learning_curves(history_or_model: Any, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Training and validation loss per epoch, and the validation metrics when recorded.

    Parameters
    ----------
    history_or_model : estimator, History-like, list of dicts, dict of lists or list of float
        See :func:`history_columns`. The keys read are "epoch", "loss", "val_loss" and
        every "val_<metric>" (with "<metric>", the training value, when also present).
    ax : Axes or sequence of two Axes, optional
        One Axes gets the losses only; two get the losses and the metrics.

    Returns
    -------
    matplotlib.figure.Figure
        11 × 4.4 inches (1100 × 440 pixels at dpi=100) with a metrics panel,
        6.5 × 4.4 inches (650 × 440 pixels) without; or ``ax``'s figure.

    Notes
    -----
    The best validation epoch, marked on every panel, is the one with the lowest
    val_loss, or when there is none the best value of the first validation metric
    (lowest for names with "loss", "error", "mse", "mae"; highest otherwise).
    """
    columns = history_columns(history_or_model)
    loss, val_loss = columns.get("loss"), columns.get("val_loss")
    if not (_plottable(loss) or _plottable(val_loss)):
        raise ValueError(
            "A learning curve needs a 'loss' or 'val_loss' column; the history has "
            f"{list(columns)}."
        )
    n = len(next(iter(columns.values())))
    epochs = _epochs(columns, n)
    metrics = [
        key
        for key in columns
        if key.startswith("val_") and key != "val_loss" and _plottable(columns[key])
    ]

    best: tuple[int, str] | None = None
    if _plottable(val_loss):
        assert val_loss is not None
        i = _best(val_loss, lower=True)
        best = None if i is None else (i, "val_loss")
    elif metrics:
        i = _best(columns[metrics[0]], _lower_is_better(metrics[0]))
        best = None if i is None else (i, metrics[0])

    if ax is None:
        size = CURVES_SIZE if metrics else CURVES_SIZE_LOSS_ONLY
        fig, grid = new_figure(*size, 1, 2 if metrics else 1)
        panels = list(grid[0])
    else:
        panels = (
            list(np.asarray(ax, dtype=object).ravel())
            if isinstance(ax, (Sequence, np.ndarray))
            else [ax]
        )
        fig = figure_of(panels[0])

    loss_ax = panels[0]
    if _plottable(loss):
        loss_ax.plot(epochs, loss, color=class_colour(0), label="training loss", linewidth=1.8)
    if _plottable(val_loss):
        loss_ax.plot(
            epochs, val_loss, color=class_colour(1), label="validation loss", linewidth=1.8
        )
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("loss J")
    loss_title = "Loss per epoch"
    if best is not None:
        i, key = best
        loss_title += f"\nbest validation epoch {epochs[i]:g} ({key} {columns[key][i]:.4g})"
    loss_ax.set_title(loss_title, fontsize=11)

    metric_ax = panels[1] if len(panels) > 1 and metrics else None
    if metric_ax is not None:
        for j, key in enumerate(metrics):
            colour = class_colour(j + 2)
            name = key[len("val_") :]
            metric_ax.plot(
                epochs, columns[key], color=colour, label=f"validation {name}", linewidth=1.8
            )
            train = columns.get(name)
            if _plottable(train):
                metric_ax.plot(
                    epochs,
                    train,
                    color=colour,
                    linestyle="--",
                    linewidth=1.2,
                    label=f"training {name}",
                )
        metric_ax.set_xlabel("epoch")
        metric_ax.set_ylabel(", ".join(key[len("val_") :] for key in metrics))
        metric_ax.set_title("Validation metrics per epoch", fontsize=11)

    # Fixed corners (loc="best" is slow on long runs): losses fall, scores rise.
    corners = [(loss_ax, "upper right")]
    if metric_ax is not None:
        lower = _lower_is_better(metrics[0])
        corners.append((metric_ax, "upper right" if lower else "lower right"))
    for panel, corner in corners:
        if best is not None:
            i, key = best
            panel.axvline(
                epochs[i],
                color="0.35",
                linestyle=":",
                linewidth=1.2,
                label=f"best epoch ({epochs[i]:g})",
            )
        panel.grid(True, alpha=0.3)
        panel.legend(loc=corner, fontsize=9, framealpha=0.9)
    if best is not None:
        i, key = best
        target = metric_ax if key != "val_loss" and metric_ax is not None else loss_ax
        target.plot(
            [epochs[i]],
            [columns[key][i]],
            marker="*",
            markersize=13,
            color="black",
            linestyle="none",
            zorder=4,
        )
    return fig


def _grad_norm_columns(records: Any) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """{l: norms per epoch} and the epochs, from a dict keyed by layer or from a history."""
    if (
        isinstance(records, Mapping)
        and records
        and all(isinstance(key, int) or (isinstance(key, str) and key.isdigit()) for key in records)
    ):
        norms = {int(key): _floats(v, key) for key, v in records.items()}
        columns: dict[str, np.ndarray] = {}
    else:
        columns = history_columns(records)
        norms = {}
        for key, values in columns.items():
            match = _GRAD_NORM_KEY.match(key)
            if match:
                norms[int(match.group(1))] = values
    if not norms:
        raise ValueError(
            "No gradient norms found: expected a dict {layer: norms per epoch} or a history "
            f"with keys 'grad_norm[1]', 'grad_norm[2]', ...; got keys {list(columns)}."
        )
    lengths = {len(v) for v in norms.values()}
    if len(lengths) > 1:
        raise ValueError(f"Every layer needs one norm per epoch; got lengths {sorted(lengths)}.")
    return norms, _epochs(columns, lengths.pop())


def gradient_norms(records: Any, ax: Axes | None = None) -> Figure:
    """Gradient norm of every layer per epoch, on a log scale.

    Parameters
    ----------
    records : dict {l: norms per epoch}, history, list of per-epoch dicts, or estimator
        A history's records carry keys "grad_norm[1]", "grad_norm[2]", ... (and "epoch").
    ax : Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        7 × 4.6 inches (700 × 460 pixels at dpi=100), or ``ax``'s figure.

    Notes
    -----
    Norms spanning orders of magnitude from layer to layer are the vanishing (or
    exploding) gradients of deep sigmoid/tanh networks; values ≤ 0 are left out of the
    log scale.
    """
    norms, epochs = _grad_norm_columns(records)
    if ax is None:
        fig, grid = new_figure(*GRADIENT_NORMS_SIZE)
        ax = grid[0, 0]
    else:
        fig = figure_of(ax)
    assert ax is not None
    layers = sorted(norms)
    any_positive = False
    for j, l in enumerate(layers):
        values = np.where(norms[l] > 0, norms[l], np.nan)
        any_positive |= bool(np.any(np.isfinite(values)))
        colour = class_colour(j) if len(layers) <= 7 else _sequential(j, len(layers))
        ax.plot(epochs, values, color=colour, linewidth=1.8, label=f"layer {l}")
    if any_positive:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm (log scale)" if any_positive else "gradient norm")
    ax.set_title("Gradient norm per layer", fontsize=11)
    ax.grid(True, which="both", alpha=0.25)
    # Beside the axes, so that no curve is hidden however many layers there are.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    return fig


def _sequential(j: int, count: int) -> Any:
    from matplotlib import colormaps

    return colormaps["viridis"](0.85 * j / max(count - 1, 1))  # the last 15 % is too pale
