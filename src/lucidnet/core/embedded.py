"""A network (or ensemble) whose input passes through a numerical embedding first.

The embedding (``lucidnet.core.embeddings``) turns the raw input A0 of shape
(n_features, B) into the network's A[0] of shape (n[0], B); then the lecture's network
runs unchanged. Its parameters sit beside W[l] and b[l] in the dict ``E`` (for the
periodic embedding c, W, b; none for the piecewise-linear encoding), so the optimizer,
checkpoints and ``lucidnet.core.parameters`` see them as θ's last entries. n[0] is the
raw input's width (the embedding's n_features) and W[1] has shape (n[1], embedding.n_out).
Backward::

    Grads of layers 1..L                      the lecture's backward pass
    dA[0] = W[1].T @ dZ[1]                    one step further down (§5)
    dE = embedding.backward(E, cache, dA[0])  (docs/MATH.md §10)
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lucidnet.core.arrays import move_to, namespace
from lucidnet.core.ensemble import Ensemble
from lucidnet.core.network import Cache, Grads, Network

__all__ = [
    "EmbeddedCache",
    "EmbeddedEnsemble",
    "EmbeddedGrads",
    "EmbeddedNetwork",
    "embedded",
    "embedded_network",
    "stack_members",
]

Array = Any


@dataclass
class EmbeddedCache(Cache):
    """:class:`Cache` plus the embedding's own cache and the raw input A0 (n_features, B)."""

    embedding: dict[str, Array] = field(default_factory=dict)


@dataclass
class EmbeddedGrads(Grads):
    """:class:`Grads` plus dE, ∂J/∂• of the embedding's parameters (shaped like E)."""

    dE: dict[str, Array] = field(default_factory=dict)


class _Embedded:
    """What an embedded network adds to :class:`Network`: E, and the embedding's passes."""

    embedding: Any
    E: dict[str, Array]
    W: dict[int, Array]
    n: list[int]
    K: int

    def _raw(self, A0: Array) -> Array:
        shape = getattr(A0, "shape", None)
        n_features = self.embedding.n_features
        stacked = shape is not None and len(shape) == 3 and shape[0] == self.K  # per member
        if shape is None or not (len(shape) == 2 or stacked) or shape[-2] != n_features:
            raise ValueError(
                f"A0 must have shape (n_features, B) = ({n_features}, B), examples as columns, "
                f"before the embedding; got shape {shape}. If X holds one example per row, "
                "pass X.T."
            )
        xp = namespace(A0, self.W[1])
        return A0 if A0.dtype == self.W[1].dtype else xp.astype(A0, self.W[1].dtype)

    def forward(
        self, A0: Array, *, dropout: float | dict[int, float] | None = None, rng: Any = None
    ) -> EmbeddedCache:
        """A[0] = embedding(A0), then :meth:`Network.forward`; A0 of shape (n_features, B)."""
        A, kept = self.embedding.forward(self.E, self._raw(A0))
        inner = super().forward(A, dropout=dropout, rng=rng)  # type: ignore[misc]
        return EmbeddedCache(inner.Z, inner.A, inner.M, kept)

    def backward(
        self, cache: Cache, Y: Array, alpha: float = 0.0, *, sample_weight: Array | None = None
    ) -> Grads:
        """:meth:`Network.backward`, then dA[0] = W[1].T @ dZ[1] and the embedding's dE."""
        g = super().backward(cache, Y, alpha, sample_weight=sample_weight)  # type: ignore[misc]
        dE = {}
        if self.E:
            assert isinstance(cache, EmbeddedCache)  # from this network's forward
            dA0 = self.W[1].mT @ g.dZ[1]
            dE = self.embedding.backward(self.E, cache.embedding, dA0)
        return EmbeddedGrads(g.dW, g.db, g.dZ, dE)

    def predict_logits(self, A0: Array) -> Array:
        """Z[L] for the raw A0 (n_features, B): :meth:`Network.predict_logits` of A[0]."""
        A = self.embedding.predict(self.E, self._raw(A0))
        return super().predict_logits(A)  # type: ignore[misc]

    def _check_input(self, A: Array) -> Array:
        """A[0] comes from the embedding, already checked (the raw A0 is, in ``_raw``)."""
        return A

    def __repr__(self) -> str:
        name, rest = super().__repr__().split("(", 1)
        return f"Embedded{name}({self.embedding.summary()}; {rest}"

    @property
    def n_parameters(self) -> int:
        """Every entry of W[l], b[l] (l = 1..L) and E."""
        arrays = [*self.W.values(), *self.b.values(), *self.E.values()]  # type: ignore[attr-defined]
        return sum(math.prod(a.shape) for a in arrays)

    def astype(self, dtype: Any) -> Any:
        new = super().astype(dtype)  # type: ignore[misc]
        xp = namespace(*new.W.values())
        new.E = {k: xp.astype(v, new.W[1].dtype, copy=True) for k, v in self.E.items()}
        return new

    def to(self, xp: Any, device: Any = None) -> Any:
        new = super().to(xp, device)  # type: ignore[misc]
        new.E = {k: move_to(v, xp, device) for k, v in self.E.items()}
        return new


class EmbeddedNetwork(_Embedded, Network):
    """A :class:`Network` on an embedding's output: ŷ = net(embedding(A0)).

    Parameters
    ----------
    embedding : PeriodicEmbedding or PiecewiseLinearEncoding
    layer_sizes : sequence of int
        ``[n_features, n1, ..., nL]``: n_features is the raw input's (the embedding's);
        W[1] has shape (n1, ``embedding.n_out``).
    hidden_activation, output, activations, seed, dtype, init
        As for :class:`Network`; ``seed`` also draws E (after the network's weights).

    Examples
    --------
    >>> import numpy as np
    >>> from lucidnet.core.embeddings import PeriodicEmbedding
    >>> net = EmbeddedNetwork(PeriodicEmbedding(3, (0, 1), 4, 2), [3, 5, 1], seed=0)
    >>> net.n, net.W[1].shape, net.E["c"].shape, net.forward(np.ones((3, 6))).A[2].shape
    ([3, 5, 1], (5, 5), (2, 4, 1), (1, 6))
    """

    def __init__(
        self,
        embedding: Any,
        layer_sizes: Sequence[int],
        hidden_activation: str = "relu",
        output: str = "sigmoid",
        *,
        activations: Sequence[str] | None = None,
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float64,
        init: str | None = None,
    ) -> None:
        rng = np.random.default_rng(seed)
        sizes = _sizes(embedding, layer_sizes)
        Network.__init__(
            self, sizes, hidden_activation, output, activations=activations, seed=rng,
            dtype=dtype, init=init,
        )  # fmt: skip
        self.embedding, self.n[0] = embedding, embedding.n_features
        self.E = embedding.init_parameters(rng, None, self.dtype)


class EmbeddedEnsemble(_Embedded, Ensemble):
    """An :class:`Ensemble` on an embedding's output; each member has its own E.

    E's arrays carry the leading axis of K members (c of shape (K, p, m, 1), …), and
    A[0] has shape (K, n[0], B): member k's network reads member k's embedding.
    """

    def __init__(
        self,
        embedding: Any,
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
        rng = np.random.default_rng(seed)
        sizes = _sizes(embedding, layer_sizes)
        Ensemble.__init__(
            self, sizes, members, hidden_activation, output, activations=activations, seed=rng,
            dtype=dtype, init=init,
        )  # fmt: skip
        self.embedding, self.n[0] = embedding, embedding.n_features
        self.E = embedding.init_parameters(rng, members, self.dtype)

    def member(self, k: int) -> Network:
        """Member k as an :class:`EmbeddedNetwork` (its parameters shared, not copied)."""
        plain = super().member(k)
        net = EmbeddedNetwork.__new__(EmbeddedNetwork)
        net.__dict__.update(plain.__dict__)
        net.n, net.embedding = list(self.n), self.embedding
        net.E = {name: v[k] for name, v in self.E.items()}
        return net


def embedded(net: Network, embedding: Any, E: dict[str, Array]) -> Network:
    """``net`` (a Network or an Ensemble, n[0] = embedding.n_out) with the embedding put first.

    Parameters
    ----------
    net : Network
        Its parameters are shared, not copied.
    embedding : PeriodicEmbedding or PiecewiseLinearEncoding
    E : dict
        The embedding's parameters (leading axis K for an ensemble's members).
    """
    if net.W[1].shape[-1] != embedding.n_out:
        raise ValueError(
            f"W[1] takes {net.W[1].shape[-1]} inputs but the embedding gives "
            f"{embedding.n_out}: they must match."
        )
    cls: type[Network] = EmbeddedEnsemble if isinstance(net, Ensemble) else EmbeddedNetwork
    new: Any = cls.__new__(cls)
    new.__dict__.update(copy.copy(net.__dict__))
    if isinstance(net, Ensemble):
        new.K = net.K
    new.embedding, new.E = embedding, dict(E)
    new.n = [embedding.n_features, *net.n[1:]]
    return new


def stack_members(networks: Sequence[Network]) -> Ensemble:
    """Networks of one architecture stacked into an Ensemble (parameters copied); embedded
    networks of one embedding into an :class:`EmbeddedEnsemble`, member k keeping its E.

    Raises
    ------
    ValueError
        When the networks differ in architecture or in embedding.
    """
    inner = [net for net in networks if isinstance(net, _Embedded)]
    if not inner:
        return Ensemble.from_members(networks)
    first = inner[0]
    if len(inner) < len(networks) or any(net.embedding != first.embedding for net in inner):
        raise ValueError("Members must share one embedding to be stacked; they differ.")
    ens = Ensemble.from_members(networks)
    xp = namespace(networks[0].W[1])
    E = {name: xp.stack([net.E[name] for net in inner]) for name in first.E}
    out: Ensemble = embedded(ens, first.embedding, E)  # type: ignore[assignment]
    return out


def embedded_network(
    embedding: Any,
    layer_sizes: Sequence[int],
    members: int,
    activations: Sequence[str],
    seed: Any,
    dtype: Any,
    init: str | None,
) -> Network:
    """An :class:`EmbeddedNetwork` (members = 1) or :class:`EmbeddedEnsemble` (members ≥ 2).

    Raises
    ------
    TypeError
        When ``embedding`` is not a PeriodicEmbedding or PiecewiseLinearEncoding.
    """
    from lucidnet.core.embeddings import PeriodicEmbedding, PiecewiseLinearEncoding

    if not isinstance(embedding, (PeriodicEmbedding, PiecewiseLinearEncoding)):
        raise TypeError(
            "embedding must be None, a PeriodicEmbedding or a PiecewiseLinearEncoding "
            f"(lucidnet.core.embeddings); got {type(embedding).__name__}."
        )
    kw = {"activations": activations, "seed": seed, "dtype": dtype, "init": init}
    if members > 1:
        return EmbeddedEnsemble(embedding, layer_sizes, members, **kw)
    return EmbeddedNetwork(embedding, layer_sizes, **kw)


def _sizes(embedding: Any, layer_sizes: Sequence[int]) -> list[int]:
    sizes = [int(s) for s in layer_sizes]
    if not sizes or sizes[0] != embedding.n_features:
        raise ValueError(
            f"layer_sizes[0] must be the raw input's n_features = {embedding.n_features} "
            f"(the embedding's); got {sizes[:1]}."
        )
    return [embedding.n_out, *sizes[1:]]
