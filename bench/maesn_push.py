"""Benchmark (skeleton): booking proposals with a receipt each through the Maesn sender to the fake.

    python -m bench.maesn_push [--proposals 2000] [--sequential 200] [--latency 0.05] [--concurrency 16]
                               [--rate-limit 400] [--receipt-kb 16] [--pending-polls 1]

In one run, against the fake served by its own process on loopback with `--latency` per request and its rate
limit set to `--rate-limit`: the same kind of proposals sent one at a time (`--sequential` of them) and then
`--concurrency` at a time (`--proposals`), through `MaesnSender.send` with receipts read from a DuckDB staging
file. Reports proposals per second for both and their ratio, the most requests the fake saw within any one
second (must not exceed the rate limit) and the proposals that arrived more than once (must be 0).
Goal (issue 15): at least 8x at 50 ms latency, the rate limit never exceeded, zero duplicates.

Until the push framework runs `Sender.concurrency` workers itself, a thread pool here stands in for it and a
minimal batch records the outcomes; at merge this becomes `erpload push maesn` in a subprocess, with the ledger.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import httpx

from destinations.maesn.client import MaesnClient
from destinations.maesn.config import MaesnSettings, SystemConnection
from destinations.maesn.destination import MaesnSender
from erpload.push.pusher import Outgoing, Refusal, payload_sql

API_KEY = "bench-maesn-key"
ACCOUNT_KEY = "bench-maesn-sevdesk-account"
SERVE = """
import sys
from fakes.faults import Faults
from fakes.maesn import MaesnFake
from fakes.serving import serve_apps
fake = MaesnFake(sys.argv[1], account_keys={"sevdesk": sys.argv[2]}, rate_limit_per_s=int(sys.argv[3]),
                 faults=Faults(latency=float(sys.argv[4]), job_queued_polls=int(sys.argv[5])))
serve_apps([(fake.app, 0)], "127.0.0.1", lambda urls: print(urls[0], flush=True))
"""


class OutcomeTally:
    """A minimal stand-in for the framework's Batch: counts outcomes of one record."""

    def __init__(self, record: Outgoing) -> None:
        self.records = [record]
        self.outcome = "none"

    def sent(self, vendor_ref: str) -> None:
        self.outcome = "sent"

    def acknowledged(self, response: str, warnings: tuple[str, ...] = ()) -> None:
        self.outcome = "acknowledged"

    def failed(self, response: str) -> None:
        self.outcome = "failed"

    def refused(self, refusals: list[Refusal]) -> None:
        self.outcome = "refused"

    def unknown(self, reason: str) -> None:
        self.outcome = "unknown"

    def unconfirmed(self, reason: str) -> None:
        self.outcome = "unconfirmed"


def build_staging(path: Path, proposals: int, receipt_kb: int) -> list[Outgoing]:
    """erp.documents with one receipt per proposal, maesn.sevdesk with the proposals; their payloads as a push
    reads them."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA erp; CREATE SCHEMA maesn")
    con.execute("CREATE TABLE erp.documents (company_code VARCHAR, sha256 VARCHAR, file_name VARCHAR, "
                "mime_type VARCHAR, size_bytes BIGINT, content BLOB)")
    con.execute("CREATE TABLE maesn.sevdesk (_key VARCHAR, _company_code VARCHAR, booking_type VARCHAR, "
                "booking_proposal JSON, files STRUCT(name VARCHAR, sha256 VARCHAR, mime_type VARCHAR)[])")
    filler = os.urandom(receipt_kb * 1024)
    documents, rows = [], []
    for i in range(proposals):
        number = f"RE-{i:06}"
        content = b"%PDF-1.4\n" + number.encode() + filler
        digest = hashlib.sha256(content).hexdigest()
        documents.append(("1000", digest, f"{number}.pdf", "application/pdf", len(content), content))
        proposal = {"contactId": "4711", "currency": "EUR", "debitCreditIndicator": "CREDIT", "number": number,
                    "lineItems": [{"description": "Beratung", "totalNetAmount": "500.00",
                                   "totalGrossAmount": "595.00"}]}
        rows.append((f"1000/INVOICE/{number}", "1000", "INVOICE", json.dumps(proposal),
                     [{"name": f"{number}.pdf", "sha256": digest, "mime_type": "application/pdf"}]))
    con.executemany("INSERT INTO erp.documents VALUES (?, ?, ?, ?, ?, ?)", documents)
    con.executemany("INSERT INTO maesn.sevdesk VALUES (?, ?, ?, ?, ?)", rows)
    records = [Outgoing(r[0], r[2], r[3]) for r in con.execute(
        f"SELECT * FROM ({payload_sql(con, 'maesn', 'sevdesk')}) ORDER BY _key").fetchall()]
    con.close()
    return records


def push(base_url: str, staging: Path, records: list[Outgoing], concurrency: int, rate_limit: int) -> tuple[
        float, dict[str, int]]:
    """Send `records` through the sender, `concurrency` at once; (seconds, outcomes counted)."""
    settings = MaesnSettings(base_url=base_url, api_key=API_KEY,
                             connections={"sevdesk": SystemConnection("sevdesk", ACCOUNT_KEY)},
                             concurrency=concurrency, rate_limit_per_s=rate_limit, poll_interval_s=0.05,
                             task_timeout_s=60)
    sender = MaesnSender(settings, MaesnClient(settings))
    with duckdb.connect(str(staging), read_only=True) as con:
        sender.start(con)
        started = time.perf_counter()

        def send(record: Outgoing) -> str:
            batch = OutcomeTally(record)
            sender.send("sevdesk", batch)
            return batch.outcome

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            outcomes = list(pool.map(send, records))
        elapsed = time.perf_counter() - started
        sender.close()
    return elapsed, {o: outcomes.count(o) for o in sorted(set(outcomes))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--sequential", type=int, default=200, help="proposals sent one at a time first")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate-limit", type=int, default=400)
    parser.add_argument("--receipt-kb", type=int, default=16)
    parser.add_argument("--pending-polls", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "staging.duckdb"
        records = build_staging(staging, args.sequential + args.proposals, args.receipt_kb)
        fake = subprocess.Popen([sys.executable, "-c", SERVE, API_KEY, ACCOUNT_KEY, str(args.rate_limit),
                                 str(args.latency), str(args.pending_polls)], stdout=subprocess.PIPE, text=True)
        try:
            assert fake.stdout is not None
            base_url = fake.stdout.readline().strip()
            one_s, one = push(base_url, staging, records[:args.sequential], 1, args.rate_limit)
            many_s, many = push(base_url, staging, records[args.sequential:], args.concurrency, args.rate_limit)
            arrivals = httpx.get(f"{base_url}/_fake/arrivals").json()
            counts = httpx.get(f"{base_url}/_fake/proposals").json()["counts"].get("sevdesk", {})
        finally:
            fake.terminate()
            fake.wait(timeout=10)

    one_rate, many_rate = args.sequential / one_s, args.proposals / many_s
    duplicates = counts.get("arrivals", 0) - counts.get("proposals", 0)
    print(f"one at a time:    {args.sequential:,} proposals in {one_s:.1f} s = {one_rate:.1f}/s  {one}")
    print(f"concurrency {args.concurrency:>3}: {args.proposals:,} proposals in {many_s:.1f} s = {many_rate:.1f}/s  "
          f"{many}")
    print(f"speed-up {many_rate / one_rate:.1f}x (goal >= 8x); busiest second at the fake {arrivals['busiest']} "
          f"requests (limit {args.rate_limit}, 429s {arrivals['throttled']}); duplicates {duplicates} (goal 0)")


if __name__ == "__main__":
    main()
