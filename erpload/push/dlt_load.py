"""The dlt side of a push: the records to send flow through a `@dlt.destination` in vendor-sized batches."""

from __future__ import annotations

import gc
import importlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import dlt
import duckdb
from dlt.common.destination.exceptions import DestinationTerminalException
from dlt.pipeline.exceptions import PipelineStepFailed

from erpload import interrupts
from erpload.interrupts import Interrupted
from erpload.load_packages import keep_no_copies, sweep_loaded
from erpload.progress import Progress
from erpload.push.http import unwrap_vendor_error

PIPELINE_PREFIX = "erpload_push_"


class Delivery(Protocol):
    """What a push hands to dlt's load (erpload.push.pusher.Pusher): its records, and a call per dlt batch."""

    sender: Any
    progress: Any

    def outgoing(self) -> Iterator[Any]: ...

    def deliver(self, items: Any) -> None: ...

    def finish_delivery(self, *, raise_error: bool = True) -> None: ...

    def check_delivered(self) -> None: ...


def deliver_all(pusher: Delivery, pipelines_dir: Path, planned: dict[str, tuple[int, int]], *,
                show_progress: bool = True) -> None:
    """One dlt load of the whole outbox: one resource in the sender's entity order, so referenced records
    (companies, vendors) go first; a dlt batch that spans two entities becomes two vendor batches."""
    sender = pusher.sender
    totals = {e: to_send for e, (_, to_send) in planned.items() if to_send}

    with Progress(f"push {sender.target}", totals, enabled=show_progress) as progress:
        pusher.progress = progress.advance

        @dlt.destination(name=sender.target, batch_size=sender.batch_size, loader_file_format="parquet",
                         max_parallel_load_jobs=1)
        def vendor(items: Any, table: Any) -> None:
            try:
                pusher.deliver(items)
            except Interrupted as exc:  # a signal: this job ends here, the push reports it (see erpload.interrupts)
                raise DestinationTerminalException(str(exc)) from exc
            except Exception as exc:
                # dlt would retry a plain exception 5 times in-run; the sender's policy already retried
                raise DestinationTerminalException(str(exc)) from exc

        # the load files live for one push: compressing them only costs time (~0.8 s per 40k records)
        for step in ("extract", "normalize"):
            dlt.config[f"{step}.data_writer.disable_compression"] = True
        name = PIPELINE_PREFIX + sender.target
        # the ledger, not dlt's state, says what was sent; and a state table in the package makes dlt's loader
        # (one job at a time) sleep its full 1 s poll interval before it starts the outbox job
        dlt.config[f"pipelines.{name}.restore_from_destination"] = False
        keep_no_copies()  # the outbox's load files go once delivered
        pipeline = dlt.pipeline(pipeline_name=name, pipelines_dir=str(pipelines_dir),
                                destination=vendor())
        # a package a failed push left behind holds stale payloads: the ledger knows what still has to go
        _abort_pending(pipeline)
        resource = dlt.resource(pusher.outgoing(), name="outbox", write_disposition="append")
        try:
            with interrupts.deferred(), _dlt_quiet(), _gc_frozen():  # dlt's load stops when the job in hand does
                pipeline.run(resource)
            pusher.finish_delivery()
            pusher.check_delivered()
        except Interrupted:
            # dlt's load thread may outlive a second signal; what it would log is said once, by erpload
            logging.getLogger("dlt").setLevel(logging.CRITICAL)
            pusher.finish_delivery(raise_error=False)  # the batch with the vendor: its outcome goes to the ledger
            _abort_pending(pipeline)
            raise
        except PipelineStepFailed as exc:
            pusher.finish_delivery(raise_error=False)
            _abort_pending(pipeline)
            cause = unwrap_vendor_error(exc)
            if cause is not None:
                raise cause from None
            raise
        finally:
            # an aborted package keeps its files as failed jobs: the ledger, not dlt, says what is left to send
            sweep_loaded(Path(pipeline.working_dir))


def warm_up() -> threading.Thread:
    """Import what dlt's extract and load of the outbox pull in (pyarrow's parquet and compute: ~0.4 s) on a
    thread, while DuckDB builds the outbox on the main one. Join it before `deliver_all`, so dlt never peeks
    at a module still being imported. (A push needs no pandas: importing it here cost ~0.4 s of the CPU
    that DuckDB was using for the outbox.)"""
    def load() -> None:
        for module in ("pyarrow.parquet", "pyarrow.compute"):
            importlib.import_module(module)

    thread = threading.Thread(target=load, name="erpload-warm-up", daemon=True)
    thread.start()
    return thread


@contextmanager
def _dlt_quiet() -> Iterator[None]:
    """dlt logs a failed load job with its traceback; erpload reports the vendor's error itself, once."""
    logger = logging.getLogger("dlt")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def one_duckdb_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's work from here on (the ledger's writes: small inserts, each committed before the sender goes
    on) gets one thread and leaves the CPU to dlt's start, the send workers and the vendor on loopback.

    Enter before the first ledger write is queued: `SET threads` waits for the statements running on
    other cursors, and the outbox's queueing takes ~0.2 s.
    """
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        if threads:
            con.execute(f"SET threads = {int(threads[0])}")


@contextmanager
def _gc_frozen() -> Iterator[None]:
    """The objects alive now (dlt and the rest: ~100k) are frozen out of the garbage collector, which would
    scan them again and again while the records pass, holding the GIL the send thread needs.
    Traced on 200k records (two pushes each, with `one_duckdb_thread`): CPU while sending 3.2-3.5 s →
    2.5-3.0 s; in the collector 0.30-0.40 s → 0.12-0.14 s.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _abort_pending(pipeline: dlt.Pipeline) -> None:
    if pipeline.has_pending_data:
        pipeline.abort_packages()
