"""`erpload extract`: ERP tables into the DuckDB dataset `erp_raw`, incrementally, merged on primary key."""

from __future__ import annotations

import contextlib
import difflib
import re
import shutil
from pathlib import Path

import dlt
import duckdb
import sqlalchemy as sa
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.exceptions import PipelineStepFailed

from erpload import interrupts
from erpload.dlt_phases import DltPhases
from erpload.errors import ProfileError, SourceError, StagingError
from erpload.load_packages import drop_leftovers, keep_no_copies, sweep_loaded
from erpload.process import freeze_startup_objects
from erpload.profiles import Profile, TableSpec
from erpload.progress import Progress
from erpload.raw_names import RAW_DATASET, raw_name
from erpload.runs import Run, TableResult
from erpload.settings import Settings
from erpload.sources.erp import erp, has_nothing_new
from erpload.sources.erp.conformance import relax_nullability
from erpload.sources.erp.duckdb_scan import FALLBACK_BACKEND, ErpScan, open_scan
from erpload.sources.erp.empty_tables import create_table_ddl
from erpload.staging import connect, existing_tables, is_lock_error, lock_error
from erpload.steps import reload as reloading
from erpload.steps.erp_errors import CREDENTIALS_SETTING, connection_failure, missing_tables
from erpload.steps.extract_rejects import (
    clamp_cursors,
    clear_fixed_rows,
    incremental_state,
    note_rejects,
    probe_values,
    record_cursor_rejects,
    record_value_rejects,
    rejected_per_table,
    relax_staged_columns,
)

PIPELINE_NAME = "erpload_extract"


_URL_HINT = (f"set {CREDENTIALS_SETTING} to a SQLAlchemy URL such as postgresql://erp_reader@db-host:5432/erp "
             "(password after the user, separated by ':') or sqlite:///path/to/erp.sqlite")


def erp_engine(settings: Settings) -> sa.Engine:
    try:
        url = sa.make_url(settings.erp_url)
    except sa.exc.ArgumentError as exc:
        raise SourceError(f"'{settings.erp_url_for_humans}' is not a SQLAlchemy URL",
                          hint=_URL_HINT) from exc
    if url.drivername == "postgresql":
        # SQLAlchemy 2.1 picks psycopg 3 for a bare postgresql://; erpload ships psycopg2
        url = url.set(drivername="postgresql+psycopg2")
    # SQLite would silently create an empty database for a mistyped path
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not Path(url.database).exists():
        hint = ("run `erpload demo-erp create`" if settings.uses_demo_erp
                else f"check the path in {CREDENTIALS_SETTING}")
        raise SourceError(f"the SQLite ERP database {url.database} does not exist", hint=hint)
    try:
        # dlt keeps one connection open per table while it round-robins over them: no pool limit
        return sa.create_engine(url, poolclass=sa.pool.NullPool)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        raise SourceError(f"'{settings.erp_url_for_humans}' is not a usable SQLAlchemy URL: {exc}",
                          hint=_URL_HINT + "; the database's SQLAlchemy driver must be installed") from exc


def reflect_profile_tables(profile: Profile, engine: sa.Engine, erp_label: str) -> sa.MetaData:
    """Reflect the profile's tables once; fail before touching staging if the ERP is unreachable or
    the profile names a table or column it lacks.

    The one reflection feeds every `sql_table` resource (dlt would otherwise reflect each table on
    its own) and the DDL for empty tables.
    """
    metadata = sa.MetaData()
    try:
        inspector = sa.inspect(engine)
        existing = set(inspector.get_table_names())
        wanted = [spec.name for spec in profile.tables]
        if not existing & set(wanted):
            # an empty or wrong database, not a profile to fix: say which database it is and what it holds
            others = _schemas_with_tables(inspector) if engine.dialect.name == "postgresql" and not existing else []
            if wrong := missing_tables(wanted, existing, others, erp_label, profile.name):
                raise wrong
        for spec in profile.tables:
            if spec.name not in existing:
                close = difflib.get_close_matches(spec.name, existing, n=3)
                raise ProfileError(f"the ERP database {erp_label} has no such table", profile=profile.name,
                                   table=spec.name, path=profile.path,
                                   hint=f"fix the table name [tables.{spec.name}]"
                                        + (f" (did you mean {' or '.join(close)}?)" if close else "")
                                        + "; the database has: " + ", ".join(sorted(existing)[:40])
                                        + (" …" if len(existing) > 40 else ""))
        metadata.reflect(bind=engine, only=wanted, resolve_fks=False)
    except sa.exc.SQLAlchemyError as exc:
        if "@" in (engine.url.host or ""):
            # the driver's message would quote the password's tail as the host it could not find
            raise SourceError(f"cannot reach the ERP database at {erp_label}: the URL's password holds an unencoded "
                              "'@', so its tail was read as the host name",
                              hint=f"percent-encode the password in {CREDENTIALS_SETTING}: '@' as %40 (and ':' '/' "
                                   "'#' '?' as %3A %2F %23 %3F)") from exc
        raise connection_failure(exc, engine.url, erp_label) from exc
    for spec in profile.tables:
        columns = set(metadata.tables[spec.name].c.keys())
        for col in (*spec.primary_key, *([spec.cursor] if spec.cursor else [])):
            if col not in columns:
                raise ProfileError(f"the ERP table has no column '{col}'", profile=profile.name,
                                   table=spec.name, column=col, path=profile.path,
                                   hint=f"fix primary_key/cursor under [tables.{spec.name}]; "
                                        "the table has: "
                                        + ", ".join(sorted(columns)))
    return metadata


def _schemas_with_tables(inspector: sa.Inspector) -> list[str]:
    """PostgreSQL schemas other than the default and the system's that hold tables (where an ERP may live)."""
    system = {"information_schema", inspector.default_schema_name}
    return [schema for schema in inspector.get_schema_names()
            if schema not in system and not schema.startswith("pg_") and inspector.get_table_names(schema=schema)]


def relax_unconvertible(profile: Profile, metadata: sa.MetaData, engine: sa.Engine) -> dict[str, list[str]]:
    """SQLite: the columns whose non-converting values are read as NULL may hold NULL in staging
    (see `erpload.sources.erp.conformance`); returns table -> the NOT NULL columns relaxed."""
    if engine.dialect.name != "sqlite":
        return {}
    relaxed = {spec.name: relax_nullability(metadata.tables[spec.name], spec.primary_key) for spec in profile.tables}
    return {table: columns for table, columns in relaxed.items() if columns}


_DLT_PIPE = re.compile(r"pipe `([^`]+)`")
_DLT_COLUMN = re.compile(r"field `([^`]+)`|[Cc]olumn '([^']+)'|column `([^`]+)`")


def read_failure(exc: PipelineStepFailed) -> SourceError:
    """dlt could not read a table from the ERP: name the table (and the column where dlt says it)."""
    text = str(exc.exception)
    pipe, column = _DLT_PIPE.search(text), _DLT_COLUMN.search(text)
    where = f"ERP table {pipe.group(1)}" if pipe else "an ERP table"
    if column:
        where += f", column {next(g for g in column.groups() if g)}"
    reason = text.split("caused an exception:")[-1].strip()
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, sa.exc.DBAPIError):
        cause = cause.__cause__ or cause.__context__
    if cause is not None:  # the database failed, not a value
        return SourceError(f"extract could not read {where}: {reason}",
                           hint="check that the ERP database runs and answers; staging keeps the last complete load")
    return SourceError(f"extract could not read {where}: {reason}",
                       hint="a value in the ERP that erpload cannot convert: correct it in the ERP (erpload.rejects "
                            "lists the values it set aside); staging keeps the last complete load")


def row_counts(engine: sa.Engine, tables: list[TableSpec]) -> dict[str, int]:
    """Rows per table: the denominators of the progress bars."""
    with engine.connect() as con:
        return {t.name: int(con.execute(sa.select(sa.func.count()).select_from(sa.table(t.name))).scalar_one())
                for t in tables}


def extract_pipeline(settings: Settings, staging: duckdb.DuckDBPyConnection,
                     phases: DltPhases | None = None) -> dlt.Pipeline:
    """dlt's pipeline into erp_raw, on our open connection to the staging file.

    On its own, dlt opens and closes the file around each step, and every close writes a checkpoint;
    on one connection the file is checkpointed once, when extract closes it.
    """
    # map finds changed rows by the load that wrote them; arrow loads carry no load id by default
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    # The cursors live in the local state beside the staging file. Syncing it with the copy dlt keeps
    # in staging costs ~0.7 s of an ~8 s run after a 1% change, so dlt reads and writes that copy only
    # while the local state is missing (the first run, or the .erpload folder was lost). A copy left
    # behind has older cursors: restoring it re-reads rows since then, and merge keeps them single.
    dlt.config["restore_from_destination"] = not (settings.pipelines_dir / PIPELINE_NAME).exists()
    keep_no_copies()  # the staging file is the only copy of ERP data
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=str(settings.pipelines_dir),
        destination=dlt.destinations.duckdb(DuckDbCredentials(staging)),
        dataset_name=RAW_DATASET,
        progress=phases or DltPhases(),
    )


def _cursor_values(pipeline: dlt.Pipeline, profile: Profile) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for spec in profile.tables:
        last = incremental_state(pipeline, spec).get("last_value")
        out[spec.name] = str(last) if last is not None else None
    return out


def _tables_to_read(pipeline: dlt.Pipeline, profile: Profile, engine: sa.Engine) -> list[TableSpec]:
    """The profile's tables minus those that provably have nothing new (see `has_nothing_new`)."""
    wanted = []
    with engine.connect() as erp_con:
        for spec in profile.tables:
            state = incremental_state(pipeline, spec)
            if spec.cursor and state.get("last_value") is not None and has_nothing_new(
                    erp_con, spec.name, spec.cursor, state["last_value"], len(state.get("unique_hashes", []))):
                continue
            wanted.append(spec)
    return wanted




def _scan_or_note(settings: Settings, engine: sa.Engine, run: Run) -> ErpScan | None:
    """DuckDB's scan of the ERP where the backend setting asks for it; a fallback to pyarrow is said in the summary."""
    scan, why_not = open_scan(settings.backend, engine, dlt.config.get("sources.erp.duckdb_extensions"))
    if why_not:
        run.note(f"extract read the ERP with the {FALLBACK_BACKEND} backend, not through DuckDB's scanner: "
                 f"{why_not} (or set sources.erp.backend = \"{FALLBACK_BACKEND}\", or give --backend "
                 f"{FALLBACK_BACKEND}, to read with it without this note)")
    return scan


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f'SELECT count(*) FROM {RAW_DATASET}."{table}"').fetchone()
    return int(row[0]) if row else 0


def _forget_stale_state(settings: Settings, con: duckdb.DuckDBPyConnection) -> None:
    """dlt's local state belongs to the staging file's erp_raw: when that is gone (the file was deleted or
    replaced), the cursors would skip every row the new file has never seen. Start afresh instead."""
    local_state = settings.pipelines_dir / PIPELINE_NAME
    if local_state.exists() and not existing_tables(con, RAW_DATASET):
        shutil.rmtree(local_state)


def _tidy_packages(settings: Settings, run: Run) -> None:
    """Drop a load package an interrupted run (or dlt's CLI) left, and what loaded packages still hold."""
    working_dir = settings.pipelines_dir / PIPELINE_NAME
    if note := drop_leftovers(working_dir):
        run.note(note)
    sweep_loaded(working_dir)


def run_extract(settings: Settings, profile: Profile, run: Run, *, show_progress: bool = True,
                reload: list[str] | None = None) -> None:
    """Extract every table the profile lists; fills `run` with one result per table.

    `reload` names tables (or `all`) to drop with their cursors and load in full (see `erpload.steps.reload`)."""
    freeze_startup_objects()
    requested = reloading.resolve(profile, reload) if reload else []
    engine = erp_engine(settings)
    try:
        metadata = reflect_profile_tables(profile, engine, settings.erp_url_for_humans)
        # held for the whole extract: fails early and clearly if another process holds the file
        with connect(settings.staging_path) as con:
            _forget_stale_state(settings, con)
            _tidy_packages(settings, run)
            relaxed = relax_unconvertible(profile, metadata, engine)
            restoring = not (settings.pipelines_dir / PIPELINE_NAME).exists() \
                and bool(existing_tables(con, RAW_DATASET))
            phases = DltPhases()
            pipeline = extract_pipeline(settings, con, phases)
            if restoring:  # now rather than inside run(): the restored cursors are checked below
                pipeline.sync_destination()
            reload_run = reloading.start(con, pipeline, profile, requested, run)
            tolerance = settings.cursor_tolerance_hours
            # a cursor restored from staging's copy of dlt's state may be one that was set back locally
            clamps = clamp_cursors(pipeline, con, profile.tables, tolerance)
            to_read = _tables_to_read(pipeline, profile, engine)
            probes = probe_values(engine, metadata, pipeline, to_read)
            loaded: dict[str, int] = {}
            load_id = None
            if to_read:
                totals = row_counts(engine, to_read) if show_progress else {}
                scan = _scan_or_note(settings, engine, run)
                if scan is not None:
                    unconvertible = {probe.spec.name for probe in probes}
                    scan.convertible_tables({t.name: t.primary_key for t in to_read if t.name not in unconvertible})
                with Progress("extract", totals, enabled=show_progress) as progress, \
                        scan or contextlib.nullcontext():
                    phases.show = progress.phase
                    source = erp(
                        credentials=engine,
                        tables=[(t.name, t.primary_key, t.cursor) for t in to_read],
                        backend=settings.backend,
                        chunk_size=settings.chunk_size,
                        on_batch=progress.advance if show_progress else None,
                        metadata=metadata,
                        scan=scan,
                    )
                    relax_staged_columns(con, relaxed)
                    try:
                        with interrupts.deferred():  # dlt stops at its checkpoints; a load drains (see interrupts)
                            info = pipeline.run(source)
                    except PipelineStepFailed as exc:
                        if is_lock_error(exc):
                            raise lock_error(settings.staging_path, exc) from exc
                        if exc.step == "extract":
                            raise read_failure(exc) from exc
                        raise StagingError(f"extract failed in dlt's {exc.step} step: {exc.exception}",
                                           hint="see the message above; staging keeps the last complete load") \
                            from exc
                if info is None or pipeline.has_pending_data:
                    raise StagingError("dlt did not finish loading this extract's package",
                                       hint="run `erpload extract` again: it drops the unfinished package and "
                                            "reads its rows again")
                load_id = max(info.loads_ids) if info.loads_ids else None
                trace = pipeline.last_trace
                if trace and trace.last_normalize_info:
                    loaded = dict(trace.last_normalize_info.row_counts)
                clamps += clamp_cursors(pipeline, con, to_read, tolerance)
                record_value_rejects(con, run.run_id, probes)
                if load_id is not None:
                    record_cursor_rejects(con, run.run_id, load_id, to_read, tolerance, clamps)
                    clear_fixed_rows(con, run.run_id, load_id, to_read)
                note_rejects(run, con, clamps)
            rejected = rejected_per_table(con, run.run_id) if to_read else {}
            cursors = _cursor_values(pipeline, profile)
            sweep_loaded(settings.pipelines_dir / PIPELINE_NAME)
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_DATASET}")
            staged = existing_tables(con, RAW_DATASET)
            for spec in profile.tables:
                if raw_name(spec.name) not in staged:
                    con.execute(create_table_ddl(metadata.tables[spec.name], raw_name(spec.name),
                                                 RAW_DATASET))
            vanished = reloading.finish(con, reload_run, run)
            staged_counts = {spec.name: _count(con, raw_name(spec.name)) for spec in profile.tables}
    finally:
        engine.dispose()

    for spec in profile.tables:
        n = int(loaded.get(raw_name(spec.name), 0))
        run.add(TableResult(table=f"{RAW_DATASET}.{raw_name(spec.name)}", loaded=n,
                            unchanged=max(staged_counts[spec.name] - n, 0), rejected=rejected.get(spec.name, 0),
                            cursor=cursors.get(spec.name), load_id=load_id,
                            deleted=vanished.get(raw_name(spec.name), 0)))
