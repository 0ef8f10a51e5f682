"""No copy of ERP data outlives its load: after an extract and a push, the staging file is the only one."""

from __future__ import annotations

from erpload.load_packages import data_files
from tests.push.conftest import DvelopCase
from tests.utils import Prepared, Workspace


def test_no_load_package_data_files_are_left_after_extract_and_push(workspace: Workspace, prepared: Prepared,
                                                                    dvelop: DvelopCase) -> None:
    # extract, map and transform ran in the session's template (their files are copied as they left them)
    ws = prepared.into(workspace, ("extract",), ("map",), ("transform", "dvelop"))
    result = ws.cli("push", "dvelop")
    assert result.finished, result.output
    assert dvelop.batches(), "the push sent something"
    pipelines = ws.root / ".erpload" / "erpload.duckdb" / "pipelines"
    assert {p.name for p in pipelines.iterdir()} == {"erpload_extract", "erpload_push_dvelop"}
    assert data_files(pipelines) == []
    assert data_files(ws.root) == []  # nothing beside the staging file either
