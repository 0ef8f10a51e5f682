"""`erpload push kombo`: one Kombo DATEV push per company and run (see erpload.push.trigger), its files saved,
checked and compared with the ERP's employees.

The push plans again from `erp` and the ledger as they are now (`erpload.transforms.kombo.plan`) and writes that plan
back to `kombo.integrations`. A company's push is keyed by the run; while any earlier push of the company got no
answer, the company is held (`PlannedCall.held_by_any_unknown`): Kombo documents no idempotency, so a second push
could upload twice. Each answer is staged with the ledger's entry, in one commit:

    kombo.pushes                one row per push: company, integration, outcome, Kombo's code, message, log_url
    kombo.files                 one row per returned file: name as given, name as written, size, sha256 of the
                                bytes written, format found (extf, lodas, other), and the checker's counts
    kombo.file_findings         the checker's findings for EXTF files
    kombo.warnings              Kombo's warnings, one row each
    kombo.employee_differences  employees the files and the ERP disagree on: active in the ERP but in no file, or
                                in a file but not an active employee of the company in the ERP
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from erpload.errors import ConfigError
from erpload.push.http import OutcomeUnknown
from erpload.push.trigger import CallReject, CallReport, PlannedCall
from erpload.rejects import PUSH_REFUSED
from erpload.runs import Run
from erpload.staging import sql_literal, table_exists
from erpload.transforms.datev.check import Report, check_bytes
from erpload.transforms.kombo.plan import INTEGRATIONS, PUSHES, TARGET, active_employees_sql, integrations_sql, scope
from erpload.transforms.kombo.transform import note_companies_without

from .client import (
    KomboAuthError,
    KomboClient,
    KomboErrorInfo,
    KomboFile,
    KomboLimited,
    KomboOutcomeUnknown,
    KomboRefused,
    PushAnswer,
)
from .config import KomboSettings
from .contents import Format, format_of, personnel_numbers
from .files import FileWriter, Written, safe_name

_LISTED = 6  # names listed in a note before "…"

_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TARGET}.{PUSHES} (
        run_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, called_at TIMESTAMP NOT NULL, company_code VARCHAR,
        integration_id VARCHAR NOT NULL, outcome VARCHAR NOT NULL, files INTEGER, warnings INTEGER,
        error_code VARCHAR, message VARCHAR, log_url VARCHAR, folder VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {TARGET}.files (
        run_id VARCHAR NOT NULL, company_code VARCHAR, integration_id VARCHAR NOT NULL, name_given VARCHAR NOT NULL,
        name_written VARCHAR, path VARCHAR, size BIGINT NOT NULL, sha256 VARCHAR NOT NULL, format VARCHAR NOT NULL,
        encoding VARCHAR NOT NULL, checked BOOLEAN NOT NULL, errors INTEGER, warnings INTEGER,
        personnel_numbers INTEGER, note VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {TARGET}.file_findings (
        run_id VARCHAR NOT NULL, company_code VARCHAR, name_written VARCHAR, severity VARCHAR NOT NULL,
        line INTEGER, "column" INTEGER, heading VARCHAR, rule VARCHAR, message VARCHAR NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {TARGET}.warnings (
        run_id VARCHAR NOT NULL, company_code VARCHAR, integration_id VARCHAR NOT NULL, message VARCHAR NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {TARGET}.employee_differences (
        run_id VARCHAR NOT NULL, company_code VARCHAR, personnel_no VARCHAR NOT NULL, difference VARCHAR NOT NULL,
        erp_state VARCHAR NOT NULL, name VARCHAR, files VARCHAR[])""",
)


@dataclass(frozen=True)
class Company:
    code: str
    name: str
    integration_id: str


@dataclass
class SavedFile:
    """One returned file: how it was written, what it is, what the checker found and whom it lists."""

    given: str
    data: bytes
    encoding: str
    fmt: Format
    written: Written | None = None
    problem: str | None = None
    errors: int | None = None
    warnings: int | None = None
    listed: list[str] | None = None
    report: Report | None = None


def encoded(content: str) -> tuple[bytes, str]:
    """The bytes to write: Windows-1252 (what DATEV reads), or UTF-8 when the text holds what it cannot."""
    try:
        return content.encode("cp1252"), "windows-1252"
    except UnicodeEncodeError:
        return content.encode("utf-8", errors="replace"), "utf-8"


def _pnr(value: str) -> str:
    """A personnel number as compared: trimmed, and without leading zeros when it is all digits."""
    value = value.strip()
    return value.lstrip("0") or "0" if value.isdigit() else value


def _listed(items: list[str]) -> str:
    return ", ".join(items[:_LISTED]) + (f" … ({len(items)} in all)" if len(items) > _LISTED else "")


class KomboTrigger:
    """The `Trigger` of `erpload push kombo` (see erpload.push.trigger for the protocol)."""

    target = TARGET
    title = "Kombo"

    def __init__(self, settings: KomboSettings, *, client: KomboClient | None = None) -> None:
        self.settings = settings
        self._client = client
        self._con: duckdb.DuckDBPyConnection | None = None
        self._run: Run | None = None

    @property
    def client(self) -> KomboClient:
        if self._client is None:
            self._client = KomboClient(self.settings)
        return self._client

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        assert self._con is not None, "plan() first"
        return self._con

    @property
    def run(self) -> Run:
        assert self._run is not None, "plan() first"
        return self._run

    # --- plan ---

    def plan(self, con: duckdb.DuckDBPyConnection, run: Run, company: str | None) -> list[PlannedCall]:
        if not table_exists(con, TARGET, INTEGRATIONS):
            raise ConfigError("the kombo plan does not exist yet", hint="run `erpload transform kombo` first")
        self._con, self._run = con, run
        base = self.settings.base_url
        with_employees = table_exists(con, "erp", "employees")
        con.begin()
        try:  # the plan as this push sees it, for a user to read beside the outcome
            for ddl in _DDL:
                con.execute(ddl)
            con.execute(f"CREATE OR REPLACE TABLE {TARGET}.{INTEGRATIONS} AS "
                        f"{integrations_sql(base, with_employees=with_employees)}")
            con.commit()
        except BaseException:
            con.rollback()
            raise
        if company is None:
            note_companies_without(con, run)
        where = "true" if company is None else f"_company_code = {sql_literal(company)}"
        rows = con.execute(f"SELECT _company_code, company_name, kombo_integration_id, active_employees "
                           f"FROM {TARGET}.{INTEGRATIONS} WHERE {where} ORDER BY _company_code").fetchall()
        if not rows and company is not None:
            raise ConfigError(f"company {company} has no Kombo integration id",
                              hint="map companies.kombo_integration_id for it, then run extract, map, transform "
                                   "kombo")
        calls = []
        for code, name, integration_id, employees in rows:
            target = Company(str(code), str(name or code), str(integration_id))
            calls.append(PlannedCall(
                entity=PUSHES, key=run.run_id, scope=scope(base, target.integration_id), payload="{}",
                label=f"{target.name} (company {target.code}, integration {target.integration_id})",
                summary=f"push {employees} active employee(s) to DATEV and save the files", company=target.code,
                context=target, held_by_any_unknown=True, subject=target.code))
        return calls

    # --- call ---

    def call(self, planned: PlannedCall, report: CallReport) -> None:
        company: Company = planned.context
        try:
            answer = self.client.push_general(company.integration_id)
        except KomboAuthError as exc:  # no company can be pushed: the push stops (run_trigger re-raises)
            report.failed(exc.info.describe(), also=[self._push_row(report, company, "refused", info=exc.info)])
            raise
        except KomboRefused as exc:
            self.run.note(f"{TARGET} {planned.label}: {exc.message}; fix: {exc.hint}")
            report.failed(exc.info.describe(), rejects=[CallReject(
                record_key=planned.about, field="kombo_integration_id", value=company.integration_id,
                reason=exc.message, fix=exc.hint or "", code=PUSH_REFUSED)],
                also=[self._push_row(report, company, "refused", info=exc.info)])
            return
        except OutcomeUnknown as exc:  # it may have reached DATEV: held until a person settles it
            info = exc.info if isinstance(exc, KomboOutcomeUnknown) else None
            report.unknown(exc.message, also=[self._push_row(report, company, "unknown", info=info,
                                                             message=exc.message)])
            return
        except KomboLimited as exc:  # turned away each time: nothing was pushed
            self.run.note(f"{TARGET} {planned.label}: {exc.message}; {exc.hint}")
            report.failed(exc.message, also=[self._push_row(report, company, "limited", message=exc.message)])
            return
        saved = self._save(company, answer)
        rows = [self._push_row(report, company, "answered", files=len(answer.files),
                               warnings=len(answer.warnings), message=answer.problem,
                               folder=str(self._folder(company)))]
        rows += [self._file_row(company, f) for f in saved]
        rows += [self._warning_row(company, w) for w in answer.warnings]
        rows += self._compare(planned, company, saved)
        if answer.problem:
            self.run.note(f"{TARGET} {planned.label}: Kombo answered the push, but {answer.problem}")
        self._note(planned, answer, saved)
        report.acknowledged(f"answered: {len(answer.files)} file(s), {len(answer.warnings)} warning(s)",
                            also=[*rows, *self._finding_rows(company, saved)])

    def _folder(self, company: Company) -> Path:
        return self.settings.files_dir / safe_name(company.code) / self.run.run_id

    def _save(self, company: Company, answer: PushAnswer) -> list[SavedFile]:
        writer = FileWriter(self._folder(company))
        saved = []
        for file in answer.files:
            saved.append(self._save_one(writer, file))
        return saved

    def _save_one(self, writer: FileWriter, file: KomboFile) -> SavedFile:
        data, encoding = encoded(file.content)
        found = SavedFile(file.name, data, encoding, format_of(file.content))
        try:
            found.written = writer.write(file.name, data)
        except OSError as exc:
            found.problem = f"not saved: {exc.strerror or exc}"
        if found.fmt == "extf":
            found.report = check_bytes(data, found.written.name if found.written else safe_name(file.name))
            found.errors, found.warnings = len(found.report.errors), len(found.report.warnings)
        found.listed = personnel_numbers(file.content, found.fmt, data)
        return found

    # --- the ERP's side ---

    def _compare(self, planned: PlannedCall, company: Company, saved: list[SavedFile]) -> list[str]:
        """Who the files and the ERP's active employees disagree on: a note and staged rows."""
        listing = [f for f in saved if f.listed]
        if not listing:
            if saved:
                self.run.note(f"{TARGET} {planned.label}: no file lists personnel numbers erpload can read; the "
                              "files were not compared with the ERP's employees")
            return []
        if not table_exists(self.con, "erp", "employees"):
            self.run.note(f"{TARGET} {planned.label}: the erp dataset has no employees: not compared")
            return []
        in_files: dict[str, list[str]] = {}
        as_given: dict[str, str] = {}  # compared form -> the personnel number as the ERP (or else a file) gives it
        for f in listing:
            for pnr in f.listed or []:
                in_files.setdefault(_pnr(pnr), []).append(f.written.name if f.written else f.given)
                as_given.setdefault(_pnr(pnr), pnr.strip())
        erp: dict[str, tuple[str, str, bool]] = {}
        for pnr, first, last, ended, deleted, active in self.con.execute(
                f"SELECT personnel_no, first_name, last_name, termination_date, is_deleted, active "
                f"FROM ({active_employees_sql()}) WHERE company_code = {sql_literal(company.code)}").fetchall():
            state = "active" if active else "deleted" if deleted else f"left on {ended}"
            erp[_pnr(str(pnr))] = (f"{last}, {first}", state, bool(active))
            as_given[_pnr(str(pnr))] = str(pnr)
        missing = sorted(p for p, (_, _, active) in erp.items() if active and p not in in_files)
        extra = sorted(p for p in in_files if not erp.get(p, ("", "", False))[2])
        rows = []
        for pnr in missing:
            name, state, _ = erp[pnr]
            rows.append(self._difference_row(company, as_given[pnr], "in no file", state, name, []))
        for pnr in extra:
            known = erp.get(pnr)
            rows.append(self._difference_row(company, as_given[pnr], "not an active employee in the ERP",
                                             known[1] if known else "not in the ERP", known[0] if known else None,
                                             in_files[pnr]))
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"{len(missing)} active in the ERP but in no file: "
                             + _listed([f"{as_given[p]} ({erp[p][0]})" for p in missing]))
            if extra:
                parts.append(f"{len(extra)} in the files but not active employees in the ERP: "
                             + _listed([f"{as_given[p]} ({erp[p][1] if p in erp else 'not in the ERP'})"
                                     for p in extra]))
            self.run.note(f"{TARGET} {planned.label}: the files and the ERP differ: {'; '.join(parts)} "
                          "(kombo.employee_differences); check the employees in the HR system Kombo reads")
        return rows

    # --- notes ---

    def _note(self, planned: PlannedCall, answer: PushAnswer, saved: list[SavedFile]) -> None:
        run = self.run
        if answer.warnings:
            run.note(f"{TARGET} {planned.label}: Kombo warned {len(answer.warnings)} time(s): "
                     + " | ".join(answer.warnings[:3]) + (" …" if len(answer.warnings) > 3 else "")
                     + " (kombo.warnings)")
        for f in saved:
            where = f"{TARGET} {planned.label}: file {f.given!r}"
            if f.written is None:
                run.note(f"{where}: {f.problem}")
                continue
            if f.written.name != f.given:
                where += f" written as {f.written.name!r}"
            if f.encoding != "windows-1252":
                run.note(f"{where}: holds characters Windows-1252 cannot; written as UTF-8, which DATEV does not read")
            if f.fmt == "extf":
                first = "; ".join(f"{x.where}: {x.message}" for x in (f.report.errors if f.report else [])[:2])
                run.note(f"{where}: EXTF checked: {f.errors} error(s), {f.warnings} warning(s)"
                         + (f", e.g. {first}" if first else "") + " (kombo.file_findings; "
                         f"`erpload datev check {f.written.path}`)")
            elif f.fmt == "lodas":
                run.note(f"{where}: LODAS ASCII, saved and not checked (erpload checks EXTF files only)")
            else:
                run.note(f"{where}: not a DATEV format erpload knows (neither EXTF nor LODAS): saved, not checked")

    # --- staged rows ---

    def _push_row(self, report: CallReport, company: Company, outcome: str, *, info: KomboErrorInfo | None = None,
                  files: int | None = None, warnings: int | None = None, message: str | None = None,
                  folder: str | None = None) -> str:
        code = info.code if info is not None else None
        text = info.message if info is not None else message
        log_url = info.log_url if info is not None else None
        return (f"INSERT INTO {TARGET}.{PUSHES} VALUES ({sql_literal(self.run.run_id)}, "
                f"{sql_literal(report.batch_id)}, now()::TIMESTAMP, {sql_literal(company.code)}, "
                f"{sql_literal(company.integration_id)}, {sql_literal(outcome)}, {sql_literal(files)}, "
                f"{sql_literal(warnings)}, {sql_literal(code)}, {sql_literal(text)}, {sql_literal(log_url)}, "
                f"{sql_literal(folder)})")

    def _file_row(self, company: Company, f: SavedFile) -> str:
        w = f.written
        return (f"INSERT INTO {TARGET}.files VALUES ({sql_literal(self.run.run_id)}, {sql_literal(company.code)}, "
                f"{sql_literal(company.integration_id)}, {sql_literal(_storable(f.given))}, "
                f"{sql_literal(w.name if w else None)}, {sql_literal(str(w.path) if w else None)}, {len(f.data)}, "
                f"{sql_literal(hashlib.sha256(f.data).hexdigest())}, {sql_literal(f.fmt)}, "
                f"{sql_literal(f.encoding)}, {sql_literal(f.fmt == 'extf')}, {sql_literal(f.errors)}, "
                f"{sql_literal(f.warnings)}, {sql_literal(len(f.listed) if f.listed else None)}, "
                f"{sql_literal(f.problem)})")

    def _finding_rows(self, company: Company, saved: list[SavedFile]) -> list[str]:
        rows = []
        for f in saved:
            if f.report is None:
                continue
            name = f.written.name if f.written else None
            rows += [f"INSERT INTO {TARGET}.file_findings VALUES ({sql_literal(self.run.run_id)}, "
                     f"{sql_literal(company.code)}, {sql_literal(name)}, {sql_literal(x.severity)}, "
                     f"{sql_literal(x.line)}, {sql_literal(x.column)}, {sql_literal(x.heading)}, "
                     f"{sql_literal(x.rule)}, {sql_literal(x.message)})" for x in f.report.findings]
        return rows

    def _warning_row(self, company: Company, message: str) -> str:
        return (f"INSERT INTO {TARGET}.warnings VALUES ({sql_literal(self.run.run_id)}, {sql_literal(company.code)}, "
                f"{sql_literal(company.integration_id)}, {sql_literal(_storable(message))})")

    def _difference_row(self, company: Company, pnr: str, difference: str, state: str, name: str | None,
                        files: list[str]) -> str:
        listed = "[" + ", ".join(sql_literal(f) for f in dict.fromkeys(files)) + "]::VARCHAR[]"
        return (f"INSERT INTO {TARGET}.employee_differences VALUES ({sql_literal(self.run.run_id)}, "
                f"{sql_literal(company.code)}, {sql_literal(pnr)}, {sql_literal(difference)}, {sql_literal(state)}, "
                f"{sql_literal(name)}, {listed})")

    def traffic(self) -> str | None:
        return None if self._client is None else self._client.traffic()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _storable(text: str) -> str:
    """`text` as DuckDB can hold it (a lone surrogate from JSON becomes `?`)."""
    return text.encode("utf-8", errors="replace").decode("utf-8")
