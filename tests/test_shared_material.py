"""The shared material the conformance and register tests read must be there.

Parametrised conformance tests over an empty folder would pass vacuously; this test fails
loudly instead when ``../shared`` (or ``$IVIG_SHARED``) is missing or incomplete.
"""

from tests.reference import REFERENCE_DIR, REGISTER, names


def test_reference_sets_present():
    found = names()
    assert len(found) >= 10, f"expected the metafor reference sets in {REFERENCE_DIR}"
    assert {"bcg", "edge_k2", "edge_zero_cells"} <= set(found)


def test_trial_register_present():
    assert REGISTER.is_file(), f"the trial register is missing: {REGISTER}"
    assert REGISTER.read_text("utf-8").count("\n") >= 38
