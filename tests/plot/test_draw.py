"""The geometry behind the pictures: straight boundaries and the model adapter."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet import Network
from lucidnet.plot._draw import linear_boundaries
from lucidnet.plot._model import as_model, class_indices


def test_sigmoid_boundary_is_the_line_w_u_plus_b_equals_zero():
    W, b = np.array([[2.0, -1.0]]), np.array([0.5])
    (line,) = linear_boundaries(W, b, (-3, 3), (-3, 3))
    pts = line[np.isfinite(line).all(axis=1)]
    np.testing.assert_allclose(pts @ W[0] + b[0], 0.0, atol=1e-12)
    assert pts.min() >= -3 and pts.max() <= 3


def test_softmax_boundaries_lie_where_two_classes_tie_on_top():
    W = np.array([[1.0, 0.0], [-0.5, 0.8], [-0.5, -0.8]])
    b = np.zeros(3)
    lines = linear_boundaries(W, b, (-2, 2), (-2, 2))
    assert len(lines) == 3  # three regions meeting at the origin
    for line in lines:
        pts = line[np.isfinite(line).all(axis=1)]
        Z = np.sort(pts @ W.T + b, axis=1)
        np.testing.assert_allclose(Z[:, -1], Z[:, -2], atol=1e-9)


def test_a_vertical_line_when_the_second_weight_is_zero():
    (line,) = linear_boundaries(np.array([[1.0, 0.0]]), np.array([-0.25]), (-1, 1), (-1, 1))
    pts = line[np.isfinite(line).all(axis=1)]
    np.testing.assert_allclose(pts[:, 0], 0.25)


def test_as_model_of_a_network():
    m = as_model(Network([2, 3, 1], seed=0))
    assert m.classes.tolist() == [0, 1]
    P = m.predict_proba(np.zeros((4, 2)))
    assert P.shape == (4, 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert m.transform(np.zeros((4, 2))).shape == (4, 3)
    assert as_model(Network([2, 3, 4], output="softmax", seed=0)).classes.tolist() == [0, 1, 2, 3]


def test_as_model_errors():
    class Unfitted:
        def fit(self, X, y):
            return self

    with pytest.raises(ValueError, match="not fitted yet"):
        as_model(Unfitted())
    with pytest.raises(TypeError, match="Expected a lucidnet Network"):
        as_model("network")


def test_class_indices_of_unsorted_string_classes():
    classes = np.array(["cat", "ant", "bee"])
    np.testing.assert_array_equal(class_indices(["bee", "cat", "ant"], classes), [2, 0, 1])
    with pytest.raises(ValueError, match="not among"):
        class_indices(["dog"], classes)
