"""Public names of a package, imported on first use (PEP 562).

A package's ``__init__`` names what it exports and where each name lives; the modules are
imported when a name is first read, so ``import lucidnet`` and ``lucidnet --help`` do not
pay for pandas, scikit-learn or SciPy. The same imports, written out under ``if
TYPE_CHECKING:``, let type checkers, IDEs and the layering test see every name; type
checkers do not see the ``__getattr__``, so a misspelt name stays an error::

    if TYPE_CHECKING:
        from lucidnet.tables.fit import fit_table

    if not TYPE_CHECKING:
        __getattr__, __dir__ = attach(__name__, {"lucidnet.tables.fit": ("fit_table",)})

(the pattern of scientific Python's ``lazy_loader.attach``, without the dependency).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping

__all__ = ["attach"]


def attach(
    package: str,
    exports: Mapping[str, Iterable[str]],
    submodules: Iterable[str] = (),
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of a package whose names load on use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to iterable of str
        Module → the names it gives the package (``{"lucidnet.tables.fit": ("fit_table",)}``).
    submodules : iterable of str, optional
        More submodules reachable as attributes (``lucidnet.tables`` after ``import
        lucidnet``); the package's own modules named in ``exports`` always are.

    Returns
    -------
    __getattr__, __dir__ : callables
        To bind in the package's namespace. A name read once is stored in the package, so
        the next read is an ordinary attribute lookup.
    """
    where = {name: module for module, names in exports.items() for name in names}
    children = frozenset(submodules) | {
        module.rpartition(".")[2] for module in exports if module.rpartition(".")[0] == package
    }

    def __getattr__(name: str) -> object:
        if name in where:
            value = getattr(importlib.import_module(where[name]), name)
        elif name in children:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where) | children)

    return __getattr__, __dir__
