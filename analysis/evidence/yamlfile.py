"""One reader for the YAML files of ``data/``: untrusted text, read as plain data.

``yaml.safe_load`` is safe from code execution but not from a pull request: an alias
bomb (a few kilobytes of ``&a``/``*a`` expanding to billions of nodes) exhausts the
memory, a duplicate key silently replaces the first value, ``!!binary`` or
``!!python/...`` tags change a value's type, and an impossible date (``2026-02-30``)
raises a ``ValueError`` traceback out of the timestamp constructor. :func:`read`
refuses all of these, and reports every problem as a :class:`Problem` line
``file:line:key: rule (value)``; it never raises for what the file holds.

Rules: at most :data:`MAX_BYTES`, UTF-8 (a byte-order mark is ignored); no anchors,
aliases or explicit tags; nesting at most :data:`MAX_DEPTH` deep; mapping keys are
plain text, each once per mapping. Dates are NOT turned into ``datetime.date`` by the
reader (a YAML timestamp stays the text written): the caller's schema checks them with
:func:`date`, which refuses an impossible or a future date with its own message.

References
----------
YAML 1.1 specification, section 3.2.2.2 (anchors and aliases) and 6.9.2 (tags);
PyYAML documentation, "Loading YAML" (``compose`` and the event stream).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analysis.evidence.csvfile import Problem

__all__ = ["MAX_BYTES", "MAX_DEPTH", "Document", "as_date", "date", "key_path", "parse", "read"]

#: A data YAML file larger than this is a mistake (the search record is ~3 kB).
MAX_BYTES = 1_000_000
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 20

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _PlainLoader(yaml.SafeLoader):
    """The safe loader with timestamps left as the text written (checked by the schema)."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(node.value)


_PlainLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


@dataclass(frozen=True)
class Document:
    """A YAML file read by :func:`read`.

    Attributes
    ----------
    name : str
        The file as the problems name it.
    data : object
        The content (mappings, lists, str, int, float, bool, None); None when unusable.
    lines : dict
        Key path (``("eligibility", "outcome")``, list items by index) -> 1-based line.
    problems : tuple of Problem
        Every problem found; the content is None when there is one.
    """

    name: str
    data: Any = None
    lines: dict[tuple, int] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def line(self, path: tuple) -> int | None:
        """The line of ``path``, or of its nearest ancestor the reader saw."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def key_path(path: tuple) -> str:
    """A key path as the problems write it: ``sources[2].detail`` (list items from 1)."""
    out = ""
    for p in path:
        out += f"[{p + 1}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "-"


def _show(text: str, limit: int = 60) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mark_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return None if mark is None else mark.line + 1


def _events(text: str, name: str) -> list[Problem]:
    """Anchors, aliases, explicit tags and excessive depth, found in the event stream
    (before anything is built, so an alias bomb costs only its own size)."""
    problems: list[Problem] = []
    depth = 0
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        line = ev.start_mark.line + 1 if ev.start_mark else None
        if isinstance(ev, yaml.AliasEvent):
            problems.append(
                Problem(name, line, "-", "aliases (*name) are not allowed: write the value out")
            )
        elif anchor := getattr(ev, "anchor", None):
            problems.append(
                Problem(name, line, "-", "anchors (&name) are not allowed", _show(str(anchor)))
            )
        tag = getattr(ev, "tag", None)  # set only when the file writes one
        if tag is not None and tag != "!":
            problems.append(
                Problem(name, line, "-", "tags (!name, !!type) are not allowed", _show(str(tag)))
            )
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                problems.append(Problem(name, line, "-", f"nested deeper than {MAX_DEPTH} levels"))
                break
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1
        if len(problems) >= 20:
            break
    return problems


def _keys(node: yaml.Node, path: tuple, name: str, lines: dict, out: list[Problem]) -> None:
    """Duplicate and non-text keys, and the line of every key path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for k, v in node.value:
            line = k.start_mark.line + 1
            if not isinstance(k, yaml.ScalarNode) or k.tag != "tag:yaml.org,2002:str":
                shown = k.value if isinstance(k, yaml.ScalarNode) else "a list or mapping"
                out.append(
                    Problem(
                        name,
                        line,
                        key_path(path),
                        "keys must be plain text",
                        _show(str(shown)),
                    )
                )
                continue
            if k.value in seen:
                out.append(
                    Problem(
                        name,
                        line,
                        key_path((*path, k.value)),
                        f"duplicate key: first on line {seen[k.value]}",
                    )
                )
                continue
            seen[k.value] = line
            _keys(v, (*path, k.value), name, lines, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _keys(item, (*path, i), name, lines, out)


def read(path: Path, name: str | None = None, *, max_bytes: int = MAX_BYTES) -> Document:
    """Read one YAML file of ``data/`` as plain data, collecting every problem.

    Parameters
    ----------
    path : path-like
        The file.
    name : str, optional
        How the problems name it (default: the path as given).
    max_bytes : int
        Larger files are refused unread.
    """
    path = Path(path)
    name = str(path) if name is None else name

    def fail(line: int | None, rule: str, value: str | None = None) -> Document:
        return Document(name, problems=(Problem(name, line, "-", rule, value),))

    if path.is_symlink():
        return fail(None, "a symbolic link: data files must be regular files")
    try:
        size = path.stat().st_size
        if not path.is_file():
            return fail(None, "not a regular file")
        if size > max_bytes:
            return fail(None, f"larger than {max_bytes:,} bytes", f"{size:,} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        return fail(None, "file not found")
    except OSError as exc:
        return fail(None, "cannot read the file", exc.strerror)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return fail(line, "not UTF-8 text: save the file as UTF-8", f"byte at offset {exc.start}")
    return parse(text, name)


def parse(text: str, name: str = "<text>") -> Document:
    """:func:`read` of a text already decoded (a file at a git revision, say)."""

    def fail(line: int | None, rule: str, value: str | None = None) -> Document:
        return Document(name, problems=(Problem(name, line, "-", rule, value),))

    if len(text) > MAX_BYTES:
        return fail(None, f"larger than {MAX_BYTES:,} characters")
    try:
        problems = _events(text, name)
        if problems:
            return Document(name, problems=tuple(problems))
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        detail = getattr(exc, "problem", None) or "syntax error"
        return fail(_mark_line(exc), "not valid YAML", _show(str(detail)))
    except RecursionError:
        return fail(None, f"nested deeper than {MAX_DEPTH} levels")
    if node is None:
        return Document(name, data=None)
    lines: dict[tuple, int] = {}
    problems = []
    _keys(node, (), name, lines, problems)
    if problems:
        return Document(name, lines=lines, problems=tuple(problems))
    try:
        data = yaml.load(text, Loader=_PlainLoader)  # noqa: S506 - safe loader subclass
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        return fail(_mark_line(exc) if isinstance(exc, yaml.YAMLError) else None, "not valid YAML")
    return Document(name, data=data, lines=lines)


def date(value: Any, *, today: _dt.date | None = None) -> tuple[_dt.date | None, str | None]:
    """A ``YYYY-MM-DD`` date from a YAML value, or the rule it breaks.

    Returns ``(date, None)`` or ``(None, rule)``: not written as ``YYYY-MM-DD``; not a
    day of the calendar (``2026-02-30``); after ``today`` (default: today, UTC).
    """
    if isinstance(value, _dt.datetime):
        value = value.date().isoformat()
    elif isinstance(value, _dt.date):
        value = value.isoformat()
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        return None, "must be a date written YYYY-MM-DD"
    try:
        d = _dt.date.fromisoformat(value.strip())
    except ValueError:
        return None, "not a day of the calendar"
    today = today or _dt.datetime.now(_dt.UTC).date()
    if d > today:
        return None, f"in the future (today is {today.isoformat()})"
    return d, None


def as_date(value: Any) -> _dt.date | None:
    """A date already checked by :func:`date` as a ``datetime.date`` (None if it is not one):
    what the loaders of the search record, the protocol and the surveillance record keep."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        return None
