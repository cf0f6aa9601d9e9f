"""Tables: reading files, preprocessing, the task rule, ONE ``fit_table``, model files.

A table (CSV, TSV, Parquet or a DataFrame) goes in, a fitted table model comes out. The
same :func:`fit_table` serves the three ways of reading the rows: all in memory, streamed
in chunks from a file larger than memory, and across a Dask cluster (``lucidnet.dask``
supplies that source). ``lucidnet.save/load/export_onnx`` live here too, because this is
the top of the library: they know every kind of model (networks, estimators, table
models).

May import: ``lucidnet.core``, ``lucidnet.io``, ``lucidnet.training``,
``lucidnet.estimators`` (never their private names), pandas, scikit-learn.
"""

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
