"""Pictures of a network and its training, drawn with matplotlib's object API on Agg.

Every function takes a fitted lucidnet estimator or a bare :class:`~lucidnet.Network`
(a bare network's classes are 0..K−1; ``column_importance`` takes its numbers) and
returns a ``matplotlib.figure.Figure``; ``pyplot`` is never imported, so no backend or
GUI state is touched. Fixed sizes, so a PNG's pixel size is known in advance (inches ×
dpi; 100 dpi by default):

=========================  ===================================  ======================
function                   what it shows                        size (inches)
=========================  ===================================  ======================
``learning_curves``        loss (+ validation metrics) / epoch  11 × 4.4 (6.5 × 4.4
                                                                without metrics)
``decision_boundary``      probabilities over the input plane   6.5 × 5.6
``feature_map``            input space | φ = A[L-1] (MATH.md §7)   12 × 6
``layer_diagnostics``      Z[l], A[l] histograms, dead ReLUs    10 × (0.5 + 2.6 (L−1))
``gradient_norms``         gradient norm per layer / epoch      7 × 4.6
``collapse_comparison``    identity net vs its collapse (§3)    12 × 5.8
``column_importance``      permutation importance per column    7.5 × (1.4 + 0.32 n)
=========================  ===================================  ======================

``save_figure(fig, path, dpi=100)`` writes a PNG atomically. matplotlib is imported when
a figure is first drawn (install it with ``pip install lucidnet[plot]``).
``write_report`` puts sections of metrics and figures into one self-contained HTML file.

May import: ``lucidnet.core``, ``lucidnet.io``, ``lucidnet.training``, matplotlib.
"""

from typing import TYPE_CHECKING

from lucidnet._lazy import attach

if TYPE_CHECKING:
    from lucidnet.plot._figure import save_figure
    from lucidnet.plot.boundary import collapse_comparison, decision_boundary
    from lucidnet.plot.curves import gradient_norms, learning_curves
    from lucidnet.plot.features import feature_map
    from lucidnet.plot.importance import column_importance
    from lucidnet.plot.layers import layer_diagnostics
    from lucidnet.plot.report import Section, write_report

__all__ = [
    "Section",
    "collapse_comparison",
    "column_importance",
    "decision_boundary",
    "feature_map",
    "gradient_norms",
    "layer_diagnostics",
    "learning_curves",
    "save_figure",
    "write_report",
]

if not TYPE_CHECKING:  # type checkers read the imports above
    __getattr__, __dir__ = attach(
        __name__,
        {
            "lucidnet.plot._figure": ("save_figure",),
            "lucidnet.plot.boundary": ("collapse_comparison", "decision_boundary"),
            "lucidnet.plot.curves": ("gradient_norms", "learning_curves"),
            "lucidnet.plot.importance": ("column_importance",),
            "lucidnet.plot.features": ("feature_map",),
            "lucidnet.plot.layers": ("layer_diagnostics",),
            "lucidnet.plot.report": ("Section", "write_report"),
        },
    )
