"""Dependencies flow one way, down a rank table (docs/STYLE.md), and modules stay small.

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


# The house: every package has a rank; a module imports only packages of LOWER rank (and
# its own package). Leaf modules (rank -1) import nothing of lucidnet and may be used anywhere.
RANKS = {
    "lucidnet._version": -1,
    "lucidnet.core": 0,  # the lecture: Network, activations, losses, gradcheck, trace
    "lucidnet.io": 1,  # atomic writes, the model file, ONNX
    "lucidnet.training": 2,  # optimizers, schedules, callbacks, Trainer, L-BFGS
    "lucidnet.estimators": 3,  # scikit-learn estimators
    "lucidnet.plot": 3,  # pictures and the HTML report
    "lucidnet.tables": 4,  # files, preprocessing, the task rule, fit_table, save/load
    "lucidnet.dask": 5,  # the cluster
    "lucidnet.playground": 5,  # the browser playground
    "lucidnet.cli": 6,  # the command line
    "lucidnet": 7,  # the package itself re-exports the public names
    "lucidnet.__main__": 7,
}
MAX_LINES = 600


def package_of(name: str) -> str:
    """The entry of RANKS that ``name`` belongs to (the longest matching prefix)."""
    matches = [p for p in RANKS if is_under(name, p)]
    if not matches:
        raise KeyError(f"{name} belongs to no package of the rank table; add it to RANKS")
    return max(matches, key=len)


ALL = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_rank():
    for path in ALL:
        package_of(module_name(path))


def test_the_layers_exist():
    names = {p.name for p in modules("core")}
    assert names >= {"network.py", "activations.py", "losses.py", "init.py"}
    for package in RANKS:
        if package.count(".") == 1 and package != "lucidnet.__main__":
            leaf = package.split(".")[1]
            assert (PACKAGE / leaf).is_dir() or (PACKAGE / f"{leaf}.py").is_file(), package


def violations(path: Path, src: Path = SRC) -> list[str]:
    """What ``path`` imports against the rank table or from another package's privates."""
    this = module_name(path, src)
    own = package_of(this)
    problems = []
    for name in sorted(lucidnet_imports(path, src)):
        try:
            other = package_of(name)
        except KeyError:
            problems.append(f"{name} (no rank)")
            continue
        if other == own or RANKS[other] == -1:
            continue
        if other == "lucidnet" and name == "lucidnet":
            problems.append("lucidnet (import the subpackage you need instead)")
            continue
        if RANKS[other] >= RANKS[own]:
            problems.append(f"{name} (rank {RANKS[other]} >= {own}'s {RANKS[own]})")
        private = [part for part in name.split(".")[1:] if part.startswith("_")]
        if private:
            problems.append(f"{name} (private name of {other})")
    return problems


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_imports_flow_down_the_ranks(path):
    problems = violations(path)
    assert not problems, f"{module_name(path)} imports: {problems}"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_no_module_over_the_size_budget(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module_name(path)} has {lines} lines (budget {MAX_LINES})"


def test_the_rank_checker_can_fail(tmp_path):
    pkg = tmp_path / "lucidnet"
    (pkg / "training").mkdir(parents=True)
    bad = pkg / "training" / "bad.py"
    bad.write_text(
        "from lucidnet.estimators import MLPClassifier\n"
        "from lucidnet.core._private import x\n"
        "from lucidnet.core.network import Network\n"
        "from lucidnet.training.loop import Trainer\n",
        encoding="utf-8",
    )
    found = violations(bad, src=tmp_path)
    assert any(f.startswith("lucidnet.estimators ") for f in found)
    assert any("private name of lucidnet.core" in f for f in found)
    assert not any("network" in f or "loop" in f for f in found)


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
