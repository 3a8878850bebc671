"""Words for the results file's internal keys, so that the diff reads as the site does.

``findings/cidp`` becomes "summary of findings, CIDP", ``common.mh`` "common effect
(Mantel-Haenszel)", ``sensitivity/tau2_methods/DL`` "τ² estimator: DerSimonian-Laird".
A key the project does not know is shown with its underscores as spaces (never dropped).
"""

from __future__ import annotations

import re

from analysis.vocabulary import COMPARATOR_LABELS, COMPARATORS, DISEASE_LABELS, TAU2_LABELS

__all__ = ["COMPARISONS", "LONG_TEXT", "analysis_words", "comparison_words", "model_words"]

#: comparison key -> its label in the report ("IVIG vs placebo"); shared by compare and comment
COMPARISONS: dict[str, str] = {c: f"IVIG vs {COMPARATOR_LABELS[c].lower()}" for c in COMPARATORS}

#: fields whose old and new values are too long to print in a table cell
LONG_TEXT = 40

#: a step of an analysis path -> words
_STEPS: dict[str, str] = {
    "primary": "main analysis",
    "sensitivity": "sensitivity analysis",
    "findings": "summary of findings",
    "all": "all diseases",
    "verified_only": "verified counts only",
    "all_outcome_types": "all outcome types",
    "excluding_high_rob": "excluding trials at high risk of bias",
    "common_vs_random": "model",
    "tau2_methods": "τ² estimator",
    "common_mh": "common effect (Mantel-Haenszel)",
    "common_iv": "common effect (inverse variance)",
    "random_hk": "random effects, Hartung-Knapp CI",
    "random_z": "random effects, normal (z) CI",
    "leave_one_out": "leaving one trial out",
    "cumulative": "cumulative",
    "subgroups": "subgroups",
    "harms": "harms",
    "rows": "",
    "analysis": "",
    "choice_of_outcome": "choice of outcome",
    "alternatives": "instead",
    "few_trials": "few-trials models",
    "models": "",
    "glmm": "GLMM (exact binomial likelihood)",
    "bayes": "Bayesian random effects",
}

_MODELS: dict[str, str] = {
    "random": "random effects",
    "common.mh": "common effect (Mantel-Haenszel)",
    "common.iv": "common effect (inverse variance)",
    "common.peto": "Peto odds ratio",
    "common effect (MH)": "common effect (Mantel-Haenszel)",
    "common effect (IV)": "common effect (inverse variance)",
    "pooled": "pooled",
}

_RANDOM = re.compile(r"random effects \((?P<method>[A-Z]+)(?P<hk>, HK)?\)")


def comparison_words(key: str) -> str:
    """``plasma_exchange`` -> "IVIG vs plasma exchange"."""
    label = COMPARATOR_LABELS.get(key)
    return f"IVIG vs {label.lower()}" if label else key.replace("_", " ")


def _step(part: str) -> str:
    if part in _STEPS:
        return _STEPS[part]
    if part in DISEASE_LABELS:
        return DISEASE_LABELS[part]
    if part in TAU2_LABELS:
        return TAU2_LABELS[part]
    return part.replace("_", " ")


def analysis_words(path: str) -> str:
    """An analysis path of the results file in words (``primary`` -> "main analysis")."""
    parts = path.split("/")
    if parts[0] == "sensitivity" and len(parts) > 1:
        parts = parts[1:]
    if parts[0] == "choice_of_outcome" and "alternatives" in parts:
        # choice_of_outcome/<disease>/alternatives/<outcome_id>/analysis
        where = _step(parts[1]) if len(parts) > 1 else ""
        outcome = parts[3] if len(parts) > 3 else "another outcome"
        return f"choice of outcome, {where}: {outcome} instead of the protocol's outcome"
    words = [w for w in (_step(p) for p in parts) if w]
    if parts[0] == "tau2_methods" and len(words) == 2:
        return f"τ² estimator: {words[1]}"
    return ", ".join(words)


def model_words(model: str) -> str:
    """A model name of the diff (``random effects (REML, HK)``, ``common.mh``) in words."""
    if model in _MODELS:
        return _MODELS[model]
    m = _RANDOM.fullmatch(model)
    if m:
        method = m["method"]
        hk = ", Hartung-Knapp CI" if m["hk"] else ""
        return f"random effects ({method}{hk})"
    return model.replace("_", " ")
