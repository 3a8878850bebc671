"""The protocol decides the Bayesian prior of the few-trials analysis (issue 23, item 2).

``few_trials.tau_prior_scale`` of ``data/protocol.yaml`` is the scale of the half-normal
prior on tau: checked by the validator (one line, ``file:line:key: rule``), used by the
bundle's few-trials panels and stated in the Methods; changing it is a protocol change the
results diff lists. On copies of the frozen data snapshot, never today's ``data/``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.evidence import protocol
from analysis.evidence import studies as data
from analysis.evidence.validate import validate
from analysis.publish.diff.amendments import protocol_changes
from analysis.report import few_trials
from analysis.stats.bayes import DEFAULT_TAU_SCALE, bayes_re
from analysis.stats.effects import escalc
from tests import snapshot

COLS = ("ivig_improved", "ivig_total", "control_improved", "control_total")
_SCALE_LINE = re.compile(r"^\s*tau_prior_scale: .*$", re.MULTILINE)


def _with_scale(folder: Path, value: str) -> Path:
    """``folder``'s protocol with ``tau_prior_scale`` written as ``value`` (YAML text)."""
    path = folder / protocol.FILE
    text, n = _SCALE_LINE.subn(f"  tau_prior_scale: {value}", path.read_text(encoding="utf-8"))
    assert n == 1
    path.write_text(text, encoding="utf-8")
    return folder


def test_the_snapshot_protocol_sets_the_default_scale():
    prot = protocol.load(snapshot.SNAPSHOT / protocol.FILE)
    assert prot.tau_prior_scale == DEFAULT_TAU_SCALE
    assert prot.to_dict()["few_trials"]["tau_prior_scale"] == DEFAULT_TAU_SCALE
    assert "few_trials" in protocol.PARTS  # the diff compares it (publish/diff/amendments.py)


def test_a_scale_of_one_changes_the_bundle_s_bayesian_figures(tmp_path, snapshot_bundle):
    from analysis.report.results_bundle import compute

    root = snapshot.project(tmp_path / "project")
    _with_scale(root / "data", "1.0")
    bundle = compute(root)
    assert bundle["protocol"]["few_trials"]["tau_prior_scale"] == 1.0
    df = data.load_studies(root / "data")
    measure = bundle["methods"]["measure"]
    compared = changed = 0
    for comparator, cells in bundle["few_trials"].items():
        rows = data.primary(df, comparator)
        for disease, cell in cells.items():
            got = cell["models"]["bayes"]
            assert got["tau_scale"] == 1.0 and "scale 1," in got["prior"]
            before = snapshot_bundle["few_trials"][comparator][disease]["models"]["bayes"]
            assert before["tau_scale"] == DEFAULT_TAU_SCALE
            used = rows[rows["study_id"].astype(str).isin(cell["studies"])]
            if len(used) < 2:
                continue
            es = escalc(*(used[c].to_numpy(dtype=float) for c in COLS), measure)
            want = bayes_re(es.yi[es.included], es.sei[es.included], 1.0, measure=measure)
            for f in ("estimate", "ci_low", "ci_high", "p_benefit"):
                assert got[f] == pytest.approx(getattr(want, f), rel=1e-12, abs=1e-15), f
            compared += 1
            changed += got["ci_high"] != pytest.approx(before["ci_high"], rel=1e-6)
    assert compared >= 2
    assert changed == compared  # a wider prior on tau moves every pooled credible interval


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("0", "(0)"),
        ("-0.5", "(-0.5)"),
        ("'0.5'", "('0.5')"),
        ("half", "('half')"),
        ("1000", "(1000)"),
        ("5.01", "(5.01)"),
        (".inf", "(inf)"),
        (".nan", "(nan)"),
        ("true", "(True)"),
        ("[0.5]", "([0.5])"),
    ],
)
def test_a_bad_scale_is_one_line_naming_file_line_and_key(tmp_path, value, shown):
    folder = _with_scale(snapshot.copy_snapshot(tmp_path / "data"), value)
    line = 1 + next(
        i
        for i, t in enumerate((folder / protocol.FILE).read_text(encoding="utf-8").splitlines())
        if "tau_prior_scale" in t
    )
    errors = [str(p) for p in validate(folder).errors]
    assert len(errors) == 1, errors
    rule = f"protocol.yaml:{line}:few_trials.tau_prior_scale: must be a number above 0 "
    assert rule in errors[0] and errors[0].endswith(shown), errors
    with pytest.raises(UserError) as caught:
        protocol.load(folder / protocol.FILE)
    assert str(caught.value).count("\n") == 0
    assert f"protocol.yaml:{line}:few_trials.tau_prior_scale: must be a number" in str(caught.value)


def test_the_few_trials_part_is_required(tmp_path):
    folder = snapshot.copy_snapshot(tmp_path / "data")
    path = folder / protocol.FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("few_trials:")], encoding="utf-8")
    with pytest.raises(UserError, match=r"protocol\.yaml:few_trials: missing"):
        protocol.load(path)
    path.write_text(_SCALE_LINE.sub("", text), encoding="utf-8")
    with pytest.raises(UserError, match=r"protocol\.yaml:\d+:few_trials: must have exactly"):
        protocol.load(path)


def test_a_changed_scale_is_a_protocol_change_in_the_diff(tmp_path):
    base = protocol.load(snapshot.SNAPSHOT / protocol.FILE).to_dict()
    folder = _with_scale(snapshot.copy_snapshot(tmp_path / "data"), "1.0")
    head = protocol.load(folder / protocol.FILE).to_dict()
    silent = protocol_changes({"protocol": base}, {"protocol": head})
    assert len(silent) == 1 and "without a dated amendment" in silent[0]
    assert "few\\_trials" in silent[0] or "few_trials" in silent[0]
    amended = dict(head)
    amended["amendments"] = [
        {"date": "2027-01-05", "change": "Prior scale 1.", "reason": "Sensitivity."}
    ]
    lines = protocol_changes({"protocol": base}, {"protocol": amended})
    assert lines and lines[0].startswith("**Protocol amendment**")
    assert protocol_changes({"protocol": base}, {"protocol": base}) == []


def test_methods_state_the_protocol_s_scale(monkeypatch):
    from analysis.report import chapters as site

    b = dict(site.bundle())
    b["protocol"] = dict(b["protocol"])
    b["protocol"]["few_trials"] = {**b["protocol"]["few_trials"], "tau_prior_scale": 1.25}
    monkeypatch.setattr(site, "bundle", lambda: b)
    monkeypatch.setattr(sys.modules["analysis.report.chapters.methods"], "bundle", lambda: b)
    part = site.methods().data
    part = " ".join(part[part.index("### Secondary analysis: few trials") :].split())
    assert "half-normal prior with scale 1.25 on the between-trial standard deviation tau" in part
    assert "(the scale the review's protocol sets)" in part
    shown = site.protocol_md().data
    assert "half-normal prior on tau is 1\\.25" in shown
    assert few_trials.prior_scale(b["protocol"]) == 1.25
    assert few_trials.prior_scale(None) == DEFAULT_TAU_SCALE
