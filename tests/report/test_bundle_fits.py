"""Each analysis variant of the results bundle is fitted once.

The bundle analyses the same rows from several places: a comparison's primary analysis
and its sensitivity variants that keep every trial, a disease's summary-of-findings row and
its choice-of-outcome cell, the random-effects model without Hartung-Knapp in the
sensitivity analyses and in the pooled findings row. ``results_bundle.compute`` fits each
(rows, options) pair once and shares the result; the tau² and z-model variants fit only the
random-effects model they report (``full_analysis.random_only``). These tests count the
engine's calls while the snapshot's bundle is computed.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from analysis.report import results_bundle
from analysis.stats import full_analysis


def _calls(monkeypatch, root) -> tuple[Counter, dict]:
    calls: Counter = Counter()
    real_full, real_random = full_analysis.analyse, full_analysis.random_only

    def full(frame: pd.DataFrame, **opts):
        cells = tuple(frame.astype(str).itertuples(index=False, name=None))
        calls[("full", cells, tuple(sorted(opts.items())))] += 1
        return real_full(frame, **opts)

    def random(*arrays, **opts):
        cells = tuple(tuple(int(x) for x in np.asarray(a)) for a in arrays)
        calls[("random", cells, tuple(sorted(opts.items())))] += 1
        return real_random(*arrays, **opts)

    monkeypatch.setattr(full_analysis, "analyse", full)
    monkeypatch.setattr(full_analysis, "random_only", random)
    return calls, results_bundle.compute(root)


def test_no_rows_are_fitted_twice_with_the_same_options(monkeypatch, snapshot_root):
    calls, bundle = _calls(monkeypatch, snapshot_root)
    assert calls, "the bundle fitted nothing"
    twice = [(kind, cells, opts) for (kind, cells, opts), n in calls.items() if n > 1]
    assert twice == []
    # the primary fit (subgroups by disease) of each comparison with trials is among them
    primary = {k[1] for k in calls if k[0] == "full" and ("by", "disease") in k[2]}
    for name, entry in bundle["comparisons"].items():
        if entry is not None:
            ids = [s["study_id"] for s in entry["studies"]]
            assert any([c[0] for c in cells] == ids for cells in primary), name


def test_the_shared_z_model_is_the_same_in_the_sensitivity_and_the_pooled_row(snapshot_bundle):
    """The pooled findings row's unadjusted model is the sensitivity's random_z (one fit)."""
    seen = 0
    for entry in snapshot_bundle["comparisons"].values():
        if entry is None or "all" not in entry["findings"]:
            continue
        row_z = entry["findings"]["all"]["models"]["random_z"]
        sens_z = entry["sensitivity"]["common_vs_random"]["random_z"]
        assert {k: sens_z[k] for k in ("estimate", "ci_low", "ci_high", "p")} == row_z
        seen += 1
    assert seen


def test_once_shares_a_fit_only_for_the_same_rows_and_options(monkeypatch):
    rows = pd.DataFrame(
        {
            "study_id": ["A2001", "B2002", "C2003"],
            "year": [2001, 2002, 2003],
            "ivig_improved": [10, 12, 8],
            "ivig_total": [20, 25, 18],
            "control_improved": [5, 9, 6],
            "control_total": [20, 24, 19],
            "disease": ["gbs", "gbs", "cidp"],
        }
    )
    fitted: list[dict] = []
    real = full_analysis.analyse

    def spy(frame, **opts):
        fitted.append(opts)
        return real(frame, **opts)

    monkeypatch.setattr(full_analysis, "analyse", spy)
    once = results_bundle._Once(results_bundle.PRIMARY)
    first = once.full(rows, by=None)
    assert once.full(rows.copy(), by=None) is first  # the same rows: the same fit
    assert len(fitted) == 1
    assert once.full(rows, by=None, hk=False) is not first  # other options: fitted
    changed = rows.assign(ivig_improved=[11, 12, 8])
    assert once.full(changed, by=None) is not first  # other counts: fitted
    assert once.full(rows) is not first  # subgroups by disease: fitted
    assert len(fitted) == 4
    assert once.full(rows.iloc[:0]) is None  # no rows: nothing to fit
