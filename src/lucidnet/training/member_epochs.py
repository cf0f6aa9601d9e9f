"""Each ensemble member's own best epoch on shared held-out rows, its weights kept.

When an ensemble trains outside :class:`~lucidnet.training.loop.Trainer` (pass by pass
over a file, ``lucidnet.tables.streamed``), :class:`MemberEpochs` does after every epoch
what :class:`~lucidnet.training.crossfit.CrossFit` does inside it, on held-out rows that
all members share: it scores member k on them, keeps member k's weights of its best
epoch and counts member k's epochs without an improvement; a member that has spent its
patience is done. The comparisons are the library's one rule for a monitored value
(``is_improvement`` restarts the patience, ``is_better`` moves the best weights).

A second training for the chosen epochs (a refit on every row) keeps member k's weights
at the end of its own epoch (:meth:`MemberEpochs.snapshot`), so every member of the
refitted ensemble trains as long as it chose.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucidnet.core.arrays import namespace, to_numpy
from lucidnet.core.network import Cache
from lucidnet.core.parameters import parameters, set_parameters
from lucidnet.training._monitor import is_better, is_improvement

__all__ = ["MemberEpochs"]


class MemberEpochs:
    """Member k's loss on the held-out rows after every epoch; its best epoch's weights.

    Parameters
    ----------
    X : array of shape (n_val, n[0])
        The held-out rows.
    Y : array of shape (n_val, n[L])
        Their targets as the network sees them (``encode_targets``).
    patience : int
        Epochs without an improvement of member k's held-out loss after which member k
        is done (its best weights no longer change).
    min_delta : float, default=0.0

    Attributes
    ----------
    best_epochs_ : int array of shape (K,)
        Each member's best epoch (0 before any).
    best_losses_ : float array of shape (K,)
        Member k's held-out loss at its best epoch,
        J_k = (1/n_val) Σ_i L(a_k(i), y(i)).
    wait : int array of shape (K,)
        Epochs since member k's last improvement.
    """

    def __init__(self, X: Any, Y: Any, patience: int, min_delta: float = 0.0) -> None:
        self.X = np.asarray(to_numpy(X))
        self.Y = np.asarray(to_numpy(Y)).reshape(len(self.X), -1)
        self.patience, self.min_delta = int(patience), float(min_delta)
        self.best: list[np.ndarray] | None = None
        self.best_epochs_ = np.zeros(0, dtype=np.int64)
        self.best_losses_ = np.zeros(0)
        self.wait = np.zeros(0, dtype=np.int64)

    @property
    def done(self) -> np.ndarray:
        """Whether each member has spent its patience, bool array of shape (K,)."""
        return self.wait >= self.patience

    def losses(self, net: Any) -> np.ndarray:
        """J_k for every member k of ``net`` (an Ensemble), float array of shape (K,).

        One forward pass of the ensemble over the held-out rows gives Z[L] of shape
        (K, n[L], n_val); member k's loss is its own cost on Z[L][k].
        """
        xp, dtype = namespace(net.W[1]), net.W[1].dtype
        Z = net.predict_logits(xp.asarray(self.X.T, dtype=dtype))
        Y, L = xp.asarray(self.Y.T, dtype=dtype), net.L
        out = np.empty(net.K)
        for k in range(net.K):
            member = net.member(k)
            cache = Cache(Z={L: Z[k]}, A={L: member.g[L](Z[k])})
            out[k] = float(to_numpy(member.cost(cache, Y)))
        return out

    def offer(self, net: Any, epoch: int) -> np.ndarray:
        """Score ``net``'s members after ``epoch``; keep the weights of those that improved.

        Returns
        -------
        losses : float array of shape (K,)
        """
        losses = self.losses(net)
        params = [np.asarray(to_numpy(p)) for p in parameters(net)]
        if self.best is None:
            self.best = [np.array(p, copy=True) for p in params]
            self.best_epochs_ = np.zeros(net.K, dtype=np.int64)
            self.best_losses_ = np.full(net.K, np.inf)
            self.wait = np.zeros(net.K, dtype=np.int64)
        for k, loss in enumerate(losses):
            if self.done[k]:
                continue
            improved = is_improvement(loss, self.best_losses_[k], "min", self.min_delta)
            self.wait[k] = 0 if improved else self.wait[k] + 1
            if is_better(loss, self.best_losses_[k], "min"):
                self.best_losses_[k], self.best_epochs_[k] = loss, epoch
                self._keep(k, params)
        return losses

    def snapshot(self, net: Any, epoch: int) -> None:
        """A second training's weights after ``epoch``: kept for the members that chose it."""
        assert self.best is not None, "offer() chooses the epochs first"
        params = [np.asarray(to_numpy(p)) for p in parameters(net)]
        for k in np.flatnonzero(self.best_epochs_ == epoch):
            self._keep(int(k), params)

    def restore(self, net: Any) -> None:
        """Put every member's kept weights into ``net`` (copies, in its library)."""
        assert self.best is not None, "offer() chooses the epochs first"
        xp = namespace(net.W[1])
        set_parameters(net, [xp.asarray(np.array(p, copy=True)) for p in self.best])

    def _keep(self, k: int, params: list[np.ndarray]) -> None:
        assert self.best is not None
        for best, p in zip(self.best, params, strict=True):
            best[k] = p[k]
