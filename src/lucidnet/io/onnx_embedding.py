"""A numerical embedding as ONNX nodes, rows as examples (docs/MATH.md §10).

The graph holds one example per row, so the embedding of ``lucidnet.core.embeddings``
is written transposed; for an ensemble every array gains the members' leading axis K::

    x   = X[:, features]                         [N, p]
    Φ   = 2π · x[..., None] * c                  [(K,) N, p, m]   (c stored as 2π c)
    V   = Concat(cos Φ, sin Φ)                   [(K,) N, p, 2m]
    U   = V_p @ W_j.T + b_j.T, per feature j     [(K,) p, N, d]   (V transposed to p first)
    E   = Relu(U), transposed back, flattened    [(K,) N, p·d]
    A0  = Concat(E, X[:, passed])                [(K,) N, n_out]

and the piecewise-linear encoding, every bin of every feature at once::

    A0 = Concat(Clip((X[:, feature_of_bin] − e_lo) / (e_hi − e_lo), 0, 1), X[:, passed])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from lucidnet.core.arrays import to_numpy
from lucidnet.core.embeddings import PeriodicEmbedding

__all__ = ["embedding_nodes"]


def _const(inits: list[onnx.TensorProto], name: str, value: Any, dtype: Any = np.float32) -> str:
    inits.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=dtype), name))
    return name


def embedding_nodes(
    net: Any, A: str, nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto]
) -> str:
    """Append the nodes of ``net.embedding`` on input ``A`` [N, n_features]; returns A0's name.

    A0 is [N, n_out], or [K, N, n_out] for an ensemble whose embedding learns (then every
    member reads its own A0).
    """
    emb = net.embedding
    stacked = bool(net.E) and getattr(net, "K", 1) > 1 and net.E["c"].ndim == 4

    def node(op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=f"emb_{output}", **attributes))
        return output

    if isinstance(emb, PeriodicEmbedding):
        p, m, d = len(emb.features), emb.n_frequencies, emb.dim
        feats = _const(inits, "embedding.features", emb.features, np.int64)
        x = node("Gather", [A, feats], "emb_x", axis=1)  # [N, p]
        axes = _const(inits, "embedding.axes", [-1], np.int64)
        x = node("Unsqueeze", [x, axes], "emb_x1")  # [N, p, 1]
        c = to_numpy(net.E["c"])[..., 0]  # (…, p, m)
        c2pi = _const(inits, "embedding.c2pi", (2 * math.pi) * (c[:, None] if stacked else c))
        Phi = node("Mul", [x, c2pi], "emb_phi")  # [(K,) N, p, m]
        V = node("Concat", [node("Cos", [Phi], "emb_cos"), node("Sin", [Phi], "emb_sin")],
                 "emb_v", axis=-1)  # fmt: skip
        perm = [0, 2, 1, 3] if stacked else [1, 0, 2]
        Vt = node("Transpose", [V], "emb_vt", perm=perm)  # [(K,) p, N, 2m]
        WT = _const(inits, "embedding.WT", np.swapaxes(to_numpy(net.E["W"]), -1, -2))
        bT = _const(inits, "embedding.bT", np.swapaxes(to_numpy(net.E["b"]), -1, -2))
        U = node("Add", [node("MatMul", [Vt, WT], "emb_vw"), bT], "emb_u")  # [(K,) p, N, d]
        E = node("Transpose", [node("Relu", [U], "emb_relu")], "emb_e", perm=perm)
        shape = _const(inits, "embedding.shape", [0, 0, p * d] if stacked else [0, p * d],
                       np.int64)  # fmt: skip
        out = node("Reshape", [E, shape], "emb_rows")
        assert m > 0
    else:
        bins = [len(e) - 1 for e in emb.edges]
        of_bin = np.repeat(np.asarray(emb.features, dtype=np.int64), bins)
        lo = np.concatenate([np.asarray(e[:-1]) for e in emb.edges])
        width = np.concatenate([np.diff(np.asarray(e)) for e in emb.edges])
        x = node("Gather", [A, _const(inits, "embedding.of_bin", of_bin, np.int64)], "emb_x",
                 axis=1)  # fmt: skip
        t = node("Div", [node("Sub", [x, _const(inits, "embedding.lo", lo)], "emb_dx"),
                         _const(inits, "embedding.width", width)], "emb_t")  # fmt: skip
        zero, one = _const(inits, "embedding.zero", 0.0), _const(inits, "embedding.one", 1.0)
        out = node("Clip", [t, zero, one], "emb_rows")
    if not emb.passed:
        return out
    rest = node("Gather", [A, _const(inits, "embedding.passed", emb.passed, np.int64)],
                "emb_rest", axis=1)  # fmt: skip
    if stacked:
        K, n_rest = int(net.K), len(emb.passed)
        shape = _const(inits, "embedding.rest_shape", [K, 1, 1], np.int64)
        rest = node("Tile", [node("Unsqueeze", [rest, _const(inits, "embedding.axis0", [0],
                    np.int64)], "emb_rest1"), shape], "emb_rest_k")  # fmt: skip
        assert n_rest > 0
    return node("Concat", [out, rest], "emb_a0", axis=-1)
