"""FitProgress: the phase, the best epoch, the patience and the time left, as text."""

import copy
import io
import re

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.estimators import MLPRegressor
from lucidnet.estimators.refit import fit_and_refit, fit_cross_fitted
from lucidnet.training import EarlyStopping, FitProgress, Trainer
from lucidnet.training.progress import duration, epochs


class FakeClock:
    """Advances ``step`` seconds at every reading."""

    def __init__(self, step):
        self.now, self.step = 100.0, step

    def __call__(self):
        self.now += self.step
        return self.now


@pytest.fixture
def noisy():
    """40 noisy regression rows: a 3-32-32-1 network overfits them within a few epochs."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, X[:, :1] + rng.normal(size=(40, 1))


def progress(step=2.0, **kw):
    out = io.StringIO()
    kw = {"interval": 0.0, "tty": False, **kw}
    return FitProgress(out, clock=FakeClock(step), **kw), out


def early_stopped(callback, X, Y, patience=3, epochs=50):
    net = Network([3, 32, 32, 1], output="identity", seed=0)
    es = EarlyStopping(patience=patience, min_delta=0.0)
    trainer = Trainer(net, learning_rate=0.02, batch_size=8, seed=0, early_stopping=es,
                      callbacks=[callback])  # fmt: skip
    trainer.fit(X, Y, epochs=epochs, validation_fraction=0.25)
    return trainer


def test_duration_reads_minutes_and_hours():
    assert [duration(s) for s in (0, 59.4, 75.4, 600, 3725, -3)] == [
        "0:00", "0:59", "1:15", "10:00", "1:02:05", "0:00",
    ]  # fmt: skip


def test_choosing_the_epochs_shows_best_epoch_patience_and_bounds_from_measured_seconds(noisy):
    """Each epoch's line, recomputed from the history: s = 2 s (the fake clock's step)."""
    X, Y = noisy
    cb, out = progress(step=2.0, refit=True, refit_scale=1.25)
    trainer = early_stopped(cb, X, Y, patience=3, epochs=50)
    val = trainer.history["val_loss"]
    lines = out.getvalue().splitlines()
    assert len(lines) == len(val) + 1  # a line per epoch (interval 0), and the closing one
    for k, line in enumerate(lines[:-1], start=1):
        best = int(np.argmin(val[:k])) + 1
        left = 3 - (k - best)  # patience − wait
        expected = (
            f"choosing the epochs: epoch {k}/50 | left: {duration(2 * left)} if no new best "
            f"(patience {left}/3), at most {duration(2 * (50 - k))} | "
            f"then a refit of about {duration(best * 2 * 1.25)} ({epochs(best)}) | "
            f"best epoch {best} (val_loss {val[best - 1]:.4f}) | "
            f"{duration(2 * k)} elapsed, 2 s/epoch"
        )
        assert line == expected
    best = trainer.best_epoch
    assert lines[-1] == (
        f"choosing the epochs: stopped at epoch {len(val)} (early stopping), "
        f"{duration(2 * (len(val) + 1))} | best epoch {best} (val_loss {val[best - 1]:.4f}) | "
        f"next: the refit, {epochs(best)}, about {duration(best * 2 * 1.25)}"
    )
    assert cb.chosen_epochs == best


def test_lines_come_every_interval_and_a_short_fit_writes_one(noisy):
    X, Y = noisy
    cb, out = progress(step=1.0, interval=5.0)
    trainer = early_stopped(cb, X, Y, patience=100, epochs=12)
    lines = out.getvalue().splitlines()
    # clock: 1 at the start, epoch k ends at 1 + k: lines at epochs 5 and 10, then the end
    assert [line.split(" | ")[0] for line in lines[:-1]] == [
        "training (early stopping): epoch 5/12",
        "training (early stopping): epoch 10/12",
    ]
    assert lines[-1].startswith("training (early stopping): 12/12 epochs done, 0:13")
    assert trainer.epoch == 12
    cb, out = progress(step=0.1, interval=5.0)
    early_stopped(cb, X, Y, patience=100, epochs=12)
    assert len(out.getvalue().splitlines()) == 1


def test_the_refit_phase_follows_the_chosen_epochs_on_the_same_stream(noisy):
    """fit_and_refit clones the estimator: the copy writes the refit's lines to the stream."""
    X, Y = noisy
    cb, out = progress(step=2.0, refit=True, refit_scale=1 / 0.75)
    est = MLPRegressor(hidden_layer_sizes=(32,), max_iter=40, early_stopping=True,
                       validation_fraction=0.25, n_iter_no_change=3, batch_size=8,
                       random_state=0, callbacks=[cb])  # fmt: skip
    final = fit_and_refit(est, X, ravel(Y))
    chosen = final.selected_epochs_
    lines = out.getvalue().splitlines()
    phases = [line.split(":")[0] for line in lines]
    first = phases.count("choosing the epochs")
    assert phases == ["choosing the epochs"] * first + ["refit on all rows"] * (chosen + 1)
    assert (
        f"next: the refit, {epochs(chosen)}, about {duration(chosen * 2 / 0.75)}"
        in lines[first - 1]
    )
    for k, line in enumerate(lines[first:-1], start=1):
        assert line == (
            f"refit on all rows: epoch {k}/{chosen} | about {duration(2 * (chosen - k))} left | "
            f"{duration(2 * k)} elapsed, 2 s/epoch"
        )
    assert (
        lines[-1] == f"refit on all rows: {chosen}/{chosen} epochs done, {duration(2 * chosen + 2)}"
    )


def test_cross_fitting_is_one_phase_with_the_members_best_epochs_and_no_refit(noisy):
    X, Y = noisy
    cb, out = progress(step=2.0, refit=True)
    est = MLPRegressor(hidden_layer_sizes=(32,), n_members=3, max_iter=40, n_iter_no_change=3,
                       learning_rate_init=0.05,
                       batch_size=8, random_state=0, callbacks=[cb])  # fmt: skip
    fit_cross_fitted(est, X, ravel(Y))
    n, best = est.n_iter_, est.member_epochs_
    lines = out.getvalue().splitlines()
    assert len(lines) == n + 1  # a line per epoch (interval 0), and the closing one
    for k, line in enumerate(lines[:-1], start=1):
        assert re.fullmatch(
            rf"cross-fitting 3 members: epoch {k}/40 \| left: \d+:\d\d if no new best "
            rf"\(members done [0-3]/3\), at most {duration(2 * (40 - k))} \| "
            rf"best epochs \[[\d, ]+\] \| {duration(2 * k)} elapsed, 2 s/epoch",
            line,
        )
    assert "(members done 3/3)" in lines[-2] and f"best epochs {best}" in lines[-2]
    assert lines[-1] == (
        f"cross-fitting 3 members: every member done at epoch {n}, {duration(2 * n + 2)} | "
        f"best epochs {best}, no refit"
    )
    assert n == max(best) + 4  # patience 3: the last member is done 4 epochs after its best


def test_the_time_left_while_cross_fitting_follows_each_members_own_patience(noisy):
    """left if no new best = max over members not done of (p_k − wait_k) epochs · s."""
    from lucidnet.training import Callback
    from lucidnet.training.crossfit import CrossFit

    class Waits(Callback):
        order = 15  # after CrossFit, before the progress line

        def __init__(self):
            self.left = []

        def on_epoch_end(self, trainer, epoch, logs):
            cf = next(c for c in trainer.callbacks if isinstance(c, CrossFit))
            waiting = (cf.member_patience - cf.wait)[~cf.done]
            self.left.append(min(int(waiting.max()) if waiting.size else 0, 40 - epoch))

    X, Y = noisy
    cb, out = progress(step=2.0, refit=True)
    waits = Waits()
    est = MLPRegressor(hidden_layer_sizes=(32,), n_members=3, max_iter=40, n_iter_no_change=8,
                       learning_rate_init=0.05, batch_size=8, random_state=0,
                       callbacks=[cb, waits])  # fmt: skip
    fit_cross_fitted(est, X, ravel(Y), patience_share=0.5, min_patience=1)
    lines = out.getvalue().splitlines()[:-1]
    assert len(lines) == len(waits.left) == est.n_iter_
    for line, left in zip(lines, waits.left, strict=True):
        assert f"left: {duration(2 * left)} if no new best" in line


def test_refit_phase_is_kept_under_a_time_limit(noisy):
    X, Y = noisy
    out = io.StringIO()
    cb = FitProgress(out, refit=True, tty=False)
    est = MLPRegressor(hidden_layer_sizes=(32,), max_iter=40, early_stopping=True,
                       validation_fraction=0.25, n_iter_no_change=3, batch_size=8,
                       random_state=0, callbacks=[cb])  # fmt: skip
    final = fit_and_refit(est, X, ravel(Y), time_limit=60.0)
    chosen = final.selected_epochs_
    assert f"refit on all rows: {chosen}/{chosen} epochs done" in out.getvalue()


def test_a_terminal_gets_a_tqdm_bar(noisy):
    X, Y = noisy
    cb, out = progress(step=2.0, refit=True, tty=True)
    trainer = early_stopped(cb, X, Y, patience=3, epochs=50)
    text = out.getvalue()
    assert "\r" in text and "choosing the epochs: epoch" in text
    assert f"best epoch {trainer.best_epoch}" in text and "patience" in text
    closing = text.splitlines()[-1].split("\r")[-1]  # the bar cleared, then a whole line
    assert closing.startswith(f"choosing the epochs: stopped at epoch {trainer.epoch} (early")
    assert "next: the refit" in closing
    refit = copy.deepcopy(cb)
    net = Network([3, 8, 1], output="identity", seed=0)
    Trainer(net, batch_size=8, seed=0, callbacks=[refit]).fit(X, Y, epochs=3)
    last = re.split(r"[\r\n]", out.getvalue().rstrip())[-1]
    assert last.startswith("refit on all rows: epoch 3/3: 100%") and "15/15" in last


def test_a_plain_fit_and_verbose_0_are_unchanged(noisy, capsys):
    X, Y = noisy
    cb, out = progress(step=2.0)
    net = Network([3, 8, 1], output="identity", seed=0)
    Trainer(net, batch_size=8, seed=0, callbacks=[cb]).fit(X, Y, epochs=2)
    assert out.getvalue().splitlines() == [
        "training: epoch 1/2 | about 0:02 left | 0:02 elapsed, 2 s/epoch",
        "training: epoch 2/2 | about 0:00 left | 0:04 elapsed, 2 s/epoch",
        "training: 2/2 epochs done, 0:06",
    ]
    Trainer(Network([3, 8, 1], output="identity", seed=0), seed=0).fit(X, Y, epochs=2)
    assert capsys.readouterr() == ("", "")


def ravel(Y):
    return np.asarray(Y).ravel()
