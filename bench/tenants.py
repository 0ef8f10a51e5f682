"""Benchmark: N tenants through Dagster, side by side against one at a time.

    python -m bench.tenants [--tenants 4] [--scale 0.3] [--targets datev] [--executor multiprocess|in_process]

Each tenant gets its own copy of the demo ERP (one generated at `--scale`) and its own folder. Both rounds run
the per-tenant job (`erpload_tenant`: extract, map, each target's transform) for every tenant, each tenant in a
run of its own on a persistent Dagster instance with the multiprocess executor (each step in its own process;
`--executor in_process`: the steps in the run's process), as `dagster dev` and its run queue would:
  1. one tenant at a time: the runs one after the other;
  2. side by side: every tenant's run at once (one process per run, as the default run launcher starts them).
Each round starts from empty staging files. Throughput is tenants per minute; the ratio is 2 over 1. The bench
exits non-zero if a run fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path


def _write_project(root: Path, erp: Path, tenants: list[str], targets: list[str]) -> None:
    (root / ".dlt").mkdir(parents=True, exist_ok=True)
    config, secrets = "", ""
    for name in tenants:
        copy = root / f"erp_{name}.sqlite"
        shutil.copyfile(erp, copy)
        config += f'[tenants.{name}.erpload]\nprofile = "demo"\ntargets = {targets!r}\n\n'.replace("'", '"')
        secrets += f'[tenants.{name}.sources.erp]\ncredentials = "sqlite:///{copy}"\n\n'
    (root / ".dlt" / "config.toml").write_text(config)
    (root / ".dlt" / "secrets.toml").write_text(secrets)


def run_tenant(project: str, dagster_home: str, executor: str, tenant: str) -> tuple[str, bool, float]:
    """One tenant's run of the per-tenant job on `executor`; in a process of its own (cwd: the project)."""
    os.chdir(project)
    os.environ["DAGSTER_HOME"] = dagster_home
    import dagster as dg

    from erpload.orchestration import dagster as definitions

    started = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(dg.reconstructable(definitions.tenant_job), instance=instance,
                                run_config={"execution": {"config": {executor: {}}}},
                                tags={"dagster/partition": tenant, definitions.TENANT_TAG: tenant})
        return tenant, result.success, time.perf_counter() - started


def _round(project: Path, home: Path, executor: str, tenants: list[str], side_by_side: bool) -> float:
    for name in tenants:  # from empty staging files
        shutil.rmtree(project / "tenants" / name, ignore_errors=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=len(tenants) if side_by_side else 1, mp_context=get_context("spawn")) as pool:
        outcomes = list(pool.map(run_tenant, [str(project)] * len(tenants), [str(home)] * len(tenants),
                                 [executor] * len(tenants), tenants))
    seconds = time.perf_counter() - started
    failed = [name for name, ok, _ in outcomes if not ok]
    if failed:
        sys.exit(f"the run of tenant(s) {', '.join(failed)} failed; see the run logs in {home}")
    each = ", ".join(f"{name} {s:.1f} s" for name, _, s in outcomes)
    print(f"  {'side by side' if side_by_side else 'one at a time'}: {len(tenants)} tenants in {seconds:.1f} s "
          f"({len(tenants) / seconds * 60:.1f}/min; each run: {each})", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--scale", type=float, default=0.3, help="each tenant's demo ERP (1: ~3,000 journal lines)")
    parser.add_argument("--targets", default="datev", help="the tenants' targets, separated by commas")
    parser.add_argument("--executor", default="multiprocess", choices=("multiprocess", "in_process"))
    args = parser.parse_args()
    from erpload.sources.demo_erp import create_demo_erp

    work = Path(tempfile.mkdtemp(prefix="bench_tenants_"))
    try:
        project, home = work / "project", work / "dagster_home"
        project.mkdir()
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        erp = work / "demo_erp.sqlite"
        counts = create_demo_erp(erp, scale=args.scale)
        tenants = [f"t{n}" for n in range(1, args.tenants + 1)]
        _write_project(project, erp, tenants, args.targets.split(","))
        print(f"{len(tenants)} tenants, each a demo ERP of {sum(counts.values()):,} rows; the job erpload_tenant "
              f"(extract, map, transform {args.targets}), {args.executor} executor; {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
        alone = _round(project, home, args.executor, tenants, side_by_side=False)
        together = _round(project, home, args.executor, tenants, side_by_side=True)
        print(f"throughput side by side / one at a time: {alone / together:.2f}x "
              f"(load average now {os.getloadavg()[0]:.1f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
