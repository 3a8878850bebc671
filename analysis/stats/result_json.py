"""The JSON codec of the result types: dataclass fields out, typed objects back in, strictly.

:func:`to_json` writes a result as plain JSON values (fields in order, minus those with
``metadata={"json": False}``; NaN and infinite floats as None). :func:`from_json` reads
it back as the annotated types say: every serialised field must be present with a value
of its type (``float | None`` may be null), an unknown key is an error too, and the error
names the key by its path (``MetaAnalysis.random.tau2: missing``). The result types of
:mod:`analysis.stats.results` get both as ``to_dict`` / ``from_dict`` from
:class:`JsonResult`.

A field with ``metadata={"json": INLINE}`` holds a result whose keys are written into
its parent's object rather than under the field's name (the results bundle's comparison
entry is the full analysis, key for key, plus its own parts); the reader takes that
result's keys back out of the parent. These two functions are the one place a result's
JSON shape is defined: every writer and reader of the results goes through them.

Why not a library (pydantic, cattrs, dacite): the results are frozen dataclasses that
also hold numpy arrays for batches, the JSON contract (``../shared/docs/meta-cli.md``) is
fixed key for key, and the reader needs only dataclasses, unions with None, tuples and
dicts; some eighty lines do it without a new dependency.

Public API
----------
to_json(obj), from_json(cls, data, where), ResultKeyError, JsonResult, INLINE
"""

from __future__ import annotations

import importlib
import math
import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, TypeVar

import numpy as np

from analysis.stats.batch import finite

__all__ = ["INLINE", "JsonResult", "ResultKeyError", "from_json", "to_json"]

T = TypeVar("T")


class ResultKeyError(ValueError):
    """A result read from JSON lacks a key or holds a value of the wrong type.

    The message names the key by its path (``MetaAnalysis.random.tau2: missing``).
    """


#: ``metadata={"json": INLINE}``: the field's result is written into its parent's object
INLINE = "inline"

_JSON_FIELDS: dict[type, tuple[str, ...]] = {}


def _json_fields(cls: type) -> tuple[str, ...]:
    """The serialised fields of *cls* (inline ones included), in order."""
    names = _JSON_FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in fields(cls) if f.metadata.get("json", True))
        _JSON_FIELDS[cls] = names
    return names


_INLINE_FIELDS: dict[type, frozenset[str]] = {}


def _inline(cls: type) -> frozenset[str]:
    """The fields of *cls* written into its parent's object (``json: INLINE``)."""
    names = _INLINE_FIELDS.get(cls)
    if names is None:
        names = frozenset(f.name for f in fields(cls) if f.metadata.get("json") == INLINE)
        _INLINE_FIELDS[cls] = names
    return names


def _properties(cls: type) -> tuple[str, ...]:
    """The computed properties *cls* writes after its fields (``JSON_PROPERTIES``)."""
    return tuple(getattr(cls, "JSON_PROPERTIES", ()))


def to_json(obj: Any) -> Any:
    """Plain JSON values of a result: dataclass fields in order, minus ``json: False`` ones,
    then the computed properties named in ``JSON_PROPERTIES``.

    NaN and infinite floats become None; tuples become lists.
    """
    if type(obj) is float:
        return obj if math.isfinite(obj) else None
    if is_dataclass(obj):
        inline = _inline(type(obj))
        props = _properties(type(obj))
        if not inline and not props:
            return {name: to_json(getattr(obj, name)) for name in _json_fields(type(obj))}
        out: dict[str, Any] = {}
        for name in _json_fields(type(obj)):
            value = to_json(getattr(obj, name))
            part = value if name in inline else {name: value}
            if not isinstance(part, dict):
                raise TypeError(f"inline field {name} must hold a result, got {value!r}")
            clash = sorted(set(out) & set(part))
            if clash:
                raise TypeError(f"{type(obj).__name__}: the key {clash[0]} is written twice")
            out.update(part)
        for name in props:
            if name in out:
                raise TypeError(f"{type(obj).__name__}: the key {name} is written twice")
            out[name] = to_json(getattr(obj, name))
        return out
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [to_json(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return finite(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        module = importlib.import_module(cls.__module__)
        hints = typing.get_type_hints(cls, globalns=dict(vars(module)))
        _HINTS[cls] = hints
    return hints


def _decode(tp: Any, value: Any, where: str) -> Any:
    """*value* read as the annotation *tp*; :class:`ResultKeyError` naming *where* if not."""
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            if type(None) in args:
                return None
            raise ResultKeyError(f"{where}: null where a value is required")
        inner = [a for a in args if a is not type(None)]
        errors = []
        for a in inner:
            try:
                return _decode(a, value, where)
            except ResultKeyError as exc:
                errors.append(str(exc))
        raise ResultKeyError(errors[0])
    if value is None:
        raise ResultKeyError(f"{where}: null where a value is required")
    if is_dataclass(tp) and isinstance(tp, type):
        return from_json(tp, value, where)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ResultKeyError(f"{where}: expected a list, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise ResultKeyError(f"{where}: expected {len(args)} values, got {len(value)}")
        return tuple(
            _decode(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if origin is dict:
        if not isinstance(value, dict):
            raise ResultKeyError(f"{where}: expected an object, got {type(value).__name__}")
        return {str(k): _decode(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ResultKeyError(f"{where}: expected a number, got {value!r}")
        return value
    if tp in (int, str, bool):
        if type(value) is not tp:
            raise ResultKeyError(f"{where}: expected {tp.__name__}, got {value!r}")
        return value
    raise TypeError(f"{where}: cannot read {tp!r} from JSON")


def from_json(cls: type[T], data: Any, where: str | None = None) -> T:
    """The result *cls* read back from :func:`to_json`'s output, strictly.

    Every serialised field of *cls* must be present with a value of its annotated type
    (a ``float | None`` field may be null); a field not serialised gets its default (None
    when it has none: the JSON does not hold it). A key
    that *cls* does not know is an error as well (a misspelt key is never skipped).

    Raises
    ------
    ResultKeyError
        Naming the key: ``MetaAnalysis.random.tau2: missing``.
    """
    where = where or cls.__name__
    if not isinstance(data, dict):
        raise ResultKeyError(f"{where}: expected an object, got {type(data).__name__}")
    names = _json_fields(cls)
    hints = _hints(cls)
    inline = _inline(cls)
    own = {name: hints[name] for name in inline}  # inline field -> its result type
    for name, tp in own.items():
        if not (is_dataclass(tp) and isinstance(tp, type)):
            raise TypeError(f"{where}.{name}: an inline field must hold a result type")
    props = _properties(cls)
    keys = {n for n in names if n not in inline} | set(props)
    taken = {n: set(_json_fields(tp)) for n, tp in own.items()}
    unknown = sorted(set(data) - keys - set().union(*taken.values()))
    if unknown:
        raise ResultKeyError(f"{where}.{unknown[0]}: unknown key")
    kwargs = {}
    for name in names:
        if name in inline:
            part = {k: v for k, v in data.items() if k in taken[name]}
            kwargs[name] = from_json(own[name], part, where)
            continue
        if name not in data:
            raise ResultKeyError(f"{where}.{name}: missing")
        kwargs[name] = _decode(hints[name], data[name], f"{where}.{name}")
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name not in kwargs and f.default is MISSING and f.default_factory is MISSING:
            kwargs[f.name] = None
    obj = cls(**kwargs)
    for name in props:
        if name not in data:
            raise ResultKeyError(f"{where}.{name}: missing")
        written = _decode(_property_type(cls, name), data[name], f"{where}.{name}")
        computed = getattr(obj, name)
        if written != computed:
            raise ResultKeyError(
                f"{where}.{name}: {written!r} contradicts the value its fields give ({computed!r})"
            )
    return obj


def _property_type(cls: type, name: str) -> Any:
    """The return annotation of the property *name* of *cls*."""
    prop = getattr(cls, name)
    if not isinstance(prop, property) or prop.fget is None:
        raise TypeError(f"{cls.__name__}.{name}: JSON_PROPERTIES names a property")
    module = importlib.import_module(cls.__module__)
    return typing.get_type_hints(prop.fget, globalns=dict(vars(module)))["return"]


class JsonResult:
    """``to_dict`` and ``from_dict`` for the result types (see :func:`to_json`)."""

    def to_dict(self) -> dict:
        """The JSON object of this result (None for undefined figures, never NaN)."""
        return to_json(self)

    @classmethod
    def from_dict(cls: type[T], data: Any, where: str | None = None) -> T:
        """Read the result back from :meth:`to_dict`'s output (see :func:`from_json`)."""
        return from_json(cls, data, where)
