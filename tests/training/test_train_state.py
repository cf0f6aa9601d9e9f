"""TrainState: what a fit changes, its rollback point and its dict."""

import numpy as np

from lucidnet import Network
from lucidnet.training import Trainer
from lucidnet.training.schedules import InverseScaling
from lucidnet.training.train_state import Best, TrainState


def test_rates_follow_the_counters_without_moving_them():
    state = TrainState.new(0)
    state.t, state.n_batches = 10, 2
    schedule = InverseScaling()
    rates = state.rates(schedule, 0.1, [4, 4, 2])
    expected = []
    t = 10
    for k, size in enumerate([4, 4, 2]):
        expected.append(schedule.rate(0.1, 0, 2 + k, t))
        t += size
    assert rates == expected
    assert (state.t, state.n_batches) == (10, 2)
    state.advance(4)
    assert (state.t, state.n_batches) == (14, 3)


def test_the_boundary_is_a_copy_of_what_an_epoch_changes():
    state = TrainState.new(0)
    state.theta = np.zeros(3)
    state.opt_state = (1, np.ones(3))
    point = state.boundary()
    state.theta += 1
    state.opt_state[1][:] = 5
    draw = state.rng.random()
    np.testing.assert_array_equal(point.theta, np.zeros(3))
    np.testing.assert_array_equal(point.opt_state[1], np.ones(3))
    assert point.rng.random() == draw  # the same stream from the boundary on
    assert point.history is state.history and point.best is state.best


def test_best_follows_strict_improvements_and_restarts_for_a_new_monitor():
    best = Best()
    best.follow("val_loss", "min")
    best.offer(1, {"val_loss": 0.5}, ["w1"])
    best.offer(2, {"val_loss": 0.5}, ["w2"])  # equal: not better
    assert (best.epoch, best.score, best.params) == (1, 0.5, ["w1"])
    best.follow("val_acc", "max")
    assert best.epoch is None and best.value == -np.inf


def test_the_trainer_reads_its_state(binary):
    X, Y = binary
    trainer = Trainer(Network([3, 4, 1], seed=0), seed=0)
    trainer.fit(X, Y, epochs=2)
    state = trainer.state
    assert (trainer.epoch, trainer.t, trainer.n_batches) == (state.epoch, state.t, state.n_batches)
    assert trainer.history is state.history and trainer.rng is state.rng
    assert trainer.learning_rate_ == state.learning_rate
    saved = trainer.state_dict()
    for key, value in state.to_dict().items():
        if key not in ("history", "rng", "best_weights"):
            assert saved[key] == value
