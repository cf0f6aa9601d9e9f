"""benchmarks/ is a small package: every module under the line budget, no ``sys.path`` edits.

The benchmarks run as ``python -m benchmarks.run`` (and ``benchmarks.tables.run``, ...)
from the repository root, and import each other by their package names; pytest finds the
package through ``pythonpath`` in pyproject.toml. Read with ``ast``: nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
MAX_LINES = 600
MODULES = sorted(BENCHMARKS.rglob("*.py"))
SIBLINGS = {p.stem for p in MODULES} - {"__init__"}


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def touches_sys_path(tree: ast.AST) -> bool:
    """``sys.path`` read or changed anywhere, or ``path`` imported from ``sys``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "path":
            if isinstance(node.value, ast.Name) and node.value.id == "sys":
                return True
        if isinstance(node, ast.ImportFrom) and node.module == "sys":
            if any(alias.name == "path" for alias in node.names):
                return True
    return False


def test_the_walk_finds_the_modules():
    assert BENCHMARKS / "run.py" in MODULES and BENCHMARKS / "tables" / "run.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=ids(MODULES))
def test_module_is_at_most_600_lines(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (> {MAX_LINES})"


BENCH_TESTS = sorted((ROOT / "tests" / "bench").glob("*.py"))


@pytest.mark.parametrize("path", MODULES + BENCH_TESTS, ids=ids(MODULES + BENCH_TESTS))
def test_no_sys_path_manipulation(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert not touches_sys_path(tree), f"{path.relative_to(ROOT)} touches sys.path"


@pytest.mark.parametrize("path", MODULES, ids=ids(MODULES))
def test_siblings_are_imported_by_their_package_name(path: Path):
    """``from benchmarks.workload import ...``, never ``import workload`` (a path trick)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bare = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bare |= {a.name.split(".")[0] for a in node.names} & SIBLINGS
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            bare |= {node.module.split(".")[0]} & SIBLINGS
    assert not bare, f"{path.relative_to(ROOT)} imports {sorted(bare)} as top-level modules"


def test_every_folder_with_modules_is_a_package():
    folders = {p.parent for p in MODULES}
    assert all((folder / "__init__.py").exists() for folder in folders), folders


def test_the_self_check_sees_a_sys_path_edit():
    assert touches_sys_path(ast.parse("import sys\nsys.path.insert(0, 'x')"))
    assert touches_sys_path(ast.parse("from sys import path"))
    assert not touches_sys_path(ast.parse("import os\nos.path.join('a', 'b')"))
