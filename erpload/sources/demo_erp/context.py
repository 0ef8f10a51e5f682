"""What every transaction generator needs: master data, lookups, random streams and the fault log."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from .faults import FaultLog
from .organisation import AccountIndex, Organisation
from .partners import Partners
from .vectors import Ints


@dataclass
class Context:
    """Shared state of one `generate()` run."""

    seed: int
    scale: float
    org: Organisation
    partners: Partners
    accounts: AccountIndex
    log: FaultLog
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def rng(self, stream: int) -> np.random.Generator:
        """An independent numpy stream per purpose, so one generator's draws don't shift another's."""
        return np.random.default_rng([self.seed, stream])

    def rnd(self, stream: str) -> random.Random:
        """An independent Python stream (string seeds hash with SHA-512, stable across runs)."""
        return random.Random(f"{self.seed}-{stream}")

    @property
    def shares(self) -> list[float]:
        """Each company's share of the group's transactions."""
        return [c.spec.share for c in self.org.companies]

    def per_company(self, values: list[Any]) -> Ints:
        """A lookup array indexed by company index."""
        return np.asarray(values, dtype=np.int64)

    def tax_ids(self, role: str) -> Ints:
        """Per company, the tax code id of a tax role."""
        return self.per_company([c.tax_id(role) for c in self.org.companies])

    def tax_rates(self, role: str) -> Ints:
        """Per company, the rate (basis points) of a tax role's code."""
        return self.per_company([c.tax_rate_bp[c.tax_id(role)] for c in self.org.companies])

    def tax_rate_by_id(self) -> Ints:
        """The rate (basis points) of every tax code, indexed by tax_code_id (0: none)."""
        rates = {tax_id: bp for c in self.org.companies for tax_id, bp in c.tax_rate_bp.items()}
        table = np.zeros(max(rates, default=0) + 1, dtype=np.int64)
        table[list(rates)] = list(rates.values())
        return table

    def random_ids(self, rng: np.random.Generator, company: Ints, pick: str, share: float) -> pa.Array:
        """A random active cost center or unit ('cost_center_ids' / 'cost_unit_ids') on `share` of rows."""
        pools = [getattr(c, pick) for c in self.org.companies]
        width = max(len(p) for p in pools)
        table = np.array([p + [p[0]] * (width - len(p)) for p in pools], dtype=np.int64)
        counts = self.per_company([len(p) for p in pools])
        choice = table[company, (rng.random(len(company)) * counts[company]).astype(np.int64)]
        return pa.array(choice, pa.int64(), mask=rng.random(len(company)) >= share)

    def add_attachment(self, company_id: int, file_name: str, content: bytes, updated_at: Any) -> int:
        """Store a receipt PDF; returns its attachment_id."""
        attachment_id = len(self.attachments) + 1
        self.attachments.append({
            "attachment_id": attachment_id, "company_id": company_id, "file_name": file_name,
            "mime_type": "application/pdf", "content": content, "sha256": hashlib.sha256(content).hexdigest(),
            "size_bytes": len(content), "updated_at": updated_at,
        })
        return attachment_id
