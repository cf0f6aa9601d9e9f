"""What the commands share: the user-error type, loading models, printing tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lucidnet.io.atomic import atomic_path

__all__ = [
    "AT_SCALE",
    "DASK_ITERATIONS",
    "CLIError",
    "load_model",
    "load_table_model",
    "print_epoch_table",
    "widths",
    "write_frame",
]

# The plain MLP's defaults with --stream and --dask (the rows are read part by part, so
# the tabular recipe does not apply; --dask trains full batches, without a batch size).
AT_SCALE: dict[str, Any] = {
    "hidden_layer_sizes": (64, 32),
    "learning_rate_init": 1e-3,
    "batch_size": 64,
}
DASK_ITERATIONS = 200  # L-BFGS iterations at most with --dask


def widths(sizes: Any) -> str:
    """Hidden layer widths as the command line writes them: "128,128"."""
    return ",".join(str(int(n)) for n in sizes)


class CLIError(Exception):
    """A user error: the message is printed as is, exit code 2."""


def load_model(path: str) -> Any:
    if not Path(path).exists():
        raise CLIError(
            f"{path}: no such model file. Check the path, or train one with 'lucidnet train'."
        )
    from lucidnet.tables.persist import load

    return load(path)


def load_table_model(path: str) -> Any:
    from lucidnet.tables.model import TabularModel

    model = load_model(path)
    if not isinstance(model, TabularModel):
        raise CLIError(
            f"{path} holds a {type(model).__name__}, not a table model; this command needs a "
            "model written by 'lucidnet train'."
        )
    return model


def print_epoch_table(history: Any, max_rows: int = 12) -> None:
    records = history.records
    if not records:
        return
    keys = [k for k in ("loss", "val_loss", "val_score", "lr", "seconds") if k in records[-1]]
    step = max(1, -(-len(records) // max_rows))
    rows = [r for i, r in enumerate(records, 1) if i % step == 0 or i in (1, len(records))]
    print("  epoch  " + "  ".join(f"{k:>10}" for k in keys))
    for r in rows:
        print(f"  {r['epoch']:5d}  " + "  ".join(f"{r.get(k, float('nan')):10.4g}" for k in keys))


COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zip": "zip"}


def write_frame(frame: Any, path: str | None) -> None:
    """Write ``frame`` to stdout (CSV) or ``path``, in the format its name says.

    ``.parquet``/``.pq`` → Parquet; ``.tsv``/``.tab`` → tab-separated; else CSV; and a last
    suffix ``.gz``, ``.bz2``, ``.xz``, ``.zst`` or ``.zip`` compresses the text (as
    ``lucidnet.tables.read_table`` reads it back). The compression is passed explicitly:
    pandas would infer it from the temporary file's name, which has none.
    """
    if path is None:
        frame.to_csv(sys.stdout, index=False)
        return
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = COMPRESSION.get(suffixes[-1]) if suffixes else None
    with atomic_path(path) as tmp:
        if ".parquet" in suffixes or ".pq" in suffixes:
            frame.to_parquet(tmp, index=False)
        elif ".tsv" in suffixes or ".tab" in suffixes:
            frame.to_csv(tmp, index=False, sep="\t", compression=compression)
        else:
            frame.to_csv(tmp, index=False, compression=compression)
