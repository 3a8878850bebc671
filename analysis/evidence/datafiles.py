"""Every file under ``data/`` has a schema: the register of data files and the checks of
the folder itself.

``data/`` is what a pull request from anyone may change, so the validator knows every
file in it (:data:`SCHEMAS`), and refuses what it does not know: an unknown file (a
schema is added here, by a maintainer, before a new kind of data arrives), a folder, and
any symbolic link (``data/loop -> ..`` would make a copy of the project loop, ``-> /``
copy the machine's disk; a link to a file outside would publish it).

:data:`SCHEMAS` maps a file name to the check that applies its rules, or to None for
the files :func:`analysis.evidence.validate.validate` checks itself (the trials table,
its descriptor, the bibliography, the search record and the certainty judgements). A
new data file is registered with one line in :data:`SCHEMAS`::

    "outcomes.csv": outcomes.check_file,

A check takes the file's path and a :class:`Context` and returns its problems
(:class:`analysis.evidence.csvfile.Problem`, one line each, never a traceback).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import UserError
from analysis.evidence import bibfields, bibtex, plaintext, published, reviewers
from analysis.evidence.csvfile import Problem

__all__ = ["SCHEMAS", "Context", "check", "check_folder", "text_cells"]


@dataclass(frozen=True)
class Context:
    """What a data file's check may need beside its own path."""

    folder: Path
    fields: tuple[dict, ...] = ()
    this_year: int | None = None
    #: ``review-metadata.yml`` (the named authors): beside the data folder, else the project's
    metadata: Path | None = None
    #: how a problem names a file (the validator's ``display``)
    display: Callable[[Path], str] = str


Check = Callable[[Path, Context], Iterable[Problem]]


def _published(path: Path, ctx: Context) -> list[Problem]:
    return published.check(path, ctx.display(path))[1]


def _name(path: Path) -> str:
    return f"data/{path.name}" if path.parent.name == "data" else str(path)


def _raised(load: Callable[[Path], object]) -> Check:
    """A check from a loader that raises :class:`UserError` (``file:row:column: rule``)."""

    def check(path: Path, ctx: Context) -> list[Problem]:
        try:
            load(path.parent)
        except UserError as exc:
            where, _, rule = str(exc).partition(": ")
            parts = where.split(":")
            row = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
            column = parts[2] if len(parts) == 3 and parts[2] else "-"
            return [Problem(ctx.display(path), row, column, rule or str(exc))]
        return []

    return check


def _surveillance(data: Path) -> object:
    from analysis.evidence import surveillance

    return surveillance.load_plan(data)


def _integrity(data: Path) -> object:
    from analysis.evidence import surveillance

    return surveillance.load_decisions(data)


#: file name -> its check (None: checked by ``validate`` itself). One line per data file.
SCHEMAS: dict[str, Check | None] = {
    "studies.csv": None,
    "datapackage.json": None,
    "references.bib": None,
    "search.yaml": None,
    "certainty.csv": None,
    "protocol.yaml": None,  # with outcomes.csv: analysis.evidence.outcomes.check_beside
    "outcomes.csv": None,
    "published.yaml": _published,
    "surveillance.yaml": _raised(_surveillance),
    "integrity.yaml": _raised(_integrity),
    "README.md": None,  # notes for people (a frozen copy says why): never read or published
}

#: Files a project's ``data/`` must hold (a copy of one file elsewhere may hold fewer).
REQUIRED = ("published.yaml",)


def check_folder(folder: Path) -> list[Problem]:
    """The folder's own rules: only known, regular files; no link, no sub-folder."""
    folder = Path(folder)
    name = _name(folder / "x").rsplit("/", 1)[0] if folder.name == "data" else str(folder)
    out: list[Problem] = []
    if folder.is_symlink():
        out.append(Problem(name, None, "-", "a symbolic link: data/ must be a real folder"))
        return out
    for entry in sorted(folder.iterdir()):
        shown = f"{name}/{entry.name}"
        if entry.is_symlink():
            out.append(
                Problem(
                    shown,
                    None,
                    "-",
                    "a symbolic link: data/ holds regular files only (a link would copy"
                    " or publish what it points to)",
                )
            )
        elif entry.is_dir():
            out.append(Problem(shown, None, "-", "a folder: data/ holds only the known files"))
        elif entry.name not in SCHEMAS:
            out.append(
                Problem(
                    shown,
                    None,
                    "-",
                    "not a file the project knows: a new data file gets its schema in"
                    " analysis/evidence/datafiles.py (SCHEMAS), by a maintainer",
                )
            )
    return out


def text_cells(name: str, records: Iterable[tuple[int, dict]]) -> list[Problem]:
    """Text that could deceive, in a CSV's typed records: invisible format characters,
    and cells a spreadsheet would run as formulas (:mod:`analysis.evidence.plaintext`)."""
    out = []
    for row, rec in records:
        for col, v in rec.items():
            if isinstance(v, str) and v:
                rule = plaintext.problem(v, csv_cell=True)
                if rule:
                    shown = v[:60].encode("unicode_escape").decode("ascii")
                    out.append(Problem(name, row, col, rule, shown))
    return out


def _certainty(path: Path, ctx: Context) -> list[Problem]:
    """Deceiving text and unnamed reviewers in ``certainty.csv`` (its other rules are
    :func:`analysis.evidence.certainty_file.check`)."""
    from analysis.evidence import certainty_file

    if not path.is_file() or path.is_symlink():
        return []
    found: list[Problem] = []
    rows = certainty_file._rows(path, found)
    if rows is None:
        return []  # certainty_file.check reports why
    out = text_cells(ctx.display(path), rows)
    if ctx.metadata is not None:
        out += reviewers.check(path, ctx.metadata, rows, ctx.display(path))
    return out


def _csv_text(path: Path, ctx: Context) -> list[Problem]:
    """Deceiving text in any other CSV of data/ (read as its own check reads it)."""
    from analysis.evidence import csvfile

    table = csvfile.read(path, mode="all", name=ctx.display(path), max_bytes=5_000_000)
    if not table.rows:
        return []
    header = table.rows[0][1]
    records = [(row, dict(zip(header, cells, strict=False))) for row, cells in table.rows[1:]]
    return text_cells(ctx.display(path), records)


def _yaml_text(path: Path, ctx: Context) -> list[Problem]:
    """Invisible format characters in any other YAML file of data/ (its own check reports
    a file it cannot read)."""
    from analysis.evidence import yamlfile

    doc = yamlfile.read(path, ctx.display(path))
    out: list[Problem] = []

    def walk(value: object, where: tuple) -> None:
        if isinstance(value, str):
            rule = plaintext.format_character(value)
            if rule:
                shown = value[:60].encode("unicode_escape").decode("ascii")
                out.append(
                    Problem(doc.name, doc.line(where), yamlfile.key_path(where), rule, shown)
                )
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*where, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*where, i))

    walk(doc.data, ())
    return out


#: files whose own check already applies the plain-text rules to every text
_TEXT_CHECKED = frozenset({"studies.csv", "certainty.csv", "search.yaml", "published.yaml"})


def _bibliography(path: Path, name: str) -> list[Problem]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # the validator reports an unreadable bibliography
    entries, _ = bibtex.parse(text)
    return bibfields.problems(entries, name, text)


def check(
    folder: Path,
    ctx: Context,
    *,
    whole_folder: bool,
    required: bool = False,
    bibliography: Path | None = None,
) -> list[Problem]:
    """Every problem of the data files beyond the trials table's own rules.

    ``whole_folder``: a data folder was named (check its contents); otherwise only the
    files present beside the table are checked. ``required``: the folder is the
    project's ``data/``, which must hold :data:`REQUIRED` (a copy may hold fewer).
    """
    folder = Path(folder)
    out: list[Problem] = []
    if whole_folder:
        out += check_folder(folder)
    if required:
        for req in REQUIRED:
            if not (folder / req).exists() and not (folder / req).is_symlink():
                out.append(Problem(_name(folder / req), None, "-", "file not found"))
    for file, checker in SCHEMAS.items():
        path = folder / file
        if checker is None or path.is_symlink() or not path.is_file():
            continue
        out += list(checker(path, ctx))
    for file in SCHEMAS:
        path = folder / file
        if file in _TEXT_CHECKED or path.is_symlink() or not path.is_file():
            continue
        if file.endswith(".csv"):
            out += _csv_text(path, ctx)
        elif file.endswith((".yaml", ".yml")):
            out += _yaml_text(path, ctx)
    if (folder / "certainty.csv").is_file():
        out += _certainty(folder / "certainty.csv", ctx)
    bib = folder / "references.bib" if bibliography is None else bibliography
    if bib.is_file() and not bib.is_symlink():
        out += _bibliography(bib, ctx.display(bib))
    return out
