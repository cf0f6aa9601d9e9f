"""A 2-2-1 network worked by hand: every number of the forward and backward pass.

The network (tanh hidden layer, sigmoid output, binary cross-entropy), B = 2 examples:

    W[1] = [[0.1, -0.2],      b[1] = [[ 0.01],      W[2] = [[0.5, -0.6]]     b[2] = [[0.05]]
            [0.3,  0.4]]              [-0.02]]

    X.T = A[0] = [[1.0, -1.0],     (column i is example x(i): x(1) = (1, 2), x(2) = (-1, 0.5))
                  [2.0,  0.5]]
    Y = [[1.0, 0.0]]

Each expected value below is written out as scalar arithmetic with ``math.tanh`` /
``math.exp`` / ``math.log``, never with lucidnet, and compared in float64 to 1e-12.
Row index first, then column (example): z1_21 is Z[1] row 2, example 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lucidnet import Network

TOL = 1e-12

# ---------------------------------------------------------------- forward, layer 1
# Z[1] = W[1] A[0] + b[1]
#   z1_11 = 0.1·1.0 + (−0.2)·2.0 + 0.01   = 0.1 − 0.4 + 0.01 = −0.29
#   z1_12 = 0.1·(−1.0) + (−0.2)·0.5 + 0.01 = −0.1 − 0.1 + 0.01 = −0.19
#   z1_21 = 0.3·1.0 + 0.4·2.0 − 0.02     = 0.3 + 0.8 − 0.02 = 1.08
#   z1_22 = 0.3·(−1.0) + 0.4·0.5 − 0.02   = −0.3 + 0.2 − 0.02 = −0.12
z1_11 = 0.1 * 1.0 + (-0.2) * 2.0 + 0.01
z1_12 = 0.1 * (-1.0) + (-0.2) * 0.5 + 0.01
z1_21 = 0.3 * 1.0 + 0.4 * 2.0 - 0.02
z1_22 = 0.3 * (-1.0) + 0.4 * 0.5 - 0.02

# A[1] = tanh(Z[1])
#   a1_11 = tanh(−0.29) ≈ −0.2821348127      a1_12 = tanh(−0.19) ≈ −0.1877462059
#   a1_21 = tanh(1.08)  ≈  0.7931990971      a1_22 = tanh(−0.12) ≈ −0.1194272985
a1_11 = math.tanh(z1_11)
a1_12 = math.tanh(z1_12)
a1_21 = math.tanh(z1_21)
a1_22 = math.tanh(z1_22)

# ---------------------------------------------------------------- forward, layer 2
# Z[2] = W[2] A[1] + b[2]
#   z2_1 = 0.5·(−0.2821348127) − 0.6·0.7931990971 + 0.05
#        = −0.1410674063 − 0.4759194583 + 0.05 ≈ −0.5669868646
#   z2_2 = 0.5·(−0.1877462059) − 0.6·(−0.1194272985) + 0.05
#        = −0.0938731029 + 0.0716563791 + 0.05 ≈ 0.0277832762
z2_1 = 0.5 * a1_11 + (-0.6) * a1_21 + 0.05
z2_2 = 0.5 * a1_12 + (-0.6) * a1_22 + 0.05

# A[2] = σ(Z[2]) = 1 / (1 + e^(−z))
#   a2_1 = 1 / (1 + e^0.5669868646)  = 1 / (1 + 1.7629...) ≈ 0.3619323804
#   a2_2 = 1 / (1 + e^−0.0277832762) = 1 / (1 + 0.9726...) ≈ 0.5069453723
a2_1 = 1.0 / (1.0 + math.exp(-z2_1))
a2_2 = 1.0 / (1.0 + math.exp(-z2_2))

# ---------------------------------------------------------------- the cost
# L(ŷ, y) = −y log ŷ − (1 − y) log(1 − ŷ)
#   example 1 (y = 1): −log 0.3619323804       ≈ 1.0162991
#   example 2 (y = 0): −log(1 − 0.5069453723)  ≈ 0.7071341
# J = (1/B) Σ L = (1.0162991 + 0.7071341) / 2 ≈ 0.8617165917
loss_1 = -math.log(a2_1)
loss_2 = -math.log(1.0 - a2_2)
J = (loss_1 + loss_2) / 2

# ---------------------------------------------------------------- backward, layer 2
# dZ[2] = (A[2] − Y) / B
#   dz2_1 = (0.3619323804 − 1) / 2 ≈ −0.3190338098
#   dz2_2 = (0.5069453723 − 0) / 2 ≈  0.2534726861
dz2_1 = (a2_1 - 1.0) / 2
dz2_2 = (a2_2 - 0.0) / 2

# dW[2] = dZ[2] A[1]ᵀ   (1×2 times 2×2: one row, one entry per hidden unit)
#   dW2_1 = dz2_1·a1_11 + dz2_2·a1_12
#         = (−0.3190338098)(−0.2821348127) + (0.2534726861)(−0.1877462059) ≈ 0.0424220090
#   dW2_2 = dz2_1·a1_21 + dz2_2·a1_22
#         = (−0.3190338098)(0.7931990971) + (0.2534726861)(−0.1194272985) ≈ −0.2833288880
dW2_1 = dz2_1 * a1_11 + dz2_2 * a1_12
dW2_2 = dz2_1 * a1_21 + dz2_2 * a1_22

# db[2] = Σ_columns dZ[2] = −0.3190338098 + 0.2534726861 ≈ −0.0655611236
db2 = dz2_1 + dz2_2

# ---------------------------------------------------------------- backward, layer 1
# dA[1] = W[2]ᵀ dZ[2]   (2×1 times 1×2)
#   da1_11 = 0.5·(−0.3190338098)  ≈ −0.1595169049   da1_12 = 0.5·0.2534726861  ≈  0.1267363431
#   da1_21 = −0.6·(−0.3190338098) ≈  0.1914202859   da1_22 = −0.6·0.2534726861 ≈ −0.1520836117
da1_11 = 0.5 * dz2_1
da1_12 = 0.5 * dz2_2
da1_21 = -0.6 * dz2_1
da1_22 = -0.6 * dz2_2

# dZ[1] = dA[1] ⊙ tanh′(Z[1]),  tanh′(z) = 1 − tanh²(z)
#   tanh′: 1 − 0.2821348127² ≈ 0.9203999475   1 − 0.1877462059² ≈ 0.9647513622
#          1 − 0.7931990971² ≈ 0.3708351924   1 − 0.1194272985² ≈ 0.9857371204
#   dz1_11 ≈ −0.1595169049·0.9203999475 ≈ −0.1468193509
#   dz1_12 ≈  0.1267363431·0.9647513622 ≈  0.1222690596
#   dz1_21 ≈  0.1914202859·0.3708351924 ≈  0.0709853785
#   dz1_22 ≈ −0.1520836117·0.9857371204 ≈ −0.1499144614
dz1_11 = da1_11 * (1.0 - a1_11**2)
dz1_12 = da1_12 * (1.0 - a1_12**2)
dz1_21 = da1_21 * (1.0 - a1_21**2)
dz1_22 = da1_22 * (1.0 - a1_22**2)

# dW[1] = dZ[1] A[0]ᵀ   (2×2 times 2×2); A[0] rows are the features (1.0, −1.0) and (2.0, 0.5)
#   dW1_11 = dz1_11·1.0 + dz1_12·(−1.0) ≈ −0.1468193509 − 0.1222690596 ≈ −0.2690884105
#   dW1_12 = dz1_11·2.0 + dz1_12·0.5    ≈ −0.2936387018 + 0.0611345298 ≈ −0.2325041720
#   dW1_21 = dz1_21·1.0 + dz1_22·(−1.0) ≈  0.0709853785 + 0.1499144614 ≈  0.2208998400
#   dW1_22 = dz1_21·2.0 + dz1_22·0.5    ≈  0.1419707571 − 0.0749572307 ≈  0.0670135264
dW1_11 = dz1_11 * 1.0 + dz1_12 * (-1.0)
dW1_12 = dz1_11 * 2.0 + dz1_12 * 0.5
dW1_21 = dz1_21 * 1.0 + dz1_22 * (-1.0)
dW1_22 = dz1_21 * 2.0 + dz1_22 * 0.5

# db[1] = Σ_columns dZ[1]
#   db1_1 = −0.1468193509 + 0.1222690596 ≈ −0.0245502913
#   db1_2 =  0.0709853785 − 0.1499144614 ≈ −0.0789290829
db1_1 = dz1_11 + dz1_12
db1_2 = dz1_21 + dz1_22


@pytest.fixture
def worked():
    W1 = np.array([[0.1, -0.2], [0.3, 0.4]])
    b1 = np.array([[0.01], [-0.02]])
    W2 = np.array([[0.5, -0.6]])
    b2 = np.array([[0.05]])
    net = Network.from_parameters([W1, W2], [b1, b2], activations=["tanh", "sigmoid"])
    A0 = np.array([[1.0, -1.0], [2.0, 0.5]])
    Y = np.array([[1.0, 0.0]])
    cache = net.forward(A0)
    grads = net.backward(cache, Y)
    return net, A0, Y, cache, grads


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=0, atol=TOL)


def test_the_numbers_written_in_the_comments_are_right():
    # The ≈ values in the comments are the ones the formulas give (guards the comments).
    assert abs(z2_1 - (-0.5669868646)) < 1e-9
    assert abs(a2_1 - 0.3619323804) < 1e-9
    assert abs(J - 0.8617165917) < 1e-9
    assert abs(dW1_11 - (-0.2690884105)) < 1e-9
    assert abs(db1_2 - (-0.0789290829)) < 1e-9


def test_forward_Z1_A1(worked):
    _, _, _, cache, _ = worked
    close(cache.Z[1], [[z1_11, z1_12], [z1_21, z1_22]])
    close(cache.A[1], [[a1_11, a1_12], [a1_21, a1_22]])


def test_forward_Z2_A2(worked):
    _, _, _, cache, _ = worked
    close(cache.Z[2], [[z2_1, z2_2]])
    close(cache.A[2], [[a2_1, a2_2]])


def test_cost(worked):
    net, A0, Y, cache, _ = worked
    assert abs(net.cost(net.forward(A0), Y) - J) < TOL
    assert abs(net.cost(cache, Y) - J) < TOL
    close(net.output.loss(cache.Z[2], Y), [loss_1, loss_2])


def test_backward_layer_2(worked):
    _, _, _, _, grads = worked
    close(grads.dZ[2], [[dz2_1, dz2_2]])
    close(grads.dW[2], [[dW2_1, dW2_2]])
    close(grads.db[2], [[db2]])


def test_backward_dA1(worked):
    # Grads keeps dZ[1] = dA[1] ⊙ tanh′(Z[1]); undo the tanh′ factor to recover dA[1].
    _, _, _, cache, grads = worked
    tanh_prime = 1.0 - np.asarray(cache.A[1]) ** 2
    close(grads.dZ[1] / tanh_prime, [[da1_11, da1_12], [da1_21, da1_22]])


def test_backward_layer_1(worked):
    _, _, _, _, grads = worked
    close(grads.dZ[1], [[dz1_11, dz1_12], [dz1_21, dz1_22]])
    close(grads.dW[1], [[dW1_11, dW1_12], [dW1_21, dW1_22]])
    close(grads.db[1], [[db1_1], [db1_2]])


def test_gradient_shapes_match_parameters(worked):
    net, _, _, _, grads = worked
    for l in (1, 2):
        assert grads.dW[l].shape == net.W[l].shape
        assert grads.db[l].shape == net.b[l].shape
