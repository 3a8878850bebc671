"""Page weight: the home page with everything it loads stays under 1.5 MB uncompressed.

The draw time (navigation start to every chart drawn, target 2 s) is a speed figure
and lives in ``bench/page_weight.py``, not here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.harness import is_local, load_profile

pytestmark = pytest.mark.slow

#: 1.5 MB, counted in decimal megabytes (the stricter reading).
BUDGET_BYTES = 1_500_000


def _listing(profile: dict) -> str:
    rows = sorted(profile["resources"], key=lambda r: -r["bytes"])
    return "\n".join(f"{r['bytes']:>10,}  {urlsplit(r['url']).path}" for r in rows)


def test_home_page_with_everything_it_loads_is_under_the_budget(browser, base_url, published):
    profile = load_profile(browser, base_url)
    weight = profile["weight_bytes"]
    assert weight < BUDGET_BYTES, (
        f"home page weighs {weight:,} bytes uncompressed (budget {BUDGET_BYTES:,}):\n"
        + _listing(profile)
    )
    # the count is complete: every response is local, succeeded, and was counted at full size
    assert all(is_local(r["url"]) and r["status"] == 200 for r in profile["resources"])
    for r in profile["resources"]:
        path = urlsplit(r["url"]).path.lstrip("/") or "index.html"
        on_disk = published / (path + "index.html" if path.endswith("/") else path)
        assert r["bytes"] == on_disk.stat().st_size, f"{path}: counted {r['bytes']} bytes"
    # the home page draws its summary forest plot (so it carries the Vega bundle)
    assert profile["charts"] >= 1 and profile["draw_ms"] is not None
