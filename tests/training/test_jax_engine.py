"""engine="jax": the same core and optimizer rule compiled, checked against the NumPy engine."""

import re
import sys

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.core.ensemble import Ensemble
from lucidnet.core.parameters import parameters
from lucidnet.training import (
    SGD,
    AdamW,
    Callback,
    EarlyStopping,
    GradientNormRecorder,
    Schedule,
    TimeLimit,
    Trainer,
    jax_engine,
    loop,
)

jax = pytest.importorskip("jax")


def weights(net):
    return [np.array(a) for a in parameters(net)]


def both(make_net, X, Y, *, epochs=1, fit=None, fresh=dict, **kwargs):
    """The same run on both engines: (numpy trainer, jax trainer); ``fresh()`` gives the
    keyword arguments that must be new objects for each trainer (callbacks, schedules)."""
    out = []
    for engine in ("numpy", "jax"):
        trainer = Trainer(make_net(), engine=engine, **kwargs, **fresh())
        trainer.fit(X, Y, epochs=epochs, **(fit or {}))
        out.append(trainer)
    return out


def assert_close_weights(a, b, rtol, atol):
    for x, y in zip(weights(a.net), weights(b.net), strict=True):
        np.testing.assert_allclose(y, x, rtol=rtol, atol=atol)


@pytest.fixture
def data32():
    """100 rows (B = 16 leaves a partial last batch of 4), float32."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 4)).astype(np.float32)
    Y = (X[:, :1] - 0.5 * X[:, 1:2] > 0).astype(np.float32)
    return X, Y


@pytest.mark.parametrize(
    "optimizer",
    [
        SGD(learning_rate=0.1),
        SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        "adam",
        AdamW(learning_rate=0.01, weight_decay=0.1),
    ],
    ids=["sgd", "nesterov", "adam", "adamw"],
)
def test_one_epoch_agrees_with_numpy_to_float32_rounding(data32, optimizer):
    X, Y = data32

    def make():
        return Network([4, 16, 8, 1], seed=0, dtype=np.float32)

    # the same seed: the same initial weights and the same minibatch order on both engines
    assert all(np.array_equal(a, b) for a, b in zip(weights(make()), weights(make()), strict=True))
    opt = optimizer if isinstance(optimizer, str) else None
    runs = []
    for engine in ("numpy", "jax"):
        o = opt or type(optimizer)(**{k: getattr(optimizer, k) for k in optimizer._hyper_names})
        trainer = Trainer(make(), optimizer=o, learning_rate=0.01, batch_size=16, seed=7,
                          engine=engine)  # fmt: skip
        trainer.fit(X, Y, epochs=1)
        runs.append(trainer)
    numpy_run, jax_run = runs
    assert_close_weights(numpy_run, jax_run, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(jax_run.history["loss"], numpy_run.history["loss"], rtol=1e-5)
    assert (jax_run.t, jax_run.n_batches) == (numpy_run.t, numpy_run.n_batches) == (100, 7)


def test_float64_agrees_to_float64_rounding_over_epochs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    labels = rng.integers(0, 3, size=90)
    Y = np.eye(3)[labels]

    def make():
        return Network([3, 10, 3], output="softmax", hidden_activation="tanh", seed=1)

    numpy_run, jax_run = both(make, X, Y, epochs=3, optimizer="adam", learning_rate=0.02,
                              batch_size=20, alpha=0.01, seed=2)  # fmt: skip
    assert jax_run.net.W[1].dtype == np.float64
    assert_close_weights(numpy_run, jax_run, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(jax_run.history["loss"], numpy_run.history["loss"], rtol=1e-12)
    assert jax_run.optimizer.t == numpy_run.optimizer.t == 15
    np.testing.assert_allclose(jax_run.optimizer.m, numpy_run.optimizer.m, rtol=1e-10, atol=1e-14)


class PerStep(Schedule):
    """A schedule asked before every step: η = η0 / (1 + 0.1 · steps so far)."""

    per_batch = True

    def rate(self, base_lr, epoch, step, samples_seen):
        return base_lr / (1 + 0.1 * step)


def test_weights_clipping_schedule_ensemble_and_regression_agree():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(70, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.normal(size=(70, 1))
    s = rng.uniform(0.2, 2.0, size=70)

    def make():
        return Ensemble([3, 6, 1], members=3, output="identity", seed=4)

    numpy_run, jax_run = both(
        make, X, Y, epochs=2, fit={"sample_weight": s}, optimizer="sgd", learning_rate=0.05,
        fresh=lambda: {"schedule": PerStep()}, batch_size=16, clip_norm=0.5, alpha=0.1, seed=3,
    )  # fmt: skip
    assert jax_run.learning_rate_ == numpy_run.learning_rate_ == 0.05 / (1 + 0.1 * 10)
    assert_close_weights(numpy_run, jax_run, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(jax_run.history["lr"], numpy_run.history["lr"], rtol=1e-15)


def test_a_batch_whose_rows_all_weigh_zero_takes_no_step_on_both_engines():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    Y = (X[:, :1] > 0) * 1.0
    s = np.ones(40)
    s[10:20] = 0.0  # the second minibatch of 10 (no shuffle) weighs nothing

    def make():
        return Network([2, 4, 1], seed=0)

    numpy_run, jax_run = both(make, X, Y, fit={"sample_weight": s}, optimizer="adam",
                              learning_rate=0.1, batch_size=10, shuffle=False)  # fmt: skip
    assert numpy_run.n_batches == jax_run.n_batches == 3
    assert numpy_run.optimizer.t == jax_run.optimizer.t == 3
    assert_close_weights(numpy_run, jax_run, rtol=1e-11, atol=1e-13)


def test_validation_and_early_stopping_match_numpy(data32):
    X, Y = (a.astype(np.float64) for a in data32)  # float64: equal to rounding, epoch by epoch

    def make():
        return Network([4, 16, 1], seed=0)

    runs = both(make, X, Y, epochs=40, fit={"validation_fraction": 0.3},
                learning_rate=0.05, batch_size=16, seed=1,
                fresh=lambda: {"early_stopping": EarlyStopping(patience=3)})  # fmt: skip
    numpy_run, jax_run = runs
    assert jax_run.epoch == numpy_run.epoch < 40
    assert jax_run.best_epoch == numpy_run.best_epoch < jax_run.epoch
    np.testing.assert_allclose(jax_run.history["val_loss"], numpy_run.history["val_loss"],
                               rtol=1e-10)  # fmt: skip
    assert_close_weights(numpy_run, jax_run, rtol=1e-9, atol=1e-12)  # the best epoch restored


def test_resume_is_bit_identical_on_the_jax_engine(data32):
    X, Y = data32

    def make_trainer():
        net = Network([4, 8, 1], seed=0, dtype=np.float32)
        return Trainer(net, learning_rate=0.01, batch_size=16, seed=4, engine="jax")

    whole = make_trainer()
    whole.fit(X, Y, epochs=4)
    first = make_trainer()
    first.fit(X, Y, epochs=2)
    resumed = make_trainer()
    resumed.load_state_dict(first.state_dict())
    resumed.fit(X, Y, epochs=4)
    for a, b in zip(weights(whole.net), weights(resumed.net), strict=True):
        np.testing.assert_array_equal(a, b)
    assert whole.history["loss"] == resumed.history["loss"]


class InterruptAt(Callback):
    def __init__(self, epoch, batch):
        self.at, self.kept = (epoch, batch), {}

    def on_epoch_end(self, trainer, epoch, logs):
        self.kept[epoch] = weights(trainer.net)

    def on_batch_end(self, trainer, batch, logs):
        if (trainer.epoch + 1, batch) == self.at:
            raise KeyboardInterrupt


def test_ctrl_c_rolls_back_to_the_epoch_boundary(data32, capsys):
    X, Y = data32
    stop = InterruptAt(3, 2)
    trainer = Trainer(Network([4, 8, 1], seed=0, dtype=np.float32), batch_size=16, seed=0,
                      engine="jax", callbacks=[stop])  # fmt: skip
    trainer.fit(X, Y, epochs=5)
    assert trainer.interrupted and trainer.epoch == 2
    for a, b in zip(weights(trainer.net), stop.kept[2], strict=True):
        np.testing.assert_array_equal(a, b)
    assert "stopped cleanly after 2 complete epoch(s)" in capsys.readouterr().err
    trainer.callbacks.remove(stop)
    trainer.fit(X, Y, epochs=3)  # and it resumes
    assert trainer.epoch == 3


def test_divergence_names_the_same_batch_as_numpy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)) * 1e3
    Y = X[:, :1] * 5 + 1
    messages = []
    for engine in ("numpy", "jax"):
        trainer = Trainer(Network([3, 8, 1], output="identity", seed=0), optimizer="sgd",
                          learning_rate=1e3, batch_size=30, seed=0, engine=engine)  # fmt: skip
        with pytest.raises(ValueError, match="Training diverged at epoch") as info:
            trainer.fit(X, Y, epochs=50)
        messages.append(re.search(r"at epoch \d+, batch \d+", str(info.value))[0])
        assert all(np.all(np.isfinite(a)) for a in weights(trainer.net))
        assert trainer.stop_reason == "diverged"
    assert messages[0] == messages[1]


def test_dropout_is_seeded_on_the_jax_engine(data32):
    X, Y = data32

    def run(dropout):
        trainer = Trainer(Network([4, 16, 1], seed=0, dtype=np.float32), batch_size=16,
                          dropout=dropout, seed=5, engine="jax")  # fmt: skip
        trainer.fit(X, Y, epochs=2)
        return weights(trainer.net)

    a, b, plain = run(0.5), run(0.5), run(None)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.allclose(x, y) for x, y in zip(a, plain, strict=True))


def test_batch_hooks_are_replayed_after_the_epoch(data32):
    X, Y = data32
    seen = []

    class Record(Callback):
        def on_batch_end(self, trainer, batch, logs):
            seen.append((batch, logs["size"], logs["loss"]))

    trainer = Trainer(Network([4, 8, 1], seed=0, dtype=np.float32), batch_size=16,
                      engine="jax", callbacks=[Record()])  # fmt: skip
    trainer.fit(X, Y, epochs=1)
    assert [(b, n) for b, n, _ in seen] == [(k, 16) for k in range(1, 7)] + [(7, 4)]
    total = sum(n * J for _, n, J in seen) / 100
    assert total == pytest.approx(trainer.history["loss"][0], rel=1e-6)


def test_what_the_jax_engine_refuses_is_named(data32):
    X, Y = data32
    net = Network([4, 8, 1], seed=0, dtype=np.float32)
    trainer = Trainer(net, engine="jax", callbacks=[GradientNormRecorder()])
    with pytest.raises(ValueError, match="GradientNormRecorder reads every step's gradients"):
        trainer.fit(X, Y, epochs=1)
    with pytest.raises(ValueError, match="'engine' parameter of Trainer must be 'numpy' or 'jax'"):
        Trainer(net, engine="torch")


def test_a_missing_jax_is_named_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(ImportError, match=r'pip install "lucidnet\[jax\]"'):
        Trainer(Network([2, 1]), engine="jax")


class FakeClock:
    """A monotonic clock that moves only when told."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_compilation_comes_before_the_time_limits_clock(data32, monkeypatch):
    # a compilation that takes 100 (fake) seconds leaves a 10-second budget untouched:
    # the engine compiles while it starts, and the budget counts training only
    clock = FakeClock()
    times = type("FakeTime", (), {"monotonic": clock, "perf_counter": clock})
    monkeypatch.setattr(loop, "time", times)
    compiled = jax_engine.JaxEngine._compiled

    def slow(self, *args, **kwargs):
        clock.now += 100.0
        return compiled(self, *args, **kwargs)

    monkeypatch.setattr(jax_engine.JaxEngine, "_compiled", slow)
    limit = TimeLimit(10.0, clock())
    limit._clock = clock
    X, Y = data32
    trainer = Trainer(Network([4, 6, 1], seed=0, dtype=np.float32), engine="jax", callbacks=[limit])
    trainer.fit(X, Y, epochs=3)
    assert trainer.epoch == 3 and not limit.hit and limit.elapsed() == 0.0
    assert trainer.startup == (1000.0, 1100.0)


def test_the_epochs_compile_nothing_once_the_engine_has_started(data32):
    events = []

    def listen(event, seconds, **kwargs):
        if event.endswith("backend_compile_duration"):
            events.append(kwargs.get("fun_name"))

    class Mark(Callback):
        def on_train_begin(self, trainer):
            events.append("started")

    X, Y = data32
    net = Network([4, 5, 3, 1], seed=0, dtype=np.float32)  # an architecture of its own
    trainer = Trainer(net, engine="jax", batch_size=12, dropout=0.2, callbacks=[Mark()])
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:  # the epoch, the transfers of its rows and rates, the dropout keys: all at start
        trainer.fit(X, Y, epochs=2, sample_weight=np.linspace(0.5, 1.0, len(X)))
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    started = events.index("started")
    assert "jit(epoch)" in events[:started] and events[started + 1 :] == []


def test_the_update_rule_is_pure_under_jax():
    jnp = jax.numpy
    opt = AdamW(weight_decay=0.1, weight_mask=[True, False])
    params = [np.ones((2, 3)), np.zeros((2, 1))]
    state = opt.init_state(params)
    theta = jnp.asarray(np.concatenate([p.ravel() for p in params]))
    g = jnp.full(theta.shape, 0.5)
    kept = np.array(theta)
    new_theta, (t, m, _, _) = opt.update(theta, g, tuple(jnp.asarray(x) for x in state), 0.1)
    np.testing.assert_array_equal(np.array(theta), kept)  # the input is unchanged
    assert float(t) == 1 and not np.array_equal(np.array(new_theta), kept)
    np.testing.assert_allclose(np.array(m), 0.05)  # m = (1 − β1) g
