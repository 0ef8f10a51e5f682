"""One vendor case of the contract suite: a served fake, the command that pushes to it, and what it holds.

A case answers in the same terms for every vendor, so the contract's test bodies are written once:
records are named `<entity>:<key>` (the ledger's entity and record key), "held" is what the fake's inspection
API says arrived (how often, and as what payload), "expected" is what staging says should arrive (the payloads
as the push framework builds them).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import httpx

from erpload.fakes.dvelop import DvelopFake
from erpload.fakes.faults import Faults
from erpload.fakes.maesn import MaesnFake
from erpload.fakes.serving import serve_in_thread
from erpload.push.pusher import payload_sql
from tests.utils import Workspace

DVELOP_KEY = "test-dvelop-key-7Qw9"
BUCKET = "bucket-test"
MAESN_KEY = "test-maesn-api-key-51c2"
MAESN_ACCOUNTS = {s: f"test-account-{s}-9e0f" for s in ("datev_uo", "exact", "lexware_office", "sevdesk", "xero")}
MAESN_COMPANIES = {"datev_uo": "455148-10001", "exact": "3109871"}
#: records a case keeps of the demo ERP's dataset: enough for several batches, few enough to stay fast
DVELOP_VENDORS = 12
MAESN_PROPOSALS = 6


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Change:
    """An edit of one staged record: which, and the field a vendor names when it refuses it."""

    record: str  # <entity>:<key>
    field: str
    was: str  # the value before the edit


@dataclass
class VendorCase(ABC):
    """A vendor's fake served on loopback, with the environment that points erpload at it."""

    id: str
    target: str
    create_only: bool
    entities: tuple[str, ...]
    url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    secret_setting: str = ""  # the environment variable holding the vendor's API key
    failure_message: str = ""  # what the fake says of a job/task the fault knobs fail

    @property
    def push(self) -> tuple[str, ...]:
        """The CLI arguments of this case's push."""
        return ("push", self.target)

    # --- the fake ---

    def set_faults(self, **knobs: Any) -> None:
        httpx.put(f"{self.url}/_fake/faults", json=Faults(**knobs).model_dump()).raise_for_status()

    @abstractmethod
    def writes(self) -> int:
        """Create/update requests the fake answered (any status): a push that sends nothing adds none."""

    def answered(self, status: int) -> int:
        """Requests to the vendor's own paths the fake answered with `status`."""
        requests = httpx.get(f"{self.url}/_fake/requests").json()["requests"]
        return sum(1 for r in requests if r["status"] == status and not r["path"].startswith("/_fake"))

    def requests(self) -> int:
        """Requests to the vendor's own paths, any status."""
        return sum(1 for r in httpx.get(f"{self.url}/_fake/requests").json()["requests"]
                   if not r["path"].startswith("/_fake"))

    @abstractmethod
    def held(self, ws: Workspace) -> dict[str, int]:
        """<entity>:<key> → how often it arrived at the vendor."""

    def created(self, ws: Workspace) -> dict[str, int]:
        """<entity>:<key> → how many records the vendor holds of it (an upsert: one per arrival that applied)."""
        return self.held(ws)

    @abstractmethod
    def held_payloads(self, ws: Workspace) -> dict[str, dict[str, Any]]:
        """<entity>:<key> → the record as the vendor holds it (in our payload's shape)."""

    # --- staging ---

    def expected(self, ws: Workspace) -> dict[str, dict[str, Any]]:
        """<entity>:<key> → our payload, as the push framework sends it."""
        out: dict[str, dict[str, Any]] = {}
        with duckdb.connect(str(ws.staging), read_only=True) as con:
            for entity in self.entities:
                for key, payload in con.execute(f"SELECT _key, payload FROM ({payload_sql(con, self.target, entity)})"
                                                ).fetchall():
                    out[f"{entity}:{key}"] = json.loads(payload)
        return out

    @abstractmethod
    def prune(self, con: duckdb.DuckDBPyConnection) -> None:
        """Keep a few of the demo ERP's records (the suite's speed); run on the test's own staging copy."""

    @abstractmethod
    def change(self, ws: Workspace) -> str:
        """Change one staged record harmlessly (a vendor takes the new version); its <entity>:<key>."""

    @abstractmethod
    def spoil(self, ws: Workspace) -> Change:
        """Make one staged record one the vendor refuses; which, and the field it names."""

    @abstractmethod
    def mend(self, ws: Workspace, change: Change) -> None:
        """Undo `spoil`: the record as the transform made it."""

    @abstractmethod
    @contextmanager
    def served(self) -> Iterator[VendorCase]:
        """Serve the fake; `url` and `env` are set inside."""


@dataclass
class DvelopCase(VendorCase):
    """d.velop: batches of 8 upserted by an import job (vendors, then their bank accounts)."""

    fake: DvelopFake | None = None

    def _state(self, entity: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/_fake/state/{BUCKET}/{entity}")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    def writes(self) -> int:
        requests = httpx.get(f"{self.url}/_fake/requests", params={"path_prefix": "/smartinvoice"}).json()["requests"]
        return sum(1 for r in requests if r["method"] in ("POST", "PUT") and not r["path"].endswith("/jobs"))

    def held(self, ws: Workspace) -> dict[str, int]:
        return {f"{e}:{k}": int(n) for e in self.entities for k, n in self._state(e)["applied"].items()}

    def held_payloads(self, ws: Workspace) -> dict[str, dict[str, Any]]:
        key_fields = {"vendors": ("company_id", "id"), "vendor_bank_accounts": ("company_id", "vendor_id", "id")}
        return {f"{e}:" + "/".join(r[f] for f in key_fields[e]): r
                for e in self.entities for r in self._state(e)["records"]}

    def prune(self, con: duckdb.DuckDBPyConnection) -> None:
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'dvelop' "
                                    "AND table_name NOT IN ('vendors', 'vendor_bank_accounts')").fetchall():
            con.execute(f"DELETE FROM dvelop.{table}")
        con.execute(f"""DELETE FROM dvelop.vendors WHERE _key NOT IN (
                            SELECT _key FROM dvelop.vendors ORDER BY _key LIMIT {DVELOP_VENDORS})""")
        con.execute("""DELETE FROM dvelop.vendor_bank_accounts b WHERE NOT EXISTS (
                           SELECT 1 FROM dvelop.vendors v WHERE v.company_id = b.company_id AND v.id = b.vendor_id)""")

    def _first(self, ws: Workspace) -> str:
        return str(ws.scalar("SELECT min(_key) FROM dvelop.vendors"))

    def change(self, ws: Workspace) -> str:
        key = self._first(ws)
        with duckdb.connect(str(ws.staging)) as con:
            con.execute("UPDATE dvelop.vendors SET city = 'Tønder' WHERE _key = ?", [key])
        return f"vendors:{key}"

    def spoil(self, ws: Workspace) -> Change:
        key = self._first(ws)
        was = str(ws.scalar("SELECT country FROM dvelop.vendors WHERE _key = ?", [key]))
        with duckdb.connect(str(ws.staging)) as con:
            con.execute("UPDATE dvelop.vendors SET country = 'Deutschland' WHERE _key = ?", [key])
        return Change(f"vendors:{key}", "country", was)

    def mend(self, ws: Workspace, change: Change) -> None:
        with duckdb.connect(str(ws.staging)) as con:
            con.execute("UPDATE dvelop.vendors SET country = ? WHERE _key = ?",
                        [change.was, change.record.partition(":")[2]])

    @contextmanager
    def served(self) -> Iterator[VendorCase]:
        self.fake = DvelopFake(DVELOP_KEY)
        with serve_in_thread(self.fake.app) as url:
            self.url = url
            self.env = {"DESTINATION__DVELOP__BASE_URL": url, "DESTINATION__DVELOP__BUCKET_ID": BUCKET,
                        "DESTINATION__DVELOP__API_KEY": DVELOP_KEY, "DESTINATION__DVELOP__BATCH_SIZE": "8",
                        "DESTINATION__DVELOP__POLL_INTERVAL_S": "0.01",
                        # back-offs from 50 ms, not the default 1 s: the tests count them, not sit through them
                        "DESTINATION__DVELOP__MIN_BACKOFF_S": "0.05"}
            self.secret_setting = "DESTINATION__DVELOP__API_KEY"
            self.failure_message = "import job"  # d.velop's job status has no reason: the job id is what there is
            yield self


@dataclass
class MaesnCase(VendorCase):
    """Maesn, one accounting system: one booking proposal per request, create-only, its task polled to the end."""

    system: str = ""
    fake: MaesnFake | None = None
    _keys: dict[str, str] = field(default_factory=dict)  # canonical bookingProposal → <entity>:<key>

    @property
    def push(self) -> tuple[str, ...]:
        return ("push", "maesn", "--system", self.system)

    def _proposals(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/_fake/proposals", params={"system": self.system})
        response.raise_for_status()
        proposals: list[dict[str, Any]] = response.json()["proposals"]
        return proposals

    def writes(self) -> int:
        requests = httpx.get(f"{self.url}/_fake/requests", params={"path_prefix": "/accounting/bookingProposals"})
        return len(requests.json()["requests"])

    def _name(self, proposal: dict[str, Any]) -> str:
        # a proposal that is none of ours (e.g. a changed version sent) keeps its number, so a test names it
        return self._keys.get(canonical(proposal["bookingProposal"]), f"{self.system}:?{proposal['number']}")

    def remember(self, ws: Workspace) -> None:
        """Note which staged record each proposal is, by its content (the vendor knows no key of ours)."""
        self._keys = {canonical(p["booking_proposal"]): k for k, p in self.expected(ws).items()}

    def held(self, ws: Workspace) -> dict[str, int]:
        return {self._name(p): int(p["arrivals"]) for p in self._proposals()}

    def created(self, ws: Workspace) -> dict[str, int]:
        # an arrival whose task FAILED created nothing
        return {self._name(p): int(p["created"]) for p in self._proposals()}

    def held_payloads(self, ws: Workspace) -> dict[str, dict[str, Any]]:
        held = {}
        for p in self._proposals():
            payload = {"booking_type": p["bookingType"], "booking_proposal": p["bookingProposal"],
                       "files": [{"name": f["name"], "sha256": f["sha256"], "mime_type": f["contentType"]}
                                 for f in p["files"]],
                       "folder_management": p["folderManagement"]}
            held[self._name(p)] = {k: v for k, v in payload.items() if v not in (None, [])}
        return held

    def expected(self, ws: Workspace) -> dict[str, dict[str, Any]]:
        return {k: {n: v for n, v in p.items() if v not in (None, [])} for k, p in super().expected(ws).items()}

    def prune(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"""DELETE FROM maesn.{self.system} WHERE _key NOT IN (
                            SELECT _key FROM maesn.{self.system} ORDER BY _key LIMIT {MAESN_PROPOSALS})""")

    def _edit(self, ws: Workspace, member: str, value: str, key: str | None = None) -> tuple[str, str]:
        """Set booking_proposal.<member> of `key` (default: the first record); its <entity>:<key> and old value."""
        with duckdb.connect(str(ws.staging)) as con:
            key = key or str(con.execute(f"SELECT min(_key) FROM maesn.{self.system}").fetchone()[0])  # type: ignore[index]
            was = con.execute(f"SELECT booking_proposal.{member} FROM maesn.{self.system} WHERE _key = ?",
                              [key]).fetchone()
            con.execute(f"UPDATE maesn.{self.system} SET booking_proposal = "
                        f"struct_update(booking_proposal, {member} := ?) WHERE _key = ?", [value, key])
        return f"{self.system}:{key}", str(was[0]) if was else ""

    def change(self, ws: Workspace) -> str:
        return self._edit(ws, "notes", "Bitte bis Monatsende zahlen.")[0]

    def spoil(self, ws: Workspace) -> Change:
        record, was = self._edit(ws, "currency", "EURO")
        return Change(record, "bookingProposal.currency", was)

    def mend(self, ws: Workspace, change: Change) -> None:
        self._edit(ws, "currency", change.was, change.record.partition(":")[2])

    @contextmanager
    def served(self) -> Iterator[VendorCase]:
        self.fake = MaesnFake(MAESN_KEY, account_keys=MAESN_ACCOUNTS,
                              companies={s: {c} for s, c in MAESN_COMPANIES.items()})
        with serve_in_thread(self.fake.app) as url:
            self.url = url
            self.env = {"DESTINATION__MAESN__BASE_URL": url, "DESTINATION__MAESN__API_KEY": MAESN_KEY,
                        "DESTINATION__MAESN__POLL_INTERVAL_S": "0.01", "DESTINATION__MAESN__RATE_LIMIT_PER_S": "1000",
                        f"DESTINATION__MAESN__{self.system.upper()}__ACCOUNT_KEY": MAESN_ACCOUNTS[self.system]}
            if self.system in MAESN_COMPANIES:
                self.env[f"DESTINATION__MAESN__{self.system.upper()}__COMPANY_ID"] = MAESN_COMPANIES[self.system]
            self.secret_setting = "DESTINATION__MAESN__API_KEY"
            self.failure_message = "The booking proposal could not be created in the target system."
            yield self


MAESN_SYSTEMS = ("datev_uo", "exact", "lexware_office", "sevdesk", "xero")
#: the suite's cases by id: d.velop, and Maesn for each of its five systems
CASES = ("dvelop", *(f"maesn-{s}" for s in MAESN_SYSTEMS))


def make_case(case_id: str) -> VendorCase:
    if case_id == "dvelop":
        return DvelopCase(case_id, "dvelop", create_only=False, entities=("vendors", "vendor_bank_accounts"))
    system = case_id.removeprefix("maesn-")
    return MaesnCase(case_id, "maesn", create_only=True, entities=(system,), system=system)
