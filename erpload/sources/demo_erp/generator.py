"""The embedded demo ERP: a deterministic, scalable data set for a German/Danish group.

Four companies (Hamburg GmbH on SKR03, Bavarian AG on SKR04 with 6-digit accounts and a July
fiscal year, a Copenhagen ApS in DKK, a Bremen GmbH with 8-digit accounts), their charts of
accounts, tax codes, partners, purchasing, invoices and journal, with receipt PDFs, a document
lifecycle (drafts, cancellations after posting, amendments; `lifecycle.py`) and about 1.5 %
deliberately faulty records, each listed in `DemoData.faults`.

Volumes grow with `scale`: transactional tables linearly, master data with sqrt(scale).

============================  =================  ====================
table                         scale 1            scale s
============================  =================  ====================
customer / vendor / employee  300 / 200 / 80     x sqrt(s)
sales_invoice (lines)         600 (≈ 2,000)      x s
purchase_invoice (lines)      500 (≈ 1,700)      x s
purchase_order                150                x s
journal_entry                 1,000              x s
journal_line                  ≈ 3,000            ≈ 3,000 x s
attachment                    one per invoice    at most 5,000
============================  =================  ====================

So about 1,000,000 journal lines need scale ≈ 333. The same seed and scale always give the
same bytes; all dates lie in 2025-01-01 .. 2026-10-31 (faults aside), all timestamps before
2026-11-01.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .context import Context
from .faults import FaultLog, plant_data_rule_faults
from .journal import build_journal
from .organisation import AccountIndex, build_organisation
from .partners import build_partners
from .purchasing import build_purchasing
from .sales import build_sales
from .schema import build_table, rows_to_columns, table_schemas
from .settings import ATTACHMENT_CAP, PURCHASE_INVOICES, SALES_INVOICES
from .vectors import Ints


@dataclass(frozen=True)
class DemoData:
    """One generated demo ERP: a table per schema table (schema.sql order) and the planted faults."""

    tables: dict[str, pa.Table]
    faults: pa.Table


def generate(seed: int = 42, scale: float = 1.0) -> DemoData:
    """Generate the demo ERP.

    Args:
        seed: Random seed; the same seed and scale give byte-identical tables.
        scale: Size factor; 1.0 is the demo default (about 3,000 journal lines),
            333 gives about a million journal lines.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    log = FaultLog()
    org = build_organisation(seed)
    partners = build_partners(seed, scale, org, log)
    ctx = Context(seed, scale, org, partners, AccountIndex.of(org.companies), log)

    n_sales = max(1, round(SALES_INVOICES * scale))
    n_purchase = max(1, round(PURCHASE_INVOICES * scale))
    sales_budget = min(n_sales, ATTACHMENT_CAP * n_sales // (n_sales + n_purchase))
    sales = build_sales(ctx, sales_budget)
    purchasing = build_purchasing(ctx, ATTACHMENT_CAP - len(ctx.attachments))
    journal = build_journal(ctx, sales, purchasing)

    names = table_schemas()
    attachment = build_table("attachment", rows_to_columns(ctx.attachments, names["attachment"].names))
    tables = {
        **org.tables,
        **partners.tables,
        "attachment": attachment,
        "external_reference": _external_references(partners.references, sales.telecomx_ids, sales.invoice),
        "sales_invoice": sales.invoice,
        "sales_invoice_line": sales.line,
        **purchasing.tables,
        **journal,
    }
    tables = plant_data_rule_faults(seed, tables, log)
    return DemoData({name: tables[name] for name in names}, log.table())


def _external_references(
    master: list[dict[str, Any]], telecomx: tuple[Ints, list[str]], invoices: pa.Table,
) -> pa.Table:
    """Integration ids of master data, plus a Telecom X id for every Danish sales invoice."""
    master_table = build_table("external_reference", {
        "reference_id": np.arange(1, len(master) + 1, dtype=np.int64),
        **rows_to_columns(master, ("object_type", "object_id", "system_code", "external_id", "updated_at")),
    })
    invoice_ids, external_ids = telecomx
    first = len(master) + 1
    invoice_table = build_table("external_reference", {
        "reference_id": np.arange(first, first + len(invoice_ids), dtype=np.int64),
        "object_type": ["sales_invoice"] * len(invoice_ids),
        "object_id": invoice_ids,
        "system_code": ["telecomx"] * len(invoice_ids),
        "external_id": external_ids,
        "updated_at": invoices.column("updated_at").take(pa.array(invoice_ids - 1, pa.int64())),
    })
    return pa.concat_tables([master_table, invoice_table])
