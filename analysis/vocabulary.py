"""The project's vocabulary: the codes every layer uses, written once.

Effect measures, tau² estimators, comparators, diseases, outcome types, trial
statuses and the columns the engine reads, with the labels a reader sees. Every
other module reads these names from here (the descriptor ``data/datapackage.json``
is checked against them, never the other way round).
"""

from __future__ import annotations

__all__ = [
    "COMPARATORS",
    "COMPARATOR_LABELS",
    "DISEASES",
    "DISEASE_LABELS",
    "ENGINE_COLUMNS",
    "FIT_METHODS",
    "GRADE_DOMAINS",
    "GRADE_RATINGS",
    "HARM_LABELS",
    "HARM_TYPES",
    "MEASURES",
    "MEASURE_LABELS",
    "OUTCOME_TYPES",
    "PRIMARY_OUTCOMES",
    "STATUSES",
    "TAU2_METHODS",
    "TAU2_LABELS",
]

#: effect measures (metafor's ``measure``): risk ratio, odds ratio, risk difference
MEASURES: tuple[str, ...] = ("RR", "OR", "RD")
MEASURE_LABELS: dict[str, str] = {
    "RR": "risk ratio",
    "OR": "odds ratio",
    "RD": "risk difference",
}

#: tau² estimators (metafor's ``method``), in the order the sensitivity analyses show them
TAU2_METHODS: tuple[str, ...] = ("DL", "REML", "ML", "PM", "HS", "SJ", "EB", "HE")
TAU2_LABELS: dict[str, str] = {
    "DL": "DerSimonian-Laird",
    "REML": "restricted maximum likelihood (REML)",
    "ML": "maximum likelihood",
    "PM": "Paule-Mandel",
    "HS": "Hunter-Schmidt",
    "SJ": "Sidik-Jonkman",
    "EB": "empirical Bayes",
    "HE": "Hedges",
}
#: models a fit may use: the common (equal) effect model ("EE") or a tau² estimator
FIT_METHODS: tuple[str, ...] = ("EE", *TAU2_METHODS)

#: comparators of IVIG, in the order of the chapters
COMPARATORS: tuple[str, ...] = ("placebo", "plasma_exchange", "corticosteroid")
COMPARATOR_LABELS: dict[str, str] = {
    "placebo": "Placebo",
    "plasma_exchange": "Plasma exchange",
    "corticosteroid": "Corticosteroids",
}

#: diseases in scope, code -> label a reader expects
DISEASE_LABELS: dict[str, str] = {
    "guillain_barre_syndrome": "Guillain-Barré syndrome",
    "myasthenia_gravis": "Myasthenia gravis",
    "cidp": "CIDP",
    "optic_neuritis": "Optic neuritis",
    "autoimmune_encephalitis": "Autoimmune encephalitis",
    "multiple_sclerosis": "Multiple sclerosis",
}
DISEASES: tuple[str, ...] = tuple(DISEASE_LABELS)

#: outcome types of a trial's counts; the primary analysis pools the first two
OUTCOME_TYPES: tuple[str, ...] = ("improvement", "responder", "relapse_free", "treatment_success")
PRIMARY_OUTCOMES: tuple[str, ...] = ("improvement", "responder")

#: harms: patients with at least one event of the kind, per arm (data/outcomes.csv)
HARM_LABELS: dict[str, str] = {
    "serious_adverse_event": "serious adverse events",
    "adverse_event_withdrawal": "withdrawals because of adverse events",
    "death": "deaths",
    "thromboembolic_event": "thromboembolic events",
    "any_adverse_event": "any adverse event",
}
HARM_TYPES: tuple[str, ...] = tuple(HARM_LABELS)

#: extraction status of a row: counts quoted, computed from quoted figures, or not yet extracted
STATUSES: tuple[str, ...] = ("verified", "derived", "pending")

#: the columns the engine reads from a two-arm binary table
ENGINE_COLUMNS: tuple[str, ...] = (
    "study_id",
    "year",
    "ivig_improved",
    "ivig_total",
    "control_improved",
    "control_total",
)

#: the five GRADE domains a certainty rating is taken down for (Guyatt et al. 2008, 2011)
GRADE_DOMAINS: tuple[str, ...] = (
    "risk_of_bias",
    "inconsistency",
    "indirectness",
    "imprecision",
    "publication_bias",
)
#: a domain's rating
GRADE_RATINGS: tuple[str, ...] = ("not_serious", "serious", "very_serious", "not_assessable")
