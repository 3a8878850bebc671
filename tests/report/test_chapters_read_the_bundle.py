"""The chapters read only the results bundle; the build validates ``data/`` once.

Every chapter runs in its own Jupyter kernel. Before, each kernel read and validated
``data/`` again (the register, the search record, the surveillance record, the published
results, the outcomes, the descriptor): 1 + N validations per build. Now the bundle carries
what the chapters show of ``data/`` (:mod:`analysis.report.data_sections`), and the chapters'
API reads that. These tests show it: the chapters run with ``data/`` deleted once the bundle
is written, the register they see is the validated one, and a build whose ``data/`` is broken
after the bundle is written still renders (with one validation in the build process).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from analysis.report import data_sections
from analysis.report import results_bundle as bundle_mod
from tests.snapshot import project

#: the bundle's top-level keys before the data sections, kept byte-identical
EARLIER_KEYS = {
    "choice_of_outcome",
    "commit",
    "comparisons",
    "completeness",
    "few_trials",
    "generated",
    "harms",
    "methods",
    "protocol",
    "register",
    "released",
    "software",
    "unavailable",
    "version",
}

#: the keys added so that no chapter reads data/, and what each is for
NEW_KEYS = {
    "studies": "the register's rows (the columns the chapters use): tables, register, labels",
    "data_dictionary": "the schema fields of studies.csv (the data dictionary page)",
    "search": "the search record, its dates, and the trials new since the source review",
    "surveillance": "the surveillance facts the Methods and the PRISMA flow show",
    "published": "published pooled results shown beside ours",
    "outcomes": "every outcome of outcomes.csv (the register's every-outcome table)",
}


def test_the_bundle_names_its_new_sections(snapshot_bundle):
    """results.json gains exactly the data sections; every earlier key is still there."""
    assert set(NEW_KEYS) == set(data_sections.SECTIONS)
    assert set(snapshot_bundle) == EARLIER_KEYS | set(NEW_KEYS)
    assert all(snapshot_bundle[k] is not None for k in NEW_KEYS)  # the snapshot has every file
    # plain JSON values only (dates as text), and no contact address in the published file
    json.dumps({k: snapshot_bundle[k] for k in NEW_KEYS}, allow_nan=False)
    assert "contact_email" not in snapshot_bundle["surveillance"]
    assert all(set(r) == set(data_sections.COLUMNS) for r in snapshot_bundle["studies"])


def test_the_earlier_keys_do_not_depend_on_the_new_sections(
    snapshot_root, snapshot_bundle, monkeypatch
):
    """The data sections sit beside the results, never mixed into them: the bundle computed
    without them has every earlier key byte-identical (on this snapshot, also identical to
    the bundle computed before the sections were added)."""
    monkeypatch.setattr(data_sections, "compute", lambda data_dir, df: {})
    without = bundle_mod.compute(snapshot_root)
    assert set(without) == EARLIER_KEYS | {"outcomes"}  # outcomes: from protocol_results
    for key in EARLIER_KEYS - {"generated"}:
        assert bundle_mod.dumps({key: without[key]}) == bundle_mod.dumps(
            {key: snapshot_bundle[key]}
        ), key


def test_the_register_rebuilt_from_the_bundle_is_the_validated_one(
    snapshot_bundle, snapshot_studies
):
    """Same rows, order, values and dtypes (nullable Int64, string) as load_studies."""
    rebuilt = data_sections.frame(snapshot_bundle["studies"], snapshot_bundle["data_dictionary"])
    expected = snapshot_studies.loc[:, list(data_sections.COLUMNS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(rebuilt, expected)
    assert str(rebuilt["ivig_total"].dtype) == "Int64"
    assert str(rebuilt["study_id"].dtype) == "string"


def test_the_search_section_is_the_search_record(snapshot_root, snapshot_bundle):
    from analysis.evidence import search

    rec = search.load(snapshot_root / "data")
    s = snapshot_bundle["search"]
    assert s["last_searched"] == rec.last_searched.isoformat()
    assert s["source_review_until"] == rec.source_review_until
    years = {r["study_id"]: r["year"] for r in snapshot_bundle["studies"]}
    assert s["new_trials"] == search.new_since_source_review(rec, years)


def test_a_missing_section_is_one_clear_line(snapshot_bundle, monkeypatch):
    """A data set without search.yaml (or a bundle from before the sections) is named, never
    a blank or a KeyError."""
    from analysis.errors import UserError
    from analysis.report.chapters import loading

    monkeypatch.setattr(loading, "bundle", lambda: {**snapshot_bundle, "search": None})
    with pytest.raises(UserError, match="no 'search' section"):
        loading.last_searched()


@contextmanager
def _chapters_on_results(root: Path, results: Path, charts: Path) -> Iterator[None]:
    """The chapters' API as a build's kernel sees it: ``$IVIG_RESULTS`` set."""
    from analysis.report import chapters
    from analysis.report.chapters import tables

    env = {"IVIG_ROOT": str(root), "IVIG_RESULTS": str(results), "IVIG_CHARTS_DIR": str(charts)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    caches = (chapters.bundle, chapters.studies, tables.published)
    for c in caches:
        c.cache_clear()
    try:
        yield
    finally:
        for c in caches:
            c.cache_clear()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_every_chapter_runs_on_the_bundle_with_data_deleted(tmp_path, monkeypatch):
    """Every cell and inline expression of index.qmd and chapters/*.qmd (as the build runs
    them) works from results.json alone: data/ is gone, and nothing validates."""
    from analysis.evidence import studies as studies_mod
    from analysis.evidence import validate as validate_mod
    from tests.test_contributor import chapter_files, run_chapters

    root = project(tmp_path / "project")
    results = bundle_mod.write(root, tmp_path / "out")
    shutil.rmtree(root / "data")

    def refuse(*_a, **_k):
        raise AssertionError("a chapter validated data/")

    monkeypatch.setattr(studies_mod, "validate", refuse)
    monkeypatch.setattr(validate_mod, "validate", refuse)
    with _chapters_on_results(root, results, tmp_path / "charts"):
        pages = run_chapters(root)
    assert set(pages) == {p.name for p in chapter_files(root)}
    assert all(pages.values()), [k for k, v in pages.items() if not v]
    shown = "\n".join(pages.values())
    bundle = json.loads(results.read_text(encoding="utf-8"))
    # the register and the search date reached the pages from the bundle
    assert bundle["search"]["last_searched"] in shown
    assert all(r["study_id"] in shown.replace("\\", "") for r in bundle["studies"])


@pytest.mark.slow
def test_a_build_validates_once_and_no_chapter_reads_data(tmp_path, monkeypatch):
    """``build --engine embedded`` of the snapshot: the data step validates data/ once (the
    bundle reuses those rows), and once results.json is written every data file the chapters
    used to read is broken (the descriptor aside): a chapter kernel that read or validated one
    would fail the build."""
    from analysis.evidence import studies as studies_mod
    from analysis.publish.build import build

    root = project(tmp_path / "project")
    data = root / "data"
    runs: list[object] = []
    real = studies_mod.validate

    def counting(path=None, **kw):
        runs.append(path)
        return real(path, **kw)

    monkeypatch.setattr(studies_mod, "validate", counting)

    def bundle_then_break(root_: Path, out: Path) -> None:
        bundle_mod.write(root_, out)
        for name in ("studies.csv", "outcomes.csv", "certainty.csv"):
            (data / name).write_text("not,a,valid\ntable\n", encoding="utf-8")
        for name in ("search.yaml", "surveillance.yaml", "published.yaml", "protocol.yaml"):
            (data / name).write_text("{broken: [\n", encoding="utf-8")
        # datapackage.json stays: after rendering, the build itself reads its licence for the
        # pages' JSON-LD (the data dictionary page reads the bundle: the test above)

    def validate_step(root_: Path) -> int:
        return len(studies_mod.load_studies(root_ / "data"))

    dest = build(
        root,
        tmp_path / "site",
        engine="embedded",
        validate=validate_step,
        bundle=bundle_then_break,
        progress=lambda _m: None,
    )
    assert len(runs) == 1
    bundle = json.loads((dest / "results.json").read_text(encoding="utf-8"))
    register = (dest / "chapters" / "register.html").read_text(encoding="utf-8")
    assert bundle["studies"][0]["study_id"] in register
