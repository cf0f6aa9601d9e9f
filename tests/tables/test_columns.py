"""Column names: duplicates, also those equal only as strings, are refused by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lucidnet.tables import TableError, TablePreprocessor, read_table
from lucidnet.tables.read import read_chunks
from lucidnet.tables.tabular import TabularClassifier


@pytest.mark.parametrize("columns", [["a", "a", "b"], [0, "0", "b"]])
def test_fit_names_the_duplicate_columns(columns):
    X = pd.DataFrame(np.random.default_rng(0).random((20, 3)), columns=columns)
    with pytest.raises(ValueError, match=r"duplicate column name.*'0'|duplicate column name.*'a'"):
        TabularClassifier(max_epochs=2, n_members=1).fit(X, np.arange(20) % 2)
    with pytest.raises(TableError, match="duplicate"):
        TablePreprocessor().fit(X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_predict_names_the_duplicate_columns():
    X = pd.DataFrame(np.random.default_rng(0).random((20, 2)), columns=["a", "b"])
    est = TabularClassifier(max_epochs=2, n_members=1, hidden_layer_sizes=(4,)).fit(
        X, np.arange(20) % 2
    )
    with pytest.raises(ValueError, match=r"duplicate column name.*'b'"):
        est.predict(X.set_axis(["b", "b"], axis=1))


@pytest.mark.parametrize("name", ["t.csv", "t.tsv"])
def test_a_file_with_duplicate_headers_is_refused(tmp_path, name):
    sep = "\t" if name.endswith("tsv") else ","
    (tmp_path / name).write_text(sep.join(["a", "a", "b", "a.1"]) + "\n" + sep.join("1234") + "\n")
    with pytest.raises(TableError, match=r"duplicate column name.*'a'"):
        read_table(tmp_path / name)
    with pytest.raises(TableError, match=r"duplicate column name.*'a'"):
        next(read_chunks(tmp_path / name))
