"""What the page draws, computed from a session: plain JSON-ready dicts.

- :func:`frame`: counters, losses, the output over the plane, every unit's A[l] over the
  plane, the weights, and the learned feature map (MATH.md §7) next to the input space.
- :func:`trace_rows`: the current minibatch through every formula, with shapes.
- :func:`gradient_check`: backprop against finite differences on that minibatch.
- :func:`collapse`: the single (W, b) of an all-identity network (MATH.md §3).

Pictures travel as bytes 0..255 in base64 (a 48 × 48 heat map is 2 KB), numbers rounded.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from lucidnet.core import check_gradients
from lucidnet.core.trace import trace_rows as lecture_rows
from lucidnet.playground.session import FEATURE_LABELS, Session, finite

__all__ = [
    "HEAT_GRID",
    "UNIT_GRID",
    "collapse",
    "data_points",
    "frame",
    "gradient_check",
    "trace_rows",
]

HEAT_GRID = 48
UNIT_GRID = 20
FEATURE_GRID = 32
GRADCHECK_COLUMNS = 64


def _bytes(values: np.ndarray) -> str:
    """Values in [0, 1] as base64 of uint8 (0..255), row-major."""
    q = np.round(np.clip(np.nan_to_num(values, nan=0.5), 0, 1) * 255).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def _round(a: Any, digits: int = 4) -> Any:
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


def _heat(session: Session, AL: np.ndarray) -> dict[str, Any]:
    """The output A[L] (n[L], m²) as a picture: a probability, a class, or a value."""
    task = session.data.task
    if task == "regression":
        y = session.data.y
        lo, hi = float(y.min()), float(y.max())
        value = AL[0] * session.y_scale + session.y_mean
        return {
            "kind": "value",
            "values": _bytes((value - lo) / ((hi - lo) or 1.0)),
            "range": [lo, hi],
        }
    if AL.shape[0] == 1:  # one unit: sigmoid probability, or an identity score of 0/1 labels
        return {"kind": "prob", "values": _bytes(AL[0])}
    if task == "binary":  # two softmax units: P(class 1)
        return {"kind": "prob", "values": _bytes(AL[1])}
    k = np.argmax(AL, axis=0)
    top = AL[k, np.arange(AL.shape[1])]
    return {
        "kind": "class",
        "classes": base64.b64encode(k.astype(np.uint8).tobytes()).decode(),
        "values": _bytes(top),
    }


def data_points(session: Session) -> dict[str, Any]:
    """The points, their targets and which part they are in (sent when the data change)."""
    d = session.data
    part = np.zeros(len(d.y), dtype=int)
    part[session.test] = 1
    return {
        "type": "data",
        "task": d.task,
        "classes": d.classes,
        "names": list(d.names),
        "domain": list(d.domain),
        "x": _round(d.X, 3),
        "y": _round(d.y, 4),
        "test": part.tolist(),
        "nTrain": len(session.train),
        "nTest": len(session.test),
    }


def frame(session: Session) -> dict[str, Any]:
    """Everything the page shows that changes while training."""
    net = session.net
    train, test = session.history[-1][1], session.history[-1][2]
    _, _, A0 = session.grid_inputs(HEAT_GRID)
    heat = _heat(session, session.predict(A0))
    _, _, A0u = session.grid_inputs(UNIT_GRID)
    with np.errstate(all="ignore"):
        cache = net.forward(A0u)
    units = []
    for l in range(net.L + 1):  # the inputs, every hidden unit, the outputs
        for i in range(net.n[l]):
            a = cache.A[l][i]
            scale = float(np.max(np.abs(a))) or 1.0
            units.append(
                {"l": l, "i": i, "scale": round(scale, 4), "values": _bytes(0.5 + 0.5 * a / scale)}
            )
    return {
        "type": "frame",
        "epoch": session.epoch,
        "steps": session.steps,
        "running": session.running,
        "trainLoss": finite(train),
        "testLoss": finite(test),
        "history": [[h[0], finite(h[1]), finite(h[2])] for h in session.history],
        "n": net.n,
        "activations": net.activation_names,
        "inputs": [FEATURE_LABELS[f] for f in session.config.features],
        "W": {str(l): _round(net.W[l]) for l in range(1, net.L + 1)},
        "b": {str(l): _round(net.b[l][:, 0]) for l in range(1, net.L + 1)},
        "heat": {"grid": HEAT_GRID, **heat},
        "units": {"grid": UNIT_GRID, "list": units},
        "features": feature_view(session),
    }


def feature_view(session: Session) -> dict[str, Any]:
    """The data in the space of φ = A[L-1], with the head's output over a plane of it.

    The head ŷ = g[L](W[L] φ + b[L]) is linear in φ, so its boundaries are straight. φ has
    n[L-1] dimensions; the view is the plane c + a·e_a + b·e_b through the data's mean:

    - n[L-1] = 2: φ's own axes (c = 0);
    - one output unit: e_a along the head's weights (so a point's side of the line
      is exact), e_b the main remaining direction of the data;
    - several output units: the two main directions of the data (PCA).
    """
    net = session.net
    L = net.L
    with np.errstate(all="ignore"):
        Phi = np.asarray(net.feature_map(session.A0_all)).T  # (n_points, k)
    k = Phi.shape[1]
    W, b = net.W[L], net.b[L][:, 0]
    if net.n[L] == 2 and session.data.task == "binary":  # softmax of 2 = sigmoid of z1 − z0
        w, w0 = W[1] - W[0], float(b[1] - b[0])
    elif net.n[L] == 1:
        w, w0 = W[0], float(b[0])
    else:
        w, w0 = None, 0.0
    if k <= 2:
        c = np.zeros(k)
        basis = np.eye(k)
        how = "φ's own axes" if k == 2 else "φ on the horizontal axis (one unit)"
    else:
        c = Phi.mean(axis=0)
        centred = Phi - c
        dirs = []
        if w is not None and np.linalg.norm(w) > 1e-12:
            dirs.append(w / np.linalg.norm(w))
            centred = centred - np.outer(centred @ dirs[0], dirs[0])
        _, _, Vt = np.linalg.svd(centred, full_matrices=False)
        dirs.extend(Vt[: 2 - len(dirs)])
        basis = np.vstack(dirs)
        how = (
            "the head's weight direction and the data's main other direction"
            if w is not None
            else "the data's two main directions (PCA)"
        )
    coords = (Phi - c) @ basis.T  # (n_points, k or 2)
    if coords.shape[1] == 1:
        jitter = np.random.default_rng(0).uniform(-1, 1, len(coords))
        coords = np.column_stack([coords[:, 0], jitter])
        basis = np.vstack([basis, np.zeros(k)])
    lo, hi = np.nanmin(coords, axis=0), np.nanmax(coords, axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-6)
    lo, hi = lo - pad, hi + pad
    m = FEATURE_GRID
    a_vals, b_vals = np.linspace(lo[0], hi[0], m), np.linspace(hi[1], lo[1], m)
    grid = np.column_stack([np.tile(a_vals, m), np.repeat(b_vals, m)])
    Phi_grid = c + grid @ basis  # points of the plane in φ-space
    with np.errstate(all="ignore"):
        AL = np.asarray(net.head.predict_output(Phi_grid.T))
    line = None
    if w is not None and session.data.task != "regression":
        # where the head's score crosses its threshold: w·φ + w0 = t (t = 0 for a logit,
        # 0.5 for an identity output on 0/1 labels), in plane coordinates a, b
        t = 0.5 if session.config.output == "identity" else 0.0
        line = [float(w @ basis[0]), float(w @ basis[1]), float(w @ c + w0 - t)]
    return {
        "k": k,
        "how": how,
        "domain": [float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])],
        "points": _round(coords, 3),
        "heat": {"grid": m, **_heat(session, AL)},
        "line": line,
    }


# ---------------------------------------------------------------------------- the lecture


def _batch(session: Session) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    if session.last_batch is not None:
        return (
            *session.batch_arrays(session.last_batch),
            session.last_batch,
            "the last minibatch trained on",
        )
    idx = session.next_batch()
    return (*session.batch_arrays(idx), idx, "the first minibatch (no step yet)")


def trace_rows(session: Session) -> dict[str, Any]:
    """The current minibatch through the forward and backward pass, as ``lucidnet trace``
    prints it: one row per formula with the shapes that meet in it and a few numbers.

    Computed with today's weights and without dropout (as in the lecture); ``d`` means ∂J/∂•.
    """
    net = session.net
    A0, Y, _, which = _batch(session)
    alpha = session.config.l2
    L, B = net.L, A0.shape[1]
    with np.errstate(all="ignore"):
        rows = lecture_rows(net, A0, Y, alpha)
    forward, backward = [list(r) for r in rows[0]], [list(r) for r in rows[1]]
    J = rows[2]
    cost = (
        f"J = (1/B) Σ L(A[{L}], Y)"
        + (" + (α/2B) Σ‖W[l]‖²" if alpha else "")
        + f" = {J:.6f}  ({net.output.name} output with its canonical loss)"
    )
    return {
        "type": "trace",
        "header": (
            f"network: n = {net.n}, L = {L}, g = {net.activation_names}, "
            f"B = {B} examples as columns ({which})"
        ),
        "forward": forward,
        "cost": cost,
        "backward": backward,
    }


def gradient_check(session: Session) -> dict[str, Any]:
    """``check_gradients`` on the current minibatch: every dW[l], db[l] against finite
    differences, in float64, with the L2 term and without dropout."""
    A0, Y, _, which = _batch(session)
    if A0.shape[1] > GRADCHECK_COLUMNS:  # two costs per parameter: keep it quick
        A0, Y = A0[:, :GRADCHECK_COLUMNS], Y[:, :GRADCHECK_COLUMNS]
        which += f", its first {GRADCHECK_COLUMNS} examples"
    result = check_gradients(session.net, A0, Y, session.config.l2)
    return {
        "type": "gradcheck",
        "which": which,
        "rows": [[name, float(err), bool(err < result.tolerance)] for name, err in result.items()],
        "passed": bool(result.passed),
        "worst": float(result.max_error),
        "tolerance": result.tolerance,
    }


def collapse(session: Session) -> dict[str, Any]:
    """With every hidden g the identity: the collapsed (W, b) and how far apart its outputs
    and the network's are, over the data and the plane's grid."""
    net = session.net
    try:
        W, b = net.collapse_linear()
    except ValueError as exc:
        return {"type": "collapse", "ok": False, "message": str(exc)}
    _, _, A0 = session.grid_inputs(HEAT_GRID)
    A0 = np.hstack([session.A0_all, A0])
    with np.errstate(all="ignore"):
        deep = np.asarray(net.predict_output(A0))
        flat = np.asarray(net.output(W @ A0 + b))
    diff = float(np.max(np.abs(deep - flat)))
    products = " ".join(f"W[{l}]" for l in range(net.L, 0, -1))
    return {
        "type": "collapse",
        "ok": True,
        "formula": f"W = {products}",
        "W": _round(W, 6),
        "b": _round(b[:, 0], 6),
        "inputs": [FEATURE_LABELS[f] for f in session.config.features],
        "maxDiff": diff,
        "n": int(A0.shape[1]),
        "message": (
            f"{net.L} layers with identity hidden g collapse to one linear layer "
            f"g[L](W x + b): max |ŷ_network − ŷ_collapsed| = {diff:.2e} over "
            f"{A0.shape[1]} points."
        ),
    }
