"""Benchmark: booking proposals with a receipt each, pushed by `erpload push maesn` to the Maesn fake.

    python -m bench.maesn_push [--proposals 10000] [--sequential 500] [--concurrency 16] [--rate-limit 400]
                               [--latency 0.05] [--pending-polls 0] [--poll-interval 0.05] [--receipt-kb 4]
                               [--bound-proposals 500] [--bound-limit 40]

One run, against the fake served by its own process on loopback, answering every request after `--latency`
seconds and enforcing `--rate-limit` requests in any one second (429 beyond it):
  1. `erpload push maesn --dry-run` on the sample's staging file: the command's fixed cost (Python, dlt,
     outbox), nothing sent;
  2. `erpload push maesn` with `concurrency = 1` over `--sequential` proposals (the baseline);
  3. `erpload push maesn` with `concurrency = --concurrency` over `--proposals` proposals;
  4. the same over `--bound-proposals` under `--bound-limit`, a rate limit below what that concurrency reaches:
     the limit is then what holds the push back, and the fake's busiest second must stay within it.
Each push is the real command in a subprocess (framework, ledger, a `sending`, `sent` and `acknowledged`
commit per proposal) with the same rate limit configured as the fake's (a fake per limit). Each proposal has
its own generated PDF receipt in `erp.documents`. Reports proposals per second and their ratio (goal: at least
8x), the most requests that arrived at the fake within any one second (must not exceed the limit) with its
429s, the proposals that arrived more than once (must be 0), every proposal `acknowledged` in the ledger, and
where the time goes: the client's and the fake's CPU per proposal and the per-proposal time beyond the fake's
latency and the polling interval.

The rate limit is chosen above what the concurrency can reach (printed as two ceilings), so what is measured
is the concurrency, not the limit. Proposals go to sevdesk (the plain endpoint: POST, then the task polled).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow as pa

from bench.extract_map import last_run

SYSTEM = "sevdesk"
API_KEY = "bench-maesn-key"
ACCOUNT_KEY = "bench-maesn-sevdesk-account"
SERVE = """
import sys
from erpload.fakes.maesn import MaesnFake
from erpload.fakes.serving import serve_apps
fake = MaesnFake(sys.argv[1], account_keys={"sevdesk": sys.argv[2]}, rate_limit_per_s=int(sys.argv[3]))
serve_apps([(fake.app, 0)], "127.0.0.1", lambda urls: print(urls[0], flush=True))
"""
#: a valid sevdesk proposal (fakes/maesn/models.py); each gets its own number
PROPOSAL: dict[str, Any] = {
    "contactId": "4711", "contactName": "Müller Maschinenbau GmbH", "currency": "EUR",
    "debitCreditIndicator": "CREDIT",
    "lineItems": [{"description": "Beratung Januar", "taxRatePercentage": "19", "totalNetAmount": "500.00",
                   "totalGrossAmount": "595.00", "accountNumber": "8400"}]}


def receipt_pdf(number: str, size: int) -> bytes:
    """A small one-page PDF naming the invoice, padded to about `size` bytes with a compressed-looking stream
    (random bytes, so each receipt is distinct and does not shrink in transit)."""
    text = f"BT /F1 12 Tf 72 720 Td (Rechnung {number}) Tj ET".encode()
    head = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
            b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n"
            b"4 0 obj << /Length " + str(len(text)).encode() + b" >> stream\n" + text + b"\nendstream endobj\n")
    filler = os.urandom(max(0, size - len(head) - 80))
    image = b"5 0 obj << /Length " + str(len(filler)).encode() + b" >> stream\n" + filler + b"\nendstream endobj\n"
    return head + image + b"trailer << /Root 1 0 R >>\n%%EOF\n"


def build_staging(path: Path, count: int, prefix: str, receipt_kb: int) -> int:
    """`count` sevdesk proposals in `maesn.sevdesk`, each with its own receipt in `erp.documents` (the shape the
    Maesn transform writes); returns the receipts' bytes."""
    numbers = [f"{prefix}-{i:06d}" for i in range(count)]
    receipts = [receipt_pdf(n, receipt_kb * 1024) for n in numbers]
    digests = [hashlib.sha256(r).hexdigest() for r in receipts]
    documents = pa.table({  # noqa: F841  (read by DuckDB below)
        "company_code": ["1000"] * count, "sha256": digests, "file_name": [f"{n}.pdf" for n in numbers],
        "mime_type": ["application/pdf"] * count, "size_bytes": [len(r) for r in receipts],
        "content": pa.array(receipts, pa.binary())})
    proposals = pa.table({  # noqa: F841
        "_key": [f"1000/INVOICE/{n}" for n in numbers], "_company_code": ["1000"] * count,
        "booking_type": ["INVOICE"] * count,
        "booking_proposal": [json.dumps({**PROPOSAL, "number": n}) for n in numbers],
        "files": [[{"name": f"{n}.pdf", "sha256": d, "mime_type": "application/pdf"}]
                  for n, d in zip(numbers, digests, strict=True)]})
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA erp; CREATE SCHEMA maesn")
        con.execute("CREATE TABLE erp.documents AS SELECT * FROM documents")
        con.execute(f"CREATE TABLE maesn.{SYSTEM} (_key VARCHAR, _company_code VARCHAR, booking_type VARCHAR, "
                    "booking_proposal JSON, files STRUCT(name VARCHAR, sha256 VARCHAR, mime_type VARCHAR)[], "
                    "folder_management STRUCT(category VARCHAR, folder VARCHAR, register VARCHAR))")
        con.execute(f"INSERT INTO maesn.{SYSTEM} SELECT _key, _company_code, booking_type, booking_proposal, "
                    "files, NULL FROM proposals")
    return sum(map(len, receipts))


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a live process has used (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Push:
    label: str
    proposals: int
    concurrency: int
    rate_limit: int
    command_s: float = 0.0     # from erpload.runs: the push's start to its finish
    wall_s: float = 0.0        # the subprocess, Python start-up included
    cpu_s: float = 0.0         # the subprocess's user + system CPU
    fake_cpu_s: float = 0.0    # the fake's process meanwhile
    ledger: dict[str, int] | None = None
    arrivals: dict[str, Any] | None = None
    counts: dict[str, int] | None = None
    traffic: str = ""

    @property
    def rate(self) -> float:
        return self.proposals / self.command_s if self.command_s else 0.0

    @property
    def duplicates(self) -> int:
        counts = self.counts or {}
        return counts.get("arrivals", 0) - counts.get("proposals", 0)


class Fake:
    """The Maesn fake in a process of its own, enforcing `rate_limit` requests in any one second."""

    def __init__(self, rate_limit: int) -> None:
        self.rate_limit = rate_limit
        self.process = subprocess.Popen([sys.executable, "-c", SERVE, API_KEY, ACCOUNT_KEY, str(rate_limit)],
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url:
            raise SystemExit("the Maesn fake did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def env(self, fake: Fake, concurrency: int) -> dict[str, str]:
        a = self.args
        return {**os.environ, "RUNTIME__LOG_LEVEL": "WARNING", "DESTINATION__MAESN__BASE_URL": fake.url,
                "DESTINATION__MAESN__API_KEY": API_KEY,
                f"DESTINATION__MAESN__{SYSTEM.upper()}__ACCOUNT_KEY": ACCOUNT_KEY,
                "DESTINATION__MAESN__CONCURRENCY": str(concurrency),
                "DESTINATION__MAESN__RATE_LIMIT_PER_S": str(fake.rate_limit),
                "DESTINATION__MAESN__POLL_INTERVAL_S": str(a.poll_interval),
                "DESTINATION__MAESN__TASK_TIMEOUT_S": "60"}

    def reset_fake(self, fake: Fake) -> None:
        """A fresh fake (no proposals, no arrivals); a reset clears the knobs, so latency and polls are set again."""
        httpx.post(f"{fake.url}/_fake/reset").raise_for_status()
        httpx.put(f"{fake.url}/_fake/faults", json={
            "latency": self.args.latency, "job_queued_polls": self.args.pending_polls}).raise_for_status()

    def erpload(self, args: list[str], fake: Fake, concurrency: int, staging: Path) -> tuple[float, float, str]:
        """Run `erpload <args>` on `staging`: (wall seconds, CPU seconds, its output)."""
        output = staging.parent / f"{args[-1].lstrip('-')}-{concurrency}.out"
        started = time.perf_counter()
        with open(output, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "erpload.cli", *args, "--staging", str(staging)],
                                    env=self.env(fake, concurrency), cwd=staging.parent, stdout=out,
                                    stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        text = output.read_text()
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"erpload {' '.join(args)} exited {os.waitstatus_to_exitcode(status)}:\n{text}")
        return wall, usage.ru_utime + usage.ru_stime, text

    def push(self, label: str, fake: Fake, staging: Path, proposals: int, concurrency: int) -> Push:
        self.reset_fake(fake)
        result = Push(label, proposals, concurrency, fake.rate_limit)
        fake_cpu = _cpu_s(fake.process.pid)
        result.wall_s, result.cpu_s, output = self.erpload(["push", "maesn", "--quiet"], fake, concurrency, staging)
        result.fake_cpu_s = _cpu_s(fake.process.pid) - fake_cpu
        _, result.command_s = last_run(staging, "push maesn")
        with duckdb.connect(str(staging), read_only=True) as con:
            result.ledger = dict(con.execute("SELECT state, count(*) FROM ledger GROUP BY ALL").fetchall())
        result.arrivals = httpx.get(f"{fake.url}/_fake/arrivals").json()
        result.counts = httpx.get(f"{fake.url}/_fake/proposals", params={"system": SYSTEM}, timeout=60
                                  ).json()["counts"].get(SYSTEM, {})
        traffic = re.search(r"Maesn[ (].*request.*", output)
        result.traffic = traffic.group(0) if traffic else "(no traffic line)"
        return result


def _report(push: Push) -> list[str]:
    limit = push.rate_limit
    arrivals, counts = push.arrivals or {}, push.counts or {}
    acked = (push.ledger or {}).get("acknowledged", 0)
    problems = []
    if acked != push.proposals or set(push.ledger or {}) != {"acknowledged"}:
        problems.append(f"{push.label}: the ledger holds {push.ledger}, not {push.proposals:,} acknowledged")
    if push.duplicates or counts.get("proposals") != push.proposals:
        problems.append(f"{push.label}: the fake holds {counts}: a proposal missing or arrived twice")
    if arrivals.get("busiest", 0) > limit or arrivals.get("throttled"):
        problems.append(f"{push.label}: the rate limit was exceeded at the fake: {arrivals.get('busiest')} requests "
                        f"in its busiest second (limit {limit}), {arrivals.get('throttled')} answered 429")
    print(f"  {push.label}: {push.proposals:,} proposals in {push.command_s:.1f} s (command; {push.wall_s:.1f} s "
          f"with Python's start) = {push.rate:.1f}/s; ledger {push.ledger}; at the fake: {counts.get('proposals')} "
          f"proposals, {counts.get('arrivals')} arrivals, {push.duplicates} duplicates, {arrivals.get('requests')} "
          f"requests, busiest second {arrivals.get('busiest')} (limit {limit}), 429s {arrivals.get('throttled')}; "
          f"CPU: push {push.cpu_s:.1f} s, fake {push.fake_cpu_s:.1f} s", flush=True)
    print(f"    {push.traffic}", flush=True)
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proposals", type=int, default=10_000, help="pushed with --concurrency")
    parser.add_argument("--sequential", type=int, default=500, help="the sample pushed with concurrency 1")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate-limit", type=int, default=400, help="requests per second, the fake's and erpload's")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake waits before each answer")
    parser.add_argument("--pending-polls", type=int, default=0, help="polls a task answers OPEN before SUCCESS")
    parser.add_argument("--poll-interval", type=float, default=0.05, help="erpload's wait before each poll")
    parser.add_argument("--receipt-kb", type=int, default=4)
    parser.add_argument("--bound-proposals", type=int, default=500,
                        help="pushed at --concurrency under --bound-limit, which holds them back (0: skip)")
    parser.add_argument("--bound-limit", type=int, default=40, help="a rate limit below what the concurrency reaches")
    args = parser.parse_args()

    requests_per = 2 + args.pending_polls  # POST, then one poll per pending answer and the final one
    ideal_s = requests_per * args.latency + (1 + args.pending_polls) * args.poll_interval
    load = os.getloadavg()
    print(f"{args.proposals:,} proposals at concurrency {args.concurrency} against {args.sequential:,} one at a time; "
          f"receipts of {args.receipt_kb} KiB; the fake answers after {args.latency * 1000:.0f} ms, tasks end after "
          f"{args.pending_polls} pending poll(s), erpload polls every {args.poll_interval * 1000:.0f} ms: "
          f"{requests_per} requests and at least {ideal_s * 1000:.0f} ms per proposal; rate limit {args.rate_limit}/s "
          f"caps at {args.rate_limit / requests_per:.0f} proposals/s, concurrency at "
          f"{args.concurrency / ideal_s:.0f}/s; load average {load[0]:.1f} {load[1]:.1f}", flush=True)

    runs = [("one", args.sequential, 1, args.rate_limit), ("many", args.proposals, args.concurrency, args.rate_limit)]
    if args.bound_proposals:
        runs.append(("bound", args.bound_proposals, args.concurrency, args.bound_limit))
    bench = Bench(args)
    pushes: dict[str, Push] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="erpload-bench-maesn-") as tmp:
        staged = {}
        for name, count, _, _ in runs:
            (Path(tmp) / name).mkdir()
            started = time.perf_counter()
            staged[name] = Path(tmp) / name / "erpload.duckdb"
            size = build_staging(staged[name], count, name.upper(), args.receipt_kb)
            print(f"  staging '{name}': {count:,} proposals, {size / 2**20:.1f} MiB of receipts, "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
        fakes = {limit: Fake(limit) for limit in sorted({r[3] for r in runs})}
        try:
            dry_wall, dry_cpu, _ = bench.erpload(["push", "maesn", "--dry-run"], fakes[args.rate_limit], 1,
                                                 staged["one"])
            print(f"  fixed cost, `push maesn --dry-run` of the sample: {dry_wall:.1f} s, {dry_cpu:.1f} CPU s",
                  flush=True)
            for name, count, concurrency, limit in runs:
                label = f"concurrency {concurrency}" + (f", rate limit {limit}/s" if name == "bound" else "")
                pushes[name] = bench.push(label, fakes[limit], staged[name], count, concurrency)
                problems += _report(pushes[name])
        finally:
            for fake in fakes.values():
                fake.stop()

    one, many = pushes["one"], pushes["many"]
    per_one_ms = one.command_s / one.proposals * 1000
    print("\nresults")
    print(f"  speed-up {many.rate / one.rate:.1f}x (goal >= 8x): {many.rate:.1f} against {one.rate:.1f} proposals/s")
    print(f"  one at a time: {per_one_ms:.0f} ms per proposal, {per_one_ms - ideal_s * 1000:.0f} ms beyond the "
          f"latency and polling ({ideal_s * 1000:.0f} ms); so concurrency {args.concurrency} could reach "
          f"{args.concurrency * 1000 / per_one_ms:.0f}/s if the CPU kept up")
    for push in (one, many):
        client = (push.cpu_s - dry_cpu) / push.proposals * 1000
        print(f"  {push.label}: CPU per proposal: push {client:.1f} ms (beyond the dry run's fixed cost), fake "
              f"{push.fake_cpu_s / push.proposals * 1000:.1f} ms; both together use "
              f"{(push.cpu_s - dry_cpu + push.fake_cpu_s) / push.command_s:.2f} of the 2 cores")
    if bound := pushes.get("bound"):
        print(f"  {bound.label}: {bound.rate:.1f} proposals/s = {bound.rate * requests_per:.1f} requests/s against the "
              f"limit's {args.bound_limit}; busiest second at the fake {(bound.arrivals or {}).get('busiest')}")
    load = os.getloadavg()
    print(f"  load average at the end {load[0]:.1f} {load[1]:.1f}")
    if problems:
        raise SystemExit("goals missed:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main()
