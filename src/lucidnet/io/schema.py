"""The declared schema of a model file's JSON header, checked field by field at load.

A schema is a value built from a few parts: :data:`STR`, :data:`INT`, :data:`NUMBER`,
:data:`BOOL`, :data:`NULL`, :data:`JSON` (anything), :class:`Choice` (one of some
values), :class:`OneOf` (one of some schemas), :class:`ListOf` and :class:`Record` (a
JSON object with declared keys, and a schema for any other key). :data:`HEADER` is the
header's; each kind of model declares the schema of its ``info`` once
(``lucidnet.estimators.modelinfo.ESTIMATOR_INFO``, ``TabularModel.INFO``) and checks it
with :meth:`~lucidnet.io.modelfile.LoadedModel.check_info`. A value that does not fit is
a :class:`~lucidnet.io.modelfile.ModelFileError` that names the field, e.g.
``info['summary']['n_iter_']``, so a hand-edited file is refused at load, before any of
its values is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BOOL",
    "HEADER",
    "INT",
    "JSON",
    "NULL",
    "NUMBER",
    "STR",
    "Choice",
    "ListOf",
    "OneOf",
    "Record",
    "SchemaMismatch",
    "Type",
    "check",
]


class SchemaMismatch(ValueError):
    """A value that does not fit its schema: ``field`` names it, ``expected`` says what fits."""

    def __init__(self, field: str, value: Any, expected: str, *, absent: bool = False) -> None:
        self.field, self.expected = field, expected
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        super().__init__(
            f"its header has no entry {field} ({expected})"
            if absent
            else f"its header entry {field} is {shown}, not {expected}"
        )


@dataclass(frozen=True)
class Type:
    """Values of some JSON types (a bool is never an int or a number here)."""

    types: tuple[type, ...]
    label: str
    plural: str

    def check(self, value: Any, name: str) -> None:
        if isinstance(value, bool) and bool not in self.types:
            raise SchemaMismatch(name, value, self.label)
        if not isinstance(value, self.types):
            raise SchemaMismatch(name, value, self.label)


STR = Type((str,), "a string", "strings")
INT = Type((int,), "an integer", "integers")
NUMBER = Type((int, float), "a number", "numbers")
BOOL = Type((bool,), "true or false", "booleans")
NULL = Type((type(None),), "null", "nulls")


@dataclass(frozen=True)
class _Anything:
    label: str = "any JSON value"
    plural: str = "JSON values"

    def check(self, value: Any, name: str) -> None:
        return None


JSON = _Anything()


@dataclass(frozen=True)
class Choice:
    """One of the given values."""

    values: tuple[Any, ...]

    @property
    def label(self) -> str:
        return "one of " + ", ".join(map(repr, self.values))

    @property
    def plural(self) -> str:
        return "values among " + ", ".join(map(repr, self.values))

    def check(self, value: Any, name: str) -> None:
        if not any(type(value) is type(v) and value == v for v in self.values):
            raise SchemaMismatch(name, value, self.label)


@dataclass(frozen=True)
class OneOf:
    """A value that fits one of the given schemas."""

    options: tuple[Any, ...]

    def __init__(self, *options: Any) -> None:
        object.__setattr__(self, "options", options)

    @property
    def label(self) -> str:
        return " or ".join(o.label for o in self.options)

    @property
    def plural(self) -> str:
        return " or ".join(o.plural for o in self.options)

    def check(self, value: Any, name: str) -> None:
        deeper = None
        for option in self.options:
            try:
                option.check(value, name)
                return
            except SchemaMismatch as exc:
                if exc.field != name:  # the right kind of container, a wrong part inside
                    deeper = exc
        raise deeper or SchemaMismatch(name, value, self.label)


@dataclass(frozen=True)
class ListOf:
    """A JSON list whose items fit ``item``."""

    item: Any

    @property
    def label(self) -> str:
        return f"a list of {self.item.plural}"

    @property
    def plural(self) -> str:
        return f"lists of {self.item.plural}"

    def check(self, value: Any, name: str) -> None:
        if not isinstance(value, list):
            raise SchemaMismatch(name, value, self.label)
        for i, v in enumerate(value):
            self.item.check(v, f"{name}[{i}]")


@dataclass(frozen=True)
class Record:
    """A JSON object: each key of ``fields`` present (those in ``optional`` may be absent)
    and fitting its schema; any other key fits ``rest``."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    optional: tuple[str, ...] = ()
    rest: Any = JSON

    @property
    def label(self) -> str:
        if self.fields:
            return "a JSON object with " + ", ".join(map(repr, self.fields))
        return "a JSON object" + ("" if self.rest is JSON else f" of {self.rest.plural}")

    @property
    def plural(self) -> str:
        return "JSON objects"

    def check(self, value: Any, name: str) -> None:
        if not isinstance(value, dict):
            raise SchemaMismatch(name, value, self.label)
        for key, spec in self.fields.items():
            if key in value:
                spec.check(value[key], _part(name, key))
            elif key not in self.optional:
                raise SchemaMismatch(_part(name, key), None, spec.label, absent=True)
        for key, v in value.items():
            if key not in self.fields:
                self.rest.check(v, _part(name, key))

    def extend(self, fields: Mapping[str, Any], optional: tuple[str, ...] = ()) -> Record:
        """This record with more declared keys."""
        return Record({**self.fields, **fields}, (*self.optional, *optional), self.rest)


def _part(name: str, key: str) -> str:
    """How a message names ``key`` of ``name``: ``info``, ``info['summary']``, ..."""
    return f"{name}[{key!r}]" if name else key


def check(value: Any, schema: Any, name: str = "") -> None:
    """Raise :class:`SchemaMismatch` naming the first part of ``value`` that does not fit.

    ``name`` is how the messages name ``value`` ("" for the whole header, whose keys are
    then named bare: ``info['summary']``)."""
    schema.check(value, name)


HEADER = Record(
    {
        "sha256": STR,
        "format": STR,
        "format_version": INT,
        "lucidnet_version": STR,
        "numpy_version": STR,
        "architecture": Record(
            {
                "layer_sizes": ListOf(INT),
                "activations": ListOf(STR),
                "output": STR,
                "layout": STR,
                "members": INT,
                "embedding": Record(),
            },
            optional=("members", "embedding"),
        ),
        "dtype": STR,
        "extra_arrays": Record(rest=Record({"dtype": STR, "shape": ListOf(INT)})),
        "info": Record(),
    }
)
"""The header's schema (the values are checked further by the loader: the format, the
digest, the layer sizes against the tensors, the activations against the registry)."""
