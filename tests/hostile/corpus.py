"""The hostile corpus (issue 11): what a pull request could put in ``data/``.

Each entry is the project's ``data/`` with one edit, made by a function here so that the
corpus follows the register as it grows. :data:`REFUSED` must fail validation with the
exact lines given; :data:`PAYLOADS` are texts that must pass and then show literally,
never as markup, on every page, in the PDF and in the pull-request comment.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.snapshot import SNAPSHOT, copy_snapshot

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"  # only checked to be left untouched; the tests edit copies of SNAPSHOT

#: Markup a contributor could type into a text field: HTML, raw pandoc attributes, a
#: citation, an image, a javascript: link, a mention and an issue reference, entities,
#: a script end tag. Each is shorter than the register's 160-character excerpt.
PAYLOADS = (
    "<img src=x onerror=alert(1)> <svg onload=alert(2)>",
    '<iframe srcdoc="<script>alert(3)</script>"></iframe>',
    '`<b id=raw>raw</b>`{=html} and `#panic("typst")`{=typst}',
    "Reported by @jsmith ![pic](http://127.0.0.1:9/x.png) [click](javascript:alert(4))",
    "&#64;jsmith and #12 </script><script>alert(5)</script> $x$ **b** <https://e.org>",
)


def rows(data: Path = SNAPSHOT) -> tuple[list[str], list[dict[str, str]]]:
    text = (data / "studies.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


def write_rows(data: Path, header: list[str], table: list[dict[str, str]], **kw) -> None:
    out = io.StringIO(newline="")
    w = csv.DictWriter(out, header, lineterminator=kw.get("lineterminator", "\n"))
    w.writeheader()
    w.writerows(table)
    raw = out.getvalue().encode("utf-8")
    (data / "studies.csv").write_bytes(kw.get("prefix", b"") + raw)


def copy_data(dest: Path) -> Path:
    """The frozen data snapshot (tests/fixtures/data_snapshot) copied into *dest*."""
    return copy_snapshot(dest)


def _descriptor(edit: Callable[[dict], object]) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        path = data / "datapackage.json"
        pkg = json.loads(path.read_text(encoding="utf-8"))
        result = edit(pkg)
        path.write_text(json.dumps(pkg if result is None else result, indent=2), encoding="utf-8")

    return apply


def _fields(pkg: dict) -> list[dict]:
    return pkg["resources"][0]["schema"]["fields"]


def _field(pkg: dict, name: str) -> dict:
    return next(f for f in _fields(pkg) if f["name"] == name)


def _row_edit(edit: Callable[[list[dict[str, str]]], None]) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        header, table = rows(data)
        edit(table)
        write_rows(data, header, table)

    return apply


def _first(table, status="verified") -> dict[str, str]:
    return next(r for r in table if r["status"] == status)


def _bib(edit: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        path = data / "references.bib"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    return apply


def _extra_brace(text: str) -> str:
    return text.replace(
        "  doi       = {10.1016/S1474-4422(07)70329-0},",
        "  doi       = {10.1016/S1474-4422(07)70329-0}},",
        1,
    )


def _case_twin(table) -> None:
    table[1]["study_id"] = table[0]["study_id"].upper()


#: name -> (edit of a copy of data/, expected stderr lines before the summary line;
#: {pkg}/{csv}/{bib} = the copy's files)
REFUSED: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "descriptor_new_status_value": (
        _descriptor(lambda p: _field(p, "status")["constraints"]["enum"].append("checked")),
        [
            "{pkg}:-:resources[0].schema.fields[14].constraints.enum: a value the project's"
            " rules do not allow: a rule is changed in analysis/evidence/datapackage.json,"
            ' by a maintainer ("checked")',
        ],
    ),
    "descriptor_negative_minimum": (
        _descriptor(lambda p: _field(p, "ivig_improved")["constraints"].update(minimum=-5)),
        [
            "{pkg}:-:resources[0].schema.fields[6].constraints.minimum: differs from the"
            " project's rules (0): a rule is changed in analysis/evidence/datapackage.json,"
            " by a maintainer (-5)",
        ],
    ),
    "descriptor_pathological_pattern": (
        _descriptor(lambda p: _field(p, "study_id")["constraints"].update(pattern="(a+)+$")),
        [
            "{pkg}:-:resources[0].schema.fields[0].constraints.pattern: differs from the"
            ' project\'s rules ("[A-Za-z][A-Za-z]*[0-9]{{4}}(_[A-Za-z0-9]+)*"): a rule is'
            ' changed in analysis/evidence/datapackage.json, by a maintainer ("(a+)+$")',
        ],
    ),
    "descriptor_type_changed": (
        _descriptor(lambda p: _field(p, "ivig_total").update(type="number")),
        ["{pkg}:-:ivig_total: unsupported field type (number)"],
    ),
    "descriptor_maximum_removed": (
        _descriptor(lambda p: _field(p, "control_total")["constraints"].pop("maximum") and None),
        [
            "{pkg}:-:resources[0].schema.fields[9].constraints.maximum: missing: the"
            " project's rules set it",
        ],
    ),
    "descriptor_constraints_a_list": (
        _descriptor(lambda p: _field(p, "author").update(constraints=[])),
        ["{pkg}:-:resources[0].schema.fields[1].constraints: must be an object, not a list"],
    ),
    "descriptor_fields_an_object": (
        _descriptor(lambda p: p["resources"][0]["schema"].update(fields={})),
        ["{pkg}:-:resources[0].schema.fields: must be a list, not an object"],
    ),
    "descriptor_a_list": (
        _descriptor(lambda p: [p]),
        ["{pkg}:-:$: must be an object, not a list"],
    ),
    "descriptor_markup_in_a_rule": (
        _descriptor(
            lambda p: _field(p, "disease")["constraints"]["enum"].append("<img src=x onerror=1>")
        ),
        [
            "{pkg}:-:resources[0].schema.fields[3].constraints.enum: a value the project's"
            " rules do not allow: a rule is changed in analysis/evidence/datapackage.json,"
            ' by a maintainer ("<img src=x onerror=1>")',
        ],
    ),
    "count_astronomical": (
        _row_edit(lambda t: _first(t).update(ivig_total="1" + "0" * 30)),
        ["{csv}:2:ivig_total: too large: at most 15 digits (10000000000000000000000000000…)"],
    ),
    "count_above_bound": (
        _row_edit(lambda t: _first(t).update(control_total="100000000")),
        ["{csv}:2:control_total: above the maximum 10000000 (100000000)"],
    ),
    "study_id_case_twin": (
        _row_edit(_case_twin),
        [
            "{csv}:3:study_id: duplicate value: already on row 2 as Hughes2008_ICE (ids"
            " differing only in case are the same) (HUGHES2008_ICE)",
            "{csv}:3:study_id: no entry in references.bib (HUGHES2008_ICE)",
        ],
    ),
    "bibliography_extra_brace": (
        _bib(_extra_brace),
        [
            "{bib}:17:-: text after the end of entry Hughes2008_ICE: an extra closing brace"
            " ended it early?",
        ],
    ),
}


#: (field of data/datapackage.json, published.yaml key) carrying a payload in the site build
DESCRIPTION_FIELD = "population"


def inject(data: Path) -> list[str]:
    """Put :data:`PAYLOADS` into a copy of ``data/``: the notes of the first pending rows
    (shown on the evidence register), every free-text column of a verified row, one
    description of the descriptor (the data dictionary) and the source of the first
    published result (the summary page). Returns the payloads placed."""
    header, table = rows(data)
    pending = [r for r in table if r["status"] == "pending"]
    for row, payload in zip(pending, PAYLOADS, strict=False):
        row["notes"] = payload
    verified = _first(table)
    for col in ("population", "outcome_definition", "timepoint", "source_quote"):
        verified[col] = PAYLOADS[0] + " " + PAYLOADS[3]
    write_rows(data, header, table)
    path = data / "datapackage.json"
    pkg = json.loads(path.read_text(encoding="utf-8"))
    _field(pkg, DESCRIPTION_FIELD)["description"] = PAYLOADS[1] + " " + PAYLOADS[2]
    path.write_text(json.dumps(pkg, indent=2) + "\n", encoding="utf-8")
    pub = data / "published.yaml"
    text = pub.read_text(encoding="utf-8")
    marker = "  source: "
    i = text.index(marker)
    j = text.index("\n", i)
    text = text[:i] + marker + json.dumps(PAYLOADS[4]) + text[j:]
    pub.write_text(text, encoding="utf-8")
    inject_round_two(data)
    return list(PAYLOADS)


#: Text a bibliography field may hold (markup there is refused: tests/hostile/datafiles.py).
BIB_TEXT = "Hostile *b* _i_ 5 > 4 & 50\\% {A}"

#: The text a contributor typed where a comment opens in HTML: once it broke a chart's JSON.
COMMENT_OPEN = "Hughes <!-- x"


def _yaml_line(text: str, key: str, value: str, nth: int = 1) -> str:
    """Replace the value of the nth ``key:`` line (a one-line value) with ``value``, quoted."""
    start = -1
    for _ in range(nth):
        start = text.index(f"  {key}: ", start + 1)
    end = text.index("\n", start)
    return text[:start] + f"  {key}: {json.dumps(value)}" + text[end:]


def inject_round_two(data: Path) -> None:
    """Issue 25: payloads in every text field of the other data files (each still valid):
    published.yaml (population, outcome, result, result_note and the source review's
    source, whose first part heads a column of the home page), search.yaml (the
    eligibility outcome and the access statement of the Methods chapter), the title of the
    source review cited on the home page, a reviewer's certainty rationale (signed by an
    author named in review-metadata.yml), and ``<!--`` in a trial's author (a forest plot's
    label)."""
    pub = data / "published.yaml"
    text = pub.read_text(encoding="utf-8")
    text = _yaml_line(text, "population", PAYLOADS[0], 2)
    text = _yaml_line(text, "outcome", PAYLOADS[3], 2)
    text = _yaml_line(text, "result", PAYLOADS[2], 1)
    text = _yaml_line(text, "result_note", PAYLOADS[1], 1)
    text = _yaml_line(text, "source", PAYLOADS[0] + ", the source review", 8)
    pub.write_text(text, encoding="utf-8")
    search = data / "search.yaml"
    text = search.read_text(encoding="utf-8")
    text = text.replace(
        "  outcome: the number of patients who improved, as each trial defined improvement",
        "  outcome: " + json.dumps(PAYLOADS[0] + " " + PAYLOADS[3]),
    )
    search.write_text(text, encoding="utf-8")
    bib = data / "references.bib"
    text = bib.read_text(encoding="utf-8")
    text = text.replace(
        "  title     = {Efficacy of intravenous immunoglobulin",
        "  title     = {" + BIB_TEXT + " Efficacy of intravenous immunoglobulin",
        1,
    )
    bib.write_text(text, encoding="utf-8")
    meta = data.parent / "review-metadata.yml"
    if meta.is_file():
        text = meta.read_text(encoding="utf-8").replace(
            "authors: []",
            "authors:\n  - family-names: Reviewer\n    given-names: Ann\n"
            "    affiliation: Hostile corpus\n    contributions: [Formal analysis]",
        )
        meta.write_text(text, encoding="utf-8")
        out = io.StringIO(newline="")
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["comparison", "disease", "domain", "rating", "rationale", "reviewer"])
        w.writerow(["placebo", "all", "imprecision", "very_serious", PAYLOADS[1], "Ann Reviewer"])
        (data / "certainty.csv").write_text(out.getvalue(), encoding="utf-8")
    header, table = rows(data)
    first = next(r for r in table if r["study_id"] == "Hughes2008_ICE")
    first["author"] = COMMENT_OPEN
    write_rows(data, header, table)


def copy_project(dest: Path) -> Path:
    """The project's sources (no git, virtual environment, node modules or built site)."""
    shutil.copytree(
        ROOT,
        dest,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "node_modules",
            ".quarto-cli",
            "_site",
            "_site.*",
            ".quarto",
            "__pycache__",
            "*.egg-info",
            ".pytest_cache",
            ".hypothesis",
            ".ruff_cache",
            "tests",
            "bench",
        ),
    )
    return dest
