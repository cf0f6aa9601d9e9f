"""The tabular recipe on a file read in chunks: rows chosen by hash, a shuffle buffer.

How the recipe trains a streamed file depends on its rows (``StreamSource``,
:mod:`lucidnet.tables.stream`):

- at most ``max_validation_rows``, and cross-fitted by the recipe: read into memory and
  cross-fitted there, as in memory;
- up to ``cross_fit_max_rows`` (:meth:`Recipe.cross_fits`): **cross-fitted pass by
  pass** (:func:`cross_fit_passes`);
- more: the recipe's **large-table path** (:func:`train_passes`).

Both streamed paths share:

- **rows chosen by hash** (:class:`HeldOutRows`): row r of the file (counted from 0, header
  excluded) is a candidate when its hash h(r) = splitmix64(r + seed · φ) is below
  ``fraction`` · 2⁶⁴, and the chosen rows are the ``cap`` candidates of smallest hash
  (``Recipe.max_validation_rows``; all of them when fewer). The hash is a bijection of
  the row number, so the choice is the same in every pass whatever the chunk size; the
  chosen rows (at most ``cap``) are kept in memory after the first pass and scored there
  after every epoch;
- **minibatches** from a :class:`ShuffleBuffer` of chunks: each chunk's training rows join
  the buffer, and whenever it holds ``capacity`` rows, ``draw`` rows picked at random
  leave it for a ``partial_fit`` step of the recipe's estimator (its ensemble, Adam,
  learning rate and batch); memory holds one chunk, the buffer and the chosen rows, not
  the file.

**Cross-fitted** (:func:`cross_fit_passes`): row r is in fold h(r) mod K
(:func:`row_folds`; stable as the chosen rows are) and every row trains: a draw is one
``partial_fit`` with per-member weights (K, n) that are 0 on the rows of member k's fold
(:func:`~lucidnet.training.crossfit.fold_weights`; the folds travel through the buffer
with the rows), so every row trains the K − 1 members whose fold it is not in. The
chosen rows are not held out: they train too. After every pass member k is scored on
fold k by the in-memory path's :class:`~lucidnet.training.crossfit.CrossFit` — on every
row of fold k in the file (a pass that only predicts, chunk by chunk), or on the chosen
rows of fold k alone (``StreamSource(fold_scoring="sample")``) —, keeps its best pass's
weights, and is done after its patience (``patience_share`` and ``min_patience`` as in
memory); a done member no longer steps, training ends when every member is done, no
refit. The held-out metrics are out of fold on the chosen rows (each predicted by the
member that never trained on it).

**The large-table path** (:func:`train_passes`): the chosen rows are held out of
training; after every pass their loss (the trainer's ``val_loss``) decides the best
epoch, with the recipe's patience in steps (``Recipe.patience_epochs``), and the best
epoch's weights are kept; when the recipe's ``min_refit_share`` rule asks for it a fresh
copy then trains that many passes over every row, the held-out rows included.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from lucidnet.core.arrays import to_numpy
from lucidnet.estimators.refit import fold_scorer
from lucidnet.tables.recipe import Recipe, steps_per_epoch
from lucidnet.tables.shuffle import ShuffleBuffer
from lucidnet.training.callbacks import Callback
from lucidnet.training.crossfit import with_weights
from lucidnet.training.validation import evaluate

__all__ = [
    "HeldOutRows",
    "ShuffleBuffer",
    "cross_fit_passes",
    "row_folds",
    "row_hash",
    "train_passes",
]

_GOLDEN = 0x9E3779B97F4A7C15
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_TWO_64 = 2**64

Batches = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]
ChunkLosses = Callable[..., tuple[np.ndarray, np.ndarray]]


def row_hash(rows: np.ndarray, seed: int) -> np.ndarray:
    """splitmix64's finaliser of r + seed · φ (mod 2⁶⁴), uint64 of shape rows.shape.

    Notes
    -----
    z ← r + (seed + 1) · 0x9E3779B97F4A7C15; z ← (z ⊕ z≫30) · 0xBF58476D1CE4E5B9;
    z ← (z ⊕ z≫27) · 0x94D049BB133111EB; h = z ⊕ z≫31 (all mod 2⁶⁴). Each step is a
    bijection of 64-bit words, so two rows never share a hash.
    """
    offset = np.uint64((_GOLDEN * (int(seed) + 1)) % _TWO_64)
    z = np.asarray(rows).astype(np.uint64) + offset
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return np.asarray(z ^ (z >> np.uint64(31)))


class HeldOutRows:
    """The held-out rows of a streamed table, chosen by :func:`row_hash`, kept in memory.

    Parameters
    ----------
    fraction : float in [0, 1)
        Rows whose hash is below ``fraction`` · 2⁶⁴ are candidates.
    cap : int or None
        At most this many held-out rows: the candidates of smallest hash.
    seed : int

    Attributes
    ----------
    frame : DataFrame
        The held-out rows (target column included), in file order.
    """

    def __init__(self, fraction: float, cap: int | None, seed: int) -> None:
        self.limit = min(int(fraction * _TWO_64), _TWO_64 - 1)
        self.cap, self.seed = cap, seed
        self.frame: pd.DataFrame | None = None
        self.keys = np.empty(0, dtype=np.uint64)
        self.cut: int | None = None

    def offer(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The first pass: keep the chunk's candidates; return its training rows.

        ``frame``'s index holds the row numbers. Rows pushed out of the kept set by
        candidates of smaller hash are training rows, returned with the chunk's own.
        """
        if self.cut is not None:
            raise RuntimeError("The held-out rows were chosen already; use mask() now.")
        keys = row_hash(frame.index.to_numpy(), self.seed)
        candidate = keys < np.uint64(self.limit)
        train = frame.loc[~candidate]
        if not candidate.any():
            return train
        pool = frame.loc[candidate]
        keys = keys[candidate]
        if self.frame is not None:
            pool, keys = pd.concat([self.frame, pool]), np.concatenate([self.keys, keys])
        if self.cap is not None and len(pool) > self.cap:
            order = np.argsort(keys, kind="stable")
            keep, out = np.sort(order[: self.cap]), order[self.cap :]
            train = pd.concat([train, pool.iloc[out]])
            pool, keys = pool.iloc[keep], keys[keep]
        self.frame, self.keys = pool, keys
        return train

    def finish(self) -> None:
        """After the first pass: fix the rule that :meth:`mask` applies."""
        full = self.cap is not None and len(self.keys) == self.cap
        self.cut = int(self.keys.max()) + 1 if full and len(self.keys) else self.limit

    def mask(self, rows: np.ndarray) -> np.ndarray:
        """Whether each row number is held out: h(r) < cut (bool, shape rows.shape)."""
        assert self.cut is not None, "finish() after the first pass"
        if self.cut >= _TWO_64:
            return np.ones(len(rows), dtype=bool)
        return np.asarray(row_hash(rows, self.seed) < np.uint64(self.cut))

    def __len__(self) -> int:
        return 0 if self.frame is None else len(self.frame)


def row_folds(rows: np.ndarray, seed: int, K: int) -> np.ndarray:
    """The cross-fitting fold of each row number: h(r) mod K (:func:`row_hash`), int64.

    The same in every pass whatever the chunk size, as the held-out rows are.
    """
    return np.asarray(row_hash(rows, seed) % np.uint64(K)).astype(np.int64)


def train_passes(
    est: Any,
    recipe: Recipe,
    batches: Batches,
    validation: tuple[np.ndarray, np.ndarray] | None,
    *,
    n_train: int,
    fit_step: Callable[[Any, np.ndarray, np.ndarray], None],
    buffer_rows: int,
    draw_rows: int,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    on_selected: Callable[[Any], None] | None = None,
) -> tuple[Any, list[dict[str, Any]], str | None]:
    """Train ``est`` pass by pass the recipe's way; returns (estimator, history, stop reason).

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        Unfitted, with the recipe's parameters.
    recipe : Recipe
        ``max_epochs``, ``patience`` (in steps: ``patience_epochs``), ``choose_epochs``,
        ``refit`` and ``min_refit_share``, ``time_limit``.
    batches : callable
        Each call starts a pass: an iterable of (X, y) chunks of training rows.
    validation : (X_val, y_val) or None
        The held-out rows in memory, y_val as ``fit_step`` takes it (they also train the
        refit).
    n_train : int
        Training rows per pass (for the patience in steps).
    fit_step : callable
        ``fit_step(est, X, y)``: one ``partial_fit`` on a draw.
    buffer_rows, draw_rows : int
        The :class:`ShuffleBuffer`'s capacity and draw.
    on_epoch, on_selected : callable, optional
        Called with each pass's record; with the estimator that chose the epochs
        (best weights restored), before the refit.
    """
    start = time.monotonic()
    choose = recipe.choose_epochs and validation is not None
    steps = steps_per_epoch(n_train, est.batch_size)
    patience = recipe.patience_epochs(steps) if choose else None
    history: list[dict[str, Any]] = []
    best: tuple[float, int, Any] | None = None
    stop_reason = None
    Y_val = None
    for epoch in range(1, int(est.max_iter) + 1):
        seconds = time.perf_counter()
        loss, rows, out_of_time = _one_pass(
            est, batches(), fit_step, buffer_rows, draw_rows, recipe.time_limit, start
        )
        record: dict[str, Any] = {"epoch": epoch, "loss": loss, "rows": rows, "phase": "select"}
        if validation is not None:
            if Y_val is None:  # as the network sees them, once the estimator knows its targets
                Y_val = est.encode_targets(validation[1])
            record["val_loss"] = evaluate(est.network_, (validation[0], Y_val, None), {})[
                "val_loss"
            ]
        record["seconds"] = time.perf_counter() - seconds
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
        if choose and (best is None or record["val_loss"] < best[0]):
            best = (record["val_loss"], epoch, est.network_.copy())
        if out_of_time:
            stop_reason = f"time limit: {recipe.time_limit:g} s of training spent"
            break
        if best is not None and patience is not None and epoch - best[1] > patience:
            stop_reason = (
                f"early stopping: val_loss has not improved for {patience} epoch(s); "
                f"kept the weights of epoch {best[1]}"
            )
            break
    if best is not None:
        est.network_ = best[2]
    kept = best[1] if best is not None else len(history)
    if on_selected is not None:
        on_selected(est)
    held_out = 0 if validation is None else len(validation[0])
    refit = choose and recipe.refit and held_out >= recipe.min_refit_share * (n_train + held_out)
    if not refit or out_of_time:
        return est, history, stop_reason
    final = clone(est).set_params(max_iter=kept)
    for epoch in range(1, kept + 1):
        seconds = time.perf_counter()
        every_row = _with(validation, batches())
        loss, rows, out_of_time = _one_pass(
            final, every_row, fit_step, buffer_rows, draw_rows, recipe.time_limit, start
        )
        if out_of_time:  # the refit did not finish: the chosen model stays
            return est, history, f"time limit: {recipe.time_limit:g} s spent in the refit"
        record = {"epoch": epoch, "loss": loss, "rows": rows, "phase": "refit"}
        record["seconds"] = time.perf_counter() - seconds
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    final.selected_epochs_ = kept
    return final, history, stop_reason


def cross_fit_passes(
    est: Any,
    recipe: Recipe,
    batches: Callable[[], Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]],
    sample: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    fit_step: Callable[[Any, np.ndarray, np.ndarray, np.ndarray], None],
    buffer_rows: int,
    draw_rows: int,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    chunk_losses: ChunkLosses | None = None,
) -> tuple[Any, list[dict[str, Any]], str | None]:
    """Train ``est``'s K members cross-fitted pass by pass; returns (estimator, history, reason).

    Every row trains the K − 1 members whose fold it is not in: each draw of the shuffle
    buffer is one ``fit_step`` with its rows' folds (which the step turns into
    per-member weights, :func:`~lucidnet.training.crossfit.fold_weights`). Member k is
    scored on fold k by the :class:`~lucidnet.training.crossfit.CrossFit` that in-memory
    cross-fitting uses (:func:`~lucidnet.estimators.refit.fold_scorer`: the same
    patience, ``patience_share`` and ``min_patience``), keeps its best pass's weights, and
    is done after its patience; a done member no longer steps
    (``trainer.active_members``). Training stops when every member is done (or after
    ``max_iter`` passes, or at the time limit); each member then gets its best weights
    back. No refit.

    Which rows score member k:

    - with ``chunk_losses``, every row of fold k in the file. Pass p's weights are scored
      while pass p + 1 reads the file (each chunk is scored with them before it joins the
      buffer), so the file is read once per pass; a member's patience is therefore counted
      one pass late, and a member that is done has stepped one pass in vain (its weights
      of that pass are never kept). The last pass's weights, when training ends by
      ``max_iter``, are scored by a pass that only predicts. When time runs out, the
      weights being scored are not kept (unless no pass was scored: then the sample's
      rows score them);
    - without, the sample's rows of fold k, after every pass.

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        Unfitted, with ``n_members`` K ≥ 2 and the recipe's parameters
        (``n_iter_no_change`` is the members' patience).
    recipe : Recipe
        ``patience_share``, ``min_patience``, ``time_limit``.
    batches : callable
        Each call starts a pass: an iterable of (X, y, folds) chunks of every row.
    sample : (X_s, y_s, folds_s)
        The scoring rows in memory (they train as every row does), y_s as ``fit_step``
        takes it, folds_s their folds.
    fit_step : callable
        ``fit_step(est, X, y, folds)``: one ``partial_fit`` on a draw.
    buffer_rows, draw_rows : int
        The :class:`ShuffleBuffer`'s capacity and draw.
    on_epoch : callable, optional
        Called with each pass's record: ``loss`` (training), ``val_loss`` (the mean loss
        of the out-of-fold outputs kept so far, on the rows that scored the members:
        ``CrossFit.oof_loss``; absent before a pass is scored), ``scored_epoch`` (the
        pass whose weights were scored during this one, with ``chunk_losses``),
        ``members`` (those that stepped in the pass).
    chunk_losses : callable, optional
        ``chunk_losses(network, X, y, folds, members)`` → (totals, sizes), float arrays
        of shape (K,): for each member k in ``members`` (int array), the summed loss of
        the network's member k on the chunk's rows of fold k, and their count. The
        file's losses choose each member's epochs in place of the sample's; the sample
        still gives the out-of-fold outputs. None: the sample's rows of fold k score
        member k.

    Returns
    -------
    estimator, history, stop reason
        ``est`` with ``member_epochs_`` (each member's best pass), ``selected_epochs_``
        (the latest of them) and ``oof_output_`` (shape (n_sample, n[L]): each sample row
        predicted by the member that never trained on it, at its best pass).
    """
    start = time.monotonic()
    K = int(est.n_members)
    if K < 2:
        raise ValueError(f"Cross-fitting needs n_members ≥ 2 (one fold per member); got {K}.")
    X_s, y_s, folds_s = sample
    scorer = fold_scorer(
        est,
        X_s,
        lambda: est.encode_targets(y_s),  # once the first step has seen the targets
        folds_s,
        patience_share=recipe.patience_share,
        min_patience=recipe.min_patience,
    )
    est.set_params(early_stopping=False, n_iter_no_change=np.inf)  # the members choose
    stepping = _Stepping()
    history: list[dict[str, Any]] = []
    stop_reason = None
    pending: _Pending | None = None  # the last pass's weights, scored during the next
    sizes: np.ndarray | None = None  # the rows of each fold that the last scores came from
    for epoch in range(1, int(est.max_iter) + 1):
        seconds = time.perf_counter()
        chunks: Iterable[tuple[np.ndarray, ...]] = batches()
        if pending is not None:
            chunks = pending.scored(chunks, scorer.active_members)
        loss, rows, out_of_time = _one_pass(
            est, chunks, fit_step, buffer_rows, draw_rows, recipe.time_limit, start,
            regroup=_two_folds,
        )  # fmt: skip
        trainer = est.trainer_
        if epoch == 1:
            scorer.begin(est.network_)
            trainer.callbacks.append(stepping)
        stepped = len(scorer.active_members)  # the members this pass stepped
        record: dict[str, Any] = {"epoch": epoch, "loss": loss, "rows": rows, "phase": "cross-fit"}
        if chunk_losses is None:
            scorer.score_epoch(est.network_, trainer.epoch_params, epoch)
        elif pending is not None and not out_of_time:
            sizes = pending.score(scorer)
            record["scored_epoch"] = pending.epoch
        if chunk_losses is not None and not out_of_time:
            pending = _Pending(est.network_, trainer.epoch_params, epoch, K, chunk_losses)
        stepping.members = scorer.active_members
        if scorer.best_weights is not None:  # some pass has been scored
            record["val_loss"] = scorer.oof_loss(sizes)
        record["members"] = stepped
        record["seconds"] = time.perf_counter() - seconds
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
        if out_of_time:
            stop_reason = f"time limit: {recipe.time_limit:g} s of training spent"
            break
        if scorer.done.all():
            stop_reason = scorer.stop_reason
            break
    if history and pending is not None and not scorer.done.all():
        if out_of_time and scorer.best_weights is None:  # no pass scored: the sample's rows
            scorer.score_epoch(est.network_, pending.params, pending.epoch)
        elif not out_of_time:  # the last pass's weights: a pass that only predicts
            seconds = time.perf_counter()
            for _ in pending.scored(batches(), scorer.active_members):
                pass
            sizes = pending.score(scorer)
            history[-1].update(val_loss=scorer.oof_loss(sizes), scored_epoch=pending.epoch)
            history[-1]["seconds"] += time.perf_counter() - seconds
    if history:
        trainer = est.trainer_
        trainer.callbacks.remove(stepping)
        scorer.on_train_end(trainer)  # each member's best weights
    est.member_epochs_ = scorer.best_epochs_.tolist()
    est.selected_epochs_ = int(scorer.best_epochs_.max())
    est.oof_output_ = scorer.oof_
    return est, history, stop_reason


class _Pending:
    """A pass's weights, scored on every row of the file while the next pass reads it.

    ``chunk_losses(network, X, y, folds, members)`` → (totals, sizes), float arrays of
    shape (K,): the summed loss of member k (for k in ``members``) on the chunk's rows of
    fold k, and their count.
    """

    def __init__(
        self, net: Any, params: list[Any], epoch: int, K: int, chunk_losses: ChunkLosses
    ) -> None:
        self.params = [np.array(to_numpy(p), copy=True) for p in params]
        self.net, self.epoch = with_weights(net, self.params), epoch
        self.chunk_losses = chunk_losses
        self.totals, self.sizes = np.zeros(K), np.zeros(K)

    def scored(
        self, chunks: Iterable[tuple[np.ndarray, ...]], members: np.ndarray
    ) -> Iterator[tuple[np.ndarray, ...]]:
        """The chunks, unchanged, each first scored with these weights."""
        for chunk in chunks:
            totals, sizes = self.chunk_losses(self.net, *chunk, members)
            self.totals += totals
            self.sizes += sizes
            yield chunk

    def score(self, scorer: Any) -> np.ndarray:
        """Give the scorer each member's mean loss on every row of its fold; the rows of
        each fold, float array of shape (K,)."""
        losses = self.totals / np.maximum(self.sizes, 1)
        scorer.score_epoch(self.net, self.params, self.epoch, losses)
        return self.sizes


class _Stepping(Callback):
    """Set ``trainer.active_members`` at the start of every ``partial_fit`` (each fit
    starts with every member stepping): the cross-fitted members not yet done."""

    def __init__(self) -> None:
        self.members: np.ndarray | None = None

    def on_train_begin(self, trainer: Any) -> None:
        trainer.active_members = self.members


def _two_folds(draws: Iterable[tuple[np.ndarray, ...]]) -> Iterator[tuple[np.ndarray, ...]]:
    """The draws (X, y, folds), regrouped so that each holds rows of two folds or more.

    Member k trains on the rows of a draw outside fold k; a draw whose rows are all in
    one fold k gives member k nothing to step on. Such a draw joins the next one (the
    pass's last, the one before it), so every member has a row in every step; a draw
    waits for the next before it is stepped. Rows are neither dropped nor repeated.
    """
    ready: tuple[np.ndarray, ...] | None = None
    pending: tuple[np.ndarray, ...] | None = None
    for draw in draws:
        pending = draw if pending is None else _joined(pending, draw)
        if len(np.unique(pending[2])) < 2:
            continue
        if ready is not None:
            yield ready
        ready, pending = pending, None
    if pending is not None:
        ready = pending if ready is None else _joined(ready, pending)
    if ready is not None:
        yield ready


def _joined(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    return tuple(np.concatenate([x, y]) for x, y in zip(a, b, strict=True))


def _one_pass(
    est: Any,
    chunks: Iterable[tuple[np.ndarray, ...]],
    fit_step: Callable[..., None],
    buffer_rows: int,
    draw_rows: int,
    time_limit: float | None,
    start: float,
    regroup: Callable[[Iterable[tuple[np.ndarray, ...]]], Iterable[tuple[np.ndarray, ...]]]
    | None = None,
) -> tuple[float, int, bool]:
    """One pass over the chunks through a shuffle buffer: (mean loss, rows, out of time).

    Each chunk is a tuple of arrays of the same rows; each draw (regrouped by
    ``regroup`` when given) is one ``fit_step(est, *draw)``.
    """
    seed = est.random_state if isinstance(est.random_state, Integral) else 0
    passes = int(getattr(est, "t_", 0) or 0)  # rows trained so far: a new draw order per pass
    buffer = ShuffleBuffer(buffer_rows, draw_rows, np.random.default_rng([int(seed), passes]))
    loss_sum, rows = 0.0, 0

    def drawn() -> Iterator[tuple[np.ndarray, ...]]:
        for chunk in chunks:
            yield from buffer.add(*chunk)
        yield from buffer.drain()

    for draw in drawn() if regroup is None else regroup(drawn()):
        fit_step(est, *draw)
        n = len(draw[0])
        loss_sum += float(est.loss_) * n
        rows += n
        if time_limit is not None and time.monotonic() - start > time_limit:
            return loss_sum / max(rows, 1), rows, True
    return loss_sum / max(rows, 1), rows, False


def _with(
    first: tuple[np.ndarray, np.ndarray] | None, chunks: Iterable[tuple[np.ndarray, np.ndarray]]
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``first`` (when given), then the chunks."""
    if first is not None:
        yield first
    yield from chunks
