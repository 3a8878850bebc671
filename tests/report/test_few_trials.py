"""The few-trials secondary analysis (issue 23, item 4): bundle entry and chapter table.

On the frozen data snapshot and constructed rows, never today's data/.
"""

import math

import pandas as pd
import pytest

from analysis.evidence import studies as data
from analysis.report import few_trials
from analysis.stats.bayes import bayes_re
from analysis.stats.effects import escalc
from analysis.stats.glmm import glmm_or
from tests.report.test_findings import typed_row

COLS = ("ivig_improved", "ivig_total", "control_improved", "control_total")


def _close(a, b):
    assert (a is None) == (b is None), (a, b)
    if a is not None:
        assert math.isclose(a, b, rel_tol=1e-12), (a, b)


def test_every_findings_row_has_a_panel(snapshot_bundle):
    ft = snapshot_bundle["few_trials"]
    for comparator, entry in snapshot_bundle["comparisons"].items():
        if entry is None:
            assert comparator not in ft
            continue
        assert set(ft[comparator]) == set(entry["findings"])
        for disease, cell in ft[comparator].items():
            assert list(cell["models"]) == list(few_trials.MODEL_ORDER)
            assert cell["agreement"].endswith(".")
            row = entry["findings"][disease]
            assert cell["studies"] == row["studies"] and cell["k"] == len(row["studies"])


def test_figures_equal_the_models_called_directly(snapshot_bundle, snapshot_studies):
    checked = 0
    for comparator, cells in snapshot_bundle["few_trials"].items():
        rows = data.primary(snapshot_studies, comparator)
        findings = snapshot_bundle["comparisons"][comparator]["findings"]
        for disease, cell in cells.items():
            used = rows[rows["study_id"].astype(str).isin(cell["studies"])]
            ai, n1i, ci, n2i = (used[c].to_numpy(dtype=float) for c in COLS)
            g = glmm_or(ai, n1i, ci, n2i, "CM.EL")
            m = cell["models"]
            assert m["glmm"]["measure"] == "OR"
            for f in ("estimate", "ci_low", "ci_high"):
                _close(m["glmm"][f], getattr(g, f))
            es = escalc(ai, n1i, ci, n2i, "RR")
            b = bayes_re(es.yi[es.included], es.sei[es.included], 0.5, measure="RR")
            assert m["bayes"]["measure"] == "RR"
            for f in ("estimate", "ci_low", "ci_high", "p_benefit"):
                _close(m["bayes"][f], getattr(b, f))
            models = findings[disease]["models"]
            if models:  # the primary model figures are the bundle's own
                for key in ("common_mh", "random_hk", "random_z"):
                    _close(m[key]["estimate"], models[key]["estimate"])
                    _close(m[key]["ci_low"], models[key]["ci_low"])
                checked += g.estimate is not None
    assert checked >= 1  # at least one cell had a GLMM fit


def _rows(counts):
    return pd.DataFrame(
        [{"study_id": f"S{i}", **dict(zip(COLS, c, strict=True))} for i, c in enumerate(counts)]
    )


def test_one_trial_gives_reasons_not_blanks():
    rows = _rows([(6, 8, 2, 9)])
    finding = typed_row(
        est=3.375, lo=0.93, hi=12.2, studies=("S0",), model="common.mh", k=1, models=None
    )
    cell = few_trials.cell(rows, finding, "RR")
    m = cell["models"]
    assert m["common_mh"]["estimate"] == 3.375 and m["common_mh"]["note"] is None
    for key in ("random_hk", "random_z", "glmm"):
        assert m[key]["estimate"] is None and m[key]["ci_low"] is None
        assert m[key]["note"], key
    assert "fewer than two studies" in m["glmm"]["note"]
    assert m["bayes"]["estimate"] is not None and "one trial" in m["bayes"]["note"]
    assert cell["agreement"]


def test_no_trial_at_all_gives_reasons():
    cell = few_trials.cell(_rows([(1, 2, 1, 2)]), typed_row(studies=(), k=0), "RR")
    for key, m in cell["models"].items():
        assert m["estimate"] is None and m["note"], key
    assert cell["agreement"] == "No model could be fitted to these trials."


@pytest.mark.parametrize(
    "intervals, expected",
    [
        ([(1.2, 2.0), (1.1, 3.0)], "agree: both intervals lie on the side favouring IVIG"),
        ([(0.2, 0.9), (0.1, 0.8), (0.3, 0.95)], "all 3 intervals lie on the side favouring the"),
        ([(0.8, 2.0), (0.9, 3.0)], "compatible with no effect: both intervals include it"),
        ([(1.2, 2.0), (0.9, 3.0)], "disagree: 1 of 2 intervals exclude no effect and 1 includes"),
        ([(1.2, 2.0), (0.1, 0.9)], "different directions"),
    ],
)  # fmt: skip
def test_agreement_sentence(intervals, expected):
    models = {
        key: {"ci_low": lo, "ci_high": hi, "measure": "RR"}
        for key, (lo, hi) in zip(few_trials.MODEL_ORDER, intervals, strict=False)
    }
    assert expected in few_trials.agreement(models)


def test_agreement_uses_each_models_null():
    # a risk difference above 0 and an odds ratio above 1 are on the same side
    models = {
        "common_mh": {"ci_low": 0.05, "ci_high": 0.3, "measure": "RD"},
        "glmm": {"ci_low": 1.2, "ci_high": 3.0, "measure": "OR"},
    }
    assert "agree" in few_trials.agreement(models)


HOSTILE = "<script>alert(1)</script> | **bold** [x](javascript:alert(1)) # head"


def test_chapter_table_escapes_hostile_text():
    from analysis.report.chapters.few_trials import TITLE, few_trials_md

    m = {
        "label": HOSTILE, "measure": HOSTILE, "estimate": 1.5, "ci_low": 1.1, "ci_high": 2.0,
        "interval": HOSTILE, "note": HOSTILE, "prior": HOSTILE, "p_benefit": 0.9,
    }  # fmt: skip
    cells = {HOSTILE: {"k": 2, "models": {"bayes": m}, "agreement": HOSTILE}}
    md = few_trials_md(cells, HOSTILE)
    assert md.startswith(f"**{TITLE}.**")
    assert "<script>" not in md and "**bold**" not in md and "](javascript" not in md
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table) == 3  # header, rule, one model row
    row = table[-1]
    # no bare pipe: the row keeps exactly its five cells
    assert row.count("|") - row.count("\\|") == 6
    assert "1.50" in row and "1.10 to 2.00" in row and "0.90" in row


def test_chapter_panel_from_the_snapshot(snapshot_bundle):
    from analysis.report import chapters as site  # its bundle is the snapshot's ($IVIG_ROOT)

    for name in site.COMPARISON_KEYS:
        md = site.few_trials(name).data
        assert md.startswith("**Secondary analysis: few trials.**")
        cells = snapshot_bundle["few_trials"].get(name) or {}
        for cell in cells.values():
            assert f"{text_escape(cell['agreement'])}" in md
        if not cells:
            assert "nothing to re-analyse" in md


def text_escape(s):
    from analysis import escape

    return escape.markdown(s)


def test_methods_names_the_models_and_cites_entries_of_the_bibliography():

    from analysis.evidence import bibtex
    from analysis.report import chapters as site
    from analysis.stats.bayes import DEFAULT_TAU_SCALE

    md = site.methods().data
    part = md[md.index("### Secondary analysis: few trials") :]
    part = part[: part.index("\n### ", 5)]
    assert "CM.EL" in part and f"scale\n{DEFAULT_TAU_SCALE}" in part.replace(" \n", "\n")
    entries, problems = bibtex.parse(bibtex.METHODS_BIB.read_text(encoding="utf-8"))
    assert not problems
    keys = {e.key for e in entries}
    for key in ("jackson2018", "friede2017", "rover2021"):
        assert f"@{key}" in part and key in keys


def test_chart_rows_keep_the_primary_measure_and_pooled_cells():
    from analysis.report.chapters.few_trials import chart_rows

    def m(measure, est=2.0, lo=1.1, hi=3.0):
        return {"measure": measure, "estimate": est, "ci_low": lo, "ci_high": hi}

    models = {
        "common_mh": m("RR"), "random_hk": m("RR", hi=None), "random_z": m("RR"),
        "glmm": m("OR"), "bayes": m("RR"),
    }  # fmt: skip
    cells = {"all": {"k": 4, "models": models}, "cidp": {"k": 2, "models": models},
             "mmn": {"k": 1, "models": models}}  # fmt: skip
    rows = chart_rows(cells, "RR")
    groups = [r["group"] for r in rows]
    assert len(rows) == 6  # 2 cells x (MH, REML without HK, Bayesian); HK lacks a limit
    assert groups[0] == "CIDP" and groups[-1] == "All diseases pooled"
    assert [r["label"] for r in rows[:3]] == [
        "Mantel-Haenszel",
        "REML, no Hartung-Knapp",
        "Bayesian (credible interval)",
    ]
    assert all(r["measure"] == "RR" for r in rows)


def test_chart_of_the_snapshot(snapshot_bundle):
    from analysis.report import chapters as site
    from analysis.report.chapters.few_trials import chart_rows

    for name in site.COMPARISON_KEYS:
        out = site.few_trials_chart(name)
        cells = snapshot_bundle["few_trials"].get(name) or {}
        rows = chart_rows(cells, snapshot_bundle["methods"]["measure"])
        if rows:
            assert out.alt.startswith("Secondary analysis") and len(out.data) == len(rows)
            assert out.name == f"few-trials-{name.replace('_', '-')}"
        elif cells:
            assert "two or more trials" in out.data
        else:
            assert out.data == ""
