"""The ledger's states, read through the `ledger` view, on a real DuckDB file."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from erpload.errors import ConfigError, StagingError
from erpload.push.ledger import BatchEvent, Ledger, ensure_ledger
from erpload.push.ledger_writer import LedgerWriter

SCOPES = {"vendors": "s1"}


def _states(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, bool, int]]:
    rows = con.execute("SELECT record_key, state, retry, attempts FROM ledger ORDER BY 1").fetchall()
    return {str(k): (str(s), bool(r), int(a)) for k, s, r, a in rows}


def test_a_record_moves_through_its_states_and_the_newest_attempt_wins(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    ensure_ledger(con)
    con.execute("CREATE TEMP TABLE outbox AS SELECT 's1' AS scope, * FROM (VALUES ('vendors', 'a', 'h1', 'b1'), "
                "('vendors', 'b', 'h1', 'b1'), ('vendors', 'c', 'h1', 'b2')) v(entity, _key, _hash, batch_id)")
    first = Ledger(con, "dvelop", "run1", SCOPES)
    first.queue("outbox")
    assert {k: s for k, (s, _, _) in _states(con).items()} == {"a": "pending", "b": "pending", "c": "pending"}
    first.sent("b1", "vendors", "job-1")
    first.refused("b1", "vendors", [("b", "h1")], "refused: country")
    first.acknowledged("b1", "vendors", "job successful")
    first.failed("b2", "vendors", "job failed")
    assert _states(con) == {"a": ("acknowledged", True, 1), "b": ("failed", False, 1), "c": ("failed", True, 1)}
    assert [u.batch_id for u in first.unresolved()] == []

    # a later run sends c again: its newest attempt decides
    second = Ledger(con, "dvelop", "run2", SCOPES)
    second.queue_batch("vendors", [("c", "h1")], "b3")
    second.sent("b3", "vendors", "job-3")
    assert _states(con)["c"] == ("sent", True, 2)
    assert [(u.batch_id, u.vendor_ref) for u in second.unresolved()] == [("b3", "job-3")]
    # what is settled is not sent again (c: its job is still running); what failed and may be retried is
    pending = second.not_settled_sql("vendors", "SELECT * FROM (VALUES ('a', 'h1'), ('b', 'h1'), ('b', 'h2'), "
                                                "('c', 'h1')) r(_key, _hash)")
    assert sorted(con.execute(f"SELECT _key, _hash FROM ({pending})").fetchall()) == [("b", "h2")]
    second.failed("b3", "vendors", "job failed")
    assert sorted(con.execute(f"SELECT _key, _hash FROM ({pending})").fetchall()) == [("b", "h2"), ("c", "h1")]


def test_the_writer_applies_in_order_and_reports_a_failed_write(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    ensure_ledger(con)
    writer = LedgerWriter(Ledger(con.cursor(), "dvelop", "run1", SCOPES))
    writer.submit(lambda ledger: ledger.queue_batch("vendors", [("a", "h")], "b1"))
    writer.submit(lambda ledger: ledger.sent("b1", "vendors", "job"))
    writer.submit(lambda ledger: ledger.acknowledged("b1", "vendors", "ok"))
    writer.close()
    assert _states(con) == {"a": ("acknowledged", True, 1)}

    failing = LedgerWriter(Ledger(con.cursor(), "dvelop", "run2", SCOPES))
    failing.submit(lambda ledger: ledger.execute("INSERT INTO no_such_table VALUES (1)"))
    with pytest.raises(StagingError, match=r"writing erpload\.ledger failed"):
        failing.close()


def _busy_writer(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, LedgerWriter, threading.Event]:
    """A writer held inside its first transaction (record a queued in batch b1) until the event is set."""
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    ensure_ledger(con)
    writer = LedgerWriter(Ledger(con.cursor(), "dvelop", "run1", SCOPES))
    started, release = threading.Event(), threading.Event()

    def queue_then_wait(ledger: Ledger) -> None:
        started.set()
        ledger.queue_batch("vendors", [("a", "h")], "b1")
        release.wait()

    writer.submit(queue_then_wait)
    assert started.wait(10)
    return con, writer, release


def test_writes_that_gather_while_the_writer_is_busy_commit_together_or_not_at_all(tmp_path: Path) -> None:
    con, writer, release = _busy_writer(tmp_path)  # what comes now waits behind its first transaction
    writer.submit(lambda ledger: ledger.sent("b1", "vendors", "job"))
    writer.submit(lambda ledger: ledger.execute("INSERT INTO no_such_table VALUES (1)"))
    release.set()
    with pytest.raises(StagingError):
        writer.close()
    # the first write committed on its own; the two that gathered behind it went in one transaction, which failed
    assert _states(con) == {"a": ("pending", True, 1)}


def test_batch_events_that_gather_are_written_in_the_order_submitted(tmp_path: Path) -> None:
    con, writer, release = _busy_writer(tmp_path)
    # these gather behind the first write: events, a statement between them, and events after it
    writer.submit(BatchEvent.sent("b1", "vendors", "job-1"))
    writer.submit(BatchEvent.acknowledged("b1", "vendors", "job-1 successful"))
    writer.submit(lambda ledger: ledger.queue_batch("vendors", [("b", "h"), ("c", "h")], "b2"))
    writer.submit(BatchEvent.sent("b2", "vendors", "job-2"))
    writer.submit(BatchEvent.failed("b2", "vendors", "job-2 failed"))
    release.set()
    writer.close()
    assert _states(con) == {"a": ("acknowledged", True, 1), "b": ("failed", True, 1), "c": ("failed", True, 1)}
    events = con.execute("SELECT batch_id, state, vendor_ref FROM ledger_batches ORDER BY seq").fetchall()
    assert events == [("b1", "sent", "job-1"), ("b1", "acknowledged", None), ("b2", "sent", "job-2"),
                      ("b2", "failed", None)]


def test_create_only_settles_a_key_whatever_its_hash_and_a_crash_while_sending_reads_unknown(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    ensure_ledger(con)
    ledger = Ledger(con, "maesn", "run1", SCOPES, create_only=True)
    ledger.queue_batch("vendors", [("a", "h1")], "b1")
    ledger.record([BatchEvent.sending("b1", "vendors")])  # and then the process died
    ledger.queue_batch("vendors", [("b", "h1")], "b2")
    ledger.record([BatchEvent.sending("b2", "vendors"), BatchEvent.sent("b2", "vendors", "task-2"),
                   BatchEvent.acknowledged("b2", "vendors", "SUCCESS")])
    ledger.queue_batch("vendors", [("c", "h1")], "b3")  # queued, never sent
    states = con.execute("SELECT record_key, state, response FROM ledger ORDER BY 1").fetchall()
    assert [(k, s) for k, s, _ in states] == [("a", "unknown"), ("b", "acknowledged"), ("c", "pending")]
    assert "may or may not have arrived" in str(states[0][2])
    records = "SELECT * FROM (VALUES ('a', 'h2'), ('b', 'h2'), ('c', 'h1')) r(_key, _hash)"
    # a and b are held or at the vendor whatever their hash; c was never sent
    assert con.execute(f"SELECT _key FROM ({ledger.not_settled_sql('vendors', records)})").fetchall() == [("c",)]
    assert ledger.waiting() == 1
    # another destination starts with nothing settled
    elsewhere = Ledger(con, "maesn", "run2", {"vendors": "s2"}, create_only=True)
    assert sorted(con.execute(f"SELECT _key FROM ({elsewhere.not_settled_sql('vendors', records)})").fetchall()) \
        == [("a",), ("b",), ("c",)]


def test_a_decision_holds_until_the_next_event_of_the_record(tmp_path: Path) -> None:
    from erpload.push.decisions import resolve

    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    ensure_ledger(con)
    ledger = Ledger(con, "maesn", "run1", SCOPES, create_only=True)
    ledger.queue_batch("vendors", [("a", "h1")], "b1")
    ledger.record([BatchEvent.sending("b1", "vendors"), BatchEvent.unknown("b1", "vendors", "connection dropped")])
    decided = resolve(con, "maesn", "a", sent=False, by="tester@host")
    assert (decided.entity, decided.scope, decided.records) == ("vendors", "s1", 1)
    assert con.execute("SELECT state, response FROM ledger").fetchall() == [
        ("pending", "decided by tester@host: maesn does not have it, the next push sends it "
                    "(erpload ledger resolve --not-sent)")]
    with pytest.raises(ConfigError, match="no record 'a' of maesn waits for a decision"):
        resolve(con, "maesn", "a", sent=True)
    # the next push sends it again: its new attempt decides
    ledger.queue_batch("vendors", [("a", "h1")], "b2")
    ledger.record([BatchEvent.sending("b2", "vendors"), BatchEvent.sent("b2", "vendors", "task-9")])
    assert con.execute("SELECT state, vendor_ref, attempts FROM ledger").fetchall() == [("sent", "task-9", 2)]


def test_a_batch_whose_records_were_decided_is_not_asked_about_again(tmp_path: Path) -> None:
    from erpload.push.decisions import resolve

    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    ensure_ledger(con)
    ledger = Ledger(con, "dvelop", "run1", SCOPES)
    ledger.queue_batch("vendors", [("a", "h1")], "b1")
    ledger.sent("b1", "vendors", "job-1")  # the job never finishes
    assert [u.vendor_ref for u in ledger.unresolved()] == ["job-1"]
    resolve(con, "dvelop", "a", sent=True, by="tester@host")
    assert ledger.unresolved() == []
    assert con.execute("SELECT state FROM ledger").fetchall() == [("acknowledged",)]
