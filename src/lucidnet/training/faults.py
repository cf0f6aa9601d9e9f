"""When training goes wrong: a loss or weight that is not finite, or a Ctrl-C.

Before each update the trainer checks the minibatch loss, and at each epoch's end the
weights. On a non-finite value it goes back to the last epoch boundary (the weights and
optimizer state copied there, the last ones known to be finite) and raises
:class:`Diverged`, which ``fit`` turns into a ValueError naming the epoch and batch (after
the callbacks' ``on_train_end``, so a restored best epoch is reported). A Ctrl-C rolls
back to the last epoch boundary and ``fit`` returns, with :func:`interruption_note` on
standard error. Any other exception rolls back the same way, runs every callback's
``on_train_end`` (:func:`run_all`: early stopping restores the best weights, a progress
bar closes) and is raised again. Going back costs one copy of θ and the optimizer state
per epoch, taken at the boundary.

The epoch boundary itself (counter, history, best weights, schedule, snapshot) is one
step: :func:`interrupts_deferred` holds a Ctrl-C that arrives during it until it is
complete, so a Ctrl-C never leaves a new epoch counter beside the old weights.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Diverged", "all_finite", "interruption_note", "interrupts_deferred", "run_all"]

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
            else f"The weights of epoch {self.epoch - 1}, the last finite ones, were kept."
            if self.epoch > 1
            else "The initial weights, the last finite ones, were kept."
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


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Run the block whole: a Ctrl-C (SIGINT) during it is raised when it ends.

    Only Python's own handler is replaced, and only in the main thread (the one that
    receives signals); a handler of the caller's is left alone.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


def run_all(calls: Iterable[Callable[[], Any]], error: BaseException | None = None) -> None:
    """Call every function, even when one raises; then raise ``error`` if given, else the
    first error of the calls, if any."""
    for call in calls:
        try:
            call()
        except BaseException as failed:  # every hook runs; the first error wins
            error = error or failed
    if error is not None:
        raise error
