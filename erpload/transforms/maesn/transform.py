"""`erpload transform maesn`: the canonical `erp` dataset -> the `maesn` dataset, one table per accounting system.

Posted sales invoices (booking type INVOICE) and purchase invoices (BILL) become booking proposals for
each configured system (`config`): tables `maesn.datev_uo`, `maesn.exact`, `maesn.lexware_office`,
`maesn.sevdesk`, `maesn.xero`. A row is one proposal: `_key` (company/type/number), `_company_code`
and one column per part of the multipart request, so that the push's payload (the row as JSON
without `_` columns and null members) is

    {"booking_type": "INVOICE", "booking_proposal": {...Maesn's fields...},
     "files": [{"name": "RE-2026-0001.pdf", "sha256": "...", "mime_type": "application/pdf"}],
     "folder_management": {"category": ..., "folder": ..., "register": ...}}

`folder_management` is a column only where configured (DATEV Unternehmen Online); `files` is null
where the ERP has no receipt (DATEV Unternehmen Online rejects such a document instead); `companyId`
is the destination's. A document of a type the system does not take (a sales invoice for Exact, a credit note
for all but sevdesk) is outside that system's scope: not a reject, counted in a note of the run.

Every proposal is checked against its system's models (`models`, compiled to SQL by `rules`); a
failing line holds back its whole document. A record a system cannot take goes to `erpload.rejects`
(target 'maesn', entity = the system, record_key = `_key`) with the field, the value, the reason and
the fix. Per system: documents in scope = proposals + rejected. Tables are rebuilt in full each run and
committed with their rejects in one transaction; a system no longer configured loses its table.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import duckdb

from erpload.runs import Run, TableResult
from erpload.staging import FRAMEWORK_SCHEMA, connect, ensure_framework_tables, scalar_int, sql_literal
from erpload.targets import require_canonical
from erpload.validation import Check, count_changed, create_findings, find_failures, move_to_rejects, quote_ident

from .config import SystemConfig, load_systems
from .documents import documents_sql, lines_sql
from .models import PROPOSALS, SYSTEMS, booking_types, header_model, line_model, needs_receipt
from .rules import address_checks, find_iban_failures, has_lines, model_checks, receipt_checks
from .systems import SystemMapping, mapping

TARGET = "maesn"
SCHEMA = "maesn"
_DOCUMENTS = "_maesn_documents"
_LINES = "_maesn_lines"
_PENDING_REJECTS = "_maesn_rejects"
_LINE_FINDINGS = "_maesn_line_findings"
#: columns of `documents` every system's work table keeps for its rules (never sent)
_RULE_COLUMNS = ("_key", "_company_code", "booking_type", "contact_role", "contact_no", "contact_city",
                 "document_sha256", "file_name", "file_sha256", "file_mime_type", "primary_accounts")


def run_transform(staging: Path, run: Run) -> None:
    """Rebuild the `maesn` dataset from `erp` in the staging file; per-system results go to `run`.

    The configuration is read first (a ConfigError, exit 2, when no system is configured); the work
    happens in temp tables and only the outcome is written, in one transaction.
    """
    systems = load_systems()
    with connect(staging) as con:
        require_canonical(con)
        ensure_framework_tables(con)
        transform(con, run, systems)


def transform(con: duckdb.DuckDBPyConnection, run: Run, systems: list[SystemConfig]) -> None:
    """`run_transform` on an open connection, for the given systems."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_PENDING_REJECTS} AS SELECT * FROM {FRAMEWORK_SCHEMA}.rejects "
                "LIMIT 0")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_DOCUMENTS} AS {documents_sql()}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_LINES} AS {lines_sql()}")
        for config in systems:
            run.add_timed(partial(_transform_system, con, config, run))
            _note_out_of_scope(con, config, run)
        con.begin()
        try:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            con.execute(f"INSERT INTO {FRAMEWORK_SCHEMA}.rejects BY NAME SELECT * FROM {_PENDING_REJECTS}")
            configured = {c.system for c in systems}
            for system in SYSTEMS:
                table = f"{SCHEMA}.{system}"
                if system not in configured:
                    con.execute(f"DROP TABLE IF EXISTS {table}")
                    continue
                con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {_out(system)}")
                con.execute(f"ALTER TABLE {table} ALTER COLUMN _key SET NOT NULL")
                con.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (_key)")
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        _drop_work_tables(con)


def _work(system: str) -> str:
    return f"_maesn_{system}"


def _work_lines(system: str) -> str:
    return f"_maesn_{system}_lines"


def _out(system: str) -> str:
    return f"_maesn_{system}_out"


def _drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Temp tables outlive a command on a connection `erpload run` holds: leave none behind."""
    names = [_PENDING_REJECTS, _LINE_FINDINGS, _DOCUMENTS, _LINES, "_findings", "_suspects", "_bad_groups"]
    for system in SYSTEMS:
        names += [_work(system), _work_lines(system), _out(system)]
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")


def _in_scope(config: SystemConfig) -> str:
    """SQL over `documents`: the documents this system takes (its booking types, credit notes, companies)."""
    types = ", ".join(sql_literal(t) for t in booking_types(config.system))
    where = [f"booking_type IN ({types})"]
    if not PROPOSALS[config.system].takes_credit_notes:
        where.append("NOT is_credit_note")
    if config.company_codes:
        where.append(f"company_code IN ({', '.join(map(sql_literal, config.company_codes))})")
    return " AND ".join(where)


def _note_out_of_scope(con: duckdb.DuckDBPyConnection, config: SystemConfig, run: Run) -> None:
    """Posted documents of the system's companies that it does not take: counted, not rejected."""
    types = booking_types(config.system)
    companies = (f"company_code IN ({', '.join(map(sql_literal, config.company_codes))})"
                 if config.company_codes else "true")
    row = con.execute(f"""SELECT count(*) FILTER (WHERE booking_type NOT IN ({', '.join(map(sql_literal, types))})),
                                 count(*) FILTER (WHERE booking_type IN ({', '.join(map(sql_literal, types))})
                                                  AND is_credit_note)
                          FROM {_DOCUMENTS} WHERE {companies}""").fetchone()
    other_type, credit_notes = (int(row[0]), int(row[1])) if row else (0, 0)
    if other_type:
        taken = " and ".join("invoices" if t == "INVOICE" else "bills" for t in types)
        other = ("bill" if types == ("INVOICE",) else "sales invoice") + ("" if other_type == 1 else "s")
        run.note(f"maesn.{config.system}: {other_type:,} {other} not proposed: {config.label} takes {taken} only")
    if credit_notes and not PROPOSALS[config.system].takes_credit_notes:
        noun = "credit note" if credit_notes == 1 else "credit notes"
        run.note(f"maesn.{config.system}: {credit_notes:,} {noun} not proposed: Maesn documents no credit note "
                 f"booking proposal for {config.label}; book them there by hand")


def _transform_system(con: duckdb.DuckDBPyConnection, config: SystemConfig, run: Run) -> TableResult:
    system = config.system
    m = mapping(config)
    work, lines = _work(system), _work_lines(system)
    header_fields = ", ".join(f"{sql} AS {quote_ident(f)}" for f, sql in m.header.items())
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {work} AS
                    SELECT {', '.join(_RULE_COLUMNS)}, coalesce(n.line_count, 0) AS line_count, {header_fields}
                    FROM {_DOCUMENTS} d
                    LEFT JOIN (SELECT _key, count(*) AS line_count FROM {_LINES} GROUP BY _key) n USING (_key)
                    WHERE {_in_scope(config)}""")
    line_fields = ", ".join(f"{sql} AS {quote_ident(f)}" for f, sql in m.line.items())
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {lines} AS
                    SELECT _key, line_no, account_no, tax_code, {line_fields} FROM {_LINES}
                    WHERE _key IN (SELECT _key FROM {work})""")
    records_in = scalar_int(con, f"SELECT count(*) FROM {work}")
    create_findings(con)
    find_failures(con, work, _header_checks(config, m, work), "r._key")
    find_iban_failures(con, work, header_model(system))
    _check_lines(con, config, m)
    move_to_rejects(con, work, run_id=run.run_id, target=TARGET, entity=system, rejects=_PENDING_REJECTS)
    records_out = scalar_int(con, f"SELECT count(*) FROM {work}")
    _build_out(con, config, m)
    changed = _changed_records(con, system)
    return TableResult(table=f"{SCHEMA}.{system}", loaded=changed, unchanged=records_out - changed,
                       rejected=records_in - records_out)


def _header_checks(config: SystemConfig, m: SystemMapping, work: str) -> list[Check]:
    model = header_model(config.system)
    checks = [*model_checks(model, config.label, set(m.header), m.missing, code_prefix="maesn.documents"),
              *m.checks, has_lines(),
              *receipt_checks(config.label, needs_receipt(config.system)),
              Check("_key", f"_key IN (SELECT _key FROM {work} GROUP BY _key HAVING count(*) > 1)",
                    "'the document number ''' || _key || ''' occurs more than once'",
                    "make the document number unique in the ERP", "_key", code="maesn.documents.duplicate_number")]
    if "addresses" in model.model_fields:
        checks += address_checks(config.label)
    return checks


def _check_lines(con: duckdb.DuckDBPyConnection, config: SystemConfig, m: SystemMapping) -> None:
    """Check every line; a failing line becomes a finding of its document, field `lineItems.<field>`."""
    lines = _work_lines(config.system)
    create_findings(con, _LINE_FINDINGS)
    checks = [*model_checks(line_model(config.system), config.label, set(m.line), m.line_missing,
                           code_prefix="maesn.lines"), *m.line_checks]
    find_failures(con, lines, checks, "r._key", findings=_LINE_FINDINGS)
    con.execute(f"""INSERT INTO _findings
                    SELECT h.rowid, f.record_key, 'lineItems.' || f.field, f.value,
                           'line ' || coalesce(CAST(l.line_no AS VARCHAR), '?') || ': ' || f.reason, f.fix, f.code
                    FROM {_LINE_FINDINGS} f JOIN {lines} l ON l.rowid = f.rid
                    JOIN {_work(config.system)} h ON h._key = l._key""")


def _build_out(con: duckdb.DuckDBPyConnection, config: SystemConfig, m: SystemMapping) -> None:
    """The proposals as the push sends them: one STRUCT or LIST column per multipart part."""
    system = config.system
    line_struct = "{" + ", ".join(f"{sql_literal(f)}: l.{quote_ident(f)}" for f in m.line) + "}"
    # sorting each list afterwards by a leading sort key is faster than list(... ORDER BY ...)
    line_items = f"list_transform(list_sort(list({{'o': l.line_no, 's': {line_struct}}})), x -> x.s)"
    members = []
    for name in header_model(system).model_fields:
        if name in m.header:
            members.append(f"{sql_literal(name)}: h.{quote_ident(name)}")
        elif name == "addresses":
            members.append("'addresses': CASE WHEN nullif(h.contact_city, '') IS NOT NULL "
                           "THEN [{'city': h.contact_city}] END")
        elif name == "lineItems":
            members.append("'lineItems': l.lineItems")
    columns = ["h._key", "h._company_code", "h.booking_type", "{" + ", ".join(members) + "} AS booking_proposal",
               "CASE WHEN h.file_sha256 IS NOT NULL "
               "THEN [{'name': h.file_name, 'sha256': h.file_sha256, 'mime_type': h.file_mime_type}] END AS files"]
    if config.folder_management:
        parts = ", ".join(f"{sql_literal(k)}: {sql_literal(config.folder_management.get(k))}::VARCHAR"
                          for k in ("category", "folder", "register"))
        columns.append("{" + parts + "} AS folder_management")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_out(system)} AS
                    SELECT {', '.join(columns)}
                    FROM {_work(system)} h
                    JOIN (SELECT _key, {line_items} AS lineItems FROM {_work_lines(system)} l GROUP BY _key) l
                      USING (_key)
                    ORDER BY h._key""")


def _changed_records(con: duckdb.DuckDBPyConnection, system: str) -> int:
    """Records new or different since the last transform; all of them the first time (or after a change of shape)."""
    changed = count_changed(con, _out(system), SCHEMA, system)
    return scalar_int(con, f"SELECT count(*) FROM {_out(system)}") if changed is None else changed
