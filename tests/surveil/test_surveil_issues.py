"""Surveillance issues against a stub of the GitHub REST API on 127.0.0.1, the integrity
watch on recorded Crossref responses, and the release check it drives."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from analysis.errors import UserError
from analysis.surveil import integrity, issues
from analysis.surveil.fetch import Replay
from analysis.surveil.github import GitHub
from analysis.surveil.register import Register, RegisterTrial, load_register
from tests.snapshot import copy_snapshot
from tests.surveil.test_surveil import DATA, FIX, ROOT, run_week

REPO = "owner/ivig"


class _GitHubStub(BaseHTTPRequestHandler):
    """Issues in memory; lists are paginated two per page with a ``Link`` header."""

    store: list[dict] = []
    calls: list[tuple[str, str]] = []
    token = ""
    drop_labels = False

    def _send(self, status: int, payload, link: str = "") -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if link:
            self.send_header("Link", link)
        self.end_headers()
        self.wfile.write(body)

    def _auth(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self._send(401, {"message": "Bad credentials"})
            return False
        return True

    def do_GET(self):  # noqa: N802
        self.calls.append(("GET", self.path))
        if not self._auth():
            return
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        assert url.path == f"/repos/{REPO}/issues" and q["state"] == ["all"]
        label = q.get("labels", [None])[0]
        hits = [i for i in self.store if label is None or label in i["labels"]]
        page = int(q.get("page", ["1"])[0])
        chunk = hits[(page - 1) * 2 : page * 2]
        link = ""
        if page * 2 < len(hits):
            host = f"http://{self.headers['Host']}"
            only = f"labels={label}&" if label else ""
            query = f"{only}state=all&per_page=100&page={page + 1}"
            link = f'<{host}{url.path}?{query}>; rel="next"'
        shown = [{**i, "labels": [{"name": n} for n in i["labels"]]} for i in chunk]
        self._send(200, shown, link)

    def _body(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_POST(self):  # noqa: N802
        self.calls.append(("POST", self.path))
        if not self._auth():
            return
        data = self._body()
        if self.drop_labels:  # what GitHub does when the token may not set labels
            data["labels"] = []
        issue = {"number": len(self.store) + 1, "state": "open", **data}
        self.store.append(issue)
        self._send(201, issue)

    def do_PATCH(self):  # noqa: N802
        self.calls.append(("PATCH", self.path))
        if not self._auth():
            return
        number = int(self.path.rsplit("/", 1)[1])
        issue = self.store[number - 1]
        issue.update(self._body())
        self._send(200, issue)

    def log_message(self, *args):
        pass


@pytest.fixture
def github():
    """A GitHub stub on 127.0.0.1 that stops itself after 60 s at the latest."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GitHubStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    timer = threading.Timer(60, server.shutdown)
    timer.daemon = True
    timer.start()
    _GitHubStub.store, _GitHubStub.calls, _GitHubStub.token = [], [], "t0ken"
    _GitHubStub.drop_labels = False
    try:
        yield GitHub(f"http://127.0.0.1:{server.server_address[1]}", REPO, "t0ken", write_gap=0)
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()


def test_one_issue_per_new_candidate_and_never_two(github):
    report = run_week()
    first = issues.sync_candidates(github, report)
    assert sum(a.startswith("opened") for a in first) == len(report.new) == 4
    store = _GitHubStub.store
    assert all(i["labels"] == [issues.CANDIDATE_LABEL] for i in store)
    titles = sorted(i["title"] for i in store)
    assert "Candidate trial: Example A, 2026, PMID 40000001" in titles
    # a second run (pagination: two issues per page) updates nothing and opens nothing
    again = issues.sync_candidates(github, report)
    assert len(store) == 4 and all(a.endswith("is up to date") for a in again)
    # a screened-out (closed) issue stays closed and is not duplicated
    store[0]["state"] = "closed"
    third = issues.sync_candidates(github, report)
    assert len(store) == 4 and any("is closed (screened)" in a for a in third)


def test_the_issue_body_has_the_link_the_reason_and_a_data_row():
    report = run_week()
    [c] = [c for c in report.new if c.ids.get("pmid") == "40000001"]
    title, body = issues.candidate_issue(c)
    assert "<https://pubmed.ncbi.nlm.nih.gov/40000001/>" in body
    assert "<https://doi.org/10.9999/test.2026.001>" in body
    assert "publication type Randomized Controlled Trial" in body
    assert "```text\nstudy_id,author,year,disease," in body
    assert "\nExample2026,Example A,2026,myasthenia_gravis," in body
    assert issues.marker_ids(body) >= {"pmid:40000001", "nct:nct09999991"}


def test_the_hostile_title_is_escaped_in_the_issue_body():
    report = run_week()
    [c] = [c for c in report.new if c.ids.get("pmid") == "40000002"]
    title, body = issues.candidate_issue(c)
    text = body.split("```text")[0]  # the data row is a literal code block
    assert "<script>" not in text and "<img" not in text.replace("\\<img", "")
    assert "@\u200dmaintainers" in text and "#\u200d1" in text  # no live mention, no link
    assert "](javascript" not in text
    assert "${{" not in text  # escaped to \$\{\{
    assert "\n" not in title and title.startswith("Candidate trial: <img")  # titles are plain
    # no text can close the hidden marker
    assert body.count("-->") == 1


def test_a_doi_cannot_break_the_marker():
    m = issues.marker(["doi:10.1/x --> <script>", "pmid:1"])
    assert m.count("-->") == 1 and "<script>" not in m
    assert issues.marker_ids(m + "\ntext") == {"doi:10.1/x%20--%3E%20%3Cscript%3E", "pmid:1"}


def _register(*rows: dict) -> Register:
    cols = dict.fromkeys(issues.COLUMNS, "")
    return Register.of(
        RegisterTrial(
            r["study_id"],
            {**cols, **r},
            pmid=r.get("pmid", ""),
            doi=r.get("doi", ""),
            ncts=tuple(r.get("ncts", ())),
        )
        for r in rows
    )


def test_counts_wanted_one_per_pending_trial_closed_when_counts_land(github):
    pending = {
        "study_id": "Alpha2001",
        "author": "Alpha",
        "year": "2001",
        "disease": "cidp",
        "comparator": "placebo",
        "status": "pending",
        "pmid": "111",
        "ncts": ["NCT00000001"],
        "design": "parallel RCT @someone",
    }
    other = {**pending, "study_id": "Beta2002", "author": "Beta", "year": "2002", "pmid": "222"}
    other["ncts"] = []
    done = {"study_id": "Gamma2003", "status": "verified", "author": "Gamma", "year": "2003"}
    actions = issues.sync_counts_wanted(github, _register(pending, other, done))
    store = _GitHubStub.store
    assert [i["title"] for i in store] == [
        "Counts wanted: Alpha 2001, CIDP (IVIG vs placebo)",
        "Counts wanted: Beta 2002, CIDP (IVIG vs placebo)",
    ]
    body = store[0]["body"]
    assert "`ivig_improved`, `ivig_total`, `control_improved`, `control_total`" in body
    assert "<https://pubmed.ncbi.nlm.nih.gov/111/>" in body
    assert "<https://clinicaltrials.gov/study/NCT00000001>" in body
    assert "improvement or responder" in body and "@\u200dsomeone" in body
    with_rules = issues.counts_wanted_issue(
        _register(pending).trials[0], issues.COLUMNS, ["The trial's primary outcome.", "Else X."]
    )[1]
    assert "1. The trial\\'s primary outcome\\.\n2. Else X\\." in with_rules
    assert "```text\nstudy_id,author,year," in body
    assert len(actions) == 2
    # again: nothing new; then Alpha's counts land on main: its issue closes, Beta's stays
    issues.sync_counts_wanted(github, _register(pending, other, done))
    assert len(store) == 2
    landed = {**pending, "status": "verified", "ivig_improved": "5"}
    actions = issues.sync_counts_wanted(github, _register(landed, other, done))
    assert store[0]["state"] == "closed" and store[0]["state_reason"] == "completed"
    assert store[1]["state"] == "open" and len(store) == 2
    assert "closed issue #1: its counts are on main" in actions


def test_bad_credentials_are_one_line(github):
    bad = GitHub(github.api, REPO, "wrong")
    with pytest.raises(UserError, match=r"^GitHub API: GET .*/issues: HTTP 401$"):
        bad.issues("x")


def test_open_issues_from_the_command_line(github):
    env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": github.api,
        "IVIG_GITHUB_WRITE_GAP": "0",
    }
    args = ["--offline", str(FIX / "week_and_integrity"), "--since", "2026-11-28", "--open-issues"]
    args += ["--counts-wanted", "--data", str(DATA), "--integrity"]
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "surveil", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    store = _GitHubStub.store
    candidates = [i for i in store if i["labels"] == [issues.CANDIDATE_LABEL]]
    integrity_issues = [i for i in store if i["labels"] == [issues.INTEGRITY_LABEL]]
    assert len(integrity_issues) == 2  # the retraction and the correction
    wanted = [i for i in store if i["labels"] == [issues.COUNTS_LABEL]]
    pending = [t for t in load_register(DATA).trials if t.status == "pending"]
    assert len(candidates) == 4 and len(wanted) == len(pending)
    assert proc.stderr.count("opened issue #") == len(store)
    assert all("data/protocol.yaml, applied in order" in i["body"] for i in wanted)
    header = (DATA / "studies.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = candidates + wanted
    assert all(f"```text\n{header}\n" in i["body"] for i in rows)  # the register's columns
    [camdessanche] = [i for i in wanted if "Camdessanche" in i["title"]]
    assert (
        "Results are posted on ClinicalTrials.gov** (NCT01349270, 2026\\-11\\-15)"
        in (camdessanche["body"])
    )


# --------------------------------------------------------------------------- integrity


def test_the_integrity_watch_reads_crossref_updates_and_posted_results():
    found = integrity.watch(DATA, Replay(FIX / "integrity"))
    kinds = {(u.study_id, u.update) for u in found.updates}
    assert kinds == {("Dubey2020", "retraction"), ("Hughes2001", "correction")}
    [retraction] = [u for u in found.updates if u.update == "retraction"]
    assert retraction.blocks_release and retraction.date == "2026-11-30"
    assert retraction.notice == "10.9999/retraction.2026.1"
    assert found.results_posted == (("Camdessanche2014", "NCT01349270", "2026-11-15"),)
    assert not found.errors


def test_a_malformed_crossref_response_is_a_source_error(tmp_path):
    (tmp_path / "crossref.json").write_text('{"status": "ok", "message": {}}')
    found = integrity.watch(DATA, Replay(tmp_path))
    assert found.errors and found.errors[0].startswith("Crossref: crossref: malformed")
    # an incomplete watch cannot clear a release
    assert integrity.release_problems(DATA, found)


def _decision(data: Path, doi: str, update: str = "retraction") -> None:
    (data / "integrity.yaml").write_text(
        "decisions:\n"
        f"  - doi: {doi}\n    update: {update}\n    decision: excluded\n"
        "    reason: the report was retracted\n    decided: 2026-12-05\n",
        encoding="utf-8",
    )


def test_a_retraction_blocks_the_release_until_a_decision_is_recorded(tmp_path):
    data = tmp_path / "data"
    copy_snapshot(data)
    found = integrity.watch(data, Replay(FIX / "integrity"))
    [problem] = integrity.release_problems(data, found)
    assert problem.startswith("data/integrity.yaml: Dubey2020 (doi 10.1002/ana.25655) has a ")
    with pytest.raises(UserError, match="release blocked by the integrity watch"):
        integrity.check_release(data, FIX / "integrity")
    _decision(data, "10.1002/ana.25655")
    assert integrity.release_problems(data, found) == []
    integrity.check_release(data, FIX / "integrity")  # passes
    integrity.check_release(data, FIX / "clean")


def test_the_release_command_fails_on_a_recorded_retraction(tmp_path):
    root = tmp_path / "project"
    copy_snapshot(root / "data")
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "release", "9.0.0", "--dry-run", "--root", str(root)]
        + ["--integrity-offline", str(FIX / "integrity")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "release blocked by the integrity watch" in proc.stderr
    assert "Dubey2020" in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("decisions:\n  - doi: 10.1/x\n    update: retraction\n", "decision: required"),
        (
            "decisions:\n  - {doi: 10.1/x, update: oops, decision: kept, reason: r, "
            "decided: 2026-01-01}\n",
            "update: must be one of",
        ),
        (
            "decisions:\n  - {doi: 10.1/x, update: retraction, decision: maybe, reason: r, "
            "decided: 2026-01-01}\n",
            "decision: must be one of excluded, kept",
        ),
    ],
)
def test_integrity_decisions_are_checked(tmp_path, text, message):
    from analysis.evidence.surveillance import load_decisions

    (tmp_path / "integrity.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=message):
        load_decisions(tmp_path)


def test_a_retraction_opens_one_issue_that_says_the_release_is_blocked(github):
    found = integrity.watch(DATA, Replay(FIX / "integrity"))
    actions = issues.sync_integrity(github, found)
    store = _GitHubStub.store
    assert sorted(i["title"] for i in store) == [
        "Integrity: correction of Hughes2001 (doi 10.1002/ana.1088)",
        "Integrity: retraction of Dubey2020 (doi 10.1002/ana.25655)",
    ]
    assert all(i["labels"] == [issues.INTEGRITY_LABEL] for i in store)
    retraction = next(i for i in store if "retraction" in i["title"])
    assert "**The release check fails** until `data/integrity.yaml`" in retraction["body"]
    assert "<https://doi.org/10.9999/retraction.2026.1>" in retraction["body"]
    assert len(actions) == 2
    issues.sync_integrity(github, found)  # the next week: no second issue
    assert len(store) == 2


def test_the_marker_finds_an_issue_whose_label_was_dropped(github):
    _GitHubStub.drop_labels = True
    report = run_week()
    issues.sync_candidates(github, report)
    assert len(_GitHubStub.store) == 4 and all(i["labels"] == [] for i in _GitHubStub.store)
    again = issues.sync_candidates(github, report)
    assert len(_GitHubStub.store) == 4 and all(a.endswith("is up to date") for a in again)


def test_writes_are_spaced_as_github_asks(github):
    waits: list[float] = []
    spaced = GitHub(github.api, REPO, "t0ken", sleep=waits.append)
    spaced.create("t", "b", [])
    spaced.issues()
    spaced.update(1, state="closed")
    assert waits == [1.0, 1.0]  # one second before each write, none before a read
