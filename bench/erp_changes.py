"""Bulk changes to a demo ERP (SQLite) for the benchmarks: new documents, changed ones, cancelled ones.

Each touches a share of the documents chosen by id (`id % every == slot`), in a few SQL statements, and
moves `updated_at` to now so that the next extract sees exactly those rows.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

_INVOICES = (("sales_invoice", "sales_invoice_line", "invoice_no"),
             ("purchase_invoice", "purchase_invoice_line", "internal_no"))


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in con.execute(f"PRAGMA table_info({table})")]


def add_documents(erp: Path, every: int, slot: int = 0) -> int:
    """Copy every `every`-th invoice (with its lines) under a new number; returns the documents added."""
    added = 0
    with sqlite3.connect(erp) as con:
        now = _now()
        for head, lines, number in _INVOICES:
            offset = int(con.execute(f"SELECT max(invoice_id) FROM {head}").fetchone()[0])
            line_offset = int(con.execute(f"SELECT max(line_id) FROM {lines}").fetchone()[0])
            cols = _columns(con, head)
            values = [{"invoice_id": f"invoice_id + {offset}", number: f"{number} || 'N'",
                       "vendor_invoice_no": "vendor_invoice_no || 'N'", "updated_at": f"'{now}'"}.get(c, c)
                      for c in cols]
            added += con.execute(f"INSERT INTO {head} ({', '.join(cols)}) SELECT {', '.join(values)} FROM {head} "
                                 f"WHERE invoice_id % {every} = {slot} AND status = 'posted'").rowcount
            line_cols = _columns(con, lines)
            line_values = [{"line_id": f"l.line_id + {line_offset}", "invoice_id": f"l.invoice_id + {offset}",
                            "updated_at": f"'{now}'"}.get(c, f"l.{c}") for c in line_cols]
            con.execute(f"INSERT INTO {lines} ({', '.join(line_cols)}) SELECT {', '.join(line_values)} "
                        f"FROM {lines} l JOIN {head} h ON h.invoice_id = l.invoice_id "
                        f"WHERE h.invoice_id % {every} = {slot} AND h.invoice_id <= {offset} AND h.status = 'posted'")
        con.commit()
    return added


def change_documents(erp: Path, every: int, slot: int) -> int:
    """Double the first line of every `every`-th posted invoice (amount and tax, totals to match)."""
    changed = 0
    with sqlite3.connect(erp) as con:
        now = _now()
        for head, lines, _ in _INVOICES:
            chosen = (f"SELECT line_id FROM {lines} l WHERE l.invoice_id % {every} = {slot} AND l.line_no = "
                      f"(SELECT min(line_no) FROM {lines} WHERE invoice_id = l.invoice_id) AND l.invoice_id IN "
                      f"(SELECT invoice_id FROM {head} WHERE status = 'posted')")
            con.execute(f"CREATE TEMP TABLE _chosen AS SELECT line_id, invoice_id, net_amount, tax_amount "
                        f"FROM {lines} WHERE line_id IN ({chosen})")
            con.execute(f"UPDATE {lines} SET quantity = quantity * 2, net_amount = net_amount * 2, "
                        f"tax_amount = tax_amount * 2, updated_at = '{now}' "
                        "WHERE line_id IN (SELECT line_id FROM _chosen)")
            changed += con.execute(
                f"UPDATE {head} SET total_net = round(total_net + c.net_amount, 2), "
                f"total_tax = round(total_tax + c.tax_amount, 2), "
                f"total_gross = round(total_gross + c.net_amount + c.tax_amount, 2), updated_at = '{now}' "
                f"FROM _chosen c WHERE {head}.invoice_id = c.invoice_id").rowcount
            con.execute("DROP TABLE _chosen")
        con.commit()
    return changed


def cancel_documents(erp: Path, every: int, slot: int, days_later: int = 40) -> int:
    """Cancel every `every`-th posted invoice and journal entry, `days_later` after its date."""
    cancelled = 0
    with sqlite3.connect(erp) as con:
        now = _now()
        for head, day in (("sales_invoice", "invoice_date"), ("purchase_invoice", "invoice_date"),
                          ("journal_entry", "posting_date")):
            id_column = "entry_id" if head == "journal_entry" else "invoice_id"
            cancelled += con.execute(
                f"UPDATE {head} SET status = 'cancelled', cancelled_on = date({day}, '+{days_later} days'), "
                f"updated_at = '{now}' WHERE {id_column} % {every} = {slot} AND status = 'posted'").rowcount
        con.commit()
    return cancelled
