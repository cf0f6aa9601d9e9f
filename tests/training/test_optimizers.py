"""Optimizers against their update formulas, written out here independently."""

import math

import numpy as np
import pytest

from lucidnet.core.parameters import unpack
from lucidnet.training import (
    SGD,
    Adam,
    AdamW,
    clip_by_global_norm,
    get_optimizer,
    load_state,
    optimizer_names,
    save_state,
)

RNG = np.random.default_rng(0)
SHAPES = [(3, 2), (3, 1), (1, 3), (1, 1)]  # [W[1], b[1], W[2], b[2]]
MASK = [True, False, True, False]  # which entries are weights (core.parameters.weight_mask)
PARAMS = [RNG.normal(size=s) for s in SHAPES]
GRADS = [[RNG.normal(size=s) for s in SHAPES] for _ in range(4)]  # four steps
RATES = [0.1, 0.05, 0.05, 0.02]


def run(opt, steps=4):
    params = [p.copy() for p in PARAMS]
    for grads, lr in zip(GRADS[:steps], RATES[:steps], strict=True):
        params = opt.step(params, grads, lr)
    return params


def assert_lists_close(a, b, rtol=1e-13):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-15)


@pytest.mark.parametrize("steps", [1, 4])
def test_plain_sgd_is_p_minus_lr_g(steps):
    expected = [p.copy() for p in PARAMS]
    for grads, lr in zip(GRADS[:steps], RATES[:steps], strict=True):
        expected = [p - lr * g for p, g in zip(expected, grads, strict=True)]
    assert_lists_close(run(SGD(), steps), expected, rtol=0)


@pytest.mark.parametrize("steps", [1, 4])
def test_momentum(steps):
    mu = 0.9
    p = [x.copy() for x in PARAMS]
    v = [np.zeros_like(x) for x in PARAMS]
    for grads, lr in zip(GRADS[:steps], RATES[:steps], strict=True):
        for i, g in enumerate(grads):
            v[i] = mu * v[i] - lr * g  # v ← μ v − η g
            p[i] = p[i] + v[i]  # p ← p + v
    assert_lists_close(run(SGD(momentum=mu), steps), p)


@pytest.mark.parametrize("steps", [1, 4])
def test_nesterov(steps):
    mu = 0.8
    p = [x.copy() for x in PARAMS]
    v = [np.zeros_like(x) for x in PARAMS]
    for grads, lr in zip(GRADS[:steps], RATES[:steps], strict=True):
        for i, g in enumerate(grads):
            v[i] = mu * v[i] - lr * g  # v ← μ v − η g
            p[i] = p[i] + mu * v[i] - lr * g  # p ← p + μ v − η g
    assert_lists_close(run(SGD(momentum=mu, nesterov=True), steps), p)


def adam_reference(steps, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    """The paper's Algorithm 1 with m̂, v̂, and ε rescaled to the 'efficient' ordering."""
    p = [x.copy() for x in PARAMS]
    m = [np.zeros_like(x) for x in PARAMS]
    v = [np.zeros_like(x) for x in PARAMS]
    for t, (grads, lr) in enumerate(zip(GRADS[:steps], RATES[:steps], strict=True), start=1):
        for i, g in enumerate(grads):
            if weight_decay and MASK[i]:  # decoupled decay, weights only
                p[i] = p[i] - lr * weight_decay * p[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g**2
            m_hat = m[i] / (1 - b1**t)
            v_hat = v[i] / (1 - b2**t)
            eps_hat = eps / math.sqrt(1 - b2**t)
            p[i] = p[i] - lr * m_hat / (np.sqrt(v_hat) + eps_hat)
    return p


@pytest.mark.parametrize("steps", [1, 4])
def test_adam(steps):
    assert_lists_close(run(Adam(), steps), adam_reference(steps), rtol=1e-12)


def test_adam_first_step_moves_every_entry_by_about_lr():
    # At t = 1, m̂ = g and v̂ = g², so each step is η · g / (|g| + ε) ≈ ±η.
    new = Adam().step(PARAMS, GRADS[0], 0.01)
    for p, q, g in zip(PARAMS, new, GRADS[0], strict=True):
        np.testing.assert_allclose(p - q, 0.01 * np.sign(g), rtol=1e-5)


@pytest.mark.parametrize("steps", [1, 4])
def test_adamw_decays_weights_not_biases(steps):
    got = run(AdamW(weight_decay=0.1, weight_mask=MASK), steps)
    assert_lists_close(got, adam_reference(steps, weight_decay=0.1), rtol=1e-12)
    plain = run(Adam(), steps)
    np.testing.assert_array_equal(got[1], plain[1])  # b[1]: no decay
    np.testing.assert_array_equal(got[3], plain[3])  # b[2]
    assert not np.allclose(got[0], plain[0])  # W[1] decayed


def test_adamw_without_decay_is_adam():
    assert_lists_close(run(AdamW(weight_decay=0.0)), run(Adam()), rtol=0)


def test_adamw_decays_what_the_mask_says():
    # The mask, not the position, decides: marking only b[2] decays only b[2].
    only_b2 = [False, False, False, True]
    got = run(AdamW(weight_decay=0.1, weight_mask=only_b2), steps=1)
    plain = run(Adam(), steps=1)
    for i in range(3):
        np.testing.assert_array_equal(got[i], plain[i])
    assert not np.allclose(got[3], plain[3])


def test_adamw_without_a_mask_asks_for_one():
    with pytest.raises(ValueError, match="'weight_mask' parameter of AdamW must be 4 bools"):
        run(AdamW(weight_decay=0.1), steps=1)
    with pytest.raises(ValueError, match=r"Got \[True, False\] instead"):
        run(AdamW(weight_mask=[True, False]), steps=1)


def test_step_never_mutates_its_inputs():
    params = [p.copy() for p in PARAMS]
    for opt in (SGD(momentum=0.9, nesterov=True), Adam(), AdamW(weight_mask=MASK)):
        opt.step(params, GRADS[0], 0.1)
        snap = opt.snapshot()
        arrays = [a for part in snap for a in (part if isinstance(part, list) else [part])]
        arrays = [a for a in arrays if isinstance(a, np.ndarray)]
        kept = [a.copy() for a in arrays]
        assert kept  # velocities, or the moments m and v
        opt.step(params, GRADS[1], 0.1)
        assert_lists_close(params, PARAMS, rtol=0)
        assert_lists_close(arrays, kept, rtol=0)


@pytest.mark.parametrize(
    "make", [lambda: SGD(momentum=0.9, nesterov=True), Adam, lambda: AdamW(weight_mask=MASK)]
)
def test_state_dict_round_trip_continues_identically(make, tmp_path):
    a = make()
    params = run(a, steps=2)
    b = make()
    save_state({"opt": a.state_dict()}, tmp_path / "opt.safetensors")
    b.load_state_dict(load_state(tmp_path / "opt.safetensors")["opt"])
    pa = a.step(params, GRADS[2], 0.05)
    pb = b.step(params, GRADS[2], 0.05)
    assert_lists_close(pa, pb, rtol=0)


def test_snapshot_and_restore_undo_a_step():
    opt = Adam()
    params = opt.step(PARAMS, GRADS[0], 0.1)
    snap = opt.snapshot()
    first = opt.step(params, GRADS[1], 0.1)
    opt.restore(snap)
    assert_lists_close(opt.step(params, GRADS[1], 0.1), first, rtol=0)


def test_load_state_of_another_optimizer_is_refused():
    with pytest.raises(ValueError, match="optimizer 'sgd'"):
        Adam().load_state_dict(SGD().state_dict())


def test_get_optimizer():
    assert optimizer_names() == ["sgd", "adam", "adamw"]
    sgd = get_optimizer("SGD", learning_rate=0.5, momentum=0.9)
    assert isinstance(sgd, SGD) and sgd.learning_rate == 0.5 and sgd.momentum == 0.9
    adam = Adam(learning_rate=0.3)
    assert get_optimizer(adam, learning_rate=1.0) is adam
    with pytest.raises(ValueError, match="Unknown optimizer 'rmsprop'"):
        get_optimizer("rmsprop")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SGD(learning_rate=0), "'learning_rate' parameter of SGD"),
        (lambda: SGD(momentum=1.0001), "'momentum' parameter of SGD"),
        (lambda: Adam(beta_1=1.0), "'beta_1' parameter of Adam"),
        (lambda: AdamW(weight_decay=-1), "'weight_decay' parameter of AdamW"),
        (lambda: Adam(epsilon=0.0), r"'epsilon' parameter of Adam must be a float in \(0, inf\)"),
        (lambda: SGD(momentum=True), r"must be a float in \[0, 1\]\. Got True instead\."),
    ],
)
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_clip_by_global_norm():
    grads = [np.array([[3.0]]), np.array([[4.0]])]  # ‖g‖ = 5
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(clipped[0], [[0.6]])  # g · c / ‖g‖
    np.testing.assert_allclose(clipped[1], [[0.8]])
    same, _ = clip_by_global_norm(grads, 10.0)
    assert same[0] is grads[0] and same[1] is grads[1]  # within the limit: untouched


def test_matches_scikit_learns_optimizers_bit_for_bit():
    """scikit-learn's (private) optimizers, an independent implementation of the same rules."""
    so = pytest.importorskip("sklearn.neural_network._stochastic_optimizers")
    for ours, theirs in [
        (SGD(0.1, momentum=0.9, nesterov=True), so.SGDOptimizer),
        (SGD(0.1, momentum=0.9), so.SGDOptimizer),
        (Adam(0.1), so.AdamOptimizer),
    ]:
        params = [p.copy() for p in PARAMS]
        theirs_params = [p.copy() for p in PARAMS]  # updated in place by scikit-learn
        if isinstance(ours, SGD):
            ref = theirs(theirs_params, 0.1, momentum=0.9, nesterov=ours.nesterov)
        else:
            ref = theirs(theirs_params, 0.1)
        for grads in GRADS:
            params = ours.step(params, grads, 0.1)
            ref.update_params(theirs_params, grads)
        assert_lists_close(params, theirs_params, rtol=0)


def test_an_sgd_state_saved_with_per_array_velocities_still_loads():
    # states written before the velocity became one vector in θ's layout
    a = SGD(learning_rate=0.1, momentum=0.9)
    a.step(PARAMS, GRADS[0], 0.1)
    old = {k: v for k, v in a.state_dict().items() if k != "velocity"}
    old["velocities"] = unpack(a.velocity, PARAMS)  # the old format: one array per parameter
    b = SGD(learning_rate=0.1, momentum=0.9)
    b.load_state_dict(old)
    np.testing.assert_array_equal(b.velocity, a.velocity)
    assert_lists_close(b.step(PARAMS, GRADS[1], 0.1), a.step(PARAMS, GRADS[1], 0.1), rtol=0)
