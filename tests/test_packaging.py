"""What `pip install` is told: the Pythons erpload declares, checked against what its tools check the code for,
and dependencies whose extras exist (a missing extra is only a warning at install, and then a missing package)."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

PYPROJECT = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())


def test_the_code_is_checked_for_the_lowest_python_it_declares() -> None:
    declared = SpecifierSet(PYPROJECT["project"]["requires-python"])
    minors = [f"3.{n}" for n in range(8, 20) if f"3.{n}" in declared]
    assert minors[:3] == ["3.11", "3.12", "3.13"]  # the Pythons of current Debian and Ubuntu releases
    lowest = minors[0]
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + lowest.replace(".", "")
    assert PYPROJECT["tool"]["mypy"]["python_version"] == lowest


def test_every_dependency_extra_is_one_its_package_provides() -> None:
    for text in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(text)
        if not requirement.extras:
            continue
        provided = {canonicalize_name(e) for e in
                    importlib.metadata.distribution(requirement.name).metadata.get_all("Provides-Extra") or []}
        asked = {canonicalize_name(e) for e in requirement.extras}
        assert asked <= provided, f"{text}: {sorted(asked - provided)} not among {requirement.name}'s extras"
        # written as the package writes them, so no installer warns (pip does for `sql_database`)
        assert all(re.fullmatch(r"[a-z0-9-]+", e) for e in requirement.extras), text


def test_version_names_erpload_and_the_versions_it_runs_with() -> None:
    from typer.testing import CliRunner

    from erpload.cli.main import app

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    version = importlib.metadata.version
    assert result.stdout.strip() == f"erpload {version('erpload')} (dlt {version('dlt')}, duckdb {version('duckdb')})"
