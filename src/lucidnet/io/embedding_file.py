"""A numerical embedding in a model file: its settings in the header, its arrays beside W[l].

An embedded network (``lucidnet.core.embedded``) is saved as its inner network (layer
sizes from A[0] = the embedding's output, so W[1] chains as in any file) plus

- ``architecture.embedding`` in the header: ``{"kind": "periodic" | "piecewise",
  "n_features": int, "features": [int, ...]}`` and, for "periodic", ``n_frequencies``,
  ``dim``, ``sigma``;
- extra arrays ``embedding.c``, ``embedding.W``, ``embedding.b`` (periodic: E as trained,
  with the members' leading axis for an ensemble), or ``embedding.edges`` (all edges,
  feature after feature) and ``embedding.bins`` (T_j per feature) for "piecewise".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucidnet.core.arrays import to_numpy
from lucidnet.core.embedded import embedded
from lucidnet.core.embeddings import PeriodicEmbedding, PiecewiseLinearEncoding
from lucidnet.core.network import Network

__all__ = ["PREFIX", "embedding_record", "inner_sizes", "with_embedding"]

PREFIX = "embedding."


def inner_sizes(net: Network) -> list[int]:
    """The layer sizes a file records: n[0] is the width W[1] takes (A[0]'s rows)."""
    return [int(net.W[1].shape[-1]), *(int(s) for s in net.n[1:])]


def embedding_record(net: Network) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header entry and the arrays of ``net``'s embedding; ({}, {}) without one."""
    emb = getattr(net, "embedding", None)
    if emb is None:
        return {}, {}
    spec: dict[str, Any] = {"n_features": int(emb.n_features), "features": list(emb.features)}
    if isinstance(emb, PeriodicEmbedding):
        spec.update(kind="periodic", n_frequencies=emb.n_frequencies, dim=emb.dim)
        spec["sigma"] = list(emb.sigma) if isinstance(emb.sigma, tuple) else float(emb.sigma)
        dtype = np.dtype(net.dtype)
        arrays = {
            PREFIX + k: np.ascontiguousarray(to_numpy(v), dtype=dtype)
            for k, v in net.E.items()  # type: ignore[attr-defined]
        }
        return spec, arrays
    spec["kind"] = "piecewise"
    edges = [np.asarray(e, dtype=np.float64) for e in emb.edges]
    return spec, {
        PREFIX + "edges": np.concatenate(edges),
        PREFIX + "bins": np.array([len(e) - 1 for e in edges], dtype=np.int64),
    }


def with_embedding(net: Network, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> Network:
    """``net`` (as loaded) with the embedding of ``spec`` and ``arrays`` put first.

    Raises
    ------
    ValueError
        When the entry or its arrays do not describe an embedding that fits the network.
    """
    try:
        kind = spec["kind"]
        n_features, features = int(spec["n_features"]), tuple(int(j) for j in spec["features"])
        if kind == "periodic":
            emb: Any = PeriodicEmbedding(
                n_features, features, int(spec["n_frequencies"]), int(spec["dim"]),
                _sigma(spec["sigma"]),
            )  # fmt: skip
            E = {k: arrays[PREFIX + k] for k in ("c", "W", "b")}
            probe = emb.init_parameters(np.random.default_rng(0), getattr(net, "K", 1))
            for k, v in E.items():
                if v.shape[-len(probe[k].shape[-3:]) :] != probe[k].shape[-3:]:
                    raise ValueError(f"embedding.{k} has shape {v.shape}")
        elif kind == "piecewise":
            bins, flat = arrays[PREFIX + "bins"], arrays[PREFIX + "edges"]
            cuts = np.cumsum([0, *(int(t) + 1 for t in bins)])
            if cuts[-1] != flat.size:
                raise ValueError("embedding.edges does not hold T_j + 1 edges per feature")
            edges = tuple(flat[cuts[i] : cuts[i + 1]] for i in range(len(bins)))
            emb, E = PiecewiseLinearEncoding(n_features, features, edges), {}
        else:
            raise ValueError(f"unknown embedding kind {kind!r}")
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the embedding entry is incomplete ({exc})") from None
    return embedded(net, emb, E)


def _sigma(value: Any) -> float | tuple[float, ...]:
    """The σ a file records: one number, or a list of them (several scales)."""
    if isinstance(value, list):
        return tuple(float(v) for v in value)
    return float(value)
