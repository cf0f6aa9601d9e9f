"""The NumPy engine: the trainer's minibatch loop over ONE flat parameter buffer.

The lecture's code keeps ``W[l]`` and ``b[l]`` per layer; an optimizer wants them all at
once. This engine owns one vector θ = pack([W[1], b[1], ..., W[L], b[L]]) for the length
of a ``fit`` and gives the network *views* of it, so the core reads and writes ``W[l]``
as always while :meth:`Optimizer.update` changes θ in place in a few vectorised passes::

    θ = pack(params)                         one buffer (a copy made at the start of fit)
    W[l], b[l] = views of θ                  what Network.forward / backward see
    g = concat(dW[1], db[1], ..., db[L])     into a second preallocated buffer
    θ, state = optimizer.update(θ, g, state, η)        in place: W[l] changes with θ

Nothing keeps an old θ alive: the trainer copies θ and the optimizer state once per
epoch, at the boundary (the rollback point for Ctrl-C and divergence, and the best
weights), which is cheap next to an epoch of steps.

BLAS threads are chosen by problem size (:func:`blas_threads`): a small layer's products
run faster on one thread than spread over several. A large θ (≥ ``SPLIT_UPDATE`` entries)
is updated in pieces, one per core at a time (:class:`SplitUpdate`): the rule is
element-wise, NumPy releases the GIL in its loops, and each piece takes its gradient
straight from ``dW[l]``, so the gradients are never copied into one vector.

The same engine runs any Array-API library (PyTorch, CuPy...): where slicing and
reshaping might copy, the views are taken again after each step.
"""

from __future__ import annotations

import math
import os
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.core.arrays import device_of, is_concrete, namespace
from lucidnet.core.network import Network
from lucidnet.core.parameters import gradients, pack, set_parameters, unpack
from lucidnet.training.faults import Diverged
from lucidnet.training.minibatch import minibatches

if TYPE_CHECKING:
    from lucidnet.training.loop import Trainer

__all__ = [
    "SMALL_PRODUCT",
    "SPLIT_UPDATE",
    "NumpyEngine",
    "SplitUpdate",
    "blas_threads",
    "clip_vector",
    "step_products",
]

Array = Any

# Below this many multiply-adds in a step's largest product, BLAS runs on one thread: the
# threads' start and synchronisation cost more than they save, and far more when another
# process holds a core (benchmarks/NOTES.md, issue 15: equal at 61 k on a quiet machine,
# 10x slower with two threads under load; two threads win from about 500 k).
SMALL_PRODUCT = 200_000
_CONTROLLER: Any = None  # threadpoolctl's view of the loaded libraries, made at first use

# From this many parameters on, the optimizer's passes over θ run in pieces on every core.
SPLIT_UPDATE = 1_000_000


def step_products(net: Network, batch_size: int) -> int:
    """The multiply-adds of a minibatch step's largest matrix product.

    Notes
    -----
    max_l B · n[l] · n[l-1] (times K for an ensemble of K members).
    """
    members = int(getattr(net, "K", 1))
    return members * batch_size * max(net.n[l] * net.n[l - 1] for l in range(1, net.L + 1))


def blas_threads(net: Network, batch_size: int) -> AbstractContextManager[Any]:
    """One BLAS thread for small products, the library's default for large ones.

    Returns a context manager (threadpoolctl's limit, or nothing to do). Setting
    ``LUCIDNET_BLAS_THREADS=default`` leaves BLAS alone.
    """
    if os.environ.get("LUCIDNET_BLAS_THREADS") == "default":
        return nullcontext()
    if step_products(net, batch_size) >= SMALL_PRODUCT:
        return nullcontext()
    global _CONTROLLER
    if _CONTROLLER is None:  # finding the loaded BLAS libraries takes milliseconds: once
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def clip_vector(g: Array, max_norm: float) -> Array:
    """Scale the flat gradient so that its norm is at most ``max_norm``.

    Notes
    -----
    ‖g‖ = √(Σ_i g_i²);  if ‖g‖ > c:  g ← g · c / ‖g‖ (the direction kept, the length capped).
    Inside a compiled epoch (values not readable) the same rule is
    g ← g · where(‖g‖ > c, c / ‖g‖, 1).
    """
    xp = namespace(g)
    norm = xp.sqrt(xp.sum(g * g))
    if is_concrete(norm):
        value = float(norm)
        if value > max_norm:
            g *= max_norm / value
        return g
    return g * xp.where(norm > max_norm, max_norm / norm, xp.ones_like(norm))


class SplitUpdate:
    """``optimizer.update`` on pieces of θ at once, one thread per core (large θ only).

    θ is cut into contiguous pieces of about P / (2 · cores) entries, each inside one
    parameter array, so piece k reads its gradient from that array's ``dW[l]`` or
    ``db[l]`` (a view, no copy) and its state from the same slice of each state vector.
    The rule is element-wise, so the pieces together make exactly the whole update; a
    scalar of the state (Adam's step count t) advances once.
    """

    def __init__(self, like: list[Array]) -> None:
        import os

        self.workers = max(1, os.cpu_count() or 1)
        sizes = [int(np.prod(p.shape)) for p in like]
        self.total = sum(sizes)
        target = max(1, self.total // (2 * self.workers))
        self.pieces: list[tuple[int, int, int, int]] = []  # (array i, start in it, θ start, stop)
        start = 0
        for i, size in enumerate(sizes):
            for a in range(0, size, target):
                b = min(a + target, size)
                self.pieces.append((i, a, start + a, start + b))
            start += size
        self._pool: Any = None

    def __call__(
        self, optimizer: Any, theta: Array, grads: list[Array], state: tuple[Any, ...], lr: float
    ) -> tuple[Array, tuple[Any, ...]]:
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="lucidnet-update")
        flat = [g.reshape(-1) for g in grads]
        vectors = [hasattr(p, "shape") and p.shape == (self.total,) for p in state]

        def piece(i: int, a: int, s: int, e: int) -> tuple[Any, ...]:
            part = tuple(p[s:e] if v else p for p, v in zip(state, vectors, strict=True))
            return optimizer.update(theta[s:e], flat[i][a : a + e - s], part, lr)[1]

        futures = [self._pool.submit(piece, *p) for p in self.pieces]
        results = [f.result() for f in futures]  # all of them: every piece must finish
        first = results[0]
        return theta, tuple(p if v else q for p, q, v in zip(state, first, vectors, strict=True))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None


class NumpyEngine:
    """Epochs of minibatch steps, in Python, over one flat parameter buffer.

    One object per trainer; :meth:`start` at the beginning of each ``fit`` takes the
    network's current parameters into a fresh buffer.
    """

    name = "numpy"

    def __init__(self) -> None:
        self.theta: Array | None = None
        self._g: Array | None = None
        self._like: list[Array] = []
        self._views: list[Array] = []
        self._split: SplitUpdate | None = None

    # ------------------------------------------------------------------ state

    def start(
        self,
        trainer: Trainer,
        params: list[Array],
        X: Array,
        Y: Array,
        s: Array | None,
        train_idx: np.ndarray | None,
    ) -> None:
        """Copy ``params`` into a new θ and give the network views of it (the data stay
        where they are: each step gathers its minibatch)."""
        xp = namespace(*params)
        self._like = list(params)
        self.theta = pack(params)  # a new array: the arrays passed in are never changed
        self._g = xp.empty_like(self.theta) if xp is np else None
        # in pieces: a large θ, no clipping (it needs the whole norm first), and no batch
        # callback (the pieces use dW[l] itself as scratch, which such a callback may read)
        split = (
            xp is np
            and trainer.net.n_parameters >= SPLIT_UPDATE
            and trainer.clip_norm is None
            and not trainer.batch_callbacks()
        )
        if self._split is not None:
            self._split.close()
        self._split = SplitUpdate(self._like) if split else None
        self._bind(trainer.net)

    def load(self, trainer: Trainer, theta: Array) -> None:
        """Continue from ``theta`` (copied): the rollback to an epoch boundary."""
        self.theta = namespace(theta).asarray(theta, copy=True)
        self._bind(trainer.net)

    def _bind(self, net: Network) -> None:
        assert self.theta is not None
        self._views = unpack(self.theta, self._like)
        set_parameters(net, self._views)

    @property
    def params(self) -> list[Array]:
        """``[W[1], b[1], ..., W[L], b[L]]`` as views of θ."""
        return self._views

    # ------------------------------------------------------------------ one epoch

    def epoch(
        self,
        trainer: Trainer,
        X: Array,
        Y: Array,
        s: Array | None,
        train_idx: np.ndarray | None,
        epoch: int,
    ) -> tuple[float, float]:
        """Run one epoch of steps; return (Σ J · size, Σ size) over its minibatches.

        Raises
        ------
        Diverged
            After rolling back to the last epoch boundary, when a minibatch loss is not
            finite.
        """
        net, optimizer, schedule = trainer.net, trainer.optimizer, trainer.schedule
        rng = trainer.rng
        alpha, dropout, clip_norm = trainer.alpha, trainer.dropout, trainer.clip_norm
        batch_callbacks = trainer.batch_callbacks()
        check, per_batch = trainer.checks_finite, schedule.per_batch
        xp = namespace(X)
        fast = xp is np
        device = None if fast else device_of(X)
        n_train = X.shape[0] if train_idx is None else len(train_idx)
        base = optimizer.learning_rate
        lr = trainer.learning_rate_
        state = optimizer.state
        if optimizer.needs_state(state):
            state = optimizer.init_state(self._like)
        theta, gbuf, split = self.theta, self._g, self._split
        total = weight = 0.0
        order = minibatches(n_train, trainer.batch_size, rng if trainer.shuffle else None)
        for batch, idx in enumerate(order, start=1):
            if train_idx is not None:
                idx = train_idx[idx]
            size: float = len(idx)
            if fast:
                A0, Yb = X[idx].T, Y[idx].T
                sb = None if s is None else s[idx]
            else:
                take = xp.asarray(idx, device=device)
                A0, Yb = xp.take(X, take, axis=0).T, xp.take(Y, take, axis=0).T
                sb = None if s is None else xp.take(s, take)
            if sb is not None:
                size = float(xp.sum(sb))
                if size == 0:
                    continue  # every row weighs 0: nothing to learn from this batch
            if per_batch:
                lr = trainer.learning_rate_ = schedule.rate(
                    base, trainer.epoch, trainer.n_batches, trainer.t
                )
            cache = net.forward(A0, dropout=dropout, rng=rng)
            J = net.cost_from_cache(cache, Yb, alpha, sample_weight=sb)
            if check and not math.isfinite(J):
                optimizer.state = state
                trainer.rollback()
                raise Diverged(epoch, batch, f"the loss became {J}", lr)
            grads = net.backward(cache, Yb, alpha, sample_weight=sb)
            if split is not None:
                theta, state = split(optimizer, theta, gradients(grads), state, lr)
            else:
                if fast:
                    g = np.concatenate([d.reshape(-1) for d in gradients(grads)], out=gbuf)
                else:
                    g = pack(gradients(grads))
                if clip_norm is not None:
                    g = clip_vector(g, clip_norm)
                theta, state = optimizer.update(theta, g, state, lr)
            if theta is not self.theta or not fast:  # a library without views: bind again
                self.theta = theta
                self._bind(net)
            trainer.t += len(idx)
            trainer.n_batches += 1
            total += J * size
            weight += size
            if batch_callbacks:
                optimizer.state = state
                batch_logs = {"batch": batch, "size": len(idx), "loss": J, "grads": grads}
                for cb in batch_callbacks:
                    cb.on_batch_end(trainer, batch, batch_logs)
                if trainer.stop_training:
                    break
        optimizer.state = state
        return total, weight
