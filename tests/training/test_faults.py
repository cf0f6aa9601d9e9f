"""Faults: divergence, Ctrl-C, callbacks that stop training."""

import re
import warnings

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.training import Callback, Trainer


@pytest.fixture
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    return X, X[:, :1] * 5 + 1


class Interrupt(Callback):
    """Raise KeyboardInterrupt (as Ctrl-C would) at one batch of one epoch."""

    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, trainer, batch, logs):
        if (trainer.epoch + 1, batch) == self.at:
            raise KeyboardInterrupt


class EpochWeights(Callback):
    """Copies of the weights at every epoch end."""

    def __init__(self):
        self.weights = {}

    def on_epoch_end(self, trainer, epoch, logs):
        self.weights[epoch] = [a.copy() for a in trainer.params]


def test_divergence_stops_with_a_clear_error_and_finite_weights(regression):
    X, Y = regression
    net = Network([3, 8, 1], output="identity", seed=0)
    kept = EpochWeights()
    trainer = Trainer(net, optimizer="sgd", learning_rate=1e3, seed=0, callbacks=[kept])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError) as info:
            trainer.fit(X * 1e3, Y, epochs=50)  # unscaled inputs and a huge rate
    message = str(info.value)
    assert message.startswith("Training diverged at epoch ")
    assert ", batch " in message and "the loss became" in message
    epoch = int(re.search(r"at epoch (\d+)", message)[1])
    assert epoch > 1  # (the test's premise: one epoch completes before the blow-up)
    assert f"The weights of epoch {epoch - 1}, the last finite ones, were kept." in message
    for a, b in zip(trainer.params, kept.weights[epoch - 1], strict=True):
        np.testing.assert_array_equal(a, b)  # the rollback point: the last epoch boundary
    assert (
        "Try a lower learning rate (now 1000.0) or scale the inputs (e.g. StandardScaler)."
        in message
    )
    assert caught == []  # no flood of NumPy overflow warnings
    assert all(np.all(np.isfinite(a)) for a in trainer.params)
    assert np.isfinite(net.cost(net.forward(X.T * 1e3), Y.T))
    assert trainer.stop_reason == "diverged"


def test_divergence_names_the_first_bad_batch(regression):
    X, Y = regression
    trainer = Trainer(Network([3, 8, 1], output="identity", seed=0), optimizer="sgd",
                      learning_rate=1e3, batch_size=30, seed=0)  # fmt: skip
    losses = []

    class Losses(Callback):
        def on_batch_end(self, trainer, batch, logs):
            losses.append((trainer.epoch + 1, batch, logs["loss"]))

    trainer.callbacks.append(Losses())
    with pytest.raises(ValueError, match=r"at epoch (\d+), batch (\d+)") as info:
        trainer.fit(X * 1e3, Y, epochs=50)
    assert all(np.isfinite(J) for *_, J in losses)  # every batch before the bad one was finite
    found = re.search(r"at epoch (\d+), batch (\d+)", str(info.value))
    assert found is not None
    epoch, batch = int(found[1]), int(found[2])
    last_epoch, last_batch, _ = losses[-1]
    assert (epoch, batch) == (
        (last_epoch, last_batch + 1) if last_batch < 2 else (last_epoch + 1, 1)
    )


def test_divergence_on_a_classifier_keeps_finite_weights(regression):
    X, _ = regression
    Y = (X[:, :1] > 0) * 1.0
    trainer = Trainer(Network([3, 8, 1], seed=0), optimizer="sgd", learning_rate=1e3, seed=0)
    with pytest.raises(ValueError, match="Training diverged"):
        trainer.fit(X * 1e3, Y, epochs=100)
    assert all(np.all(np.isfinite(a)) for a in trainer.params)


def test_without_terminate_on_nan_training_carries_on_quietly(regression):
    X, Y = regression
    trainer = Trainer(Network([3, 8, 1], output="identity", seed=0), optimizer="sgd",
                      learning_rate=1e3, terminate_on_nan=False)  # fmt: skip
    history = trainer.fit(X * 1e3, Y, epochs=5)  # no warnings (they are errors in this suite)
    assert not np.isfinite(history["loss"][-1])


def test_ctrl_c_mid_epoch_stops_cleanly_with_a_usable_model(regression, capsys, same_weights):
    X, Y = regression
    weights = EpochWeights()
    net = Network([3, 8, 1], output="identity", seed=0)
    trainer = Trainer(net, learning_rate=0.01, batch_size=8, callbacks=[weights, Interrupt(3, 4)])
    history = trainer.fit(X, Y, epochs=10, validation_fraction=0.2)  # returns, does not raise
    assert trainer.interrupted and trainer.stop_reason == "interrupted"
    assert trainer.epoch == 2 and len(history) == 2
    same_weights(trainer.params, weights.weights[2])  # back at the last complete epoch
    assert np.all(np.isfinite(net.predict_output(X.T)))
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Training interrupted (KeyboardInterrupt)" in err[0]
    assert "after 2 complete epoch(s)" in err[0] and "epochs=10" in err[0]


def test_ctrl_c_keeps_the_best_weights_with_early_stopping(regression, capsys, same_weights):
    X, Y = regression
    weights = EpochWeights()
    trainer = Trainer(Network([3, 8, 1], output="identity", seed=0), learning_rate=0.05,
                      early_stopping=True, callbacks=[weights, Interrupt(6, 1)])  # fmt: skip
    trainer.fit(X, Y, epochs=20, validation_fraction=0.2)
    assert trainer.interrupted
    same_weights(trainer.params, weights.weights[trainer.best_epoch])
    assert "restored the best weights" in capsys.readouterr().err


@pytest.mark.parametrize("hook", ["on_epoch_end", "on_batch_end"])
def test_a_user_callback_can_stop_training(regression, hook):
    X, Y = regression

    class Stop(Callback):
        pass

    def stop(self, trainer, step, logs):
        if trainer.n_batches >= 5:
            trainer.stop_training = True

    setattr(Stop, hook, stop)
    trainer = Trainer(Network([3, 1], output="identity"), batch_size=20, callbacks=[Stop()])
    history = trainer.fit(X, Y, epochs=10)
    assert trainer.stop_reason == "stopped by a callback"
    assert len(history) == 2  # the epoch in which it asked is completed and logged
    assert trainer.n_batches == (6 if hook == "on_epoch_end" else 5)


def test_a_real_ctrl_c_at_the_epoch_boundary_keeps_counter_and_weights_together(
    regression, capsys, same_weights
):
    # Issue 13: a SIGINT that landed after the epoch counter/history update but before the
    # boundary snapshot rolled the weights back to the previous epoch, keeping the new
    # counter. The schedule's on_epoch_end runs inside that window; it sends a real SIGINT.
    import signal

    from lucidnet.training.schedules import Constant

    class CtrlCAtEpoch2(Constant):
        def on_epoch_end(self, monitor_value):
            if len(trainer.history) == 2:
                signal.raise_signal(signal.SIGINT)

    X, Y = regression
    weights = EpochWeights()
    net = Network([3, 8, 1], output="identity", seed=0)
    trainer = Trainer(net, learning_rate=0.01, batch_size=8, schedule=CtrlCAtEpoch2(),
                      callbacks=[weights], seed=0)  # fmt: skip
    trainer.fit(X, Y, epochs=5)
    assert trainer.interrupted and trainer.epoch == 2 and len(trainer.history) == 2
    # The weights are epoch 2's: the boundary was completed before the Ctrl-C was raised.
    # (EpochWeights never ran for epoch 2, so compare with an uninterrupted 2-epoch run.)
    assert 2 not in weights.weights
    reference = Trainer(Network([3, 8, 1], output="identity", seed=0), learning_rate=0.01,
                        batch_size=8, seed=0)  # fmt: skip
    reference.fit(X, Y, epochs=2)
    same_weights(trainer.params, reference.params)
    assert trainer.t == reference.t and trainer.n_batches == reference.n_batches
    assert "after 2 complete epoch(s)" in capsys.readouterr().err


class Fails(Callback):
    """Raise ``error`` at the end of one epoch (a checkpoint writer's OSError, say)."""

    def __init__(self, epoch, error):
        self.epoch, self.error, self.ended = epoch, error, False

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch == self.epoch:
            raise self.error

    def on_train_end(self, trainer):
        self.ended = True


def test_any_error_runs_every_on_train_end_then_is_raised(regression, same_weights):
    # Issue 13: an OSError from a writer (or a failing metric) skipped every on_train_end:
    # early stopping did not restore the best weights and the progress bar stayed open.
    X, Y = regression
    weights = EpochWeights()
    failing = Fails(8, OSError("disk full"))
    trainer = Trainer(Network([3, 8, 1], output="identity", seed=0), learning_rate=0.05,
                      early_stopping=True, callbacks=[weights, failing], seed=0)  # fmt: skip
    with pytest.raises(OSError, match="disk full"):
        trainer.fit(X, Y, epochs=20, validation_fraction=0.2)
    assert failing.ended and trainer.stop_reason == "failed: OSError"
    assert trainer.best_epoch is not None and trainer.best_epoch <= 8
    same_weights(trainer.params, weights.weights[trainer.best_epoch])  # restored


def test_a_failing_metric_rolls_back_to_the_last_epoch(regression, same_weights):
    X, Y = regression
    weights = EpochWeights()
    calls = []

    def flaky(Y_true, A):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("metric failed")
        return 0.0

    ended = Fails(-1, None)
    trainer = Trainer(Network([3, 8, 1], output="identity", seed=0), learning_rate=0.05,
                      callbacks=[weights, ended], seed=0)  # fmt: skip
    with pytest.raises(RuntimeError, match="metric failed"):
        trainer.fit(X, Y, epochs=5, validation_fraction=0.2, metrics={"flaky": flaky})
    assert ended.ended and trainer.epoch == 2 and len(trainer.history) == 2
    same_weights(trainer.params, weights.weights[2])  # not epoch 3's half-done state
