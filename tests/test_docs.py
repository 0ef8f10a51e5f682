"""The README documents what the code does."""

from __future__ import annotations

from pathlib import Path

from erpload import canonical

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_shows_the_canonical_model_from_the_code() -> None:
    assert canonical.markdown_table() in README


def test_readme_starts_with_the_two_setup_commands() -> None:
    first_block = README.split("```")[1]
    assert "erpload demo" in first_block
    assert "scripts/test" in first_block
