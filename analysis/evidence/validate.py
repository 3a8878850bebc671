"""The rules for ``data/``: the Table Schema of ``datapackage.json`` plus the domain rules.

:func:`validate` reads ``studies.csv`` (and the descriptor and bibliography that
go with it), checks every cell and every row, and returns a :class:`Report`
holding **all** problems, not just the first. Each problem prints as
``file:row:column: rule broken (value)``, with rows numbered as a spreadsheet
shows them (the header is row 1, the first trial row 2). Errors make the data
unusable; warnings point a reviewer at something worth a look (a zero cell, a
tiny arm, an outcome outside the primary analysis) and never fail a check.

Schema rules (the project's own copy of the descriptor, ``analysis/evidence/datapackage.json``,
pinned in the code: ``data/datapackage.json`` must carry the same rules, so other tools
apply them too, and may differ only in titles and descriptions; see :func:`read_package`):
``required``, ``type`` (``string`` and ``integer``), ``enum``, ``minimum``,
``maximum``, ``pattern`` (whole value), ``unique`` and the ``primaryKey``, the
self-referencing foreign key of ``rereports``, and ``missingValues``.

Domain rules (what a reviewer checks, see CONTRIBUTING.md): events never exceed
the arm; counts present exactly when status is verified or derived; a verified
or derived row has a source and a verbatim quote, an outcome type and a
definition; a derived row shows its arithmetic in ``notes``; a crossover trial
says whether its counts are first-period or paired (and paired counts are never
pooled as independent arms); every study has a bibliography entry whose year
and DOI agree with the row; the year is within the trial era (1980 to the
current year); no trial enters an analysis twice through a re-report; risk of
bias judgements are consistent and carry their provenance.

References
----------
Frictionless Data, *Table Schema* and *Data Package* specifications,
https://specs.frictionlessdata.io/.
Sterne JAC et al. RoB 2: a revised tool for assessing risk of bias in
randomised trials. BMJ 2019;366:l4898 (overall judgement algorithm).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from analysis import vocabulary
from analysis.evidence import bibtex, csvfile, quotes
from analysis.evidence.csvfile import Problem, display
from analysis.evidence.table import INVALID, MAX_BYTES, RULES
from analysis.evidence.table import Collector as _Collector
from analysis.evidence.table import check_header as _check_header
from analysis.evidence.table import records as _records
from analysis.evidence.table import show as _show

#: The project's data directory (``data/`` beside the ``analysis`` package).
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
STUDIES = "studies.csv"
PACKAGE = "datapackage.json"
BIBLIOGRAPHY = "references.bib"

#: An arm smaller than this is flagged for review.
TINY_ARM = 10

COUNTS = ("ivig_improved", "ivig_total", "control_improved", "control_total")
ARMS = (("ivig_improved", "ivig_total", "IVIG"), ("control_improved", "control_total", "control"))
WITH_COUNTS = frozenset({"verified", "derived"})
PRIMARY_OUTCOMES = frozenset(vocabulary.PRIMARY_OUTCOMES)
ROB_DOMAINS = ("rob_d1", "rob_d2", "rob_d3", "rob_d4", "rob_d5")
#: Columns the domain rules (and the analysis) rely on; the descriptor must declare them.
DOMAIN_COLUMNS = (
    ("study_id", "author", "year", "disease", "comparator")
    + COUNTS
    + ("outcome_type", "outcome_definition", "design", "status", "pmid", "doi")
    + ("source_url", "source_quote", "notes", "crossover_data", "rereports")
    + ROB_DOMAINS
    + ("rob_overall", "rob_source")
)
SUPPORTED_TYPES = frozenset({"string", "integer"})

_CROSSOVER = re.compile(r"cross-?over", re.IGNORECASE)
_NUM = r"[0-9]+(?:\.[0-9]+)?"
_OP = r"\s*[-+x×*/÷−]\s*"
# "24 - 21 = 3", "21 - 11 stopped = 10" (a few words before the result) or "60.0% = 18/30"
_ARITHMETIC = re.compile(
    rf"{_NUM}{_OP}{_NUM}[^=;.\n]{{0,20}}?\s*=\s*[0-9]|{_NUM}%?\s*=\s*{_NUM}{_OP}{_NUM}"
)


def _val(r: dict, col: str):
    """The usable value of a cell: None when blank or invalid."""
    v = r.get(col)
    return None if v is INVALID else v


@dataclass(frozen=True)
class Report:
    """The outcome of :func:`validate`.

    Attributes
    ----------
    studies : pathlib.Path
        The table checked.
    package : pathlib.Path
        The descriptor whose schema was applied.
    bibliography : pathlib.Path
        The bibliography checked against.
    fields : tuple of dict
        The schema's field descriptors, in order.
    records : tuple of dict
        One dict per data row: column -> typed value (``int`` for integer
        columns, ``str`` otherwise, ``None`` when blank or unreadable).
    problems : tuple of Problem
        Every problem, errors and warnings, in file and row order.
    """

    studies: Path
    package: Path
    bibliography: Path
    fields: tuple[dict, ...] = ()
    records: tuple[dict, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors


def locate(path: Path | None = None) -> tuple[Path, Path, Path]:
    """Find the table, descriptor and bibliography to check.

    ``path`` is a directory holding ``studies.csv`` or a CSV file. The
    descriptor and bibliography are taken from the same directory when present
    there and from the project's ``data/`` otherwise (so a single edited CSV can
    be checked against the shipped schema and references).
    """
    path = DATA_DIR if path is None else Path(path)
    if path.is_dir():
        folder, table = path, path / STUDIES
    else:
        folder, table = path.parent, path
    package = folder / PACKAGE if (folder / PACKAGE).exists() else DATA_DIR / PACKAGE
    bib = folder / BIBLIOGRAPHY if (folder / BIBLIOGRAPHY).exists() else DATA_DIR / BIBLIOGRAPHY
    return table, package, bib


# --------------------------------------------------------------------------- descriptor


#: Keys of a field whose value is prose (shown escaped) and may differ from the rules.
_PROSE = frozenset({"title", "description"})


def _path(parts: tuple) -> str:
    """A JSON path as ``resources[0].schema.fields[3].constraints``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "$"


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )


def _compare(got: object, rule: object, where: tuple, name: str, out: _Collector) -> bool:
    """Report every place where ``got`` differs from the project's ``rule`` (prose excepted)."""
    if isinstance(rule, dict):
        if not isinstance(got, dict):
            out.error(name, None, _path(where), f"must be {_kind(rule)}, not {_kind(got)}")
            return False
        ok = True
        for key in rule:
            if key in _PROSE and isinstance(got.get(key, ""), str):
                continue
            if key not in got:
                out.error(name, None, _path((*where, key)), "missing: the project's rules set it")
                ok = False
            else:
                ok &= _compare(got[key], rule[key], (*where, key), name, out)
        for key in got:
            if key not in rule and not (key in _PROSE and isinstance(got[key], str)):
                out.error(
                    name,
                    None,
                    _path((*where, key)),
                    "not in the project's rules: a rule is changed in"
                    " analysis/evidence/datapackage.json, by a maintainer",
                    _show(json.dumps(got[key], ensure_ascii=False)),
                )
                ok = False
        return ok
    if isinstance(rule, list):
        if not isinstance(got, list):
            out.error(name, None, _path(where), f"must be {_kind(rule)}, not {_kind(got)}")
            return False
        scalars = not any(isinstance(x, dict | list) for x in (*got, *rule))
        if scalars and got != rule:
            extra = [x for x in got if x not in rule]
            missing = [x for x in rule if x not in got]
            for x in extra:
                out.error(
                    name,
                    None,
                    _path(where),
                    "a value the project's rules do not allow: a rule is changed in"
                    " analysis/evidence/datapackage.json, by a maintainer",
                    _show(json.dumps(x, ensure_ascii=False)),
                )
            for x in missing:
                out.error(
                    name,
                    None,
                    _path(where),
                    "a value of the project's rules is missing",
                    _show(json.dumps(x, ensure_ascii=False)),
                )
            if extra or missing:
                return False
        if len(got) != len(rule) and not all(isinstance(x, dict) for x in rule):
            out.error(
                name,
                None,
                _path(where),
                "differs from the project's rules: a rule is changed in"
                " analysis/evidence/datapackage.json, by a maintainer",
                _show(json.dumps(got, ensure_ascii=False)),
            )
            return False
        ok = True
        for i, (g, r) in enumerate(zip(got, rule, strict=False)):
            ok &= _compare(g, r, (*where, i), name, out)
        if len(got) != len(rule):
            out.error(
                name, None, _path(where), f"has {len(got)} entries; the project's rules {len(rule)}"
            )
            ok = False
        return ok
    if got != rule or type(got) is not type(rule):
        out.error(
            name,
            None,
            _path(where),
            f"differs from the project's rules ({_show(json.dumps(rule, ensure_ascii=False))}):"
            " a rule is changed in analysis/evidence/datapackage.json, by a maintainer",
            _show(json.dumps(got, ensure_ascii=False)),
        )
        return False
    return True


def read_package(path: Path, out: _Collector) -> list[dict] | None:
    """Read the descriptor, check it against the project's rules, return its schema fields.

    The rules (types, constraints, patterns, keys, dialect) are the project's own
    (:data:`RULES`), never the pull request's: a descriptor that loosens or changes one,
    or is malformed (a list where an object belongs), is an error naming the JSON path;
    only prose (``title``, ``description``) may differ. The fields returned carry the
    project's rules with the descriptor's prose. None when the descriptor is unusable.
    """
    name = display(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        out.error(name, None, "-", "file not found")
        return None
    except OSError as exc:
        out.error(name, None, "-", "cannot read the file", exc.strerror)
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a byte-order mark, as every reader of data/ ignores it
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.error(name, None, "-", "not UTF-8 text", f"byte at offset {exc.start}")
        return None
    try:
        pkg = json.loads(text)
    except json.JSONDecodeError as exc:
        out.error(name, exc.lineno, str(exc.colno), "invalid JSON", exc.msg)
        return None
    except RecursionError:
        out.error(name, None, "-", "invalid JSON", "nested too deeply")
        return None
    rules = json.loads(RULES.read_text(encoding="utf-8"))
    if not isinstance(pkg, dict):
        out.error(name, None, "$", f"must be an object, not {_kind(pkg)}")
        return None
    try:
        fields = pkg["resources"][0]["schema"]["fields"]
    except (KeyError, IndexError, TypeError):
        out.error(name, None, "-", "no resources[0].schema.fields in the descriptor")
        return None
    if not isinstance(fields, list):
        out.error(name, None, "resources[0].schema.fields", f"must be a list, not {_kind(fields)}")
        return None
    n = len(out.items)
    _check_fields(fields, rules["resources"][0]["schema"]["fields"], name, out)
    if len(out.items) > n:
        return None
    ok = _compare(pkg.get("resources"), rules["resources"], ("resources",), name, out)
    for key in ("profile", "name"):
        ok &= _compare(pkg.get(key), rules[key], (key,), name, out)
    if not ok:
        return None
    prose = {f["name"]: f for f in fields}
    merged = []
    for rule in rules["resources"][0]["schema"]["fields"]:
        f = dict(rule)
        f.update({k: v for k, v in prose[rule["name"]].items() if k in _PROSE})
        merged.append(f)
    return merged


def _check_fields(fields: list, rules: list[dict], name: str, out: _Collector) -> None:
    """Names and types first, in the words the earlier validator used (a clearer message)."""
    names = []
    for i, f in enumerate(fields):
        where = f"resources[0].schema.fields[{i}]"
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            out.error(name, None, f"fields[{i}]", "field without a name")
            continue
        names.append(f["name"])
        if f.get("type", "string") not in SUPPORTED_TYPES:
            out.error(name, None, f["name"], "unsupported field type", _show(str(f.get("type"))))
        cons = f.get("constraints", {})
        if not isinstance(cons, dict):
            out.error(name, None, f"{where}.constraints", f"must be an object, not {_kind(cons)}")
    for col in DOMAIN_COLUMNS:
        if col not in names:
            out.error(name, None, col, "column missing from the schema")
    expected = [r["name"] for r in rules]
    for col in names:
        if col not in expected:
            out.error(
                name,
                None,
                _show(col),
                "column not in the project's rules: a new column is added in"
                " analysis/evidence/datapackage.json, by a maintainer",
            )


def package_fields(path: Path | None = None) -> list[dict]:
    """The schema fields of the descriptor at ``path`` (default: the project's)."""
    path = DATA_DIR / PACKAGE if path is None else Path(path)
    out = _Collector()
    fields = read_package(path, out)
    if fields is None:
        raise ValueError("; ".join(str(p) for p in out.items))
    return fields


# --------------------------------------------------------------------------- the table


def _read_rows(path: Path, out: _Collector) -> list[tuple[int, list[str]]] | None:
    """The CSV's (spreadsheet row, cells) pairs, header first; None when there are none.

    Read by :mod:`analysis.evidence.csvfile` in its ``"all"`` mode: bytes that are not
    UTF-8 stay as surrogate escapes, for :func:`_parse_cell` to report with their column.
    """
    table = csvfile.read(path, mode="all", name=display(path), max_bytes=MAX_BYTES)
    out.items.extend(table.problems)
    if not table.rows:
        if all(p.severity == "warning" for p in table.problems):  # no reason given yet
            out.error(table.name, 1, "-", "empty file: expected a header row")
        return None
    return list(table.rows)


def _unique(records, fields, name, out) -> None:
    for f in fields:
        if not f.get("constraints", {}).get("unique") and f["name"] != "study_id":
            continue
        first: dict = {}
        fold = f["name"] == "study_id"  # ids name files and citation keys: case never tells apart
        for row, rec in records:
            v = _val(rec, f["name"])
            if v is None:
                continue
            k = v.casefold() if fold and isinstance(v, str) else v
            if k in first:
                prev_row, prev = first[k]
                rule = f"duplicate value: already on row {prev_row}"
                if prev != v:
                    rule += f" as {_show(str(prev))} (ids differing only in case are the same)"
                out.error(name, row, f["name"], rule, _show(str(v)))
            else:
                first[k] = (row, v)


def _row_rules(row: int, r: dict, name: str, out: _Collector, this_year: int) -> None:
    status = _val(r, "status")
    counted = status in WITH_COUNTS
    year = _val(r, "year")
    if year is not None and year > this_year:
        out.error(name, row, "year", f"after the current year {this_year}", str(year))
    if status is not None:
        for col in COUNTS:
            if counted and r.get(col) is None:
                out.error(name, row, col, f"count required when status is {status}", "empty")
            if status == "pending" and _val(r, col) is not None:
                out.error(
                    name, row, col, "count must be blank while status is pending", str(r[col])
                )
        if counted:
            for col in ("source_url", "source_quote", "outcome_type", "outcome_definition"):
                if r.get(col) is None:
                    out.error(name, row, col, f"required when status is {status}", "empty")
        if status == "derived" and not _ARITHMETIC.search(_val(r, "notes") or ""):
            out.error(
                name,
                row,
                "notes",
                "a derived row must show its arithmetic in notes, e.g. '24 - 21 = 3'",
                _show(_val(r, "notes"), 40),
            )
    for events, total, arm in ARMS:
        e, n = _val(r, events), _val(r, total)
        if e is not None and n is not None and e > n:
            out.error(
                name, row, events, f"more events than patients in the {arm} arm", f"{e} > {n}"
            )
    # crossover
    design, cross = _val(r, "design") or "", _val(r, "crossover_data")
    if cross is not None:
        is_cross = bool(_CROSSOVER.search(design))
        if is_cross and cross == "not_applicable":
            out.error(
                name,
                row,
                "crossover_data",
                "design is a crossover: say first_period or paired",
                cross,
            )
        if not is_cross and cross in ("first_period", "paired"):
            out.error(
                name,
                row,
                "crossover_data",
                f"{cross} but the design is not a crossover",
                _show(design, 40),
            )
        if cross == "unknown" and status is not None and status != "pending":
            out.error(name, row, "crossover_data", "unknown is allowed only while pending", cross)
        if cross == "paired":
            for col in COUNTS:
                if _val(r, col) is not None:
                    out.error(
                        name,
                        row,
                        col,
                        "paired crossover counts cannot be pooled as independent arms:"
                        " leave the counts blank",
                        str(r[col]),
                    )
    # risk of bias
    domains = [_val(r, d) for d in ROB_DOMAINS]
    overall = _val(r, "rob_overall")
    if None not in domains and overall is not None:
        if "high" in domains and overall != "high":
            out.error(name, row, "rob_overall", "must be high when a domain is high", overall)
        elif "high" not in domains and "not_assessed" in domains and overall != "not_assessed":
            out.error(
                name,
                row,
                "rob_overall",
                "must be not_assessed while a domain is not assessed",
                overall,
            )
        elif overall == "low" and any(d != "low" for d in domains):
            out.error(name, row, "rob_overall", "low needs every domain low", overall)
        elif "not_assessed" not in domains and overall == "not_assessed":
            out.error(name, row, "rob_overall", "every domain is judged: judge overall", overall)
    judged = [d for d in (*domains, overall) if d is not None and d != "not_assessed"]
    if judged and _val(r, "rob_source") is None:
        out.error(name, row, "rob_source", "a risk-of-bias judgement needs its provenance", "empty")
    # warnings a reviewer should look at
    if counted and None not in (_val(r, c) for c in COUNTS):
        for events, total, arm in ARMS:
            e, n = r[events], r[total]
            if e == 0:
                out.warn(name, row, events, f"zero cell: no events in the {arm} arm", f"0/{n}")
            elif e == n:
                out.warn(
                    name,
                    row,
                    events,
                    f"zero cell: every patient in the {arm} arm had the event",
                    f"{e}/{n}",
                )
            if n < TINY_ARM:
                out.warn(name, row, total, f"tiny arm: fewer than {TINY_ARM} patients", str(n))
        if _val(r, "outcome_type") is not None and r["outcome_type"] not in PRIMARY_OUTCOMES:
            out.warn(
                name,
                row,
                "outcome_type",
                "outside the primary analysis (improvement, responder): sensitivity analyses only",
                r["outcome_type"],
            )


def _rereports(records, name, out) -> None:
    rows = {rec["study_id"]: (row, rec) for row, rec in records if _val(rec, "study_id")}

    def included(rec: dict) -> bool:
        return _val(rec, "status") in WITH_COUNTS and all(_val(rec, c) is not None for c in COUNTS)

    for row, rec in records:
        target = _val(rec, "rereports")
        if target is None:
            continue
        if target == _val(rec, "study_id"):
            out.error(name, row, "rereports", "a row cannot re-report itself", target)
        elif target not in rows:
            out.error(name, row, "rereports", "names no study_id in this file", _show(target))
        elif included(rec) and included(rows[target][1]):
            out.error(
                name,
                row,
                "rereports",
                f"re-reports a trial already counted on row {rows[target][0]}:"
                " only one report of a trial may carry counts",
                target,
            )


def _bibliography(path: Path, records, name, out) -> None:
    bname = display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        out.error(bname, None, "-", "file not found")
        return
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        out.error(bname, line, "-", "not UTF-8 text: save the file as UTF-8")
        return
    entries, syntax = bibtex.parse(text)
    for s in syntax:
        out.error(bname, s.line, "-", s.message)
    keys: dict[str, bibtex.Entry] = {}
    folded: dict[str, bibtex.Entry] = {}  # BibTeX keys are case-insensitive
    for e in entries:
        if e.key.casefold() in folded:
            first = folded[e.key.casefold()]
            out.error(bname, e.line, e.key, f"duplicate key: first on line {first.line}")
            continue
        keys[e.key] = folded[e.key.casefold()] = e
        if e.key.casefold() in bibtex.method_keys():
            out.error(
                bname,
                e.line,
                e.key,
                "key of a reference the review's own text cites (analysis/report/methods.bib): "
                "a trial or published review needs another key",
            )
        if "doi" in e.fields and not re.fullmatch(r"10\.[0-9]{4,9}/\S+", e.fields["doi"]):
            out.error(bname, e.field_lines["doi"], "doi", "malformed DOI", _show(e.fields["doi"]))
        if "pmid" in e.fields and not re.fullmatch(r"[1-9][0-9]{0,8}", e.fields["pmid"]):
            out.error(
                bname, e.field_lines["pmid"], "pmid", "malformed PMID", _show(e.fields["pmid"])
            )
    for row, rec in records:
        sid = _val(rec, "study_id")
        if sid is None:
            continue
        entry = keys.get(sid)
        if entry is None:
            out.error(name, row, "study_id", f"no entry in {path.name}", sid)
            continue
        if _val(rec, "year") is not None and entry.fields.get("year") != str(rec["year"]):
            out.error(
                bname,
                entry.field_lines.get("year", entry.line),
                "year",
                f"{sid}: year differs from {Path(name).name} row {row}",
                f"{entry.fields.get('year', 'missing')} vs {rec['year']}",
            )
        bib_doi, row_doi = entry.fields.get("doi"), _val(rec, "doi")
        if bib_doi and row_doi and bib_doi.lower() != row_doi.lower():
            out.error(
                bname,
                entry.field_lines["doi"],
                "doi",
                f"{sid}: DOI differs from {Path(name).name} row {row}",
                f"{bib_doi} vs {row_doi}",
            )


def validate(path: Path | str | None = None, *, this_year: int | None = None) -> Report:
    """Check a data directory (or one CSV file) and collect every problem.

    Parameters
    ----------
    path : path-like, optional
        A directory with ``studies.csv`` or a CSV file; default the project's
        ``data/``. See :func:`locate` for where the descriptor and bibliography
        come from.
    this_year : int, optional
        The last allowed trial year; default the current UTC year.

    Returns
    -------
    Report
        All problems (errors first within each row, in file order) and the
        typed records. Nothing on disk is written.
    """
    table, package, bib = locate(None if path is None else Path(path))
    this_year = this_year or _dt.datetime.now(_dt.UTC).year
    out = _Collector()
    fields = read_package(package, out)
    if fields is None:
        return Report(table, package, bib, problems=tuple(out.items))
    name = display(table)
    rows = _read_rows(table, out)
    if not rows:
        return Report(table, package, bib, tuple(fields), problems=tuple(out.items))
    if not _check_header(rows[0][1], fields, name, out):
        return Report(table, package, bib, tuple(fields), problems=tuple(out.items))
    records = _records(rows, fields, name, out)
    if not records and not any(p.rule.startswith("malformed CSV") for p in out.items):
        out.error(name, 2, "-", "no trial rows below the header")
    _unique(records, fields, name, out)
    for row, rec in records:
        _row_rules(row, rec, name, out, this_year)
        quotes.check_record(rec, functools.partial(out.warn, name, row))  # counts vs quote
    _rereports(records, name, out)
    _bibliography(bib, records, name, out)
    from analysis.evidence import search  # the search record (data/search.yaml)

    if (table.parent / search.FILE).exists() or table.parent.resolve() == DATA_DIR.resolve():
        search.check(table.parent / search.FILE, out, this_year=this_year)

    from analysis.evidence import certainty_file  # reviewers' GRADE judgements beside the table

    out.items.extend(certainty_file.check(table.parent / certainty_file.CERTAINTY, fields))
    from analysis.evidence import datafiles  # every other file of data/, and data/ itself

    out.items.extend(datafiles.text_cells(name, records))
    meta = table.parent.parent / "review-metadata.yml"
    ctx = datafiles.Context(
        table.parent,
        tuple(fields),
        this_year,
        meta if meta.is_file() else DATA_DIR.parent / meta.name,
        display,
    )
    whole = path is None or Path(path).is_dir()
    here = table.parent.resolve() == DATA_DIR.resolve()
    out.items.extend(
        datafiles.check(table.parent, ctx, whole_folder=whole, required=here, bibliography=bib)
    )

    from analysis.evidence import outcomes  # the protocol (protocol.yaml) and every outcome

    typed = [{k: _val(rec, k) for k in rec} for _, rec in records]
    outcomes.check_beside(
        table.parent, typed, out, project=table.parent.resolve() == DATA_DIR.resolve()
    )
    order = {display(p): i for i, p in enumerate((package, table, bib))}
    position = {f["name"]: i for i, f in enumerate(fields)}

    def key(p: Problem) -> tuple:
        in_row = position.get(p.column, len(position)) if p.file == name and (p.row or 0) > 1 else 0
        return (order.get(p.file, 9), p.row or 0, p.severity == "warning", in_row)

    problems = sorted(out.items, key=key)
    clean = tuple({k: _val(rec, k) for k in rec} for _, rec in records)
    return Report(table, package, bib, tuple(fields), clean, tuple(problems))
