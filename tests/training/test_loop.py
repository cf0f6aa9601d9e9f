"""The Trainer loop: minibatches, seeding, weights, validation, schedules, clipping."""

import tracemalloc

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.training import (
    SGD,
    AdamW,
    Callback,
    EarlyStopping,
    ReduceOnPlateau,
    Schedule,
    StepDecay,
    Trainer,
)


class BatchRecorder(Callback):
    def __init__(self):
        self.batches = []

    def on_batch_end(self, trainer, batch, logs):
        self.batches.append((trainer.epoch + 1, batch, logs["size"], logs["loss"]))


def accuracy(Y, A):
    return float(np.mean((A > 0.5) == (Y > 0.5)))


def test_same_int_seed_gives_bit_identical_weights(binary, snapshot, same_weights):
    X, Y = binary

    def train(seed):
        net = Network([3, 8, 8, 1], seed=0)
        trainer = Trainer(net, learning_rate=0.01, batch_size=7, dropout=0.3, seed=seed)
        trainer.fit(X, Y, epochs=4, validation_fraction=0.25, stratify=Y[:, 0])
        return snapshot(net), trainer.history["val_loss"]

    (w1, h1), (w2, h2), (w3, _) = train(5), train(5), train(6)
    same_weights(w1, w2)
    assert h1 == h2
    assert not np.array_equal(w1[0], w3[0])


def test_minibatches_and_the_last_partial_batch(binary):
    X, Y = binary[0][:10], binary[1][:10]
    recorder = BatchRecorder()
    trainer = Trainer(Network([3, 1], seed=0), batch_size=4, callbacks=[recorder], seed=0)
    history = trainer.fit(X, Y, epochs=2)
    assert [(e, b, s) for e, b, s, _ in recorder.batches] == [
        (1, 1, 4), (1, 2, 4), (1, 3, 2), (2, 1, 4), (2, 2, 4), (2, 3, 2)
    ]  # fmt: skip
    assert (trainer.t, trainer.n_batches, trainer.epoch) == (20, 6, 2)
    # the epoch loss: the mean of the minibatch costs weighted by minibatch size
    for epoch in (1, 2):
        rows = [(s, J) for e, _, s, J in recorder.batches if e == epoch]
        expected = sum(s * J for s, J in rows) / sum(s for s, _ in rows)
        assert history["loss"][epoch - 1] == pytest.approx(expected, rel=1e-14)


def test_each_epoch_visits_every_row_once_in_a_new_order(binary):
    X, Y = binary
    seen = []

    class Spy(Callback):
        def on_epoch_begin(self, trainer, epoch):
            seen.append([])

    net = Network([3, 1], seed=0)
    original = net.forward

    def forward(A0, **kw):
        seen[-1].extend(A0[0].tolist())  # the first feature identifies each row
        return original(A0, **kw)

    net.forward = forward
    Trainer(net, batch_size=16, callbacks=[Spy()], seed=0).fit(X, Y, epochs=2)
    assert sorted(seen[0]) == sorted(seen[1]) == sorted(X[:, 0].tolist())
    assert seen[0] != seen[1]


def test_minibatches_are_gathered_by_index_without_copying_X():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50_000, 32))
    Y = (X[:, :1] > 0) * 1.0
    trainer = Trainer(Network([32, 4, 1], seed=0), optimizer="sgd", batch_size=2000, seed=0)
    tracemalloc.start()
    trainer.fit(X, Y, epochs=2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < X.nbytes / 2  # a copy of X (12.8 MB) would show here


def test_a_memmap_trains_like_the_array_without_being_copied(tmp_path, snapshot):
    # Issue 13: Trainer.fit refused numpy.memmap (and every other ndarray subclass).
    rng = np.random.default_rng(0)
    data = rng.normal(size=(40_000, 32))
    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", shape=data.shape)
    X[:] = data
    X.flush()
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert type(X) is np.memmap
    Y = (data[:, :1] > 0) * 1.0

    def train(X):
        net = Network([32, 4, 1], seed=0)
        trainer = Trainer(net, optimizer="sgd", batch_size=2000, seed=0)
        trainer.fit(X, Y, epochs=2, validation_data=(X[:100], Y[:100]))
        return snapshot(net), trainer.history["loss"]

    tracemalloc.start()
    weights, losses = train(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < X.nbytes / 2  # a copy of the mapped file (10.2 MB) would show here
    expected, expected_losses = train(data)
    assert losses == expected_losses
    for a, b in zip(weights, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_sample_weight_of_integers_equals_repeating_rows(binary, snapshot):
    X, Y = binary
    counts = np.random.default_rng(3).integers(0, 4, size=len(X))

    def train(X, Y, sample_weight=None):
        net = Network([3, 5, 1], hidden_activation="tanh", seed=0)
        trainer = Trainer(net, optimizer=SGD(0.5), batch_size=1000, alpha=1e-3, seed=0)
        trainer.fit(X, Y, epochs=20, sample_weight=sample_weight)
        return snapshot(net), trainer.history["loss"]

    weighted, loss_w = train(X, Y, counts)
    repeated, loss_r = train(np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0))
    for a, b in zip(weighted, repeated, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    np.testing.assert_allclose(loss_w, loss_r, rtol=1e-12)


def test_epoch_loss_is_weighted_by_the_sample_weight_of_each_batch(binary):
    X, Y = binary[0][:10], binary[1][:10]
    s = np.arange(1.0, 11.0)
    costs = []

    class Costs(Callback):
        def on_batch_end(self, trainer, batch, logs):
            costs.append(logs["loss"])

    trainer = Trainer(Network([3, 1], seed=0), batch_size=4, shuffle=False, callbacks=[Costs()])
    history = trainer.fit(X, Y, epochs=1, sample_weight=s)
    sums = [s[:4].sum(), s[4:8].sum(), s[8:].sum()]
    expected = sum(w * J for w, J in zip(sums, costs, strict=True)) / s.sum()
    assert history["loss"][0] == pytest.approx(expected, rel=1e-14)


def test_class_weight_balanced_predicts_the_minority_more_often():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0.0, 1.0, size=(180, 2)), rng.normal(1.0, 1.0, size=(20, 2))])
    Y = np.r_[np.zeros(180), np.ones(20)][:, None]

    def minority_predictions(class_weight):
        net = Network([2, 1], seed=0)
        Trainer(net, optimizer="adam", learning_rate=0.05, seed=0).fit(
            X, Y, epochs=40, class_weight=class_weight
        )
        return int(np.sum(net.predict_output(X.T) > 0.5))

    plain, balanced = minority_predictions(None), minority_predictions("balanced")
    assert plain < 20 < balanced  # unweighted under-predicts the 10 % class; balanced does not


def test_class_weight_dict_equals_the_matching_sample_weight(multiclass, snapshot, same_weights):
    X, Y, labels = multiclass

    def train(**kw):
        net = Network([2, 4, 3], output="softmax", seed=0)
        Trainer(net, learning_rate=0.01, seed=0).fit(X, Y, epochs=3, **kw)
        return snapshot(net)

    by_class = train(class_weight={0: 1.0, 1: 3.0, 2: 0.5})
    by_row = train(sample_weight=np.array([1.0, 3.0, 0.5])[labels])
    same_weights(by_class, by_row)


def test_validation_fraction_is_stratified_and_seeded(multiclass):
    X, Y, labels = multiclass
    sizes = []

    class ValSize(Callback):
        def on_train_begin(self, trainer):
            sizes.append(trainer.batches_per_epoch)

    trainer = Trainer(
        Network([2, 3], output="softmax", seed=0), batch_size=1, callbacks=[ValSize()]
    )
    trainer.fit(X, Y, epochs=1, validation_fraction=0.2, stratify=labels)
    assert sizes == [72]  # 90 rows, 6 of each class held out

    from lucidnet.training.data import validation_split

    rng = np.random.default_rng(0)
    train_idx, val_idx = validation_split(90, 0.2, rng, labels)
    assert np.bincount(labels[val_idx]).tolist() == [6, 6, 6]
    assert sorted(np.r_[train_idx, val_idx].tolist()) == list(range(90))


def test_validation_data_and_metrics_are_logged(binary):
    X, Y = binary
    X_val, Y_val = X[:20] + 0.1, Y[:20]
    net = Network([3, 4, 1], seed=0)
    trainer = Trainer(net, learning_rate=0.05, seed=0)
    history = trainer.fit(X, Y, epochs=3, validation_data=(X_val, Y_val), metrics={"acc": accuracy})
    assert list(history.records[0]) == ["epoch", "loss", "val_loss", "val_acc", "lr", "seconds"]
    assert history["epoch"] == [1, 2, 3]
    assert history["lr"] == [0.05] * 3
    assert all(s >= 0 for s in history["seconds"])
    # the last record describes the final weights
    assert history["val_loss"][-1] == net.cost(net.forward(X_val.T), Y_val.T)
    assert history["val_acc"][-1] == accuracy(Y_val, net.predict_output(X_val.T).T)


def test_validation_sample_weights_weight_the_validation_loss(binary):
    X, Y = binary
    s_val = np.linspace(0.5, 2.0, 20)
    net = Network([3, 1], seed=0)
    history = Trainer(net, seed=0).fit(X, Y, epochs=1, validation_data=(X[:20], Y[:20], s_val))
    assert history["val_loss"][0] == net.cost(net.forward(X[:20].T), Y[:20].T, sample_weight=s_val)


def test_one_epoch_at_a_time_equals_all_at_once(binary, snapshot, same_weights):
    X, Y = binary

    def trainer():
        return Trainer(Network([3, 6, 1], seed=0), learning_rate=0.02, dropout=0.2, seed=1)

    whole = trainer()
    whole.fit(X, Y, epochs=4, validation_fraction=0.2)
    stepwise = trainer()
    for _ in range(4):
        stepwise.fit(X, Y, epochs=stepwise.epoch + 1, validation_fraction=0.2)  # partial_fit
    same_weights(snapshot(whole.net), snapshot(stepwise.net))
    assert whole.history["val_loss"] == stepwise.history["val_loss"]
    assert stepwise.fit(X, Y, epochs=2) is stepwise.history  # already past: nothing to do
    assert stepwise.epoch == 4


def test_dropout_is_seeded_and_changes_training(binary, snapshot, same_weights):
    X, Y = binary

    def train(dropout):
        net = Network([3, 8, 1], seed=0)
        Trainer(net, dropout=dropout, seed=0).fit(X, Y, epochs=2)
        return snapshot(net)

    same_weights(train(0.5), train(0.5))
    assert not np.array_equal(train(0.5)[0], train(None)[0])


def test_gradient_clipping_caps_the_step(binary, snapshot):
    X, Y = binary
    X = X * 100  # large gradients
    net = Network([3, 4, 1], seed=0)
    before = snapshot(net)
    trainer = Trainer(net, optimizer="sgd", learning_rate=1.0, batch_size=len(X), clip_norm=0.5)
    trainer.fit(X, Y, epochs=1)
    step = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(snapshot(net), before, strict=True)))
    assert step == pytest.approx(0.5, rel=1e-12)  # one SGD step of length η · c


def test_schedule_sets_the_rate_of_each_epoch(binary):
    X, Y = binary
    trainer = Trainer(Network([3, 1], seed=0), optimizer="sgd", learning_rate=0.4,
                      schedule=StepDecay(step_size=2, gamma=0.5))  # fmt: skip
    history = trainer.fit(X, Y, epochs=4)
    assert history["lr"] == [0.4, 0.4, 0.2, 0.2]  # η₀ · γ^⌊e / 2⌋
    assert trainer.learning_rate_ == 0.1  # the rate of the next epoch


def test_plateau_schedule_can_watch_the_validation_loss(binary):
    X, Y = binary
    schedule = ReduceOnPlateau(factor=0.5, patience=1, min_delta=10.0, monitor="val_loss")
    trainer = Trainer(Network([3, 1], seed=0), learning_rate=0.1, schedule=schedule)
    history = trainer.fit(X, Y, epochs=4, validation_fraction=0.25)
    assert history["lr"] == [0.1, 0.1, 0.05, 0.025]  # after the first epoch, never better by 10
    with pytest.raises(ValueError, match="The schedule monitors 'val_loss'"):
        Trainer(Network([3, 1]), schedule=ReduceOnPlateau(monitor="val_loss")).fit(X, Y, epochs=1)


def test_a_per_batch_schedule_is_asked_before_every_batch(binary):
    X, Y = binary
    asked = []

    class Halving(Schedule):
        per_batch = True

        def rate(self, base_lr, epoch, step, samples_seen):
            asked.append((epoch, step, samples_seen))
            return base_lr / (step + 1)

    Trainer(Network([3, 1]), schedule=Halving(), batch_size=30).fit(X, Y, epochs=2)
    assert (0, 1, 30) in asked and (1, 3, 90) in asked


def test_one_dimensional_targets_are_accepted_for_one_output(binary, snapshot, same_weights):
    X, Y = binary
    a, b = Network([3, 1], seed=0), Network([3, 1], seed=0)
    Trainer(a, seed=0).fit(X, Y, epochs=2)
    Trainer(b, seed=0).fit(X, Y[:, 0], epochs=2)
    same_weights(snapshot(a), snapshot(b))


def test_float32_networks_train_in_float32(binary):
    X, Y = binary
    net = Network([3, 4, 1], seed=0, dtype=np.float32)
    Trainer(net, optimizer="adamw", seed=0).fit(X, Y, epochs=2)
    assert all(net.W[l].dtype == np.float32 and net.b[l].dtype == np.float32 for l in (1, 2))


def test_the_trainer_tells_adamw_which_parameters_are_weights(binary):
    X, Y = binary
    net = Network([3, 4, 1], seed=0)
    trainer = Trainer(net, optimizer="adamw", seed=0)
    assert trainer.optimizer.weight_mask == [True, False, True, False]
    # The same run with a hand-made AdamW, told the mask, ends at the same weights.
    twin = Network([3, 4, 1], seed=0)
    mask = [True, False, True, False]
    Trainer(twin, optimizer=AdamW(weight_mask=mask), seed=0).fit(X, Y, epochs=2)
    trainer.fit(X, Y, epochs=2)
    for l in (1, 2):
        np.testing.assert_array_equal(net.W[l], twin.W[l])
    with pytest.raises(
        ValueError,
        match=r"'weight_mask' parameter of AdamW must be 4 bools, one per array of this network",
    ):
        Trainer(Network([3, 4, 1]), optimizer=AdamW(weight_mask=[True, False]))


def test_array_api_arrays_train_like_numpy(binary):
    xps = pytest.importorskip("array_api_strict")
    X, Y = binary
    a = Network([3, 4, 1], hidden_activation="tanh", seed=0)
    b = a.to(xps)
    Trainer(a, optimizer="adam", learning_rate=0.05, seed=0).fit(
        X, Y, epochs=2, validation_fraction=0.2
    )
    Trainer(b, optimizer="adam", learning_rate=0.05, seed=0).fit(
        xps.asarray(X), xps.asarray(Y), epochs=2, validation_fraction=0.2
    )
    for l in (1, 2):
        np.testing.assert_allclose(np.asarray(b.W[l]), a.W[l], rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"X": np.ones((5, 2))}, r"X must have shape \(n_samples, 3\)"),
        ({"Y": np.ones((4, 1))}, "Y has 4 rows but X has 5"),
        ({"X": np.full((5, 3), np.nan)}, "X contains NaN"),
        ({"sample_weight": -np.ones(5)}, "non-negative"),
        ({"validation_fraction": 1.5}, "'validation_fraction' parameter of Trainer.fit"),
        (
            {"validation_fraction": 0.2, "validation_data": (np.ones((2, 3)), np.ones(2))},
            "not both",
        ),
        ({"metrics": {"acc": accuracy}}, "metrics are computed on validation data"),
        ({"class_weight": "auto"}, "'balanced'"),
        ({"class_weight": {5: 2.0}}, "class indices 0..1"),
        ({"epochs": -1}, r"'epochs' parameter of Trainer.fit must be an int in \[0, inf\)"),
    ],
)
def test_fit_rejects_bad_inputs_with_clear_messages(kwargs, message):
    args = {"X": np.ones((5, 3)), "Y": np.ones((5, 1)), "epochs": 1, **kwargs}
    X, Y = args.pop("X"), args.pop("Y")
    with pytest.raises(ValueError, match=message):
        Trainer(Network([3, 1])).fit(X, Y, **args)


def test_monitoring_validation_without_validation_data_is_refused(binary):
    X, Y = binary
    trainer = Trainer(Network([3, 1]), early_stopping=EarlyStopping(monitor="val_loss"))
    with pytest.raises(ValueError, match=r"EarlyStopping monitors 'val_loss'.*validation_fraction"):
        trainer.fit(X, Y, epochs=1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 0},
        {"alpha": -1.0},
        {"clip_norm": 0.0},
        {"verbose": 3},
        {"optimizer": "lbfgs"},
    ],
)
def test_trainer_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError):
        Trainer(Network([3, 1]), **kwargs)
