"""The outbox of one push: the records still to send, in push order, and the stream dlt's load thread reads.

The push fills it once (see `Pusher.fill_outbox`): one row per record with its sequence number `seq`
(1..n, dense, the push order), the batch it was cut into (`batch_no`, `batch_id`) and the payload to send.
dlt carries only the sequence numbers; each call of the destination looks its records up here.
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

#: in an in-memory database attached for pushes, which (unlike a temp table) the ledger writer's own
#: connection sees too
SCRATCH = "erpload_push_scratch"
OUTBOX = f"{SCRATCH}.outbox"
_COLUMNS = "seq, batch_no, _key, _hash, payload"


class OutboxBatch(NamedTuple):
    entity: str
    batch_id: str
    records: int  # records the batch was cut with


class OutboxStream:
    """The outbox read forward once, in push order, as Arrow batches on its own cursor.

    dlt asks for ascending, consecutive sequence numbers call after call, so one scan serves every call,
    and the rows stay columnar until the sender needs them: the load thread's time under the GIL is time
    the send thread waits for it (per-row tuples cost ~5 ms of it per batch of 1,000). Numbers behind the
    scan (dlt delivering again) are looked up with a query.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, chunk: int) -> None:
        self._cursor = con.cursor()
        self.batches = {int(no): OutboxBatch(str(entity), str(batch_id), int(n)) for no, entity, batch_id, n in
                        self._cursor.execute(f"SELECT batch_no, any_value(entity), any_value(batch_id), count(*) "
                                             f"FROM {OUTBOX} GROUP BY batch_no").fetchall()}
        self._scan = self._cursor.cursor()
        # no ORDER BY: the outbox was written in seq order, and DuckDB keeps insertion order for a plain scan
        # (preserve_insertion_order, on by default); sorting the payloads took ~0.05 s before the first
        # request. `_read_through` checks the order as it reads.
        self._reader = self._scan.execute(f"SELECT {_COLUMNS} FROM {OUTBOX}").to_arrow_reader(chunk)
        self._ahead: list[pa.RecordBatch] = []  # read from the scan and not taken yet, from seq `_next_seq` on
        self._ahead_rows = 0
        self._next_seq = 1

    def take(self, seqs: list[int]) -> pa.Table:
        """Outbox records `seqs` (ascending), in that order: columns seq, batch_no, _key, _hash, payload."""
        if not seqs:
            return self._reader.schema.empty_table()
        first, last = seqs[0], seqs[-1]
        if first < self._next_seq:
            rows = self._cursor.execute(f"SELECT {_COLUMNS} FROM {OUTBOX} WHERE seq BETWEEN {int(first)} "
                                        f"AND {int(last)} ORDER BY seq").to_arrow_table()
        else:
            rows = self._read_through(first, last)
        if rows.num_rows != len(seqs) or len(seqs) != last - first + 1:  # dlt left numbers out
            rows = rows.filter(pc.is_in(rows["seq"], value_set=pa.array(seqs, pa.int64())))
        return rows

    def _read_through(self, first: int, last: int) -> pa.Table:
        """Rows `first`..`last` from the scan (seq is dense: row i of what is ahead has seq `_next_seq` + i)."""
        while self._next_seq + self._ahead_rows <= last:
            try:
                batch = self._reader.read_next_batch()
            except StopIteration:
                break
            expected = self._next_seq + self._ahead_rows
            if batch.num_rows and batch.column(0)[0].as_py() != expected:
                raise RuntimeError(f"the outbox scan is out of order: seq {batch.column(0)[0]} where {expected} "
                                   "belongs (DuckDB's preserve_insertion_order is off?)")
            self._ahead.append(batch)
            self._ahead_rows += batch.num_rows
        ahead = pa.Table.from_batches(self._ahead, schema=self._reader.schema)
        start = min(first - self._next_seq, ahead.num_rows)
        end = min(last - self._next_seq + 1, ahead.num_rows)
        rest = ahead.slice(end)
        self._ahead, self._ahead_rows, self._next_seq = rest.to_batches(), rest.num_rows, last + 1
        return ahead.slice(start, end - start)

    def close(self) -> None:
        self._reader.close()
        self._scan.close()
        self._cursor.close()
