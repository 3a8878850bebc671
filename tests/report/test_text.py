"""Prose helpers: formatting, result marks, Methods text generated from the configuration."""

from importlib import metadata

import pytest

from analysis.report import text


def test_effect_sentence_with_marks():
    s = text.effect("RR", 0.4912, 0.3401, 0.7049, key="comparisons.placebo.random")
    assert s == (
        'RR [0.49]{.result data-key="comparisons.placebo.random.estimate"} '
        '(95 % CI [0.34]{.result data-key="comparisons.placebo.random.ci_low"} '
        'to [0.70]{.result data-key="comparisons.placebo.random.ci_high"})'
    )


def test_effect_without_key_is_plain():
    assert text.effect("RR", 0.4912, 0.3401, 0.7049) == "RR 0.49 (95 % CI 0.34 to 0.70)"
    assert text.effect("OR", 2.977, 1.769, 5.01, digits=3) == "OR 2.977 (95 % CI 1.769 to 5.010)"


def test_undefined_figures_are_said_not_invented():
    assert text.effect("RR", None, None, None) == "RR not estimable"
    assert text.effect("RR", 2.0, None, None).endswith("(95 % CI not estimable)")
    assert text.interval(None, 1.0) == "not estimable"
    assert text.num(float("nan")) == "–"


def test_numbers_and_p_values():
    assert text.num(-0.123, 2) == "−0.12"
    assert text.num(-0.001, 2) == "0.00"  # no negative zero
    # one value reached by two computations prints the same (ElBayoumi2011: 18/20 over 20/21)
    assert text.num(0.945) == text.num(0.9450000000000001) == text.num(0.9 * 1.05) == "0.95"
    assert text.num(-2.5, 0) == "−3" and text.num(1234.5678, 1) == "1234.6"
    assert text.pct(45.26) == "45 %"
    assert text.pval(0.0004) == "p < 0.001"
    assert text.pval(0.0042) == "p = 0.0042"
    assert text.pval(0.31) == "p = 0.31"


def test_p_values_on_the_boundaries_of_issue_15():
    """One rule everywhere: p < 0.001, p > 0.99, two significant digits between, halves
    rounded away from zero as text.num rounds (the diff and the site used to disagree)."""
    assert text.pval(0.045) == "p = 0.045"  # pval(0.045) once printed 0.04
    assert text.pval(0.945) == "p = 0.95" and text.num(0.945) == "0.95"
    assert text.pval(0.9999) == "p > 0.99"  # once "p = 1.00"
    assert text.pval(1e-5) == "p < 0.001"
    assert text.pval(0.001) == "p = 0.0010" and text.pval(0.0995) == "p = 0.10"
    assert text.pval(0.995) == "p > 0.99" and text.pval(0.99) == "p = 0.99"
    assert text.pval(None) == "p not estimable"
    assert text.trials_and_participants(5, 235) == "5 trials, 235 participants"
    assert text.trials_and_participants(1, 1) == "1 trial, 1 participant"


def test_heterogeneity_clause_and_single_trial():
    from analysis.stats.full_analysis import analyse
    from analysis.stats.results import ResultKeyError

    counts = {
        "study_id": ["A1990", "B1995", "C2001", "D2010"],
        "year": [1990, 1995, 2001, 2010],
        "ivig_improved": [12, 3, 30, 11],
        "ivig_total": [20, 15, 50, 12],
        "control_improved": [2, 7, 18, 1],
        "control_total": [20, 16, 48, 13],
    }
    m = analyse(counts)
    s = text.heterogeneity(m, key="comparisons.placebo")
    assert 'data-key="comparisons.placebo.heterogeneity.i2"}' in s
    het = m.heterogeneity
    assert f"[{text.num(het.i2, 0)}]" in s and f"[{text.num(het.q)}]" in s
    assert "df = 3" in s and text.pval(het.p) in s
    assert f"[{text.num(m.random.tau2, 3)}]" in s and s.endswith("(REML)")
    # the bundle's dict reads the same; a dict missing a key is an error naming it
    assert text.heterogeneity(m.to_dict(), key="comparisons.placebo") == s
    partial = {"k": 4, "heterogeneity": {"q": 7.31}, "random": {"tau2": 0.08}}
    with pytest.raises(ResultKeyError, match="missing"):
        text.heterogeneity(partial)
    one = analyse({c: v[:1] for c, v in counts.items()})
    assert "single trial" in text.heterogeneity(one)


def test_get_follows_dotted_paths():
    obj = {"a": {"b": [{"c": 1}]}}
    assert text.get(obj, "a.b.0.c") == 1
    assert text.get(obj, "a.x.c") is None


def _methods_context(**cfg):
    base = {
        "measure": "RR",
        "tau2_method": "REML",
        "hk": True,
        "by": "disease",
        "mh_zero_cell_correction": False,
        "double_zero": "excluded",
        "pi_df": "k-2",
    }
    base.update(cfg)
    return {
        "cfg": base,
        "comparisons": ["placebo", "plasma exchange", "corticosteroids"],
        "diseases": ["CIDP"],
        "statuses": ["verified", "derived"],
        "outcome_types": ["improvement", "responder"],
        "other_types": ["relapse free"],
        "measure_name": "risk ratio",
        "null_value": 1,
        "tau2_name": text.TAU2_METHODS[base["tau2_method"]],
        "tau2_list": ["DL", "REML"],
        "escalc_add": 0.5,
        "software": {"numpy": "9.9.9"},
        "glmm_model": "CM.EL",
        "bayes_scale": 0.5,
    }


def test_methods_follow_the_configuration():
    s = text.render("methods.md.j2", **_methods_context())
    assert "Mantel-Haenszel" in s and "without any zero-cell correction" in s
    assert "restricted maximum likelihood (REML)" in s
    assert "Hartung-Knapp" in s and "k − 2" in s
    assert "(Q − df) / Q" in s
    assert "numpy 9.9.9" in s
    assert "(model CM.EL)" in s and "0.5" in s  # the few-trials models, from the code
    other = text.render(
        "methods.md.j2",
        **_methods_context(hk=False, tau2_method="DL", mh_zero_cell_correction=True),
    )
    assert "Hartung-Knapp(-Sidik" not in other and "normal-based (Wald)" in other
    assert "DerSimonian-Laird" in other
    assert "without any zero-cell correction" not in other


def test_software_versions_are_the_installed_ones():
    v = text.software_versions()
    assert v["numpy"] == metadata.version("numpy")
    assert v["altair"] == metadata.version("altair")


def test_unknown_input_type_is_refused():
    with pytest.raises(TypeError, match="MetaAnalysis"):
        text.heterogeneity(42)
