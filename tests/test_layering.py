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


def is_type_checking(node: ast.AST) -> bool:
    """Whether ``node`` is ``if TYPE_CHECKING:`` (or ``if typing.TYPE_CHECKING:``)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def walk(tree: ast.AST, type_checking: bool) -> list[ast.AST]:
    """Every node of ``tree``; without ``type_checking``, not those under ``if TYPE_CHECKING:``."""
    nodes, todo = [], [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        if is_type_checking(node) and not type_checking:
            todo.extend(node.orelse)  # the else branch runs
            continue
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def imported_modules(path: Path, src: Path = SRC, type_checking: bool = True) -> set[str]:
    """Absolute names of every module ``path`` imports, at any depth (incl. inside functions).

    ``type_checking=False`` leaves out the imports under ``if TYPE_CHECKING:`` (never run).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    this = module_name(path, src)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    names: set[str] = set()
    for node in walk(tree, type_checking):
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


def lucidnet_imports(path: Path, src: Path = SRC, type_checking: bool = True) -> set[str]:
    names = imported_modules(path, src, type_checking)
    return {n for n in names if n == "lucidnet" or n.startswith("lucidnet.")}


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
    "lucidnet._lazy": -1,  # the lazy-export helper of the packages' __init__
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


# ---------------------------------------------------------------------- circles

# Import circles inside one package that are known and owned by another change; each entry
# names the modules of one circle. The test fails when a listed circle is gone, so the
# list only shrinks.
ALLOWED_CIRCLES: dict[str, frozenset[str]] = {}


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Module → the lucidnet modules it imports at run time (``TYPE_CHECKING`` left out).

    ``from P import name`` imports the module ``P.name`` when there is one, else ``P``
    itself (``from lucidnet.training.loop import Trainer``: ``loop``; ``from
    lucidnet.training import loop``: ``loop``, not the package's ``__init__``).
    """
    paths = sorted((src / "lucidnet").rglob("*.py"))
    names = {module_name(p, src) for p in paths}

    def module(name: str) -> str:
        while name not in names:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for path in paths:
        this = module_name(path, src)
        package = this if path.name == "__init__.py" else this.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges = set()
        for node in walk(tree, type_checking=False):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                stem = node.module or ""
                if node.level:
                    base = package.split(".")
                    stem = ".".join(base[: len(base) - (node.level - 1)] + ([stem] if stem else []))
                found = [
                    f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in names else stem
                    for alias in node.names
                ]
            else:
                continue
            edges.update(module(n) for n in found if is_under(n, "lucidnet"))
        graph[this] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The import circles inside each package: strongly connected sets of its modules
    (Tarjan's algorithm over the edges that stay in a package)."""

    def package(name: str) -> str:
        parts = name.split(".")
        return ".".join(parts[:2])

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if package(w) != package(v) or w == v:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = set()
            while True:
                w = stack.pop()
                part.add(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(frozenset(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_inside_a_package():
    found = set(circles(import_graph()))
    allowed = set(ALLOWED_CIRCLES.values())
    unexpected = found - allowed
    assert not unexpected, f"import circles: {[sorted(c) for c in unexpected]}"
    stale = [name for name, c in ALLOWED_CIRCLES.items() if c not in found]
    assert not stale, f"these allowed circles are gone; remove them from ALLOWED_CIRCLES: {stale}"


def test_the_circle_finder_can_fail(tmp_path):
    training = tmp_path / "lucidnet" / "training"
    training.mkdir(parents=True)
    (tmp_path / "lucidnet" / "__init__.py").write_text("", encoding="utf-8")
    (training / "__init__.py").write_text("", encoding="utf-8")
    (training / "loop.py").write_text(
        "from lucidnet.training.engines import NumpyEngine\n", encoding="utf-8"
    )
    (training / "engines.py").write_text(
        "def f():\n    from lucidnet.training.loop import Trainer\n", encoding="utf-8"
    )
    (training / "callbacks.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from lucidnet.training.loop import Trainer\n",
        encoding="utf-8",
    )
    (training / "data.py").write_text("from lucidnet.training import loop\n", encoding="utf-8")
    found = circles(import_graph(tmp_path))
    assert found == [frozenset({"lucidnet.training.engines", "lucidnet.training.loop"})]
