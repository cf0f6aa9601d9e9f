"""What each epoch measures on the held-out rows (``lucidnet.training.validation``)."""

from __future__ import annotations

import numpy as np
import pytest

from lucidnet.core.ensemble import Ensemble
from lucidnet.core.network import Network
from lucidnet.training.validation import evaluate


@pytest.mark.parametrize(
    "net",
    [
        Network([3, 6, 5, 1], seed=0, dtype=np.float32),
        Network([3, 4, 2], "tanh", "softmax", seed=1),
        Ensemble([3, 6, 1], members=3, seed=2),
    ],
    ids=["sigmoid", "softmax", "ensemble"],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_evaluate_is_the_cost_and_the_output_of_the_full_forward_pass(net, weighted):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)).astype(net.dtype)
    n_out = net.n[net.L]
    Y = rng.integers(0, 2, size=(50, n_out)).astype(net.dtype)
    if n_out > 1:
        Y = np.eye(n_out, dtype=net.dtype)[rng.integers(0, n_out, size=50)]
    s = rng.uniform(0.5, 2.0, size=50) if weighted else None
    seen = {}

    def mean_output(Y_true, A_rows):
        seen["A"] = A_rows
        return float(np.mean(A_rows))

    logs = evaluate(net, (X, Y, s), {"out": mean_output})
    cache = net.forward(X.T)
    # val_loss = Σ_i s_i L(a[L](i), y(i)) / Σ_i s_i; an ensemble's, (1/K) Σ_k val_loss_k
    assert logs["val_loss"] == float(net.cost(cache, Y.T, 0.0, sample_weight=s)) / net.K
    per_member = (
        [
            float(m.cost(m.forward(X.T), Y.T, 0.0, sample_weight=s))
            for m in (net.member(k) for k in range(net.K))
        ]
        if net.K > 1
        else [logs["val_loss"]]
    )
    assert logs["val_loss"] == pytest.approx(np.mean(per_member), rel=1e-12)
    np.testing.assert_array_equal(seen["A"], cache.A[net.L].T)  # val_<name> = name(Y, A[L].T)
    assert logs["val_out"] == float(np.mean(cache.A[net.L]))
