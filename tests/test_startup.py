"""``import lucidnet`` and ``lucidnet --help`` import no heavy package; every public name
still resolves, to what the ``if TYPE_CHECKING:`` imports of its package say.

Structural, not timed: a subprocess reports which modules an import loads (``-X
importtime`` and ``sys.modules``); seconds on a shared machine would be noise.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lucidnet
from lucidnet.tables import RECIPE
from tests.test_layering import is_type_checking

SRC = Path(lucidnet.__file__).resolve().parents[1]

# What the start-up leaves alone: each takes from tens of milliseconds to a second.
HEAVY = ("sklearn", "scipy", "pandas", "matplotlib", "jax", "dask", "starlette")


def python(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -X importtime ARGS`` with this lucidnet on the path; must exit 0."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def imported(importtime: str) -> set[str]:
    """The modules named in ``-X importtime``'s report (stderr)."""
    return {
        line.rpartition("|")[2].strip()
        for line in importtime.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_import_lucidnet_loads_no_heavy_package():
    result = python("-c", "import sys, lucidnet; print('\\n'.join(sys.modules))")
    loaded = set(result.stdout.split())
    assert "lucidnet" in loaded and "lucidnet" in imported(result.stderr)
    assert heavy(loaded) == []
    assert heavy(imported(result.stderr)) == []


def test_the_help_loads_no_heavy_package():
    result = python("-m", "lucidnet", "--help")
    assert result.stdout.startswith("usage: lucidnet")
    assert "train" in result.stdout and "predict" in result.stdout
    assert "lucidnet.cli.parser" in imported(result.stderr)
    assert heavy(imported(result.stderr)) == []


def test_the_train_help_loads_no_heavy_package_and_states_the_recipe():
    result = python("-m", "lucidnet", "train", "--help")
    text = " ".join(result.stdout.split())
    assert text.startswith("usage: lucidnet train")
    widths = ",".join(map(str, RECIPE.hidden_layer_sizes))
    assert f"(default: {widths};" in text
    assert f"(default: {RECIPE.batch_size};" in text
    assert "lucidnet.tables.recipe" in imported(result.stderr)
    assert heavy(imported(result.stderr)) == []


def test_a_command_imports_what_it_needs():
    result = python("-m", "lucidnet", "trace")
    assert "lucidnet.core.trace" in imported(result.stderr)
    assert heavy(imported(result.stderr)) == []  # the lecture's printout needs NumPy only


# ------------------------------------------------------------------ lazy exports

PACKAGES = sorted(
    str(path.parent.relative_to(SRC)).replace(os.sep, ".")
    for path in (SRC / "lucidnet").rglob("__init__.py")
)


def declared(package: str) -> dict[str, str]:
    """Name → the module it comes from, as the package's ``__init__`` imports it, at the
    top or under ``if TYPE_CHECKING:``."""
    path = SRC.joinpath(*package.split("."), "__init__.py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = list(tree.body)
    for node in tree.body:
        if is_type_checking(node):
            nodes.extend(node.body)  # type: ignore[attr-defined]
    return {
        alias.asname or alias.name: node.module
        for node in nodes
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lucidnet")
        for alias in node.names
    }


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_what_its_declared_import_gives(package):
    module = importlib.import_module(package)
    sources = declared(package)
    for name in module.__all__:
        value = getattr(module, name)
        if name in sources:
            assert value is getattr(importlib.import_module(sources[name]), name), name
        else:  # defined in the __init__ itself
            assert name in vars(module), f"{package}.{name} is neither imported nor defined"
    assert set(module.__all__) <= set(dir(module))


@pytest.mark.parametrize("package", PACKAGES)
def test_no_lazy_name_is_also_a_submodule(package):
    # A submodule imported first would stand where the lazy name should be.
    init = SRC.joinpath(*package.split("."), "__init__.py")
    if "attach(" not in init.read_text(encoding="utf-8"):
        return
    children = {p.stem for p in init.parent.glob("*.py")} | {
        p.name for p in init.parent.iterdir() if (p / "__init__.py").is_file()
    }
    module = importlib.import_module(package)
    assert not set(module.__all__) & children


def test_the_top_level_names_and_subpackages_resolve():
    from lucidnet import MLPClassifier, TabularClassifier, load

    assert MLPClassifier is lucidnet.estimators.MLPClassifier
    assert TabularClassifier is lucidnet.tables.TabularClassifier
    assert load is lucidnet.tables.load
    assert lucidnet.core.Network is lucidnet.Network
    assert lucidnet.training.minibatch_gd is lucidnet.minibatch_gd
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        lucidnet.nothing  # noqa: B018
    with pytest.raises(ImportError):
        from lucidnet import nothing  # noqa: F401
