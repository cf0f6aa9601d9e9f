"""Where the recipe's seconds go: a profile's entries in groups, and one step timed alone.

:func:`breakdown` reads the three ``cProfile`` profiles of ``scale_job.Probe``
(preprocessing, selection phase, refit) and sorts each phase's seconds into groups:

* ``forward``, ``loss``, ``backward``: ``Network.forward`` (an embedded network's from
  ``core/embedded.py``), ``Network.cost`` and
  ``Network.backward`` called from the training step (``Step.__call__``);
* ``update``: the gradients flattened into one vector and the optimizer's update;
* ``validation``: ``evaluate`` (the held-out rows scored after every epoch), or, when
  cross-fitted, ``CrossFit.on_epoch_end`` (each member scored on its own fold);
* ``step loop``: what ``NumpyEngine.epoch`` and the step spend themselves: the minibatch
  gather, transposes and the per-step Python lines; with the batch order and per-step
  callbacks;
* ``other``: the phase's wall time less the groups: epoch boundaries (weight snapshots,
  finiteness checks), input checks, model set-up.

A profiler adds a cost to every Python call, so these are fractions of a profiled run;
per-step costs without a profiler come from :func:`step_costs`.

:func:`step_costs` times the recipe's training step alone, on the recipe's network
(``Ensemble([d, 128, 128, 1], members=4)``, float32, d the generated table's preprocessed
width) for several batch sizes: the gather, forward + loss, backward, the flattening
and Adam's update, each the fastest of many calls (the cost when the step has the
cores: the machine may be shared); then the step's matrix products alone
(``numpy.matmul`` of the same shapes) and a large square float32 GEMM, the machine's rate.
"""

from __future__ import annotations

import pstats
import time
from typing import Any

import numpy as np

Key = tuple[str, int, str]

GROUPS = ("forward", "loss", "backward", "update", "validation", "step loop", "other")


def _matches(key: Key, file_end: str, name: str) -> bool:
    return key[0].replace("\\", "/").endswith(file_end) and name in key[2]


def _time(
    stats: dict[Key, Any], file_end: str, name: str, caller: tuple[str, str] | None = None
) -> tuple[float, int]:
    """(cumulative seconds, calls) of the functions named ``name`` in files ending with
    ``file_end``; only their calls from ``caller`` (file end, name) when given."""
    seconds, calls = 0.0, 0
    for key, (_, nc, _, ct, callers) in stats.items():
        if not _matches(key, file_end, name):
            continue
        if caller is None:
            seconds, calls = seconds + ct, calls + nc
            continue
        for ckey, cvalue in callers.items():
            if _matches(ckey, *caller):
                seconds, calls = seconds + cvalue[3], calls + cvalue[1]
    return seconds, calls


def _self_time(stats: dict[Key, Any], file_end: str, name: str) -> float:
    return sum(v[2] for k, v in stats.items() if _matches(k, file_end, name))


def top_entries(stats: dict[Key, Any], n: int = 15, by: int = 2) -> list[dict[str, Any]]:
    """The ``n`` entries with the most own time (``by=2``) or cumulative time (``by=3``)."""
    rows = sorted(stats.items(), key=lambda kv: -kv[1][by])[:n]
    return [
        {
            "function": f"{k[0].split('site-packages/')[-1].split('/src/')[-1]}:{k[1]}({k[2]})",
            "calls": v[1],
            "own_s": v[2],
            "cumulative_s": v[3],
        }
        for k, v in rows
    ]


def phase_groups(stats: dict[Key, Any], wall: float, steps: int) -> dict[str, Any]:
    """A training phase's seconds in :data:`GROUPS`, and per-step milliseconds."""
    epoch = ("training/engines.py", "epoch")
    step = ("training/step.py", "__call__")
    # a network with a numerical embedding runs its passes from core/embedded.py
    passes = ("core/network.py", "core/embedded.py")
    forward = sum(_time(stats, f, "forward", step)[0] for f in passes)
    loss, _ = _time(stats, "core/network.py", "cost", step)
    backward = sum(_time(stats, f, "backward", step)[0] for f in passes)
    packing, _ = _time(stats, "core/parameters.py", "gradients", step)
    packing += _time(stats, "~", "concatenate", ("training/step.py", "_flat"))[0]
    update = packing + _time(stats, "training/optimizers.py", "update", step)[0]
    update += _time(stats, "training/engines.py", "__call__", step)[0]  # the split update
    loop = _self_time(stats, "training/engines.py", "epoch")
    loop += _self_time(stats, "training/step.py", "__call__")
    loop += _self_time(stats, "training/step.py", "_flat")
    loop += _time(stats, "training/step.py", "gather", epoch)[0]
    loop += _time(stats, "training/minibatch.py", "minibatches", epoch)[0]
    loop += _time(stats, "", "on_batch_end", epoch)[0]
    loop += _time(stats, "training/step.py", "some_members", step)[0]  # done members left out
    loop += _time(stats, "training/step.py", "_every_member", step)[0]
    validation, evaluations = _time(stats, "training/validation.py", "evaluate")
    if not evaluations:  # cross-fitted: each member scored on its fold after every epoch
        validation, evaluations = _time(stats, "training/crossfit.py", "on_epoch_end")
    seconds = {
        "forward": forward,
        "loss": loss,
        "backward": backward,
        "update": update,
        "validation": validation,
        "step loop": loop,
    }
    seconds["other"] = max(wall - sum(seconds.values()), 0.0)
    per_step = {
        g: 1000.0 * seconds[g] / steps
        for g in ("forward", "loss", "backward", "update", "step loop")
        if steps
    }
    return {
        "wall_s": wall,
        "seconds": seconds,
        "fractions": {g: s / wall for g, s in seconds.items()} if wall else {},
        "steps": steps,
        "per_step_ms": per_step,
        "evaluations": evaluations,
        "validation_per_epoch_s": validation / evaluations if evaluations else None,
    }


def breakdown(profilers: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """The profiled fit in phases and groups (see the module doc), with the top entries."""
    out: dict[str, Any] = {}
    walls = {
        "pre": facts.get("preprocess_s", 0.0),
        "selection": facts.get("selection_s", 0.0),
        "refit": facts.get("refit_s", 0.0),
    }
    steps = {"selection": facts.get("selection_steps", 0), "refit": facts.get("refit_steps", 0)}
    for phase, profiler in profilers.items():
        try:
            stats: dict[Key, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        except TypeError:  # a phase that never ran has no statistics
            continue
        entry: dict[str, Any] = {"top_own": top_entries(stats), "top_cumulative": []}
        if phase == "pre":
            entry["wall_s"] = walls["pre"]
            entry["top_cumulative"] = top_entries(stats, 10, by=3)
        else:
            entry.update(phase_groups(stats, walls[phase], steps[phase]))
        out[phase] = entry
    return out


# --------------------------------------------------------------------------- one step


def _best_seconds(fn: Any, repeats: int) -> float:
    """The fastest of ``repeats`` calls: the cost when the call has the cores to itself."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def recipe_width(task: str) -> int:
    """Columns the recipe's preprocessing makes of the generated table."""
    from benchmarks.scale_job import make_table
    from lucidnet.tables.recipe import RECIPE

    X, _ = make_table(5000, task, 0)
    return int(RECIPE.preprocessor().fit(X).transform(X, dtype=np.float32).shape[1])


def step_flops(n: list[int], members: int, batch: int) -> float:
    """Floating-point operations of a step's matrix products.

    Notes
    -----
    forward 2·K·B·Σ_l n[l]·n[l-1]; backward 2·K·B·Σ_l n[l]·n[l-1] for the dW[l] and
    2·K·B·Σ_{l≥2} n[l]·n[l-1] for the dA[l-1] (none for the input).
    """
    pairs = [n[l] * n[l - 1] for l in range(1, len(n))]
    return 2.0 * members * batch * (2 * sum(pairs) + sum(pairs[1:]))


def step_costs(task: str, batch_sizes: list[int], rows: int = 100_000) -> dict[str, Any]:
    """Per-step milliseconds of the recipe's step by part, for each batch size."""
    from benchmarks.jobs import run_gemm_job
    from lucidnet.core.ensemble import Ensemble
    from lucidnet.core.parameters import pack

    width, members, hidden = recipe_width(task), 4, [128, 128]
    n = [width, *hidden, 1]
    output = "sigmoid" if task == "classification" else "identity"
    net = Ensemble(n, members, activations=["relu", "relu", output], seed=0, dtype=np.float32)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, width), dtype=np.float32)
    Y = (rng.random((rows, 1)) < 0.5).astype(np.float32)
    theta = pack([a for l in range(1, net.L + 1) for a in (net.W[l], net.b[l])])
    runs = [_time_step(net, X, Y, theta, batch, rng) for batch in batch_sizes]
    gemm = run_gemm_job([1024, 2048], 3)
    return {
        "layer_sizes": n,
        "members": members,
        "parameters": int(net.n_parameters),
        "runs": runs,
        "gemm_gflops": gemm["gflops"],
    }


def _time_step(
    net: Any, X: np.ndarray, Y: np.ndarray, theta: np.ndarray, batch: int, rng: Any
) -> dict[str, Any]:
    """The parts of one step on a random minibatch of ``batch`` rows, best of many calls."""
    from lucidnet.core.parameters import gradients
    from lucidnet.training.optimizers import Adam

    idx = rng.permutation(X.shape[0])[:batch]
    repeats = max(5, min(200, 400_000 // (batch * net.K)))
    adam = Adam(2e-3, beta_2=0.95)
    state = adam.init_state([theta])
    gbuf = np.empty_like(theta)
    A0, Yb = X[idx].T, Y[idx].T
    cache = net.forward(A0)
    grads = net.backward(cache, Yb, 1e-4)
    parts = {
        "gather": _best_seconds(lambda: (X[idx].T, Y[idx].T), repeats),
        "forward+loss": _best_seconds(lambda: net.cost(net.forward(A0), Yb, 1e-4), repeats),
        "backward": _best_seconds(lambda: net.backward(cache, Yb, 1e-4), repeats),
        "flatten": _best_seconds(
            lambda: np.concatenate([d.reshape(-1) for d in gradients(grads)], out=gbuf),
            repeats,
        ),
    }
    g = gbuf.copy()
    parts["update"] = _best_seconds(lambda: adam.update(theta, g.copy(), state, 2e-3), repeats)
    step = sum(parts.values())
    products = _products(net, cache)
    matmul = _best_seconds(lambda: [np.matmul(a, b) for a, b in products], repeats)
    flops = step_flops(list(net.n), net.K, batch)
    return {
        "batch_size": batch,
        "parts_ms": {k: 1000.0 * v for k, v in parts.items()},
        "step_ms": 1000.0 * step,
        "us_per_row": 1e6 * step / batch,
        "matmul_ms": 1000.0 * matmul,
        "step_gflops": flops / step / 1e9,
        "matmul_gflops": flops / matmul / 1e9,
    }


def _products(net: Any, cache: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (a, b) operand pairs of a step's products: forward, dW and dA (not for l = 1)."""
    pairs = []
    for l in range(1, net.L + 1):
        A_prev, W = cache.A[l - 1], net.W[l]
        dZ = np.ones_like(cache.Z[l])
        pairs.append((W, A_prev))
        pairs.append((dZ, np.swapaxes(A_prev, -1, -2)))
        if l > 1:
            pairs.append((np.swapaxes(W, -1, -2), dZ))
    return pairs
