"""Secondary analysis for few trials: the primary result beside GLMM and Bayesian models.

Per comparison and disease (each summary-of-findings row, including the pool across
diseases), the same trials under five models, each on its own measure:

``common_mh``   Mantel-Haenszel common effect, primary measure (from the findings row);
``random_hk``   REML random effects with Hartung-Knapp, primary measure (findings row);
``random_z``    REML random effects without Hartung-Knapp, primary measure (findings row);
``glmm``        GLMM, conditional model with the exact likelihood (CM.EL), **odds ratio**
                (:func:`analysis.stats.glmm.glmm_or`; Jackson et al. 2018, *Stat Med* 37:1059);
``bayes``       Bayesian normal-normal random effects, primary measure, half-normal prior on
                tau with the protocol's scale (``few_trials.tau_prior_scale`` of
                ``data/protocol.yaml``, :func:`prior_scale`; recorded as ``tau_scale``)
                (:func:`analysis.stats.bayes.bayes_re`; Friede et al. 2017, *Biom J* 59:658;
                Röver et al. 2021, *Res Synth Methods* 12:448): posterior median, 95 % credible
                interval and the posterior probability that IVIG is better.

Every figure that cannot be computed is None with a ``note`` saying why. ``agreement`` is one
sentence on whether the intervals fall on the same side of no effect. Deterministic (the
Bayesian posterior is a numerical integral, no sampling).

Shape: ``{comparator: {disease | "all": {"measure", "k", "studies", "models": {key:
{"label", "measure", "estimate", "ci_low", "ci_high", "interval", "p_benefit"?, "prior"?,
"tau_scale"?, "note"}},
"agreement"}}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.stats.bayes import DEFAULT_TAU_SCALE, bayes_re
from analysis.stats.effects import escalc
from analysis.stats.glmm import glmm_or

if TYPE_CHECKING:
    from analysis.report.comparison import Comparison
    from analysis.report.findings import FindingsRow

__all__ = ["GLMM_MODEL", "MODEL_ORDER", "agreement", "cell", "compute", "prior_scale"]

#: the GLMM shown (the conditional model: exact likelihood, no study intercepts to estimate)
GLMM_MODEL = "CM.EL"
MODEL_ORDER = ("common_mh", "random_hk", "random_z", "glmm", "bayes")
_LABELS = {
    "common_mh": "Mantel-Haenszel common effect",
    "random_hk": "REML random effects, Hartung-Knapp (primary)",
    "random_z": "REML random effects, without Hartung-Knapp",
    "glmm": "GLMM, conditional exact likelihood (CM.EL)",
    "bayes": "Bayesian random effects, half-normal prior on tau",
}


def prior_scale(protocol: dict | None) -> float:
    """The half-normal scale on tau the protocol sets (the bundle's ``protocol`` part,
    ``few_trials.tau_prior_scale``); :data:`analysis.stats.bayes.DEFAULT_TAU_SCALE` for a
    data set without a protocol (the bundle then says so in ``protocol_reason``)."""
    few = (protocol or {}).get("few_trials") or {}
    scale = few.get("tau_prior_scale")
    return DEFAULT_TAU_SCALE if scale is None else float(scale)


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _model(key: str, measure: str, fig: dict | None, interval: str, note: str | None) -> dict:
    fig = fig or {}
    est, lo, hi = (_finite(fig.get(f)) for f in ("estimate", "ci_low", "ci_high"))
    if note is None and est is None:
        note = "not computed for these trials"
    elif note is None and (lo is None or hi is None):
        note = "the interval has no finite limit on one side (too few events)"
    return {
        "label": _LABELS[key],
        "measure": measure,
        "estimate": est,
        "ci_low": lo,
        "ci_high": hi,
        "interval": interval,
        "note": note,
    }


def cell(
    rows: pd.DataFrame, finding: FindingsRow, measure: str, tau_scale: float = DEFAULT_TAU_SCALE
) -> dict:
    """The few-trials panel of one summary-of-findings row.

    Parameters
    ----------
    rows : pandas.DataFrame
        The comparison's primary-analysis rows (engine columns, ``study_id``).
    finding : FindingsRow
        The summary-of-findings row (its ``studies`` and ``models``; for one trial its own
        Mantel-Haenszel figures) from :mod:`.findings`.
    measure : str
        The primary measure (``RR``).
    tau_scale : float
        Scale of the half-normal prior on tau.
    """
    studies = [str(s) for s in finding.studies]
    used = rows[rows["study_id"].astype(str).isin(studies)]
    cols = ("ivig_improved", "ivig_total", "control_improved", "control_total")
    ai, n1i, ci, n2i = (used[c].to_numpy(dtype=float) for c in cols)
    k = len(used)
    given = {m: None if r is None else r.to_dict() for m, r in (finding.models or {}).items()}
    if "common_mh" not in given and finding.model == "common.mh":
        # one trial: the row shows the Mantel-Haenszel figures
        given["common_mh"] = {
            "estimate": finding.estimate, "ci_low": finding.ci_low, "ci_high": finding.ci_high
        }  # fmt: skip
    one = "one trial: nothing is pooled" if k < 2 else None
    models = {
        "common_mh": _model(
            "common_mh", measure, given.get("common_mh"), "95 % CI",
            None if given.get("common_mh") else "not computed for these trials",
        ),
        "random_hk": _model(
            "random_hk", measure, given.get("random_hk"), "95 % CI",
            one or (None if given.get("random_hk") else "not computed for these trials"),
        ),
        "random_z": _model(
            "random_z", measure, given.get("random_z"), "95 % CI",
            one or (None if given.get("random_z") else "not computed for these trials"),
        ),
    }  # fmt: skip
    fit = glmm_or(ai, n1i, ci, n2i, GLMM_MODEL)  # k < 2: every figure None, with the reason
    models["glmm"] = _model("glmm", "OR", fit.to_dict(), "95 % CI", fit.note)
    models["glmm"]["tau2"] = _finite(fit.tau2)
    es = escalc(ai, n1i, ci, n2i, measure) if k else None
    if es is None:
        bayes = bayes_re(np.array([]), np.array([]), tau_scale, measure=measure)
    else:
        keep = es.included
        bayes = bayes_re(es.yi[keep], es.sei[keep], tau_scale, measure=measure)
    models["bayes"] = _model("bayes", measure, bayes.to_dict(), "95 % CrI", bayes.note)
    models["bayes"]["p_benefit"] = _finite(bayes.p_benefit)
    models["bayes"]["prior"] = bayes.prior
    models["bayes"]["tau_scale"] = float(tau_scale)
    if bayes.note is None and k == 1:
        models["bayes"]["note"] = (
            "one trial: the posterior is that trial's effect, widened by the prior on tau"
        )
    return {
        "measure": measure,
        "k": k,
        "studies": studies,
        "models": models,
        "agreement": agreement(models),
    }


def agreement(models: dict) -> str:
    """One sentence: do the models' intervals fall on the same side of no effect (each on
    its own measure: 1 for ratios, 0 for the risk difference)?"""
    sides = []
    for key in MODEL_ORDER:
        m = models.get(key) or {}
        lo, hi = m.get("ci_low"), m.get("ci_high")
        if lo is None or hi is None:
            continue
        null = 0.0 if m.get("measure") == "RD" else 1.0
        sides.append("above" if lo > null else "below" if hi < null else "includes")
    n = len(sides)
    if n == 0:
        return "No model could be fitted to these trials."
    if n == 1:
        return "Only one model could be fitted, so there is nothing to compare."
    above, below, include = (sides.count(s) for s in ("above", "below", "includes"))
    every = "both" if n == 2 else f"all {n}"
    if above == n:
        return (
            f"The models agree: {every} intervals lie on the side favouring IVIG, excluding "
            "no effect."
        )
    if below == n:
        return (
            f"The models agree: {every} intervals lie on the side favouring the control, "
            "excluding no effect."
        )
    if include == n:
        return (
            f"The models agree that the data are compatible with no effect: {every} "
            "intervals include it."
        )
    return (
        f"The models disagree: {above + below} of {n} intervals exclude no effect and "
        f"{include} {'includes' if include == 1 else 'include'} it, so the conclusion depends "
        "on the model."
        if above == 0 or below == 0
        else f"The models point in different directions: {above} of {n} intervals favour "
        f"IVIG, {below} favour the control and {include} include no effect."
    )


def compute(
    primaries: Mapping[str, pd.DataFrame],
    comparisons: Mapping[str, Comparison | None],
    measure: str,
    tau_scale: float = DEFAULT_TAU_SCALE,
) -> dict:
    """The few-trials panels of every comparison with a primary analysis (see the module)."""
    out: dict[str, dict] = {}
    for comparator, entry in comparisons.items():
        if entry is None:
            continue
        out[comparator] = {
            disease: cell(primaries[comparator], row, measure, tau_scale)
            for disease, row in entry.findings.items()
        }
    return out
