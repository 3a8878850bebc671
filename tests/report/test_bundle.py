"""The results bundle: the meta JSON of each primary analysis, sensitivity analyses, determinism."""

import csv as _csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.evidence import studies as data
from analysis.evidence.studies import DataError
from analysis.report import results_bundle as bundle
from analysis.report import version
from tests.snapshot import copy_snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def results(snapshot_bundle):
    """The bundle of the frozen data snapshot (tests/conftest.py), never today's data/."""
    return snapshot_bundle


@pytest.fixture(scope="module")
def studies(snapshot_studies):
    return snapshot_studies


def _meta_cli(rows, tmp_path: Path, name: str) -> dict:
    csv = tmp_path / f"{name}.csv"
    bundle._engine_frame(rows, "disease").to_csv(csv, index=False)
    cfg = bundle.PRIMARY
    args = ["--measure", cfg.measure, "--tau2", cfg.tau2_method, "--by", cfg.by, "--json"]
    if cfg.hk:
        args.append("--hk")
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "meta", str(csv), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(proc.stdout)


def test_stamp_and_shape(results, snapshot_root):
    stamp = version.stamp(snapshot_root)
    assert {k: results[k] for k in ("version", "commit", "generated")} == {
        k: stamp[k] for k in ("version", "commit", "generated")
    }
    assert results["released"] is (stamp["released"] == "true")
    assert stamp == version.stamp(ROOT)  # the snapshot project is this checkout, frozen data
    assert set(results["comparisons"]) == {"placebo", "plasma_exchange", "corticosteroid"}
    assert results["methods"]["tau2_method"] == "REML" and results["methods"]["hk"] is True


def test_each_entry_is_exactly_the_meta_json(results, studies, tmp_path):
    for name, entry in results["comparisons"].items():
        rows = data.primary(studies, name)
        if entry is None:
            assert rows.empty
            continue
        core = {k: v for k, v in entry.items() if k not in ("summary", "findings", "sensitivity")}
        assert core == _meta_cli(rows, tmp_path, name)


def test_empty_comparison_is_null_with_a_reason(results, studies):
    for name, entry in results["comparisons"].items():
        if data.primary(studies, name).empty:
            assert entry is None
            assert "counts for an" in results["unavailable"][name]["reason"]
            assert "all_outcome_types" in results["unavailable"][name]["sensitivity"]
        else:
            assert name not in results["unavailable"]


def test_sensitivity_analyses(results, studies):
    placebo = results["comparisons"]["placebo"]
    rows = data.primary(studies, "placebo")
    sens = placebo["sensitivity"]
    assert set(sens) >= {
        "verified_only",
        "all_outcome_types",
        "excluding_high_rob",
        "common_vs_random",
        "tau2_methods",
        "notes",
    }
    n_verified = int((rows["status"] == "verified").sum())
    assert sens["verified_only"]["k"] == n_verified
    every = data.included(studies, "placebo", outcome_types=bundle._all_outcome_types(studies))
    assert sens["all_outcome_types"]["k"] == len(every) >= placebo["k"]
    assert set(sens["tau2_methods"]) == set(bundle.TAU2_METHODS)
    assert sens["tau2_methods"]["REML"] == placebo["random"]
    assert sens["tau2_methods"]["DL"]["tau2_method"] == "DL"
    cvr = sens["common_vs_random"]
    assert cvr["common_mh"] == placebo["common"]["mh"]
    assert cvr["random_hk"] == placebo["random"] and cvr["random_z"]["hk"] is False
    high = rows["rob_overall"].astype(str).eq("high").sum()
    assert sens["excluding_high_rob"]["k"] == placebo["k"] - high


def test_summary_counts_and_absolute_effect(results, studies):
    for name, entry in results["comparisons"].items():
        if entry is None:
            continue
        rows = data.primary(studies, name)
        rows = rows[~rows["study_id"].isin(entry["excluded"])]
        s = entry["summary"]
        assert s["trials"] == entry["k"]
        assert s["participants"] == int(rows["ivig_total"].sum() + rows["control_total"].sum())
        risk = rows["control_improved"].sum() / rows["control_total"].sum()
        assert s["control_risk"] == pytest.approx(float(risk), rel=1e-12)
        pooled = entry["random"] if s["model"] == "random" else entry["common"]["mh"]
        ab = s["absolute"]
        assert ab["control_per_1000"] == pytest.approx(1000 * risk)
        assert ab["ivig_per_1000"] == pytest.approx(1000 * risk * pooled["estimate"])
    assert results["comparisons"]["placebo"]["summary"]["model"] == "random"


def test_register_counts(results, studies):
    reg = results["register"]
    assert reg["identified"] == len(studies)
    assert reg["by_comparator"] == {
        c: (0 if e is None else e["k"]) for c, e in results["comparisons"].items()
    }
    assert sum(reg["by_status"].values()) == len(studies)


def test_write_is_deterministic_and_clean(tmp_path, snapshot_root):
    a = bundle.write(snapshot_root, tmp_path / "a")
    b = bundle.write(snapshot_root, tmp_path / "b")
    text = a.read_text(encoding="utf-8")
    assert text == b.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    obj = json.loads(text)
    assert json.dumps(obj, sort_keys=True, indent=1, ensure_ascii=False) + "\n" == text
    assert not list((tmp_path / "a").glob(".results.*"))


def test_bad_data_leaves_the_previous_bundle(tmp_path):
    project = tmp_path / "project"
    copy_snapshot(project / "data")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    out = tmp_path / "out"
    good = bundle.write(project, out).read_text(encoding="utf-8")
    csv = project / "data" / "studies.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    assert header[header.index("ivig_improved") : header.index("control_total") + 1] == [
        "ivig_improved",
        "ivig_total",
        "control_improved",
        "control_total",
    ]
    # a count larger than its arm: validation must refuse it before anything is written
    # (the first row with counts, whichever it is: its IVIG events become 1 + its arm)
    n = header.index("ivig_improved")
    rows = list(_csv.reader(lines[1:]))
    row, cells = next((i, r) for i, r in enumerate(rows, 1) if r[n] and r[n + 1])
    cells[n] = str(int(cells[n + 1]) + 1)
    line = io.StringIO()
    _csv.writer(line, lineterminator="\n").writerow(cells)
    lines[row] = line.getvalue()
    csv.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match="studies.csv"):
        bundle.write(project, out)
    assert (out / "results.json").read_text(encoding="utf-8") == good


def test_each_variant_is_fitted_once_and_only_for_what_it_reports(snapshot_root, monkeypatch):
    """The primary analysis of each comparison is fitted once (the sensitivity analyses
    reuse it); the tau² estimators and the normal-based variant fit only the random-effects
    model (``full_analysis.random_only``), never a whole analysis."""
    from analysis.stats import full_analysis

    calls: list[tuple[tuple[str, ...], dict]] = []
    real = full_analysis.analyse

    def counting(studies, **opts):
        calls.append((tuple(studies["study_id"]), opts))
        return real(studies, **opts)

    monkeypatch.setattr(full_analysis, "analyse", counting)
    out = bundle.compute(snapshot_root)
    cfg = bundle.PRIMARY
    # no whole analysis for another tau² estimator (the findings may ask for their own)
    assert all(o["tau2_method"] == cfg.tau2_method for _, o in calls)
    studies = data.load_studies(snapshot_root / "data")
    for name, entry in out["comparisons"].items():
        if entry is None:
            continue
        ids = tuple(data.primary(studies, name)["study_id"].astype(str))
        primary = [c for c in calls if c[0] == ids and c[1]["by"] == cfg.by]
        assert len(primary) == 1, (name, len(primary))


def test_random_only_is_the_full_analysis_random_model(studies):
    """What the sensitivity table shows for each tau² estimator and for normal-based
    inference is exactly the random-effects model a full analysis would carry."""
    rows = data.primary(studies, "placebo")
    cfg = bundle.PRIMARY
    for method in bundle.TAU2_METHODS:
        for hk in (True, False):
            full = bundle._fit(rows, cfg, tau2_method=method, hk=hk, by=None)
            alone = bundle._random_only(rows, cfg, tau2_method=method, hk=hk)
            assert full is not None and alone == full.random, (method, hk)


def test_the_data_are_validated_once_per_build(tmp_path, monkeypatch):
    """The build's data step validates data/; the results bundle reuses those rows while
    every file is unchanged, and validates again after any edit."""
    from analysis.evidence import studies as studies_mod

    project = tmp_path / "project"
    copy_snapshot(project / "data")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    runs = []
    real = studies_mod.validate

    def counting(path=None, **kw):
        runs.append(path)
        return real(path, **kw)

    monkeypatch.setattr(studies_mod, "validate", counting)
    data.load_studies(project / "data")  # the build's data step
    first = bundle.compute(project)
    assert len(runs) == 1
    csv = project / "data" / "studies.csv"
    csv.write_text(csv.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # an edit
    assert bundle.compute(project)["comparisons"] == first["comparisons"]
    assert len(runs) == 2
