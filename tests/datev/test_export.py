"""DATEV transform and export on the demo ERP: real SQLite, real DuckDB, real files read back."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from erpload.transforms.datev.reader import read_extf
from erpload.transforms.datev.spec import BOOKINGS
from tests.utils import Prepared, Workspace

OUT = "out/datev"


BUILD = (("extract",), ("map",), ("transform", "datev"))


def _build(ws: Workspace) -> None:
    for args in BUILD:
        result = ws.cli(*args)
        assert result.finished, result.output


def _export(ws: Workspace, *extra: str) -> str:
    result = ws.cli("export", "datev", "--out", OUT, *extra)
    assert result.finished, result.output
    return result.output


def _files(ws: Workspace, pattern: str = "EXTF_*.csv") -> list[Path]:
    return sorted((ws.root / OUT).glob(pattern))


def _exported_docs(ws: Workspace) -> int:
    return int(str(ws.scalar("select count(*) from datev_exported where category = 21")))


@pytest.fixture
def built(workspace: Workspace, prepared: Prepared) -> Workspace:
    return prepared.into(workspace, *BUILD)


def test_records_in_equal_records_out_plus_rejected(built: Workspace) -> None:
    ws = built
    # in the books: posted documents, and posted ones cancelled later (booked, then reversed on cancelled_on);
    # a document of 0,00 lines only has nothing to book: it is counted in a note, not as a record
    booked = "(s.status = 'posted' or (s.status = 'cancelled' and s.cancelled_on is not null))"
    documents_in = ws.scalar(f"""
        select (select count(*) from erp.sales_invoices s join erp.companies c using (company_code)
                where {booked} and c.datev_client_no is not null and exists (
                    select 1 from erp.sales_invoice_lines l where l.company_code = s.company_code
                    and l.invoice_no = s.invoice_no and l.net_amount + l.tax_amount <> 0))
             + (select count(*) from erp.purchase_invoices s join erp.companies c using (company_code)
                where {booked} and c.datev_client_no is not null and exists (
                    select 1 from erp.purchase_invoice_lines l where l.company_code = s.company_code
                    and l.invoice_no = s.invoice_no and l.net_amount + l.tax_amount <> 0))
             + (select count(*) from erp.journal_entries s join erp.companies c using (company_code)
                where {booked} and c.datev_client_no is not null and exists (
                    select 1 from erp.journal_lines l where l.company_code = s.company_code
                    and l.entry_no = s.entry_no and l.debit - l.credit <> 0))""")
    results = ws.run_results("transform datev")
    loaded, _, rejected, _ = results["datev.bookings"]
    assert loaded + rejected == documents_in
    assert loaded == ws.scalar("select count(distinct (company_code, document_kind, document_no)) "
                               "from datev.bookings")
    rejected_docs = ws.scalar("""select count(distinct split_part(record_key, '/', 1) || split_part(record_key, '/', 2)
                                 || split_part(record_key, '/', 3)) from rejects
                                 where target = 'datev' and entity = 'bookings'""")
    assert rejected == rejected_docs
    # a rejected document has no row left: never half a document
    assert ws.scalar("""select count(*) from datev.bookings b join rejects r
                        on r.target = 'datev' and r.entity = 'bookings'
                        and r.record_key like b.company_code || '/' || b.document_kind || '/' || b.document_no || '/%'
                        """) == 0
    partners_loaded, _, partners_rejected, _ = results["datev.partners"]
    assert partners_loaded + partners_rejected == ws.scalar(
        "select (select count(*) from erp.customers where not is_deleted and company_code <> '3000') "
        "+ (select count(*) from erp.vendors where not is_deleted and company_code <> '3000')")


def test_planted_faults_are_rejected_with_reason_and_fix(built: Workspace) -> None:
    ws = built
    reasons = {str(r[0]): (str(r[1]), str(r[2])) for r in ws.query(
        "select field, any_value(reason), any_value(fix) from rejects where target = 'datev' group by field")}
    # each planted fault DATEV cares about shows up, worded for a bookkeeper
    assert "DATEV allows only A-Z a-z 0-9" in reasons["document_number"][0]  # invalid_document_number
    assert "does not balance" in reasons["amount"][0]
    assert "is not a G/L account" in reasons["contra_account_no"][0] or "is not a" in reasons["account_no"][0]
    assert "U+" in reasons["booking_text"][0]  # unmappable_character names the character
    assert "check" in reasons["iban"][0]
    for _, fix in reasons.values():
        assert fix  # every reject says what to fix
    unbalanced = ws.query("select reason from rejects where target = 'datev' and reason like '%does not balance%'")
    assert unbalanced, "the unbalanced journal entries must be rejected"
    # 0,00 lines (zero_amount) are not booked and hold nothing back: counted in the summary, not rejected
    zero = ws.query("select reason from rejects where target = 'datev' and reason like 'Umsatz%above 0%'")
    assert not zero


def test_export_reads_back_exactly_what_staging_holds(built: Workspace) -> None:
    ws = built
    _export(ws)
    files = _files(ws, "EXTF_Buchungsstapel_*.csv")
    assert files
    manifest = {f["file"]: f for f in json.loads((ws.root / OUT / "manifest.json").read_text())["files"]}
    total_rows = 0
    for path in files:
        data = path.read_bytes()
        assert data.endswith(b"\r\n")
        assert b"\n" not in data.replace(b"\r\n", b"")
        data.decode("cp1252")  # strict: raises on anything else
        extf = read_extf(data)
        company, month = path.stem.split("_")[2:4]
        rows = ws.query("""select amount, debit_credit, account_no, contra_account_no, document_number
                           from datev.bookings where company_code = ? and strftime(period_start, '%Y-%m') = ?
                           order by posting_date, document_kind, document_no, event desc, line_no""",
                        [company, month])
        assert len(extf.rows) == len(rows)
        for line, row in zip(extf.rows, rows, strict=True):
            fields = line.values
            assert len(fields) == len(BOOKINGS.columns)
            assert Decimal(fields[0].replace(",", ".")) == row[0]
            assert fields[1:2] == [row[1]]
            assert (fields[6], fields[7], fields[10]) == (row[2], row[3], row[4])
        entry = manifest[path.name]
        assert entry["rows"] == len(rows)
        import hashlib

        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        total_rows += len(rows)
    assert total_rows == ws.scalar("select count(*) from datev.bookings")
    recorded = ws.query("select file_name, rows, sha256 from exports where category = 21 order by file_name")
    assert [(r[0], r[1], r[2]) for r in recorded] == [
        (p.name, manifest[p.name]["rows"], manifest[p.name]["sha256"]) for p in files]


def test_every_exported_file_passes_the_checker(built: Workspace) -> None:
    from erpload.transforms.datev.check import check_file

    ws = built
    _export(ws)
    files = _files(ws)
    assert {p.name.split("_")[1] for p in files} == {"Buchungsstapel", "Zahlungsbedingungen", "Debitoren",
                                                      "Kontenbeschriftungen"}
    for path in files:
        report = check_file(path)
        assert not report.errors, (path.name, [f.message for f in report.errors[:5]])


def test_each_booking_is_exported_once(built: Workspace) -> None:
    ws = built
    _export(ws)
    first = _files(ws)
    exported = _exported_docs(ws)
    # a record is a document's posting or its cancellation (a posted document cancelled later has both)
    assert exported == ws.scalar("select count(distinct (company_code, document_kind, document_no, event)) "
                                 "from datev.bookings")

    # nothing new in the ERP: nothing written
    output = _export(ws)
    assert "nothing new to export" in output
    assert _files(ws) == first
    assert _exported_docs(ws) == exported

    # one exported invoice changes, a new one arrives in an exported period
    invoice_no, month = _exported_sales_invoice(ws)
    new_no = _copy_sales_invoice(ws, invoice_no)
    ws.erp("update sales_invoice_line set description = 'Korrigierte Position', updated_at = ? "
           "where invoice_id = (select invoice_id from sales_invoice where invoice_no = ?)",
           [_now(), invoice_no])
    _build(ws)
    output = _export(ws)
    added = sorted(set(_files(ws)) - set(first))
    assert [p.name for p in added] == [f"EXTF_Buchungsstapel_1000_{month}_02.csv"]
    lines = read_extf(added[0].read_bytes()).rows
    assert {line.values[10] for line in lines} == {new_no, invoice_no}
    # the changed invoice: what was exported, reversed (Generalumkehr), then the invoice as it is now
    changed = [line.values for line in lines if line.values[10] == invoice_no]
    reversal = [v for v in changed if v[117] == "1"]
    rebooking = [v for v in changed if v[117] == "0"]
    assert len(reversal) == len(rebooking) > 0
    assert {v[13] for v in rebooking} == {"Korrigierte Position"}
    assert "Korrigierte Position" not in {v[13] for v in reversal}
    assert sorted(v[:9] for v in reversal) == sorted(v[:9] for v in rebooking)  # same amounts, accounts, keys
    assert "reversed (Generalumkehr) 1 exported records: 1 changed" in output
    assert ws.query("select record_key, action from datev_corrections") == [
        (f"sales_invoice/{invoice_no}", "reversed and rebooked")]
    assert "nothing new to export" in _export(ws)

    # a replacement for the period holds what DATEV should hold of it: each invoice once, no reversals
    _export(ws, "--reexport", month, "--company", "1000")
    reexported = _files(ws, f"EXTF_Buchungsstapel_1000_{month}_03_reexport.csv")
    assert reexported
    rows = read_extf(reexported[0].read_bytes()).rows
    assert {line.values[117] for line in rows} == {"0"}
    assert sum(line.values[10] == invoice_no for line in rows) == len(rebooking)
    assert {invoice_no, new_no} <= {line.values[10] for line in rows}
    assert ws.query("select file_name from exports where replaced_by is not null and file_name like "
                    f"'%1000_{month}%' order by file_name") == [
        (f"EXTF_Buchungsstapel_1000_{month}_01.csv",), (f"EXTF_Buchungsstapel_1000_{month}_02.csv",)]
    assert ws.scalar("select bool_and(reexport) from exports where file_name like '%_reexport.csv'") is True
    assert "nothing new to export" in _export(ws)


def _add_to_first_line(ws: Workspace, invoice_no: str, amount: int) -> None:
    """The ERP changes an invoice: `amount` more on its first line's net, and on its totals."""
    ws.erp("update sales_invoice_line set net_amount = net_amount + ?, updated_at = ? "
           "where invoice_id = (select invoice_id from sales_invoice where invoice_no = ?) and line_no = 1",
           [amount, _now(), invoice_no])
    ws.erp("update sales_invoice set total_net = total_net + ?, total_gross = total_gross + ?, updated_at = ? "
           "where invoice_no = ?", [amount, amount, _now(), invoice_no])


def test_report_mode_reports_each_change_once(built: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = built
    monkeypatch.setenv("ERPLOAD__DATEV__CORRECTIONS", "report")
    _export(ws)
    first = _files(ws)
    invoice_no, _ = _exported_sales_invoice(ws)
    _add_to_first_line(ws, invoice_no, 10)
    _build(ws)
    output = _export(ws)
    assert _files(ws) == first  # nothing written: the change is the accountant's to book
    assert "not corrected in DATEV" in output
    reported = ws.query("select record_key, value, reason, fix from rejects where entity = 'corrections'")
    assert len(reported) == 1
    key, value, reason, fix = reported[0]
    assert key == f"1000/sales_invoice/{invoice_no}"
    assert "changed in the ERP" in str(reason)
    assert "Generalumkehr" in str(fix)
    old, new = str(value).split(" -> ")
    assert Decimal(old.split()[1]) + 10 == Decimal(new.split()[1])  # old and new amount, not a hash
    # the same change is not reported again; it stays what is set aside now
    _export(ws)
    assert ws.scalar("select count(*) from rejects where entity = 'corrections'") == 1
    assert ws.query("select record_key from current_rejects where entity = 'corrections'") == [(key,)]

    # the ERP takes the change back: DATEV's version is current again, nothing is left to correct
    _add_to_first_line(ws, invoice_no, -10)
    _build(ws)
    _export(ws)
    assert ws.query("select record_key from current_rejects where entity = 'corrections'") == []
    assert ws.scalar("select count(*) from rejects where entity = 'corrections'") == 1  # the history keeps it


def test_an_exported_document_that_fails_a_check_now_stays_as_exported(built: Workspace) -> None:
    ws = built
    _export(ws)
    invoice_no, _ = _exported_sales_invoice(ws)
    # the ERP breaks the invoice: its lines no longer add up to its total
    ws.erp("update sales_invoice set total_gross = total_gross + 1, updated_at = ? where invoice_no = ?",
           [_now(), invoice_no])
    _build(ws)
    held = ws.query("select reason from rejects where target = 'datev' and entity = 'bookings' "
                    "and record_key like ?", [f"1000/sales_invoice/{invoice_no}/%"])
    assert held
    output = _export(ws)
    assert "1 exported document fails a check now" in " ".join(output.split())
    assert "reversed" not in output  # DATEV keeps the exported version: nothing is taken back
    assert ws.scalar("select count(*) from datev_corrections") == 0
    assert "nothing to reconcile" in output
    result = ws.cli("datev", "reconcile")
    assert result.finished, result.output
    assert "held back" in result.output


def test_reexport_is_refused_where_batches_are_festgeschrieben(built: Workspace) -> None:
    ws = built
    _export(ws)
    locked = ws.scalar("select min(company_code) from erp.companies where datev_lock_batches")
    assert locked is not None
    month = ws.scalar(f"select strftime(min(period_start), '%Y-%m') from datev.bookings "
                      f"where company_code = '{locked}'")
    result = ws.cli("export", "datev", "--out", OUT, "--reexport", str(month), "--company", str(locked))
    assert result.exit_code == 2
    assert "festschreibt" in result.output
    assert "twice" in result.output
    assert not _files(ws, "*_reexport.csv")


def test_dry_run_writes_and_marks_nothing(built: Workspace) -> None:
    ws = built
    output = _export(ws, "--dry-run")
    assert "would write" in output
    assert not (ws.root / OUT).exists()
    assert ws.scalar("select count(*) from datev_exported") == 0
    assert "wrote" in _export(ws)


def test_a_crashed_export_never_shows_a_booking_twice(built: Workspace) -> None:
    ws = built
    out = ws.root / OUT
    out.mkdir(parents=True)
    # a crash before the commit left a file nobody recorded: the next export drops it
    stray = out / "EXTF_Buchungsstapel_1000_2025-01_01.csv.part"
    stray.write_bytes(b"half a file")
    _export(ws)
    assert not stray.exists()
    assert not list(out.glob("*.part"))
    # a crash after the commit left a recorded file unpublished: the next export publishes it
    victim = _files(ws, "EXTF_Buchungsstapel_*.csv")[0]
    victim.rename(victim.with_name(victim.name + ".part"))
    _export(ws)
    assert victim.exists()


def test_period_and_company_filters(built: Workspace) -> None:
    ws = built
    _export(ws, "--company", "2000", "--period", "2026-03")
    names = [p.name for p in _files(ws)]
    assert "EXTF_Buchungsstapel_2000_2026-03_01.csv" in names
    assert all("_2000_" in n for n in names)
    assert not any(n.startswith("EXTF_Buchungsstapel") and "2026-03" not in n for n in names)
    header = read_extf(_files(ws, "EXTF_Buchungsstapel_*")[0].read_bytes()).header.fields  # type: ignore[union-attr]
    # company 2000 keeps a fiscal year from July, 6-digit accounts, SKR04
    assert header[12:16] == ["20250701", "6", "20260301", "20260331"]
    assert header[26] == '"04"'


def test_bad_export_arguments_say_what_to_fix(built: Workspace) -> None:
    ws = built
    result = ws.cli("export", "datev", "--out", OUT, "--period", "March")
    assert result.exit_code == 2
    assert "YYYY-MM" in result.output
    result = ws.cli("export", "datev", "--out", OUT, "--company", "3000")
    assert result.exit_code == 2
    assert "DATEV consultant and client numbers" in result.output


def test_export_before_transform_says_so(workspace: Workspace) -> None:
    assert workspace.cli("extract").finished
    assert workspace.cli("map").finished
    result = workspace.cli("export", "datev", "--out", OUT)
    assert result.exit_code == 2
    assert "erpload transform datev" in result.output


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")


def _exported_sales_invoice(ws: Workspace) -> tuple[str, str]:
    # a posted invoice: not the cancellation record ('.../storno') of one cancelled after posting
    row = ws.query("""select e.record_key, strftime(e.period_start, '%Y-%m') from datev_exported e
                      join erp.sales_invoices s on s.company_code = e.company_code
                       and e.record_key = 'sales_invoice/' || s.invoice_no
                      where e.company_code = '1000' and e.category = 21 and s.status = 'posted'
                      order by e.period_start desc, e.record_key limit 1""")[0]
    return str(row[0]).split("/", 1)[1], str(row[1])


def _copy_sales_invoice(ws: Workspace, invoice_no: str) -> str:
    """Insert a copy of an invoice (and its lines) under a new number, as a new ERP document."""
    new_no = invoice_no + "N"
    with sqlite3.connect(ws.erp_path) as con:
        con.row_factory = sqlite3.Row
        head = dict(con.execute("select * from sales_invoice where invoice_no = ?", [invoice_no]).fetchone())
        lines = [dict(r) for r in con.execute("select * from sales_invoice_line where invoice_id = ?",
                                              [head["invoice_id"]])]
        new_id = con.execute("select max(invoice_id) + 1 from sales_invoice").fetchone()[0]
        next_line = con.execute("select max(line_id) + 1 from sales_invoice_line").fetchone()[0]
        head.update(invoice_id=new_id, invoice_no=new_no, updated_at=_now())
        con.execute(f"insert into sales_invoice ({', '.join(head)}) values ({', '.join('?' * len(head))})",
                    list(head.values()))
        for i, line in enumerate(lines):
            line.update(line_id=next_line + i, invoice_id=new_id, updated_at=_now())
            con.execute(f"insert into sales_invoice_line ({', '.join(line)}) values ({', '.join('?' * len(line))})",
                        list(line.values()))
    return new_no


def _parse(column_kind: str, date_format: str | None, raw: str) -> object:
    """A written field back to a Python value, independently of the writer's SQL."""
    if raw == "":
        return None
    if column_kind in ("amount", "decimal"):
        return Decimal(raw.replace(",", "."))
    if column_kind == "date":
        fmt = {"TTMM": "%d%m", "TTMMJJJJ": "%d%m%Y"}[date_format or "TTMMJJJJ"]
        return datetime.strptime(raw, fmt).date().strftime("%d%m" if date_format == "TTMM" else "%Y-%m-%d")
    return raw


def _expected(column_kind: str, date_format: str | None, value: object) -> object:
    if value is None or value == "":
        return None
    if column_kind in ("amount", "decimal"):
        return Decimal(str(value))
    if column_kind == "date":
        return value.strftime("%d%m" if date_format == "TTMM" else "%Y-%m-%d")  # type: ignore[attr-defined]
    return str(value)


def _round_trip_differences(ws: Workspace, paths: list[Path]) -> list[str]:
    """Every field of every line of the Buchungsstapel files against `datev.bookings`, plus account balances
    against the canonical source. Returns the differences (empty when the files say what staging says)."""
    from erpload.transforms.datev.layouts import BOOKING_VALUES

    diffs: list[str] = []
    selects = ", ".join(f"{sql} AS c{i}" for i, sql in enumerate(BOOKING_VALUES.values()))
    columns = [BOOKINGS.column(h) for h in BOOKING_VALUES]
    balances: dict[tuple[str, str, str], Decimal] = {}
    for path in paths:
        company, month = path.stem.split("_")[2:4]
        rows = ws.query(f"""select {selects} from datev.bookings where company_code = ?
                            and strftime(period_start, '%Y-%m') = ?
                            order by posting_date, document_kind, document_no, event desc, line_no""",
                        [company, month])
        extf = read_extf(path.read_bytes())
        if len(extf.rows) != len(rows):
            diffs.append(f"{path.name}: {len(extf.rows)} lines, staging has {len(rows)}")
            continue
        for line, row in zip(extf.rows, rows, strict=True):
            values = line.values
            written = {c.heading: _parse(c.kind, c.date_format, values[c.index - 1]) for c in BOOKINGS.columns}
            for col, value in zip(columns, row, strict=True):
                if written.pop(col.heading) != _expected(col.kind, col.date_format, value):
                    diffs.append(f"{path.name} line {line.number} {col.heading}: {values[col.index - 1]!r} "
                                 f"!= {value!r}")
            diffs += [f"{path.name} line {line.number} {h} should be empty" for h, v in written.items() if v]
            amount = Decimal(values[0].replace(",", "."))
            # a Generalumkehr row counts on its side with a minus, as DATEV books it
            sign = (1 if values[1] == "S" else -1) * (-1 if values[117] == "1" else 1)
            currency = values[2]
            for account, direction in ((values[6], sign), (values[7], -sign)):
                key = (company, account, currency)
                balances[key] = balances.get(key, Decimal(0)) + direction * amount
    # each invoice line moves its gross amount between the partner and the line's account
    invoice_legs = " union all ".join(
        f"""select h.company_code, {account} as account, h.currency_code,
                   {sign} * (case when h.is_credit_note then -1 else 1 end) * (l.net_amount + l.tax_amount)
                   as amount
            from erp.{kind}s h join erp.{kind}_lines l using (company_code, invoice_no)
            join exported e on e.kind = '{kind}' and e.company_code = h.company_code
                           and e.document_no = h.invoice_no"""
        for kind, partner, partner_sign in (("sales_invoice", "h.customer_no", 1),
                                            ("purchase_invoice", "h.vendor_no", -1))
        for account, sign in ((partner, partner_sign), ("l.account_no", -partner_sign)))
    source = {(str(c), str(a), str(cur)): Decimal(str(b)) for c, a, cur, b in ws.query(f"""
        with records as (select company_code, split_part(record_key, '/', 1) as kind,
                                split_part(record_key, '/', 2) as document_no, record_key like '%/storno' as storno
                         from datev_exported where category = 21),
        -- a document booked and then reversed by its cancellation ('.../storno') moves no balance
        exported as (select company_code, kind, document_no from records group by all having not bool_or(storno)),
        legs as (
            {invoice_legs}
            union all
            select h.company_code, l.account_no, h.currency_code, l.debit - l.credit
            from erp.journal_entries h join erp.journal_lines l using (company_code, entry_no)
            join exported e on e.kind = 'journal_entry' and e.company_code = h.company_code
                           and e.document_no = h.entry_no)
        select company_code, account, currency_code, sum(amount) from legs group by all""")}
    wanted = {k: v for k, v in source.items() if v}
    got = {k: v for k, v in balances.items() if v}
    diffs += [f"balance of account {k}: files {got.get(k)}, canonical source {wanted.get(k)}"
              for k in sorted(set(wanted) | set(got)) if wanted.get(k) != got.get(k)]
    return diffs


def test_round_trip_every_field_and_every_account_balance(built: Workspace) -> None:
    ws = built
    _export(ws)
    paths = _files(ws, "EXTF_Buchungsstapel_*.csv")
    # the demo covers fiscal years from January, July and October, account lengths 4, 6 and 8 and
    # foreign currencies; make sure the files do too
    assert {p.stem.split("_")[2] for p in paths} == {"1000", "2000", "4000"}
    assert int(str(ws.scalar("select count(*) from datev.bookings where rate is not null"))) > 0
    assert _round_trip_differences(ws, paths) == []

    # mutation: one amount changed in a written file must be caught
    victim = paths[len(paths) // 2]
    data = victim.read_bytes().split(b"\r\n")
    fields = data[2].split(b";")
    amount = Decimal(fields[0].decode().replace(",", ".")) + Decimal("0.01")
    fields[0] = str(amount).replace(".", ",").encode()
    data[2] = b";".join(fields)
    victim.write_bytes(b"\r\n".join(data))
    differences = _round_trip_differences(ws, paths)
    assert any("Umsatz" in d and "line 3" in d for d in differences)
    assert any(d.startswith("balance of account") for d in differences)
