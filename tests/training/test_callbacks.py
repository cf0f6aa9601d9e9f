"""Callbacks: hooks, early stopping, checkpoints, history files, progress displays."""

import csv
import json
import os

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.training import (
    Callback,
    EarlyStopping,
    EpochTable,
    History,
    HistoryLogger,
    ModelCheckpoint,
    ProgressBar,
    TerminateOnNaN,
    TimeLimit,
    Trainer,
    load_state,
)


@pytest.fixture
def noisy():
    """40 noisy regression rows: a 3-32-32-1 network overfits them within a few epochs."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, X[:, :1] + rng.normal(size=(40, 1))


def overfitting_trainer(**kw):
    net = Network([3, 32, 32, 1], output="identity", seed=0)
    return Trainer(net, learning_rate=0.02, batch_size=8, seed=0, **kw)


class Recorder(Callback):
    def __init__(self):
        self.calls = []
        self.weights = {}

    def on_train_begin(self, trainer):
        self.calls.append("train_begin")

    def on_train_end(self, trainer):
        self.calls.append("train_end")

    def on_epoch_begin(self, trainer, epoch):
        self.calls.append(f"epoch_begin {epoch}")

    def on_epoch_end(self, trainer, epoch, logs):
        self.calls.append(f"epoch_end {epoch} {sorted(logs)}")
        self.weights[epoch] = [a.copy() for a in trainer.params]

    def on_batch_end(self, trainer, batch, logs):
        self.calls.append(f"batch_end {batch} {sorted(logs)}")


def test_hooks_fire_in_order(noisy):
    X, Y = noisy
    recorder = Recorder()
    Trainer(Network([3, 1], output="identity"), batch_size=25, callbacks=[recorder]).fit(
        X, Y, epochs=2
    )
    keys = "['epoch', 'loss', 'lr', 'seconds']"
    batch = "['batch', 'grads', 'loss', 'size']"
    assert recorder.calls == [
        "train_begin",
        "epoch_begin 1", f"batch_end 1 {batch}", f"batch_end 2 {batch}", f"epoch_end 1 {keys}",
        "epoch_begin 2", f"batch_end 1 {batch}", f"batch_end 2 {batch}", f"epoch_end 2 {keys}",
        "train_end",
    ]  # fmt: skip


def test_early_stopping_restores_the_best_epochs_weights(noisy, same_weights):
    X, Y = noisy
    recorder = Recorder()
    trainer = overfitting_trainer(early_stopping=EarlyStopping(patience=3), callbacks=[recorder])
    X_val, Y_val = X[30:], Y[30:]
    history = trainer.fit(X[:30], Y[:30], epochs=100, validation_data=(X_val, Y_val))
    val = history["val_loss"]
    best = int(np.argmin(val)) + 1
    assert trainer.best_epoch == best < trainer.epoch < 100  # it stopped early, after the best
    assert trainer.epoch == best + 3  # patience epochs without improvement
    assert trainer.best_score == min(val)
    assert trainer.stop_reason.startswith("early stopping: val_loss did not improve")
    same_weights(trainer.params, recorder.weights[best])
    # The same quantity both ways: the restored network's validation loss (no penalty) is
    # the best epoch's logged val_loss, not the last epoch's.
    restored = trainer.net.cost(trainer.net.forward(X_val.T), Y_val.T, 0.0)
    assert restored == pytest.approx(val[best - 1], rel=1e-12)
    assert restored != pytest.approx(val[-1], rel=1e-6)


def test_early_stopping_without_restoring_keeps_the_last_weights(noisy, same_weights):
    X, Y = noisy
    recorder = Recorder()
    es = EarlyStopping(patience=3, restore_best_weights=False)
    trainer = overfitting_trainer(early_stopping=es, callbacks=[recorder])
    trainer.fit(X, Y, epochs=100, validation_fraction=0.25)
    same_weights(trainer.params, recorder.weights[trainer.epoch])


def test_early_stopping_true_watches_the_training_loss_without_validation(noisy):
    X, Y = noisy
    trainer = overfitting_trainer(early_stopping=True)
    trainer.fit(X, Y, epochs=3)
    assert trainer.early_stopping.monitor == "loss"
    trainer.fit(X, Y, epochs=4, validation_fraction=0.2)
    assert trainer.early_stopping.monitor == "val_loss"


def test_early_stopping_on_a_metric_uses_max_mode(noisy):
    X, Y = noisy
    es = EarlyStopping(monitor="val_r", patience=2, min_delta=0.0)
    assert es.mode == "max"
    trainer = overfitting_trainer(early_stopping=es)

    def r(Y, A):
        return float(np.corrcoef(Y[:, 0], A[:, 0])[0, 1])

    history = trainer.fit(X, Y, epochs=100, validation_fraction=0.25, metrics={"r": r})
    assert trainer.best_epoch == int(np.argmax(history["val_r"])) + 1
    assert trainer.best_score == max(history["val_r"])


def test_early_stopping_counts_like_scikit_learn():
    class FakeTrainer:
        stop_training, stop_reason = False, None
        epoch_params = ["weights"]

    es, trainer = EarlyStopping(monitor="loss", patience=2, min_delta=0.1), FakeTrainer()
    for epoch, loss in enumerate([1.0, 0.95, 0.5, 0.45, 0.44], start=1):
        es.on_epoch_end(trainer, epoch, {"loss": loss})
    # 0.95 and 0.45 are better (so the best follows them) but not by 0.1 (the counter grows)
    assert (es.best, es.best_epoch, es.wait) == (0.44, 5, 2)
    assert trainer.stop_training


def test_model_checkpoint_saves_the_best_state_atomically(noisy, tmp_path):
    X, Y = noisy
    path = tmp_path / "best.safetensors"
    saves = []

    class Count(ModelCheckpoint):
        def on_epoch_end(self, trainer, epoch, logs):
            before = self.last_saved, os.path.exists(path) and os.stat(path).st_mtime_ns
            super().on_epoch_end(trainer, epoch, logs)
            if (self.last_saved, os.path.exists(path) and os.stat(path).st_mtime_ns) != before:
                saves.append(epoch)

    trainer = overfitting_trainer(callbacks=[Count(path)])
    history = trainer.fit(X, Y, epochs=8, validation_fraction=0.25)
    val = history["val_loss"]
    improving = [e for e in range(1, 9) if val[e - 1] < min(val[: e - 1], default=np.inf)]
    assert saves == improving
    state = load_state(path)
    assert state["epoch"] == trainer.best_epoch == improving[-1]
    assert os.listdir(tmp_path) == ["best.safetensors"]  # no temporary files left behind


def test_model_checkpoint_every_epoch_with_a_pattern(noisy, tmp_path):
    X, Y = noisy
    cb = ModelCheckpoint(tmp_path / "e{epoch:02d}.safetensors", save_best_only=False)
    overfitting_trainer(callbacks=[cb]).fit(X, Y, epochs=3)
    assert sorted(os.listdir(tmp_path)) == ["e01.safetensors", "e02.safetensors", "e03.safetensors"]
    assert load_state(tmp_path / "e02.safetensors")["epoch"] == 2


def test_checkpoint_runs_after_early_stopping_whatever_the_order_given(tmp_path):
    trainer = Trainer(
        Network([3, 1]),
        callbacks=[ModelCheckpoint(tmp_path / "c.safetensors"), EarlyStopping()],
        verbose=2,
    )
    kinds = [type(cb) for cb in trainer.callbacks]
    assert kinds == [TerminateOnNaN, EarlyStopping, ModelCheckpoint, EpochTable]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_history_logger_writes_every_epoch(noisy, tmp_path, suffix):
    X, Y = noisy
    path = tmp_path / f"history{suffix}"
    sizes = []

    class Size(Callback):
        order = 85  # after the logger

        def on_epoch_end(self, trainer, epoch, logs):
            sizes.append(path.stat().st_size)

    trainer = overfitting_trainer(callbacks=[HistoryLogger(path), Size()])
    history = trainer.fit(X, Y, epochs=3, validation_fraction=0.25)
    assert len(sizes) == 3 and sizes[0] < sizes[1] < sizes[2]
    if suffix == ".json":
        assert json.loads(path.read_text()) == history.to_dict()
    else:
        rows = list(csv.DictReader(path.read_text().splitlines()))
        assert [float(r["val_loss"]) for r in rows] == history["val_loss"]  # full precision
        assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    with pytest.raises(ValueError, match=r"\.csv or \.json"):
        HistoryLogger(tmp_path / "history.txt")


def test_verbose_1_shows_a_progress_bar_with_validation_loss(noisy, capsys):
    X, Y = noisy
    trainer = overfitting_trainer(verbose=1)
    assert any(isinstance(cb, ProgressBar) for cb in trainer.callbacks)
    trainer.fit(X, Y, epochs=3, validation_fraction=0.25)
    err = capsys.readouterr().err
    assert "epoch 3/3" in err and "loss=" in err and "val_loss=" in err
    assert "12/12" in err  # 4 batches × 3 epochs


def test_verbose_2_prints_one_row_per_epoch_and_marks_the_best(noisy, capsys):
    X, Y = noisy
    trainer = overfitting_trainer(verbose=2)
    history = trainer.fit(X, Y, epochs=6, validation_fraction=0.25, metrics={"mae": _mae})
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["epoch", "loss", "val_loss", "val_mae", "lr", "seconds"]
    rows = lines[2:]
    assert len(rows) == 6
    val = history["val_loss"]
    for e, row in enumerate(rows, start=1):
        cells = row.split()
        assert int(cells[0]) == e and float(cells[2]) == pytest.approx(val[e - 1], abs=1e-5)
        assert row.endswith("*") == (val[e - 1] < min(val[: e - 1], default=np.inf))


def _mae(Y, A):
    return float(np.mean(np.abs(Y - A)))


def test_history():
    h = History([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25, "val_loss": 0.3}])
    assert h["loss"] == [0.5, 0.25] and h["val_loss"] == [None, 0.3]
    assert len(h) == 2 and h.keys() == ["epoch", "loss", "val_loss"]
    assert History.from_dict(h.to_dict()).records == h.records
    with pytest.raises(KeyError, match="val_acc"):
        h["val_acc"]


def test_gradient_norm_recorder_matches_the_batch_gradients():
    from lucidnet.core.network import Network
    from lucidnet.training import GradientNormRecorder, Trainer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = (X[:, :1] > 0).astype(float)
    net = Network([3, 4, 1], "tanh", seed=0)
    start = net.copy()
    trainer = Trainer(
        net,
        optimizer="sgd",
        learning_rate=0.1,
        batch_size=40,
        shuffle=False,
        callbacks=[GradientNormRecorder()],
    )
    trainer.fit(X, Y, epochs=1)
    # Full batch: one minibatch, so the recorded norm is that batch's ‖dW[l]‖ at the start.
    grads = start.backward(start.forward(X.T), Y.T)
    for l in (1, 2):
        expected = np.sqrt(np.sum(grads.dW[l] ** 2))
        assert trainer.history[f"grad_norm[{l}]"][0] == pytest.approx(expected, rel=1e-12)


def test_time_limit_leaves_out_each_fits_engine_start_up():
    class Fit:  # what TimeLimit reads of a trainer
        def __init__(self, startup):
            self.startup, self.stop_training = startup, False

    limit = TimeLimit(10.0, start=5.0)
    limit._clock = lambda: 20.0
    limit.on_train_begin(Fit((0.0, 8.0)))  # max(0, t1 − max(t0, start)) = 8 − 5
    assert limit.left_out == 3.0 and limit.elapsed() == 20.0 - 5.0 - 3.0
    fit = Fit((12.0, 15.0))  # a second fit (a refit) starts its engine: 3 s more
    limit.on_train_begin(fit)
    limit.on_batch_end(fit, 1, {})
    assert limit.elapsed() == 9.0 and not limit.hit and not fit.stop_training
    limit.on_train_begin(Fit((1.0, 2.0)))  # all before the budget began: nothing
    limit._clock = lambda: 21.5
    limit.on_batch_end(fit, 2, {})
    assert limit.left_out == 6.0 and limit.hit and fit.stop_training


def test_time_limit_on_the_numpy_engine_counts_from_its_start(noisy):
    X, Y = noisy
    limit = TimeLimit(0.0, 0.0)  # spent before the fit began
    trainer = Trainer(Network([3, 4, 1], seed=0), batch_size=8, callbacks=[limit])
    trainer.fit(X, Y, epochs=5)
    began, ready = trainer.startup
    assert limit.hit and trainer.n_batches == 1 and 0 < began <= ready
    assert limit.left_out == ready - began
