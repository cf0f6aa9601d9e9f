"""``lucidnet inspect MODEL --importance DATA``: which columns matter, as a table."""

from __future__ import annotations

from typing import Any

from lucidnet.cli.common import CLIError
from lucidnet.tables import TabularModel, read_table
from lucidnet.tables.fit import labelled_rows
from lucidnet.tables.importance import column_importance

__all__ = ["importance_figure", "importance_lines", "print_importance"]


def print_importance(model: Any, path: str) -> None:
    """Print the permutation importance of ``model``'s columns on the rows of ``path``.

    Raises
    ------
    CLIError
        For a model that is not a table model, or data without the target column.
    """
    if not isinstance(model, TabularModel):
        raise CLIError(
            "--importance needs a table model (from lucidnet train); this file holds "
            f"a {type(model).__name__}."
        )
    frame = read_table(path)
    if model.target not in frame.columns:
        raise CLIError(
            f"{path} has no column {model.target!r}: the importance is the drop of the score "
            "on rows whose target is known."
        )
    model.preprocessor.check_columns(frame, source=path)
    frame, _ = labelled_rows(frame, model.target)
    if len(frame) < 2:
        raise CLIError(f"{path} has {len(frame)} labelled row(s); the importance needs 2 or more.")
    table = column_importance(model, frame, frame[model.target].to_numpy())
    print("\n".join(importance_lines(table, path)))


def importance_lines(table: Any, where: str) -> list[str]:
    """The lines that show a :func:`~lucidnet.tables.importance.column_importance` table."""
    attrs = table.attrs
    width = max(6, *(len(str(c)) for c in table["column"]))
    lines = [
        f"permutation importance on {where} ({attrs['rows']} rows, {attrs['metric']} "
        f"{attrs['score']:.4f}): the drop of {attrs['metric']} when a column is shuffled, "
        f"mean ± std over {attrs['repeats']} shuffles (seed {attrs['seed']})",
        f"  {'column':<{width}}  {'mean':>9} ± std",
    ]
    for column, mean, std in table[["column", "mean", "std"]].itertuples(index=False):
        lines.append(f"  {column:<{width}}  {mean:>9.4f} ± {std:.4f}")
    return lines


def importance_figure(model: TabularModel, source: Any) -> tuple[str, Any]:
    """The report's chart of column importances, on the rows the model did not train on.

    Cross-fitted: every training row, predicted by the member that left its fold out.
    Held-out rows: as they are (a model refit on every row has trained on them, which the
    caption says). No row held out: the training rows, said as much.
    """
    import lucidnet.plot as plot

    est = model.estimator
    folds = getattr(est, "fold_", None)
    if source.val_frame is not None:
        frame, y, folds = source.val_frame, source.y_val, None
        rows = (
            "the validation rows, which the final model, refit on every row, trained on"
            if "refit_epochs" in model.metrics
            else "the held-out rows, which the model never trained on"
        )
    else:
        frame, y = source.train_frame, source.y_train
        rows = (
            "the training rows out of fold: each predicted by the member that never trained on it"
            if folds is not None
            else "the training rows (no row was held out)"
        )
    table = column_importance(model, frame, y, folds=folds)
    caption = (
        f"Shuffled: {rows} ({table.attrs['rows']}); {table.attrs['repeats']} shuffles, "
        f"seed {table.attrs['seed']}."
    )
    figure = plot.column_importance(
        table["column"].tolist(), table["mean"], table["std"], metric=table.attrs["metric"],
        caption=caption,
    )  # fmt: skip
    return "column importance", figure
