"""What a solver of the estimators is: one object per way of training a network.

A :class:`Solver` owns three things: what it refuses (the parameters it cannot honour,
each with a message saying what to do instead), how it trains ``est.network_`` on the
encoded rows, and the fitted attributes it sets (``n_iter_``, ``loss_``,
``loss_curve_``, ``best_loss_``, ``history_``, ...). The registry
(:mod:`lucidnet.estimators.solvers`) maps the ``solver`` parameter to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lucidnet.estimators._translate import SKLEARN_OUT_ACTIVATION

__all__ = ["Rows", "Solver"]


@dataclass
class Rows:
    """What a solver trains on: the encoded rows, as the estimator checked them.

    Attributes
    ----------
    X : array of shape (n_samples, n_features)
    Y : array of shape (n_samples, n[L])
        The targets as the network's output rows (one-hot, smoothed, or a column).
    sample_weight : array of shape (n_samples,) or None
    validation_data : tuple or None
        The ``validation_data`` given to ``fit``, as given.
    dtype : numpy dtype
        The network's float type.
    """

    X: Any
    Y: Any
    sample_weight: Any
    validation_data: Any
    dtype: Any


class Solver:
    """One way of training an estimator's network (subclasses: minibatch, L-BFGS).

    Attributes
    ----------
    name : str
        How the registry names it.
    incremental : bool
        Whether the estimators offer ``partial_fit`` with it.
    """

    name = ""
    incremental = False

    def refuse(self, est: Any, *, xp: Any = np, resume_from: Any = None) -> None:
        """Raise a ValueError for a parameter (or fit argument) this solver cannot honour."""

    def fit(self, est: Any, rows: Rows, *, seed: int, incremental: bool, resume_from: Any) -> None:
        """Train ``est.network_`` (built already) on ``rows``; set the fitted attributes.

        ``incremental``: one more epoch (``partial_fit``); ``resume_from``: a training
        state to continue from; ``seed``: the run's seed (shuffling, dropout)."""
        raise NotImplementedError

    @staticmethod
    def network_attributes(est: Any) -> None:
        """The fitted attributes every solver sets from the network's shape."""
        net = est.network_
        est.n_layers_ = net.L + 1
        est.n_outputs_ = net.n[-1]
        est.out_activation_ = SKLEARN_OUT_ACTIVATION[net.output.name]

    @staticmethod
    def refuse_jax_engine(est: Any, where: str) -> None:
        """engine="jax" compiles the minibatch solvers on NumPy input only."""
        if est.engine == "jax":
            raise ValueError(
                f"engine='jax' compiles the minibatch solvers ('sgd', 'adam', 'adamw') on "
                f"NumPy input; this fit has {where}. Use engine='numpy' (the default) here."
            )
