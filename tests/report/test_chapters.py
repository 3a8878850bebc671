"""The chapters read like the paper: prose and one call per table, chart or number."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_chapters_do_not_repeat_the_project_defaults():
    """``_quarto.yml`` sets ``execute: echo: false`` for the book, and both renderers honour
    it (tests/render/test_render.py), so no cell repeats it."""
    import yaml

    project = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert project["execute"]["echo"] is False
    for path in [ROOT / "index.qmd", *sorted((ROOT / "chapters").glob("*.qmd"))]:
        lines = path.read_text(encoding="utf-8").splitlines()
        repeated = [i + 1 for i, line in enumerate(lines) if line.strip() == "#| echo: false"]
        assert repeated == [], f"{path.name}: lines {repeated} repeat the project default"
