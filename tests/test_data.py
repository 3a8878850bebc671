"""The loader and the shipped data: clean, typed, and equal to the curated register."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import UserError
from analysis.evidence.studies import DataError, included, load_studies, primary
from tests.reference import REGISTER

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def _register() -> list[dict[str, str]]:
    with REGISTER.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_shipped_data_loads_with_typed_columns():
    df = load_studies()
    assert len(df) == len(_register()) == 40
    for col in ("ivig_improved", "ivig_total", "control_improved", "control_total", "year"):
        assert str(df[col].dtype) == "Int64"
    assert df["study_id"].is_unique
    assert str(df["doi"].dtype) == "string"


def test_every_register_fact_is_copied_unchanged():
    """Counts, status and outcome type (and every other register column) equal the register's."""
    register = _register()
    assert len(register) == 40
    with (DATA / "studies.csv").open(encoding="utf-8", newline="") as fh:
        ours = {r["study_id"]: r for r in csv.DictReader(fh)}
    assert [r["study_id"] for r in register] == list(ours)
    for reg in register:
        row = ours[reg["study_id"]]
        for col, value in reg.items():
            assert row[col] == value, (reg["study_id"], col)


def test_counts_in_dataframe_equal_register():
    df = load_studies().set_index("study_id")
    for reg in _register():
        for col in ("ivig_improved", "ivig_total", "control_improved", "control_total"):
            got = df.at[reg["study_id"], col]
            if reg[col] == "":
                assert pd.isna(got), (reg["study_id"], col)
            else:
                assert int(got) == int(reg[col]), (reg["study_id"], col)


def test_primary_placebo_selects_the_improvement_trials_with_counts():
    df = load_studies()
    got = primary(df, "placebo")
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
    wide = included(df, "placebo", {"improvement", "responder", "relapse_free"})
    assert "Achiron1998" in set(wide["study_id"])


def test_primary_other_comparisons():
    df = load_studies()
    assert list(primary(df, "plasma_exchange")["study_id"]) == ["ElBayoumi2011"]
    assert primary(df, "corticosteroid").empty  # Nobile-Orazio 2012 is treatment_success
    steroid = included(df, "corticosteroid", {"treatment_success"})
    assert list(steroid["study_id"]) == ["NobileOrazio2012_IMC"]
    with pytest.raises(ValueError, match="comparator"):
        primary(df, "surgery")


def test_broken_data_never_loads_and_is_not_touched(tmp_path):
    for name in ("studies.csv", "datapackage.json", "references.bib"):
        shutil.copy(DATA / name, tmp_path / name)
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


def test_bibliography_matches_the_rows_and_holds_the_reviews():
    from analysis.evidence import bibtex

    entries, problems = bibtex.parse((DATA / "references.bib").read_text(encoding="utf-8"))
    assert problems == []
    bib = {e.key: e for e in entries}
    assert len(bib) == len(entries)  # no duplicate keys
    df = load_studies()
    for row in df.itertuples():
        e = bib[row.study_id]
        assert e.fields["year"] == str(row.year)
        # the curated bibliography records an identifier only where a source confirmed it;
        # where both give one, they agree
        for ident in ("doi", "pmid"):
            ours = getattr(row, ident)
            if ident in e.fields and not pd.isna(ours):
                assert e.fields[ident].lower() == ours.lower(), (row.study_id, ident)
    assert bib["moralesruiz2022"].fields["doi"] == "10.1016/j.autrev.2021.103019"
    assert bib["moralesruiz2022"].fields["journal"] == "Autoimmunity Reviews"
    assert bib["moralesruiz2022"].fields["number"] == "3"
    assert bib["Eftimov2013_CD001797"].fields["number"] == "CD001797"
    assert bib["Hughes2014_CD002063"].fields["number"] == "CD002063"
    assert bib["Olyaeemanesh2016"].fields["pmid"] == "27390706"
    assert {"vanSchaik2002", "Fergusson2005"} <= set(bib)


def test_caveats_of_the_register_are_encoded():
    df = load_studies().set_index("study_id")
    # crossover trials say which data they are; paired data never carries arm counts
    assert df.at["Hughes2008_ICE", "crossover_data"] == "first_period"
    assert df.at["Sorensen1997_crossover", "crossover_data"] == "paired"
    assert df.loc["Sorensen1997_crossover", ["ivig_improved", "ivig_total"]].isna().all()
    crossover = df["design"].fillna("").str.contains("crossover", case=False)
    assert set(df.loc[crossover, "crossover_data"]) <= {"first_period", "paired", "unknown"}
    assert (df.loc[~crossover & df["design"].notna(), "crossover_data"] == "not_applicable").all()
    assert set(df.loc[df["crossover_data"] == "unknown", "status"]) == {"pending"}
    # no row re-reports another today; AIMS is counted once
    assert df["rereports"].isna().all()
    # Mendell 2001: randomised arms 30 + 23, not the abstract's "n = 33"
    assert (df.at["Mendell2001", "ivig_total"], df.at["Mendell2001", "control_total"]) == (30, 23)
    # risk of bias: judged only with a stated provenance; overall never claimed
    rob = ["rob_d1", "rob_d2", "rob_d3", "rob_d4", "rob_d5"]
    judged = (df[rob] != "not_assessed").any(axis=1)
    assert df.loc[judged, "rob_source"].notna().all()
    assert df.loc[~judged, "rob_source"].isna().all()
    assert (df["rob_overall"] == "not_assessed").all()
    assert set(df.loc[judged].index) <= set(df.index[df["status"] != "pending"])
