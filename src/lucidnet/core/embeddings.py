"""Numerical embeddings: each number becomes a small vector before layer 1 (docs/MATH.md §10).

Periodic embedding (PLR, Gorishniy et al. 2022, "On embeddings for numerical features in
tabular deep learning"). For an embedded feature j, with x_j its row of A[0] (1, B)::

    Φ_j = 2π c_j x_j                    c_j (m, 1): learned frequencies   → (m, B)
    V_j = [cos Φ_j ; sin Φ_j]                                             → (2m, B)
    U_j = W_j @ V_j + b_j               W_j (d, 2m), b_j (d, 1)            → (d, B)
    E_j = ReLU(U_j)                                                       → (d, B)

and the network's input is the embedded features stacked, then the features passed
through as they are: A[0] ← [E_1; …; E_p; x_rest]. Backward, from dE_j = ∂J/∂E_j::

    dU_j = dE_j * (U_j > 0)
    dW_j = dU_j @ V_j.T           db_j = Σ_columns dU_j
    dV_j = W_j.T @ dU_j
    dΦ_j = −sin Φ_j * dV_j[:m] + cos Φ_j * dV_j[m:]
    dc_j = 2π (dΦ_j @ x_j.T)

The p features are computed at once: c of shape (p, m, 1), W (p, d, 2m), b (p, d, 1), and
an ensemble's K members stack theirs in a leading axis, (K, p, m, 1) and so on, as
``lucidnet.core.ensemble`` stacks W[l].

Piecewise-linear encoding (PLE, the same paper) has no learned parameter: T bins per
feature with edges e_0 < … < e_T (quantiles of the training rows), and feature j's
value in bin t is::

    PLE(x)_t = clip((x − e_{t−1}) / (e_t − e_{t−1}), 0, 1)

so a value inside bin t reads 1 for the bins below it, its position inside bin t, and 0
above. The linear layer that follows is the network's own layer 1: W[1] @ PLE(A[0]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from lucidnet.core.arrays import namespace

__all__ = ["PeriodicEmbedding", "PiecewiseLinearEncoding", "quantile_edges"]

Array = Any
NAMES = ("c", "W", "b")  # the periodic embedding's parameters, in this order
PREDICT_ELEMENTS = 1 << 20  # the most numbers of V that PeriodicEmbedding.predict holds at once


@dataclass(frozen=True)
class PeriodicEmbedding:
    """The periodic embedding (PLR) of some input features; holds no parameter.

    Parameters
    ----------
    n_features : int
        n[0] of the raw input, the rows of A0.
    features : tuple of int
        The p rows of A0 that are embedded (the others pass through unchanged).
    n_frequencies : int, default=16
        m, frequencies per feature.
    dim : int, default=16
        d, the size of each feature's embedding.
    sigma : float or tuple of float, default=0.1
        The frequencies start from N(0, σ²) truncated at ±3σ. A tuple (σ_1, …, σ_s)
        draws them at several scales: the m frequencies of each feature are split into s
        contiguous groups, group i of ⌊m/s⌋ or ⌈m/s⌉ (the first m mod s groups take
        the extra one) drawn at σ_i (:meth:`scales`).

    Examples
    --------
    >>> import numpy as np
    >>> emb = PeriodicEmbedding(3, (0, 2), n_frequencies=4, dim=5)
    >>> E = emb.init_parameters(np.random.default_rng(0))
    >>> [E[name].shape for name in ("c", "W", "b")], emb.n_out
    ([(2, 4, 1), (2, 5, 8), (2, 5, 1)], 11)
    >>> emb.forward(E, np.ones((3, 7)))[0].shape
    (11, 7)
    """

    n_features: int
    features: tuple[int, ...]
    n_frequencies: int = 16
    dim: int = 16
    sigma: float | tuple[float, ...] = 0.1

    def __post_init__(self) -> None:
        feats = tuple(int(j) for j in self.features)
        if len(set(feats)) != len(feats) or any(not 0 <= j < self.n_features for j in feats):
            raise ValueError(
                f"features must be distinct rows of A0 in [0, {self.n_features}); got {feats}."
            )
        for name in ("n_frequencies", "dim"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive int; got {getattr(self, name)}.")
        sigmas = self.sigma if isinstance(self.sigma, (tuple, list)) else (self.sigma,)
        if not sigmas or len(sigmas) > int(self.n_frequencies) or not all(s > 0 for s in sigmas):
            raise ValueError(
                "sigma (the frequencies' scale) must be > 0, or a tuple of 1 to n_frequencies "
                f"= {self.n_frequencies} scales > 0; got {self.sigma}. In the tables recipe: "
                "embedding_sigma, with embedding_frequencies at least as many as its scales."
            )
        if isinstance(self.sigma, (tuple, list)):
            object.__setattr__(self, "sigma", tuple(float(s) for s in self.sigma))
        object.__setattr__(self, "features", feats)

    @property
    def passed(self) -> tuple[int, ...]:
        """The rows of A0 that are not embedded, in order."""
        embedded = set(self.features)
        return tuple(j for j in range(self.n_features) if j not in embedded)

    def summary(self) -> str:
        """The embedding in words: its columns and sizes."""
        return (
            f"periodic embedding of {len(self.features)} columns, {self.n_frequencies} "
            f"frequencies into {self.dim} values each"
        )

    @property
    def n_out(self) -> int:
        """Rows of the network's input: p · d embedded + the passed-through ones."""
        return len(self.features) * self.dim + len(self.passed)

    def n_parameters(self) -> int:
        """p (m + d · 2m + d) per member."""
        m, d = self.n_frequencies, self.dim
        return len(self.features) * (m + d * 2 * m + d)

    def scales(self) -> np.ndarray:
        """σ of each of the m frequencies, shape (m, 1): σ, or the groups of a tuple.

        Examples
        --------
        >>> PeriodicEmbedding(1, (0,), n_frequencies=5, sigma=(0.1, 1.0)).scales().ravel()
        array([0.1, 0.1, 0.1, 1. , 1. ])
        """
        m = int(self.n_frequencies)
        if not isinstance(self.sigma, tuple):
            return np.full((m, 1), float(self.sigma))
        groups = np.array_split(np.arange(m), len(self.sigma))
        sigma = np.concatenate(
            [np.full(len(g), s) for g, s in zip(groups, self.sigma, strict=True)]
        )
        return sigma[:, None]

    def init_parameters(
        self, rng: np.random.Generator, members: int | None = None, dtype: Any = np.float64
    ) -> dict[str, Array]:
        """c ~ N(0, σ²) truncated at ±3σ (σ per frequency: :meth:`scales`); W, b ~
        U(−1/√(2m), 1/√(2m)).

        Returns
        -------
        dict with c (p, m, 1), W (p, d, 2m), b (p, d, 1); with ``members`` = K each gains a
        leading axis of K.
        """
        p, m, d = len(self.features), self.n_frequencies, self.dim
        lead = () if members is None else (members,)
        if isinstance(self.sigma, tuple):  # σ_i · N(0, 1) truncated at ±3, per frequency
            c = np.clip(rng.normal(0.0, 1.0, (*lead, p, m, 1)), -3.0, 3.0) * self.scales()
        else:
            c = np.clip(
                rng.normal(0.0, self.sigma, (*lead, p, m, 1)), -3 * self.sigma, 3 * self.sigma
            )
        bound = 1.0 / math.sqrt(2 * m)
        W = rng.uniform(-bound, bound, (*lead, p, d, 2 * m))
        b = rng.uniform(-bound, bound, (*lead, p, d, 1))
        return {name: a.astype(dtype) for name, a in zip(NAMES, (c, W, b), strict=True)}

    def forward(self, E: dict[str, Array], A0: Array) -> tuple[Array, dict[str, Array]]:
        """The network's input from the raw one, and what the backward pass needs.

        Parameters
        ----------
        E : dict
            c (…, p, m, 1), W (…, p, d, 2m), b (…, p, d, 1); ``…`` is (K,) for an ensemble.
        A0 : array of shape (n_features, B), or (K, n_features, B): member k's own rows

        Returns
        -------
        A : array of shape (…, n_out, B)
            [E_1; …; E_p; x_rest] (x_rest repeated over the K members of a shared A0).
        cache : dict
            x (…, p, 1, B), Phi (…, p, m, B), V (…, p, 2m, B), U (…, p, d, B).

        Notes
        -----
        Φ_j = 2π c_j x_j,  V_j = [cos Φ_j ; sin Φ_j],  U_j = W_j @ V_j + b_j,
        E_j = ReLU(U_j)   (docs/MATH.md §10)
        """
        xp = namespace(A0, E["c"])
        x, Phi, V, U = self._columns(xp, E, A0, self.features)
        A = self._stack(xp, xp.maximum(U, xp.zeros_like(U[..., :1, :1])), A0)
        return A, {"x": x, "Phi": Phi, "V": V, "U": U}

    def predict(self, E: dict[str, Array], A0: Array) -> Array:
        """The forward pass without its cache: the network's input, (…, n_out, B).

        The columns are embedded a few at a time, so that V of the columns in hand holds
        at most :data:`PREDICT_ELEMENTS` numbers (K · p · 2m · B of them at once would be
        117 MB in float64 for K = 4 members, p = 14 columns, m = 16 and B = 8,192 rows):
        each column's embedding is its own, so the values are those of :meth:`forward`.
        """
        xp = namespace(A0, E["c"])
        lead = math.prod(E["c"].shape[:-3])
        per_column = lead * 2 * self.n_frequencies * A0.shape[-1]
        step = max(1, PREDICT_ELEMENTS // max(per_column, 1))
        parts = []
        for start in range(0, len(self.features), step):
            group = {name: E[name][..., start : start + step, :, :] for name in NAMES}
            U = self._columns(xp, group, A0, self.features[start : start + step])[3]
            parts.append(xp.maximum(U, xp.zeros_like(U[..., :1, :1])))
        return self._stack(xp, parts[0] if len(parts) == 1 else xp.concat(parts, axis=-3), A0)

    def _columns(
        self, xp: Any, E: dict[str, Array], A0: Array, features: Any
    ) -> tuple[Array, Array, Array, Array]:
        """x, Φ, V and U of the columns ``features`` (E holds their parameters alone)."""
        x = xp.take(A0, xp.asarray(features), axis=-2)[..., None, :]  # (…, p, 1, B)
        Phi = (2 * math.pi) * E["c"] * x
        V = xp.concat([xp.cos(Phi), xp.sin(Phi)], axis=-2)
        return x, Phi, V, E["W"] @ V + E["b"]

    def backward(self, E: dict[str, Array], cache: dict[str, Array], dA: Array) -> dict[str, Array]:
        """∂J/∂c, ∂J/∂W, ∂J/∂b from dA = ∂J/∂A, A the network's input (…, n_out, B).

        Returns
        -------
        dict with dc, dW, db shaped like c, W, b.

        Notes
        -----
        dU_j = dE_j * (U_j > 0),  dW_j = dU_j @ V_j.T,  db_j = Σ_columns dU_j,
        dV_j = W_j.T @ dU_j,  dΦ_j = −sin Φ_j * dV_j[:m] + cos Φ_j * dV_j[m:],
        dc_j = 2π (dΦ_j @ x_j.T)   (docs/MATH.md §10)
        """
        xp = namespace(dA)
        p, m, d = len(self.features), self.n_frequencies, self.dim
        B = dA.shape[-1]
        dE = xp.reshape(dA[..., : p * d, :], (*dA.shape[:-2], p, d, B))
        U, V, Phi = cache["U"], cache["V"], cache["Phi"]
        dU = dE * xp.astype(U > 0, dE.dtype)
        dW = dU @ xp.matrix_transpose(V)
        db = xp.sum(dU, axis=-1, keepdims=True)
        dV = xp.matrix_transpose(E["W"]) @ dU
        dPhi = -xp.sin(Phi) * dV[..., :m, :] + xp.cos(Phi) * dV[..., m:, :]
        dc = (2 * math.pi) * (dPhi @ xp.matrix_transpose(cache["x"]))
        return {"c": dc, "W": dW, "b": db}

    def _stack(self, xp: Any, E_all: Array, A0: Array) -> Array:
        """[E_1; …; E_p; x_rest]: the embeddings flattened to rows, then the passed rows."""
        lead, B = E_all.shape[:-3], E_all.shape[-1]
        rows = xp.reshape(E_all, (*lead, len(self.features) * self.dim, B))
        if not self.passed:
            return rows
        rest = xp.take(A0, xp.asarray(self.passed), axis=-2)
        if lead and rest.ndim == 2:  # one A0 for every member
            rest = xp.broadcast_to(rest, (*lead, *rest.shape))
        return xp.concat([rows, xp.astype(rest, rows.dtype)], axis=-2)


def quantile_edges(X: np.ndarray, n_bins: int) -> list[np.ndarray]:
    """Per column of X (n_samples, n_features), bin edges at its quantiles, ties merged.

    Returns
    -------
    list of arrays, one per column, of shape (T_j + 1,) with 1 ≤ T_j ≤ n_bins: the
    distinct values among the quantiles 0, 1/n_bins, …, 1 of the column's finite values
    (a constant column gets the two edges v and v + 1).
    """
    if int(n_bins) < 1:
        raise ValueError(f"n_bins must be a positive int; got {n_bins}.")
    edges = []
    for column in np.asarray(X, dtype=np.float64).T:
        finite = column[np.isfinite(column)]
        if finite.size == 0:
            finite = np.zeros(1)
        e = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, int(n_bins) + 1)))
        edges.append(e if e.size > 1 else np.array([e[0], e[0] + 1.0]))
    return edges


@dataclass(frozen=True, eq=False)
class PiecewiseLinearEncoding:
    """Piecewise-linear encoding (PLE) of some input features, with fixed bin edges.

    Parameters
    ----------
    n_features : int
        n[0] of the raw input.
    features : tuple of int
        The rows of A0 that are encoded; the others pass through after them.
    edges : tuple of arrays
        One array of T_j + 1 increasing edges per encoded feature (:func:`quantile_edges`).

    Examples
    --------
    >>> import numpy as np
    >>> ple = PiecewiseLinearEncoding(1, (0,), (np.array([0.0, 1.0, 3.0]),))
    >>> ple.predict({}, np.array([[-1.0, 0.5, 2.0, 5.0]]))
    array([[0. , 0.5, 1. , 1. ],
           [0. , 0. , 0.5, 1. ]])
    """

    n_features: int
    features: tuple[int, ...]
    edges: tuple[Any, ...]

    def __post_init__(self) -> None:
        if len(self.edges) != len(self.features):
            raise ValueError(
                f"PLE needs one array of edges per encoded feature: {len(self.features)} "
                f"features, {len(self.edges)} arrays of edges."
            )
        for j, e in zip(self.features, self.edges, strict=True):
            e = np.asarray(e)
            if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0):
                raise ValueError(
                    f"the edges of feature {j} must be ≥ 2 increasing values; got {e}. "
                    "quantile_edges(X, n_bins) gives them from the training rows."
                )
        PeriodicEmbedding(self.n_features, self.features)  # checks the feature indices

    @property
    def passed(self) -> tuple[int, ...]:
        """The rows of A0 that are not encoded, in order."""
        encoded = set(self.features)
        return tuple(j for j in range(self.n_features) if j not in encoded)

    def summary(self) -> str:
        """The encoding in words: its columns and bins."""
        bins = sum(len(e) - 1 for e in self.edges)
        return f"piecewise-linear encoding of {len(self.features)} columns in {bins} quantile bins"

    @property
    def n_out(self) -> int:
        """Σ_j T_j encoded rows + the passed-through ones."""
        return sum(len(e) - 1 for e in self.edges) + len(self.passed)

    def n_parameters(self) -> int:
        """0: the edges are fixed, the linear layer is the network's layer 1."""
        return 0

    def init_parameters(
        self, rng: np.random.Generator, members: int | None = None, dtype: Any = np.float64
    ) -> dict[str, Array]:
        """No parameters: an empty dict (the interface of :class:`PeriodicEmbedding`)."""
        return {}

    def forward(self, E: dict[str, Array], A0: Array) -> tuple[Array, dict[str, Array]]:
        """:meth:`predict` and an empty cache (nothing is learned before layer 1)."""
        return self.predict(E, A0), {}

    def backward(self, E: dict[str, Array], cache: dict[str, Array], dA: Array) -> dict[str, Array]:
        """No parameters, no gradients: an empty dict."""
        return {}

    def predict(self, E: dict[str, Array], A0: Array) -> Array:
        """[PLE(x_1); …; PLE(x_p); x_rest] of shape (…, n_out, B) for A0 (…, n_features, B).

        Notes
        -----
        PLE(x)_t = clip((x − e_{t−1}) / (e_t − e_{t−1}), 0, 1)   (docs/MATH.md §10)
        """
        xp = namespace(A0)
        parts = []
        for j, e in zip(self.features, self.edges, strict=True):
            lo = xp.asarray(np.asarray(e[:-1])[:, None], dtype=A0.dtype)
            width = xp.asarray(np.diff(e)[:, None], dtype=A0.dtype)
            parts.append(xp.clip((A0[..., j : j + 1, :] - lo) / width, 0.0, 1.0))
        if self.passed:
            parts.append(xp.take(A0, xp.asarray(self.passed), axis=-2))
        return xp.concat(parts, axis=-2)
