"""The JAX engine: a whole epoch compiled from the same core and the same optimizer rule.

``Trainer(..., engine="jax")`` (``pip install "lucidnet[jax]"``) runs each epoch as ONE
call of a function that JAX compiles once per architecture, setting and data shape, when
the engine starts (before the first epoch, outside a :class:`TimeLimit`'s budget)::

    for each minibatch k (lax.scan over the epoch's index matrix):
        batch            = gather(X, Y, S, rows_k)              the NumPy engine's gather
        θ, state, J_k    = step(θ, state, batch, η_k, key_k)    the NumPy engine's step

Nothing is written twice: :class:`~lucidnet.training.step.Step` is the NumPy engine's
step, and the core and :meth:`Optimizer.update` are Array-API code, pure where arrays are
immutable, so JAX traces them as they are.

What stays on the host, in NumPy, at every epoch boundary: the shuffle (the trainer's
Generator draws the same permutation as the NumPy engine, so the same seed gives the same
minibatch order), the learning rate of every step (the schedule, evaluated ahead for the
epoch), the divergence check (the first non-finite J_k names its batch; the trainer rolls
back to the boundary), validation, callbacks, early stopping, Ctrl-C and the state for a
bit-identical resume. ``on_batch_end`` hooks are replayed after the epoch with each
batch's loss and size (a progress bar advances by the epoch); a callback that needs the
gradients of each step (:class:`~lucidnet.training.GradientNormRecorder`) is refused.

The last, partial minibatch keeps its meaning without a second compilation: it is padded
to B rows that weigh 0, and the cost is the weighted mean Σ s_i L_i / Σ s_i (docs/MATH.md),
which over the real rows is exactly the plain mean of the NumPy engine. When B divides the
rows and no sample weights are given, the unweighted formula is used, as in NumPy.

float64 networks compute in float64 (JAX's 64-bit mode is switched on for the engine's
own calls only). Dropout masks come from ``jax.random`` keys drawn from the trainer's
Generator: seeded and resumable, but not the NumPy engine's masks.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from typing import Any

import numpy as np

from lucidnet.core.parameters import pack
from lucidnet.training.engines import Run
from lucidnet.training.member_batches import member_epoch, member_rows
from lucidnet.training.step import Step, gather
from lucidnet.training.train_state import TrainState

__all__ = ["JaxEngine"]

Array = Any

_COMPILED: dict[tuple[Any, ...], Any] = {}  # one compiled epoch per architecture and setting
UNROLL = 1  # minibatch steps per iteration of the compiled loop


NO_JAX = (
    "engine='jax' needs JAX: pip install \"lucidnet[jax]\" (or pip install jax), "
    "or train with engine='numpy' (the default)."
)


def _import_jax() -> Any:
    try:
        import jax
    except ImportError:
        raise ImportError(NO_JAX) from None
    return jax


class JaxEngine:
    """Epochs compiled by JAX; the data live on JAX's default device for the whole fit.

    The engine's start does all of JAX's one-time work: it imports JAX (made sure of at
    construction), moves the data to the device and compiles the fit's epoch, so the
    epochs compile nothing and a time budget that excludes the start-up
    (:class:`~lucidnet.training.TimeLimit`) counts training only.
    """

    name = "jax"

    def __init__(self) -> None:
        if importlib.util.find_spec("jax") is None:  # found, not imported: see start
            raise ImportError(NO_JAX)
        self._jax: Any = None
        self._data: tuple[Any, ...] = ()
        self._x64 = False
        self._key0: Any = None
        self._epoch: Any = None
        self._member_rows: list[np.ndarray] | None = None
        self._device: tuple[Any, ...] = (None, None, None, None)  # host θ, state; device θ, state

    def start(self, run: Run) -> None:
        """Import JAX, put the data on the device and compile the fit's epoch (θ goes to
        the device at the first epoch)."""
        if run.needs_gradients:
            raise ValueError(
                f"{', '.join(run.needs_gradients)} reads every step's gradients, which "
                "engine='jax' keeps inside the compiled epoch; train with engine='numpy' to "
                "record them."
            )
        X, Y, s = run.X, run.Y, run.s
        if not isinstance(X, np.ndarray):
            raise TypeError(
                "engine='jax' takes NumPy data (it moves them to JAX's device itself); got "
                f"{type(X).__module__}.{type(X).__name__}. Pass numpy arrays, or use "
                "engine='numpy' to train where your arrays live."
            )
        jax = self._jax = _import_jax()
        dtype = np.dtype(run.step.net.dtype)
        self._x64 = dtype == np.float64
        B, n_train = run.batch_size, run.n_train
        n_batches = -(-n_train // B)
        self._member_rows = member_rows(s, run.train_idx)
        weighted = s is not None or n_batches * B != n_train
        shape = (n_batches, B)
        if self._member_rows is not None:  # each member on its own rows
            shape = member_epoch(self._member_rows, n_batches, None)[0].shape
        with jax.enable_x64(self._x64):
            jnp = jax.numpy
            self._data = (
                jnp.asarray(X, dtype=dtype),
                jnp.asarray(Y, dtype=dtype),
                None if s is None else jnp.asarray(s, dtype=dtype),
            )
            self._key0 = jax.random.key(0)
            like = run.step.like
            first = (  # the first epoch's arguments, the shapes the compilation is for
                jnp.asarray(pack(like, dtype)),
                _to_device(jnp, run.step.optimizer.init_state(like), dtype),
                *self._data,
                *_epoch_inputs(
                    jnp,
                    np.zeros(shape, dtype=np.int32),
                    np.zeros(shape, dtype=dtype),
                    np.zeros(n_batches),
                    dtype,
                ),
                self._key0,
            )
            self._epoch = self._compiled(run.step, weighted, first)
        self._device = (None, None, None, None)

    def epoch(
        self, run: Run, state: TrainState, members: Any = None
    ) -> tuple[TrainState, float, float]:
        """One compiled epoch from ``state``; return it advanced, Σ J · size and Σ size.

        Every member of an ensemble steps, whatever ``members`` says (the compiled
        epoch's shapes are fixed): a member left out by ``members`` only changes
        weights that nothing keeps (:mod:`lucidnet.training.crossfit`).
        """
        jax = self._jax
        jnp = jax.numpy
        B, rng, n_train = run.batch_size, state.rng, run.n_train
        n_batches = -(-n_train // B)
        rows, valid, sizes = self._plan(run, rng, n_batches)
        optimizer = run.step.optimizer
        base = optimizer.learning_rate
        if run.schedule.per_batch:
            lrs = np.asarray(state.rates(run.schedule, base, sizes), dtype=np.float64)
        else:
            lrs = np.full(n_batches, state.learning_rate)
        seed = int(rng.integers(2**32)) if run.step.dropout else None
        with jax.enable_x64(self._x64):
            dtype = self._data[0].dtype
            host_theta, host_state, theta, opt_state = self._device
            if state.theta is not host_theta or state.opt_state is not host_state:
                opt_state = state.opt_state
                if optimizer.needs_state(opt_state):
                    opt_state = optimizer.init_state(run.step.like)
                theta = jnp.asarray(state.theta)
                opt_state = _to_device(jnp, opt_state, dtype)
            theta, opt_state, J, weights = self._epoch(
                theta,
                opt_state,
                *self._data,
                *_epoch_inputs(jnp, rows, valid, lrs, dtype),
                self._key(seed),
            )
            J = np.asarray(J, dtype=np.float64) / run.step.net.K  # per network, as NumPy's
            weights = np.asarray(weights, dtype=np.float64)
        stepped = weights > 0
        if run.guard is not None:
            for k in np.flatnonzero(stepped & ~np.isfinite(J))[:1]:  # the first bad step
                run.guard.check_loss(float(J[k]), state.epoch + 1, int(k) + 1, float(lrs[k]))
        state.theta, state.opt_state = np.array(theta), _to_host(opt_state)
        self._device = (state.theta, state.opt_state, theta, opt_state)
        state.t += int(sizes[stepped].sum())
        state.n_batches += int(stepped.sum())
        state.learning_rate = float(lrs[-1])
        if run.s is None:
            weights = np.where(stepped, sizes, 0.0)
        if run.on_batch is not None:  # the hooks of the epoch, replayed in order
            for k in np.flatnonzero(stepped):
                logs = {"batch": int(k) + 1, "size": int(sizes[k]), "loss": float(J[k])}
                run.on_batch(state, int(k) + 1, logs)
        return state, float(np.sum(np.where(stepped, J, 0.0) * weights)), float(np.sum(weights))

    def _plan(
        self, run: Run, rng: np.random.Generator, n_batches: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The epoch's rows and 0/1 slot weights, (n_batches, B) or per member
        (n_batches, K, b), and the rows of each step (per member: b)."""
        dtype = run.step.net.dtype
        shuffle = rng if run.shuffle else None
        if self._member_rows is not None:
            idx, valid = member_epoch(self._member_rows, n_batches, shuffle)
            return idx.astype(np.int32), valid.astype(dtype), np.full(n_batches, idx.shape[-1])
        B, n_train = run.batch_size, run.n_train
        order = np.arange(n_train) if shuffle is None else shuffle.permutation(n_train)
        if run.train_idx is not None:
            order = run.train_idx[order]
        padded = n_batches * B
        rows = np.zeros(padded, dtype=np.int32)
        rows[:n_train] = order
        valid = np.zeros(padded, dtype=dtype)
        valid[:n_train] = 1
        sizes = np.full(n_batches, B)
        sizes[-1] = n_train - (n_batches - 1) * B
        return rows.reshape(n_batches, B), valid.reshape(n_batches, B), sizes

    def _key(self, seed: int | None) -> Any:
        """The epoch's dropout key (made once and reused when there is no dropout)."""
        return self._key0 if seed is None else self._jax.random.key(seed)

    def _compiled(self, step: Step, weighted: bool, first: tuple[Any, ...]) -> Any:
        """The epoch compiled for the arguments ``first`` (their shapes and dtypes)."""
        net, optimizer = step.net, step.optimizer
        like = [np.empty(p.shape, dtype=np.bool_) for p in step.like]  # shapes only
        key = (
            type(net).__name__,
            tuple(net.n),
            tuple(net.activation_names),
            np.dtype(net.dtype).name,
            type(optimizer).__name__,
            repr(optimizer),
            step.alpha,
            repr(step.dropout),
            step.clip_norm,
            weighted,
            tuple(p.shape for p in like),
            UNROLL,
            tuple((a.shape, str(a.dtype)) for a in first[2:8] if a is not None),
        )
        if key not in _COMPILED:
            epoch = self._jax.jit(_epoch_function(replace(step, like=like), weighted))
            _COMPILED[key] = epoch.lower(*first).compile()
        return _COMPILED[key]


def _epoch_function(step: Step, weighted: bool) -> Any:
    """The epoch as a pure function of (θ, state, X, Y, S, rows, valid, lrs, key): a
    ``lax.scan`` of ``step`` over the epoch's minibatches."""
    import jax

    jnp = jax.numpy
    dropout = step.dropout

    def epoch(theta, opt_state, X, Y, S, rows, valid, lrs, key):
        def body(carry: Any, inputs: Any) -> Any:
            theta, opt_state, key = carry
            rows, valid, lr = inputs
            A0, Yb, sb = gather(X, Y, S, rows)
            if weighted:
                sb = valid if sb is None else sb * valid
            masks = None
            if dropout:  # the keys advance only when masks are drawn
                key, sub = jax.random.split(key)
                masks = _KeyedUniform(sub, A0.dtype)
            new_theta, new_state, J = step(theta, opt_state, (A0, Yb, sb), lr, masks)
            weight = jnp.sum(sb) if sb is not None else jnp.asarray(rows.shape[0], A0.dtype)
            new = (new_theta, new_state)
            if S is not None:  # a batch whose rows all weigh 0 takes no step
                keep = weight > 0
                new = jax.tree_util.tree_map(
                    lambda a, b: jnp.where(keep, a, b), new, (theta, opt_state)
                )
            return (*new, key), (J, weight)

        (theta, opt_state, _), (J, weights) = jax.lax.scan(
            body, (theta, opt_state, key), (rows, valid, lrs), unroll=UNROLL
        )
        return theta, opt_state, J, weights

    return epoch


class _KeyedUniform:
    """``random(shape)`` from a JAX key, for the core's dropout masks inside a trace."""

    def __init__(self, key: Any, dtype: Any) -> None:
        self.key, self.dtype = key, dtype

    def random(self, shape: tuple[int, ...]) -> Any:
        import jax

        self.key, sub = jax.random.split(self.key)
        return jax.random.uniform(sub, shape, dtype=self.dtype)


def _epoch_inputs(
    jnp: Any, rows: np.ndarray, valid: np.ndarray, lrs: np.ndarray, dtype: Any
) -> tuple[Any, ...]:
    """An epoch's minibatch rows (n_batches, B), their 0/1 weights and the rates, on the
    device (the same calls at the start and at every epoch: they compile once)."""
    return jnp.asarray(rows), jnp.asarray(valid), jnp.asarray(lrs, dtype=dtype)


def _to_device(jnp: Any, state: tuple[Any, ...], dtype: Any) -> tuple[Any, ...]:
    """The optimizer state as JAX arrays (the step count t as a float of θ's dtype)."""
    return tuple(None if part is None else jnp.asarray(part, dtype=dtype) for part in state)


def _to_host(state: tuple[Any, ...]) -> tuple[Any, ...]:
    """The optimizer state back in NumPy; a 0-d entry (the step count t) as an int."""
    out: list[Any] = []
    for part in state:
        if part is None:
            out.append(None)
            continue
        value = np.array(part)
        out.append(round(float(value)) if value.ndim == 0 else value)
    return tuple(out)
