"""`erpload push uniconta`: one Telecom X export call per reseller and month, each once (see erpload.push.trigger).

The push plans again from `erp` and the ledger as they are now (`erpload.transforms.uniconta.plan`) and writes that plan
back to `uniconta.invoices` / `uniconta.months`, so the tables show what this push decided. A month is called
with every invoice it must not export in `invoicesToOmit`: those the plan leaves out and those Uniconta holds
or may hold. Each call's answer is staged in `uniconta.exports` and reconciled: Telecom X's `total` against the
invoices the ERP knows for the month, `exported` against the invoices the call was meant to export.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from erpload.errors import ConfigError
from erpload.push.trigger import CallReject, CallReport, PlannedCall
from erpload.rejects import PUSH_REFUSED
from erpload.runs import Run
from erpload.staging import scalar_int, sql_literal, table_exists
from erpload.transforms.uniconta.plan import CALLS, INVOICES, TARGET, scope
from erpload.transforms.uniconta.transform import PLANNED, plan_again, write_plan

from .client import ExportRefused, SubError, TelecomXClient
from .config import UnicontaSettings

EXPORTS = f"{TARGET}.exports"

_EXPORTS_DDL = f"""CREATE TABLE IF NOT EXISTS {EXPORTS} (
    run_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, called_at TIMESTAMP NOT NULL, company_code VARCHAR,
    reseller VARCHAR NOT NULL, month VARCHAR NOT NULL, invoice_date VARCHAR NOT NULL, omitted INTEGER NOT NULL,
    omitted_ids VARCHAR[] NOT NULL, planned INTEGER NOT NULL, known INTEGER NOT NULL, total INTEGER,
    exported INTEGER, outcome VARCHAR NOT NULL, difference VARCHAR)"""

#: what to do about each part of a 422 `multiple` answer
_SUB_ERROR_FIX = {
    "customer": "Telecom X has no customer for this invoice: correct the invoice's customer in Telecom X, or cancel "
                "the invoice in the ERP so erpload leaves it out",
    "finance.accountingSystemId": "set the customer's accounting system id (finance.accountingSystemId) in Telecom X "
                                  "to its Uniconta debtor account",
    "uniconta.customer": "create the debtor in the reseller's Uniconta company (with the account number Telecom X "
                         "has for the customer)",
    "uniconta.product": "create the item with this product code in the reseller's Uniconta company, or correct the "
                        "product code in Telecom X",
}


class UnicontaTrigger:
    target = TARGET
    title = "Telecom X"

    def __init__(self, settings: UnicontaSettings, *, month: str | None = None, force: bool = False,
                 client: TelecomXClient | None = None) -> None:
        self.settings = settings
        self.month = month
        self.force = force
        self._client = client
        self._con: duckdb.DuckDBPyConnection | None = None
        self._planned = False
        self._run: Run | None = None

    @property
    def client(self) -> TelecomXClient:
        if self._client is None:
            self._client = TelecomXClient(self.settings)
        return self._client

    # --- plan ---

    def plan(self, con: duckdb.DuckDBPyConnection, run: Run, company: str | None) -> list[PlannedCall]:
        if not table_exists(con, TARGET, CALLS):
            raise ConfigError("the uniconta plan does not exist yet", hint="run `erpload transform uniconta` first")
        self._con, self._run = con, run
        base = self.settings.base_url
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {TARGET}")
        con.execute(_EXPORTS_DDL)
        if not self._planned:  # once per push, whichever companies it covers
            plan_again(con, base)
            con.begin()
            try:  # the plan as this push sees it, for a user to read beside the outcome
                write_plan(con)
                con.commit()
            except BaseException:
                con.rollback()
                raise
            self._planned = True
        where = ["true"]
        if company is not None:
            where.append(f"_company_code = {sql_literal(company)}")
        if self.month is not None:
            where.append(f"month = {sql_literal(self.month)}")
        rows = con.execute(f"""SELECT m.reseller, m.month, m.invoice_date, m._company_code, c.name, m.state,
                                      m.invoices, m.to_export, m.invoices_to_omit, m.invoices_to_export
                               FROM {TARGET}.{CALLS} m LEFT JOIN erp.companies c ON c.company_code = m._company_code
                               WHERE {' AND '.join(where)} ORDER BY m.reseller, m.month""").fetchall()
        if not rows:
            self._nothing(con, run, company)
        calls: list[PlannedCall] = []
        held: list[str] = []
        empty: list[str] = []
        late: list[str] = []
        forced_out: list[str] = []
        done: list[str] = []
        for reseller, month, invoice_date, company_code, name, state, known, to_export, omit, export in rows:
            label = f"{name or company_code} (reseller {reseller}) {month}"
            if state == "held":
                held.append(month)
                continue
            if state == "empty":
                empty.append(month)
                continue
            if state == "exported":
                if not to_export:
                    done.append(str(month))  # nothing new in it: even --force has nothing to call for
                    continue
                late.append(f"{month}: {to_export}")
                if self.force and (unknown := self._unknown_to_erp(str(reseller), str(month), int(known))):
                    forced_out.append(f"{month} ({unknown})")
                    continue
            payload = json.dumps({"reseller": reseller, "invoiceDate": invoice_date, "invoicesToOmit": list(omit)},
                                 separators=(",", ":"))
            calls.append(PlannedCall(
                entity=CALLS, key=str(month), scope=scope(base, str(reseller)), payload=payload, label=label,
                subject=f"{reseller}/{month}",  # its refusals: another reseller's month is another subject
                summary=f"export {to_export} invoice(s), leave out {len(omit)}", company=company_code,
                carries={INVOICES: tuple(export)},
                context={"reseller": reseller, "month": month, "invoice_date": invoice_date, "known": int(known),
                         "omit": list(omit), "export": list(export), "company": company_code}))
        if done:
            run.note(f"{TARGET}: {len(done)} month(s) exported before with nothing new in them: not called again "
                     f"({', '.join(done[:3])}{', ...' if len(done) > 3 else ''})")
        if forced_out:
            run.note(f"{TARGET}: --force does not call for {', '.join(forced_out)}: at its export Telecom X counted "
                     "that many invoices the ERP does not know; erpload cannot leave them out, so a second call would "
                     "export them again. Add them to the ERP with their Telecom X ids (or export in Telecom X)")
        if held:
            run.note(f"{TARGET}: {len(held)} month(s) held ({', '.join(held[:6])}): an invoice in each has no valid "
                     "Telecom X id, so erpload cannot leave it out (erpload.rejects, field telecomx_invoice_id)")
        if empty:
            run.note(f"{TARGET}: {len(empty)} month(s) with no invoice to export ({', '.join(empty[:6])}): not called "
                     "(uniconta.invoices says why each is left out)")
        if late:
            run.note(f"{TARGET}: months exported before hold invoices not exported yet ({'; '.join(late[:6])}): "
                     "`erpload push uniconta --force --month <month>` exports them, leaving out every invoice "
                     "Uniconta holds")
        return calls

    def _unknown_to_erp(self, reseller: str, month: str, known: int) -> int:
        """How many invoices the month's last answered export counted beyond those the ERP knows now."""
        assert self._con is not None
        row = self._con.execute(f"""SELECT arg_max(total, called_at) FROM {EXPORTS}
                                    WHERE reseller = {sql_literal(reseller)} AND month = {sql_literal(month)}
                                      AND total IS NOT NULL""").fetchone()
        total = row[0] if row else None
        return max(0, int(total) - known) if total is not None else 0

    def _nothing(self, con: duckdb.DuckDBPyConnection, run: Run, company: str | None) -> None:
        if self.month is not None and scalar_int(con, f"SELECT count(*) FROM {TARGET}.{CALLS}"):
            months = [str(r[0]) for r in con.execute(f"SELECT DISTINCT month FROM {TARGET}.{CALLS} ORDER BY 1 DESC "
                                                     "LIMIT 3").fetchall()]
            raise ConfigError(f"uniconta has no month {self.month}" + (f" for company {company}" if company else ""),
                              hint="give --month as YYYY-MM, e.g. " + ", ".join(months))
        if company is not None:
            raise ConfigError(f"company {company} has no Telecom X invoices in the uniconta plan",
                              hint="check its companies.telecomx_reseller_id and its invoices' telecomx_invoice_id")
        run.note(f"{TARGET}: the plan holds no Telecom X invoice: nothing to export")

    # --- call ---

    def call(self, planned: PlannedCall, report: CallReport) -> None:
        ctx: dict[str, Any] = planned.context
        try:
            answer = self.client.export(ctx["reseller"], ctx["invoice_date"], ctx["omit"])
        except ExportRefused as exc:
            report.failed(f"422 multiple: {'; '.join(p.message for p in exc.problems)}"[:2000],
                          rejects=[self._reject(planned, p) for p in exc.problems],
                          also=[self._staged(planned, report.batch_id, "refused", None, None,
                                             f"{len(exc.problems)} problem(s); Telecom X exported none")])
            return
        known, planned_n = ctx["known"], len(ctx["export"])
        if not answer.success:
            report.failed(f"answered success: false ({json.dumps(answer.body)[:300]})",
                          also=[self._staged(planned, report.batch_id, "failed", answer.total, answer.exported,
                                             "Telecom X answered success: false: nothing exported")])
            return
        differences = []
        if answer.total is not None and answer.total != known:
            differences.append(f"Telecom X counts {answer.total} invoice(s) for the month, the ERP knows {known}"
                               + (f": {answer.total - known} the ERP does not know were exported too"
                                  if answer.total > known else ""))
        if answer.exported is not None and answer.exported != planned_n:
            differences.append(f"Telecom X exported {answer.exported}, erpload planned {planned_n}")
        difference = "; ".join(differences) or None
        if difference and self._run is not None:
            self._run.note(f"{TARGET} {planned.label}: {difference}; look at the export in Uniconta")
        response = (f"answered: total {answer.total}, exported {answer.exported}; the export goes on at Telecom X, "
                    "which e-mails when it is done (and deletes it all again if it fails)")
        report.acknowledged(response, also=[self._staged(planned, report.batch_id, "answered with a difference"
                                                         if difference else "answered", answer.total,
                                                         answer.exported, difference)])

    def _staged(self, planned: PlannedCall, batch_id: str, outcome: str, total: int | None, exported: int | None,
                difference: str | None) -> str:
        ctx: dict[str, Any] = planned.context
        run_id = self._run.run_id if self._run is not None else ""
        omitted = "[" + ", ".join(sql_literal(i) for i in ctx["omit"]) + "]::VARCHAR[]"
        return (f"INSERT INTO {EXPORTS} VALUES ({sql_literal(run_id)}, {sql_literal(batch_id)}, now()::TIMESTAMP, "
                f"{sql_literal(ctx['company'])}, {sql_literal(ctx['reseller'])}, {sql_literal(ctx['month'])}, "
                f"{sql_literal(ctx['invoice_date'])}, {len(ctx['omit'])}, {omitted}, {len(ctx['export'])}, "
                f"{int(ctx['known'])}, {sql_literal(total)}, {sql_literal(exported)}, {sql_literal(outcome)}, "
                f"{sql_literal(difference)})")

    def _reject(self, planned: PlannedCall, problem: SubError) -> CallReject:
        """One reject per part of a 422, with what the ERP knows about what it names."""
        ctx: dict[str, Any] = planned.context
        named = problem.named
        erp = self._erp_side(problem.code, named, ctx)
        return CallReject(record_key=planned.about, field=problem.code or None, value=named,
                          reason=f"Telecom X refused the export of {planned.label}: {problem.message}"
                                 + (f" ({erp})" if erp else ""),
                          fix=_SUB_ERROR_FIX.get(problem.code, "fix what Telecom X names, then push again")
                          + "; then `erpload push uniconta` exports the month", code=PUSH_REFUSED)

    def _erp_side(self, code: str, named: str, ctx: dict[str, Any]) -> str:
        """The ERP invoices behind a sub-error, in words: an invoice id, or a customer name."""
        if self._con is None:
            return ""
        month, reseller = sql_literal(ctx["month"]), sql_literal(ctx["reseller"])
        if code == "customer":
            row = self._con.execute(f"SELECT invoice_no, customer_no FROM {PLANNED} WHERE _key = "
                                    f"{sql_literal(named.lower())}").fetchone()
            return f"ERP invoice {row[0]}, customer {row[1]}" if row else "an invoice the ERP does not know"
        if code in ("finance.accountingSystemId", "uniconta.customer"):
            rows = self._con.execute(f"""SELECT customer_no, any_value(uniconta_account_id), count(*) FROM {PLANNED}
                                         WHERE reseller = {reseller} AND month = {month} AND verdict = 'export'
                                           AND customer_name = {sql_literal(named)} GROUP BY ALL""").fetchall()
            return "; ".join(f"ERP customer {c}, Uniconta account {a}, {n} invoice(s) this month"
                             for c, a, n in rows)
        return ""

    def traffic(self) -> str | None:
        return None if self._client is None else self._client.traffic()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
