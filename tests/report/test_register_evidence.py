"""The register as evidence: every trial with its status, what is missing, the verbatim
passage and the address it was read at; every data field plain text, never markup."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.render.pandoc import pandoc
from analysis.report import chapters as site


@pytest.fixture(scope="module")
def evidence() -> str:
    return site.register_evidence().data


def _blocks(md: str) -> dict[str, str]:
    parts = re.split(r'<details class="trial-evidence" id="evidence-', md)[1:]
    return {p.split('"', 1)[0]: p for p in parts}


def test_every_trial_has_its_evidence_block(evidence):
    blocks = _blocks(evidence)
    df = site.studies()
    assert set(blocks) == set(df["study_id"])
    for r in df.itertuples():
        b = blocks[r.study_id]
        assert f"[@{r.study_id}]" in b
        if r.status == "pending":
            assert "**Missing:** Counts to extract" in b
        else:
            assert f"with control {int(r.control_improved)}/{int(r.control_total)}" in b
        if isinstance(r.source_quote, str):
            assert "(verbatim)" in b
        if isinstance(r.source_url, str):
            host = re.sub(r"^https?://", "", r.source_url).split("/")[0]
            assert host.replace(".", "") in b.replace("\\.", "").replace(".", "")


def test_the_quote_survives_word_for_word_on_the_web(evidence):
    html = pandoc(evidence, "html")
    text = re.sub(r"<[^>]+>", "", html)
    import html as h

    text = re.sub(r"\s+", " ", h.unescape(text))
    for r in site.studies().itertuples():
        if isinstance(r.source_quote, str):
            assert re.sub(r"\s+", " ", r.source_quote.strip()) in text, r.study_id


def _row(**fields) -> dict:
    base = {c: pd.NA for c in site.studies().columns}
    base.update(
        study_id="X2020",
        author="X",
        year=2020,
        disease="cidp",
        comparator="placebo",
        status="verified",
        ivig_improved=1,
        ivig_total=2,
        control_improved=1,
        control_total=2,
        outcome_type="improvement",
    )
    base.update(fields)
    return base


def test_data_fields_are_never_markup(monkeypatch):
    hostile = {
        "population": "<script>alert(1)</script> *bold* [link](javascript:x) @moralesruiz2022",
        "source_quote": "</details><img src=x onerror=alert(1)> $x$ `code` <!-- c -->",
        "notes": "| a | b | and \\emph{x} and #heading and {=html}",
        "source_url": "javascript:alert(1)",
    }
    df = pd.DataFrame([_row(**hostile)])
    monkeypatch.setattr(site, "studies", lambda: df)
    md = site.register_evidence().data
    html = pandoc(md, "html")
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html
    assert "<em>bold</em>" not in html and "<code>" not in html
    assert html.count("<details") == html.count("</details>") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the citation-looking text stays text (only the trial's own reference is a citation)
    assert md.count("[@") == 1


def test_source_links_are_web_addresses_only():
    assert site._safe_url("javascript:alert(1)") is None
    assert site._safe_url("https://example.org/a b") == "https://example.org/a%20b"
    assert site._link("https://pubmed.ncbi.nlm.nih.gov/1/").startswith("[pubmed")


def test_what_is_missing_comes_from_the_fields_not_from_notes():
    r = _row(
        status="pending",
        ivig_improved=pd.NA,
        ivig_total=pd.NA,
        control_improved=pd.NA,
        control_total=pd.NA,
        outcome_type=pd.NA,
        notes="V2: per brief, cut mid-",
    )
    assert site._missing(r) == "Counts to extract"
    assert site._missing({**r, "ivig_total": 20}) == (
        "Counts to extract: IVIG improved, control improved, control arm size"
    )
    assert site._missing(_row()) == "–"
