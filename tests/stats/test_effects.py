"""Unit tests of analysis.stats.effects.escalc."""

import math

import numpy as np
import pytest

from analysis.stats.effects import escalc


def test_dubey_2020_woolf_odds_ratio():
    """Dubey 2020 (LGI1/CASPR2 epilepsy): 6/8 vs 2/9 responders, OR 10.5 (1.1 to 98.9)."""
    es = escalc([6], [8], [2], [9], measure="OR")
    assert round(float(es.estimate[0]), 1) == 10.5
    assert round(float(es.ci_low[0]), 1) == 1.1
    assert round(float(es.ci_high[0]), 1) == 98.9
    assert es.vi[0] == pytest.approx(1 / 6 + 1 / 2 + 1 / 2 + 1 / 7)
    assert not es.corrected[0]


def test_zero_cell_correction_and_double_zero():
    es = escalc([0, 0, 3], [10, 12, 10], [2, 0, 4], [10, 11, 10], measure="RR")
    assert es.corrected.tolist() == [True, True, False]
    assert es.included.tolist() == [True, False, True]
    assert es.ai[0] == 0.5 and es.n1i[0] == 11.0
    assert es.yi[0] == pytest.approx(math.log((0.5 / 11) / (2.5 / 11)))
    assert np.all(np.isfinite(es.yi)) and np.all(np.isfinite(es.vi))
    rd = escalc([0, 0, 3], [10, 12, 10], [2, 0, 4], [10, 11, 10], measure="RD")
    assert rd.included.all()


def test_all_events_in_both_arms_is_double_zero():
    es = escalc([5], [5], [7], [7], measure="OR")
    assert not es.included[0]


def test_swapping_arms_inverts_ratios_and_negates_rd():
    a, n1, c, n2 = [4, 7, 0], [20, 30, 15], [9, 5, 3], [21, 28, 16]
    for measure in ("RR", "OR"):
        x, y = escalc(a, n1, c, n2, measure), escalc(c, n2, a, n1, measure)
        np.testing.assert_allclose(x.yi, -y.yi, rtol=1e-14)
        np.testing.assert_allclose(x.vi, y.vi, rtol=1e-14)
    x, y = escalc(a, n1, c, n2, "RD"), escalc(c, n2, a, n1, "RD")
    np.testing.assert_allclose(x.yi, -y.yi, rtol=1e-14)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1], [5], [1], [5], "XX"), "measure"),
        (([6], [5], [1], [5], "RR"), "exceed"),
        (([-1], [5], [1], [5], "RR"), "negative"),
        (([0], [0], [1], [5], "RR"), "positive"),
    ],
)
def test_bad_input_names_the_problem(args, message):
    with pytest.raises(ValueError, match=message):
        escalc(*args)


def test_batch_shape_is_kept():
    es = escalc(np.full((3, 4), 2), np.full((3, 4), 10), np.full((3, 4), 3), np.full((3, 4), 10))
    assert es.yi.shape == (3, 4) and es.included.shape == (3, 4)
