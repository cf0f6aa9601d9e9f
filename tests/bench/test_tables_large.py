"""The paths benchmark's tables of 10⁵+ rows load offline (benchmarks.tables.large), and
the benchmark's options refuse what they do not know."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.tables import large, panel, paths


@pytest.mark.parametrize("name", list(large.LARGE))
def test_a_large_table_keeps_its_rows_and_a_complete_target(name):
    table = large.LARGE[name]
    X, y = table.load()
    assert isinstance(X, pd.DataFrame) and len(X) == len(y) >= 100_000
    assert not y.isna().any() and y.name not in X.columns
    assert table.source and "rows" in table.note
    if table.task == "classification":
        assert 2 <= y.nunique() <= 20 and y.value_counts().min() >= 2
    else:
        assert pd.api.types.is_float_dtype(y) and y.nunique() > 20


def test_the_large_tables_stay_out_of_the_panel():
    assert not set(large.LARGE) & set(panel.PANEL)
    assert set(paths.TABLES) == set(panel.PANEL) | set(large.LARGE)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tables", "nope"], "unknown tables"),
        (["--paths", "streamed,gpu"], "unknown paths"),
    ],
)
def test_the_paths_benchmark_names_what_it_does_not_know(argv, message, capsys):
    with pytest.raises(SystemExit):
        paths.main(argv)
    assert message in capsys.readouterr().err
