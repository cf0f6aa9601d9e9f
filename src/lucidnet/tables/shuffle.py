"""A shuffle buffer of chunks: the minibatches of a file read in chunks
(:mod:`lucidnet.tables.streamed`)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["ShuffleBuffer"]


class ShuffleBuffer:
    """Rows of consecutive chunks, leaving ``draw`` at a time picked at random.

    A chunk is one or more arrays of the same rows (features, labels, folds...): they
    travel together, row i of each array staying row i of the others.

    The rows live in arrays allocated once, with room for ``capacity`` rows and a chunk:
    a chunk is copied into the free rows, and a draw's rows leave holes that the last
    rows of the buffer fill (no copy of the whole buffer at any step).

    Parameters
    ----------
    capacity : int
        Rows held before any leave; memory holds at most ``capacity`` + one chunk.
    draw : int
        Rows per draw (one ``partial_fit`` step).
    rng : numpy.random.Generator
    """

    def __init__(self, capacity: int, draw: int, rng: np.random.Generator) -> None:
        self.capacity, self.draw, self.rng = max(1, capacity), max(1, draw), rng
        self.arrays: tuple[np.ndarray, ...] = ()
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, *arrays: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
        """Take a chunk's rows in; yield draws while the buffer holds ``capacity`` rows."""
        n = len(arrays[0])
        if (
            not self.arrays
            or self.size + n > len(self.arrays[0])
            or any(
                np.result_type(a, b) != a.dtype for a, b in zip(self.arrays, arrays, strict=True)
            )
        ):
            self._regrow(arrays)
        for held, new in zip(self.arrays, arrays, strict=True):
            held[self.size : self.size + n] = new
        self.size += n
        while self.size >= self.capacity:
            yield self._take(self.draw)

    def drain(self) -> Iterator[tuple[np.ndarray, ...]]:
        """The rows left, in random draws (the end of a pass)."""
        while self.size:
            yield self._take(self.draw)

    def _regrow(self, chunk: tuple[np.ndarray, ...]) -> None:
        """Arrays with room for the rows held, ``capacity`` and ``chunk``, of types that
        hold both."""
        rows = max(self.size + len(chunk[0]), self.capacity + len(chunk[0]))
        held = self.arrays or chunk
        grown = []
        for old, new in zip(held, chunk, strict=True):
            store = np.empty((rows, *new.shape[1:]), dtype=np.result_type(old, new))
            if self.arrays:
                store[: self.size] = old[: self.size]
            grown.append(store)
        self.arrays = tuple(grown)

    def _take(self, n: int) -> tuple[np.ndarray, ...]:
        m = self.size
        n = min(n, m)
        take = self.rng.permutation(m)[:n]
        out = tuple(a[take] for a in self.arrays)  # copies: the rows leave
        holes = take[take < m - n]  # taken rows before the last n: filled from the end
        movers = np.setdiff1d(np.arange(m - n, m), take, assume_unique=True)
        for a in self.arrays:
            a[holes] = a[movers]
        self.size = m - n
        return out
