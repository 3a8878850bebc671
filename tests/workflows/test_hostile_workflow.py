"""The comment job says when a pull request changes code (issue 25, reproducer 9), and the
files a maintainer must approve have an owner.

A pull request that changes code fully controls the results-diff artifact, so it could
post a forged "No change". The trusted job asks GitHub (never the artifact) which files
the pull request changes, and when any is outside ``data/`` the comment says first that
it was computed by the pull request's own code. The job's script runs here under Node
with GitHub's client replaced by a stub.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SENTENCE = "this comment was computed by the pull request's own code"


def _script() -> str:
    doc = yaml.safe_load((ROOT / ".github/workflows/pr-comment.yml").read_text(encoding="utf-8"))
    steps = doc["jobs"]["comment"]["steps"]
    return next(s["with"]["script"] for s in steps if "script" in s.get("with", {}))


def _comment(tmp_path: Path, files: list[dict]) -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("NOT RUN: no Node.js")
    (tmp_path / "results-diff").mkdir()
    (tmp_path / "results-diff" / "pr-number.txt").write_text("7\n", encoding="utf-8")
    (tmp_path / "results-diff" / "diff.md").write_text(
        "## Results diff\n\nNo change in the trial data or in any pooled result.\n",
        encoding="utf-8",
    )
    harness = (
        "const out = {};\n"
        "const core = { setFailed: (m) => { out.failed = m; },\n"
        "  notice: () => {}, info: () => {} };\n"
        "const listFiles = () => {}; const listComments = () => {};\n"
        "const github = {\n"
        "  rest: {\n"
        "    pulls: { get: async () => ({ data: { head: { sha: 'abc1234def' } } }), listFiles },\n"
        "    issues: { listComments,\n"
        "      createComment: async (a) => { out.body = a.body; return { data: { id: 1 } }; },\n"
        "      updateComment: async (a) => { out.body = a.body; } },\n"
        "  },\n"
        f"  paginate: async (fn) => (fn === listFiles ? {json.dumps(files)} : []),\n"
        "};\n"
        "const context = { repo: { owner: 'o', repo: 'r' } };\n"
        "process.env.HEAD_SHA = 'abc1234def'; process.env.RUN_URL = 'https://example.org/run';\n"
        f"(async () => {{\n{_script()}\n}})().then(() => console.log(JSON.stringify(out)));\n"
    )
    (tmp_path / "run.js").write_text(harness, encoding="utf-8")
    proc = subprocess.run(
        [node, "run.js"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "failed" not in out, out
    return out["body"]


def test_a_data_only_pull_request_gets_no_warning(tmp_path):
    body = _comment(tmp_path, [{"filename": "data/studies.csv"}, {"filename": "data/x.yaml"}])
    assert SENTENCE not in body and "No change in the trial data" in body


def test_a_pull_request_changing_code_is_said_to_compute_its_own_comment(tmp_path):
    files = [
        {"filename": "data/studies.csv"},
        {"filename": "analysis/publish/diff/comment.py"},
        {"filename": "data/renamed.csv", "previous_filename": "tests/`x`@evil<b>.py"},
    ]
    body = _comment(tmp_path, files)
    head, _, rest = body.partition("No change in the trial data")
    assert SENTENCE in head  # said before the report
    assert "`analysis/publish/diff/comment.py`" in head
    assert "`tests/?x??evil?b?.py`" in head  # a file name is shown only in safe characters
    assert "<b>" not in body and "@evil" not in body


def test_codeowners_names_the_files_a_maintainer_must_approve():
    text = (ROOT / ".github" / "CODEOWNERS").read_text(encoding="utf-8")
    owned = {
        line.split()[0] for line in text.splitlines() if line.strip() and not line.startswith("#")
    }
    must = {
        "/data/certainty.csv",
        "/review-metadata.yml",
        "/data/published.yaml",
        "/data/protocol.yaml",
        "/data/datapackage.json",
        "/analysis/",
        "/.github/",
    }
    assert must <= owned, must - owned
    assert "/data/studies.csv" not in owned and "*" not in owned  # evidence: any reviewer
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            assert line.split()[1:] == ["@ivig-living-review/maintainers"], line
