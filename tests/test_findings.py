"""Summary of findings per comparison and disease: rows, control risks, certainty, wording."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.evidence import studies as data
from analysis.report import findings as fm
from analysis.report import results_bundle

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bundle():
    return results_bundle.compute(ROOT)


@pytest.fixture(scope="module")
def df():
    return data.load_studies(ROOT / "data")


def test_one_row_per_disease_then_the_pool(bundle, df):
    for name, entry in bundle["comparisons"].items():
        if entry is None:
            continue
        rows = data.primary(df, name)
        diseases = sorted(set(rows["disease"].astype(str)))
        got = [r["disease"] for r in fm.ordered(entry["findings"])]
        assert got == diseases + (["all"] if len(diseases) > 1 else [])
        for r in fm.ordered(entry["findings"]):
            part = rows if r["disease"] == "all" else rows[rows["disease"] == r["disease"]]
            # control risk from that row's own trials, never the pooled one of other diseases
            assert r["control_risk"] == pytest.approx(
                part["control_improved"].sum() / part["control_total"].sum()
            )
            assert r["participants"] == int(part["ivig_total"].sum() + part["control_total"].sum())
            assert r["k"] == len(part)
            assert len(r["certainty"]["domains"]) == 5
            assert r["certainty"]["judged"] is False  # no judgement recorded in data/


def test_pool_carries_the_test_for_subgroup_differences(bundle):
    pool = [bundle["comparisons"]["placebo"]["findings"]["all"]]
    (row,) = pool
    tb = bundle["comparisons"]["placebo"]["subgroups"]["test_between"]
    assert row["test_between"] == tb
    assert tb["df"] == len(row["diseases"]) - 1 and tb["p"] is not None


def _row(label: str, est: float, lo: float, hi: float, disease="cidp", types=("improvement",)):
    return {
        "disease": disease,
        "diseases": [disease] if disease != "all" else ["cidp", "multiple_sclerosis"],
        "outcome_types": list(types),
        "estimate": est,
        "ci_low": lo,
        "ci_high": hi,
        "certainty": {"label": label},
    }


@pytest.mark.parametrize(
    ("label", "est", "verb"),
    [
        ("high", 2.0, "IVIG increases"),
        ("moderate", 2.0, "IVIG probably increases"),
        ("low", 2.0, "IVIG may increase"),
        ("moderate", 1.05, "IVIG probably makes little or no difference to"),
        ("low", 0.5, "IVIG may reduce"),
    ],
)
def test_grade_standard_wording(label, est, verb):
    s = fm.plain_language(_row(label, est, est / 2, est * 2), "Placebo")
    assert verb in s
    assert "people with CIDP" in s and "the number of patients who improve" in s
    assert "compared with placebo" in s


def test_very_low_certainty_is_uncertain():
    s = fm.plain_language(_row("very_low", 2.0, 1.1, 4.0), "Placebo")
    assert s.startswith("We are uncertain whether IVIG increases")
    assert "very low" in s


def test_pool_sentence_names_every_disease():
    s = fm.plain_language(_row("low", 2.0, 1.5, 3.0, disease="all"), "Placebo")
    assert "CIDP or multiple sclerosis, taken together" in s


def test_md_text_makes_a_field_plain():
    assert fm.md_text("*bold* [x](y) <b> @key | `c`") == (
        "\\*bold\\* \\[x\\]\\(y\\) \\<b\\> \\@key \\| \\`c\\`"
    )
    assert fm.md_text(None) == ""


def test_population_flag():
    assert fm.indirect_flag("cidp", "CIDP") is None
    flag = fm.indirect_flag(
        "guillain_barre_syndrome", "Guillain-Barré syndrome (children on mechanical ventilation)"
    )
    assert flag and "children on mechanical ventilation" in flag


def test_marked_numbers_of_the_summary_pages_resolve_in_the_bundle():
    """Every number the summary helpers mark equals the results.json value it names."""
    from analysis.report import chapters as site
    from tests.test_site_helpers import _check_marks

    n = _check_marks(site.first_screen().data)
    for name in site.COMPARISON_KEYS:
        n += _check_marks(site.findings_table(name).data)
        n += _check_marks(site.pool_sentence(name).data)
        n += _check_marks(site.subgroup_table(name).data)
    n += _check_marks(site.published_beside().data)
    assert n > 20


def test_findings_table_footnotes_every_downgrade_and_says_rule_based():
    from analysis.report import chapters as site

    md = site.findings_table("placebo").data
    rows = site.findings_rows("placebo")
    downgrades = sum(len([d for d in r["certainty"]["domains"] if d["downgrade"]]) for r in rows)
    assert md.count("(−1)") + md.count("(−2)") == downgrades
    assert md.count("(rule-based)") == len(rows)
    for r in rows:
        assert r["certainty"]["symbols"] in md


def test_reviewer_override_reaches_the_row_and_the_table(bundle, df, monkeypatch):
    """A judgement in data/certainty.csv replaces the rule, re-rates, and is shown as judged."""
    from analysis.report import chapters as site
    from analysis.stats.certainty import Override

    rows = data.primary(df, "placebo")
    entry = bundle["comparisons"]["placebo"]
    config = results_bundle.PRIMARY
    overrides = {
        ("placebo", "cidp"): {
            "imprecision": Override(
                "imprecision", "not_serious", "Large & consistent <b>", "R. Eviewer"
            )
        }
    }
    found = fm.findings(
        "placebo",
        rows,
        entry,
        lambda part: results_bundle._analyse(part, config, by=None),
        overrides,
    )
    plain = fm.findings(
        "placebo", rows, entry, lambda p: results_bundle._analyse(p, config, by=None), {}
    )
    cidp = next(r for r in found if r["disease"] == "cidp")
    before = next(r for r in plain if r["disease"] == "cidp")
    imp = next(d for d in cidp["certainty"]["domains"] if d["domain"] == "imprecision")
    rule = next(d for d in before["certainty"]["domains"] if d["domain"] == "imprecision")
    assert imp["source"] == "reviewer" and imp["rule_rating"] == rule["rating"]
    downgrades = sum(d["downgrade"] for d in cidp["certainty"]["domains"])
    assert imp["downgrade"] == 0
    assert cidp["certainty"]["level"] == max(1, 4 - downgrades)
    assert cidp["certainty"]["level"] >= before["certainty"]["level"]
    assert cidp["certainty"]["judged"] is True
    # other rows untouched
    assert [r["certainty"] for r in found if r["disease"] != "cidp"] == [
        r["certainty"] for r in plain if r["disease"] != "cidp"
    ]
    monkeypatch.setattr(site, "findings_rows", lambda name: found)
    md = site.findings_table("placebo").data
    assert "(judged: imprecision)" in md
    assert "<b>" not in md and "\\<b\\>" not in md  # not_serious is no footnote; nothing raw
    assert "R. Eviewer" not in md  # a domain that was not rated down has no footnote


def test_judged_downgrade_footnote_is_escaped(bundle, df, monkeypatch):
    from analysis.report import chapters as site
    from analysis.stats.certainty import Override

    rows = data.primary(df, "placebo")
    entry = bundle["comparisons"]["placebo"]
    config = results_bundle.PRIMARY
    o = Override("risk_of_bias", "very_serious", "<script>x</script> *all* [@key]", "A [B](c)")
    found = fm.findings(
        "placebo",
        rows,
        entry,
        lambda part: results_bundle._analyse(part, config, by=None),
        {("placebo", "all"): {"risk_of_bias": o}},
    )
    monkeypatch.setattr(site, "findings_rows", lambda name: found)
    md = site.findings_table("placebo").data
    assert "very serious (−2) (judged by A \\[B\\]\\(c\\))" in md
    assert "\\<script\\>x\\<\\/script\\> \\*all\\* \\[\\@key\\]" in md
    assert "<script>" not in md and "[@key]" not in md
