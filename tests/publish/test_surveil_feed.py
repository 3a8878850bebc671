"""What's new, machine-readable: the release's JSON record and the Atom feed (RFC 4287)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

from analysis.publish import feed
from analysis.publish.diff import Side, compare
from analysis.report.changelog import changelog_entries

A = "{http://www.w3.org/2005/Atom}"


def _row(est: float, lo: float, hi: float, label: str, k: int = 3) -> dict:
    return {
        "k": k,
        "measure": "RR",
        "estimate": est,
        "ci_low": lo,
        "ci_high": hi,
        "certainty": {"label": label},
    }


def _bundle(findings: dict) -> dict:
    return {"comparisons": {"placebo": {"findings": findings}}}


def test_the_release_record_says_what_changed_and_whether_a_conclusion_did():
    base = Side(
        "v0.1.0",
        _bundle({"all": _row(1.5, 0.9, 2.5, "low"), "cidp": _row(2.0, 1.2, 3.3, "moderate")}),
        ({"study_id": "A", "x": "1"}, {"study_id": "C", "x": "1"}),
    )
    head = Side(
        "v0.2.0",
        _bundle(
            {"all": _row(1.6, 1.1, 2.3, "moderate", 4), "cidp": _row(2.1, 1.3, 3.4, "moderate")}
        ),
        ({"study_id": "A", "x": "2"}, {"study_id": "B", "x": "1"}),
    )
    record = feed.release_record(compare(base, head), "0.2.0", "2026-12-05", "v0.1.0")
    assert record["trials"] == {
        "added": ["B"],
        "removed": ["C"],
        "changed": [{"study_id": "A", "columns": ["x"]}],
    }
    rows = {(r["comparison"], r["disease"]): r for r in record["results"]}
    overall = rows["placebo", "all"]
    assert overall["before"] == {
        "k": 3,
        "measure": "RR",
        "estimate": 1.5,
        "ci_low": 0.9,
        "ci_high": 2.5,
        "certainty": "low",
    }
    assert overall["after"]["ci_low"] == 1.1 and overall["after"]["certainty"] == "moderate"
    assert overall["conclusion_changed"] and overall["why"] == "statistical significance changed"
    assert rows["placebo", "cidp"]["conclusion_changed"] is False
    assert record["conclusion_changed"] is True
    assert "statistical significance" in record["conclusion_rule"]
    json.dumps(record)  # JSON-ready


def test_a_new_comparison_has_no_before_and_no_conclusion_change():
    base = Side("none", {"comparisons": {}}, ())
    head = Side("v0.1.0", _bundle({"all": _row(1.2, 0.8, 1.9, "very low")}), ())
    [row] = feed.release_record(compare(base, head), "0.1.0", "2026-12-01", None)["results"]
    assert row["before"] is None and row["conclusion_changed"] is False


def _changelog(root: Path) -> None:
    folder = root / "changelog"
    folder.mkdir(parents=True)
    (folder / "v0.1.0.md").write_text(
        "# v0.1.0 (2026-11-30)\n\nFirst release.\n\n## What's new\n\n- Trials added (2): A, B.\n"
    )
    (folder / "v0.2.0.md").write_text(
        "# v0.2.0 (2026-12-05)\n\nChanges since v0.1.0.\n\n## What's new\n\n"
        "- Trials added (1): <script>C</script> & D.\n- **The conclusion changed**.\n\n"
        "## Results diff\n\n| a | b |\n"
    )
    (folder / "v0.2.0.json").write_text("{}")


def _rfc3339(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", text)) and (
        datetime.fromisoformat(text.replace("Z", "+00:00")) is not None
    )


def _valid_atom(xml: str) -> ET.Element:
    """The RFC 4287 rules a feed reader depends on (sections 4.1.1, 4.1.2, 4.2)."""
    feed_el = ET.fromstring(xml)  # well-formed XML, or ParseError
    assert feed_el.tag == f"{A}feed"
    for parent in (feed_el, *feed_el.findall(f"{A}entry")):
        for tag in ("id", "title", "updated"):  # exactly one each (4.1.1, 4.1.2)
            assert len(parent.findall(f"{A}{tag}")) == 1, (parent.tag, tag)
        assert re.match(r"^[a-z][a-z0-9+.-]*:", parent.findtext(f"{A}id") or "")  # an IRI
        assert _rfc3339(parent.findtext(f"{A}updated") or "")  # 3.3 date construct
        for link in parent.findall(f"{A}link"):
            assert link.get("href")  # 4.2.7.1
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in parent.findall(f"{A}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == len(set(alternates))  # 4.1.1: one alternate per type
    # an author on the feed, or on every entry (4.1.1)
    assert feed_el.find(f"{A}author/{A}name") is not None
    for entry in feed_el.findall(f"{A}entry"):
        # no content: then an alternate link and a summary (4.1.1, 4.1.2)
        assert entry.find(f"{A}content") is not None or (
            any(lk.get("rel", "alternate") == "alternate" for lk in entry.findall(f"{A}link"))
            and entry.find(f"{A}summary") is not None
        )
    assert [lk.get("rel") for lk in feed_el.findall(f"{A}link")].count("self") == 1
    return feed_el


def test_the_feed_is_valid_atom_with_one_entry_per_release(tmp_path):
    _changelog(tmp_path)
    xml = feed.atom(changelog_entries(tmp_path), "https://example.org/review/", title="T")
    assert xml.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = _valid_atom(xml)
    entries = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == [
        "v0.2.0 (2026-12-05)",
        "v0.1.0 (2026-11-30)",
    ]
    assert root.findtext(f"{A}updated") == "2026-12-05T00:00:00Z"
    newest = entries[0]
    assert newest.findtext(f"{A}id") == "https://example.org/review/v0.2.0/"
    summary = newest.findtext(f"{A}summary")
    assert summary == "- Trials added (1): <script>C</script> & D. - The conclusion changed."
    assert "&lt;script&gt;" in xml and "<script>" not in xml  # text, escaped by the writer
    related = [lk.get("href") for lk in newest.findall(f"{A}link") if lk.get("rel") == "related"]
    assert related == ["https://example.org/review/changelog/v0.2.0.json"]
    assert not [lk for lk in entries[1].findall(f"{A}link") if lk.get("rel") == "related"]


def test_an_empty_changelog_is_still_a_valid_feed(tmp_path):
    xml = feed.atom([], "https://example.org/", title="T", updated="2026-12-05T15:04:31Z")
    assert _valid_atom(xml).findtext(f"{A}updated") == "2026-12-05T15:04:31Z"


def test_the_validator_catches_a_broken_feed():
    bad = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title>'
        "<updated>2026-12-05</updated></feed>"
    )
    try:
        _valid_atom(bad)
    except AssertionError:
        return
    raise AssertionError("a feed without an IRI id, a full date and an author passed")


def test_the_build_puts_the_feed_and_records_in_the_site(tmp_path):
    _changelog(tmp_path)
    staging = tmp_path / "_site"
    staging.mkdir()
    feed.write(tmp_path, staging, "https://example.org/", title="T")
    _valid_atom((staging / feed.FEED).read_text(encoding="utf-8"))
    assert (staging / "changelog" / "v0.2.0.json").read_text() == "{}"


def test_a_release_writes_its_json_record_beside_the_entry(tmp_path):
    from tests.publish.test_release import released_project, run_release, set_count

    r = released_project(tmp_path / "project")
    set_count(r, "Mendell2001", "ivig_improved", "12")
    proc = run_release(r, "0.1.1", "--date", "2026-12-01")
    assert proc.returncode == 0, proc.stderr
    record = json.loads((r / "changelog" / "v0.1.1.json").read_text(encoding="utf-8"))
    assert record["version"] == "0.1.1" and record["base"] == "v0.1.0"
    assert record["trials"]["changed"] == [
        {"study_id": "Mendell2001", "columns": ["ivig_improved"]}
    ]
    placebo = [x for x in record["results"] if x["comparison"] == "placebo"]
    assert placebo and all(x["before"] and x["after"] for x in placebo)
    assert any(x["before"]["estimate"] != x["after"]["estimate"] for x in placebo)
    assert all(x["after"]["certainty"] for x in placebo)
