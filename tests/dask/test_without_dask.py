"""lucidnet.dask without the dask extra: it imports, and says what to install when used."""

from __future__ import annotations

import sys

import pytest

import lucidnet.dask as ldask


def test_the_module_imports_and_names_the_extra_when_used(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install "lucidnet\[dask\]"'):
        ldask.fit_lbfgs(ldask.MLPClassifier(solver="lbfgs"), [[0.0]], [0])
    with pytest.raises(ImportError, match=r'pip install "lucidnet\[dask\]"'):
        ldask.connect("local")


def test_numpy_input_needs_no_cluster():
    clf = ldask.MLPClassifier((4,), solver="lbfgs", max_iter=50, random_state=0)
    clf.fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    assert list(clf.predict([[0.0], [3.0]])) == [0, 1]
