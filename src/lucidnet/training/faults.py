"""When training goes wrong: a loss or weight that is not finite, or a Ctrl-C.

Before each update the trainer checks the minibatch loss, and at each epoch's end the
weights. On a non-finite value it puts back the last finite weights and raises
:class:`Diverged`, which ``fit`` turns into a ValueError naming the epoch and batch (after
the callbacks' ``on_train_end``, so a restored best epoch is reported). A Ctrl-C rolls
back to the last epoch boundary and ``fit`` returns, with :func:`interruption_note` on
standard error. Going back costs nothing: optimizers never change arrays in place, so
the earlier weights are still there, held by reference.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["Diverged", "all_finite", "interruption_note"]

Array = Any


class Diverged(Exception):
    """Internal to ``fit``: the loss or the weights of ``epoch``, ``batch`` became non-finite.

    ``lr`` is the learning rate of that step; :meth:`error` is what the user sees.
    """

    def __init__(self, epoch: int, batch: int, what: str, lr: float) -> None:
        self.epoch, self.batch, self.what, self.lr = epoch, batch, what, lr

    def error(self, best_epoch: int | None, restored: bool) -> ValueError:
        """The ValueError ``fit`` raises: where, what was kept, and what to try."""
        kept = (
            f"The best weights (epoch {best_epoch}) were restored."
            if restored
            else "The last finite weights were kept."
        )
        return ValueError(
            f"Training diverged at epoch {self.epoch}, batch {self.batch}: {self.what}. "
            f"{kept} Try a lower learning rate (now {self.lr!r}) or scale the inputs "
            "(e.g. StandardScaler)."
        )


def interruption_note(
    epoch: int, epochs_target: int, best_epoch: int | None, restored: bool
) -> str:
    """What a Ctrl-C left: the complete epochs, which weights, and how to resume."""
    if restored:
        kept = f"restored the best weights (epoch {best_epoch})"
    else:
        kept = f"kept the weights of epoch {epoch}" if epoch else "kept the weights"
    return (
        f"Training interrupted (KeyboardInterrupt): stopped cleanly after {epoch} complete "
        f"epoch(s), {kept}; the history is kept and fit(..., epochs={epochs_target}) resumes."
    )


def all_finite(params: list[Array], xp: Any) -> bool:
    """Whether every entry of every array is finite.

    A finite sum proves it cheaply; a non-finite sum may also be an overflow of finite
    entries, so only then are the entries tested one by one.
    """
    total = sum(float(xp.sum(p)) for p in params)
    if math.isfinite(total):
        return True
    return all(bool(xp.all(xp.isfinite(p))) for p in params)
