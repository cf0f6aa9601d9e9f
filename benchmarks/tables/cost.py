"""What a lucidnet fit cost, counted rather than timed: epochs and multiply-adds.

Counts do not depend on the machine's load, so they compare systems measured on a
shared machine. For a fitted ``TabularClassifier`` / ``TabularRegressor``:

* ``epochs``: the epochs trained (``n_iter_``; cross-fitted: the ensemble's, every
  member stepping through every row);
* ``row_epoch_madds``: the multiply-adds of one training row's forward pass through
  every member: K (Σ_l n[l−1] n[l] + the embedding's), where the periodic embedding of
  p columns with m frequencies into d values adds p (m + 2m d) and the piecewise-linear
  encoding none (its bins widen n[0]). The backward pass costs about twice as many.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

__all__ = ["training_cost"]


def training_cost(model: Any) -> dict[str, float]:
    """``epochs`` and ``row_epoch_madds`` of a fitted table estimator; {} for other models."""
    est = getattr(model, "estimator_", None)
    if est is None or not hasattr(est, "n_outputs_"):
        return {}
    embedding = getattr(est.network_, "embedding", None)
    sizes = [
        int(est.n_features_in_ if embedding is None else embedding.n_out),
        *[int(h) for h in est.hidden_layer_sizes],
        int(est.n_outputs_),
    ]
    madds = sum(a * b for a, b in pairwise(sizes))
    if embedding is not None and hasattr(embedding, "n_frequencies"):
        m, d = embedding.n_frequencies, embedding.dim
        madds += len(embedding.features) * (m + 2 * m * d)
    return {"epochs": float(est.n_iter_), "row_epoch_madds": float(est.n_members * madds)}
