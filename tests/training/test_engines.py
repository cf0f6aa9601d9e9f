"""The NumPy engine: one flat buffer, in-place updates, epoch-boundary copies, BLAS threads."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from lucidnet import Network
from lucidnet.core.ensemble import Ensemble
from lucidnet.core.parameters import pack, parameters
from lucidnet.training import SGD, Adam, AdamW, Callback, Trainer
from lucidnet.training.engines import SMALL_PRODUCT, blas_threads, step_products


def test_the_network_sees_views_of_one_flat_buffer(binary):
    X, Y = binary
    trainer = Trainer(Network([3, 5, 4, 1], seed=0), seed=0)
    trainer.fit(X, Y, epochs=1)
    params = trainer.params
    owners = {id(p.base) for p in params}
    assert len(owners) == 1 and params[0].base.shape == (trainer.net.n_parameters,)
    np.testing.assert_array_equal(params[0].base, pack(params))


def test_training_never_changes_arrays_held_from_before_the_fit(binary):
    X, Y = binary
    net = Network([3, 5, 1], seed=0)
    before = parameters(net)
    kept = [p.copy() for p in before]
    trainer = Trainer(net, seed=0)
    trainer.fit(X, Y, epochs=2)
    for a, b in zip(before, kept, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(parameters(net)[0], kept[0])


def test_epoch_params_are_copies_that_later_steps_leave_alone(binary):
    X, Y = binary
    held = {}

    class Hold(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            held[epoch] = (trainer.epoch_params, [p.copy() for p in trainer.params])

    trainer = Trainer(Network([3, 5, 1], seed=0), seed=0, callbacks=[Hold()])
    trainer.fit(X, Y, epochs=3)
    for epoch in (1, 2, 3):
        reference, copies = held[epoch]
        for a, b in zip(reference, copies, strict=True):
            np.testing.assert_array_equal(a, b)  # still the values of that epoch's end
    assert not np.array_equal(held[1][0][0], held[3][0][0])


@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(0.1),
        lambda: SGD(0.1, momentum=0.9, nesterov=True),
        Adam,
        lambda: AdamW(weight_decay=0.1, weight_mask=[True, False, True, False]),
    ],
    ids=["sgd", "nesterov", "adam", "adamw"],
)
def test_update_works_in_place_and_matches_step(make):
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 2)), rng.normal(size=(3, 1)), rng.normal(size=(1, 3)),
              rng.normal(size=(1, 1))]  # fmt: skip
    grads = [rng.normal(size=p.shape) for p in params]
    listed = make()
    expected = listed.step(params, grads, 0.05)
    flat = make()
    theta, g = pack(params), pack(grads)
    new_theta, state = flat.update(theta, g, flat.init_state(params), 0.05)
    assert new_theta is theta  # NumPy: the same buffer, updated in place
    np.testing.assert_array_equal(new_theta, pack(expected))
    for a, b in zip(state, listed.state, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)


def test_step_products_is_the_largest_product_of_a_step():
    assert step_products(Network([30, 64, 1]), 32) == 32 * 64 * 30
    assert step_products(Network([784, 1024, 1024, 1]), 256) == 256 * 1024 * 1024
    assert step_products(Ensemble([10, 20, 1], members=4), 8) == 4 * 8 * 20 * 10


def blas_thread_counts():
    return {info["internal_api"]: info["num_threads"] for info in threadpool_info()
            if info["user_api"] == "blas"}  # fmt: skip


def test_small_products_train_on_one_blas_thread(binary, monkeypatch):
    X, Y = binary
    seen = []

    class Threads(Callback):
        def on_epoch_begin(self, trainer, epoch):
            seen.append(blas_thread_counts())

    outside = blas_thread_counts()
    assert outside, "no BLAS library found by threadpoolctl"
    small = Network([3, 5, 1], seed=0)
    assert step_products(small, 32) < SMALL_PRODUCT
    Trainer(small, callbacks=[Threads()]).fit(X, Y, epochs=1)
    assert set(seen[-1].values()) == {1}
    assert blas_thread_counts() == outside  # put back after fit
    big = Network([3, 2048, 1], seed=0)
    assert step_products(big, 1024) >= SMALL_PRODUCT
    with blas_threads(big, 1024):
        assert blas_thread_counts() == outside  # large products keep the library's threads
    monkeypatch.setenv("LUCIDNET_BLAS_THREADS", "default")
    Trainer(small, callbacks=[Threads()]).fit(X, Y, epochs=1)
    assert seen[-1] == outside


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_a_large_theta_updated_in_pieces_gives_the_same_weights(binary, monkeypatch, optimizer):
    from lucidnet.training import engines

    X, Y = binary

    def train():
        net = Network([3, 40, 30, 1], seed=0)
        trainer = Trainer(net, optimizer=optimizer, learning_rate=0.05, batch_size=8, seed=1)
        trainer.fit(X, Y, epochs=2)
        return trainer

    whole = train()
    assert whole._engine._split is None
    monkeypatch.setattr(engines, "SPLIT_UPDATE", 100)  # this network's 1,431 parameters split
    pieces = train()
    split = pieces._engine._split
    assert split is not None and len(split.pieces) > 2 * split.workers - 1
    for a, b in zip(whole.params, pieces.params, strict=True):
        np.testing.assert_array_equal(a, b)  # element-wise: the pieces make the same update
    for a, b in zip(whole.optimizer.state, pieces.optimizer.state, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b  # Adam's t advanced once per step, not once per piece
