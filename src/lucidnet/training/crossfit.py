"""Cross-fitting an ensemble: member k leaves fold k out, picks its own epoch on it, no refit.

The rows are split into K folds (:func:`cross_fit_folds`, class by class when
stratified). Member k of a K-member ensemble trains with weight 0 on fold k's rows and 1
elsewhere (:func:`fold_weights`: per-member sample weights of shape (K, n), all members
trained at once), so every row trains K − 1 of the K members. After every epoch
:class:`CrossFit` scores member k on fold k only (rows it never trained on), keeps each
member's best epoch's weights, and stops training when every member has spent its
patience; at the end each member gets its own best weights back. A member that is done
no longer steps (``trainer.active_members``: the NumPy engine computes only the others'
products), since nothing keeps the weights it would reach. The ensemble then
predicts the mean of its members (bagging, as TabArena's defaults do), and the
out-of-fold outputs — each row predicted by the member that never trained on it — are
honest held-out predictions on every row (:attr:`CrossFit.oof_`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from lucidnet.core.arrays import namespace, to_numpy
from lucidnet.core.ensemble import Ensemble
from lucidnet.core.parameters import set_parameters
from lucidnet.training._monitor import is_better, is_improvement
from lucidnet.training.callbacks import Callback

if TYPE_CHECKING:
    from lucidnet.training.loop import Trainer

__all__ = ["CrossFit", "cross_fit_folds", "fold_weights", "with_weights"]


def cross_fit_folds(n_rows: int, K: int, seed: int, labels: Any = None) -> np.ndarray:
    """The fold of every row, 0..K−1, seeded; class by class when ``labels`` are given.

    Parameters
    ----------
    n_rows : int
    K : int
        The number of folds (members), 2 ≤ K ≤ n_rows.
    seed : int
    labels : array of shape (n_rows,), optional
        Class labels: each class is dealt round the folds in turn, so a fold holds
        ⌊count/K⌋ or ⌈count/K⌉ of each class's rows.

    Returns
    -------
    folds : int array of shape (n_rows,)
        Fold sizes differ by at most one.

    Notes
    -----
    The rows are shuffled, sorted (stably) by class, and row j of that order goes to
    fold j mod K.
    """
    if K < 2 or K > n_rows:
        raise ValueError(f"Cross-fitting needs 2 ≤ K ≤ n_rows folds; got K={K}, n_rows={n_rows}.")
    order = np.random.default_rng(seed).permutation(n_rows)
    if labels is not None:
        labels = to_numpy(labels)
        if labels.shape != (n_rows,):
            raise ValueError(f"labels must have shape ({n_rows},); got {labels.shape}.")
        _, classes = np.unique(labels, return_inverse=True)
        order = order[np.argsort(classes.reshape(-1)[order], kind="stable")]
    folds = np.empty(n_rows, dtype=np.int64)
    folds[order] = np.arange(n_rows) % K
    return folds


def fold_weights(folds: np.ndarray, K: int, sample_weight: Any = None) -> np.ndarray:
    """Per-member sample weights, shape (K, n_rows): s[k, i] = 0 where row i is in fold k.

    Notes
    -----
    s[k, i] = w_i · [fold(i) ≠ k]   (w_i = 1 without ``sample_weight``).
    """
    s = (folds[None, :] != np.arange(K)[:, None]).astype(np.float64)
    if sample_weight is not None:
        s = s * np.asarray(to_numpy(sample_weight), dtype=np.float64)
    return s


def with_weights(net: Any, params: list[Any]) -> Any:
    """A shallow copy of ``net`` that holds ``params`` (``[W[1], b[1], ..., W[L], b[L]]``,
    not copied) in dicts of its own: ``net``'s weights are neither read nor changed."""
    copied = copy.copy(net)
    copied.W, copied.b = {}, {}
    set_parameters(copied, params)
    return copied


class CrossFit(Callback):
    """Score member k on fold k after every epoch; keep its best epoch; stop when all are done.

    Parameters
    ----------
    X : array of shape (n_samples, n[0])
        The rows the trainer fits (NumPy).
    targets : array of shape (n_samples, ...) or callable
        The rows of Y as the network sees them, or a function that returns them (called
        when training begins: an estimator encodes its targets inside ``fit``).
    folds : int array of shape (n_samples,)
        From :func:`cross_fit_folds`; member k must train with weight 0 on fold k.
    patience : int
        Epochs without an improvement of a member's fold loss after which that member is
        done (its best weights no longer change), as :class:`EarlyStopping` counts them.
    min_delta : float, default=0.0
    patience_share : float, optional
        Member k's patience follows its best epoch e_k: it is done after
        min(patience, max(min_patience, ⌈patience_share · e_k⌉)) epochs without an
        improvement (None: ``patience`` for every member). A member whose fold loss is
        best early has begun to overfit its rows early, and waits less.
    min_patience : int, default=1
        The fewest epochs of patience with ``patience_share``.
    chunk_rows : int, default=16384
        A fold is scored this many rows at a time, gathered from X when scored: no copy
        of X is kept, and a large fold's activations never exist all at once (the fold
        loss is the chunks' losses weighted by their rows, Σ_c n_c J_c / Σ_c n_c).

    Attributes
    ----------
    best_epochs_ : int array of shape (K,)
        Each member's best epoch (0 before any).
    best_losses_ : float array of shape (K,)
        Member k's mean loss on fold k at its best epoch.
    oof_ : array of shape (n_samples, n[L])
        Out-of-fold outputs A[L]: row i predicted by the member that left its fold out,
        with that member's best weights.
    """

    order = 10  # before the displays, with EarlyStopping

    def __init__(
        self,
        X: Any,
        targets: Any | Callable[[], Any],
        folds: np.ndarray,
        patience: int,
        min_delta: float = 0.0,
        *,
        patience_share: float | None = None,
        min_patience: int = 1,
        chunk_rows: int = 16_384,
    ) -> None:
        self.X, self.targets, self.folds = X, targets, np.asarray(folds)
        self.patience, self.min_delta = int(patience), float(min_delta)
        self.patience_share, self.min_patience = patience_share, int(min_patience)
        self.chunk_rows = int(chunk_rows)

    def on_train_begin(self, trainer: Trainer) -> None:
        self.begin(trainer.net)

    def begin(self, net: Any) -> None:
        """Get ready to score ``net``'s members (K of them): each fold's rows and targets.

        Called when training begins, or by whoever trains the members outside a
        ``Trainer`` fit (file passes: ``lucidnet.tables.streamed``) before the first
        :meth:`score_epoch`.
        """
        K = net.K
        if int(self.folds.max()) >= K or len(self.folds) != len(self.X):
            raise ValueError(
                f"CrossFit needs one fold in 0..{K - 1} per row of X ({len(self.X)} rows)."
            )
        Y = self.targets() if callable(self.targets) else self.targets
        Y = np.asarray(to_numpy(Y)).reshape(len(self.X), -1)
        self._dtype = net.W[1].dtype
        self._rows = [np.flatnonzero(self.folds == k) for k in range(K)]
        empty = [k for k, rows in enumerate(self._rows) if len(rows) == 0]
        if empty:
            raise ValueError(
                f"CrossFit scores member k on the rows of fold k, and fold(s) {empty} have "
                f"none of the {len(self.X)} rows: score more rows (at least one per fold)."
            )
        self._targets = [np.asarray(Y[r], dtype=self._dtype).T for r in self._rows]
        self.best_epochs_ = np.zeros(K, dtype=np.int64)
        self.best_losses_ = np.full(K, np.inf)
        self.wait = np.zeros(K, dtype=np.int64)
        self.oof_ = np.full((len(self.X), net.n[net.L]), np.nan)
        self.best_weights: list[Any] | None = None

    @property
    def member_patience(self) -> np.ndarray:
        """Each member's patience in epochs, int array of shape (K,).

        Notes
        -----
        p_k = min(patience, max(min_patience, ⌈patience_share · e_k⌉)), e_k member k's best
        epoch so far (p_k = patience without ``patience_share``).
        """
        if self.patience_share is None:
            return np.full(len(self.wait), self.patience)
        share = np.ceil(self.patience_share * self.best_epochs_).astype(np.int64)
        return np.minimum(self.patience, np.maximum(self.min_patience, share))

    @property
    def done(self) -> np.ndarray:
        """Whether each member has spent its patience, bool array of shape (K,)."""
        return self.wait >= self.member_patience

    @property
    def active_members(self) -> np.ndarray:
        """The members not yet done, sorted int array (those that the next epoch steps)."""
        return np.flatnonzero(~self.done)

    @property
    def stop_reason(self) -> str:
        """Why training stops once every member is done."""
        return (
            f"cross-fitting: every member's fold loss did not improve for its patience "
            f"(epochs {self.member_patience.tolist()}; best epochs "
            f"{self.best_epochs_.tolist()})"
        )

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        assert trainer.epoch_params is not None  # set at every epoch boundary
        self.score_epoch(trainer.net, trainer.epoch_params, epoch)
        trainer.active_members = self.active_members
        if self.done.all():
            trainer.stop_training = True
            trainer.stop_reason = self.stop_reason

    def score_epoch(
        self, net: Any, params: list[Any], epoch: int, losses: np.ndarray | None = None
    ) -> None:
        """Score each member that is not done on its fold with ``params``, the weights of
        ``epoch``; keep a member's weights and out-of-fold outputs when its loss is its best.

        Parameters
        ----------
        net : Ensemble
            The K members' network (its architecture; its own weights are not read).
        params : list of arrays
            ``[W[1], b[1], ..., W[L], b[L]]`` at the end of ``epoch``, each of leading
            axis K (any library: read on the host, never changed).
        epoch : int
        losses : float array of shape (K,), optional
            Each member's fold loss with ``params`` measured elsewhere (on more rows of
            its fold than X holds): it decides the best epoch and the patience in place
            of the loss on X's rows, which still give the out-of-fold outputs.
        """
        params = [to_numpy(p) for p in params]  # this epoch's weights, on the host
        kept = self.best_weights
        if kept is None:
            kept = self.best_weights = [np.array(p, copy=True) for p in params]
        epoch_net = with_weights(net, params)
        assert isinstance(epoch_net, Ensemble)  # cross-fitting trains K ≥ 2 members
        for k in range(epoch_net.K):
            if self.done[k]:
                continue
            loss, outputs = self._fold_loss(epoch_net.member(k), k)
            if losses is not None:
                loss = float(losses[k])
            improved = is_improvement(loss, self.best_losses_[k], "min", self.min_delta)
            self.wait[k] = 0 if improved else self.wait[k] + 1
            if is_better(loss, self.best_losses_[k], "min"):
                self.best_losses_[k], self.best_epochs_[k] = loss, epoch
                for best, p in zip(kept, params, strict=True):
                    best[k] = p[k]
                self.oof_[self._rows[k]] = outputs.T

    def oof_loss(self, sizes: np.ndarray | None = None) -> float:
        """The mean loss of the out-of-fold outputs kept so far (every row, its fold's
        member at that member's best epoch): Σ_k n_k · best_loss_k / Σ_k n_k.

        ``sizes`` : the rows n_k of each fold that the losses were measured on (default:
        X's rows of each fold).
        """
        if sizes is None:
            sizes = np.array([len(rows) for rows in self._rows], dtype=np.float64)
        return float(np.dot(sizes, self.best_losses_) / np.sum(sizes))

    def _fold_loss(self, member: Any, k: int) -> tuple[float, np.ndarray]:
        """Member k's mean loss on fold k and its outputs A[L] there, shape (n[L], n_k)."""
        rows, Y, size = self._rows[k], self._targets[k], self.chunk_rows
        total, outputs = 0.0, []
        for start in range(0, len(rows), size):
            A0 = np.asarray(self.X[rows[start : start + size]], dtype=self._dtype).T
            cache = member.forward(A0)
            J = float(member.cost(cache, Y[:, start : start + size]))
            total += J if len(rows) <= size else J * A0.shape[1]  # one chunk: J itself
            outputs.append(to_numpy(cache.A[member.L]))
        loss = total if len(rows) <= size else total / len(rows)
        return loss, np.concatenate(outputs, axis=1)

    def on_train_end(self, trainer: Trainer) -> None:
        if self.best_weights is not None:  # in the library (and on the device) of training
            xp = namespace(trainer.params[0])
            trainer.restore_weights([xp.asarray(p) for p in self.best_weights])
