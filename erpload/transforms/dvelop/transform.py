"""`erpload transform dvelop`: the canonical `erp` dataset -> the `dvelop` dataset, checked, bad records set aside.

One table per d.velop entity (`entities`), named as the API path. Each row is one request object:
`_key` (the upsert key's values joined with '/', unique, never NULL), `_company_code` (for
`--company` filters) and one column per d.velop field, typed so that `to_json` of the row without
the `_` columns and without NULL fields is the object the API documents. Purchase orders and goods
receipts carry their lines in `line_items`, a list of structs.

Every record is checked against its model (`models`): field constraints compiled to SQL, IBAN, BIC
and VAT ids with python-stdnum once per distinct value, the model's record rules and the references
(`rules`) in SQL. A failing record goes to `erpload.rejects` (target 'dvelop', entity = table,
record_key = `_key`) with the field, the value, the reason and the fix; a failing line holds back its
whole document. Tables are rebuilt in full each run and committed with their rejects in one
transaction; `loaded` counts the records that are new or changed since the last transform.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import duckdb

from erpload.runs import Run, TableResult
from erpload.staging import (
    FRAMEWORK_SCHEMA,
    connect,
    ensure_framework_tables,
    scalar_int,
)
from erpload.targets import require_canonical
from erpload.validation import (
    Check,
    count_changed,
    create_findings,
    field_checks,
    find_failures,
    move_to_rejects,
    quote_ident,
)

from .entities import Entity, Lines, entities
from .identifiers import find_identifier_failures
from .models import TARGET as TARGET_LABEL
from .models import Request
from .rules import record_rule_checks, unique

TARGET = "dvelop"
SCHEMA = "dvelop"
_PENDING_REJECTS = "_dvelop_rejects"
_LINE_FINDINGS = "_dvelop_line_findings"


def run_transform(staging: Path, run: Run) -> None:
    """Rebuild the `dvelop` dataset from `erp` in the staging file; per-table results go to `run`.

    The work happens in temp tables; only the outcome (the tables and their rejects) is written, in
    one transaction, so a failure leaves the dataset and `erpload.rejects` as they were.
    """
    with connect(staging) as con:
        require_canonical(con)
        ensure_framework_tables(con)
        transform(con, run)


def transform(con: duckdb.DuckDBPyConnection, run: Run) -> None:
    """`run_transform` on an open connection."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_PENDING_REJECTS} AS SELECT * FROM {FRAMEWORK_SCHEMA}.rejects "
                "LIMIT 0")
    all_entities = entities()
    for entity in all_entities:
        run.add_timed(partial(_transform_entity, con, entity, run))
    con.begin()
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.execute(f"INSERT INTO {FRAMEWORK_SCHEMA}.rejects BY NAME SELECT * FROM {_PENDING_REJECTS}")
        for entity in all_entities:
            table = f"{SCHEMA}.{entity.name}"
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {_out(entity)}")
            con.execute(f"ALTER TABLE {table} ALTER COLUMN _key SET NOT NULL")
            con.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (_key)")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        _drop_work_tables(con, all_entities)


def _work(entity: Entity) -> str:
    return f"_dvelop_{entity.name}"


def _out(entity: Entity) -> str:
    return f"_dvelop_{entity.name}_out"


def _lines(entity: Entity) -> str:
    return f"_dvelop_{entity.name}_lines"


def _drop_work_tables(con: duckdb.DuckDBPyConnection, all_entities: list[Entity]) -> None:
    """Temp tables outlive a command on a connection `erpload run` holds: leave none behind."""
    names = [_PENDING_REJECTS, _LINE_FINDINGS, "_findings", "_suspects", "_bad_groups"]
    for entity in all_entities:
        names += [_work(entity), _out(entity), _lines(entity)]
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _payload_fields(con: duckdb.DuckDBPyConnection, table: str, model: type[Request]) -> list[str]:
    """The model's fields the table has, in the model's order: the columns of the payload."""
    present = set(_columns(con, table))
    return [f for f in model.model_fields if f in present]


def _checks(con: duckdb.DuckDBPyConnection, table: str, model: type[Request], code_prefix: str) -> list[Check]:
    present = set(_columns(con, table))
    return ([c for c in field_checks(model, target=TARGET_LABEL, code_prefix=code_prefix) if c.field in present]
            + record_rule_checks(model))


def _transform_entity(con: duckdb.DuckDBPyConnection, entity: Entity, run: Run) -> TableResult:
    work = _work(entity)
    if entity.lines:
        _nest_lines(con, entity, entity.lines)
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {work} AS {entity.sql}")
    records_in = scalar_int(con, f"SELECT count(*) FROM {work}")
    create_findings(con)
    checks = [*_checks(con, work, entity.model, f"{TARGET}.{entity.name}"), *entity.rules,
              unique(work, "_key", "the record key")]
    find_failures(con, work, checks, "r._key")
    find_identifier_failures(con, work, entity.model, "r._key")
    if entity.lines:
        _check_lines(con, entity, entity.lines)
    move_to_rejects(con, work, run_id=run.run_id, target=TARGET, entity=entity.name, rejects=_PENDING_REJECTS)
    records_out = scalar_int(con, f"SELECT count(*) FROM {work}")
    columns = ["_key", "_company_code", *_payload_fields(con, work, entity.model)]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_out(entity)} AS "
                f"SELECT {', '.join(map(quote_ident, columns))} FROM {work} ORDER BY _key")
    changed = _changed_records(con, entity)
    return TableResult(table=f"{SCHEMA}.{entity.name}", loaded=changed, unchanged=records_out - changed,
                       rejected=records_in - records_out)


def _nest_lines(con: duckdb.DuckDBPyConnection, entity: Entity, lines: Lines) -> None:
    """The header rows with their lines (payload fields only) in `line_items`, ordered by line number."""
    table = _lines(entity)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {lines.sql}")
    fields = _payload_fields(con, table, lines.model)
    struct = "{" + ", ".join(f"{quote_ident(f)}: l.{quote_ident(f)}" for f in fields) + "}"
    # sorting each list afterwards by a leading sort key is 4x faster than list(... ORDER BY ...)
    ordered = f"list_transform(list_sort(list({{'o': l.line_no, 'i': l.id, 's': {struct}}})), x -> x.s)"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_work(entity)} AS
                    SELECT h.*, coalesce(l.line_items, []) AS line_items
                    FROM ({entity.sql}) h
                    LEFT JOIN (SELECT _key, {ordered} AS line_items FROM {table} l GROUP BY _key) l USING (_key)""")


def _check_lines(con: duckdb.DuckDBPyConnection, entity: Entity, lines: Lines) -> None:
    """Check every line; a failing line becomes a finding of its document, field `line_items.<field>`."""
    table = _lines(entity)
    create_findings(con, _LINE_FINDINGS)
    checks = [*_checks(con, table, lines.model, f"{TARGET}.{entity.name}.line_items"), *lines.rules,
              unique(table, "id", "the line id")]
    find_failures(con, table, checks, "r._key", findings=_LINE_FINDINGS)
    find_identifier_failures(con, table, lines.model, "r._key", findings=_LINE_FINDINGS)
    con.execute(f"""INSERT INTO _findings
                    SELECT h.rowid, f.record_key, 'line_items.' || f.field, f.value,
                           'line ' || coalesce(CAST(l.line_no AS VARCHAR), '?') || ': ' || f.reason, f.fix, f.code
                    FROM {_LINE_FINDINGS} f JOIN {table} l ON l.rowid = f.rid
                    JOIN {_work(entity)} h ON h._key = l._key""")


def _changed_records(con: duckdb.DuckDBPyConnection, entity: Entity) -> int:
    """Records new or different since the last transform; all of them the first time (or after a change of shape)."""
    changed = count_changed(con, _out(entity), SCHEMA, entity.name)
    return scalar_int(con, f"SELECT count(*) FROM {_out(entity)}") if changed is None else changed
