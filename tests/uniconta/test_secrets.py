"""Telecom X's token travels in the query (`?token=`): it must appear in no output, log line, run row, ledger row,
reject or staged table, and neither may the password. The fake issues tokens the test knows."""

from __future__ import annotations

import logging

import pytest

from erpload.exit_codes import ExitCode
from erpload.fakes.faults import Faults
from erpload.fakes.telecomx.app import EXPORT
from erpload.fakes.telecomx.models import ExportPlan
from erpload.fakes.telecomx.seed import DEMO_PASSWORD
from tests.uniconta.support import Telecom
from tests.utils import Workspace


def staged_text(ws: Workspace) -> str:
    """Every row of every table and view in the staging file, as text."""
    tables = ws.query("select table_schema, table_name from information_schema.tables "
                      "where table_catalog = current_database()")
    return "\n".join(str(ws.query(f'select * from "{schema}"."{name}"')) for schema, name in tables)


def test_no_token_and_no_password_anywhere_after_renewals_refusals_and_a_lost_answer(
        ws: Workspace, telecom: Telecom, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx logs each request's URL, the token in its query, at INFO
    telecom.fake.set_plan(ExportPlan(expire_tokens_at_exports=[2], internal_error_exports=[4]))
    telecom.fake.set_faults(Faults(drop_on_calls=[5], match_path=EXPORT))
    outputs = [ws.cli("push", "uniconta"), ws.cli("push", "uniconta"),
               ws.cli("ledger", "--target", "uniconta", "--state", "unknown", "--staging", str(ws.staging))]
    assert outputs[0].exit_code == ExitCode.UNDECIDED, outputs[0].output
    assert len(telecom.tokens) == 2  # the expired token was renewed once, mid-run
    logged = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any("token=***" in m for m in logged)  # the URL was logged, masked before any handler saw it

    everything = "\n".join([*(o.output for o in outputs), caplog.text, staged_text(ws)])
    for secret in (*telecom.tokens, DEMO_PASSWORD):
        assert secret not in everything
    for path in ws.root.rglob("*"):
        if path.is_file() and path.suffix != ".sqlite":
            content = path.read_bytes()
            assert not any(s.encode() in content for s in (*telecom.tokens, DEMO_PASSWORD)), path
