"""No copy of ERP data outlives its load: after an extract and a push, the staging file is the only one."""

from __future__ import annotations

from erpload.load_packages import data_files
from tests.push.conftest import DvelopCase
from tests.utils import Workspace


def test_no_load_package_data_files_are_left_after_extract_and_push(workspace: Workspace, dvelop: DvelopCase) -> None:
    ws = workspace
    for args in (("extract",), ("map",), ("transform", "dvelop"), ("push", "dvelop")):
        result = ws.cli(*args)
        assert result.finished, result.output
    assert dvelop.batches(), "the push sent something"
    pipelines = ws.root / ".erpload" / "erpload.duckdb" / "pipelines"
    assert {p.name for p in pipelines.iterdir()} == {"erpload_extract", "erpload_push_dvelop"}
    assert data_files(pipelines) == []
    assert data_files(ws.root) == []  # nothing beside the staging file either
