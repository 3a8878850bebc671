"""The loader (on the frozen snapshot) and the rules that ``data/`` itself must keep.

Two kinds of test live here, kept apart on purpose:

* **rules of ``data/``** (``test_data_*``): what any version of the evidence must satisfy
  (it validates, ids are unique, every count has its quote, crossover and risk-of-bias
  caveats are encoded, the bibliography agrees with the rows). They never name a trial,
  a count or how many trials there are: adding evidence by pull request keeps them green.
* **tests of the loader** (the rest): on ``tests/fixtures/data_snapshot/``, a frozen copy,
  where naming rows is safe because nothing changes it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from analysis import vocabulary
from analysis.errors import UserError
from analysis.evidence import bibtex
from analysis.evidence.studies import DataError, included, load_studies, primary
from analysis.evidence.validate import validate
from tests.snapshot import DATA, SNAPSHOT, copy_snapshot
from tests.snapshot import bibliography as snapshot_bibliography

COUNTS = ("ivig_improved", "ivig_total", "control_improved", "control_total")
ROB = ("rob_d1", "rob_d2", "rob_d3", "rob_d4", "rob_d5")


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def live() -> pd.DataFrame:
    """Today's ``data/studies.csv``, validated (for the rules only)."""
    return load_studies(DATA)


# --------------------------------------------------------------------------- rules of data/


def test_data_validates_without_errors():
    report = validate(DATA)
    assert report.ok, [str(p) for p in report.errors]


def test_data_loads_with_typed_columns_and_unique_ids(live):
    assert len(live) > 0
    for col in (*COUNTS, "year"):
        assert str(live[col].dtype) == "Int64"
    assert live["study_id"].is_unique
    assert str(live["doi"].dtype) == "string"


def test_data_every_count_has_its_status_source_and_quote(live):
    """Counts exactly on verified or derived rows, each with a source and a verbatim quote."""
    with_counts = live["status"].isin(["verified", "derived"])
    assert live.loc[with_counts, list(COUNTS)].notna().all().all()
    assert live.loc[~with_counts, list(COUNTS)].isna().all().all()
    for col in ("source_url", "source_quote", "outcome_type", "outcome_definition"):
        assert live.loc[with_counts, col].notna().all(), col
    assert set(live["comparator"]) <= set(vocabulary.COMPARATORS)


def test_data_caveats_are_encoded(live):
    """Crossover trials say which data they are; paired data never carries arm counts;
    a re-report names a trial of the register; a risk-of-bias judgement has provenance."""
    crossover = live["design"].fillna("").str.contains("crossover", case=False)
    assert set(live.loc[crossover, "crossover_data"]) <= {"first_period", "paired", "unknown"}
    parallel = ~crossover & live["design"].notna()
    assert (live.loc[parallel, "crossover_data"] == "not_applicable").all()
    assert set(live.loc[live["crossover_data"] == "unknown", "status"]) <= {"pending"}
    paired = live["crossover_data"] == "paired"
    assert live.loc[paired, list(COUNTS)].isna().all().all()
    rereports = live["rereports"].dropna()
    assert set(rereports) <= set(live["study_id"])
    judged = (live[list(ROB)] != "not_assessed").any(axis=1) | (
        live["rob_overall"] != "not_assessed"
    )
    assert live.loc[judged, "rob_source"].notna().all()
    assert live.loc[~judged, "rob_source"].isna().all()


def test_data_bibliography_matches_the_rows(live):
    """Every row has a bibliography entry whose year agrees; identifiers agree where both
    give one; no key twice."""
    entries, problems = bibtex.parse((DATA / "references.bib").read_text(encoding="utf-8"))
    assert problems == []
    bib = {e.key: e for e in entries}
    assert len(bib) == len(entries)
    for row in live.itertuples():
        e = bib[row.study_id]
        assert e.fields["year"] == str(row.year)
        for ident in ("doi", "pmid"):
            ours = getattr(row, ident)
            if ident in e.fields and not pd.isna(ours):
                assert e.fields[ident].lower() == ours.lower(), (row.study_id, ident)


# --------------------------------------------------------------------------- the loader


@pytest.fixture(scope="module")
def frozen() -> pd.DataFrame:
    return load_studies(SNAPSHOT)


def test_snapshot_loads_with_typed_columns(frozen):
    assert len(frozen) == 40
    for col in (*COUNTS, "year"):
        assert str(frozen[col].dtype) == "Int64"
    assert str(frozen["doi"].dtype) == "string"


def test_primary_placebo_selects_the_improvement_trials_with_counts(frozen):
    got = primary(frozen, "placebo")
    assert list(got["study_id"]) == [
        "Vermeulen1993",
        "Fazekas1997_AIMS",
        "Mendell2001",
        "Hughes2008_ICE",
        "Dubey2020",
        "Bril2025_MG_maintenance",
    ]
    assert (got["status"].isin(["verified", "derived"])).all()
    assert got[["ivig_improved", "ivig_total"]].notna().all().all()
    # Achiron 1998 (relapse_free) is outside the primary analysis ...
    assert "Achiron1998" not in set(got["study_id"])
    # ... but enters a sensitivity analysis that accepts relapse-free outcomes.
    wide = included(frozen, "placebo", {"improvement", "responder", "relapse_free"})
    assert "Achiron1998" in set(wide["study_id"])


def test_primary_other_comparisons(frozen):
    assert list(primary(frozen, "plasma_exchange")["study_id"]) == ["ElBayoumi2011"]
    assert primary(frozen, "corticosteroid").empty  # Nobile-Orazio 2012 is treatment_success
    steroid = included(frozen, "corticosteroid", {"treatment_success"})
    assert list(steroid["study_id"]) == ["NobileOrazio2012_IMC"]
    with pytest.raises(ValueError, match="comparator"):
        primary(frozen, "surgery")


def test_loader_keeps_the_register_caveats(frozen):
    df = frozen.set_index("study_id")
    assert df.at["Hughes2008_ICE", "crossover_data"] == "first_period"
    assert df.at["Sorensen1997_crossover", "crossover_data"] == "paired"
    assert df.loc["Sorensen1997_crossover", ["ivig_improved", "ivig_total"]].isna().all()
    # Mendell 2001: randomised arms 30 + 23, not the abstract's "n = 33"
    assert (df.at["Mendell2001", "ivig_total"], df.at["Mendell2001", "control_total"]) == (30, 23)


def test_broken_data_never_loads_and_is_not_touched(tmp_path):
    copy_snapshot(tmp_path)
    path = tmp_path / "studies.csv"
    text = path.read_text(encoding="utf-8")
    # Vermeulen 1993: 4/15 -> 40/15 (events exceed the arm) and a bad DOI on the same row.
    text = text.replace(",4,15,3,13,", ",40,15,3,13,", 1)
    text = text.replace("10.1136/jnnp.56.1.36", "doi:10.1136/jnnp.56.1.36", 1)
    path.write_text(text, encoding="utf-8")
    before = _digest(tmp_path)
    with pytest.raises(DataError) as info:
        load_studies(tmp_path)
    after = _digest(tmp_path)
    assert before == after
    err = info.value
    assert isinstance(err, UserError)
    shown = [str(p) for p in err.problems]
    assert f"{path}:4:ivig_improved: more events than patients in the IVIG arm (40 > 15)" in shown
    assert any(s.startswith(f"{path}:4:doi: malformed DOI") for s in shown)
    assert len(err.problems) == 2
    assert str(err).splitlines()[1:] == shown


def test_bibliography_parser_reads_the_reviews():
    entries, problems = snapshot_bibliography()
    assert problems == []
    bib = {e.key: e for e in entries}
    assert bib["moralesruiz2022"].fields["doi"] == "10.1016/j.autrev.2021.103019"
    assert bib["moralesruiz2022"].fields["journal"] == "Autoimmunity Reviews"
    assert bib["moralesruiz2022"].fields["number"] == "3"
    assert bib["Eftimov2013_CD001797"].fields["number"] == "CD001797"
    assert bib["Hughes2014_CD002063"].fields["number"] == "CD002063"
    assert bib["Olyaeemanesh2016"].fields["pmid"] == "27390706"
    assert {"vanSchaik2002", "Fergusson2005"} <= set(bib)


def test_snapshot_is_a_frozen_copy_with_its_reason():
    """The fixture says why it is frozen, and holds every file a data folder has."""
    readme = (SNAPSHOT / "README.md").read_text(encoding="utf-8")
    assert "frozen on purpose" in readme
    assert {"studies.csv", "datapackage.json", "references.bib"} <= {
        p.name for p in SNAPSHOT.iterdir()
    }
