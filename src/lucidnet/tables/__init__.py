"""Tables: reading files, preprocessing, the task rule, the recipe, ONE ``fit_table``.

A table (CSV, TSV, Parquet or a DataFrame) goes in, a fitted table model comes out. The
same :func:`fit_table` serves the three ways of reading the rows: all in memory
(:class:`InMemorySource`; ``TabularClassifier`` / ``TabularRegressor`` too), streamed in
chunks from a file larger than memory (:class:`StreamSource`), and across a Dask cluster
(``lucidnet.dask`` supplies that source). The training policy is a :class:`Recipe`
(:data:`RECIPE` holds its defaults); a regression target is standardised one way
(:class:`TargetScaling`). ``lucidnet.save/load/export_onnx`` choose among the model
kinds here, the first rank that knows them all (networks, estimators, table models);
the file format and the network's ONNX graph are ``lucidnet.io``'s, a table model's whole
graph (raw columns in) is :mod:`lucidnet.tables.onnx`'s. Which columns matter:
:func:`lucidnet.tables.importance.column_importance`.

May import: ``lucidnet.core``, ``lucidnet.io``, ``lucidnet.training``,
``lucidnet.estimators`` (never their private names), pandas, scikit-learn.
"""

from typing import TYPE_CHECKING

from lucidnet._lazy import attach

if TYPE_CHECKING:
    from lucidnet.tables.fit import InMemorySource, TableFit, TableSource, Training, fit_table
    from lucidnet.tables.metrics import StreamMetrics, table_metrics
    from lucidnet.tables.model import TabularModel, TargetScaling
    from lucidnet.tables.persist import export_onnx, load, save
    from lucidnet.tables.preprocess import TablePreprocessor
    from lucidnet.tables.read import TableError, read_chunks, read_table, validation_mask
    from lucidnet.tables.recipe import RECIPE, Recipe
    from lucidnet.tables.stats import Moments, Reservoir, TableStats
    from lucidnet.tables.stream import StreamResult, StreamSource, scan, train_stream
    from lucidnet.tables.tabular import TabularClassifier, TabularRegressor
    from lucidnet.tables.task import check_target, choose_task

__all__ = [
    "RECIPE",
    "InMemorySource",
    "Moments",
    "Recipe",
    "Reservoir",
    "StreamMetrics",
    "StreamResult",
    "StreamSource",
    "TableError",
    "TableFit",
    "TablePreprocessor",
    "TableSource",
    "TableStats",
    "TabularClassifier",
    "TabularModel",
    "TabularRegressor",
    "TargetScaling",
    "Training",
    "check_target",
    "choose_task",
    "export_onnx",
    "fit_table",
    "load",
    "read_chunks",
    "read_table",
    "save",
    "scan",
    "table_metrics",
    "train_stream",
    "validation_mask",
]

if not TYPE_CHECKING:  # type checkers read the imports above
    __getattr__, __dir__ = attach(
        __name__,
        {
            "lucidnet.tables.fit": (
                "InMemorySource",
                "TableFit",
                "TableSource",
                "Training",
                "fit_table",
            ),
            "lucidnet.tables.metrics": ("StreamMetrics", "table_metrics"),
            "lucidnet.tables.model": ("TabularModel", "TargetScaling"),
            "lucidnet.tables.persist": ("export_onnx", "load", "save"),
            "lucidnet.tables.preprocess": ("TablePreprocessor",),
            "lucidnet.tables.read": ("TableError", "read_chunks", "read_table", "validation_mask"),
            "lucidnet.tables.recipe": ("RECIPE", "Recipe"),
            "lucidnet.tables.stats": ("Moments", "Reservoir", "TableStats"),
            "lucidnet.tables.stream": ("StreamResult", "StreamSource", "scan", "train_stream"),
            "lucidnet.tables.tabular": ("TabularClassifier", "TabularRegressor"),
            "lucidnet.tables.task": ("check_target", "choose_task"),
        },
    )
