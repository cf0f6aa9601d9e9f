"""K networks trained at once: the lecture's network with its weights stacked.

With W[l] of shape (K, n[l], n[l-1]) and b[l] of shape (K, n[l], 1), the forward pass
``Z[l] = W[l] @ A[l-1] + b[l]`` is unchanged: matrix multiplication broadcasts over the
leading axis, so one product computes the K members' layers (A[0] = X.T of shape
(n[0], B) is shared). The backward pass is the same code too, with ``.mT`` (the
transpose of the last two axes) where the lecture writes ``.T``. The cost is the sum of
the members' costs, J = Σ_k J_k, so each member's gradient is its own:
∂J/∂W[l][k] = ∂J_k/∂W[l][k]. The members differ by their initial weights.

The ensemble predicts the mean of its members' outputs, ŷ = (1/K) Σ_k A[L][k] (TabM's
recipe for tables: Gorishniy et al., ICLR 2025).

An ensemble IS a :class:`Network` whose K is more than 1: every network carries K (1 for
the lecture's), so the trainer, the engines and the estimators read ``net.K`` and run the
one forward and backward; none of them asks which kind of network it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lucidnet.core.arrays import namespace
from lucidnet.core.init import initial_weights
from lucidnet.core.network import Network

__all__ = ["Ensemble"]

Array = Any


class Ensemble(Network):
    """K fully-connected networks of the same shape, their parameters stacked.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n0, n1, ..., nL]``, as for :class:`Network`.
    members : int
        K ≥ 1, the number of networks.
    hidden_activation, output, activations, dtype, init
        As for :class:`Network`.
    seed : int or numpy.random.Generator, optional
        Seeds the K initialisations (member k is initialised after members 0..k−1).

    Attributes
    ----------
    K : int
    W, b : dict[int, array]
        W[l] of shape (K, n[l], n[l-1]) and b[l] of shape (K, n[l], 1).

    Examples
    --------
    >>> import numpy as np
    >>> ens = Ensemble([3, 4, 1], members=5, hidden_activation="tanh", seed=0)
    >>> ens.W[1].shape, ens.b[1].shape
    ((5, 4, 3), (5, 4, 1))
    >>> ens.forward(np.ones((3, 7))).A[2].shape, ens.mean_output(np.ones((3, 7))).shape
    ((5, 1, 7), (1, 7))
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        members: int,
        hidden_activation: str = "relu",
        output: str = "sigmoid",
        *,
        activations: Sequence[str] | None = None,
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float64,
        init: str | None = None,
    ) -> None:
        if isinstance(members, bool) or not isinstance(members, int) or members < 1:
            raise ValueError(f"members (K) must be a positive int; got {members!r}.")
        self._set_architecture(layer_sizes, hidden_activation, output, activations, dtype, init)
        self.K = members
        rng = np.random.default_rng(seed)
        self.W, self.b = {}, {}
        for l in range(1, self.L + 1):
            scheme = self.init_scheme(l, init)
            pairs = [
                initial_weights(self.n[l], self.n[l - 1], scheme, rng, self.dtype)
                for _ in range(members)
            ]
            self.W[l] = np.stack([W for W, _ in pairs])
            self.b[l] = np.stack([b for _, b in pairs])

    @property
    def n_parameters(self) -> int:
        """K · Σ_l (n[l]·n[l-1] + n[l])."""
        return self.K * super().n_parameters

    def __repr__(self) -> str:
        return f"Ensemble({self.n}, members={self.K}, activations={self.activation_names})"

    def mean_output(self, A0: Array) -> Array:
        """ŷ = (1/K) Σ_k A[L][k], the ensemble's prediction, shape (n[L], B).

        Notes
        -----
        The mean of the members' outputs (probabilities for sigmoid/softmax outputs).
        """
        A = self.predict_output(A0)
        return namespace(A).mean(A, axis=0)

    @property
    def head(self) -> Ensemble:
        """The members' last layers (W[L], b[L], g[L]) as a one-layer ensemble of their own.

        It shares W[L] and b[L] with this ensemble. ``head.forward(ens.feature_map(A0))``
        gives the same A[L] as ``ens.forward(A0)``: member k's head sees member k's
        features φ[k] (shape (K, n[L-1], B)), and ``head.member(k)`` is
        ``ens.member(k).head``.
        """
        L = self.L
        head = Ensemble.__new__(Ensemble)
        head.n, head.L, head.K, head.dtype = [self.n[L - 1], self.n[L]], 1, self.K, self.dtype
        head.g = {1: self.output}
        head.W, head.b = {1: self.W[L]}, {1: self.b[L]}
        return head

    def member(self, k: int) -> Network:
        """Member k as a plain :class:`Network` (its parameters shared, not copied)."""
        if not 0 <= k < self.K:
            raise IndexError(f"member index must be in [0, {self.K}); got {k}.")
        L = self.L
        return Network.from_parameters(
            [self.W[l][k] for l in range(1, L + 1)],
            [self.b[l][k] for l in range(1, L + 1)],
            self.activation_names,
        )

    @classmethod
    def from_members(cls, networks: Sequence[Network]) -> Ensemble:
        """Stack networks of one architecture into an Ensemble (parameters copied)."""
        if not networks:
            raise ValueError("from_members needs at least one network.")
        first = networks[0]
        for net in networks[1:]:
            if net.n != first.n or net.activation_names != first.activation_names:
                raise ValueError(f"Members must share one architecture: {first} and {net} differ.")
        ens = cls.__new__(cls)
        ens.n, ens.L, ens.g, ens.dtype = list(first.n), first.L, dict(first.g), first.dtype
        ens.K = len(networks)
        xp = namespace(first.W[1])
        ens.W = {l: xp.stack([net.W[l] for net in networks]) for l in range(1, first.L + 1)}
        ens.b = {l: xp.stack([net.b[l] for net in networks]) for l in range(1, first.L + 1)}
        return ens
