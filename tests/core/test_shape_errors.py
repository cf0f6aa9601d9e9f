"""User errors name the value, what was expected, and how to fix it."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import Network


@pytest.fixture
def net():
    return Network([3, 4, 2], output="softmax", seed=0)


def test_forward_with_X_instead_of_X_T(net):
    X = np.ones((5, 3))  # 5 examples as rows: the network wants them as columns
    with pytest.raises(ValueError, match=r"X\.T") as info:
        net.forward(X)
    assert "(3, B)" in str(info.value)
    assert "(5, 3)" in str(info.value)
    assert net.forward(X.T).A[2].shape == (2, 5)


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((3, 2, 1)), [[1.0], [2.0], [3.0]]])
def test_forward_with_a_non_matrix(net, bad):
    with pytest.raises(ValueError, match="A0 must have shape"):
        net.forward(bad)


@pytest.mark.parametrize("shape", [(2, 4), (5, 2), (1, 5), (2,), (10,)])
def test_backward_and_cost_with_a_wrong_shape_Y(net, shape):
    A0 = np.ones((3, 5))
    cache = net.forward(A0)
    Y = np.zeros(shape)
    with pytest.raises(ValueError, match=r"Y must have shape \(n\[L\], B\) = \(2, 5\)"):
        net.backward(cache, Y)
    with pytest.raises(ValueError, match="Y must have shape"):
        net.cost(net.forward(A0), Y)


def test_wrong_sample_weight_shape(net):
    A0, Y = np.ones((3, 5)), np.eye(2)[:, [0, 1, 0, 1, 0]]
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(B,\) = \(5,\)"):
        net.backward(net.forward(A0), Y, sample_weight=np.ones(4))
    with pytest.raises(ValueError, match="sample_weight"):
        net.cost(net.forward(A0), Y, sample_weight=np.ones((5, 1)))


@pytest.mark.parametrize("sizes", [[3], [], [3, 0, 1], [3, -2, 1], [2.5, 1]])
def test_bad_layer_sizes(sizes):
    with pytest.raises(ValueError, match="layer_sizes"):
        Network(sizes)


def test_non_numeric_layer_sizes():
    with pytest.raises(TypeError, match="layer_sizes"):
        Network(["a", 1])


def test_activations_of_the_wrong_length():
    with pytest.raises(ValueError, match="one name per layer"):
        Network([2, 3, 1], activations=["relu", "relu", "sigmoid"])


def test_from_parameters_checks_the_chain():
    W1, W2 = np.ones((3, 2)), np.ones((1, 4))
    with pytest.raises(ValueError, match=r"W\[2\] has shape \(1, 4\), expected \(1, 3\)"):
        Network.from_parameters([W1, W2], [np.zeros(3), np.zeros(1)], ["relu", "sigmoid"])
    with pytest.raises(ValueError, match="one W, one b and one activation per layer"):
        Network.from_parameters([W1], [np.zeros(3)], ["relu", "sigmoid"])


def test_from_parameters_accepts_dicts_keyed_by_layer():
    W = {1: np.ones((3, 2)), 2: np.ones((1, 3))}
    b = {1: np.zeros(3), 2: np.zeros(1)}
    net = Network.from_parameters(W, b, ["relu", "sigmoid"])
    assert net.n == [2, 3, 1]
    assert net.b[1].shape == (3, 1)


def test_from_parameters_dict_order_does_not_matter():
    W = {2: np.ones((1, 3)), 1: np.ones((3, 2))}
    b = {2: np.zeros(1), 1: np.zeros(3)}
    net = Network.from_parameters(W, b, ["relu", "sigmoid"])
    assert net.n == [2, 3, 1]
