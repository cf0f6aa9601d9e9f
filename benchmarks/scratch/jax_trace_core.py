"""Feasibility: can jax.jit trace lucidnet's own forward/backward (no second copy of the math)?

    python benchmarks/scratch/jax_trace_core.py

Builds a Network whose W[l], b[l] are JAX tracers (Network.from_parameters), runs the core's
forward and backward inside jax.jit, one SGD step per minibatch, and a whole epoch with
lax.scan; compares the weights with lucidnet's NumPy run and times both at S.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jobs import CONFIGS, make_data

import lucidnet

LR = 0.05


def main() -> None:
    cfg = CONFIGS["S"]
    X, y, _, _ = make_data(cfg)
    Y = y.reshape(-1, 1)
    net = lucidnet.Network(cfg.layer_sizes, seed=0, dtype=np.float32)
    names = net.activation_names
    L = net.L
    params0 = [(jnp.asarray(net.W[l]), jnp.asarray(net.b[l])) for l in range(1, L + 1)]

    def step(params, idx, Xj, Yj):
        W = [w for w, _ in params]
        b = [v for _, v in params]
        tnet = lucidnet.Network.from_parameters(W, b, names)  # the core, on tracers
        A0 = jnp.take(Xj, idx, axis=0).T
        Yb = jnp.take(Yj, idx, axis=0).T
        cache = tnet.forward(A0)
        grads = tnet.backward(cache, Yb)
        return [
            (w - LR * grads.dW[l], v - LR * grads.db[l]) for l, (w, v) in enumerate(params, start=1)
        ]

    B = cfg.batch_size
    n_full = X.shape[0] // B
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)

    @jax.jit
    def epoch(params, perm):
        def body(p, idx):
            return step(p, idx, Xj, Yj), None

        params, _ = jax.lax.scan(body, params, perm[: n_full * B].reshape(n_full, B))
        return params

    order = np.random.default_rng(0).permutation(X.shape[0]).astype(np.int32)
    try:
        params = epoch(params0, order)
        jax.block_until_ready(params)
    except Exception as e:  # report why the core cannot be traced
        print(f"tracing the core failed: {type(e).__name__}: {e}")
        return
    t0 = time.perf_counter()
    jax.block_until_ready(epoch(params0, order))
    t_jax = time.perf_counter() - t0

    # the same epoch in NumPy with the core (same order, full minibatches only)
    t0 = time.perf_counter()
    for s in range(0, n_full * B, B):
        idx = order[s : s + B]
        cache = net.forward(X[idx].T)
        grads = net.backward(cache, Y[idx].T)
        for l in range(1, L + 1):
            net.W[l] = net.W[l] - LR * grads.dW[l]
            net.b[l] = net.b[l] - LR * grads.db[l]
    t_np = time.perf_counter() - t0
    diff = max(
        float(np.max(np.abs(np.asarray(params[l - 1][0]) - net.W[l]))) for l in range(1, L + 1)
    )
    print(
        f"core traced by jax.jit + lax.scan: {t_jax * 1e3:.1f} ms/epoch; "
        f"NumPy core: {t_np * 1e3:.1f} ms/epoch; max |ΔW| = {diff:.1e}"
    )


if __name__ == "__main__":
    main()
