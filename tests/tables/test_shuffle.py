"""The shuffle buffer of a file read in chunks (lucidnet.tables.shuffle)."""

from __future__ import annotations

import numpy as np

from lucidnet.tables.shuffle import ShuffleBuffer


def test_the_shuffle_buffer_gives_every_row_once_and_mixes_chunks():
    buffer = ShuffleBuffer(capacity=300, draw=100, rng=np.random.default_rng(0))
    drawn, largest = [], 0
    for start in range(0, 1000, 100):
        rows = np.arange(start, start + 100)
        for X, y in buffer.add(rows[:, None].astype(float), rows):
            np.testing.assert_array_equal(X[:, 0], y)  # the rows keep their labels
            drawn.append(y)
        largest = max(largest, len(buffer))
    drawn += [y for _, y in buffer.drain()]
    assert largest < 300  # after each chunk it is under capacity: memory is bounded
    everything = np.concatenate(drawn)
    np.testing.assert_array_equal(np.sort(everything), np.arange(1000))
    assert len(np.unique(drawn[0] // 100)) == 3  # the first draw holds rows of 3 chunks


def test_the_shuffle_buffer_holds_its_rows_in_arrays_allocated_once():
    # capacity + a chunk of rows, allocated at the first chunk and kept: a draw's holes
    # are filled from the end, never by copying the buffer; wider labels widen it once.
    buffer = ShuffleBuffer(capacity=250, draw=100, rng=np.random.default_rng(1))
    stores, drawn = set(), []
    for start in range(0, 1000, 100):
        rows = np.arange(start, start + 100)
        labels = np.array([f"r{r}" for r in rows])  # '<U3' then '<U4': the type widens
        for X, y in buffer.add(rows[:, None].astype(np.float32), labels):
            assert [f"r{int(v)}" for v in X[:, 0]] == y.tolist()
            drawn.append(X[:, 0].astype(int))
        stores.add(id(buffer.arrays[0]))
        assert len(buffer.arrays[0]) == 250 + 100 and buffer.arrays[0].dtype == np.float32
    drawn += [X[:, 0].astype(int) for X, _ in buffer.drain()]
    assert len(stores) == 2  # allocated at the first chunk, again when the labels widened
    np.testing.assert_array_equal(np.sort(np.concatenate(drawn)), np.arange(1000))
