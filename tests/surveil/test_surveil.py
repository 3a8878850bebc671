"""Surveillance: the search replayed from recorded API responses, and the live HTTP path
against a local stub server (no network: every address is 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from analysis.surveil import sources
from analysis.surveil.fetch import Http, Replay, SourceError
from analysis.surveil.run import search
from analysis.surveil.sources import Window
from tests.snapshot import SNAPSHOT

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "surveil"
DATA = SNAPSHOT  # the frozen register (tests/snapshot.py): identifiers only, no count
WINDOW = Window(dt.date(2026, 11, 28), dt.date(2026, 12, 5))


def run_week(folder: str = "week"):
    return search(DATA, Replay(FIX / folder), WINDOW, tool="t", email="", offline=True)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", "surveil", "--data", str(DATA), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_known_trials_are_deduplicated_by_each_identifier():
    report = run_week()
    known = {c.known_as: c.matched_by[0] for c in report.known if c.matched_by}
    assert known == {
        "Bril2025_MG_maintenance": "PMID",
        "Dubey2020": "DOI",  # upper-case DOI in the record, lower-case in the register
        "Camdessanche2014": "NCT",  # the NCT number is in the row's design text
        "Hughes2008_ICE": "title",  # no identifier: the normalised title of references.bib
    }
    assert all(c.known_as is None for c in report.new)


def test_a_new_trial_is_one_candidate_across_sources_with_its_rule():
    report = run_week()
    [c] = [c for c in report.new if c.ids.get("pmid") == "40000001"]
    assert {r.source for r in c.records} == {"PubMed", "Europe PMC"}
    assert c.disease == "myasthenia_gravis"
    assert any("publication type Randomized Controlled Trial" in r for r in c.rules)
    assert any(r.startswith("PubMed (40000001) returned it") for r in c.rules)
    assert c.out_of_scope == ()
    assert len(report.new) == 4
    assert report.sources["PubMed"] == "ok: 3 records" and not report.errors


def test_each_candidate_says_why_it_may_be_out_of_scope():
    report = run_week()
    flags = {c.source_id: c.out_of_scope for c in report.new}
    hostile = flags["PMID 40000002"]
    assert any("Observational Study" in f for f in hostile)
    assert any('"retrospective"' in f for f in hostile)
    assert any("randomised" in f for f in hostile)
    assert any("preprint" in f for f in flags["doi: 10.1101/2026.11.25.000001"])
    assert any("registry record only" in f for f in flags["NCT09999992"])


def test_a_failing_source_is_one_line_and_the_others_still_report():
    report = run_week("broken")
    assert report.sources["PubMed"] == "ok: 3 records"
    assert report.sources["Europe PMC"].startswith("error: europepmc: HTTP 503")
    assert "malformed response" in report.sources["ClinicalTrials.gov"]
    assert len(report.errors) == 2 and all("\n" not in e for e in report.errors)
    assert {c.known_as for c in report.known} == {"Bril2025_MG_maintenance"}
    proc = cli("--offline", str(FIX / "broken"), "--since", "2026-11-28", "--until", "2026-12-05")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("source error: ") for line in lines)
    assert "| PubMed | ok" in proc.stdout


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("pubmed_esearch", b"<html>Bad gateway</html>", "not JSON"),
        ("pubmed_esearch", b'{"esearchresult": {"ERROR": "Invalid query"}}', "refused"),
        ("pubmed_esearch", b'{"error": "API rate limit exceeded"}', "refused"),
        ("europepmc", b'{"resultList": {"result": [{"id": "1"}]}}', "'title'"),
        ("ctgov", b'{"studies": [{"hasResults": true}]}', "'protocolSection'"),
    ],
)
def test_malformed_responses_are_source_errors(tmp_path, name, body, message):
    (tmp_path / f"{name}.json").write_bytes(body)
    fetch = Replay(tmp_path)
    fn = {"pubmed_esearch": sources.pubmed, "europepmc": sources.europepmc}.get(name, sources.ctgov)
    with pytest.raises(SourceError, match=message):
        fn(fetch, WINDOW, {})


def test_the_hostile_title_is_escaped_in_the_report_and_json_keeps_it_verbatim():
    proc = cli("--offline", str(FIX / "week"), "--since", "2026-11-28", "--until", "2026-12-05")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert not re.search(r"(?<!\\)<(script|img)", out)  # every < escaped
    assert "\\<script\\>" in out and "\\[click\\]\\(javascript" in out
    proc = cli("--offline", str(FIX / "week"), "--json", "--since", "2026-11-28")
    data = json.loads(proc.stdout)
    titles = [c["title"] for c in data["new"]]
    assert any(t.startswith("<script>alert(1)</script>") for t in titles)
    assert {c["known_as"] for c in data["known"]} >= {"Bril2025_MG_maintenance"}


def test_the_search_asks_for_a_date_window_and_identifies_the_tool():
    fetch = Replay(FIX / "week")
    search(DATA, fetch, WINDOW, tool="ivig-test", email="someone@example.org", offline=True)
    asked = {name: params for name, _, params in fetch.requests}
    es = asked["pubmed_esearch"]
    assert (es["mindate"], es["maxdate"], es["datetype"]) == ("2026/11/28", "2026/12/05", "edat")
    assert es["tool"] == "ivig-test" and es["email"] == "someone@example.org"
    assert asked["pubmed_esummary"]["id"] == "39506903,40000001,40000002"
    assert "FIRST_PDATE:[2026-11-28 TO 2026-12-05]" in asked["europepmc"]["query"]
    assert "RANGE[2026-11-28,2026-12-05]" in asked["ctgov"]["filter.advanced"]


# --------------------------------------------------------------------------- live HTTP path


class _Stub(BaseHTTPRequestHandler):
    """Serves the recordings by path; ``failures`` answers 503 that many times first."""

    routes: dict[str, bytes] = {}
    failures: dict[str, int] = {}
    retry_after: dict[str, str] = {}
    seen: list[tuple[str, str]] = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        path, _, query = self.path.partition("?")
        type(self).seen.append((path, self.headers.get("User-Agent", "")))
        if self.failures.get(path, 0) > 0:
            self.failures[path] -= 1
            self.send_response(503)
            if path in self.retry_after:
                self.send_header("Retry-After", self.retry_after[path])
            self.end_headers()
            return
        body = self.routes.get(path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"not found")

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def stub():
    """A local server on 127.0.0.1 that stops itself after 60 s at the latest."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    timer = threading.Timer(60, server.shutdown)
    timer.daemon = True
    timer.start()
    _Stub.routes, _Stub.failures, _Stub.retry_after, _Stub.seen = {}, {}, {}, []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()


def test_live_path_parses_the_same_as_the_replay(stub, monkeypatch):
    week = FIX / "week"
    for name, path in (
        ("pubmed_esearch", "/esearch"),
        ("pubmed_esummary", "/esummary"),
        ("europepmc", "/europepmc"),
        ("ctgov", "/ctgov"),
    ):
        _Stub.routes[path] = (week / f"{name}.json").read_bytes()
        monkeypatch.setitem(sources.URLS, path.strip("/"), stub + path)
    _Stub.failures["/europepmc"] = 2  # two 503s, then the answer
    sleeps: list[float] = []
    http = Http(tool="ivig-test", email="a@example.org", backoff=0.01, sleep=sleeps.append)
    live = search(DATA, http, WINDOW, tool="ivig-test", email="a@example.org", today=WINDOW.until)
    replay = search(DATA, Replay(week), WINDOW, tool="ivig-test", email="", today=WINDOW.until)
    assert [c.to_dict() for c in live.found] == [c.to_dict() for c in replay.found]
    assert not live.errors
    assert [p for p, _ in _Stub.seen].count("/europepmc") == 3
    assert 0.01 in sleeps and 0.02 in sleeps  # exponential back-off: 0.01 * 2**attempt
    assert all(ua == "ivig-test (mailto:a@example.org)" for _, ua in _Stub.seen)


def test_live_path_gives_up_with_one_line(stub, monkeypatch):
    _Stub.failures["/europepmc"] = 99
    _Stub.retry_after["/europepmc"] = "7"  # the server's Retry-After wins over the back-off
    waits: list[float] = []
    monkeypatch.setitem(sources.URLS, "europepmc", stub + "/europepmc")
    http = Http(tool="t", email="", retries=2, backoff=0.0, sleep=waits.append)
    with pytest.raises(SourceError, match=r"^europepmc: HTTP 503$"):
        sources.europepmc(http, WINDOW, {})
    assert len(_Stub.seen) == 3 and waits.count(7.0) == 2
    # a closed port: unreachable, named, one line
    dead = Http(tool="t", email="", retries=1, backoff=0.0, timeout=2, sleep=lambda s: None)
    monkeypatch.setitem(sources.URLS, "ctgov", "http://127.0.0.1:9/ctgov")
    with pytest.raises(SourceError, match=r"^ctgov: unreachable after 2 tries"):
        sources.ctgov(dead, WINDOW, {})


def test_the_rate_limit_spaces_requests_to_one_host():
    waits: list[float] = []
    http = Http(tool="t", email="", sleep=waits.append)
    http._wait("eutils.ncbi.nlm.nih.gov")
    http._wait("eutils.ncbi.nlm.nih.gov")
    assert waits and 0 < waits[0] <= 0.34  # at most 3 requests per second (NCBI)


class _Pages:
    """A fetcher answering each request from a function of its parameters."""

    def __init__(self, answer):
        self.answer, self.asked = answer, []

    def get(self, recording, url, params):
        self.asked.append(dict(params))
        return self.answer(recording, params)


def _epmc(n: int) -> dict:
    return {"id": str(n), "source": "MED", "title": f"Trial {n} of IVIG in myasthenia gravis"}


def test_every_source_reads_all_pages_of_the_window():
    def answer(recording, params):
        if recording == "europepmc":
            first = params["cursorMark"] == "*"
            return {
                "hitCount": 3,
                "nextCursorMark": "A" if first else "B",
                "resultList": {"result": [_epmc(1), _epmc(2)] if first else [_epmc(3)]},
            }
        if recording == "ctgov":
            token = params.get("pageToken")
            study = {
                "protocolSection": {
                    "identificationModule": {"nctId": f"NCT0000000{1 if token is None else 2}"}
                }
            }
            return {"studies": [study], **({"nextPageToken": "p2"} if token is None else {})}
        if recording == "pubmed_esearch":
            start = int(params["retstart"])
            ids = [str(i) for i in range(start, min(start + 200, 250))]
            return {"esearchresult": {"count": "250", "idlist": ids}}
        uids = params["id"].split(",")
        return {"result": {"uids": uids, **{u: {"title": f"t{u}"} for u in uids}}}

    fetch = _Pages(answer)
    assert [r.source_id for r in sources.europepmc(fetch, WINDOW, {})] == [
        "MED:1",
        "MED:2",
        "MED:3",
    ]
    assert [r.nct for r in sources.ctgov(fetch, WINDOW, {})] == ["NCT00000001", "NCT00000002"]
    assert len(sources.pubmed(fetch, WINDOW, {})) == 250
    assert [p["retstart"] for p in fetch.asked if "retstart" in p] == ["0", "200"]
    assert [len(p["id"].split(",")) for p in fetch.asked if "id" in p] == [200, 50]


def test_a_runaway_window_is_a_source_error():
    def answer(recording, params):
        n = int(params.get("pageToken") or 0)
        study = {"protocolSection": {"identificationModule": {"nctId": f"NCT{n:08d}"}}}
        return {"studies": [study], "nextPageToken": str(n + 1)}

    with pytest.raises(SourceError, match="more than 1000 records in the window"):
        sources.ctgov(_Pages(answer), WINDOW, {})
