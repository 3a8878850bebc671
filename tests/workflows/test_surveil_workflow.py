"""The weekly surveillance workflow: least privilege, no data interpreted as code, our command.

The linters (zizmor, actionlint) and the pinning rules run over every workflow in
tests/workflows/test_workflows.py, this one included.
"""

from __future__ import annotations

from tests.workflows.test_workflows import ROOT, load, steps, write_scopes

PATH = ROOT / ".github" / "workflows" / "surveil.yml"


def test_weekly_and_on_demand():
    doc = load(PATH)
    assert set(doc["on"]) == {"schedule", "workflow_dispatch"}
    [cron] = [c["cron"] for c in doc["on"]["schedule"]]
    assert cron.split()[2:] == ["*", "*", "1"]  # once a week (Mondays)


def test_only_issues_write():
    doc = load(PATH)
    assert doc["permissions"] == {}
    assert write_scopes(doc) == {"surveil": {"issues"}}
    assert all(set(job["permissions"]) == {"issues"} for job in doc["jobs"].values())


def test_no_expression_in_a_run_script_and_the_issue_step_is_our_command():
    doc = load(PATH)
    runs = [s["run"] for _, _, s in steps(doc) if "run" in s]
    assert all("${{" not in r for r in runs)  # data and secrets pass through env only
    issue_step = next(s for _, _, s in steps(doc) if "--open-issues" in s.get("run", ""))
    assert "python -m analysis surveil --integrity --counts-wanted --open-issues" in (
        issue_step["run"].replace("\\\n", "").replace("  ", " ")
    )
    assert set(issue_step["env"]) == {"GITHUB_TOKEN", "IVIG_CONTACT_EMAIL"}
