"""A progress line for long fits: the phase, where it stands and the time left.

:class:`FitProgress` tells apart the two phases of choosing the epochs and refitting
(:func:`lucidnet.estimators.refit.fit_and_refit`) by the fit itself: a fit with early
stopping on held-out rows chooses the epochs; a fit of a known number of epochs after
such a fit is the refit; a fit with a :class:`~lucidnet.training.crossfit.CrossFit`
callback is cross-fitting its members, each on its own fold. ``lucidnet train`` shows
it; ``Trainer(verbose=1)`` keeps its plain :class:`~lucidnet.training.ProgressBar`.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from lucidnet.training.callbacks import Callback, EarlyStopping
from lucidnet.training.crossfit import CrossFit

if TYPE_CHECKING:
    from lucidnet.training.loop import Trainer

__all__ = ["FitProgress", "duration", "epochs"]


class FitProgress(Callback):
    """One live line per fit: phase, epoch, best epoch, patience and time left.

    Where the stream is a terminal the line is a tqdm bar; elsewhere (a log, a pipe) it is
    a plain line every ``interval`` seconds of training and one when a fit ends, so a
    fit of a few seconds writes one line.

    While the epochs are chosen (a fit with early stopping on a held-out "val_" value)
    the line gives the best epoch so far, its held-out value, the epochs of patience
    left, and two bounds on the time left, from the measured seconds per epoch s:

    - if no later epoch beats the best: (patience − wait) · s, then a refit of about
      best · s · ``refit_scale``;
    - at most (max_epochs − epoch) · s: the epoch limit, however the held-out value moves
      (at the same seconds per epoch).

    While cross-fitting (a :class:`~lucidnet.training.crossfit.CrossFit` callback), the
    phase is "cross-fitting K members" and the line gives the members done, their best
    epochs so far and the same two bounds, the first from the member with the most
    patience left, max_k (p_k − wait_k) · s over the members not done, p_k each member's
    own patience (``CrossFit.member_patience``; no refit follows).

    A fit of a known number of epochs (the refit, or training without early stopping)
    shows a bar over its epochs with tqdm's own time left, or lines with about
    (epochs − epoch) · s left.

    Parameters
    ----------
    file : text stream, optional
        Where the line goes (standard error when None).
    refit : bool, default=False
        A refit on every row follows an early-stopped fit: its phase is "choosing the
        epochs" and its line estimates the refit's time.
    refit_scale : float, default=1.0
        Rows the refit trains on / rows the early-stopped fit trains on (1 / (1 − v) for
        a held-out fraction v); an epoch of the refit takes about s · refit_scale.
    interval : float, default=5.0
        Seconds between lines when the stream is not a terminal.
    clock : callable, optional
        Returns seconds (``time.monotonic`` when None).
    tty : bool, optional
        Draw a tqdm bar (True) or write lines (False); None: whether ``file`` is a
        terminal.

    Attributes
    ----------
    chosen_epochs : int or None
        The best epoch of the last early-stopped fit (the refit's epochs).
    epoch_seconds : float or None
        Its measured seconds per epoch.

    Notes
    -----
    s = (now − the fit's start) / epochs done in this fit. A copy (``copy.deepcopy``,
    as scikit-learn's ``clone`` makes for the refit) writes to the same stream and
    remembers the epochs chosen.
    """

    order = 90

    def __init__(
        self,
        file: TextIO | None = None,
        *,
        refit: bool = False,
        refit_scale: float = 1.0,
        interval: float = 5.0,
        clock: Callable[[], float] | None = None,
        tty: bool | None = None,
    ) -> None:
        self.file = file
        self.refit = bool(refit)
        self.refit_scale = float(refit_scale)
        self.interval = float(interval)
        self.clock = clock if clock is not None else time.monotonic
        self.tty = tty
        self.chosen_epochs: int | None = None
        self.epoch_seconds: float | None = None
        self._bar: Any = None
        self._es: EarlyStopping | None = None
        self._cf: CrossFit | None = None
        self._phase = ""
        self._start = self._last = self._ended = 0.0
        self._done = 0
        self._status_text = ""

    def __deepcopy__(self, memo: dict[int, Any]) -> FitProgress:
        new = copy.copy(self)  # the same stream and clock
        new._bar = None
        return new

    # ------------------------------------------------------------------ hooks

    def on_train_begin(self, trainer: Trainer) -> None:
        self._es = next(
            (
                cb
                for cb in trainer.callbacks
                if isinstance(cb, EarlyStopping) and cb.monitor.startswith("val_")
            ),
            None,
        )
        self._cf = next((cb for cb in trainer.callbacks if isinstance(cb, CrossFit)), None)
        if self._cf is not None:
            self._phase = f"cross-fitting {trainer.net.K} members"
        elif self._es is not None:
            self._phase = "choosing the epochs" if self.refit else "training (early stopping)"
        else:
            self._phase = "refit on all rows" if self.chosen_epochs else "training"
        self._start = self._last = self._ended = self.clock()
        self._done = 0
        if not self._is_tty():
            return
        from tqdm import tqdm

        known = not self._stops_itself
        self._bar = tqdm(
            total=trainer.batches_per_epoch * (trainer.epochs_target - trainer.epoch)
            if known
            else trainer.batches_per_epoch,
            unit="batch",
            desc=self._head(trainer, trainer.epoch + 1),
            file=self._stream(),
            leave=True,
            dynamic_ncols=True,
            # choosing the epochs: the bar over the epoch's batches, then the text
            bar_format=None if known else "{bar:6} {desc}",
        )
        self._status_text = ""

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        if self._bar is None:
            return
        if not self._stops_itself:
            self._bar.set_description(self._head(trainer, epoch), refresh=False)
            return
        self._bar.reset()  # the bar follows the epoch's batches
        status = f" | {self._status_text}" if self._status_text else ""
        self._bar.set_description_str(self._head(trainer, epoch) + status, refresh=False)

    def on_batch_end(self, trainer: Trainer, batch: int, logs: dict[str, Any]) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        now = self._ended = self.clock()
        self._done += 1
        if self._bar is not None:
            if not self._stops_itself:
                shown = {k: f"{v:.4g}" for k, v in logs.items() if k == "loss" or k[:4] == "val_"}
                self._bar.set_postfix(shown, refresh=False)
            else:  # shown from the next epoch's start on
                self._status_text = self._status(trainer, epoch, now)
        elif now - self._last >= self.interval:
            self._print(f"{self._head(trainer, epoch)} | {self._status(trainer, epoch, now)}")
            self._last = now

    def on_train_end(self, trainer: Trainer) -> None:
        now = self.clock()
        seconds = self._seconds(self._ended)  # per epoch, to the last epoch's end
        if self._es is not None and self._es.best_epoch is not None:
            self.chosen_epochs, self.epoch_seconds = self._es.best_epoch, seconds
        line = self._summary(trainer, now, seconds)
        if self._bar is not None:
            if self._stops_itself:  # the bar gives way to the whole closing line
                self._bar.leave = False
                self._bar.close()
                self._print(line)
            elif trainer.epoch < trainer.epochs_target:
                reason = (trainer.stop_reason or "stopped").split(":")[0]
                self._bar.set_description(
                    f"{self._head(trainer, trainer.epoch)} ({reason})", refresh=False
                )
            self._bar.close()
            self._bar = None
        elif self._done or trainer.stop_reason:
            self._print(line)

    @property
    def _stops_itself(self) -> bool:
        """Whether the fit stops on held-out rows (early stopping or cross-fitting)."""
        return self._es is not None or self._cf is not None

    def _head(self, trainer: Trainer, epoch: int) -> str:
        return f"{self._phase}: epoch {epoch}/{trainer.epochs_target}"

    # ------------------------------------------------------------------ the text

    def _status(self, trainer: Trainer, epoch: int, now: float) -> str:
        """Where the fit stands after ``epoch`` and the time left, at ``now``."""
        s = self._seconds(now) or 0.0
        elapsed = f"{duration(now - self._start)} elapsed, {s:.3g} s/epoch"
        most = trainer.epochs_target - epoch
        cf = self._cf
        if cf is not None:
            waiting = (cf.member_patience - cf.wait)[~cf.done]
            if_none = min(int(waiting.max()) if waiting.size else 0, most)
            done = f"members done {int(cf.done.sum())}/{len(cf.done)}"
            left = f"left: {duration(if_none * s)} if no new best ({done}), "
            left += f"at most {duration(most * s)}"
            return f"{left} | best epochs {cf.best_epochs_.tolist()} | {elapsed}"
        es = self._es
        if es is None:
            return f"about {duration(most * s)} left | {elapsed}"
        patience = f"patience {es.patience - es.wait}/{es.patience}"
        if_none = min(es.patience - es.wait, most)
        left = f"left: {duration(if_none * s)} if no new best ({patience}), "
        left += f"at most {duration(most * s)}"
        if self.refit and es.best_epoch is not None:
            refit = es.best_epoch * s * self.refit_scale
            left += f" | then a refit of about {duration(refit)} ({epochs(es.best_epoch)})"
        best = f"best epoch {es.best_epoch} ({es.monitor} {es.best:.4f})"
        return f"{left} | {best} | {elapsed}"

    def _summary(self, trainer: Trainer, now: float, s: float | None) -> str:
        """The line that closes a fit: where it stopped, why, and what follows."""
        if self._cf is not None and trainer.stop_reason and self._cf.done.all():
            stopped = f"{self._phase}: every member done at epoch {trainer.epoch}"
        elif trainer.stop_reason:
            reason = trainer.stop_reason.split(":")[0]  # e.g. "early stopping"
            stopped = f"{self._phase}: stopped at epoch {trainer.epoch} ({reason})"
        else:
            stopped = f"{self._phase}: {trainer.epoch}/{trainer.epochs_target} epochs done"
        stopped += f", {duration(now - self._start)}"
        if self._cf is not None:
            return f"{stopped} | best epochs {self._cf.best_epochs_.tolist()}, no refit"
        es = self._es
        if es is None or es.best_epoch is None:
            return stopped
        line = f"{stopped} | best epoch {es.best_epoch} ({es.monitor} {es.best:.4f})"
        if self.refit and s is not None:
            refit = es.best_epoch * s * self.refit_scale
            line += f" | next: the refit, {epochs(es.best_epoch)}, about {duration(refit)}"
        return line

    def _seconds(self, now: float) -> float | None:
        return (now - self._start) / self._done if self._done else None

    def _stream(self) -> TextIO:
        return self.file if self.file is not None else sys.stderr

    def _is_tty(self) -> bool:
        if self.tty is not None:
            return self.tty
        isatty = getattr(self._stream(), "isatty", None)
        return bool(isatty and isatty())

    def _print(self, line: str) -> None:
        print(line, file=self._stream(), flush=True)


def epochs(n: int) -> str:
    """``"1 epoch"``, ``"2 epochs"``."""
    return f"{n} epoch" + "s" * (n != 1)


def duration(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on), rounded to the second.

    >>> duration(75.4), duration(3725)
    ('1:15', '1:02:05')
    """
    total = round(max(seconds, 0.0))
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
