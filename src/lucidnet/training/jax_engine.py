"""The JAX engine: a whole epoch compiled from the same core and the same optimizer rule.

``Trainer(..., engine="jax")`` (``pip install "lucidnet[jax]"``) runs each epoch as ONE
call of a function that JAX compiles once per architecture and setting::

    for each minibatch k (lax.scan over the epoch's index matrix):
        model      = the trainer's network with W[l], b[l] = unpack(θ)   (JAX arrays)
        cache      = model.forward(X[rows].T)                 Network.forward, traced
        J_k        = model.objective(cache, Y[rows].T, ...)   the cost as an array
        grads      = model.backward(cache, Y[rows].T, ...)    Network.backward, traced
        θ, state   = optimizer.update(θ, pack(grads), state, η_k)   the same rule as NumPy

Nothing of the lecture is written twice: the core is Array-API code, so JAX traces it as
it is, and :meth:`Optimizer.update` is pure where arrays are immutable.

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

import copy
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.core.network import Network
from lucidnet.core.parameters import gradients, pack, set_parameters, unpack
from lucidnet.training.engines import clip_vector
from lucidnet.training.faults import Diverged

if TYPE_CHECKING:
    from lucidnet.training.loop import Trainer

__all__ = ["JaxEngine"]

Array = Any

_COMPILED: dict[tuple[Any, ...], Any] = {}  # one compiled epoch per architecture and setting
UNROLL = 1  # minibatch steps per iteration of the compiled loop


def _import_jax() -> Any:
    try:
        import jax
    except ImportError:
        raise ImportError(
            "engine='jax' needs JAX: pip install \"lucidnet[jax]\" (or pip install jax), "
            "or train with engine='numpy' (the default)."
        ) from None
    return jax


class JaxEngine:
    """Epochs compiled by JAX; the data live on JAX's default device for the whole fit."""

    name = "jax"

    def __init__(self) -> None:
        self._jax = _import_jax()
        self.theta: np.ndarray | None = None  # θ on the host, after each epoch
        self._device_theta: Any = None
        self._device_state: Any = None
        self._like: list[np.ndarray] = []
        self._data: tuple[Any, ...] = ()
        self._x64 = False
        self._unused_key: Any = None

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
        """Put the data on the device once and θ = pack(params) on both sides."""
        jax = self._jax
        needs = [type(cb).__name__ for cb in trainer.callbacks if cb.needs_gradients]
        if needs:
            raise ValueError(
                f"{', '.join(needs)} reads every step's gradients, which engine='jax' keeps "
                "inside the compiled epoch; train with engine='numpy' to record them."
            )
        if not isinstance(X, np.ndarray):
            raise TypeError(
                "engine='jax' takes NumPy data (it moves them to JAX's device itself); got "
                f"{type(X).__module__}.{type(X).__name__}. Pass numpy arrays, or use "
                "engine='numpy' to train where your arrays live."
            )
        dtype = np.dtype(trainer.net.dtype)
        self._x64 = dtype == np.float64
        self._like = [np.asarray(p) for p in params]
        self.theta = pack(self._like)
        with jax.enable_x64(self._x64):
            jnp = jax.numpy
            self._data = (
                jnp.asarray(X, dtype=dtype),
                jnp.asarray(Y, dtype=dtype),
                None if s is None else jnp.asarray(s, dtype=dtype),
            )
        self._device_theta = None
        self._device_state = None
        set_parameters(trainer.net, unpack(self.theta, self._like))

    def load(self, trainer: Trainer, theta: Array) -> None:
        """Continue from ``theta`` (copied): the rollback to an epoch boundary."""
        self.theta = np.array(theta, copy=True)
        self._device_theta = self._device_state = None  # uploaded again at the next epoch
        set_parameters(trainer.net, unpack(self.theta, self._like))

    @property
    def params(self) -> list[Array]:
        assert self.theta is not None
        return unpack(self.theta, self._like)

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
        """One compiled epoch; return (Σ J · size, Σ size) over its minibatches."""
        jax = self._jax
        jnp = jax.numpy
        B, rng = trainer.batch_size, trainer.rng
        n_train = X.shape[0] if train_idx is None else len(train_idx)
        order = rng.permutation(n_train) if trainer.shuffle else np.arange(n_train)
        if train_idx is not None:
            order = train_idx[order]
        n_batches = math.ceil(n_train / B)
        padded = n_batches * B
        weighted = s is not None or padded != n_train
        rows = np.zeros(padded, dtype=np.int32)
        rows[:n_train] = order
        valid = np.zeros(padded, dtype=trainer.net.dtype)
        valid[:n_train] = 1
        sizes = np.full(n_batches, B)
        sizes[-1] = n_train - (n_batches - 1) * B
        lrs = self._rates(trainer, sizes)
        seed = int(rng.integers(2**32)) if trainer.dropout else None
        optimizer = trainer.optimizer
        with jax.enable_x64(self._x64):
            dtype = self._data[0].dtype
            if self._device_theta is None:
                state = optimizer.state
                if optimizer.needs_state(state):
                    state = optimizer.init_state(self._like)
                self._device_theta = jnp.asarray(self.theta)
                self._device_state = _to_device(jnp, state, dtype)
            run = self._compiled(trainer, weighted)
            theta, state, J, weights = run(
                self._device_theta,
                self._device_state,
                *self._data,
                jnp.asarray(rows.reshape(n_batches, B)),
                jnp.asarray(valid.reshape(n_batches, B)),
                jnp.asarray(lrs, dtype=dtype),
                self._key(seed),
            )
            J, weights = np.asarray(J, dtype=np.float64), np.asarray(weights, dtype=np.float64)
        stepped = weights > 0
        bad = np.flatnonzero(stepped & ~np.isfinite(J))
        if trainer.checks_finite and bad.size:
            k = int(bad[0])
            trainer.rollback()
            raise Diverged(epoch, k + 1, f"the loss became {J[k]}", float(lrs[k]))
        self._device_theta, self._device_state = theta, state
        self.theta = np.array(theta)
        optimizer.state = _to_host(state)
        set_parameters(trainer.net, unpack(self.theta, self._like))
        trainer.t += int(sizes[stepped].sum())
        trainer.n_batches += int(stepped.sum())
        trainer.learning_rate_ = float(lrs[-1])
        if s is None:
            weights = np.where(stepped, sizes, 0.0)
        self._replay(trainer, J, sizes, stepped)
        return float(np.sum(np.where(stepped, J, 0.0) * weights)), float(np.sum(weights))

    def _key(self, seed: int | None) -> Any:
        """The epoch's dropout key (made once and reused when there is no dropout)."""
        if seed is not None:
            return self._jax.random.key(seed)
        if self._unused_key is None:
            self._unused_key = self._jax.random.key(0)
        return self._unused_key

    def _rates(self, trainer: Trainer, sizes: np.ndarray) -> np.ndarray:
        """η of every step of the epoch, from the schedule (it depends on counters only)."""
        schedule = trainer.schedule
        if not schedule.per_batch:
            return np.full(len(sizes), trainer.learning_rate_)
        base, t = trainer.optimizer.learning_rate, trainer.t
        rates = []
        for k, size in enumerate(sizes):
            rates.append(schedule.rate(base, trainer.epoch, trainer.n_batches + k, t))
            t += int(size)
        return np.asarray(rates)

    def _replay(self, trainer: Trainer, J: np.ndarray, sizes: np.ndarray, stepped: Any) -> None:
        """Call the ``on_batch_end`` hooks after the epoch, one per step, with its loss."""
        callbacks = trainer.batch_callbacks()
        for k in np.flatnonzero(stepped) if callbacks else ():
            logs = {"batch": int(k) + 1, "size": int(sizes[k]), "loss": float(J[k])}
            for cb in callbacks:
                cb.on_batch_end(trainer, int(k) + 1, logs)

    # ------------------------------------------------------------------ compilation

    def _compiled(self, trainer: Trainer, weighted: bool) -> Any:
        net, optimizer = trainer.net, trainer.optimizer
        key = (
            type(net).__name__,
            tuple(net.n),
            tuple(net.activation_names),
            int(getattr(net, "K", 1)),
            np.dtype(net.dtype).name,
            type(optimizer).__name__,
            repr(optimizer),
            trainer.alpha,
            repr(trainer.dropout),
            trainer.clip_norm,
            weighted,
            tuple(tuple(p.shape) for p in self._like),
            UNROLL,
        )
        if key not in _COMPILED:
            _COMPILED[key] = self._jax.jit(_epoch_function(trainer, self._like, weighted))
        return _COMPILED[key]


def _epoch_function(trainer: Trainer, like: list[np.ndarray], weighted: bool) -> Any:
    """The epoch as a pure function of (θ, state, X, Y, S, rows, valid, lrs, key).

    Inside the loop the parameters are carried as the list [W[1], b[1], ..., b[L]] and
    the state vectors as the matching pieces, and ``optimizer.update`` runs once per
    array: the rule is element-wise, so this is the same update as on the flat θ, with
    no concatenation or slicing per step (θ is cut once per epoch, and joined after).
    """
    import jax

    jnp = jax.numpy
    template: Network = copy.copy(trainer.net)  # the architecture; parameters come from θ
    template.W, template.b = {}, {}
    optimizer, alpha = trainer.optimizer, trainer.alpha
    dropout, clip_norm = trainer.dropout, trainer.clip_norm
    shapes = [np.empty(p.shape, dtype=np.bool_) for p in like]  # shapes only, for unpack
    total = sum(p.size for p in like)

    def cut(state: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """The state as one tuple per parameter array (vectors cut, scalars shared)."""
        parts = [
            unpack(p, shapes) if getattr(p, "shape", None) == (total,) else [p] * len(shapes)
            for p in state
        ]
        return [tuple(part[i] for part in parts) for i in range(len(shapes))]

    def join(pieces: list[tuple[Any, ...]], like_state: tuple[Any, ...]) -> tuple[Any, ...]:
        out = []
        for k, p in enumerate(like_state):
            if getattr(p, "shape", None) == (total,):
                out.append(pack([piece[k] for piece in pieces]))
            else:
                out.append(pieces[0][k])  # a scalar (Adam's t): the same in every piece
        return tuple(out)

    def epoch(theta, state, X, Y, S, rows, valid, lrs, key):
        def step(carry: Any, batch: Any) -> Any:
            params, pieces, key = carry
            rows, valid, lr = batch
            model = copy.copy(template)
            model.W, model.b = {}, {}
            set_parameters(model, params)
            A0 = jnp.take(X, rows, axis=0).T
            Yb = jnp.take(Y, rows, axis=0).T
            sb = None
            if weighted:
                sb = valid if S is None else jnp.take(S, rows) * valid
            masks = None
            if dropout:  # the keys advance only when masks are drawn
                key, sub = jax.random.split(key)
                masks = _KeyedUniform(sub, A0.dtype)
            cache = model.forward(A0, dropout=dropout, rng=masks)
            J = model.objective(cache, Yb, alpha, sample_weight=sb)
            grads = gradients(model.backward(cache, Yb, alpha, sample_weight=sb))
            if clip_norm is not None:
                grads = unpack(clip_vector(pack(grads), clip_norm), shapes)
            stepped = [
                optimizer.update(p, g, piece, lr)
                for p, g, piece in zip(params, grads, pieces, strict=True)
            ]
            new = ([p for p, _ in stepped], [piece for _, piece in stepped])
            weight = jnp.sum(sb) if sb is not None else jnp.asarray(rows.shape[0], A0.dtype)
            if S is not None:  # a batch whose rows all weigh 0 takes no step
                keep = weight > 0
                new = jax.tree_util.tree_map(
                    lambda a, b: jnp.where(keep, a, b), new, (params, pieces)
                )
            return (*new, key), (J, weight)

        carry = (unpack(theta, shapes), cut(state), key)
        (params, pieces, _), (J, weights) = jax.lax.scan(
            step, carry, (rows, valid, lrs), unroll=UNROLL
        )
        return pack(params), join(pieces, state), J, weights

    return epoch


class _KeyedUniform:
    """``random(shape)`` from a JAX key, for the core's dropout masks inside a trace."""

    def __init__(self, key: Any, dtype: Any) -> None:
        self.key, self.dtype = key, dtype

    def random(self, shape: tuple[int, ...]) -> Any:
        import jax

        self.key, sub = jax.random.split(self.key)
        return jax.random.uniform(sub, shape, dtype=self.dtype)


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
