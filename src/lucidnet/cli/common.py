"""What the commands share: the user-error type, loading models, printing tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def write_frame(frame: Any, path: str | None) -> None:
    """Write ``frame`` to stdout (CSV) or ``path``, in the format its name says (see
    :func:`lucidnet.tables.predict_stream.write_chunks`: Parquet, TSV or CSV, compressed
    by a last suffix ``.gz``, ``.bz2``, ``.xz``, ``.zst`` or ``.zip``), atomically."""
    from lucidnet.tables.predict_stream import write_chunks

    with write_chunks(path) as write:
        write(frame)
