"""Regenerate the vendored Vega bundle: ``python -m analysis.report.vendor``.

The bundle (Vega, Vega-Lite and vega-embed in one script, wrapped in a function
so its names stay private) is made by ``vl_convert.javascript_bundle`` for the
Vega-Lite version Altair targets, so the versions are pinned by
``vl-convert-python`` and ``altair`` in ``requirements.lock``. The header line
records them; ``tests/test_render.py`` checks it against the installed packages.
"""

from __future__ import annotations

from pathlib import Path

from analysis.report.chart_display import VEGA_BUNDLE, vl_version

__all__ = ["bundle_header", "write_bundle"]

ROOT = Path(__file__).resolve().parents[2]


def bundle_header() -> str:
    """The first line of the bundle: versions of what is inside and of the bundler."""
    import vl_convert as vlc

    return (
        f"/* Vega {vlc.get_vega_version()}, Vega-Lite {vl_version()}, "
        f"vega-embed {vlc.get_vega_embed_version()}: bundled by vl-convert-python "
        f"{vlc.__version__} (vl_convert.javascript_bundle). "  # type: ignore[attr-defined]
        "Regenerate: python -m analysis.report.vendor */"
    )


def write_bundle(path: Path = ROOT / VEGA_BUNDLE) -> Path:
    """Write the bundle to ``path``."""
    import vl_convert as vlc

    # the snippet is optional (the library's default assigns the globals); its stub says not
    body = vlc.javascript_bundle(vl_version=vl_version())  # type: ignore[call-arg]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{bundle_header()}\n(function(){{\n{body}\n}})();\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_bundle())
