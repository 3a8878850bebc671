"""Absolute effects and NNT (Cochrane Handbook ch. 14/15, Altman 1998), by hand-worked cases."""

from __future__ import annotations

import math

import pytest

from analysis.stats.absolute import absolute_effect, corresponding_risk


def test_risk_ratio_per_1000_and_nntb():
    # control 200/1000, RR 1.5 (1.2 to 1.9): 300 (240 to 380) per 1000, +100 per 1000
    a = absolute_effect("RR", 1.5, 1.2, 1.9, 0.2)
    assert a.control_per_1000 == pytest.approx(200)
    assert a.ivig_per_1000 == pytest.approx(300)
    assert (a.ivig_per_1000_low, a.ivig_per_1000_high) == pytest.approx((240, 380))
    assert a.difference_per_1000 == pytest.approx(100)
    assert (a.difference_per_1000_low, a.difference_per_1000_high) == pytest.approx((40, 180))
    assert a.nnt_kind == "NNTB" and a.nnt == pytest.approx(10)
    assert (a.nnt_low, a.nnt_high) == pytest.approx((1 / 0.18, 25))
    assert a.nntb_limit is None and a.nnth_limit is None
    assert a.describe() == "NNTB 10 (6 to 25)"


def test_ci_through_zero_is_reported_through_infinity():
    # Altman 1998: ARD 0.1 (-0.02 to 0.22) -> NNTB 10 (NNTH 50 to inf to NNTB 4.5)
    a = absolute_effect("RD", 0.1, -0.02, 0.22, 0.3)
    assert a.nnt == pytest.approx(10) and a.nnt_kind == "NNTB"
    assert a.nnt_low is None and a.nnt_high is None
    assert a.nnth_limit == pytest.approx(50)
    assert a.nntb_limit == pytest.approx(1 / 0.22)
    assert a.describe() == "NNTB 10 (NNTH 50 to ∞ to NNTB 5)"


def test_odds_ratio_corresponding_risk():
    # ACR 0.25, OR 2: 0.25*2/(0.75+0.5) = 0.4
    assert corresponding_risk("OR", 2.0, 0.25) == pytest.approx(0.4)
    a = absolute_effect("OR", 2.0, 1.0, 4.0, 0.25)
    assert a.ivig_per_1000 == pytest.approx(400)
    assert a.ivig_per_1000_low == pytest.approx(250)
    assert a.ivig_per_1000_high == pytest.approx(1000 * 1 / (0.75 + 1))
    # the CI touches 0 on the harm side: no NNTH limit, only infinity
    assert a.nnth_limit is None and a.nntb_limit == pytest.approx(1 / (1 / 1.75 - 0.25))


def test_undesirable_outcome_turns_benefit_into_harm():
    a = absolute_effect("RR", 1.5, 1.2, 1.9, 0.2, desirable=False)
    assert a.nnt_kind == "NNTH"
    b = absolute_effect("RR", 0.5, 0.4, 0.6, 0.2, desirable=False)
    assert b.nnt_kind == "NNTB" and b.nnt == pytest.approx(10)


def test_risks_are_clipped_to_a_proportion():
    a = absolute_effect("RR", 3.0, 2.0, 4.0, 0.5)
    assert a.ivig_per_1000 == 1000 and a.ivig_per_1000_high == 1000
    assert a.ivig_per_1000_low == 1000


def test_no_difference_has_no_nnt_and_undefined_estimate_gives_none():
    a = absolute_effect("RR", 1.0, 0.8, 1.25, 0.4)
    assert a.nnt is None and a.nnt_kind is None and a.describe() == ""
    b = absolute_effect("RR", None, None, None, 0.4)
    assert b.ivig_per_1000 is None and b.nnt is None
    assert b.control_per_1000 == pytest.approx(400)
    assert all(not (isinstance(v, float) and not math.isfinite(v)) for v in b.to_dict().values())


@pytest.mark.parametrize("risk", [-0.1, 1.5, float("nan")])
def test_control_risk_must_be_a_proportion(risk):
    with pytest.raises(ValueError, match="control_risk"):
        absolute_effect("RR", 1.0, 0.5, 2.0, risk)


def test_unknown_measure():
    with pytest.raises(ValueError, match="measure"):
        absolute_effect("HR", 1.0, 0.5, 2.0, 0.2)
