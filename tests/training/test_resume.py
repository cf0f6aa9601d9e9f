"""Resumable state: an interrupted run, resumed, ends bit-identical to an uninterrupted one."""

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.training import (
    Callback,
    EarlyStopping,
    ModelCheckpoint,
    ReduceOnPlateau,
    Trainer,
    load_state,
    save_state,
)

EPOCHS = 30


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, X[:, :1] + rng.normal(size=(40, 1))


def mae(Y, A):
    return float(np.mean(np.abs(Y - A)))


def make(callbacks=(), seed=7, net_seed=0):
    """Every piece of state at once: Adam moments, a plateau schedule, dropout masks,
    a seeded validation split, early-stopping counters and best weights."""
    net = Network([3, 8, 8, 1], output="identity", seed=net_seed)
    return Trainer(
        net,
        optimizer="adam",
        learning_rate=0.02,
        schedule=ReduceOnPlateau(patience=1, monitor="val_loss"),
        batch_size=8,
        dropout=0.2,
        early_stopping=EarlyStopping(patience=6),
        callbacks=callbacks,
        seed=seed,
    )


def fit(trainer, data):
    X, Y = data
    return trainer.fit(X, Y, epochs=EPOCHS, validation_fraction=0.25, metrics={"mae": mae})


class InterruptOnce(Callback):
    def __init__(self, epoch, batch):
        self.at, self.done = (epoch, batch), False

    def on_batch_end(self, trainer, batch, logs):
        if not self.done and (trainer.epoch + 1, batch) == self.at:
            self.done = True
            raise KeyboardInterrupt


def without_seconds(history):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in history.records]


def assert_same_run(a, b, same_weights):
    same_weights(a.params, b.params)
    assert without_seconds(a.history) == without_seconds(b.history)
    assert (a.epoch, a.t, a.n_batches, a.best_epoch, a.best_score, a.stop_reason) == (
        b.epoch, b.t, b.n_batches, b.best_epoch, b.best_score, b.stop_reason
    )  # fmt: skip
    np.testing.assert_array_equal(a.optimizer.m, b.optimizer.m)
    np.testing.assert_array_equal(a.optimizer.v, b.optimizer.v)
    assert a.optimizer.t == b.optimizer.t
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


@pytest.fixture
def uninterrupted(data):
    trainer = make()
    fit(trainer, data)
    assert trainer.stop_reason is not None  # early stopping ends it (its restore is tested too)
    assert trainer.best_epoch < 11  # so the interruptions at epoch 12 resume past the best
    return trainer


@pytest.mark.parametrize("at", [(1, 1), (4, 2), (12, 3)])  # the best epoch is 9
def test_resume_in_process_equals_uninterrupted(data, uninterrupted, same_weights, capsys, at):
    trainer = make(callbacks=[InterruptOnce(*at)])
    fit(trainer, data)
    assert trainer.interrupted and trainer.epoch == at[0] - 1
    fit(trainer, data)  # the same call again finishes the run
    assert not trainer.interrupted
    assert_same_run(trainer, uninterrupted, same_weights)


def test_resume_through_a_file_in_a_fresh_trainer_equals_uninterrupted(
    data, uninterrupted, same_weights, tmp_path, capsys
):
    interrupted = make(callbacks=[InterruptOnce(12, 1)])
    fit(interrupted, data)
    assert interrupted.interrupted
    save_state(interrupted.state_dict(), tmp_path / "run.safetensors")

    fresh = make(seed=999, net_seed=5)  # other seeds: everything must come from the file
    fresh.load_state_dict(load_state(tmp_path / "run.safetensors"))
    assert fresh.epoch == 11 and len(fresh.history) == 11
    fit(fresh, data)
    assert_same_run(fresh, uninterrupted, same_weights)


def test_resume_from_a_model_checkpoint_equals_uninterrupted(
    data, uninterrupted, same_weights, tmp_path
):
    pattern = str(tmp_path / "epoch{epoch}.safetensors")
    checkpointed = make(callbacks=[ModelCheckpoint(pattern, save_best_only=False)])
    fit(checkpointed, data)
    assert_same_run(checkpointed, uninterrupted, same_weights)  # checkpoints change nothing

    resumed = make(callbacks=[ModelCheckpoint(pattern, save_best_only=False)], seed=1)
    resumed.load_state_dict(load_state(tmp_path / "epoch3.safetensors"))
    fit(resumed, data)
    assert_same_run(resumed, uninterrupted, same_weights)


def test_state_round_trips_through_a_file(data, tmp_path):
    trainer = make()
    X, Y = data
    trainer.fit(X, Y, epochs=3, validation_fraction=0.25)
    state = trainer.state_dict()
    save_state(state, tmp_path / "s.safetensors")
    loaded = load_state(tmp_path / "s.safetensors")

    def compare(a, b):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
        elif isinstance(a, dict):
            assert a.keys() == b.keys()
            for key in a:
                compare(a[key], b[key])
        elif isinstance(a, (list, tuple)):
            assert len(a) == len(b)
            for x, y in zip(a, b, strict=True):
                compare(x, y)
        else:
            assert a == b

    compare(state, loaded)
    # an array held in two places is stored once and comes back shared
    best = loaded["best_weights"]
    es_best = loaded["callbacks"][1]["state"]["best_weights"]
    assert loaded["callbacks"][1]["class"] == "EarlyStopping"
    assert all(a is b for a, b in zip(best, es_best, strict=True))


def test_loading_into_another_network_is_refused(data):
    trainer = make()
    X, Y = data
    trainer.fit(X, Y, epochs=1, validation_fraction=0.25)
    other = Trainer(Network([3, 4, 1], output="identity"))
    with pytest.raises(ValueError, match=r"The state is for a network \[3, 8, 8, 1\]"):
        other.load_state_dict(trainer.state_dict())


def test_save_state_never_pickles(tmp_path):
    with pytest.raises(TypeError, match="Cannot save object at 'x'"):
        save_state({"x": object()}, tmp_path / "s.safetensors")
    from safetensors.numpy import save_file

    save_file({"a": np.zeros(2)}, str(tmp_path / "plain.safetensors"))
    with pytest.raises(ValueError, match="not a lucidnet training state"):
        load_state(tmp_path / "plain.safetensors")


def test_a_state_dict_is_a_copy_that_further_training_leaves_alone(data):
    X, Y = data
    trainer = make()
    trainer.fit(X, Y, epochs=2, validation_fraction=0.25)
    state = trainer.state_dict()
    kept = [np.array(a) for a in state["weights"]]
    moments = np.array(state["optimizer"]["m"])
    trainer.fit(X, Y, epochs=4, validation_fraction=0.25)  # in place on the trainer's buffer
    for a, b in zip(state["weights"], kept, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(state["optimizer"]["m"], moments)
    assert not np.array_equal(trainer.params[0], kept[0])
