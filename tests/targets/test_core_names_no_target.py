"""`erpload/` holds the CLI, the pipeline steps and the push framework and names no target (STYLE §14): every
target is reached through its declaration. Docstrings and prose (a hint's example) may name one."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from erpload import canonical
from erpload.targets import targets

REPO = Path(__file__).resolve().parents[2]
#: the packages that hold one sub-package per target
TARGET_ROOTS = ("transforms", "destinations", "fakes")
#: erpload's packages that are not the core: the targets' and the ERP sources (which name ERPs, not targets)
NOT_CORE = (*TARGET_ROOTS, "sources")


def _target_words() -> set[str]:
    packages = {p.name for root in TARGET_ROOTS for p in (REPO / "erpload" / root).iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    return {name.lower() for name in targets()} | packages


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


#: the canonical model's columns are the ERP's facts, named as bookkeepers know them (a company's DATEV client
#: number is a fact of the company, whichever targets run)
CANONICAL_COLUMNS = {c.name for e in canonical.ENTITIES for c in e.columns}


def _is_code(text: str) -> bool:
    """A name, a settings key or a module path: no spaces, and not a canonical column."""
    return not re.search(r"\s", text) and text not in CANONICAL_COLUMNS


def naming(source: str, words: set[str]) -> Iterator[str]:
    """Where `source` names a target in code: an import of a target's package, an identifier, or a string that
    is code (no spaces: a name, a key, a module path) rather than prose or a canonical column."""
    pattern = re.compile(r"(?<![a-z])(" + "|".join(map(re.escape, sorted(words))) + r")(?![a-z])", re.IGNORECASE)
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for module in modules:
            parts = module.split(".")
            if len(parts) > 2 and parts[:1] == ["erpload"] and parts[1] in TARGET_ROOTS and parts[2] in words:
                yield f"line {node.lineno}: imports {module}"
        names: list[str] = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            names = [node.name]
        elif isinstance(node, ast.arg):
            names = [node.arg]
        for name in names:
            if pattern.search(name.replace("_", " ")):
                yield f"line {node.lineno}: the name {name}"
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                and _is_code(node.value) and pattern.search(node.value.replace("_", " "))):
            yield f"line {node.lineno}: the string {node.value!r}"


def _core_modules() -> list[Path]:
    core = REPO / "erpload"
    return sorted(path for path in core.rglob("*.py") if path.relative_to(core).parts[0] not in NOT_CORE)


def test_no_module_of_the_core_names_a_target() -> None:
    words = _target_words()
    found = {str(path.relative_to(REPO)): hits for path in _core_modules()
             if (hits := list(naming(path.read_text(encoding="utf-8"), words)))}
    assert found == {}


def test_the_check_finds_each_way_of_naming_one() -> None:
    source = '''"""A docstring may say datev."""
import erpload.transforms.datev.transform
from erpload.destinations.dvelop import config
from erpload.fakes import serving
from erpload.fakes.dvelop import DvelopFake


def push_dvelop(datev_out: str) -> None:
    """So may this one: dvelop."""
    if "datev" in datev_out:
        print("the hint may name an example: erpload push dvelop")
    print("DESTINATION__DVELOP__BASE_URL")
'''
    hits = sorted(naming(source, {"datev", "dvelop"}))
    assert hits == sorted([
        "line 2: imports erpload.transforms.datev.transform",
        "line 3: imports erpload.destinations.dvelop",
        "line 3: imports erpload.destinations.dvelop.config",
        "line 5: imports erpload.fakes.dvelop",
        "line 5: imports erpload.fakes.dvelop.DvelopFake",
        "line 8: the name push_dvelop",
        "line 8: the name datev_out",
        "line 10: the string 'datev'",
        "line 10: the name datev_out",
        "line 12: the string 'DESTINATION__DVELOP__BASE_URL'",
    ])
