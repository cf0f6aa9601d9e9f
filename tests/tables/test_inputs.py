"""What the tabular estimators accept as X and y, and the messages for what they refuse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning

from lucidnet.tables.inputs import check_names, has_names, table_frame, target_vector


def test_a_table_is_two_dimensional_dense_and_real():
    with pytest.raises(TypeError, match=r"sparse input is not supported.*toarray"):
        table_frame(sp.csr_matrix(np.eye(3)), "Est")
    with pytest.raises(ValueError, match=r"Expected a 2D table, got a 1D array.*Reshape your data"):
        table_frame(np.arange(4.0), "Est")
    with pytest.raises(ValueError, match=r"Complex data not supported: column\(s\) \['1'\]"):
        table_frame(pd.DataFrame({"0": [1.0, 2.0], "1": [1j, 2.0]}), "Est")


def test_an_object_arrays_columns_of_numbers_are_numbers():
    X = np.array([[1.5, "a", None], [2.5, "b", 3.0]], dtype=object)
    frame = table_frame(X, "Est")
    assert list(frame.columns) == ["0", "1", "2"]
    assert [frame[c].dtype.kind for c in frame.columns] == ["f", "O", "f"]


def test_y_is_one_value_per_row():
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        target_vector(None, 3, "Est", numeric=False)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        y = target_vector(np.array([[1], [2], [3]]), 3, "Est", numeric=False)
    assert y.shape == (3,)
    with pytest.raises(ValueError, match=r"one value per row of X \(3\); got \(2,\)"):
        target_vector([1, 2], 3, "Est", numeric=False)
    with pytest.raises(ValueError, match="Unknown label type: Est predicts numbers"):
        target_vector(np.array(["x", "y", "z"], dtype=object), 3, "Est", numeric=True)
    assert target_vector(np.array([1, 2, 3], dtype=object), 3, "E", numeric=True).dtype == float
    with pytest.raises(ValueError, match="y holds nan at row 1"):
        target_vector([1.0, np.nan, 2.0], 3, "Est", numeric=False)


def test_names_are_checked_as_scikit_learn_checks_them():
    fitted = np.array(["a", "b", "c"], dtype=object)
    frame = pd.DataFrame(np.zeros((1, 3)), columns=["a", "b", "c"])
    assert has_names(frame) and not has_names(frame.to_numpy())
    check_names(fitted, frame, "Est")  # the same names: nothing to say
    with pytest.raises(ValueError, match="must be in the same order as they were in fit"):
        check_names(fitted, frame[["b", "a", "c"]], "Est")
    with pytest.raises(ValueError, match=r"unseen at fit time:\n- d\n.*yet now missing:\n- c\n"):
        check_names(fitted, frame.rename(columns={"c": "d"}), "Est")
    with pytest.warns(UserWarning, match="X does not have valid feature names, but Est"):
        check_names(fitted, frame.to_numpy(), "Est")
    with pytest.warns(UserWarning, match="X has feature names, but Est was fitted without"):
        check_names(None, frame, "Est")
