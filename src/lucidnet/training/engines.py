"""The NumPy engine: a Python loop over the one step, on ONE flat parameter buffer.

The lecture's code keeps ``W[l]`` and ``b[l]`` per layer; an optimizer wants them all at
once. The trainer's :class:`~lucidnet.training.train_state.TrainState` holds one vector
θ = pack([W[1], b[1], ..., W[L], b[L]]) for the length of a ``fit`` and the network holds
*views* of it, so the core reads ``W[l]`` as always while :meth:`Optimizer.update` changes
θ in place in a few vectorised passes. An epoch is::

    for each shuffled minibatch (rows):
        batch = gather(X, Y, s, rows)                   A0 = X[rows].T, ...
        η = state.rate(schedule)                        per-batch schedules only
        θ, opt_state, J = step(θ, opt_state, batch, η, rng)     lucidnet.training.step

With per-member weights that leave rows out (cross-fitting), each member steps on its own
rows (:mod:`lucidnet.training.member_batches`), in as many steps per epoch. An epoch may
step some of an ensemble's members only (``members``: the cross-fitted members that have
not yet spent their patience): their rows are gathered, the products run on their
parameters, and the others' gradient is 0, so a done member costs nothing.

Nothing keeps an old θ alive: the trainer copies θ and the optimizer state once per
epoch, at the boundary (the rollback point for Ctrl-C and divergence, and the best
weights), which is cheap next to an epoch of steps.

BLAS threads are chosen by problem size (:func:`blas_threads`): a small layer's products
run faster on one thread than spread over several. A large θ (≥ ``SPLIT_UPDATE`` entries)
is updated in pieces, one per core at a time (:class:`SplitUpdate`): the rule is
element-wise, NumPy releases the GIL in its loops, and each piece takes its gradient
straight from ``dW[l]``, so the gradients are never copied into one vector.

The same engine runs any Array-API library (PyTorch, CuPy...): where slicing and
reshaping might copy, the step takes its views again at each call.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lucidnet.core.arrays import device_of, namespace, to_numpy
from lucidnet.core.network import Network
from lucidnet.training.callbacks import TerminateOnNaN
from lucidnet.training.member_batches import member_epoch, member_rows
from lucidnet.training.minibatch import minibatches
from lucidnet.training.schedules import Schedule
from lucidnet.training.step import Step, gather
from lucidnet.training.train_state import TrainState

__all__ = [
    "SMALL_PRODUCT",
    "SPLIT_UPDATE",
    "NumpyEngine",
    "Run",
    "SplitUpdate",
    "blas_threads",
    "step_products",
]

Array = Any

# Below this many multiply-adds in a step's largest product, BLAS runs on one thread: the
# threads' start and synchronisation cost more than they save, and far more when another
# process holds a core (docs/performance.md: equal at 61 k on a quiet machine, 10x slower
# with two threads under load; two threads win from about 500 k).
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
    return net.K * batch_size * max(net.n[l] * net.n[l - 1] for l in range(1, net.L + 1))


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


@dataclass(frozen=True)
class Run:
    """What an engine needs for one fit: the step, the data and the loop's settings.

    Attributes
    ----------
    step : Step
        The minibatch step, its settings bound (``like``: the fit's parameters).
    X, Y : arrays of shape (n_samples, n[0]) and (n_samples, n[L])
    s : array of shape (n_samples,) or None
        Sample weights.
    train_idx : integer ndarray or None
        The training rows (None: all of them).
    schedule : Schedule
    batch_size : int
    shuffle : bool
    guard : TerminateOnNaN or None
        Checks every minibatch loss (raises :class:`Diverged` at a non-finite one).
    on_batch : callable or None
        ``fn(state, batch, logs) -> stop`` after each step (the batch callbacks).
    needs_gradients : tuple of str
        The callbacks that read every step's gradients (the JAX engine refuses them).
    """

    step: Step
    X: Any
    Y: Any
    s: Any
    train_idx: np.ndarray | None
    schedule: Schedule
    batch_size: int
    shuffle: bool
    guard: TerminateOnNaN | None = None
    on_batch: Callable[[TrainState, int, dict[str, Any]], bool] | None = None
    needs_gradients: tuple[str, ...] = ()

    @property
    def n_train(self) -> int:
        return int(self.X.shape[0] if self.train_idx is None else len(self.train_idx))


class NumpyEngine:
    """Epochs of minibatch steps, in Python, over one flat parameter buffer.

    One object per trainer; :meth:`start` at the beginning of each ``fit`` prepares the
    step (the threaded update of a large θ, the kept gradients for batch callbacks).
    """

    name = "numpy"

    def __init__(self) -> None:
        self.step: Step | None = None
        self._split: SplitUpdate | None = None
        self._member_rows: list[np.ndarray] | None = None

    def start(self, run: Run) -> None:
        """Prepare this fit's step (the data stay where they are: each step gathers its rows)."""
        step = run.step
        xp = namespace(*step.like)
        # in pieces: a large θ, no clipping (it needs the whole norm first), and no batch
        # callback (the pieces use dW[l] itself as scratch, which such a callback may read)
        split = (
            xp is np
            and step.net.n_parameters >= SPLIT_UPDATE
            and step.clip_norm is None
            and run.on_batch is None
        )
        if self._split is not None:
            self._split.close()
        self._split = SplitUpdate(step.like) if split else None
        self.step = replace(step, update_in_pieces=self._split, keep_grads=run.on_batch is not None)
        s = None if run.s is None else to_numpy(run.s)
        self._member_rows = member_rows(s, run.train_idx)

    def epoch(
        self, run: Run, state: TrainState, members: np.ndarray | None = None
    ) -> tuple[TrainState, float, float]:
        """Run one epoch of steps from ``state``; return it advanced, Σ J̄ · size and Σ size.

        J̄ is a minibatch's loss per network: the cost J over the K members, J / K (the
        one network's J for K = 1); each member still steps on its own J_k's gradient.
        ``members`` (sorted indices of an ensemble's members, NumPy data): only those
        step, and J̄ is their mean (None: every member).

        Raises
        ------
        Diverged
            From ``run.guard``, at a non-finite minibatch loss (the trainer then rolls back
            to the boundary).
        """
        step, schedule = self.step, run.schedule
        assert step is not None
        X, Y, s = run.X, run.Y, run.s
        optimizer, rng = step.optimizer, state.rng
        check_loss = None if run.guard is None else run.guard.check_loss
        xp = namespace(X)
        fast = xp is np
        some = self._some(run, members) if fast else None
        if some is not None:
            step = replace(step, members=some)
            if s is not None and s.ndim == 2:  # per-member weights: the stepping members'
                s = s[some]
        n_members = step.net.K if some is None else len(some)
        device = None if fast else device_of(X)
        base, per_batch = optimizer.learning_rate, schedule.per_batch
        lr = state.learning_rate
        theta, opt_state = state.theta, state.opt_state
        if optimizer.needs_state(opt_state):
            opt_state = optimizer.init_state(step.like)
        epoch = state.epoch + 1
        total = weight = 0.0
        for batch, (idx, valid) in enumerate(self._batches(run, rng), start=1):
            if some is not None and idx.ndim == 2:  # per-member rows: the stepping members'
                idx, valid = idx[some], None if valid is None else valid[some]
            data = gather(X, Y, s, idx if fast else xp.asarray(idx, device=device))
            if valid is not None:  # per-member rows: the padding slots weigh 0
                data = (*data[:2], data[2] * (valid if fast else xp.asarray(valid)))
            size: float = idx.shape[-1]
            if s is not None:
                size = float(xp.sum(data[2]))
                if size == 0:
                    continue  # every row weighs 0: nothing to learn from this batch
            if per_batch:
                lr = state.learning_rate = state.rate(schedule, base)
            theta, opt_state, cost = step(theta, opt_state, data, lr, rng)
            J = float(cost) / n_members
            state.theta, state.opt_state = theta, opt_state
            if check_loss is not None:
                check_loss(J, epoch, batch, lr)
            state.advance(idx.shape[-1])
            total += J * size
            weight += size
            if run.on_batch is not None:
                logs = {"batch": batch, "size": idx.shape[-1], "loss": J, "grads": step.last_grads}
                if run.on_batch(state, batch, logs):
                    break
        state.opt_state = opt_state
        return state, total, weight

    def _some(self, run: Run, members: np.ndarray | None) -> np.ndarray | None:
        """``members`` when they are some (not all) of an ensemble's, else None.

        Every member steps when a callback reads each step's gradients (which are
        every member's).
        """
        K = run.step.net.K
        if members is None or run.needs_gradients:
            return None
        some = np.unique(np.asarray(members, dtype=np.int64))
        if len(some) == 0 or len(some) >= K or some[0] < 0 or some[-1] >= K:
            return None
        return some

    def _batches(
        self, run: Run, rng: np.random.Generator
    ) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """The epoch's minibatches: (rows, None), or per member (rows (K, b), valid (K, b))."""
        shuffle = rng if run.shuffle else None
        if self._member_rows is not None:
            n_steps = -(-run.n_train // run.batch_size)
            idx, valid = member_epoch(self._member_rows, n_steps, shuffle)
            dtype = np.dtype(run.step.net.dtype)
            yield from zip(idx, valid.astype(dtype), strict=True)
            return
        for rows in minibatches(run.n_train, run.batch_size, shuffle):
            yield (rows if run.train_idx is None else run.train_idx[rows]), None
