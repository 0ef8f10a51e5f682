"""References between canonical entities: `map` sets aside a record whose referenced record is not in `erp`.

The references are declared once, in the canonical model (`canonical.Reference`). Entities are mapped
parents first (`mapping_order`), so a check reads the parent's rows as this run left them, whether
the parent was evaluated in full or only its changed rows were. A record whose parent is missing goes
to `erpload.rejects` naming the missing key, or the ERP's id of the missing record when the profile
returns it as `<column>__erp_id` beside a LEFT JOIN; a line whose header was itself set aside says so.
One anti-join per reference over the staged rows: cheap at a million rows.

Held-back records are remembered in `erpload.map_held` with the key they miss. In incremental mode a
record whose ERP rows did not change is not evaluated again, so when a missing parent arrives (its row
in `erp` was written by this run) or a parent is deleted, the entity is evaluated in full instead.
"""

from __future__ import annotations

import re

import duckdb

from erpload import canonical
from erpload.canonical import Entity, Reference
from erpload.rejects import rejects_sql
from erpload.staging import FRAMEWORK_SCHEMA, scalar_int, sql_literal
from erpload.staging import quote_ident as quote

HELD = f"{FRAMEWORK_SCHEMA}.map_held"
_ORPHANS = "_orphans"  # temp: (rid, ref index, how) of the staged rows that miss a parent


def ensure_held_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {HELD} (
                    profile VARCHAR NOT NULL, entity VARCHAR NOT NULL, erp_id VARCHAR,
                    parent VARCHAR NOT NULL, parent_key VARCHAR)""")


def mapping_order(entities: list[Entity]) -> list[Entity]:
    """`entities` with every referenced entity before the ones referring to it (else model order)."""
    names = {e.name for e in entities}
    done: list[Entity] = []
    seen: set[str] = set()

    def visit(ent: Entity, path: tuple[str, ...]) -> None:
        if ent.name in seen:
            return
        if ent.name in path:
            raise ValueError(f"reference cycle in the canonical model: {' -> '.join((*path, ent.name))}")
        for ref in ent.references:
            if ref.entity in names and ref.entity != ent.name:
                visit(canonical.entity(ref.entity), (*path, ent.name))
        seen.add(ent.name)
        done.append(ent)

    for ent in entities:
        visit(ent, ())
    return done


def checked_references(ent: Entity, mapped: set[str]) -> list[Reference]:
    """The entity's references whose parent the profile maps (a parent it does not map cannot be checked)."""
    return [r for r in ent.references if r.entity in mapped and r.entity != ent.name]


def erp_id_columns(ent: Entity) -> list[str]:
    """The optional `<column>__erp_id` columns a profile may return for this entity."""
    return list(dict.fromkeys(r.erp_id_column for r in ent.references))


def _key_text(alias: str, columns: tuple[str, ...]) -> str:
    """A key as `erpload.rejects.record_key` spells it: the values joined by '/'."""
    return " || '/' || ".join(f"coalesce(CAST({alias}.{quote(c)} AS VARCHAR), '')" for c in columns)


def _describe(ref: Reference, alias: str) -> str:
    """SQL for "customer 70001 of company 1000" (or "company 1000", "currency USD")."""
    what = f"'{ref.label} ' || {alias}.{quote(ref.column)}"
    if len(ref.columns) > 1 and ref.columns[0] == "company_code":
        what += f" || ' of company ' || {alias}.company_code"
    return what


def reject_orphans(con: duckdb.DuckDBPyConnection, rows: str, ent: Entity, refs: list[Reference],
                   staged_columns: set[str], *, profile: str, run_id: str, target: str, schema: str) -> int:
    """Move the staged rows in `rows` whose referenced record is missing to the rejects; returns how many.

    Two ways a parent is missing: the profile's LEFT JOIN found no ERP record (the column is empty and
    `<column>__erp_id` holds the ERP's id), or the key is set but `erp` has no such record (it is missing
    in the ERP's output or was set aside itself, which the reason then says)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_ORPHANS} (rid BIGINT, ref INTEGER, by_erp_id BOOLEAN)")
    for i, ref in enumerate(refs):
        when = f" AND ({ref.when})" if ref.when else ""
        if ref.erp_id_column in staged_columns:
            con.execute(f"INSERT INTO {_ORPHANS} SELECT rowid, {i}, true FROM {rows} "
                        f"WHERE {quote(ref.column)} IS NULL AND {quote(ref.erp_id_column)} IS NOT NULL{when}")
        parent = canonical.entity(ref.entity)
        match = " AND ".join(f"p.{quote(k)} = v.{quote(c)}" for k, c in zip(parent.key, ref.columns, strict=True))
        present = " AND ".join(f"v.{quote(c)} IS NOT NULL" for c in ref.columns)
        con.execute(f"INSERT INTO {_ORPHANS} SELECT v.rowid, {i}, false FROM {rows} v "
                    f"ANTI JOIN {schema}.{quote(parent.name)} p ON {match} WHERE {present}{when}")
    if not scalar_int(con, f"SELECT count(*) FROM {_ORPHANS}"):
        return 0

    key_text = _key_text("v", ent.key)
    record = "to_json({" + ", ".join(f"{quote(c.name)}: v.{quote(c.name)}" for c in ent.columns
                                     if c.type != canonical.BYTES) + "})"
    for i, ref in enumerate(refs):
        parent = canonical.entity(ref.entity)
        parent_key = _key_text("v", ref.columns)
        erp_id = f"v.{quote(ref.erp_id_column)}" if ref.erp_id_column in staged_columns else "NULL"
        set_aside = (f"EXISTS (SELECT 1 FROM {FRAMEWORK_SCHEMA}.rejects r WHERE r.target = {sql_literal(target)} "
                     f"AND r.entity = {sql_literal(parent.name)} AND r.record_key = {parent_key})")
        reason = f"""CASE WHEN o.by_erp_id THEN
                         'the {ref.label} with ERP id ' || {erp_id} || ' does not exist in the ERP'
                     WHEN {set_aside} THEN
                         {_describe(ref, 'v')} || ' was set aside by map (its own reject says why), so this '
                         || 'record is too'
                     ELSE {_describe(ref, 'v')} || ' does not exist in erp.{parent.name}' END"""
        fix = f"""CASE WHEN o.by_erp_id OR NOT {set_aside} THEN
                       'create the {ref.label} in the ERP or correct the {ref.column} of this record'
                   ELSE 'fix the {ref.label}''s own reject; this record follows it on the next map' END"""
        what = re.sub("[^a-z0-9]+", "_", ref.label.lower())  # "G/L account" -> g_l_account
        code = f"""CASE WHEN o.by_erp_id OR NOT {set_aside} THEN {sql_literal(f"{target}.reference.missing_{what}")}
                        ELSE {sql_literal(f"{target}.reference.set_aside_{what}")} END"""
        value = f"CASE WHEN o.by_erp_id THEN 'ERP id ' || {erp_id} ELSE CAST(v.{quote(ref.column)} AS VARCHAR) END"
        failing = (f"FROM (SELECT DISTINCT rid, by_erp_id FROM {_ORPHANS} WHERE ref = {i}) o "
                   f"JOIN {rows} v ON v.rowid = o.rid")
        con.execute(rejects_sql(run_id, target, ent.name, record_key=key_text, field=sql_literal(ref.column),
                                value=value, reason=reason, fix=fix, record=record, code=code, source=failing))
        con.execute(f"""INSERT INTO {HELD}
                        SELECT {sql_literal(profile)}, {sql_literal(ent.name)}, v.erp_id, {sql_literal(parent.name)},
                               CASE WHEN o.by_erp_id THEN NULL ELSE {parent_key} END {failing}""")
    con.execute(f"DELETE FROM {rows} WHERE rowid IN (SELECT rid FROM {_ORPHANS})")
    rejected = scalar_int(con, f"SELECT count(DISTINCT rid) FROM {_ORPHANS}")
    con.execute(f"DROP TABLE {_ORPHANS}")
    return rejected


def forget_held(con: duckdb.DuckDBPyConnection, rows: str, profile: str, ent: Entity, *, full: bool) -> None:
    """Drop the held-back records this evaluation looks at again: all in full mode, else the staged ones."""
    scope = "" if full else f" AND erp_id IN (SELECT erp_id FROM {rows})"
    con.execute(f"DELETE FROM {HELD} WHERE profile = {sql_literal(profile)} AND entity = {sql_literal(ent.name)}"
                + scope)


def parent_arrived(con: duckdb.DuckDBPyConnection, profile: str, ent: Entity, refs: list[Reference],
                   run_id: str, schema: str) -> str | None:
    """The parent entity whose rows written by this run include a key a held-back record of `ent` missed."""
    held = f"{HELD} h WHERE h.profile = {sql_literal(profile)} AND h.entity = {sql_literal(ent.name)}"
    if not scalar_int(con, f"SELECT count(*) FROM {held} AND h.parent_key IS NOT NULL"):
        return None
    for parent_name in dict.fromkeys(r.entity for r in refs):
        parent = canonical.entity(parent_name)
        arrived = (f"SELECT count(*) FROM {held} AND h.parent = {sql_literal(parent_name)} AND h.parent_key IN "
                   f"(SELECT {_key_text('p', parent.key)} FROM {schema}.{quote(parent_name)} p "
                   f"WHERE p._run_id = {sql_literal(run_id)})")
        if scalar_int(con, arrived):
            return parent_name
    return None
