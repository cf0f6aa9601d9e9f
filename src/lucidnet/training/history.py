"""The per-epoch record of a training run."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from typing import Any

from lucidnet.io.atomic import atomic_write_bytes

__all__ = ["History"]


class History:
    """One dict per epoch: what the trainer logged when the epoch ended.

    Each record holds

    - ``"epoch"``: 1, 2, ...
    - ``"loss"``: the training cost, the mean of the minibatch costs J (with the L2
      penalty, as trained) weighted by minibatch size, or by the minibatch's total
      sample weight (scikit-learn's ``loss_curve_``);
    - ``"val_loss"`` (with validation data): the mean loss on the validation rows,
      sample-weighted if they have weights, without the L2 penalty;
    - for an ensemble of K networks both are per network: the mean of the members'
      own losses (1/K) Σ_k J_k, on one network's scale (the members train on the sum
      J = Σ_k J_k, whose gradient for member k is its own ∂J_k);
    - ``"val_<metric>"`` for each metric given to ``fit``;
    - ``"lr"``: the rate the epoch trained with;
    - ``"seconds"``: its wall time, validation included.

    Parameters
    ----------
    records : list of dict, optional

    Examples
    --------
    >>> h = History([{"epoch": 1, "loss": 0.7}, {"epoch": 2, "loss": 0.5}])
    >>> h["loss"], len(h)
    ([0.7, 0.5], 2)
    """

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records: list[dict[str, Any]] = [dict(r) for r in records or []]

    def append(self, record: dict[str, Any]) -> None:
        """Add one epoch's record (copied)."""
        self.records.append(dict(record))

    def keys(self) -> list[str]:
        """Every key that appears, in order of first appearance."""
        keys: dict[str, None] = {}
        for record in self.records:
            keys.update(dict.fromkeys(record))
        return list(keys)

    def __getitem__(self, key: str) -> list[Any]:
        """The values of ``key`` over the epochs (None where an epoch lacks it).

        Raises
        ------
        KeyError
            When no epoch has ``key``; the message lists the keys there are.
        """
        if not any(key in r for r in self.records):
            raise KeyError(f"No epoch logged {key!r}; the history has {self.keys()}.")
        return [r.get(key) for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, keys={self.keys()})"

    # ------------------------------------------------------------------ conversion

    def to_dict(self) -> dict[str, list[Any]]:
        """Columns: ``{key: [value per epoch]}`` (None where an epoch lacks the key)."""
        return {key: [r.get(key) for r in self.records] for key in self.keys()}

    @classmethod
    def from_dict(cls, columns: dict[str, list[Any]]) -> History:
        """The inverse of :meth:`to_dict` (None entries are left out of the records)."""
        n = max((len(v) for v in columns.values()), default=0)
        return cls(
            [
                {k: v[i] for k, v in columns.items() if i < len(v) and v[i] is not None}
                for i in range(n)
            ]
        )

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` as JSON, atomically."""
        atomic_write_bytes(path, json.dumps(self.to_dict(), indent=1).encode())

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write one row per epoch with a header line, atomically (floats in full precision)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.keys(), lineterminator="\n")
        writer.writeheader()
        for record in self.records:
            writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in record.items()})
        atomic_write_bytes(path, buffer.getvalue().encode())
