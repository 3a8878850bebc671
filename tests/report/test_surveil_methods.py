"""Surveillance reported as a living review: the Methods paragraph and the PRISMA stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.evidence.surveillance import load_plan
from analysis.report import charts, data_sections
from analysis.report.chapters import surveillance

ROOT = Path(__file__).resolve().parents[2]

PLAN = """\
tool: ivig-test
contact_email: ""
frequency: weekly
sources: [PubMed, Europe PMC, ClinicalTrials.gov, Crossref]
started: 2026-12-01
last_screened_run: 2027-01-04
screening: one reviewer screens <b>each</b> @someone candidate
found_by_surveillance: [Smith2027, Jones2027]
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "surveillance.yaml").write_text(PLAN, encoding="utf-8")
    monkeypatch.setenv("IVIG_ROOT", str(tmp_path))
    # the chapter reads the results bundle's section, made from the file as the build makes it
    monkeypatch.setattr(
        surveillance, "section", lambda key: data_sections.surveillance(tmp_path / "data")
    )
    return tmp_path


def test_the_methods_state_sources_frequency_last_run_and_screening(project):
    text = surveillance.methods_surveillance().data
    assert text.startswith("## Surveillance for new evidence")
    assert "Since 2026-12-01 an automated run, weekly, queries" in text
    assert "PubMed, Europe PMC, ClinicalTrials\\.gov and Crossref" in text
    assert "The candidates of the run of 2027-01-04 were the last screened." in text
    assert "found 2 trials of the register" in text
    assert "\\<b\\>each\\<\\/b\\>" in text and "<b>" not in text  # data shown as text


def test_no_screened_run_is_said_so(project):
    path = project / "data" / "surveillance.yaml"
    path.write_text(PLAN.replace("2027-01-04", "null"), encoding="utf-8")
    assert "No surveillance run has been screened yet." in surveillance.methods_surveillance().data


def test_the_prisma_flow_has_the_stage_found_by_surveillance(project):
    flow = {
        "identified": 42,
        "pending": 30,
        "with_counts": 12,
        "other_outcome": {},
        "eligible": 12,
        "excluded_in_analysis": [],
        "by_comparator": {"placebo": 12},
        "included": 12,
        "surveillance": surveillance.surveillance_flow(),
    }
    fig = charts.prisma(flow)
    assert "found by surveillance since 2026-12-01 (n = 2)" in fig.alt
    assert "found by surveillance" not in charts.prisma({**flow, "surveillance": None}).alt


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("started: 2026-12-01", "started: soon", "started: must be a date"),
        ("frequency: weekly", "frequency: ''", "frequency: required"),
        ("last_screened_run: 2027-01-04", "last_screened_run: last week", "last_screened_run"),
    ],
)
def test_a_broken_surveillance_record_is_one_line(project, old, new, message):
    path = project / "data" / "surveillance.yaml"
    path.write_text(PLAN.replace(old, new), encoding="utf-8")
    with pytest.raises(UserError, match=message):
        load_plan(project / "data")


def test_the_contact_email_comes_from_the_environment(project, monkeypatch):
    monkeypatch.setenv("IVIG_CONTACT_EMAIL", "maintainer@example.org")
    assert load_plan(project / "data").contact_email == "maintainer@example.org"


def test_the_shipped_record_loads():
    plan = load_plan(ROOT / "data")
    assert plan.frequency and plan.sources
    from analysis.evidence.surveillance import load_decisions

    load_decisions(ROOT / "data")


def test_the_taller_first_box_stays_inside_the_chart(project):
    flow = {
        "identified": 42,
        "pending": 30,
        "with_counts": 12,
        "other_outcome": {},
        "eligible": 12,
        "excluded_in_analysis": [],
        "by_comparator": {"placebo": 12},
        "included": 12,
        "last_searched": "2026-11-30",
        "surveillance": surveillance.surveillance_flow(),
    }
    boxes = charts.prisma(flow).chart.to_dict()["datasets"]
    rects = next(v for v in boxes.values() if v and "id" in v[0])
    first, second = rects[0], rects[1]
    assert first["y"] >= -2 and first["y2"] < second["y"]  # inside, and above the next box


def test_validate_names_a_broken_surveillance_record_and_decision(tmp_path):
    import subprocess
    import sys

    from tests.snapshot import copy_snapshot

    data = copy_snapshot(tmp_path / "data")
    plan = data / "surveillance.yaml"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("started: 2026-12-01", "started: soon")
    )
    (data / "integrity.yaml").write_text("decisions:\n  - {doi: 10.1/x, update: retraction}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", str(data)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2 and "Traceback" not in out
    assert "surveillance.yaml:-:started: must be a date YYYY-MM-DD (soon)" in out
    assert "integrity.yaml:-:decision: required" in out
