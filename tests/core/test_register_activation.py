"""User-defined activations: register, use, check; the registry guards its built-ins.

Registration is global to the process, so every test uses its own name (with
``overwrite=True`` where it registers, so that re-running a test in one session works).
"""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import (
    Network,
    activation_names,
    check_gradients,
    get_activation,
    get_output,
    register_activation,
)
from lucidnet.core.activations import sigmoid

BUILTINS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]


def softplus(Z):
    # g(z) = log(1 + e^z), computed as logaddexp(0, z): no overflow
    return np.logaddexp(0, Z)


def test_registered_softplus_trains_through_the_gradient_check():
    act = register_activation("test_softplus_gc", softplus, sigmoid, overwrite=True)
    assert act.name == "test_softplus_gc"
    assert repr(act) == "Activation('test_softplus_gc')"
    assert "test_softplus_gc" in activation_names()
    assert get_activation("test_softplus_gc") is act

    rng = np.random.default_rng(0)
    net = Network([3, 4, 4, 1], hidden_activation="test_softplus_gc", seed=0)
    for l in range(1, net.L + 1):
        net.b[l] = rng.uniform(-0.5, 0.5, size=net.b[l].shape)
    A0 = rng.normal(size=(3, 5))
    Y = rng.integers(0, 2, size=(1, 5)).astype(float)
    cache = net.forward(A0)
    np.testing.assert_allclose(cache.A[1], np.log1p(np.exp(cache.Z[1])), rtol=1e-12)
    result = check_gradients(net, A0, Y, alpha=0.1)
    assert result.passed, str(result)
    assert result.max_error < 1e-6


def test_a_wrong_registered_derivative_fails_the_gradient_check():
    # g′ given as g itself: the check must say so.
    register_activation("test_softplus_wrong_prime", softplus, softplus, overwrite=True)
    rng = np.random.default_rng(1)
    net = Network([2, 3, 1], hidden_activation="test_softplus_wrong_prime", seed=1)
    A0 = rng.normal(size=(2, 4))
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    assert not check_gradients(net, A0, Y).passed


def test_registered_init_scheme_is_used():
    register_activation("test_softplus_he", softplus, sigmoid, init="he", overwrite=True)
    assert get_activation("test_softplus_he").init == "he"
    a = Network([400, 300, 1], hidden_activation="test_softplus_he", seed=0)
    # He: normal with std √(2/400) ≈ 0.071; the largest of 120 000 draws (≈ 4.5 std ≈ 0.3)
    # lies far past the Glorot bound √(6/700) ≈ 0.093 that a default registration respects.
    assert np.max(np.abs(a.W[1])) > np.sqrt(6 / 700)
    register_activation("test_softplus_glorot", softplus, sigmoid, overwrite=True)
    g = Network([400, 300, 1], hidden_activation="test_softplus_glorot", seed=0)
    assert np.max(np.abs(g.W[1])) <= np.sqrt(6 / 700)
    with pytest.raises(ValueError, match="'he' or 'glorot'"):
        register_activation("test_softplus_bad_init", softplus, sigmoid, init="lecun")


def test_duplicates_are_refused_without_overwrite():
    first = register_activation("test_softplus_dup", softplus, sigmoid, overwrite=True)
    with pytest.raises(ValueError, match=r"already registered.*overwrite=True"):
        register_activation("test_softplus_dup", softplus, sigmoid)
    assert get_activation("test_softplus_dup") is first
    second = register_activation("test_softplus_dup", softplus, sigmoid, overwrite=True)
    assert get_activation("test_softplus_dup") is second


@pytest.mark.parametrize("name", [*BUILTINS, "softmax"])
def test_builtins_cannot_be_replaced(name):
    before = get_activation(name) if name != "softmax" else None
    with pytest.raises(ValueError, match="built-in"):
        register_activation(name, softplus, sigmoid, overwrite=True)
    if before is not None:
        assert get_activation(name) is before


def test_bad_registrations_are_type_errors():
    with pytest.raises(TypeError, match="non-empty string"):
        register_activation("", softplus, sigmoid)
    with pytest.raises(TypeError, match="two callables"):
        register_activation("test_softplus_not_callable", softplus, 3.0)


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="Unknown activation 'swish'") as info:
        get_activation("swish")
    for name in BUILTINS:
        assert name in str(info.value)
    assert "register_activation" in str(info.value)
    with pytest.raises(ValueError, match="Known activations"):
        Network([2, 3, 1], hidden_activation="swish")


def test_softmax_as_hidden_activation_says_it_is_an_output():
    with pytest.raises(ValueError, match="is an output"):
        get_activation("softmax")


def test_unknown_output_lists_the_known_ones():
    with pytest.raises(ValueError, match="Unknown output 'tanh'") as info:
        get_output("tanh")
    for name in ("sigmoid", "softmax", "identity"):
        assert f"'{name}'" in str(info.value)
    with pytest.raises(ValueError, match="output layer"):
        Network([2, 3, 1], activations=["relu", "tanh"])


def test_builtins_come_first():
    assert activation_names()[: len(BUILTINS)] == BUILTINS


def test_a_list_passed_as_hidden_activation_gets_the_helpful_error():
    # A realistic slip: a list of names given to hidden_activation= instead of activations=.
    with pytest.raises(ValueError, match="Unknown activation"):
        Network([2, 3, 1], hidden_activation=["relu", "tanh"])
