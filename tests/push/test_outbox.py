"""The outbox stream: dlt's load thread reads each batch's records from one forward scan of the outbox."""

from __future__ import annotations

import duckdb
import pytest

from erpload.push.outbox import OUTBOX, SCRATCH, OutboxBatch, OutboxStream


def _outbox(records: int, batch_size: int, order: str = "seq") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"ATTACH ':memory:' AS {SCRATCH}")
    con.execute(f"""CREATE TABLE {OUTBOX} AS
                    SELECT seq, (seq - 1) // {batch_size} AS batch_no, 'vendors' AS entity, 'k' || seq AS _key,
                           md5(seq::VARCHAR) AS _hash, '{{"id":' || seq || '}}' AS payload,
                           'run-' || (seq - 1) // {batch_size} AS batch_id
                    FROM range(1, {records} + 1) r(seq) ORDER BY {order}""")
    return con


def test_consecutive_takes_read_the_records_in_order_across_fetches() -> None:
    con = _outbox(25, batch_size=4)
    stream = OutboxStream(con, chunk=3)  # fetches end inside batches, and batches span fetches
    taken = [stream.take(list(range(start, min(start + 4, 26)))) for start in range(1, 26, 4)]
    assert [rows["seq"].to_pylist() for rows in taken] == [list(range(s, min(s + 4, 26))) for s in range(1, 26, 4)]
    first = taken[0].slice(0, 1).to_pylist()[0]
    assert (first["_key"], first["payload"], first["batch_no"]) == ("k1", '{"id":1}', 0)
    assert stream.batches[6] == OutboxBatch("vendors", "run-6", 1)  # the last batch holds one record
    assert stream.take([26]).num_rows == 0
    stream.close()


def test_numbers_left_out_are_skipped_and_numbers_behind_the_scan_are_read_again() -> None:
    con = _outbox(12, batch_size=4)
    stream = OutboxStream(con, chunk=5)
    assert stream.take([1, 2, 4])["seq"].to_pylist() == [1, 2, 4]
    assert stream.take([6, 7])["seq"].to_pylist() == [6, 7]  # 5 is passed over
    again = stream.take([2, 3, 4])  # dlt delivering part of a batch again
    assert list(zip(again["seq"].to_pylist(), again["_key"].to_pylist(), strict=True)) == [(2, "k2"), (3, "k3"),
                                                                                             (4, "k4")]
    assert stream.take([8, 9, 10, 11, 12])["seq"].to_pylist() == [8, 9, 10, 11, 12]  # the scan goes on where it was
    stream.close()


def test_an_outbox_not_stored_in_push_order_stops_the_stream() -> None:
    stream = OutboxStream(_outbox(12, batch_size=4, order="seq DESC"), chunk=4)
    with pytest.raises(RuntimeError, match="out of order"):
        stream.take([1, 2, 3, 4])
