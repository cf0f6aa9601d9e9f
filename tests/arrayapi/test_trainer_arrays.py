"""The Trainer on array-api-strict arrays and PyTorch tensors trains exactly like on NumPy.

Same seed, same NumPy-initialised weights, same NumPy shuffle and dropout masks: the
weights after training agree with the NumPy run to float tolerance (1e-10 in float64,
1e-5 in float32), stay in the data's namespace and on its device, and a state saved from
a PyTorch run resumes like the NumPy one.
"""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.training import SGD, Cosine, Trainer, load_state, minibatch_gd, save_state

TOL = {np.float64: 1e-10, np.float32: 1e-5}


def data(dtype=np.float64):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype(dtype)
    labels = np.repeat([0, 1, 2], 30)
    X[:, :2] += np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])[labels]
    return X, np.eye(3, dtype=dtype)[labels], np.linspace(0.5, 1.5, 90)


def params(net):
    return [a for l in range(1, net.L + 1) for a in (net.W[l], net.b[l])]


def assert_close(place, moved, reference, dtype=np.float64):
    for a, b in zip(params(moved), params(reference), strict=True):
        assert place.holds(a)
        np.testing.assert_allclose(place.get(a), b, rtol=0, atol=TOL[dtype])


FITS = {
    "adam, validation split, class weights": (
        {"optimizer": "adam", "learning_rate": 0.01},
        {"validation_fraction": 0.2, "class_weight": "balanced"},
    ),
    "nesterov sgd, dropout, clipping, cosine schedule": (
        {
            "optimizer": lambda: SGD(0.1, momentum=0.9, nesterov=True),
            "dropout": 0.3,
            "clip_norm": 0.5,
            "schedule": lambda: Cosine(total_epochs=4),
        },
        {},
    ),
    "adamw, sample weights, early stopping": (
        {"optimizer": "adamw", "learning_rate": 0.01, "early_stopping": True},
        {"validation_fraction": 0.25, "sample_weight": True},
    ),
}


@pytest.mark.parametrize("fit", list(FITS))
def test_training_matches_numpy(place, fit):
    trainer_kw, fit_kw = FITS[fit]
    X, Y, s = data()
    reference = Network([4, 6, 3], output="softmax", seed=0)
    moved = reference.to(place.xp, place.device)
    runs = {}
    for net, put in ((reference, lambda a: a), (moved, place.put)):
        kw = dict(fit_kw)
        if kw.pop("sample_weight", False):
            kw["sample_weight"] = put(s)
        made = {k: v() if callable(v) else v for k, v in trainer_kw.items()}  # fresh state
        trainer = Trainer(net, batch_size=16, seed=3, **made)
        runs[net is moved] = trainer.fit(put(X), put(Y), epochs=4, **kw)
    assert_close(place, moved, reference)
    np.testing.assert_allclose(runs[True]["loss"], runs[False]["loss"], rtol=1e-10)
    if "val_loss" in runs[False].keys():
        np.testing.assert_allclose(runs[True]["val_loss"], runs[False]["val_loss"], rtol=1e-10)


def test_float32_training_matches_numpy(place):
    X, Y, _ = data(np.float32)
    reference = Network([4, 6, 3], output="softmax", seed=0, dtype=np.float32)
    moved = reference.to(place.xp, place.device)
    for net, put in ((reference, lambda a: a), (moved, place.put)):
        Trainer(net, optimizer="adam", learning_rate=0.01, batch_size=16, seed=1).fit(
            put(X), put(Y), epochs=3
        )
    assert moved.W[1].dtype == place.xp.float32
    assert_close(place, moved, reference, np.float32)


def test_validation_data_and_targets_follow_x(place):
    # Y and the validation data given as NumPy arrays move to X's namespace and device.
    X, Y, _ = data()
    reference = Network([4, 5, 3], output="softmax", seed=0)
    moved = reference.to(place.xp, place.device)
    val = (X[:20], Y[:20])
    Trainer(reference, seed=0).fit(X, Y, epochs=2, validation_data=val)
    Trainer(moved, seed=0).fit(place.put(X), Y, epochs=2, validation_data=val)
    assert_close(place, moved, reference)


def test_a_network_elsewhere_than_the_data_is_refused(place):
    X, Y, _ = data()
    trainer = Trainer(Network([4, 3], output="softmax", seed=0))
    with pytest.raises(TypeError, match=r"Move the network to the data first: Trainer\(net.to"):
        trainer.fit(place.put(X), place.put(Y), epochs=1)


def test_a_state_saved_from_torch_resumes_like_numpy(torch_cpu, tmp_path):
    X, Y, _ = data()
    runs = []
    for place in (None, torch_cpu):
        put = (lambda a: a) if place is None else place.put

        def trainer(place=place):
            net = Network([4, 5, 3], output="softmax", seed=0)
            net = net if place is None else net.to(place.xp, place.device)
            return Trainer(net, optimizer="adam", learning_rate=0.01, seed=2)

        first = trainer()
        first.fit(put(X), put(Y), epochs=2)
        path = tmp_path / f"state-{place is None}.safetensors"
        save_state(first.state_dict(), path)  # arrays leave the device for the file
        second = trainer()
        second.load_state_dict(load_state(path))
        second.fit(put(X), put(Y), epochs=4)
        runs.append(second.net)
    reference, moved = runs
    assert_close(torch_cpu, moved, reference)


def test_minibatch_gd_matches_numpy(place):
    X, Y, _ = data()
    y = Y.argmax(axis=1).astype(np.float64)  # class indices, one-hot encoded by the loop
    reference = Network([4, 5, 3], output="softmax", seed=0)
    moved = reference.to(place.xp, place.device)
    costs = minibatch_gd(reference, X, y, epochs=3, learning_rate=0.1, seed=0)
    moved_costs = minibatch_gd(
        moved, place.put(X), place.put(y), epochs=3, learning_rate=0.1, seed=0
    )
    np.testing.assert_allclose(moved_costs, costs, rtol=1e-10)
    assert_close(place, moved, reference)
