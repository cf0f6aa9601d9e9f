"""Dependencies flow one way: math core → training → interfaces (STYLE.md).

Every module's imports are read with ``ast`` (nothing is imported or executed), relative
imports are resolved, and the lucidnet modules each layer may use are checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "lucidnet"


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, src: Path = SRC) -> set[str]:
    """Absolute names of every module ``path`` imports, at any depth (incl. inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    this = module_name(path, src)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            names.add(stem)
            # ``from lucidnet import training`` imports the module lucidnet.training
            names.update(f"{stem}.{alias.name}" for alias in node.names)
    return names


def lucidnet_imports(path: Path, src: Path = SRC) -> set[str]:
    return {n for n in imported_modules(path, src) if n == "lucidnet" or n.startswith("lucidnet.")}


def is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def modules(subpackage: str) -> list[Path]:
    return sorted((PACKAGE / subpackage).rglob("*.py"))


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(SRC)) for p in paths]


CORE = modules("core")
TRAINING = modules("training")


def test_the_layers_exist():
    assert {p.name for p in CORE} >= {"network.py", "activations.py", "losses.py", "init.py"}
    assert {p.name for p in TRAINING} >= {"minibatch.py"}


@pytest.mark.parametrize("path", CORE, ids=ids(CORE))
def test_core_imports_only_core(path):
    outside = {n for n in lucidnet_imports(path) if not is_under(n, "lucidnet.core")}
    # ``from lucidnet.core import x`` records "lucidnet.core" and "lucidnet.core.x": both fine.
    assert not outside, f"{module_name(path)} imports {sorted(outside)} from outside lucidnet.core"


@pytest.mark.parametrize("path", TRAINING, ids=ids(TRAINING))
def test_training_imports_only_core_and_training(path):
    # lucidnet._atomic is a leaf utility (file writes) that imports nothing of lucidnet.
    allowed = ("lucidnet.core", "lucidnet.training", "lucidnet._atomic")
    outside = {n for n in lucidnet_imports(path) if not any(is_under(n, pkg) for pkg in allowed)}
    assert not outside, f"{module_name(path)} imports {sorted(outside)}"


def test_the_import_reader_sees_relative_and_absolute_imports(tmp_path):
    # The checker itself must be able to fail: feed it a module that breaks the rule.
    core = tmp_path / "lucidnet" / "core"
    core.mkdir(parents=True)
    bad = core / "bad.py"
    bad.write_text(
        "import numpy as np\n"
        "from ..training import minibatch_gd\n"
        "from . import network\n"
        "def f():\n"
        "    import lucidnet.estimators\n",
        encoding="utf-8",
    )
    found = lucidnet_imports(bad, src=tmp_path)
    assert "lucidnet.core.network" in found
    assert {n for n in found if not is_under(n, "lucidnet.core")} == {
        "lucidnet.training",
        "lucidnet.training.minibatch_gd",
        "lucidnet.estimators",
    }
