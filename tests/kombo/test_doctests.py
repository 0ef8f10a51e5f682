"""The examples in the docstrings of destinations/kombo hold (pytest's doctest collection covers transforms,
not destinations)."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from erpload.destinations.kombo import contents, files


@pytest.mark.parametrize("module", [contents, files], ids=lambda m: m.__name__)
def test_the_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
