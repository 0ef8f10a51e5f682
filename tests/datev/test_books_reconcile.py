"""The books stay right whatever the ERP does: random lifecycles through the real pipeline, then reconcile.

A hypothesis state machine changes a small demo ERP (SQLite) the way bookkeepers do: new invoices,
drafts posted later, amounts and accounts changed after the export, cancellations (on the day, or in a
later month), amendments (cancel + a replacement `<no>-1`), credit notes, cancelled journal entries.
Between the changes it runs extract, map, transform datev and export datev, and after every export
`erpload datev reconcile` must find the files equal to the ERP's posted ledger to the cent, and every
new file must pass `erpload datev check`. In report mode nothing is corrected, and no record is ever
booked twice without a reversal in between.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from erpload.sources.demo_erp import create_demo_erp
from erpload.transforms.datev.check import check_file
from erpload.transforms.datev.reconcile import run_reconcile
from tests.utils import Workspace

OUT = "out/datev"
_KINDS = {"sales": ("sales_invoice", "sales_invoice_line", "invoice_no", "revenue_account_no"),
          "purchase": ("purchase_invoice", "purchase_invoice_line", "internal_no", "expense_account_no")}


@pytest.fixture(scope="module")
def small_erp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("erp") / "small_erp.sqlite"
    create_demo_erp(path, seed=11, scale=0.02)
    return path


class _Clock:
    """ERP change times: strictly increasing and never in the future (a future cursor freezes a table)."""

    def __init__(self) -> None:
        self.last = datetime.now() - timedelta(hours=1)

    def tick(self) -> str:
        self.last += timedelta(seconds=1)
        return self.last.strftime("%Y-%m-%d %H:%M:%S.%f")


class Bookkeeping(RuleBasedStateMachine):
    """One project: the ERP copy, the staging file and the files, reset for every example."""

    ws: Workspace
    template: Path
    mode: str

    def __init__(self) -> None:
        super().__init__()
        self.clock = _Clock()
        self.seq = 0
        self.exports = 0
        self.dirty = False  # the ERP changed since the last export

    @initialize()
    def fresh_project(self) -> None:
        for stale in (self.ws.staging, self.ws.root / ".erpload", self.ws.root / "out"):
            if stale.is_dir():
                shutil.rmtree(stale)
            elif stale.exists():
                stale.unlink()
        shutil.copyfile(self.template, self.ws.erp_path)
        self.export()

    # --- the ERP ---------------------------------------------------------------------------------------

    def _sql(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        self.dirty = self.dirty or sql.lstrip().startswith("update")
        with sqlite3.connect(self.ws.erp_path) as con:
            rows = con.execute(sql, params).fetchall()
            con.commit()
        return rows

    def _invoices(self, kind: str, status: str = "posted") -> list[int]:
        head = _KINDS[kind][0]
        # companies with DATEV numbers only: the others never reach a file
        return [int(r[0]) for r in self._sql(
            f"select invoice_id from {head} i join company c using (company_id) "
            "where i.status = ? and c.datev_client_no is not null order by invoice_id", (status,))]

    def _copy(self, kind: str, invoice_id: int, *, status: str, number: str | None = None,
              credit_note: bool = False, amends: str | None = None) -> int:
        head, lines, number_col, _ = _KINDS[kind]
        with sqlite3.connect(self.ws.erp_path) as con:
            con.row_factory = sqlite3.Row
            row = dict(con.execute(f"select * from {head} where invoice_id = ?", (invoice_id,)).fetchone())
            new_id = con.execute(f"select max(invoice_id) + 1 from {head}").fetchone()[0]
            self.seq += 1
            row.update(invoice_id=new_id, status=status, cancelled_on=None, amended_from=amends,
                       updated_at=self.clock.tick())
            # new numbers hold a '/' as many ERPs' do (a key separator must not split them)
            row[number_col] = number or f"{row[number_col]}/{self.seq}"
            if kind == "purchase":
                row["vendor_invoice_no"] = number or f"{row['vendor_invoice_no']}/{self.seq}"
            if credit_note:
                ledger = "sales" if kind == "sales" else "purchase"
                found = con.execute("select document_type_id from document_type where company_id = ? and ledger = ? "
                                    "and is_credit_note = 1", (row["company_id"], ledger)).fetchone()
                if found:
                    row["document_type_id"] = found[0]
            con.execute(f"insert into {head} ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                        list(row.values()))
            next_line = con.execute(f"select max(line_id) + 1 from {lines}").fetchone()[0]
            for n, line in enumerate(con.execute(f"select * from {lines} where invoice_id = ?", (invoice_id,))
                                     .fetchall()):
                values = dict(line)
                values.update(line_id=next_line + n, invoice_id=new_id, updated_at=self.clock.tick())
                con.execute(f"insert into {lines} ({', '.join(values)}) values ({', '.join('?' * len(values))})",
                            list(values.values()))
            con.commit()
        self.dirty = True
        return int(new_id)

    def _scale_first_line(self, kind: str, invoice_id: int, factor: int) -> None:
        head, lines, _, _ = _KINDS[kind]
        now = self.clock.tick()
        line = self._sql(f"select line_id, net_amount, tax_amount from {lines} where invoice_id = ? "
                         "order by line_no limit 1", (invoice_id,))
        if not line:
            return
        line_id, net, tax = line[0]
        d_net, d_tax = round(float(net) * (factor - 1), 2), round(float(tax) * (factor - 1), 2)  # type: ignore[arg-type]
        self._sql(f"update {lines} set quantity = quantity * ?, net_amount = round(net_amount + ?, 2), "
                  "tax_amount = round(tax_amount + ?, 2), updated_at = ? where line_id = ?",
                  (factor, d_net, d_tax, now, line_id))
        self._sql(f"update {head} set total_net = round(total_net + ?, 2), total_tax = round(total_tax + ?, 2), "
                  "total_gross = round(total_gross + ?, 2), updated_at = ? where invoice_id = ?",
                  (d_net, d_tax, round(d_net + d_tax, 2), now, invoice_id))

    # --- rules: what bookkeepers do ---------------------------------------------------------------------

    @rule(kind=st.sampled_from(sorted(_KINDS)), pick=st.integers(0, 10_000), draft=st.booleans())
    def create(self, kind: str, pick: int, draft: bool) -> None:
        invoices = self._invoices(kind)
        self._copy(kind, invoices[pick % len(invoices)], status="draft" if draft else "posted")

    @rule(kind=st.sampled_from(sorted(_KINDS)), pick=st.integers(0, 10_000))
    def post_draft(self, kind: str, pick: int) -> None:
        drafts = self._invoices(kind, "draft")
        if drafts:
            self._sql(f"update {_KINDS[kind][0]} set status = 'posted', updated_at = ? where invoice_id = ?",
                      (self.clock.tick(), drafts[pick % len(drafts)]))

    @rule(kind=st.sampled_from(sorted(_KINDS)), pick=st.integers(0, 10_000), factor=st.sampled_from([2, 3]))
    def change_amount(self, kind: str, pick: int, factor: int) -> None:
        invoices = self._invoices(kind)
        self._scale_first_line(kind, invoices[pick % len(invoices)], factor)

    @rule(kind=st.sampled_from(sorted(_KINDS)), pick=st.integers(0, 10_000))
    def change_account(self, kind: str, pick: int) -> None:
        head, lines, _, account = _KINDS[kind]
        invoices = self._invoices(kind)
        invoice_id = invoices[pick % len(invoices)]
        # another account the company books such lines to, with the same tax code
        other = self._sql(f"""select l2.{account} from {lines} l1 join {head} h1 on h1.invoice_id = l1.invoice_id
                              join {head} h2 on h2.company_id = h1.company_id
                              join {lines} l2 on l2.invoice_id = h2.invoice_id
                              where l1.invoice_id = ? and l1.line_no = (select min(line_no) from {lines}
                                                                        where invoice_id = ?)
                                and l2.tax_code_id is l1.tax_code_id and l2.{account} <> l1.{account}
                              order by l2.{account} limit 1""", (invoice_id, invoice_id))
        if other:
            self._sql(f"update {lines} set {account} = ?, updated_at = ? where invoice_id = ? and line_no = "
                      f"(select min(line_no) from {lines} where invoice_id = ?)",
                      (other[0][0], self.clock.tick(), invoice_id, invoice_id))

    @rule(kind=st.sampled_from(sorted(_KINDS)), pick=st.integers(0, 10_000), days_later=st.sampled_from([0, 3, 45]),
          dated=st.booleans())
    def cancel(self, kind: str, pick: int, days_later: int, dated: bool) -> None:
        head = _KINDS[kind][0]
        invoices = self._invoices(kind)
        invoice_id = invoices[pick % len(invoices)]
        day = self._sql(f"select invoice_date from {head} where invoice_id = ?", (invoice_id,))[0][0]
        cancelled_on = date.fromisoformat(str(day)) + timedelta(days=days_later) if dated else None
        self._sql(f"update {head} set status = 'cancelled', cancelled_on = ?, updated_at = ? where invoice_id = ?",
                  (cancelled_on and cancelled_on.isoformat(), self.clock.tick(), invoice_id))

    @rule(kind=st.sampled_from(sorted(_KINDS)), pick=st.integers(0, 10_000))
    def amend(self, kind: str, pick: int) -> None:
        head, _, number_col, _ = _KINDS[kind]
        invoices = self._invoices(kind)
        invoice_id = invoices[pick % len(invoices)]
        number, day = self._sql(f"select {number_col}, invoice_date from {head} where invoice_id = ?",
                                (invoice_id,))[0]
        self._sql(f"update {head} set status = 'cancelled', cancelled_on = ?, updated_at = ? where invoice_id = ?",
                  (str(day), self.clock.tick(), invoice_id))
        self.seq += 1
        replacement = self._copy(kind, invoice_id, status="posted", number=f"{number}-{self.seq}", amends=str(number))
        self._scale_first_line(kind, replacement, 2)

    @rule(kind=st.sampled_from(sorted(_KINDS)), pick=st.integers(0, 10_000))
    def credit_note(self, kind: str, pick: int) -> None:
        invoices = self._invoices(kind)
        self._copy(kind, invoices[pick % len(invoices)], status="posted", credit_note=True)

    @rule(pick=st.integers(0, 10_000), days_later=st.sampled_from([0, 40]))
    def cancel_journal_entry(self, pick: int, days_later: int) -> None:
        entries = [int(r[0]) for r in self._sql("select entry_id from journal_entry e join company c using "
                                                "(company_id) where e.status = 'posted' and c.datev_client_no "
                                                "is not null order by entry_id")]
        if entries:
            entry_id = entries[pick % len(entries)]
            day = self._sql("select posting_date from journal_entry where entry_id = ?", (entry_id,))[0][0]
            cancelled_on = date.fromisoformat(str(day)) + timedelta(days=days_later)
            self._sql("update journal_entry set status = 'cancelled', cancelled_on = ?, updated_at = ? "
                      "where entry_id = ?", (cancelled_on.isoformat(), self.clock.tick(), entry_id))

    @precondition(lambda self: self.dirty)
    @rule()
    def export(self) -> None:
        before = set((self.ws.root / OUT).glob("*.csv")) if (self.ws.root / OUT).exists() else set()
        for args in (("extract",), ("map",), ("transform", "datev"), ("export", "datev", "--out", OUT)):
            result = self.ws.cli(*args)
            assert result.finished, (args, result.output)
        self.exports += 1
        self.dirty = False
        for path in sorted(set((self.ws.root / OUT).glob("*.csv")) - before):
            report = check_file(path)
            assert not report.errors, (path.name, [f.message for f in report.errors[:5]])
        result = self.ws.cli("datev", "reconcile")
        if self.mode == "reverse":
            assert result.finished, result.output
            return
        # report mode corrects nothing: what differs is exactly what was reported
        with duckdb.connect(str(self.ws.staging), read_only=True) as con:
            differing = {doc.rsplit(" (", 1)[0] for d in run_reconcile(con).differences for doc in d.documents}
        reported = {str(r[0]) for r in self.ws.query(
            """select coalesce(s.invoice_no, p.vendor_invoice_no, j.entry_no)
               from datev_corrections c
               left join erp.sales_invoices s on c.record_key like 'sales_invoice/%'
                    and s.company_code = c.company_code and s.invoice_no = split_part(c.record_key, '/', 2)
               left join erp.purchase_invoices p on c.record_key like 'purchase_invoice/%'
                    and p.company_code = c.company_code and p.invoice_no = split_part(c.record_key, '/', 2)
               left join erp.journal_entries j on c.record_key like 'journal_entry/%'
                    and j.company_code = c.company_code and j.entry_no = split_part(c.record_key, '/', 2)
               where c.action = 'reported'""")}
        assert differing <= reported, (differing - reported, result.output)
        assert (result.finished) == (not differing)

    def teardown(self) -> None:
        if self.dirty:  # every sequence ends exported and reconciled
            self.export()

    # --- invariants ------------------------------------------------------------------------------------

    @invariant()
    def never_booked_twice(self) -> None:
        if not self.ws.staging.exists() or not self.exports:
            return
        # every version booked is reversed before the next one: DATEV holds at most one of each record
        doubled = self.ws.query("""select company_code, record_key, sum(case action when 'booked' then 1 else -1 end)
                                   from datev_exported where category = 21 group by all
                                   having sum(case action when 'booked' then 1 else -1 end) not in (0, 1)""")
        assert not doubled, doubled


@pytest.mark.parametrize(("mode", "examples"), [
    ("reverse", 2), ("report", 1),
    # the soak: the same machine, longer (about 10 s an example); `pytest -m slow`
    pytest.param("reverse", 10, marks=pytest.mark.slow), pytest.param("report", 5, marks=pytest.mark.slow),
])
def test_random_erp_changes_keep_the_books_reconciled(workspace: Workspace, small_erp: Path, mode: str, examples: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPLOAD__DATEV__CORRECTIONS", mode)
    Bookkeeping.ws, Bookkeeping.template, Bookkeeping.mode = workspace, small_erp, mode
    run_state_machine_as_test(Bookkeeping, settings=settings(
        max_examples=examples, stateful_step_count=12, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
