"""The Dagster definitions, materialised in process for two tenants on copies of the demo ERP, with the d.velop
fake on loopback: each asset runs the real erpload command, and its metadata is what the staging file says."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

dg = pytest.importorskip("dagster")


from erpload.fakes.serving import serve_in_thread  # noqa: E402
from erpload.orchestration.commands import lock_path, one_writer  # noqa: E402
from erpload.orchestration.dagster import (  # noqa: E402
    CANONICAL,
    COMPANIES,
    COMPANY_JOB,
    DAGSTER_YAML,
    ERP_RAW,
    TENANT_JOB,
    TENANT_TAG,
    build_definitions,
    dataset_key,
    files_key,
    pushed_key,
)
from erpload.orchestration.probe import probe  # noqa: E402
from erpload.orchestration.projects import TOP_LEVEL  # noqa: E402
from erpload.targets import load, target  # noqa: E402
from tests.utils import Workspace, reread_dlt_folder  # noqa: E402

#: tenant b's first company is renamed: the pairs (a, 9000) and (b, 1000) do not exist
A_ONLY, B_ONLY = "1000", "9000"


@pytest.fixture
def dvelop_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The d.velop fake on loopback; the environment (which every stage's process inherits) points at it."""
    dvelop = target("dvelop")
    assert dvelop.fake is not None
    assert dvelop.demo is not None
    server = load(dvelop.fake.factory)()
    with serve_in_thread(server.app) as url:
        for name, value in {**server.env(url), **load(dvelop.demo)(url)}.items():
            monkeypatch.setenv(name, value)
        yield


def _write_tenants(root: Path, erp: Path, *, missing_erp_for: str | None = None,
                   targets: str = '["datev", "dvelop"]') -> None:
    for name in ("a", "b"):
        shutil.copyfile(erp, root / f"erp_{name}.sqlite")
    with sqlite3.connect(root / "erp_b.sqlite") as con:
        con.execute(f"UPDATE company SET company_code = '{B_ONLY}' WHERE company_code = '{A_ONLY}'")
        # and one customer fewer (one without invoices): the tenants' data differ in more than a code
        con.execute("DELETE FROM customer WHERE customer_id = (SELECT max(customer_id) FROM customer "
                    "WHERE customer_id NOT IN (SELECT customer_id FROM sales_invoice))")
    (root / ".dlt").mkdir()
    config = ""
    secrets = ""
    for name in ("a", "b", *([missing_erp_for] if missing_erp_for else [])):
        config += f'[tenants.{name}.erpload]\nprofile = "demo"\ntargets = {targets}\n'
        config += 'schedule = "30 2 * * *"\n\n' if name == "b" else "\n"
        secrets += f'[tenants.{name}.sources.erp]\ncredentials = "sqlite:///{root / f"erp_{name}.sqlite"}"\n\n'
    (root / ".dlt" / "config.toml").write_text(config)
    (root / ".dlt" / "secrets.toml").write_text(secrets)
    reread_dlt_folder()  # dlt reads `.dlt/` once per process


@pytest.fixture
def two_tenants(workspace: Workspace, dlt_settings: None, dvelop_fake: None,
                monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("ERPLOAD__DEMO_ERP")  # each tenant's own ERP, nothing of the top level's
    _write_tenants(workspace.root, workspace.erp_path, missing_erp_for="c")
    return workspace


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A Dagster instance in memory, disposed of after the test (its temporary folder with it)."""
    with dg.DagsterInstance.ephemeral() as made:
        yield made


def _one(staging: Path, sql: str) -> Any:
    with duckdb.connect(str(staging), read_only=True) as con:
        row = con.execute(sql).fetchone()
        return row[0] if row else None


def _all(staging: Path, sql: str) -> list[Any]:
    with duckdb.connect(str(staging), read_only=True) as con:
        return [row[0] for row in con.execute(sql).fetchall()]


def _materialise(defs: dg.Definitions, instance: dg.DagsterInstance, keys: list[dg.AssetKey],
                 partition: str) -> dg.ExecuteInProcessResult:
    assets = list(defs.assets or [])
    return dg.materialize(assets, selection=keys, partition_key=partition, instance=instance, raise_on_error=False)


def _metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict[str, Any]:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    materialization = event.materialization
    return {name: value.value for name, value in materialization.metadata.items()}


def _pair(tenant: str, company: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"tenant": tenant, "company": company})


def test_two_tenants_materialise_into_their_own_files_with_erpload_s_numbers(two_tenants: Workspace,
                                                                               instance: dg.DagsterInstance) -> None:
    root = two_tenants.root
    defs = build_definitions()
    per_tenant = [ERP_RAW, CANONICAL, dataset_key("datev"), dataset_key("dvelop")]
    staging = {name: root / "tenants" / name / "erpload.duckdb" for name in ("a", "b")}
    first: dict[str, dg.ExecuteInProcessResult] = {}
    for name in ("a", "b"):
        first[name] = result = _materialise(defs, instance, per_tenant, name)
        assert result.success, [e.message for e in result.all_events if e.is_failure]

    # each tenant's own ERP in its own staging file
    count = "select count(*) from erp.customers"
    assert _one(staging["a"], count) == _one(staging["b"], count) + 1
    # map made the tenants' companies partitions: the dimension is shared, so it holds both codes
    companies = set(instance.get_dynamic_partitions(COMPANIES.name or ""))
    assert {A_ONLY, B_ONLY} <= companies
    assert _metadata(first["b"], CANONICAL)["companies"].split(", ") == \
        _all(staging["b"], "select company_code from erp.companies order by 1")

    # after a tenant's run, the sensor starts one run per company of that tenant, tagged with the tenant
    after = defs.resolve_sensor_def("erpload_companies_after_tenant")
    context = dg.build_run_status_sensor_context(
        sensor_name=after.name, dagster_event=first["b"].get_run_success_event(), dagster_instance=instance,
        dagster_run=first["b"].dagster_run)
    requests = list(after(context))
    codes_b = _all(staging["b"], "select company_code from erp.companies order by 1")
    assert [(r.partition_key, r.tags[TENANT_TAG]) for r in requests] == [(_pair("b", code), "b") for code in codes_b]
    # a company whose run is still queued gets no second one: that run has not read the staging file yet
    instance.add_run(dg.DagsterRun(job_name=COMPANY_JOB, run_id="waiting-b", status=dg.DagsterRunStatus.NOT_STARTED,
                                   tags={TENANT_TAG: "b", "dagster/partition/tenant": "b",
                                         "dagster/partition/company": codes_b[0]}))
    again = [r for r in after(context) if isinstance(r, dg.RunRequest)]
    assert [r.partition_key for r in again] == [_pair("b", code) for code in codes_b[1:]]

    # the metadata numbers are the staging file's
    extract = _metadata(first["a"], ERP_RAW)
    run_id = extract["erpload_run_id"]
    assert extract["loaded"] == _one(staging["a"], f"select sum(loaded) from runs where run_id = '{run_id}'") > 0
    assert extract["tables"] == _one(staging["a"], f"select count(*) from runs where run_id = '{run_id}'")
    transform = _metadata(first["a"], dataset_key("datev"))
    assert transform["current_rejects"] == _one(staging["a"],
                                                "select count(*) from current_rejects where target = 'datev'")
    assert transform["current_rejects"] > 0  # the demo ERP's faults are there on purpose
    top = transform["top_reason_codes"]
    most = _one(staging["a"], "select reason_code from current_rejects where target = 'datev' "
                              "group by all order by count(*) desc, 1 limit 1")
    assert next(iter(top)) == most
    assert transform["exit_code"] == 5  # finished with records set aside: a success, with the count above

    # each tenant's company: DATEV files into its own folder, master data pushed, the ledger's states counted
    for name, company in (("a", A_ONLY), ("b", B_ONLY)):
        result = _materialise(defs, instance, [files_key("datev"), pushed_key("dvelop")], _pair(name, company))
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        export = _metadata(result, files_key("datev"))
        written = _one(staging[name], f"select count(*) from exports where run_id = '{export['erpload_run_id']}'")
        assert written > 0
        assert sum(export["files_per_period"].values()) == written
        folder = root / "tenants" / name / "out" / "datev"
        paths = _all(staging[name], f"select path from exports where run_id = '{export['erpload_run_id']}'")
        assert {p.name for p in folder.rglob("*")} >= {Path(p).name for p in paths}
        push = _metadata(result, pushed_key("dvelop"))
        with duckdb.connect(str(staging[name]), read_only=True) as con:
            states = dict(con.execute("select state, count(*) from ledger where target = 'dvelop' "
                                      "group by all").fetchall())
        assert push["ledger_states"] == states
        assert states.get("acknowledged", 0) > 0
        assert push["sent"] == _one(staging[name], f"select sum(sent) from runs where run_id = "
                                                   f"'{push['erpload_run_id']}'")
    # each folder holds only its own companies' files
    assert not list((root / "tenants" / "a" / "out" / "datev").rglob(f"*{B_ONLY}*"))
    assert not list((root / "tenants" / "b" / "out" / "datev").rglob(f"*{A_ONLY}*"))

    # a pair that does not exist is skipped, saying why: no materialisation, no command run
    result = _materialise(defs, instance, [files_key("datev")], _pair("a", B_ONLY))
    assert result.success
    assert not result.get_asset_materialization_events()
    [observed] = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    reason = observed.asset_observation_data.asset_observation.metadata["skipped"].value
    assert reason == f"tenant a has no company {B_ONLY} (its companies: 1000, 2000, 3000, 4000)"

    # so is the export of a company the target does not cover (3000 is Danish: no DATEV numbers), every day
    assert _one(staging["a"], "select count(*) from datev.bookings where company_code = '3000'") == 0
    result = _materialise(defs, instance, [files_key("datev")], _pair("a", "3000"))
    assert result.success
    assert not result.get_asset_materialization_events()
    [observed] = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    reason = observed.asset_observation_data.asset_observation.metadata["skipped"].value
    assert reason.startswith("tenant a's company 3000 has nothing in dataset datev")


def test_a_failing_stage_fails_the_materialisation_with_erpload_s_message(two_tenants: Workspace,
                                                                       instance: dg.DagsterInstance) -> None:
    defs = build_definitions()
    result = _materialise(defs, instance, [ERP_RAW], "c")  # tenant c's ERP file is missing
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.step_failure_data.error
    assert error is not None
    text = " ".join(error.message.split())
    assert "`erpload extract -q --tenant c` failed (exit 3)" in text
    assert f"the SQLite ERP database {two_tenants.root / 'erp_c.sqlite'} does not exist" in text
    assert not result.get_asset_materialization_events()


def test_the_definitions_load_with_tenants_and_without(two_tenants: Workspace, tmp_path_factory: pytest.TempPathFactory,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    defs = build_definitions()
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def(TENANT_JOB)
    assert job.partitions_def is not None
    assert job.partitions_def.get_partition_keys() == ["a", "b", "c"]
    assert defs.resolve_job_def(COMPANY_JOB) is not None
    graph = defs.resolve_asset_graph()
    # the dependencies come from the target declarations
    assert graph.get(files_key("datev")).parent_keys == {dataset_key("datev")}
    assert graph.get(pushed_key("dvelop")).parent_keys == {dataset_key("dvelop")}
    assert graph.get(dataset_key("dvelop")).parent_keys == {CANONICAL}
    assert graph.get(CANONICAL).parent_keys == {ERP_RAW}
    # a daily schedule per tenant, each run tagged with its tenant (one run per tenant at a time in the queue)
    schedule = defs.resolve_schedule_def("erpload_daily_b")
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_schedule_context(instance=instance, repository_def=defs.get_repository_def())
        requests = schedule.evaluate_tick(context).run_requests
    assert requests is not None
    assert [(r.partition_key, r.tags[TENANT_TAG]) for r in requests] == [("b", "b")]
    assert schedule.cron_schedule == "30 2 * * *"  # [tenants.b.erpload] schedule
    assert defs.resolve_schedule_def("erpload_daily_a").cron_schedule == "0 3 * * *"  # the default

    # no tenants: one project, the top level
    plain = tmp_path_factory.mktemp("plain")
    monkeypatch.chdir(plain)
    reread_dlt_folder()
    defs = build_definitions()
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def(TENANT_JOB).partitions_def.get_partition_keys() == [TOP_LEVEL]  # type: ignore[union-attr]


def test_the_probe_sees_news_in_the_erp_and_the_sensor_starts_one_run_for_them(two_tenants: Workspace,
                                                                            instance: dg.DagsterInstance) -> None:
    root = two_tenants.root
    defs = build_definitions()
    before = probe("a")
    assert before.changed
    assert before.fingerprint == "not extracted yet"
    assert _materialise(defs, instance, [ERP_RAW], "a").success
    assert not probe("a").changed

    with sqlite3.connect(root / "erp_a.sqlite") as con:
        con.execute("UPDATE customer SET name = name || ' (new)', updated_at = '2026-12-01 10:00:00' "
                    "WHERE customer_id = (SELECT min(customer_id) FROM customer)")
    news = probe("a")
    assert news.changed
    assert news.tables == ["customer"]
    assert probe("a").fingerprint == news.fingerprint  # the same news, the same run key

    sensor = defs.resolve_sensor_def("erpload_erp_changed")
    result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs))
    by_tenant = {r.partition_key: r for r in result.run_requests or []}
    assert by_tenant["a"].run_key == f"a:{news.fingerprint}"
    assert by_tenant["a"].tags[TENANT_TAG] == "a"
    # never extracted: one run each (c's will fail on its missing ERP file, loudly, once: the run key is the same)
    assert by_tenant["b"].run_key == "b:not extracted yet"
    assert by_tenant["c"].run_key == "c:not extracted yet"

    # while a run of a is in progress, the sensor leaves a alone
    instance.add_run(dg.DagsterRun(job_name=TENANT_JOB, run_id="running-a", status=dg.DagsterRunStatus.STARTED,
                                   tags={TENANT_TAG: "a"}))
    result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs))
    assert "a" not in {r.partition_key for r in result.run_requests or []}


def test_an_erp_that_never_answers_costs_the_others_one_tick_at_most(two_tenants: Workspace,
                                                                     instance: dg.DagsterInstance,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Tenant aa's ERP accepts connections and answers nothing: the tick's probe runs out of time there, and the
    next tick probes the tenants after it first."""
    from erpload import orchestration
    from erpload.settings import load_settings
    from erpload.tenants import choose, working_on

    silent = socket.create_server(("127.0.0.1", 0))  # listens, never accepts, never answers
    monkeypatch.setenv("TENANTS__AA__SOURCES__ERP__CREDENTIALS",
                       f"postgresql://erp:probe-pw-4711@127.0.0.1:{silent.getsockname()[1]}/erp")
    with working_on(choose("aa")):
        state = load_settings().pipelines_dir / "erpload_extract" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text("{}")  # extracted before (no cursor yet): the probe asks the ERP
    monkeypatch.setattr(orchestration.dagster, "PROBE_SECONDS", 8)
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("erpload_erp_changed")
    try:
        first = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs))
        second = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs,
                                                              cursor=first.cursor))
    finally:
        silent.close()
    # a comes before aa and is answered; b and c, after it, wait for the next tick, which starts after aa
    assert {r.partition_key for r in first.run_requests or []} == {"a"}
    assert first.cursor == "aa"
    assert {r.partition_key for r in second.run_requests or []} == {"a", "b", "c"}
    assert second.cursor == "aa"


def test_erpload_itself_never_imports_dagster() -> None:
    """Only `erpload.orchestration.dagster` needs the extra: the CLI and the helpers it uses run without it."""
    code = ("import sys\nimport erpload.cli.main, erpload.orchestration.probe, erpload.orchestration.commands\n"
            "import erpload.orchestration.facts, erpload.orchestration.projects\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'dagster'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_dagster_yaml_it_documents_limits_each_tenant_to_one_run(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text(DAGSTER_YAML)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits  # type: ignore[union-attr]
    assert limits == [{"key": TENANT_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]


def test_stages_of_one_staging_file_take_turns(tmp_path: Path) -> None:
    """The lock every asset takes around its stage: another process that wants the same staging file waits (and
    is told so first); once it is free, it goes ahead without waiting."""
    staging = tmp_path / "tenants" / "a" / "erpload.duckdb"
    wants = ("import sys\nfrom pathlib import Path\nfrom erpload.orchestration.commands import one_writer\n"
             "def told():\n    print('waiting', flush=True)\n    sys.exit(0)\n"
             "with one_writer(Path(sys.argv[1]), told):\n    print('writing')\n")
    with one_writer(staging):
        held = subprocess.run([sys.executable, "-c", wants, str(staging)], capture_output=True, text=True, check=True)
    free = subprocess.run([sys.executable, "-c", wants, str(staging)], capture_output=True, text=True, check=True)
    assert held.stdout.split() == ["waiting"]
    assert free.stdout.split() == ["writing"]
    # the lock lies in the folder erpload keeps beside the staging file, not in the staging file's
    assert lock_path(staging).parent == staging.parent / ".erpload" / staging.name


def test_records_waiting_for_a_decision_fail_the_push_with_the_ledger_s_count(
        workspace: Workspace, dlt_settings: None, instance: dg.DagsterInstance,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 7: a lost answer leaves Kombo's push unknown; the materialisation fails (a person must settle it),
    with erpload's message and the ledger's states."""
    from erpload.fakes.faults import Faults
    from erpload.fakes.kombo import GENERAL, KomboFake
    from erpload.transforms.kombo.demo import seed_fake

    monkeypatch.delenv("ERPLOAD__DEMO_ERP")
    _write_tenants(workspace.root, workspace.erp_path, targets='["kombo"]')
    fake = KomboFake("test-kombo-key-5b1d08e7a2", integrations=[])
    with serve_in_thread(fake.app) as url:
        monkeypatch.setenv("DESTINATION__KOMBO__BASE_URL", url + "/v1")
        monkeypatch.setenv("DESTINATION__KOMBO__API_KEY", "test-kombo-key-5b1d08e7a2")
        seed_fake(url, workspace.root / "erp_a.sqlite")
        defs = build_definitions()
        assert _materialise(defs, instance, [ERP_RAW, CANONICAL, dataset_key("kombo")], "a").success
        fake.set_faults(Faults(drop_on_calls=[1], match_path=GENERAL))
        result = _materialise(defs, instance, [pushed_key("kombo")], _pair("a", "1000"))
    assert not result.success
    assert not result.get_asset_materialization_events()
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    data = failure.step_failure_data
    assert data.error is not None
    text = " ".join(data.error.message.split())
    assert "`erpload push kombo --company 1000 -q --tenant a` finished with records waiting for a decision " \
           "(exit 7)" in text
    assert "erpload ledger --target kombo --state unknown" in text
    assert "test-kombo-key-5b1d08e7a2" not in text
    assert data.user_failure_data is not None
    metadata = {name: value.value for name, value in data.user_failure_data.metadata.items()}
    staging = workspace.root / "tenants" / "a" / "erpload.duckdb"
    assert metadata["ledger_unknown"] == _one(staging, "select count(*) from ledger where target = 'kombo' "
                                                       "and state = 'unknown'") == 1
