"""A push whose load ends before dlt handed over every outbox record fails loudly, instead of reporting success."""

from __future__ import annotations

import pyarrow as pa
import pytest

from erpload.destinations.dvelop.config import load_dvelop_settings
from erpload.destinations.dvelop.destination import DvelopSender
from erpload.errors import ErploadError
from erpload.push.pusher import Pusher
from erpload.runs import Run
from erpload.staging import connect
from tests.push.conftest import DvelopCase
from tests.utils import Workspace


def test_records_dlt_never_handed_over_make_the_push_fail(vendors_workspace: Workspace, dvelop: DvelopCase) -> None:
    sender = DvelopSender(load_dvelop_settings())  # batches of 8 (the fixture's setting)
    with connect(vendors_workspace.staging) as con:
        pusher = Pusher(con, sender, Run(command="push dvelop", profile=None))
        pusher.planned = pusher.fill_outbox(["vendors"])
        pusher.mark_outbox_pending()
        pusher.outgoing()
        pusher.deliver(pa.record_batch({"seq": pa.array(range(1, 9), pa.int64())}))  # one batch of 30 vendors
        pusher.finish_delivery()
        pusher.writer.close()

        with pytest.raises(ErploadError, match="only 8 of the 30 records") as raised:
            pusher.check_delivered()
        assert "run the push again" in str(raised.value)
    assert dvelop.state("vendors")["count"] == 8
    sender.close()
