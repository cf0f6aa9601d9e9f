"""The lecture's fully-connected network (docs/MATH.md §2, §5, §6, §7).

Layers l = 1..L live in dicts keyed by l, so the code reads like the lecture::

    Z[l] = W[l] @ A[l-1] + b[l]          forward, A[0] = X.T (examples are columns)
    A[l] = g[l](Z[l])
    dZ[L] = (A[L] - Y) / B               the canonical-loss shortcut
    dW[l] = dZ[l] @ A[l-1].T + (alpha / B) * W[l]      (.mT in the code: per member too)
    db[l] = Σ_columns dZ[l]              sum_over_examples(dZ[l])
    dZ[l-1] = (W[l].T @ dZ[l]) * g[l-1]′(Z[l-1])

``d`` always means ∂J/∂•, with J the mean loss over the B columns plus the L2 penalty
(alpha / 2B) Σ_l ‖W[l]‖²; so 1/B enters once, in dZ[L].
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lucidnet.core.activations import Activation, get_activation
from lucidnet.core.architecture import check_dtype, check_layer_sizes, layer_activations
from lucidnet.core.arrays import move_to, namespace
from lucidnet.core.dropout import dropout_mask, dropout_rates
from lucidnet.core.init import initial_weights
from lucidnet.core.losses import Output, get_output
from lucidnet.core.weights import check_sample_weight, per_member_cost, per_member_scale

__all__ = ["Cache", "Grads", "Network", "column_of_ones", "sum_over_examples"]

Array = Any


@dataclass
class Cache:
    """What the forward pass keeps for the backward pass.

    Attributes
    ----------
    Z : dict[int, array]
        Z[l] of shape (n[l], B) for l = 1..L.
    A : dict[int, array]
        A[l] of shape (n[l], B) for l = 0..L; A[0] is the input.
    M : dict[int, array]
        Dropout masks M[l] (entries 0 or 1/(1 − p)), only for hidden layers that use dropout.
    """

    Z: dict[int, Array] = field(default_factory=dict)
    A: dict[int, Array] = field(default_factory=dict)
    M: dict[int, Array] = field(default_factory=dict)


@dataclass
class Grads:
    """∂J/∂• for every layer: dW[l] (n[l], n[l-1]), db[l] (n[l], 1), dZ[l] (n[l], B)."""

    dW: dict[int, Array] = field(default_factory=dict)
    db: dict[int, Array] = field(default_factory=dict)
    dZ: dict[int, Array] = field(default_factory=dict)


class Network:
    """A fully-connected network, stored and computed in the lecture's notation.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n0, n1, ..., nL]``: inputs, hidden widths, outputs. L = len(layer_sizes) − 1 ≥ 1.
    hidden_activation : str, default="relu"
        Activation of layers 1..L−1: "identity", "sigmoid", "tanh", "relu", "leaky_relu"
        or a name registered with ``lucidnet.register_activation``.
    output : {"sigmoid", "softmax", "identity"}, default="sigmoid"
        The output activation g[L], which fixes the loss (see ``lucidnet.core.losses``).
    activations : sequence of str, optional
        One name per layer 1..L (the last one an output); overrides the two above.
    seed : int or numpy.random.Generator, optional
        Seeds the initialisation; the same int gives bit-identical weights.
    dtype : numpy float dtype, default=numpy.float64
        float32 or float64; inputs are computed in this dtype.
    init : {None, "he", "glorot"}, default=None
        Weight initialisation of every layer; None chooses per layer: He for the ReLU
        family, Glorot for the others (and for the output layer).

    Attributes
    ----------
    L : int
        Number of layers with weights.
    n : list of int
        ``n[l]``, the width of layer l (n[0] = inputs).
    W, b : dict[int, array]
        W[l] of shape (n[l], n[l-1]) and b[l] of shape (n[l], 1), for l = 1..L.
    g : dict[int, Activation | Output]
        g[l] for l = 1..L; g[L] is the output, which also carries the loss.
    K : int
        Networks stacked in the leading axis of W[l] and b[l]: 1 for the lecture's network
        (an :class:`~lucidnet.core.ensemble.Ensemble` trains K > 1 at once with the same code).

    Examples
    --------
    >>> import numpy as np
    >>> net = Network([3, 4, 1], hidden_activation="tanh", seed=0)
    >>> [(l, net.W[l].shape, net.b[l].shape) for l in range(1, net.L + 1)]
    [(1, (4, 3), (4, 1)), (2, (1, 4), (1, 1))]
    >>> net.forward(np.ones((3, 5))).A[2].shape
    (1, 5)
    """

    K: int = 1

    def __init__(
        self,
        layer_sizes: Sequence[int],
        hidden_activation: str = "relu",
        output: str = "sigmoid",
        *,
        activations: Sequence[str] | None = None,
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float64,
        init: str | None = None,
    ) -> None:
        self._set_architecture(layer_sizes, hidden_activation, output, activations, dtype, init)
        n, rng = self.n, np.random.default_rng(seed)
        self.W: dict[int, Array] = {}
        self.b: dict[int, Array] = {}
        for l in range(1, self.L + 1):
            scheme = self.init_scheme(l, init)
            self.W[l], self.b[l] = initial_weights(n[l], n[l - 1], scheme, rng, self.dtype)

    def _set_architecture(
        self,
        layer_sizes: Sequence[int],
        hidden_activation: str,
        output: str,
        activations: Sequence[str] | None,
        dtype: Any,
        init: str | None,
    ) -> None:
        """n, L, g and dtype from the constructor's arguments (checked); no parameters."""
        n = check_layer_sizes(layer_sizes)
        if init not in (None, "he", "glorot"):
            raise ValueError(f"init must be None, 'he' or 'glorot'; got {init!r}.")
        L = len(n) - 1
        names = layer_activations(L, hidden_activation, output, activations)
        self.dtype = check_dtype(dtype)
        self.n = n
        self.L = L
        self.g: dict[int, Any] = {  # Activation for l < L, Output for l = L
            l: get_activation(names[l - 1]) for l in range(1, L)
        }
        self.g[L] = get_output(names[L - 1])

    def init_scheme(self, l: int, init: str | None = None) -> str:
        """How W[l] is initialised: ``init``, or He for the ReLU family and Glorot for the
        others (and for the output layer)."""
        g_l = self.g[l]
        return init or (g_l.init if isinstance(g_l, Activation) else "glorot")

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_parameters(
        cls,
        W: Sequence[Array] | dict[int, Array],
        b: Sequence[Array] | dict[int, Array],
        activations: Sequence[str],
    ) -> Network:
        """Build a network around given parameters (used as-is, not copied).

        Parameters
        ----------
        W, b : sequence or dict keyed 1..L
            W[l] of shape (n[l], n[l-1]); b[l] of shape (n[l], 1) or (n[l],).
        activations : sequence of str
            One name per layer 1..L; the last one an output.
        """
        Ws, bs = _layer_list(W, "W"), _layer_list(b, "b")
        if not Ws or len(Ws) != len(bs) or len(Ws) != len(activations):
            raise ValueError(
                f"Need one W, one b and one activation per layer; got {len(Ws)} W, "
                f"{len(bs)} b and {len(activations)} activations."
            )
        sizes = [int(Ws[0].shape[1])] + [int(w.shape[0]) for w in Ws]
        for l, w in enumerate(Ws, start=1):
            if tuple(w.shape) != (sizes[l], sizes[l - 1]):
                raise ValueError(
                    f"W[{l}] has shape {tuple(w.shape)}, expected ({sizes[l]}, {sizes[l - 1]}) "
                    "to chain with the previous layer."
                )
        net = cls.__new__(cls)
        net.n = sizes
        net.L = len(Ws)
        names = list(activations)
        net.g = {l: get_activation(names[l - 1]) for l in range(1, net.L)}
        net.g[net.L] = get_output(names[-1])
        xp = namespace(*Ws, *bs)
        net.W = {l: Ws[l - 1] for l in range(1, net.L + 1)}
        for l, v in enumerate(bs, start=1):
            if tuple(v.shape) not in ((sizes[l], 1), (sizes[l],)):
                raise ValueError(
                    f"b[{l}] has shape {tuple(v.shape)}, expected ({sizes[l]}, 1) to match W[{l}]."
                )
        net.b = {l: xp.reshape(bs[l - 1], (sizes[l], 1)) for l in range(1, net.L + 1)}
        net.dtype = _numpy_dtype_of(Ws[0])
        return net

    def copy(self) -> Network:
        """A deep copy (parameters copied)."""
        return copy.deepcopy(self)

    def astype(self, dtype: Any) -> Network:
        """A copy whose parameters are converted to ``dtype`` (float32 or float64)."""
        new = copy.copy(self)
        new.dtype = check_dtype(dtype)
        xp = namespace(*self.W.values())
        target = _namespace_dtype(xp, new.dtype)
        new.W = {l: xp.astype(w, target, copy=True) for l, w in self.W.items()}
        new.b = {l: xp.astype(v, target, copy=True) for l, v in self.b.items()}
        return new

    def to(self, xp: Any, device: Any = None) -> Network:
        """A copy whose parameters live in the Array-API namespace ``xp`` (on ``device``).

        Parameters already there are shared, not copied; between libraries the values pass
        through NumPy, so ``net.to(np)`` brings a GPU network home for saving or plotting.

        Examples
        --------
        >>> import array_api_strict as xps
        >>> Network([2, 1], seed=0).to(xps).W[1].__class__.__module__
        'array_api_strict._array_object'
        """
        new = copy.copy(self)
        new.W = {l: move_to(w, xp, device) for l, w in self.W.items()}
        new.b = {l: move_to(v, xp, device) for l, v in self.b.items()}
        return new

    @property
    def activation_names(self) -> list[str]:
        """g[1..L] by name (the last one is the output)."""
        return [self.g[l].name for l in range(1, self.L + 1)]

    @property
    def output(self) -> Output:
        """The output layer g[L] with its canonical loss."""
        out = self.g[self.L]
        assert isinstance(out, Output)
        return out

    @property
    def n_parameters(self) -> int:
        """Σ_l n[l]·n[l-1] + n[l]."""
        return sum(self.n[l] * self.n[l - 1] + self.n[l] for l in range(1, self.L + 1))

    def __repr__(self) -> str:
        return f"Network({self.n}, activations={self.activation_names})"

    # ------------------------------------------------------------------ forward

    def forward(
        self,
        A0: Array,
        *,
        dropout: float | dict[int, float] | None = None,
        rng: Any = None,
    ) -> Cache:
        """Forward pass, keeping Z[l] and A[l] for the backward pass.

        Parameters
        ----------
        A0 : array of shape (n[0], B)
            The minibatch with examples as columns (``X.T``).
        dropout : float or dict {l: p}, optional
            Inverted dropout: drop each unit of hidden layer l with probability p
            (one float applies to every hidden layer). Training only.
        rng : numpy.random.Generator, optional
            Draws the dropout masks (required with ``dropout``).

        Returns
        -------
        Cache
            Z[l] (l = 1..L), A[l] (l = 0..L), and the dropout masks M[l].

        Notes
        -----
        Z[l] = W[l] @ A[l-1] + b[l]   (b[l] broadcast over the B columns)
        A[l] = g[l](Z[l])
        with dropout on hidden layer l: A[l] = g[l](Z[l]) * M[l],
        M[l] = (U ≥ p) / (1 − p), U ~ Uniform(0, 1) of shape (n[l], B).
        """
        A0 = self._check_input(A0)
        W, b, g, L = self.W, self.b, self.g, self.L
        rates = dropout_rates(dropout, L)
        cache = Cache()
        Z, A = cache.Z, cache.A
        A[0] = A0
        for l in range(1, L + 1):
            Z[l] = W[l] @ A[l - 1] + b[l]
            A[l] = g[l](Z[l])
            if l in rates:
                cache.M[l] = dropout_mask(A[l], rates[l], rng)
                A[l] = A[l] * cache.M[l]
        return cache

    def predict_output(self, A0: Array) -> Array:
        """A[L] = ŷ for the columns of A0, shape (n[L], B).

        The forward pass without a cache (:meth:`predict_logits`), then g[L].

        Notes
        -----
        ŷ = g[L](Z[L]),  Z[L] = predict_logits(A0).
        """
        return self.g[self.L](self.predict_logits(A0))

    def predict_logits(self, A0: Array) -> Array:
        """Z[L], the output layer's pre-activation for the columns of A0, shape (n[L], B).

        The forward pass without a cache: each A[l-1] is dropped once A[l] exists, so
        prediction needs memory for two layers at a time, not for all of them, and each
        hidden layer computes in the one array its product allocates.

        Notes
        -----
        A ← g[l](W[l] @ A + b[l]) for l = 1..L−1, from A = A0;  Z[L] = W[L] @ A + b[L].
        """
        A = self._check_input(A0)
        L = self.L
        for l in range(1, L):
            Z = self.W[l] @ A
            Z += self.b[l]  # Z is fresh: adding in place saves an allocation
            A = self.g[l].in_place(Z)
        Z = self.W[L] @ A
        Z += self.b[L]
        return Z

    def feature_map(self, A0: Array) -> Array:
        """φ = A[L-1], the learned features the head sees, shape (n[L-1], B) (docs/MATH.md §7)."""
        return self.forward(A0).A[self.L - 1]

    @property
    def head(self) -> Network:
        """The last layer (W[L], b[L], g[L]) as a one-layer network of its own.

        It shares W[L] and b[L] with this network. ``head.forward(net.feature_map(A0))``
        gives the same A[L] as ``net.forward(A0)``: ŷ = g[L](W[L] φ + b[L]), a linear model
        (logistic regression, for a sigmoid output) on the learned features φ.
        """
        return Network.from_parameters([self.W[self.L]], [self.b[self.L]], [self.output.name])

    # ------------------------------------------------------------------ cost and backward

    def cost(
        self, cache: Cache, Y: Array, alpha: float = 0.0, *, sample_weight: Array | None = None
    ) -> Array:
        """J, the minibatch cost of a forward pass, as a 0-d array of the arrays' library.

        Parameters
        ----------
        cache : Cache
            From :meth:`forward` on the minibatch A0 of shape (n[0], B).
        Y : array of shape (n[L], B)
            Targets as columns.
        alpha : float, default=0.0
            L2 strength.
        sample_weight : array of shape (B,), or (K, B) for an ensemble, optional
            Non-negative with Σ s > 0 (per member for (K, B); checked where data enter).

        Returns
        -------
        J : 0-d array
            ``float(J)`` for a Python number; a compiled engine (JAX) traces it as it is.

        Notes
        -----
        J = (1/B) Σ_i L(a[L](i), y(i)) + (alpha / 2B) Σ_l ‖W[l]‖²
        with sample weights s: J = Σ_i s_i L_i / Σ_i s_i + (alpha / 2Σs) Σ_l ‖W[l]‖²;
        per member s[k, i]: J = Σ_k (Σ_i s_ki L_ki + (alpha/2) Σ_l ‖W[l]_k‖²) / Σ_i s_ki.

        Examples
        --------
        >>> import numpy as np
        >>> net = Network([2, 1], seed=0)
        >>> A0, Y = np.ones((2, 3)), np.ones((1, 3))
        >>> J = net.cost(net.forward(A0), Y)
        >>> J.shape, bool(J > 0)
        ((), True)
        """
        if not isinstance(cache, Cache):
            raise TypeError(
                f"cost takes the cache of a forward pass, got {type(cache).__name__}: "
                "write net.cost(net.forward(A0), Y)."
            )
        if alpha < 0:
            raise ValueError(f"alpha (the L2 strength) must be ≥ 0; got {alpha}.")
        L = self.L
        Y = self._check_targets(Y, cache.A[L])
        xp = namespace(cache.Z[L], Y)
        losses = self.output.loss(cache.Z[L], Y)
        if sample_weight is None:
            total = losses.shape[-1]
            J = xp.sum(losses) / total
        else:
            s = check_sample_weight(sample_weight, cache.A[L])
            if s.ndim == 2:  # each member's own weights
                return per_member_cost(losses, s, [self.W[l] for l in range(1, L + 1)], alpha)
            total = xp.sum(s)
            J = xp.sum(s * losses) / total
        if alpha:
            J = J + alpha * sum(xp.sum(self.W[l] * self.W[l]) for l in range(1, L + 1)) / (
                2 * total
            )
        return J

    def backward(
        self, cache: Cache, Y: Array, alpha: float = 0.0, *, sample_weight: Array | None = None
    ) -> Grads:
        """Backpropagation: ∂J/∂W[l] and ∂J/∂b[l] for every layer (docs/MATH.md §5–6).

        Parameters
        ----------
        cache : Cache
            From :meth:`forward` on the same minibatch.
        Y : array of shape (n[L], B)
            Targets as columns (0/1 labels, one-hot rows, or real values).
        alpha : float, default=0.0
            L2 strength; J gains (alpha / 2B) Σ_l ‖W[l]‖² (biases not penalised).
        sample_weight : array of shape (B,), or (K, B) for an ensemble, optional
            J becomes Σ s_i L_i / Σ s_i (+ alpha / 2Σs Σ‖W‖²); B is replaced by Σ s
            (member k's own Σ_i s_ki for per-member weights of shape (K, B)).
            Non-negative with Σ s > 0: the trainer checks the values once, where the data
            enter (this method reads none, so a compiled engine traces it).

        Returns
        -------
        Grads
            dW[l], db[l] (same shapes as W[l], b[l]) and dZ[l] (n[l], B).

        Notes
        -----
        dZ[L] = (A[L] − Y) / B                      (s_i (A[L] − Y) / Σs with weights)
                                            (s_ki (A[L]_k − Y) / Σ_i s_ki per member)
        dW[l] = dZ[l] @ A[l-1].T + (alpha / B) W[l]  ((alpha / Σ_i s_ki) W[l]_k per member)
        db[l] = Σ_columns dZ[l] = dZ[l] @ 1          (1: the column of B ones)
        dA[l-1] = W[l].T @ dZ[l]                    (∂z[l]/∂a[l-1] = W[l])
        dA[l-1] = dA[l-1] * M[l-1]                  (dropout backward, when used)
        dZ[l-1] = dA[l-1] * g[l-1]′(Z[l-1])         (∂a/∂z = diag(g′): an element-wise product)
        """
        if alpha < 0:
            raise ValueError(f"alpha (the L2 strength) must be ≥ 0; got {alpha}.")
        W, g, L = self.W, self.g, self.L
        Z, A, M = cache.Z, cache.A, cache.M
        Y = self._check_targets(Y, A[L])
        grads = Grads()
        dW, db, dZ = grads.dW, grads.db, grads.dZ
        if sample_weight is None:
            B = A[L].shape[-1]
            dZ[L] = (A[L] - Y) / B
        else:
            s, B = per_member_scale(check_sample_weight(sample_weight, A[L]))  # Σ s plays B
            dZ[L] = (A[L] - Y) * (s / B)
        ones = column_of_ones(dZ[L])  # made once for every layer's db[l]
        for l in reversed(range(1, L + 1)):
            dW[l] = dZ[l] @ A[l - 1].mT  # mT: .T of the last two axes (per member)
            if alpha:
                dW[l] = dW[l] + (alpha / B) * W[l]
            db[l] = sum_over_examples(dZ[l], ones)  # Σ_columns dZ[l]
            if l > 1:
                dA = W[l].mT @ dZ[l]
                if l - 1 in M:
                    dA = dA * M[l - 1]
                    gZ = g[l - 1](Z[l - 1])  # g(Z) before the mask, for g′
                else:
                    gZ = A[l - 1]
                dZ[l - 1] = dA * g[l - 1].prime(Z[l - 1], gZ)
        return grads

    # ------------------------------------------------------------------ the lecture's §3

    def collapse_linear(self) -> tuple[Array, Array]:
        """The single linear layer (W, b) of an all-identity network (docs/MATH.md §3).

        Returns
        -------
        W : array of shape (n[L], n[0])
            W = W[L] ··· W[2] W[1].
        b : array of shape (n[L], 1)
            b = W[L] ··· W[2] b[1] + ... + W[L] b[L-1] + b[L];
            ``g[L](W @ A0 + b)`` equals ``predict_output(A0)``.

        Raises
        ------
        ValueError
            When a hidden layer's activation is not the identity; the message names it.

        Notes
        -----
        Built layer by layer: W ← W[l] W,  b ← W[l] b + b[l],  from W = W[1], b = b[1].
        """
        for l in range(1, self.L):
            if self.g[l].name != "identity":
                raise ValueError(
                    f"Only an all-identity network collapses to one linear layer, but layer "
                    f"{l} uses {self.g[l].name!r}: a non-linear g is what makes depth useful."
                )
        W_total, b_total = self.W[1], self.b[1]
        for l in range(2, self.L + 1):
            W_total = self.W[l] @ W_total
            b_total = self.W[l] @ b_total + self.b[l]
        return W_total, b_total

    # ------------------------------------------------------------------ helpers

    def _check_input(self, A0: Array) -> Array:
        shape = getattr(A0, "shape", None)
        stacked = shape is not None and len(shape) == 3 and shape[0] == self.K  # one per member
        if shape is None or not (len(shape) == 2 or stacked) or shape[-2] != self.n[0]:
            raise ValueError(
                f"A0 must have shape (n[0], B) = ({self.n[0]}, B), examples as columns; "
                f"got shape {shape}. If X holds one example per row, pass X.T."
            )
        xp = namespace(A0, self.W[1])
        if A0.dtype != self.W[1].dtype:
            A0 = xp.astype(A0, self.W[1].dtype)
        return A0

    def _check_targets(self, Y: Array, AL: Array) -> Array:
        shape = getattr(Y, "shape", None)
        if shape is None or tuple(shape) not in (tuple(AL.shape), tuple(AL.shape[-2:])):
            raise ValueError(
                f"Y must have shape (n[L], B) = {tuple(AL.shape)}, targets as columns; got "
                f"shape {shape}. For one output per example pass y.reshape(1, -1)."
            )
        if Y.dtype != AL.dtype:
            Y = namespace(Y).astype(Y, AL.dtype)
        return Y


def sum_over_examples(dZ: Array, ones: Array | None = None) -> Array:
    """Σ_columns dZ: the sum over the B examples (the columns), shape (n, 1).

    Parameters
    ----------
    dZ : array of shape (n, B), or (K, n, B) for an ensemble
    ones : array of shape (B, 1) (or (K, B, 1)), optional
        :func:`column_of_ones` of ``dZ``, made once and reused for every layer.

    Returns
    -------
    array of shape (n, 1), or (K, n, 1)

    Notes
    -----
    Σ_columns dZ = dZ @ 1, with 1 the column of B ones (docs/MATH.md §5: db[l]).
    Written as the matrix-vector product because BLAS computes it several times faster
    than ``xp.sum(dZ, axis=-1, keepdims=True)``, for small and large layers alike; the
    value is the same sum.
    """
    return dZ @ (column_of_ones(dZ) if ones is None else ones)


def column_of_ones(dZ: Array) -> Array:
    """1, the column of B ones for :func:`sum_over_examples`, in dZ's dtype and on its device.

    Shape (B, 1) for dZ of shape (n, B); (K, B, 1) for an ensemble's (K, n, B).
    """
    return namespace(dZ).ones_like(dZ[..., :1, :]).mT


def _layer_list(P: Sequence[Array] | dict[int, Array], name: str) -> list[Array]:
    """Per-layer arrays as a list for l = 1..L; a dict must be keyed exactly 1..L."""
    if not isinstance(P, dict):
        return list(P)
    if sorted(P) != list(range(1, len(P) + 1)):
        raise ValueError(f"{name} must be keyed by the layers 1..L; got keys {sorted(P)}.")
    return [P[l] for l in range(1, len(P) + 1)]


def _numpy_dtype_of(a: Array) -> Any:
    """The NumPy dtype matching an array's dtype, for float32/float64 arrays of any library."""
    name = str(a.dtype).rsplit(".", 1)[-1]
    return np.dtype(name).type


def _namespace_dtype(xp: Any, dtype: Any) -> Any:
    return xp.float32 if np.dtype(dtype) == np.float32 else xp.float64
