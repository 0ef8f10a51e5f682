"""Dagster definitions for erpload: `dagster dev -m erpload.orchestration.dagster` in the project's folder.

One asset per stage, made from the target declarations (a new target appears without a change here):

- `erpload/erp_raw` (extract), `erpload/canonical` (map) and `erpload/dataset/<target>` (transform): per tenant.
  Each rebuilds or loads its tenant's whole staging file; erpload has no per-company extract, map or transform.
- `erpload/files/<target>` (export; DATEV) and `erpload/pushed/<target>` (push): per tenant and company, as
  `--company` chooses. A files target with a `period` option takes it as run config (`period: YYYY-MM`), not as a
  third partition dimension: Dagster's multi-partitions have two, and the export is incremental by its own ledger
  (a record booked late into a closed month goes out with the next export, not when someone rematerialises that
  month).

Partitions: tenants are static, read from `.dlt/` when the definitions load (none configured: the top level, key
`_project`); companies are dynamic (`erpload_company`), added by `map` from each tenant's erp.companies. The
company dimension is shared by all tenants, so a pair can name a company its tenant does not have: that
partition is skipped with a warning and an observation saying why (as is a target the tenant does not list, and
an export for a company its target's dataset holds nothing of).

Each asset runs the erpload command of its stage in a child process, as a user would: exit 0 and 5 (records set
aside) materialise, with the run's rows, current rejects and ledger states as metadata; 7 (records wait for a
person's decision) and every other code fail with erpload's own message. Stages of one staging file take turns
(`erpload.orchestration.commands.one_writer`); the runs the schedules and sensors start carry the tag
`erpload/tenant`, which a run queue limits to one run per tenant.
"""

# No `from __future__ import annotations`: Dagster reads the asset functions' annotations as classes.

import json
import queue
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import dagster as dg
from dagster import AssetExecutionContext

from erpload.exit_codes import ExitCode
from erpload.orchestration import facts
from erpload.orchestration.commands import StageResult, one_writer, run_stage
from erpload.orchestration.projects import Project, discover
from erpload.redact import redact
from erpload.staging import connect
from erpload.targets import Target, targets

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

#: the run tag a run queue limits to one run per value: one writer per staging file
TENANT_TAG = "erpload/tenant"
#: `$DAGSTER_HOME/dagster.yaml`: the run queue starts one run per tenant at a time, runs of different tenants side
#: by side (up to max_concurrent_runs)
DAGSTER_YAML = f"""\
concurrency:
  runs:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      - key: "{TENANT_TAG}"
        value:
          applyLimitPerUniqueValue: true
        limit: 1
"""
COMPANIES = dg.DynamicPartitionsDefinition(name="erpload_company")
ERP_RAW = dg.AssetKey(["erpload", "erp_raw"])
CANONICAL = dg.AssetKey(["erpload", "canonical"])
TENANT_JOB = "erpload_tenant"
COMPANY_JOB = "erpload_company"
#: The jobs' default run config: the steps of one tenant take turns on its staging file, so the multiprocess
#: executor would only add a Python start per step (bench.tenants: 4 tenants one at a time 38.6 s in process,
#: 80.7 s multiprocess). Tenants run side by side as runs, each in its own process. The launchpad can still
#: choose `multiprocess`.
IN_PROCESS: dict[str, Any] = {"execution": {"config": {"in_process": {}}}}
#: the probes of one sensor tick, all tenants together, end before Dagster's 60 s limit for a tick
PROBE_SECONDS = 50
NO_ANSWER = "no answer within"
#: Dagster tags a partitioned run with its key, and a multi-partitioned one with each dimension's (tag/<name>)
PARTITION_TAG = "dagster/partition"
#: the rows of a run's table summary shown in the metadata (a profile has tens of tables)
SUMMARY_ROWS = 60
#: a company code becomes a partition key: Dagster's delimiters cannot be part of it
_NOT_IN_KEYS = set("|,[]*?")


def dataset_key(target: str) -> dg.AssetKey:
    return dg.AssetKey(["erpload", "dataset", target])


def files_key(target: str) -> dg.AssetKey:
    return dg.AssetKey(["erpload", "files", target])


def pushed_key(target: str) -> dg.AssetKey:
    return dg.AssetKey(["erpload", "pushed", target])


@dataclass(frozen=True)
class Stage:
    """What one asset runs and what it reads back."""

    #: the command after `erpload`, e.g. ("transform", "datev")
    command: tuple[str, ...]
    #: current_rejects' `target` for what this stage sets aside
    rejects_of: str
    #: the target the project must list for this stage to apply (None: every project)
    needs_target: str | None = None
    #: its ledger states go into the metadata
    pushes: bool = False
    #: its files per period go into the metadata
    exports: bool = False


class ExportConfig(dg.Config):
    """Run config of an export that takes a period."""

    period: str | None = None
    """Only the period containing this month, YYYY-MM (default: every period with something new)."""


def build_definitions() -> dg.Definitions:
    """The definitions for the project in the current folder, whose `.dlt/` configures its tenants (the folder
    each stage's command runs in)."""
    folder = Path.cwd().resolve()
    projects = {project.key: project for project in discover()}
    declared = targets()
    used = [declared[name] for name in declared if any(name in p.targets for p in projects.values())]
    tenants = dg.StaticPartitionsDefinition(list(projects))
    with warnings.catch_warnings():  # the mapping is marked beta; it is what maps a tenant to its companies
        warnings.simplefilter("ignore", category=dg.BetaWarning)
        pairs = dg.MultiPartitionsDefinition({"tenant": tenants, "company": COMPANIES})
        to_pairs = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="tenant")
    factory = _AssetFactory(folder, projects, tenants, pairs, to_pairs)

    per_tenant = [factory.tenant_asset(ERP_RAW, Stage(("extract",), "erp_raw"), deps=[], doc="ERP → erp_raw"),
                  factory.tenant_asset(CANONICAL, Stage(("map",), "erp"), deps=[ERP_RAW], doc="erp_raw → erp",
                                       after=_register_companies)]
    per_company: list[dg.AssetsDefinition] = []
    for target in used:
        per_tenant.append(factory.tenant_asset(
            dataset_key(target.name), Stage(("transform", target.name), target.name, needs_target=target.name),
            deps=[CANONICAL], doc=f"erp → dataset {target.name}: {target.doc}"))
        if target.export is not None:
            export = _export_asset(factory, target)
            (per_company if _takes(target, "company") else per_tenant).append(export)
        if target.pushes:
            per_company.append(factory.company_asset(
                pushed_key(target.name),
                Stage(("push", target.name), target.name, needs_target=target.name, pushes=True),
                upstream=dataset_key(target.name), doc=f"dataset {target.name} → {target.title}"))

    tenant_job = dg.define_asset_job(TENANT_JOB, selection=dg.AssetSelection.assets(*per_tenant), config=IN_PROCESS,
                                     description="extract, map and every transform (and any per-tenant export) "
                                                 "of one tenant")
    jobs = [tenant_job]
    sensors = [_erp_changed_sensor(folder, list(projects.values()), tenant_job)]
    if per_company:
        company_job = dg.define_asset_job(COMPANY_JOB, selection=dg.AssetSelection.assets(*per_company),
                                          config=IN_PROCESS,
                                          description="the exports and pushes of one tenant's company")
        jobs.append(company_job)
        sensors.append(_companies_after_tenant_sensor(tenant_job, company_job))
    schedules = [_daily(project, tenant_job) for project in projects.values()]
    return dg.Definitions(assets=[*per_tenant, *per_company], jobs=jobs, schedules=schedules, sensors=sensors)


def _takes(target: Target, option: str) -> bool:
    return any(o.name == option for o in target.export_options)


def _export_asset(factory: "_AssetFactory", target: Target) -> dg.AssetsDefinition:
    """Per tenant and company where the export takes `--company`; a `period` option becomes run config."""
    stage = Stage(("export", target.name), target.name, needs_target=target.name, exports=True)
    doc = f"dataset {target.name} → files ({target.title})"

    def with_period(config: ExportConfig) -> list[str]:
        return ["--period", config.period] if config.period else []

    options = with_period if _takes(target, "period") else None
    if _takes(target, "company"):
        return factory.company_asset(files_key(target.name), stage, upstream=dataset_key(target.name), doc=doc,
                                     options=options)
    return factory.tenant_asset(files_key(target.name), stage, deps=[dataset_key(target.name)], doc=doc,
                                options=options)


#: called after a stage finished, with the staging file open read-only; returns metadata to add
After = Callable[[dg.AssetExecutionContext, Any], dict[str, Any]]


class _AssetFactory:
    """Makes the assets: each runs its stage for its partition's project and reports what erpload recorded."""

    def __init__(self, folder: Path, projects: dict[str, Project], tenants: dg.PartitionsDefinition,
                 pairs: dg.PartitionsDefinition, to_pairs: dg.PartitionMapping) -> None:
        self.folder = folder
        self.projects = projects
        self.tenants = tenants
        self.pairs = pairs
        self.to_pairs = to_pairs

    def tenant_asset(self, key: dg.AssetKey, stage: Stage, *, deps: Sequence[dg.AssetKey], doc: str,
                     after: After | None = None,
                     options: Callable[[ExportConfig], list[str]] | None = None) -> dg.AssetsDefinition:
        return self._asset(key, stage, [dg.AssetDep(d) for d in deps], self.tenants, doc, after, options)

    def company_asset(self, key: dg.AssetKey, stage: Stage, *, upstream: dg.AssetKey, doc: str,
                      options: Callable[[ExportConfig], list[str]] | None = None) -> dg.AssetsDefinition:
        return self._asset(key, stage, [dg.AssetDep(upstream, partition_mapping=self.to_pairs)], self.pairs, doc,
                           None, options)

    def _asset(self, key: dg.AssetKey, stage: Stage, deps: list[dg.AssetDep], partitions: dg.PartitionsDefinition,
               doc: str, after: After | None,
               options: Callable[[ExportConfig], list[str]] | None) -> dg.AssetsDefinition:
        decorate = dg.asset(key=key, deps=deps, partitions_def=partitions, output_required=False, group_name="erpload",
                            description=f"{doc}: `erpload {' '.join(stage.command)}`", kinds={"duckdb"})
        if options is None:
            def run(context: AssetExecutionContext) -> Iterator[Any]:
                yield from self._materialise(context, stage, [], after)
            return decorate(run)

        def run_with(context: AssetExecutionContext, config: ExportConfig) -> Iterator[Any]:
            yield from self._materialise(context, stage, options(config), after)
        return decorate(run_with)

    def _materialise(self, context: dg.AssetExecutionContext, stage: Stage, extra: list[str],
                     after: After | None) -> Iterator[Any]:
        partition = context.partition_key
        keys = partition.keys_by_dimension if isinstance(partition, dg.MultiPartitionKey) else {"tenant": partition}
        project = self.projects[keys["tenant"]]
        company = keys.get("company")
        if stage.needs_target and stage.needs_target not in project.targets:
            yield self._skip(context, f"tenant {project.key} does not list target {stage.needs_target} in [erpload] "
                                      f"targets ({', '.join(project.targets)})")
            return
        command = [*stage.command, *(["--company", company] if company else []), *extra]

        def waiting() -> None:
            context.log.info(f"waiting for another stage on {project.staging_path} (one writer per staging file)")

        with one_writer(project.staging_path, waiting):
            if company is not None:
                missing = _missing_company(project, company, stage.rejects_of if stage.exports else None)
                if missing:
                    yield self._skip(context, missing)
                    return
            result = run_stage(project, command, self.folder)
            metadata = _metadata(context, project, stage, result, after)
        if result.exit_code == ExitCode.UNDECIDED:
            # Failed, not green: a person must settle them (`erpload ledger resolve`); a green partition would say
            # the push is done. What could be sent was sent and a rerun sends none of them blindly.
            raise dg.Failure(description=f"`{result.command}` finished with records waiting for a decision "
                                         f"(exit 7): {result.message}", metadata=metadata)
        if not result.finished:
            raise dg.Failure(description=f"`{result.command}` failed (exit {result.exit_code}): {result.message}",
                             metadata=metadata)
        if result.exit_code == ExitCode.DATA:
            context.log.warning(f"`{result.command}` finished with records set aside (exit 5): "
                                f"{metadata.get('current_rejects', '?')} in current_rejects")
        yield dg.MaterializeResult(metadata=metadata)

    def _skip(self, context: dg.AssetExecutionContext, reason: str) -> dg.AssetObservation:
        context.log.warning(f"skipped: {reason}")
        return dg.AssetObservation(asset_key=context.asset_key, partition=context.partition_key,
                                   metadata={"skipped": reason})


def _missing_company(project: Project, company: str, exported_dataset: str | None) -> str | None:
    """Why the pair (project, company) has nothing to do, or None if it has (or `map` has not run yet: then
    erpload says what to run first). An export also needs rows of the company in its target's dataset: a
    company the target does not cover (a Danish one for DATEV) is skipped every day, not failed."""
    if not project.staging_path.exists():
        return None
    with connect(project.staging_path, read_only=True) as con:
        known = facts.companies(con)
        if known is None:
            return None
        if company not in known:
            return f"tenant {project.key} has no company {company} (its companies: {', '.join(known) or 'none'})"
        if exported_dataset and facts.has_rows_of(con, exported_dataset, company) is False:
            return (f"tenant {project.key}'s company {company} has nothing in dataset {exported_dataset} (the "
                    f"transform leaves out what the target does not cover; its rejects say why)")
    return None


def _metadata(context: dg.AssetExecutionContext, project: Project, stage: Stage, result: StageResult,
              after: After | None) -> dict[str, Any]:
    """What the stage left in the staging file, read read-only, with its command and exit code."""
    metadata: dict[str, Any] = {"command": result.command, "exit_code": result.exit_code,
                                "staging_file": dg.MetadataValue.path(str(project.staging_path))}
    if not project.staging_path.exists():
        return metadata
    command = " ".join(stage.command)
    try:
        with connect(project.staging_path, read_only=True) as con:
            run = facts.latest_run(con, command, result.started_at)
            if run is not None:
                metadata.update(_run_metadata(run))
            rejects = facts.current_rejects(con, stage.rejects_of)
            metadata["current_rejects"] = rejects.count
            metadata["top_reason_codes"] = dg.MetadataValue.json(dict(rejects.top_reasons))
            if stage.pushes:
                states = facts.ledger_states(con, stage.rejects_of)
                metadata["ledger_states"] = dg.MetadataValue.json(states)
                metadata.update({f"ledger_{state}": count for state, count in states.items()})
            if stage.exports and run is not None:
                metadata["files_per_period"] = dg.MetadataValue.json(facts.exported_periods(con, run.run_id))
            if after is not None and result.finished:
                metadata.update(after(context, con))
    except Exception as exc:  # the stage's outcome stands; only its numbers are missing, and the metadata says so
        context.log.warning(f"could not read {project.staging_path} for metadata: {exc}")
        metadata["metadata_missing"] = f"could not read the staging file: {exc}"
    return metadata


def _run_metadata(run: facts.RunSummary) -> dict[str, Any]:
    totals = ("loaded", "unchanged", "rejected", "deleted", "sent", "failed")
    lines = ["| table | " + " | ".join(totals) + " |", "|---" * (len(totals) + 1) + "|"]
    lines += [f"| {row.table} | " + " | ".join(str(getattr(row, t)) for t in totals) + " |"
              for row in run.tables[:SUMMARY_ROWS]]
    if len(run.tables) > SUMMARY_ROWS:
        lines.append(f"| ... {len(run.tables) - SUMMARY_ROWS} more | " + " | ".join("" for _ in totals) + " |")
    found: dict[str, Any] = {"erpload_run_id": run.run_id, "erpload_status": run.status,
                             "seconds": round(run.seconds, 2), "tables": len(run.tables),
                             "summary": dg.MetadataValue.md("\n".join(lines))}
    found.update({total: run.total(total) for total in totals})
    if run.message:
        found["message"] = run.message
    return found


def _register_companies(context: dg.AssetExecutionContext, con: Any) -> dict[str, Any]:
    """After `map`: the tenant's companies become partitions of the company dimension."""
    codes = facts.companies(con) or []
    usable = [code for code in codes if code and not _NOT_IN_KEYS & set(code)]
    if len(usable) < len(codes):
        context.log.warning(f"company codes that cannot be partition keys (they hold one of {''.join(_NOT_IN_KEYS)}):"
                            f" {', '.join(sorted(set(codes) - set(usable)))}")
    if usable:  # Dagster adds the keys it does not have yet, in one query
        context.instance.add_dynamic_partitions(COMPANIES.name or "", usable)
    return {"companies": ", ".join(usable), "companies_count": len(usable)}


def _tags(project: Project) -> dict[str, str]:
    return {TENANT_TAG: project.key}


def _schedule_name(project: Project) -> str:
    return "erpload_daily_" + project.key.replace("-", "_")


def _daily(project: Project, job: "UnresolvedAssetJobDefinition") -> dg.ScheduleDefinition:
    """The tenant's run every day (`[erpload] schedule`, cron syntax, in the tenant's section or the top level)."""
    @dg.schedule(name=_schedule_name(project), cron_schedule=project.cron, job=job,
                 description=f"extract, map and transform tenant {project.key} (then its companies' exports "
                             "and pushes, by the sensor erpload_companies_after_tenant)")
    def daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return dg.RunRequest(partition_key=project.key, tags=_tags(project))

    return daily


def _erp_changed_sensor(folder: Path, projects: list[Project],
                        job: "UnresolvedAssetJobDefinition") -> dg.SensorDefinition:
    """Starts a tenant's run when its ERP has rows its last extract did not read (`erpload.orchestration.probe`,
    in a child process: it reads dlt's cursors and the ERP, never the staging file)."""
    by_key = {project.key: project for project in projects}

    @dg.sensor(name="erpload_erp_changed", job=job, minimum_interval_seconds=300,
               description="a tenant's run when its ERP changed (a cheap probe per tenant)")
    def erp_changed(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        requests, quiet = [], []
        idle = [project for key, project in by_key.items() if not _active_run(context.instance, key)]
        quiet += [f"{key}: a run is queued or in progress" for key in by_key if by_key[key] not in idle]
        answers = _probe(_probe_order(idle, context.cursor), folder)
        stuck = next((key for key, probed in answers.items()
                      if "error" in probed and str(probed["error"]).startswith(NO_ANSWER)), None)
        context.update_cursor(stuck)
        for key, probed in answers.items():
            if probed.get("later"):
                quiet.append(f"{key}: {probed['error']}")
            elif "error" in probed:
                context.log.warning(f"tenant {key}: the probe failed: {probed['error']}")
                quiet.append(f"{key}: the probe failed")
            elif probed["changed"]:
                # the same news makes the same run key: one run for it, not one per tick
                requests.append(dg.RunRequest(partition_key=key, run_key=f"{key}:{probed['fingerprint']}",
                                              tags=_tags(by_key[key])))
            else:
                unprobed = probed.get("unprobed") or []
                quiet.append(f"{key}: nothing new" + (f" (not probed, no cursor: {', '.join(unprobed)})"
                                                      if unprobed else ""))
        return dg.SensorResult(run_requests=requests, skip_reason=None if requests else "; ".join(quiet))

    return erp_changed


def _active_run(instance: dg.DagsterInstance, key: str) -> bool:
    active = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.STARTED]
    return bool(instance.get_run_ids(dg.RunsFilter(tags={TENANT_TAG: key}, statuses=active), limit=1))


def _probe(projects: list[Project], folder: Path) -> dict[str, dict[str, Any]]:
    """Each project's answer by key (`{"error": ...}` where it could not probe), from one process that has
    `PROBE_SECONDS` in all: the answers that came by then count, an ERP that does not answer costs only its own
    and those after it (`_probe_order` puts them first next time)."""
    if not projects:
        return {}
    args = [arg for project in projects for arg in project.tenant_args()]
    if any(project.tenant is None for project in projects):
        args.append("--top-level")
    lines: queue.Queue[str | None] = queue.Queue()
    child = subprocess.Popen([sys.executable, "-m", "erpload.orchestration.probe", *args], cwd=folder,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errors: list[str] = []

    def read(stream: IO[str], into: Callable[[str | None], None]) -> None:
        with stream:  # both pipes are read to their end, so the child never blocks on a full one
            for line in stream:
                into(line)
        into(None)

    assert child.stdout is not None
    assert child.stderr is not None
    readers = [threading.Thread(target=read, args=(child.stdout, lines.put), daemon=True),
               threading.Thread(target=read, args=(child.stderr, lambda line: errors.append(line or "")),
                                daemon=True)]
    for reader in readers:
        reader.start()
    answers: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + PROBE_SECONDS
    killed = False
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            found = json.loads(line)
            answers[found["key"]] = found["answer"]
    finally:
        if child.poll() is None:
            child.kill()
            killed = True
        child.wait()
        for reader in readers:
            reader.join(timeout=5)
    waiting = [project.key for project in projects if project.key not in answers]
    if waiting and not killed:
        message = redact("".join(errors).strip()) or f"the probe ended with exit {child.returncode}"
        answers.update({key: {"error": message} for key in waiting})
    elif waiting:
        answers[waiting[0]] = {"error": f"{NO_ANSWER} {PROBE_SECONDS} s (an ERP that does not answer?); "
                                        "the others are probed first next time"}
        answers.update({key: {"error": f"not probed: the time ran out at {waiting[0]}", "later": True}
                        for key in waiting[1:]})
    return answers


def _probe_order(projects: list[Project], stuck: str | None) -> list[Project]:
    """The projects after the one a tick's probe last got stuck at first, that one last: an ERP that never
    answers delays no other tenant for more than one tick."""
    keys = [project.key for project in projects]
    if stuck not in keys:
        return projects
    at = keys.index(stuck) + 1
    return projects[at:] + projects[:at]


def _companies_after_tenant_sensor(tenant_job: "UnresolvedAssetJobDefinition",
                                   company_job: "UnresolvedAssetJobDefinition") -> dg.SensorDefinition:
    """After a tenant's run succeeded: one run per company of the tenant for its exports and pushes."""

    @dg.run_status_sensor(name="erpload_companies_after_tenant", run_status=dg.DagsterRunStatus.SUCCESS,
                          monitored_jobs=[tenant_job], request_job=company_job,
                          default_status=dg.DefaultSensorStatus.RUNNING,  # acts only after a run someone started
                          description="each company's exports and pushes once its tenant's run succeeded")
    def companies_after_tenant(context: dg.RunStatusSensorContext) -> Iterator[dg.RunRequest | dg.SkipReason]:
        tenant = context.dagster_run.tags.get(PARTITION_TAG)
        if tenant is None:
            yield dg.SkipReason(f"run {context.dagster_run.run_id} has no tenant partition")
            return
        codes = _companies_of(context.instance, tenant)
        if not codes:
            yield dg.SkipReason(f"tenant {tenant}: `map` recorded no companies")
            return
        waiting = _queued_companies(context.instance, tenant)
        if waiting:  # a queued run has not read the staging file yet: it exports and pushes what this run left
            context.log.info(f"tenant {tenant}: a run is queued already for company {', '.join(sorted(waiting))}")
        for code in codes:
            if code not in waiting:
                yield dg.RunRequest(partition_key=dg.MultiPartitionKey({"tenant": tenant, "company": code}),
                                    run_key=f"{context.dagster_run.run_id}:{code}", tags={TENANT_TAG: tenant})

    return companies_after_tenant


def _queued_companies(instance: dg.DagsterInstance, tenant: str) -> set[str]:
    """The companies of `tenant` with a company run that is waiting to start."""
    waiting = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]
    runs = instance.get_runs(dg.RunsFilter(job_name=COMPANY_JOB, statuses=waiting,
                                           tags={f"{PARTITION_TAG}/tenant": tenant}))
    return {str(run.tags[f"{PARTITION_TAG}/company"]) for run in runs if f"{PARTITION_TAG}/company" in run.tags}


def _companies_of(instance: dg.DagsterInstance, tenant: str) -> list[str]:
    """The companies the tenant's latest `map` recorded (its materialisation's metadata)."""
    found = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=CANONICAL, asset_partitions=[tenant]),
                                            limit=1).records
    if not found or found[0].asset_materialization is None:
        return []
    value = found[0].asset_materialization.metadata.get("companies")
    text = str(value.value) if value is not None else ""
    return [code.strip() for code in text.split(",") if code.strip()]


def tenant_job() -> dg.JobDefinition:
    """The per-tenant job, for `dagster.reconstructable` (a bench or script running it in its own processes)."""
    return defs.resolve_job_def(TENANT_JOB)


defs = build_definitions()
