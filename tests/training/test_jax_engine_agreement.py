"""engine="jax" against engine="numpy" to the last bits, and what JAX refuses, named."""

import numpy as np
import pytest

from lucidnet import MLPClassifier, MLPRegressor, Network
from lucidnet.core.parameters import parameters
from lucidnet.training import Trainer

jax = pytest.importorskip("jax")


def one_epoch(dtype, optimizer, engine):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 4)).astype(dtype)
    Y = (X[:, :1] - 0.5 * X[:, 1:2] > 0).astype(dtype)
    trainer = Trainer(Network([4, 16, 8, 1], seed=0, dtype=dtype), optimizer=optimizer,
                      learning_rate=0.01, batch_size=16, seed=7, engine=engine)  # fmt: skip
    trainer.fit(X, Y, epochs=1)
    return [np.array(a) for a in parameters(trainer.net)], trainer.net.predict_output(X.T)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize(
    ("dtype", "weights_atol", "output_atol"),
    [
        (np.float32, 2e-6, 5e-6),  # about 1e-6: a few float32 ulps
        (np.float64, 2 * np.finfo(np.float64).eps, 2 * np.finfo(np.float64).eps),  # ~1e-16
    ],
)
def test_one_epoch_agrees_to_a_few_ulps_absolute(dtype, optimizer, weights_atol, output_atol):
    (w_np, out_np), (w_jax, out_jax) = (one_epoch(dtype, optimizer, e) for e in ("numpy", "jax"))
    for a, b in zip(w_np, w_jax, strict=True):
        assert b.dtype == a.dtype == dtype
        np.testing.assert_allclose(b, a, rtol=0, atol=weights_atol)
    np.testing.assert_allclose(out_jax, out_np, rtol=0, atol=output_atol)


def test_the_trainer_on_the_jax_engine_refuses_data_outside_numpy():
    xps = pytest.importorskip("array_api_strict")
    X = np.random.default_rng(0).normal(size=(20, 3))
    Y = (X[:, :1] > 0) * 1.0
    X, Y = xps.asarray(X), xps.asarray(Y)
    net = Network([3, 4, 1], seed=0).to(xps, X.device)  # network and data in one place
    trainer = Trainer(net, engine="jax")
    with pytest.raises(TypeError, match="engine='jax' takes NumPy data") as info:
        trainer.fit(X, Y, epochs=1)
    assert "engine='numpy'" in str(info.value)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_the_estimators_on_the_jax_engine_refuse_data_outside_numpy(Est):
    xps = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(np.int64) if Est is MLPClassifier else X[:, 0]
    with pytest.raises(ValueError, match="data or a device outside NumPy") as info:
        Est(hidden_layer_sizes=(4,), max_iter=2, engine="jax").fit(xps.asarray(X), xps.asarray(y))
    assert "engine='numpy'" in str(info.value)


def embedded_fit(dtype, engine, epochs):
    from lucidnet.core.embedded import EmbeddedEnsemble
    from lucidnet.core.embeddings import PeriodicEmbedding

    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4)).astype(dtype)
    Y = (np.sin(3 * X[:, :1]) - 0.5 * X[:, 1:2] > 0).astype(dtype)
    embedding = PeriodicEmbedding(4, (0, 1, 2), n_frequencies=8, dim=4, sigma=(0.1, 1.0))
    net = EmbeddedEnsemble(embedding, [4, 16, 1], 2, seed=0, dtype=dtype)
    trainer = Trainer(net, optimizer="adam", learning_rate=0.01, batch_size=16, seed=7,
                      engine=engine)  # fmt: skip
    trainer.fit(X, Y, epochs=epochs)
    return [np.array(a) for a in parameters(trainer.net)], trainer.net.predict_output(X.T)


@pytest.mark.parametrize(
    ("dtype", "epochs", "atol"),
    [
        (np.float32, 1, 5e-6),  # measured 1.5e-6: a few float32 ulps after one epoch
        (np.float64, 50, 1e-11),  # measured 9e-14 after 50 epochs
    ],
)
def test_the_periodic_embedding_agrees_to_rounding_on_both_engines(dtype, epochs, atol):
    """cos and sin round differently in NumPy and XLA; in float64 the two fits stay equal
    to ~1e-13 over 50 epochs, so a float32 fit's drift (measured here 7e-3 in the outputs
    after 50 epochs, on the recipe's penguins fit 7e-3 in the probabilities) is float32
    rounding amplified by training, not a difference in the passes."""
    (w_np, out_np), (w_jax, out_jax) = (embedded_fit(dtype, e, epochs) for e in ("numpy", "jax"))
    for a, b in zip(w_np, w_jax, strict=True):
        assert b.dtype == a.dtype == dtype
        np.testing.assert_allclose(b, a, rtol=0, atol=atol)
    np.testing.assert_allclose(out_jax, out_np, rtol=0, atol=atol)
