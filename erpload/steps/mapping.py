"""`erpload map`: erp_raw → the canonical dataset `erp`, per the profile's SQL, merged by business key.

Per entity, the profile's SQL is checked against the canonical model, evaluated once into a typed
table with a hash of each row, and merged with what `erp` holds: new and changed rows are written,
unchanged rows are left alone. A plain select-join is evaluated only for rows whose erp_raw inputs
changed since the last map (see `incremental_sql`); otherwise, or with `full`, in full, which also
deletes rows gone from the profile's output. All entities are mapped in one transaction, so a
profile error leaves `erp` exactly as it was.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from erpload import canonical, progress
from erpload.canonical import Entity
from erpload.errors import ProfileError, StagingError
from erpload.process import freeze_startup_objects
from erpload.profiles import Profile
from erpload.raw_names import RAW_DATASET
from erpload.rejects import clear_judged_fine, rejects_sql
from erpload.runs import Run, TableResult
from erpload.staging import FRAMEWORK_SCHEMA, connect, ensure_framework_tables, existing_tables, sql_literal
from erpload.staging import quote_ident as quote
from erpload.steps.conversions import companion, record_unconverted, try_casts
from erpload.steps.data_rules import RowCheck, normalise, row_checks
from erpload.steps.incremental_sql import input_tables, restrict_to_changes
from erpload.steps.model_check import check_output_shape, sql_failure
from erpload.steps.references import (
    checked_references,
    ensure_held_table,
    erp_id_columns,
    forget_held,
    mapping_order,
    parent_arrived,
    reject_orphans,
)
from erpload.steps.reload import reloaded_since
from erpload.wording import plural

CANONICAL_DATASET = "erp"
TARGET = "erp"
_ROWS = "_map_rows"  # temp table: one entity's rows, typed, with _row_hash
_TOUCHED = "_touched"  # temp table (incremental): the canonical rows the staged rows meet, by key or erp_id
_STAGED_IDS = "_staged_ids"  # temp table (incremental): erp_id of every staged row, set aside or not


@dataclass(frozen=True)
class _Plan:
    entity: Entity
    sql: str
    incremental: bool  # only rows whose inputs changed: nothing can be found deleted
    skip: bool = False  # no input table received a load since the last map

    @property
    def target(self) -> str:
        return f"{CANONICAL_DATASET}.{quote(self.entity.name)}"

    @property
    def key_match(self) -> str:
        return " AND ".join(f"t.{quote(k)} = v.{quote(k)}" for k in self.entity.key)


def _stage_rows(con: duckdb.DuckDBPyConnection, profile: Profile, plan: _Plan) -> tuple[list[str], list[str]]:
    """Evaluate the entity's SQL once, cast to the canonical types, with a hash of each row.

    Returns the `<column>__erp_id` columns the SQL returns beside the canonical ones (see
    `canonical.Reference`) and the `<column>__unconverted` ones (see `conversions`): staged after the
    canonical columns, dropped before the merge."""
    ent = plan.entity
    returned = check_output_shape(con, profile, ent, plan.sql)
    companions = [c for c in erp_id_columns(ent) if c in returned]
    unconverted = [companion(c) for c in ent.column_names if companion(c) in returned]
    cast = ", ".join([f"CAST({quote(c.name)} AS {c.type}) AS {quote(c.name)}" for c in ent.columns]
                     + [f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in companions + unconverted])
    cols = ", ".join(quote(c) for c in ent.column_names)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_ROWS} AS SELECT *, hash({cols}) AS _row_hash "
                    f"FROM (SELECT {cast} FROM ({plan.sql}) q)")
    except duckdb.Error as exc:
        raise sql_failure(profile, ent, exc) from exc
    _check_allowed_values(con, profile, ent)
    return companions, unconverted


def _check_allowed_values(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity) -> None:
    """A column with a closed domain (a document's status) takes no other value: the profile must translate.

    A profile error, not a reject: an unknown status is a mapping the profile lacks, and booking or
    dropping such documents by guess is how drafts end up in the books."""
    for col in ent.columns:
        if not col.allowed:
            continue
        allowed = ", ".join(sql_literal(v) for v in col.allowed)
        row = con.execute(f"SELECT count(*), string_agg(DISTINCT {quote(col.name)}, ', ' ORDER BY {quote(col.name)}) "
                          f"FROM {_ROWS} WHERE {quote(col.name)} NOT IN ({allowed})").fetchone()
        if row and row[0]:
            raise ProfileError(
                f"{plural(row[0], 'row', verb=('has', 'have'))} a value outside {', '.join(col.allowed)}: {row[1]}",
                profile=profile.name, entity=ent.name, column=col.name, path=profile.path,
                hint=f"translate the ERP's values in the sql of [entities.{ent.name}], e.g. CASE <erp column> "
                     f"WHEN 'cancel' THEN 'cancelled' ... END AS {col.name} (`erpload model` says what each value "
                     "means)")


def _reject_checks(plan: _Plan) -> list[RowCheck]:
    """(condition on row v, field, value, reason, fix) per check, as SQL expressions, and its reason code."""
    ent = plan.entity
    keys = ", ".join(quote(k) for k in ent.key)
    key_label = "/".join(ent.key)
    checks: list[RowCheck] = [
        (f"v.{quote(c.name)} IS NULL", f"'{c.name}'", "NULL",
         f"'{'key' if c.name in ent.key else 'required'} column {c.name} is empty'",
         f"'fill {c.name} in the ERP, or map it in the profile''s SQL for {ent.name}'",
         f"{TARGET}.{'key' if c.name in ent.key else 'required'}.{c.name}")
        for c in ent.columns if not c.nullable
    ]
    fix_key = "'make the key unique in the ERP (e.g. a renumbered document), or fix the profile''s join'"
    checks.append((f"count(*) OVER (PARTITION BY {keys}) > 1", f"'{key_label}'", "NULL",
                   f"'duplicate key: ' || count(*) OVER (PARTITION BY {keys}) || ' rows share this {key_label}'",
                   fix_key, f"{TARGET}.duplicate_key"))
    if plan.incremental:
        # only changed rows are staged: a key clash with a row mapped earlier must be caught too
        # (_touched holds every canonical row that shares a key with a staged row)
        checks.append((f"EXISTS (SELECT 1 FROM {_TOUCHED} t WHERE {plan.key_match} AND t.erp_id <> v.erp_id)",
                       f"'{key_label}'", "NULL", f"'duplicate key: another ERP record already holds this {key_label}'",
                       fix_key, f"{TARGET}.duplicate_key"))
    return checks + row_checks(ent)


def _key_text(ent: Entity) -> str:
    """A row's record_key in rejects, over alias `v`: its key columns joined by '/'."""
    return " || '/' || ".join(f"coalesce(CAST(v.{quote(k)} AS VARCHAR), '')" for k in ent.key)


def _reject_invalid_rows(con: duckdb.DuckDBPyConnection, plan: _Plan, run_id: str) -> int:
    """Move rows with an empty key or required column, or a duplicate key, into the rejects table."""
    ent = plan.entity
    keys = ", ".join(quote(k) for k in ent.key)
    required = [f"{quote(c.name)} IS NULL" for c in ent.columns if not c.nullable]
    # one cheap pass finds the few suspects; the detailed checks below only look at those
    suspects = [f"SELECT rowid FROM {_ROWS} WHERE {' OR '.join(required)}"] if required else []
    if value_checks := row_checks(ent):
        suspects.append(f"SELECT rowid FROM {_ROWS} v WHERE {' OR '.join(f'({c[0]})' for c in value_checks)}")
    dup_match = " AND ".join(f"v.{quote(k)} IS NOT DISTINCT FROM d.{quote(k)}" for k in ent.key)
    suspects.append(f"SELECT v.rowid FROM {_ROWS} v SEMI JOIN "
                    f"(SELECT {keys} FROM {_ROWS} GROUP BY ALL HAVING count(*) > 1) d ON {dup_match}")
    if plan.incremental:
        suspects.append(f"SELECT v.rowid FROM {_ROWS} v JOIN {_TOUCHED} t ON {plan.key_match} "
                        "WHERE t.erp_id <> v.erp_id")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _suspects AS {' UNION '.join(suspects)}")
    row = con.execute("SELECT count(*) FROM _suspects").fetchone()
    if not row or not row[0]:
        return 0

    con.execute(f"CREATE OR REPLACE TEMP TABLE _suspect_rows AS SELECT rowid AS rid, * FROM {_ROWS} "
                "WHERE rowid IN (SELECT rowid FROM _suspects)")
    key_text = _key_text(ent)
    record = "to_json({" + ", ".join(f"{quote(c.name)}: v.{quote(c.name)}" for c in ent.columns
                                     if c.type != canonical.BYTES) + "})"
    con.execute("CREATE OR REPLACE TEMP TABLE _bad_rows (rid BIGINT)")
    for cond, field, value, reason, fix, code in _reject_checks(plan):
        # window functions cannot sit in WHERE: evaluate each condition in a subquery first
        hits = f"SELECT v.rid, {key_text} AS k, {value} AS value, {reason} AS reason, {record} AS rec, " \
               f"({cond}) AS hit FROM _suspect_rows v"
        con.execute(rejects_sql(run_id, TARGET, ent.name, record_key="k", field=field, value="value",
                                reason="reason", fix=fix, record="rec", code=sql_literal(code),
                                source=f"FROM ({hits}) WHERE hit"))
        con.execute(f"INSERT INTO _bad_rows SELECT rid FROM ({hits}) WHERE hit")
    con.execute(f"DELETE FROM {_ROWS} WHERE rowid IN (SELECT rid FROM _bad_rows)")
    row = con.execute("SELECT count(DISTINCT rid) FROM _bad_rows").fetchone()
    return int(row[0]) if row else 0


def _merge_full(con: duckdb.DuckDBPyConnection, plan: _Plan, run_id: str) -> tuple[int, int, int]:
    """Full mode: write new and changed rows, delete vanished ones; returns (loaded, unchanged, deleted)."""
    target, key_match = plan.target, plan.key_match
    same_row = f"SELECT 1 FROM {target} t WHERE {key_match} AND t._row_hash = v._row_hash"
    row = con.execute(
        f"""SELECT (SELECT count(*) FROM {_ROWS} v WHERE NOT EXISTS ({same_row})),
                   (SELECT count(*) FROM {_ROWS} v WHERE EXISTS ({same_row})),
                   (SELECT count(*) FROM {target} t WHERE NOT EXISTS (SELECT 1 FROM {_ROWS} v WHERE {key_match}))"""
    ).fetchone()
    loaded, unchanged, deleted = (int(x) for x in row) if row else (0, 0, 0)
    if loaded or deleted:
        con.execute(f"DELETE FROM {target} t WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {_ROWS} v WHERE {key_match} AND t._row_hash = v._row_hash)")
        _insert_new(con, plan, run_id)
    return loaded, unchanged, deleted


def _collect_touched(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    """Pull out the few canonical rows the staged rows meet, by business key or by erp_id.

    Rejects and the merge below compare against these instead of the whole canonical table. Narrow
    and in one scan on purpose: reading the whole canonical table is what costs here.
    """
    keys = [quote(k) for k in plan.entity.key]
    narrow = ", ".join(["t.rowid AS rid", "t.erp_id", "t._row_hash", *(f"t.{k}" for k in keys)])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_TOUCHED} AS SELECT {narrow} FROM {plan.target} t
                    WHERE t.erp_id IN (SELECT erp_id FROM {_ROWS})
                       OR ({", ".join(f"t.{k}" for k in keys)}) IN (SELECT ({", ".join(keys)}) FROM {_ROWS})""")


def _merge_changes(con: duckdb.DuckDBPyConnection, plan: _Plan, run_id: str) -> tuple[int, int, int]:
    """Incremental mode: write the changed rows; rows not staged are unchanged by construction.

    A record whose business key changed in the ERP arrives under its new key; its row under the
    old key (same erp_id) is deleted. So is the row of a record whose new version was set aside: a
    full recompute would not keep the old version either, and nothing may book it. The comparisons
    join the staged rows with `_touched` (see
    `_collect_touched`), small tables both, instead of the whole canonical table.
    """
    target, key_match = plan.target, plan.key_match
    # equality joins with the inequality in WHERE: an inequality in ON makes DuckDB loop over pairs
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _stale AS
                    SELECT t.rid, false AS rekeyed FROM {_TOUCHED} t JOIN {_ROWS} v ON {key_match}
                        WHERE t._row_hash <> v._row_hash
                    UNION SELECT t.rid, true FROM {_TOUCHED} t JOIN {_ROWS} v ON v.erp_id = t.erp_id
                        WHERE NOT ({key_match})
                    UNION SELECT t.rid, true FROM {_TOUCHED} t SEMI JOIN {_STAGED_IDS} s ON s.erp_id = t.erp_id
                        ANTI JOIN {_ROWS} v ON v.erp_id = t.erp_id""")
    new_rows = f"SELECT v.* FROM {_ROWS} v ANTI JOIN {_TOUCHED} t ON {key_match} AND t._row_hash = v._row_hash"
    row = con.execute(f"SELECT (SELECT count(*) FROM ({new_rows})), "
                      "(SELECT count(DISTINCT rid) FROM _stale WHERE rekeyed)").fetchone()
    loaded, rekeyed = (int(row[0]), int(row[1])) if row else (0, 0)
    if loaded or rekeyed:
        con.execute(f"DELETE FROM {target} WHERE rowid IN (SELECT rid FROM _stale)")
        con.execute(f"INSERT INTO {target} SELECT *, {sql_literal(run_id)} FROM ({new_rows})")
    total = con.execute(f"SELECT count(*) FROM {target}").fetchone()
    con.execute(f"DROP TABLE {_TOUCHED}")
    con.execute(f"DROP TABLE {_STAGED_IDS}")
    con.execute("DROP TABLE _stale")
    return loaded, (int(total[0]) if total else 0) - loaded, rekeyed


def _insert_new(con: duckdb.DuckDBPyConnection, plan: _Plan, run_id: str) -> None:
    con.execute(f"INSERT INTO {plan.target} SELECT v.*, {sql_literal(run_id)} FROM {_ROWS} v WHERE NOT EXISTS "
                f"(SELECT 1 FROM {plan.target} t WHERE {plan.key_match})")


def _latest_load_id(con: duckdb.DuckDBPyConnection) -> str | None:
    if "_dlt_loads" not in existing_tables(con, RAW_DATASET):
        return None
    row = con.execute(f"SELECT max(load_id) FROM {RAW_DATASET}._dlt_loads WHERE status = 0").fetchone()
    return str(row[0]) if row and row[0] is not None else None


def _sql_hash(sql: str) -> str:
    return hashlib.sha256(" ".join(sql.split()).encode()).hexdigest()


def _plan(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity, full: bool,
          newest: dict[str, str] | None, mapped_before: set[str]) -> _Plan:
    """Evaluate only changed inputs when the last map saw the same SQL and the SQL allows it."""
    sql = try_casts(profile.entity_sql[ent.name])
    if full or ent.name not in mapped_before or not _table_exists(con, ent):
        return _Plan(ent, sql, False)
    state = con.execute(f"SELECT sql_hash, last_load_id FROM {FRAMEWORK_SCHEMA}.map_state "
                        f"WHERE profile = {sql_literal(profile.name)} AND entity = {sql_literal(ent.name)}"
                        ).fetchone()
    if not state or state[0] != _sql_hash(profile.entity_sql[ent.name]) or state[1] is None:
        return _Plan(ent, sql, False)
    inputs = input_tables(sql, RAW_DATASET)
    if newest is not None and inputs is not None and all(t in newest and newest[t] <= str(state[1]) for t in inputs):
        return _Plan(ent, sql, True, skip=True)
    changed = None if newest is None else {t for t, load in newest.items() if load > str(state[1])}
    restricted = restrict_to_changes(sql, str(state[1]), RAW_DATASET, changed)
    return _Plan(ent, restricted, True) if restricted else _Plan(ent, sql, False)


def _newest_loads(con: duckdb.DuckDBPyConnection, watermark: str | None) -> dict[str, str] | None:
    """erp_raw table → the newest load that wrote rows into it ("" if none), as extract recorded it.

    None when the newest load in erp_raw is not one extract recorded (erp_raw was loaded some other
    way): then any table may have changed.
    """
    if watermark is None:
        return None
    rows = con.execute(
        f"""SELECT replace(table_name, '{RAW_DATASET}.', ''), coalesce(max(load_id) FILTER (loaded > 0), ''),
                   max(load_id)
            FROM {FRAMEWORK_SCHEMA}.runs WHERE command = 'extract' AND status = 'ok' AND load_id IS NOT NULL
            GROUP BY ALL""").fetchall()
    if not rows or max(str(r[2]) for r in rows) < watermark:
        return None
    return {str(t): str(newest) for t, newest, _ in rows}


def _model_changed(con: duckdb.DuckDBPyConnection, ent: Entity) -> bool:
    """The staged table's columns are not the entity's (a newer erpload added, dropped or moved one)."""
    staged = [str(r[0]) for r in con.execute(
        f"SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() "
        f"AND table_schema = {sql_literal(CANONICAL_DATASET)} AND table_name = {sql_literal(ent.name)} "
        "ORDER BY ordinal_position").fetchall()]
    return staged != canonical.table_columns(ent)


def _table_exists(con: duckdb.DuckDBPyConnection, ent: Entity) -> bool:
    return ent.name in existing_tables(con, CANONICAL_DATASET)


def _must_recheck(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity, mapped: set[str],
                  results: dict[str, TableResult], run: Run) -> bool:
    """Whether held-back or kept rows of `ent` may have gained or lost a parent this run (see `references`).

    Incremental mode only evaluates rows whose ERP inputs changed; a parent that arrived in `erp` (fixed
    in the ERP, or no longer set aside) or was deleted there changes nothing in the child's inputs."""
    refs = checked_references(ent, mapped)
    deleted = sorted({r.entity for r in refs if results.get(r.entity) and results[r.entity].deleted})
    arrived = None if deleted else parent_arrived(con, profile.name, ent, refs, run.run_id, CANONICAL_DATASET)
    if not deleted and not arrived:
        return False
    why = (f"{', '.join(deleted)} lost records" if deleted
           else f"a {arrived} record that held back some of its records is now in {CANONICAL_DATASET}.{arrived}")
    run.note(f"{CANONICAL_DATASET}.{ent.name} was evaluated in full: {why}")
    return True


def _reads_reloaded(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity, reloads: dict[str, str],
                    run: Run) -> bool:
    """Whether `ent` reads an erp_raw table reloaded since its last map (`erpload extract --reload`).

    Rows deleted in the ERP vanish from erp_raw with a reload; an incremental map only sees rows that
    arrived, so such an entity is evaluated in full, which deletes its rows that are gone."""
    row = con.execute(f"SELECT last_load_id FROM {FRAMEWORK_SCHEMA}.map_state "
                      f"WHERE profile = {sql_literal(profile.name)} AND entity = {sql_literal(ent.name)}").fetchone()
    if not reloads or not row:
        return False  # never mapped: evaluated in full anyway
    last = str(row[0] or "")
    inputs = input_tables(profile.entity_sql[ent.name], RAW_DATASET)
    hit = sorted(t for t, load in reloads.items() if load > last and (inputs is None or t in inputs))
    if hit:
        run.note(f"{CANONICAL_DATASET}.{ent.name} was evaluated in full: "
                 f"{', '.join(f'{RAW_DATASET}.{t}' for t in hit)} was reloaded")
    return bool(hit)


def _map_entity(con: duckdb.DuckDBPyConnection, profile: Profile, ent: Entity, full: bool,
                newest: dict[str, str] | None, mapped_before: set[str], run: Run,
                mapped: set[str], results: dict[str, TableResult], reloads: dict[str, str]) -> TableResult:
    started = time.perf_counter()
    if not full and ent.name in mapped_before and _reads_reloaded(con, profile, ent, reloads, run):
        full = True
    if not full and ent.name in mapped_before and _must_recheck(con, profile, ent, mapped, results, run):
        full = True
    if ent.name in mapped_before and _model_changed(con, ent):
        # rows are inserted by position: an old table is rebuilt from erp_raw rather than half-fitted
        con.execute(f"DROP TABLE {CANONICAL_DATASET}.{ent.name}")
        mapped_before = mapped_before - {ent.name}
        run.note(f"{CANONICAL_DATASET}.{ent.name} was mapped anew in full: erpload's canonical model of it changed "
                 "since the staging file was written")
    plan = _plan(con, profile, ent, full, newest, mapped_before)
    if plan.skip:
        total = con.execute(f"SELECT count(*) FROM {plan.target}").fetchone()
        return TableResult(table=f"{CANONICAL_DATASET}.{ent.name}", unchanged=int(total[0]) if total else 0,
                           duration_s=time.perf_counter() - started)
    companions, unconverted = _stage_rows(con, profile, plan)
    normalise(con, _ROWS, ent, run, f"{CANONICAL_DATASET}.{ent.name}")
    con.execute(canonical.create_table_sql(ent, CANONICAL_DATASET))
    if plan.incremental:
        _collect_touched(con, plan)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_STAGED_IDS} AS SELECT DISTINCT erp_id FROM {_ROWS}")
    forget_held(con, _ROWS, profile.name, ent, full=not plan.incremental)
    unconvertible = record_unconverted(con, _ROWS, ent, unconverted, run.run_id, TARGET)
    if unconvertible:
        run.note(f"{CANONICAL_DATASET}.{ent.name}: {plural(unconvertible, 'record')} with a value that does not "
                 "convert to its canonical type (set aside where the column is required, else loaded with it empty); "
                 "see erpload.rejects")
    rejected = unconvertible + reject_orphans(con, _ROWS, ent, checked_references(ent, mapped), set(companions),
                              profile=profile.name, run_id=run.run_id, target=TARGET, schema=CANONICAL_DATASET)
    for column in companions:
        con.execute(f"ALTER TABLE {_ROWS} DROP COLUMN {quote(column)}")
    rejected += _reject_invalid_rows(con, plan, run.run_id)
    clear_judged_fine(con, _ROWS, _key_text(ent), run_id=run.run_id, target=TARGET, entity=ent.name)
    merge = _merge_changes if plan.incremental else _merge_full
    loaded, unchanged, deleted = merge(con, plan, run.run_id)
    con.execute(f"DROP TABLE {_ROWS}")
    return TableResult(table=f"{CANONICAL_DATASET}.{ent.name}", loaded=loaded, unchanged=unchanged,
                       rejected=rejected, deleted=deleted, duration_s=time.perf_counter() - started)


def _note_unchecked_references(mapped: list[Entity], names: set[str], run: Run) -> None:
    """A reference to an entity the profile does not map cannot be checked: say which, once per run."""
    unchecked = sorted({f"{ent.name}.{ref.column} -> {ref.entity}" for ent in mapped for ref in ent.references
                        if ref.entity not in names})
    if unchecked:
        run.note(f"references not checked, because the profile does not map the entity they refer to: "
                 f"{', '.join(unchecked)}")


def run_map(staging_path: Path, profile: Profile, run: Run, *, full: bool = False) -> list[str]:
    """Map every entity the profile defines; returns the canonical entities it does not define."""
    freeze_startup_objects()
    if not staging_path.exists():
        raise StagingError(f"the staging file {staging_path} does not exist yet",
                           hint="run `erpload extract` first, or point --staging (erpload.staging in .dlt/config.toml) "
                                "at the project's staging file")
    with connect(staging_path) as con:
        con.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ → TIMESTAMP casts keep UTC wall time
        ensure_framework_tables(con)
        ensure_held_table(con)
        watermark = _latest_load_id(con)
        newest = None if full else _newest_loads(con, watermark)
        mapped_before = existing_tables(con, CANONICAL_DATASET)
        reloads = {} if full else reloaded_since(con)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {CANONICAL_DATASET}")
            # entity by entity, so one entity's rows are in flight at a time; the transaction still
            # makes a failure in the last entity undo the first
            # parents first: a reference is checked against the parent's rows as this run left them
            mapped = mapping_order([ent for ent in canonical.ENTITIES if ent.name in profile.entity_sql])
            names = {ent.name for ent in mapped}
            _note_unchecked_references(mapped, names, run)
            results: dict[str, TableResult] = {}
            progress.expect_steps(len(mapped))
            for ent in mapped:
                progress.step(f"{CANONICAL_DATASET}.{ent.name}")
                results[ent.name] = _map_entity(con, profile, ent, full, newest, mapped_before, run, names, results,
                                                reloads)
                run.add(results[ent.name])
            if mapped:  # one statement for all entities: a statement costs more than its rows here
                con.execute(f"INSERT OR REPLACE INTO {FRAMEWORK_SCHEMA}.map_state VALUES " + ", ".join(
                    f"({sql_literal(profile.name)}, {sql_literal(ent.name)}, "
                    f"{sql_literal(_sql_hash(profile.entity_sql[ent.name]))}, {sql_literal(watermark)}, "
                    "now()::TIMESTAMP)" for ent in mapped))
            progress.step("committing")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            run.results.clear()  # nothing of this run was kept
            raise
    return [e.name for e in canonical.ENTITIES if e.name not in profile.entity_sql]
