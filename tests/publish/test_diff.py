"""``python -m analysis diff``: trials and pooled results between two versions.

The diff is a pure function of two results bundles (and two sets of
``studies.csv`` rows); these tests build the bundles in the documented shape
(``../shared/docs/meta-cli.md``) and check what the report says.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.publish.diff import (
    Pooled,
    Side,
    compare,
    diff_pooled,
    diff_trials,
    load_side,
    pooled_results,
    read_studies,
)
from tests.snapshot import SNAPSHOT, copy_snapshot

ROOT = Path(__file__).resolve().parents[2]


def meta(k, est, lo, hi, tau2=0.01, i2=12.0, measure="RR", ids=None, **extra):
    """A meta-cli JSON object with the fields the diff reads."""
    ids = ids or [f"S{i}" for i in range(k)]
    obj = {
        "measure": measure,
        "k": k,
        "excluded": [],
        "studies": [{"study_id": s, "yi": 0.1, "vi": 0.2} for s in ids],
        "common": {
            "mh": {"estimate": est * 0.98, "ci_low": lo * 0.98, "ci_high": hi * 0.98, "p": 0.01},
            "iv": {"estimate": est * 0.97, "ci_low": lo * 0.97, "ci_high": hi * 0.97, "p": 0.01},
            "peto": None,
        },
        "heterogeneity": {"q": 3.0, "df": k - 1, "p": 0.4, "i2": i2, "h2": 1.1},
        "random": {
            "tau2_method": "REML",
            "hk": False,
            "estimate": est,
            "ci_low": lo,
            "ci_high": hi,
            "p": 0.02,
            "tau2": tau2,
            "tau2_ci": [0, 1],
            "i2": i2,
            "i2_ci": [0, 80],
            "pi_low": None,
            "pi_high": None,
        },
        "small_study": {"egger": None, "begg": None, "trimfill": None},
        "leave_one_out": [],
        "cumulative": [],
        "subgroups": None,
    }
    obj.update(extra)
    return obj


def bundle(version="1.0.0", commit="a" * 40, **comparisons):
    base = {"placebo": None, "plasma_exchange": None, "corticosteroid": None}
    base.update(comparisons)
    return {
        "version": version,
        "commit": commit,
        "generated": "2026-01-01T00:00:00Z",
        "comparisons": base,
    }


def rows(*specs):
    cols = [
        "study_id",
        "year",
        "ivig_improved",
        "ivig_total",
        "control_improved",
        "control_total",
        "notes",
    ]
    return tuple(dict(zip(cols, spec, strict=True)) for spec in specs)


BASE_ROWS = rows(
    ("A1990", "1990", "10", "20", "5", "20", ""),
    ("B1995", "1995", "12", "30", "10", "30", "old note"),
    ("C2000", "2000", "8", "16", "6", "15", ""),
)


def test_added_trial_and_significance_flip():
    before = bundle(placebo=meta(3, 1.40, 0.95, 2.10, ids=["A1990", "B1995", "C2000"]))
    after = bundle(
        version="1.1.0",
        commit="b" * 40,
        placebo=meta(4, 1.55, 1.12, 2.15, ids=["A1990", "B1995", "C2000", "D2010"]),
    )
    head_rows = BASE_ROWS + rows(("D2010", "2010", "20", "25", "9", "24", ""))
    d = compare(Side("v1.0.0", before, BASE_ROWS), Side("HEAD", after, head_rows))
    assert [(t.study_id, t.kind) for t in d.trials] == [("D2010", "added")]
    random = next(c for c in d.pooled if c.ref.model.startswith("random"))
    assert random.old.significant is False and random.new.significant is True
    assert random.significance_changed and not random.direction_changed
    assert d.membership["placebo"] == (("D2010",), ())
    md = d.to_markdown()
    assert "1 trial(s) added, 0 removed, 0 changed" in md
    assert "Changes of significance or direction" in md
    assert "significance: not significant → significant" in md
    assert "RR 1.40 (0.95 to 2.10) → RR 1.55 (1.12 to 2.15)" in md
    assert "3 → 4" in md
    assert "Trials entering the analysis: D2010." in md
    assert "| D2010 | added |" in md


def test_corrected_count_lists_the_field():
    head_rows = copy.deepcopy(BASE_ROWS)
    head_rows[1]["ivig_improved"] = "13"
    head_rows[1]["notes"] = "corrected from the full text " * 3
    changes, added, removed = diff_trials(BASE_ROWS, head_rows)
    assert [(c.study_id, c.kind) for c in changes] == [("B1995", "changed")]
    assert [f[0] for f in changes[0].fields] == ["ivig_improved", "notes"]
    assert changes[0].fields[0] == ("ivig_improved", "12", "13")
    assert added == removed == ()
    b = bundle(placebo=meta(3, 1.40, 1.05, 2.10))
    a = bundle(placebo=meta(3, 1.43, 1.07, 2.12))
    md = compare(Side("base", b, BASE_ROWS), Side("head", a, head_rows)).to_markdown()
    assert "`ivig_improved`: 12 → 13" in md
    # the long note is a word diff in a collapsed block, not two truncated copies
    assert "`notes`: text changed (below)" in md and "<details>" in md
    assert "**corrected from the full text corrected from the full text" in md
    assert "0 change(s) of statistical significance, 0 of direction" in md


def test_removed_trial_and_new_column():
    head_rows = tuple({**r, "rob_overall": "low"} for r in BASE_ROWS[:2])
    changes, added, removed = diff_trials(BASE_ROWS, head_rows)
    assert [(c.study_id, c.kind) for c in changes] == [("C2000", "removed")]
    assert added == ("rob_overall",) and removed == ()


def test_direction_flip_on_risk_difference():
    before = bundle(corticosteroid=meta(2, 0.05, -0.02, 0.12, measure="RD"))
    after = bundle(corticosteroid=meta(3, -0.03, -0.09, 0.03, measure="RD"))
    changes = diff_pooled(before, after)
    random = next(c for c in changes if c.ref.model.startswith("random"))
    assert random.direction_changed and not random.significance_changed
    assert random.new.null == 0.0
    md = compare(Side("a", before), Side("b", after)).to_markdown()
    assert "direction: estimate above 0 → below 0" in md


def test_ratio_null_is_one_not_zero():
    p = Pooled("placebo", "primary", "random", "OR", 3, 0.5, 0.3, 0.9)
    assert p.null == 1.0 and p.significant is True and p.direction == -1
    q = Pooled("placebo", "primary", "random", "RR", 3, 1.2, 0.9, 1.6)
    assert q.significant is False and q.direction == 1


def test_comparison_appearing_from_null_and_sensitivity_keys():
    before = bundle()
    sens = {
        "verified_only": meta(2, 1.3, 0.8, 2.0),
        "tau2_methods": {"DL": {"estimate": 1.5, "ci_low": 1.0, "ci_high": 2.2, "k": 3}},
    }
    after = bundle(plasma_exchange=meta(3, 1.0, 0.7, 1.4, **sens))
    d = compare(Side("a", before), Side("b", after))
    labels = {(c.ref.analysis, c.ref.model) for c in d.pooled}
    assert ("primary", "random effects (REML)") in labels
    assert ("verified_only", "random effects (REML)") in labels
    assert ("tau2_methods/DL", "pooled") in labels
    assert all(c.old is None and c.changed for c in d.pooled)
    assert not d.flagged  # nothing to flip when there was no result before
    md = d.to_markdown()
    assert "IVIG vs plasma exchange" in md and "| new |" in md
    assert "Trial-level data (`studies.csv`) are not available" in md


def test_identical_bundles_report_no_change():
    b = bundle(placebo=meta(3, 1.4, 1.1, 2.0))
    d = compare(Side("a", b, BASE_ROWS), Side("b", copy.deepcopy(b), BASE_ROWS))
    assert d.unchanged and not d.flagged
    assert "No change in the trial data or in any pooled result." in d.to_markdown()


def test_all_comparisons_empty():
    md = compare(Side("a", bundle()), Side("b", bundle())).to_markdown()
    assert "Neither side has a pooled result" in md


def test_pooled_results_read_every_model_and_skip_nulls():
    b = bundle(placebo=meta(3, 1.4, 1.1, 2.0), corticosteroid=None)
    models = [(p.comparison, p.model) for p in pooled_results(b)]
    assert models == [
        ("placebo", "random effects (REML)"),
        ("placebo", "common effect (MH)"),
        ("placebo", "common effect (IV)"),
    ]


def test_cli_on_two_results_files(tmp_path):
    (tmp_path / "old.json").write_text(json.dumps(bundle(placebo=meta(3, 1.4, 0.9, 2.0))))
    (tmp_path / "new.json").write_text(json.dumps(bundle(placebo=meta(4, 1.5, 1.1, 2.0))))
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "diff", "old.json", "new.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("## Results diff")
    assert "**significance changed**" in proc.stdout


def test_cli_bad_results_file_is_exit_2(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "diff", "bad.json", "bad.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert "bad.json:1:2" in proc.stderr


def test_results_file_without_comparisons_is_refused(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(UserError, match="not a results bundle"):
        load_side(str(tmp_path / "x.json"))


def test_unknown_revision_is_a_user_error():
    with pytest.raises(UserError) as err:
        load_side("v0.1.0-no-such-tag", ROOT)
    assert str(err.value).startswith("no revision or tag 'v0.1.0-no-such-tag'")
    assert "\n" not in str(err.value) and "fatal" not in str(err.value)


def test_read_studies_needs_study_id():
    assert read_studies("study_id,year\nA,1990\n")[0] == {"study_id": "A", "year": "1990"}
    with pytest.raises(UserError, match="study_id"):
        read_studies("id,year\nA,1990\n", "x.csv")


# --------------------------------------------------------------------------- real engine


def _git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_AUTHOR_DATE": "2026-02-03T04:05:06+00:00",
        "GIT_COMMITTER_DATE": "2026-02-03T04:05:06+00:00",
        "PATH": "/usr/bin:/bin",
        "HOME": str(repo),
    }
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _edit_cell(root: Path, study_id: str, column: str, value: str) -> None:
    import csv
    import io

    path = root / "data" / "studies.csv"
    table = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    next(r for r in table if r["study_id"] == study_id)[column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(table[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    path.write_text(out.getvalue(), encoding="utf-8")


def test_revisions_are_analysed_with_the_real_engine(tmp_path):

    from analysis.report.results_bundle import compute

    repo = tmp_path / "repo"
    repo.mkdir()
    copy_snapshot(repo / "data")
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0.1.0"\n')
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    base_sha = _git(repo, "rev-parse", "HEAD")
    expected_base = compute(repo)

    _edit_cell(repo, "Mendell2001", "ivig_improved", "12")
    expected_head = compute(repo)  # the working tree
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0.1.1"\n')
    _git(repo, "commit", "-q", "-am", "correct Mendell2001")

    base = load_side(base_sha[:10], repo)
    head = load_side("HEAD", repo)
    assert base.bundle["commit"] == base_sha and base.bundle["version"] == "0.1.0"
    assert head.bundle["version"] == "0.1.1"
    assert base.bundle["generated"] == "2026-02-03T04:05:06Z"
    for side, expected in ((base, expected_base), (head, expected_head)):
        assert side.bundle["comparisons"] == expected["comparisons"]

    d = compare(base, head)
    assert [(t.study_id, t.kind, t.fields) for t in d.trials] == [
        ("Mendell2001", "changed", (("ivig_improved", "11", "12"),))
    ]
    placebo = next(
        c
        for c in d.pooled
        if c.ref.comparison == "placebo"
        and c.ref.analysis == "primary"
        and c.ref.model.startswith("random")
    )
    rnd = expected_head["comparisons"]["placebo"]["random"]
    assert placebo.new.estimate == rnd["estimate"] and placebo.new.tau2 == rnd["tau2"]
    assert placebo.old.estimate == expected_base["comparisons"]["placebo"]["random"]["estimate"]
    assert placebo.changed
    md = d.to_markdown()
    assert "`ivig_improved`: 11 → 12" in md
    assert f"RR {rnd['estimate']:.2f} ({rnd['ci_low']:.2f} to {rnd['ci_high']:.2f})" in md
    # the working tree as HEAD gives the same pooled results as the committed HEAD
    assert load_side(str(repo), repo).bundle["comparisons"] == head.bundle["comparisons"]


def test_a_revision_before_the_register_existed_has_no_results(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README").write_text("x")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "empty")
    side = load_side("HEAD", repo)
    assert side.bundle["comparisons"] == {} and side.studies == ()


def test_bare_pooled_estimates_take_k_of_their_analysis():
    sens = {
        "sensitivity": {
            "tau2_methods": {
                "DL": {"estimate": 1.5, "ci_low": 1.0, "ci_high": 2.2, "tau2_method": "DL"}
            }
        }
    }
    b = bundle(placebo=meta(4, 1.4, 1.1, 2.0, **sens))
    dl = next(p for p in pooled_results(b) if p.analysis == "sensitivity/tau2_methods/DL")
    assert dl.k == 4 and dl.model == "random effects (DL)"


def test_descriptor_and_bibliography_changes_are_flagged_for_review():
    from analysis.publish.diff import diff_bibliography, diff_package

    pkg = (SNAPSHOT / "datapackage.json").read_text(encoding="utf-8")
    doc = json.loads(pkg)
    fields = doc["resources"][0]["schema"]["fields"]
    fields[14]["constraints"]["enum"].append("checked")
    fields[4]["description"] = "<b>@jsmith</b>"
    lines = diff_package(pkg, json.dumps(doc))
    assert lines[0].startswith(
        "**Rules changed** in `data/datapackage.json`"
        " (`resources[0].schema.fields[14].constraints.enum`)"
    )
    assert lines[1] == (
        "Descriptions changed in `data/datapackage.json`:"
        " `resources[0].schema.fields[4].description`"
    )
    bib = "@article{A1990, year = {1990}}\n"
    new = bib + "@article{B@x1991, year = {1991}}\n"
    assert diff_bibliography(bib, new) == [
        "`data/references.bib` changed (added B\\@\u200dx1991): check each entry against its source"
    ]
    d = compare(
        Side("a", {"comparisons": {}}, (), pkg, bib),
        Side("b", {"comparisons": {}}, (), json.dumps(doc), new),
    )
    md = d.to_markdown()
    assert "### For a maintainer's review" in md and not d.unchanged


def test_a_wobble_across_the_null_is_not_a_direction_flag():
    """Issue 15: MH 0.94 (0.6 to 1.5) -> 1.02 (0.7 to 1.6) is a moved line, not a flag."""
    from analysis.publish.diff import Pooled, PooledChange

    def pooled(model, est, lo, hi, analysis="primary"):
        return Pooled("placebo", analysis, model, "RR", 5, est, lo, hi)

    wobble = PooledChange(
        pooled("common effect (MH)", 0.94, 0.6, 1.5), pooled("common effect (MH)", 1.02, 0.7, 1.6)
    )
    assert wobble.crossed and not wobble.direction_changed
    primary_flip = PooledChange(
        pooled("random effects (REML)", 0.94, 0.6, 1.5),
        pooled("random effects (REML)", 1.02, 0.7, 1.6),
    )
    assert primary_flip.direction_changed
    sensitivity_flip = PooledChange(
        pooled("random effects (REML)", 0.94, 0.6, 1.5, "sensitivity/all_outcomes"),
        pooled("random effects (REML)", 1.6, 1.1, 2.3, "sensitivity/all_outcomes"),
    )
    assert sensitivity_flip.direction_changed  # the new CI excludes 1
    not_primary = PooledChange(
        pooled("random effects (REML)", 0.94, 0.6, 1.5, "sensitivity/x"),
        pooled("random effects (REML)", 1.02, 0.7, 1.6, "sensitivity/x"),
    )
    assert not not_primary.direction_changed
    d = compare(Side("a", {"comparisons": {}}), Side("b", {"comparisons": {}}))
    d = type(d)(d.base, d.head, d.trials, (), (), (wobble,))
    md = d.to_markdown()
    assert "0 of direction" in md and "moved across the null (both CIs span it)" in md


def test_a_long_text_change_is_a_word_diff_in_details():
    base = [{"study_id": "Hahn1996", "notes": "Counts from table 2 of the report, per protocol."}]
    head = [
        {
            "study_id": "Hahn1996",
            "notes": "Counts from table 3 of the <b>final</b> report, per protocol.",
        }
    ]
    md = compare(
        Side("a", {"comparisons": {}}, tuple(base)), Side("b", {"comparisons": {}}, tuple(head))
    ).to_markdown()
    assert "| Hahn1996 | changed | `notes`: text changed (below) |" in md
    assert (
        "<details>\n<summary>Hahn1996: notes (word diff: ~~removed~~, **added**)</summary>\n\n"
        "Counts from table ~~2~~ **3** of the **\\<b\\>final\\<\\/b\\>** report\\, per"
        " protocol\\.\n\n</details>"
    ) in md


def test_the_working_tree_is_labelled_with_its_uncommitted_changes(tmp_path):
    from analysis.publish.diff import _uncommitted

    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / "data" / "studies.csv").write_text("study_id\nA1990\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    assert not _uncommitted(repo)
    (repo / "data" / "studies.csv").write_text("study_id\nA1990\nB1991\n")
    assert _uncommitted(repo)
    bundle = {"comparisons": {}, "commit": "a" * 40, "version": "1.0.0", "uncommitted": True}
    md = compare(Side("HEAD", {"comparisons": {}}), Side(".", bundle)).to_markdown()
    assert "to `.` (version 1\\.0\\.0, uncommitted changes on top of commit `aaaaaaaaaaaa`)" in md


def test_first_line_in_words_and_empty_sections_left_out():
    """Issue 15: the first line says what happens to each primary conclusion; a comparison
    with nothing moved and a trials section with nothing changed do not appear."""
    b = bundle(placebo=meta(3, 2.48, 1.60, 3.80), corticosteroid=meta(2, 0.9, 0.5, 1.6))
    a = bundle(placebo=meta(3, 2.31, 1.50, 3.55), corticosteroid=meta(2, 0.9, 0.5, 1.6))
    md = compare(Side("base", b, BASE_ROWS), Side("head", a, BASE_ROWS)).to_markdown()
    lines = md.splitlines()
    assert lines[2] == (
        "IVIG vs placebo: RR 2.48 (1.60 to 3.80) → 2.31 (1.50 to 3.55), still favours IVIG;"
        " certainty not rated; 3 trials in the analysis."
    )
    assert "### Trials" not in md
    assert "#### IVIG vs placebo" in md and "#### IVIG vs corticosteroids" not in md
    assert "Unchanged: IVIG vs corticosteroids." in md
    flipped = bundle(placebo=meta(3, 1.2, 0.8, 1.9), corticosteroid=meta(2, 0.9, 0.5, 1.6))
    md = compare(Side("base", b, BASE_ROWS), Side("head", flipped, BASE_ROWS)).to_markdown()
    assert md.splitlines()[2] == (
        "IVIG vs placebo: RR 2.48 (1.60 to 3.80) → 1.20 (0.80 to 1.90), now **inconclusive"
        " (the CI includes no effect)** (before: favours IVIG); certainty not rated;"
        " 3 trials in the analysis."
    )
    assert (
        "Suggested version bump: **major** (the primary result of IVIG vs placebo changed"
        " significance)." in md
    )
    same = compare(Side("base", b, BASE_ROWS), Side("head", b, BASE_ROWS)).to_markdown()
    assert "Suggested version bump: **patch** (no trial added and no primary conclusion" in same
    assert same.splitlines()[2] == "No main result changes."
    assert "### Pooled results" not in same and "|" not in same


def test_forest_images_for_the_comparisons_that_moved(tmp_path, snapshot_bundle):
    """Issue 15: before/after SVGs (vl-convert) for each comparison whose primary moved."""
    from analysis.publish.diff import forest_images

    real = snapshot_bundle
    moved = copy.deepcopy(real)
    moved["comparisons"]["placebo"]["random"]["estimate"] *= 1.1
    d = compare(Side("a", real), Side("b", moved))
    files = forest_images(d, tmp_path)
    assert [f.name for f in files] == [
        "forest-placebo-before.svg",
        "forest-placebo-before.png",
        "forest-placebo-after.svg",
        "forest-placebo-after.png",
    ]
    for f in files:
        if f.suffix == ".svg":
            assert f.read_text(encoding="utf-8").startswith("<svg")
        else:  # PNG beside it (GitHub comments and many viewers show no SVG)
            assert f.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and f.stat().st_size > 1000
    assert forest_images(compare(Side("a", real), Side("b", real)), tmp_path / "none") == []


def test_a_revision_from_before_a_rule_was_added_is_analysed_under_the_current_rules(tmp_path):
    """The base of a diff may predate a rule (here: the 10^7 bound on counts); it is analysed
    with the current code and rules, and the descriptor change is listed for review."""

    repo = tmp_path / "repo"
    repo.mkdir()
    copy_snapshot(repo / "data")
    pkg_path = repo / "data" / "datapackage.json"
    old = json.loads(pkg_path.read_text(encoding="utf-8"))
    for f in old["resources"][0]["schema"]["fields"]:
        f.get("constraints", {}).pop("maximum", None)
    pkg_path.write_text(json.dumps(old, indent=2) + "\n", encoding="utf-8")
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0.1.0"\n')
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "before the bound")
    base = load_side("HEAD", repo)
    assert base.package == json.dumps(old, indent=2) + "\n"  # the revision's own text
    assert base.bundle["comparisons"]["placebo"] is not None
    head = Side("now", base.bundle, base.studies, (SNAPSHOT / "datapackage.json").read_text())
    md = compare(base, head).to_markdown()
    assert "**Rules changed** in `data/datapackage.json`" in md
    assert "`resources[0].schema.fields[6].constraints.maximum`" in md


def test_first_line_says_what_happens_to_the_certainty():
    """Issue 15: "RR 2.48 → 2.31, still favours IVIG; certainty unchanged" when the bundles
    carry GRADE ratings (results.json's findings), and the new rating when it moves."""

    def rated(b, label):
        b["comparisons"]["placebo"]["findings"] = {"all": {"certainty": {"label": label}}}
        return b

    b = rated(bundle(placebo=meta(3, 2.48, 1.60, 3.80)), "low")
    a = rated(bundle(placebo=meta(3, 2.31, 1.50, 3.55)), "low")
    md = compare(Side("base", b, BASE_ROWS), Side("head", a, BASE_ROWS)).to_markdown()
    assert md.splitlines()[2] == (
        "IVIG vs placebo: RR 2.48 (1.60 to 3.80) → 2.31 (1.50 to 3.55), still favours IVIG;"
        " certainty low (unchanged); 3 trials in the analysis."
    )
    a = rated(bundle(placebo=meta(3, 2.31, 1.50, 3.55)), "very_low")
    md = compare(Side("base", b, BASE_ROWS), Side("head", a, BASE_ROWS)).to_markdown()
    assert md.splitlines()[2].endswith(
        "still favours IVIG; certainty low → **very low**; 3 trials in the analysis."
    )


# --------------------------------------------------------------------------- issue 24


def with_trials(entry, trials, participants, model="random"):
    """A meta object whose studies carry their own RR and CI, with the summary's
    participants and headline model (as results.json has them)."""
    entry["studies"] = [
        {"study_id": sid, "yi": 0.1, "vi": 0.2, "estimate": e, "ci_low": lo, "ci_high": hi}
        for sid, e, lo, hi in trials
    ]
    entry["summary"] = {"trials": len(trials), "participants": participants, "model": model}
    return entry


def register(comparator, ids):
    """Rows of studies.csv naming their comparator (any status)."""
    return tuple({"study_id": s, "comparator": comparator, "ivig_improved": ""} for s in ids)


def single(sid="Smith2020", est=1.14, lo=0.54, hi=2.40, n=32):
    m = meta(1, est, lo, hi, ids=[sid])
    m["random"].update(ci_low=None, ci_high=None, tau2=None, i2=None)
    m["common"]["mh"] = {"estimate": est, "ci_low": lo, "ci_high": hi}
    return with_trials(m, [(sid, est, lo, hi)], n, model="common.mh")


def test_headline_first_trial_gives_its_own_rr_ci_and_participants():
    """k = 1: the trial's own RR and CI (not the random-effects "–"), nothing pooled."""
    base = Side("base", bundle(), register("corticosteroid", ["Smith2020", "Other2019"]))
    head = Side(
        "head",
        bundle(corticosteroid=single()),
        register("corticosteroid", ["Smith2020", "Other2019"]),
    )
    for fmt in ("markdown", "text"):
        from analysis.publish.diff import comment

        first = comment.report(compare(base, head), 2, fmt).splitlines()[
            2 if fmt == "markdown" else 3
        ]
        assert first == (
            "IVIG vs corticosteroids: first trial, Smith2020: RR 1.14 (0.54 to 2.40),"
            " 32 participants; nothing pooled yet (1 of 2 identified trials);"
            " certainty not rated."
        )


def test_headline_two_trials_first_pooled_result_with_k_of_n():
    """k = 1 -> 2: the first pooled result, what it stood on before, k of n identified."""
    ids = ["Smith2020", "Jones2024", "Pending2025"]
    base = Side("b", bundle(corticosteroid=single()), register("corticosteroid", ids))
    pooled = with_trials(
        meta(2, 1.30, 0.70, 2.41, ids=ids[:2]),
        [("Smith2020", 1.14, 0.54, 2.40), ("Jones2024", 1.5, 0.8, 2.8)],
        90,
    )
    pooled["findings"] = {"all": {"certainty": {"label": "very_low"}}}
    head = Side("h", bundle(corticosteroid=pooled), register("corticosteroid", ids))
    line = compare(base, head).to_markdown().splitlines()[2]
    assert line == (
        "IVIG vs corticosteroids: first pooled result, RR 1.30 (0.70 to 2.41) from 2 trials,"
        " 90 participants (before: one trial, Smith2020, RR 1.14 (0.54 to 2.40)),"
        " inconclusive (the CI includes no effect); certainty not rated → **very low**;"
        " 2 of 3 identified trials (was 1)."
    )


def test_headline_pooled_flip_says_before_after_certainty_and_k_of_n():
    ids = [f"T{i}" for i in range(6)]
    trials = [(s, 1.2, 0.8, 1.9) for s in ids]
    old = with_trials(meta(4, 1.20, 0.95, 1.52, ids=ids[:4]), trials[:4], 300)
    new = with_trials(meta(5, 1.31, 1.06, 1.62, ids=ids[:5]), trials[:5], 380)
    old["findings"] = {"all": {"certainty": {"label": "low"}}}
    new["findings"] = {"all": {"certainty": {"label": "moderate"}}}
    d = compare(
        Side("b", bundle(placebo=old), register("placebo", ids)),
        Side("h", bundle(placebo=new), register("placebo", ids)),
    )
    assert d.to_markdown().splitlines()[2] == (
        "IVIG vs placebo: RR 1.20 (0.95 to 1.52) → 1.31 (1.06 to 1.62), 380 participants,"
        " now **favours IVIG** (before: inconclusive (the CI includes no effect));"
        " certainty low → **moderate**; 5 of 6 identified trials (was 4)."
    )


def test_internal_keys_are_words_and_sensitivity_rows_collapse():
    """No `findings, cidp | common.mh`: analyses and models in words; the sensitivity
    analyses behind one summary line (a <details> in the comment)."""
    old = meta(3, 2.0, 1.2, 3.3)
    new = meta(3, 2.1, 1.3, 3.4)
    old["findings"] = {"cidp": {"model": "common.mh", "estimate": 2, "ci_low": 1, "ci_high": 3}}
    new["findings"] = {"cidp": {"model": "common.mh", "estimate": 3, "ci_low": 2, "ci_high": 4}}
    for m, e in ((old, 1.5), (new, 1.6)):
        m["sensitivity"] = {
            "tau2_methods": {"DL": {"estimate": e, "ci_low": 0.9, "ci_high": 2.0}},
            "verified_only": meta(2, e, 0.9, 2.5),
        }
    d = compare(Side("b", bundle(placebo=old)), Side("h", bundle(placebo=new)))
    from analysis.publish.diff import text

    md, plain = d.to_markdown(), text(d)
    for out in (md, plain):
        assert "common.mh" not in out and "findings, cidp" not in out
        assert "tau2 methods" not in out and "primary |" not in out
    assert "summary of findings, CIDP, common effect (Mantel-Haenszel)" in plain
    assert "summary of findings\\, CIDP" in md  # escaped in the comment, as all text is
    assert (
        "<summary>By disease and sensitivity analyses: 5 of 5 result(s) moved;"
        " 1 changed significance." in md
    )
    assert "τ² estimator\\: DerSimonian\\-Laird | pooled" in md
    assert "verified counts only" in md
    assert "By disease and sensitivity analyses: 5 of 5 result(s) moved" in plain
    assert "DerSimonian-Laird" not in plain  # collapsed: only the summary line in a terminal


def test_text_format_has_no_markdown_escapes():
    """The terminal report: data as written, no backslash, no **, no table pipes."""
    b = bundle(placebo=meta(3, 1.4, 0.95, 2.1))
    b["generated"] = "2026-11-30T23:47:23Z"
    h = bundle(placebo=meta(4, 1.55, 1.12, 2.15, ids=["A1990", "B1995", "C2000", "D2010"]))
    head_rows = BASE_ROWS + rows(("D2010", "2010", "9", "18", "4", "19", ""))
    changed = rows(
        ("A1990", "1990", "10", "20", "5", "20", "see https://example.org/x_(1) *now*"),
        *[tuple(r.values()) for r in BASE_ROWS[1:]],
    ) + rows(("D2010", "2010", "9", "18", "4", "19", ""))
    from analysis.publish.diff import text

    for head in (head_rows, changed):
        out = text(compare(Side("v0.1", b, BASE_ROWS), Side(".", h, head)))
        assert "\\" not in out and "**" not in out and "| " not in out and "`" not in out
        assert "2026-11-30T23:47:23Z" in out
    assert "(blank) → see https://example.org/x_(1) *now*" in out
    assert "significance: not significant → significant" in out


def test_cli_format_and_missing_tag_is_one_line(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(bundle(placebo=meta(3, 1.4, 0.95, 2.1))))
    (tmp_path / "b.json").write_text(json.dumps(bundle(placebo=meta(4, 1.55, 1.12, 2.15))))
    cmd = [sys.executable, "-m", "analysis", "diff", str(tmp_path / "a.json")]
    md = subprocess.run([*cmd, str(tmp_path / "b.json")], capture_output=True, text=True, cwd=ROOT)
    assert md.stdout.startswith("## Results diff")  # not a terminal: Markdown
    txt = subprocess.run(
        [*cmd, str(tmp_path / "b.json"), "--format", "text"], capture_output=True, text=True
    )
    assert txt.stdout.startswith("Results diff\n============\n") and "\\" not in txt.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "analysis", "diff", "v0.1.0-missing", "."],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.splitlines() == [
        "error: no revision or tag 'v0.1.0-missing' (git tag lists the tags,"
        " git branch -a the branches)"
    ]


def _first_verified_row_edited(root: Path) -> tuple[str, str, str]:
    """Change one verified count of the copied data by one (whatever today's values are)."""
    import csv
    import io

    table = list(csv.DictReader(io.StringIO((root / "data/studies.csv").read_text("utf-8"))))
    row = next(r for r in table if r["status"] == "verified" and r["ivig_improved"])
    e, n = int(row["ivig_improved"]), int(row["ivig_total"])
    new = str(e + 1 if e < n else e - 1)
    _edit_cell(root, row["study_id"], "ivig_improved", new)
    return row["study_id"], row["ivig_improved"], new


def test_diff_without_arguments_in_a_contributors_clone(tmp_path):
    """Clone, branch, commit a data change, run `diff` with no argument: the committed
    change is shown (against the merge base with main, then with origin/main)."""
    import os
    import shutil

    origin = tmp_path / "origin"
    origin.mkdir()
    copy_snapshot(origin / "data")  # frozen data: the test asserts no count of today
    _git(origin, "init", "-q", "-b", "main")
    _git(origin, "add", ".")
    _git(origin, "commit", "-q", "-m", "data")
    _git(tmp_path, "clone", "-q", str(origin), "clone")
    clone = tmp_path / "clone"
    _git(clone, "checkout", "-q", "-b", "my-trial")
    sid, before, after = _first_verified_row_edited(clone)
    _git(clone, "commit", "-q", "-am", "correct a count")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for base in ("main", "origin/main"):
        proc = subprocess.run(
            [sys.executable, "-m", "analysis", "diff", "--format", "text"],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        assert "0 trial(s) added, 0 removed, 1 changed" in proc.stdout
        assert f"ivig_improved: {before} → {after}" in proc.stdout and sid in proc.stdout
        assert f"From {base} (version" in proc.stdout  # labelled with the branch it left
        if base == "main":
            _git(clone, "branch", "-q", "-D", "main")  # then only origin/main is left
    lone = tmp_path / "lone"
    shutil.copytree(origin, lone)
    _git(lone, "remote", "-v")
    _git(lone, "branch", "-q", "-m", "main", "trunk")
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "diff"],
        cwd=lone,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "no branch main or origin/main" in proc.stderr


def test_the_readmes_diff_examples_work_as_written(tmp_path):
    """Every `analysis diff` line of the README's examples runs in a contributor's clone
    (a release tag, main, a committed branch) and exits 0."""
    import os
    import re
    import shlex

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [
        line.split("#", 1)[0].strip()
        for line in readme.splitlines()
        if line.startswith(".venv/bin/python -m analysis diff")
    ]
    assert len(commands) >= 3 and any(c.endswith("analysis diff") for c in commands)
    origin = tmp_path / "origin"
    origin.mkdir()
    copy_snapshot(origin / "data")  # frozen data: the test asserts no count of today
    (origin / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0.1.0"\n')
    _git(origin, "init", "-q", "-b", "main")
    _git(origin, "add", ".")
    _git(origin, "commit", "-q", "-m", "data")
    for tag in re.findall(r"diff (v\d+\.\d+\.\d+)", " ".join(commands)):
        _git(origin, "tag", tag)
    _git(tmp_path, "clone", "-q", str(origin), "clone")
    clone = tmp_path / "clone"
    _git(clone, "checkout", "-q", "-b", "my-trial")
    _first_verified_row_edited(clone)
    _git(clone, "commit", "-q", "-am", "a count")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in commands:
        argv = shlex.split(command)
        assert argv[:3] == [".venv/bin/python", "-m", "analysis"]
        proc = subprocess.run(
            [sys.executable, *argv[1:]], cwd=clone, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, (command, proc.stderr)
        assert "Results diff" in proc.stdout, command


def test_text_is_the_default_on_a_terminal_and_markdown_elsewhere(monkeypatch):
    import argparse

    from analysis.publish import diff

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert diff._format(argparse.Namespace(format=None, output=None)) == "text"
    assert diff._format(argparse.Namespace(format=None, output=Path("x.md"))) == "markdown"
    assert diff._format(argparse.Namespace(format="markdown", output=None)) == "markdown"
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert diff._format(argparse.Namespace(format=None, output=None)) == "markdown"


def test_the_comment_links_the_png_images_of_the_ci_run():
    from analysis.publish.diff import images_note

    files = [Path("out/forest-placebo-before.svg"), Path("out/forest-placebo-before.png")]
    url = "https://github.com/o/r/actions/runs/12#artifacts"
    note = images_note(files, "markdown", url)
    assert "`forest-placebo-before.png` (PNG; SVG beside)" in note and ".svg`" not in note
    assert f"[this CI run's `forest-plots` artifact]({url})" in note
    for bad in ("javascript:alert(1)", "https://x.org/a b", "http://x.org/"):
        assert "](" not in images_note(files, "markdown", bad)
    assert images_note(files, "text") == (
        "\nBefore/after forest plots of the comparisons that moved:"
        " out/forest-placebo-before.png (SVG beside).\n"
    )


def test_the_pull_request_template_asks_only_about_the_changed_rows():
    template = (ROOT / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    assert "analysis validate --changed" in template and "the rows you changed" in template
    assert "analysis diff HEAD ." not in template and "`.venv/bin/python -m analysis diff`" in (
        template
    )
