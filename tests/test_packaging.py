"""What `pip install` is told: the Pythons erpload declares, checked against what its tools check the code for,
and dependencies whose extras exist (a missing extra is only a warning at install, and then a missing package)."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
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


# --- what the wheel installs ----------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
#: at the root of a clone these link to erpload's sub-packages, so the layout reads as the architecture does
ROOT_LINKS = ("sources", "transforms", "destinations", "fakes", "profiles")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(REPO)], check=True, capture_output=True, cwd=out)
    (built,) = out.glob("erpload-*.whl")
    return built


def test_the_wheel_holds_one_import_name_and_every_file_the_package_reads(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert {name.split("/")[0] for name in names} == {"erpload", f"erpload-{_version()}.dist-info"}
    tracked = subprocess.run(["git", "ls-files", "erpload"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    data = {path for path in tracked if not path.endswith((".py", ".md"))}
    assert data  # the profiles, the demo ERPs' schemas, DATEV's format spec
    assert data <= set(names)


def test_installed_into_a_fresh_venv_it_adds_only_erpload_and_imports_whole(wheel: Path, tmp_path: Path) -> None:
    """Installed without the clone beside it: every module imports (none reaches for a top-level `transforms` or
    `fakes` that only a clone has) and the shipped profiles load."""
    fresh = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    before = {p.name for p in site.iterdir()}
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True)
    added = {p.name for p in site.iterdir()} - before
    assert added == {"erpload", f"erpload-{_version()}.dist-info"}

    # the dependencies come from this venv's site-packages, behind the fresh one; the working directory is not
    # the clone, so only the installed copy of erpload can be found
    dependencies = sysconfig.get_paths()["purelib"]
    code = ("import importlib, pkgutil, sys, erpload\n"
            "from erpload.profiles import load_profile\n"
            "assert erpload.__file__.startswith(sys.argv[1]), erpload.__file__\n"
            "for module in pkgutil.walk_packages(erpload.__path__, 'erpload.'):\n"
            "    if not module.name.endswith('__main__'):  # that one runs the CLI\n"
            "        importlib.import_module(module.name)\n"
            "print(sorted(load_profile(name).name for name in ('demo', 'odoo')))\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sources', 'transforms', 'destinations',"
            " 'fakes', 'bench', 'profiles'}))\n")
    result = subprocess.run([python, "-c", code, str(site)], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{dependencies}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["['demo', 'odoo']", "[]"]


def test_the_root_folders_of_a_clone_are_erpload_s_sub_packages() -> None:
    for name in ROOT_LINKS:
        assert (REPO / name).resolve() == REPO / "erpload" / name, name


def test_no_code_imports_a_root_folder_as_a_package_of_its_own() -> None:
    """In a clone `import transforms` would work through the link at the root and then fail once installed."""
    found = []
    for path in sorted(REPO.glob("**/*.py")):
        if {".venv", "build"} & set(path.relative_to(REPO).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                       else [])
            found += [f"{path.relative_to(REPO)}:{node.lineno} {m}" for m in modules
                      if m.split(".")[0] in ROOT_LINKS]
    assert found == []


def _version() -> str:
    return str(PYPROJECT["project"]["version"])
