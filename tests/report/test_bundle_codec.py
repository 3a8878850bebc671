"""One codec for the results: the bundle's typed entries are written and read by the same code.

``analysis.stats.result_json`` (``to_json`` / ``from_json``) is the one place a result's JSON
shape is defined. The results bundle builds typed objects (``MetaAnalysis``, and per
comparison ``analysis.report.comparison.Comparison`` with its ``Summary``, ``Sensitivity``
and ``CommonVsRandom``; ``Unavailable`` for a comparison without a primary analysis) and
encodes them with it; the chapters decode the entries with it. A comparison's
summary-of-findings rows are ``analysis.report.findings.FindingsRow`` objects, their GRADE
certainty ``analysis.stats.certainty.Certainty`` (whose computed ``judged``,
``provisional`` and per-domain ``downgrade`` the codec writes from ``JSON_PROPERTIES``).
These tests hold both ends
to that: the codec's inline fields (the comparison entry is the full analysis key for key
plus its own parts) on constructed types, and every typed entry of the snapshot's bundle
read back and written again to the same JSON.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pytest

from analysis.report import results_bundle
from analysis.report.comparison import Comparison, Unavailable
from analysis.report.completeness import Completeness
from analysis.report.findings import FindingsRow
from analysis.stats.certainty import Certainty
from analysis.stats.result_json import INLINE, ResultKeyError, from_json, to_json


@dataclass(frozen=True)
class _Core:
    a: int
    b: float | None


@dataclass(frozen=True)
class _Entry:
    core: _Core = field(metadata={"json": INLINE})
    extra: str
    label: str = field(default="", metadata={"json": False})


@dataclass(frozen=True)
class _Clash:
    core: _Core = field(metadata={"json": INLINE})
    a: int


def test_an_inline_field_is_written_into_its_parent_and_read_back_out():
    entry = _Entry(_Core(1, float("nan")), "x", label="not written")
    data = to_json(entry)
    assert data == {"a": 1, "b": None, "extra": "x"}
    back = from_json(_Entry, data)
    assert back == _Entry(_Core(1, None), "x")


def test_an_inline_fields_keys_are_read_strictly():
    with pytest.raises(ResultKeyError, match=r"^_Entry\.b: missing$"):
        from_json(_Entry, {"a": 1, "extra": "x"})
    with pytest.raises(ResultKeyError, match=r"^_Entry\.c: unknown key$"):
        from_json(_Entry, {"a": 1, "b": 2.0, "c": 3, "extra": "x"})
    with pytest.raises(ResultKeyError, match=r"^_Entry\.a: expected int"):
        from_json(_Entry, {"a": "1", "b": 2.0, "extra": "x"})


def test_an_inline_field_may_not_write_a_key_twice():
    with pytest.raises(TypeError, match="the key a is written twice"):
        to_json(_Clash(_Core(1, 2.0), 3))


@pytest.fixture(scope="module")
def bundle(snapshot_bundle):
    return copy.deepcopy(snapshot_bundle)


def test_every_comparison_entry_is_the_codecs_encoding_of_its_decoding(bundle):
    seen = 0
    for name, entry in bundle["comparisons"].items():
        if entry is None:
            continue
        typed = Comparison.from_dict(name, entry)
        assert typed.name == name
        assert to_json(typed) == entry
        assert typed.to_dict() == entry
        seen += 1
    assert seen, "the snapshot has a comparison with a primary analysis"


def test_every_findings_row_is_the_codecs_encoding_of_its_decoding(bundle):
    """Each summary-of-findings row of the snapshot's bundle reads back as a ``FindingsRow``
    (its certainty a ``Certainty``) and writes back to the same JSON; its keys are the
    row's fields and nothing else."""
    from dataclasses import fields

    names = {f.name for f in fields(FindingsRow)}
    seen = 0
    for name, entry in bundle["comparisons"].items():
        if entry is None:
            continue
        typed = Comparison.from_dict(name, entry)
        for disease, row in entry["findings"].items():
            where = f"comparisons.{name}.findings.{disease}"
            back = from_json(FindingsRow, row, where)
            assert typed.findings[disease] == back
            assert isinstance(back.certainty, Certainty)
            assert back.disease == disease and set(row) == names
            assert to_json(back) == row and back.to_dict() == row
            assert to_json(back.certainty) == row["certainty"]
            seen += 1
    assert seen, "the snapshot has summary-of-findings rows"


def test_a_findings_row_is_read_strictly(bundle):
    """A row missing a key, carrying an unknown one, or whose certainty's written
    ``judged`` contradicts its domains is refused with the key's path."""
    name, entry = next((n, e) for n, e in bundle["comparisons"].items() if e is not None)
    disease, row = next(iter(entry["findings"].items()))
    where = f"comparisons.{name}.findings.{disease}"
    short = {k: v for k, v in row.items() if k != "control_risk"}
    with pytest.raises(ResultKeyError, match=rf"^{where}\.control_risk: missing$"):
        from_json(FindingsRow, short, where)
    with pytest.raises(ResultKeyError, match=rf"^{where}\.nnt: unknown key$"):
        from_json(FindingsRow, {**row, "nnt": 3}, where)
    cert = {**row["certainty"], "judged": not row["certainty"]["judged"]}
    with pytest.raises(ResultKeyError, match=rf"^{where}\.certainty\.judged: .* contradicts"):
        from_json(FindingsRow, {**row, "certainty": cert}, where)


def test_every_completeness_cell_is_the_codecs_encoding_of_its_decoding(bundle):
    """The bundle's completeness cells (k of n identified trials) read back as
    ``Completeness`` and write back to the same JSON; a row's cell is its comparison's."""
    seen = 0
    for name, cells in bundle["completeness"].items():
        for disease, cell in cells.items():
            back = from_json(Completeness, cell, f"completeness.{name}.{disease}")
            assert to_json(back) == cell
            row = ((bundle["comparisons"].get(name) or {}).get("findings") or {}).get(disease)
            if row is not None:
                assert row["completeness"] == cell
            seen += 1
    assert seen


def test_every_unavailable_entry_is_the_codecs_encoding_of_its_decoding(bundle):
    for name, entry in bundle["unavailable"].items():
        typed = from_json(Unavailable, entry, f"unavailable.{name}")
        assert to_json(typed) == entry


def test_the_bundle_is_the_codecs_output_of_typed_entries(snapshot_root, monkeypatch):
    """The writer hands typed entries to the codec: with the codec's encoding of a
    ``Comparison`` or ``Unavailable`` marked, every comparison entry and every unavailable
    one carries the mark, so none was built as a dict by hand; and each comparison's
    findings rows reach the codec as ``FindingsRow`` objects with a ``Certainty``."""
    real = results_bundle.to_json
    rows: list[FindingsRow] = []

    def marking(obj):
        if isinstance(obj, Comparison):
            rows.extend(obj.findings.values())
            assert all(isinstance(k, str) for k in obj.findings)
        if isinstance(obj, Comparison | Unavailable):
            return {**real(obj), "_by_codec": type(obj).__name__}
        if isinstance(obj, dict):
            return {str(k): marking(v) for k, v in obj.items()}
        return real(obj)

    monkeypatch.setattr(results_bundle, "to_json", marking)
    out = results_bundle.compute(snapshot_root)
    marked = 0
    for name, entry in out["comparisons"].items():
        if entry is not None:
            assert entry.get("_by_codec") == "Comparison", name
            marked += 1
    for name, entry in out["unavailable"].items():
        assert entry.get("_by_codec") == "Unavailable", name
        marked += 1
    assert marked == len(out["comparisons"])
    written = sum(len(e["findings"]) for e in out["comparisons"].values() if e is not None)
    assert rows and len(rows) == written
    assert all(type(r) is FindingsRow and type(r.certainty) is Certainty for r in rows)
    assert all(type(r.completeness) is Completeness for r in rows)


def test_the_text_helpers_set_aside_exactly_the_comparison_entrys_own_parts():
    """``text.analysis_of`` reads a bundle entry's analysis by setting its other parts aside
    (it cannot import ``Comparison``, which builds on it): those parts are the codec's
    non-inline fields of ``Comparison``, so a part added there is not mistaken for an
    analysis key."""
    from dataclasses import fields

    from analysis.report import text

    own = {
        f.name
        for f in fields(Comparison)
        if f.metadata.get("json", True) and f.metadata.get("json") != INLINE
    }
    assert set(text.BUNDLE_PARTS) == own
