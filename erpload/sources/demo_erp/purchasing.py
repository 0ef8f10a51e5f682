"""Purchase orders (with header and line surcharges), goods receipts and purchase invoices.

Generated column-wise. Invoices of ordered goods copy the order lines (po_line_id set); the rest
are free invoices for services, rent, energy and so on. `tax_amount` is the VAT the vendor
charged: zero for intra-EU acquisitions and reverse charge (the buyer self-assesses it, the
tax code says how) and for exempt items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import faults as fault_text
from . import lifecycle
from .catalog import (
    CATEGORY_ACCOUNT,
    GOODS_CATEGORIES,
    HEADER_SURCHARGES,
    LINE_SURCHARGES,
    ORDERED_CATEGORIES,
    PO_DESCRIPTIONS,
    PURCHASE_HEADER_TEXTS,
    PURCHASE_ITEMS,
    item_arrays,
    quantities,
)
from .context import Context
from .faults import choose, split_budget
from .lifecycle import unfaulted
from .organisation import CURRENCY_CODES
from .partners import CATEGORIES, Pool
from .pdf import format_amount, receipt_pdf
from .sales import safe_file_name
from .schema import build_table, scaled_decimal, unscaled
from .settings import DAY0, DAY_END, PURCHASE_INVOICES, PURCHASE_ORDERS
from .vectors import (
    Bools,
    Days,
    Ints,
    clip_days,
    document_numbers,
    expand,
    group_sum,
    half_up_div,
    join_text,
    month_index,
    pick_weighted,
    random_days,
    rank_in_group,
    stamps_after,
    take_strings,
    years,
)

PO_STATUSES = ("open", "approved", "confirmed", "partially_received", "received", "partially_invoiced",
               "invoiced", "cancelled")
_STATUS_WEIGHTS = (10, 8, 10, 8, 12, 8, 40, 4)
PURCHASE_ROLES = ("purchase_full", "purchase_reduced", "purchase_exempt", "purchase_eu", "purchase_rc")
_DOMESTIC_ROLE = {"full": 0, "reduced": 1, "exempt": 2}


@dataclass
class Purchasing:
    """Purchasing tables plus what the payment generator needs about purchase invoices."""

    tables: dict[str, pa.Table]
    company: Ints
    vendor_row: Ints
    date: Days
    currency: Ints
    gross: Ints
    is_credit: Bools
    posted: Bools
    vendor_invoice_no: list[str]


@dataclass
class _Lines:
    """Priced purchase lines (orders or invoices) before ids are assigned."""

    item: Ints
    qty: Ints
    price: Ints  # document currency x 10^4 per price unit
    price_unit: Ints
    net: Ints
    account: Ints
    role: Ints


class _Catalog:
    """Purchase items of all categories; prices in EUR (de) and DKK (da), texts in both languages."""

    def __init__(self) -> None:
        per_category = [PURCHASE_ITEMS[c] for c in CATEGORIES]
        self.de = item_arrays([(items, "de", 1.0) for items in per_category])
        self.da = item_arrays([(items, "da", 7.46) for items in per_category])
        self.texts = self.de.text + self.da.text
        self.units = self.de.unit
        self.size = len(self.de.text)
        self.category = np.repeat(np.arange(len(CATEGORIES)), self.de.count)
        self.goods = np.isin(self.category, [CATEGORIES.index(c) for c in GOODS_CATEGORIES])

    def pick(self, rng: np.random.Generator, category: Ints) -> Ints:
        return np.asarray(
            self.de.start[category] + (rng.random(len(category)) * self.de.count[category]).astype(np.int64)
        )

    def local_price(self, item: Ints, danish: Bools) -> Ints:
        return np.where(danish, self.da.price4[item], self.de.price4[item])


def _account_table(ctx: Context, catalog: _Catalog) -> tuple[Ints, Ints]:
    """[company, item] -> expense account index, for domestic and for EU purchases."""
    accounts = ctx.accounts
    domestic = np.zeros((len(ctx.org.companies), catalog.size), dtype=np.int64)
    eu = np.zeros_like(domestic)
    for company in ctx.org.companies:
        for item in range(catalog.size):
            category = CATEGORIES[int(catalog.category[item])]
            key = catalog.de.account[item] or CATEGORY_ACCOUNT[category]
            if catalog.de.tax[item] == "reduced" and category == "goods":
                key = "goods_7"
            if key not in company.account_no:
                key = {"goods_7": "goods_19", "internet": "telephone"}.get(key, "other_expense")
            domestic[company.index, item] = accounts.gl[company.index, accounts.keys[key]]
            eu_key = "goods_ige" if category in GOODS_CATEGORIES else key
            eu[company.index, item] = accounts.gl[company.index, accounts.keys[eu_key]]
    return domestic, eu


def _price_lines(
    ctx: Context, rng: np.random.Generator, catalog: _Catalog, tables: tuple[Ints, Ints],
    line_company: Ints, category: Ints, scope: Ints, rate: Ints, danish: Bools,
) -> _Lines:
    """Pick items for lines and price them in the document currency."""
    item = catalog.pick(rng, category)
    de = catalog.de
    price_unit = de.price_unit4[item]
    qty = quantities(rng, de.qty_kind[item], de.price4[item], price_unit)
    local = catalog.local_price(item, danish)
    price = half_up_div(local * rate, 1_000_000)
    price = np.where(local % 100 == 0, half_up_div(price, 100) * 100, price)
    net = half_up_div(qty * price, price_unit * 100)
    domestic_role = np.array([_DOMESTIC_ROLE[t] for t in de.tax], dtype=np.int64)[item]
    goods = np.isin(category, [CATEGORIES.index(c) for c in GOODS_CATEGORIES])
    # EU goods: acquisition tax; foreign services: reverse charge; goods from outside the EU: the
    # import VAT is paid to customs, so the vendor's invoice is posted without tax (EX0)
    role = np.select([scope == 0, (scope == 1) & goods, scope == 1, goods], [domestic_role, 3, 4, 2], default=4)
    account = np.where(scope == 1, tables[1][line_company, item], tables[0][line_company, item])
    return _Lines(item, qty, price, price_unit, net, account, role)


def build_purchasing(ctx: Context, attachment_budget: int) -> Purchasing:
    """Purchase orders (≈ 150 x scale), goods receipts and purchase invoices (≈ 500 x scale)."""
    rng = ctx.rng(20)
    companies = ctx.org.companies
    vendors = ctx.partners.vendors
    catalog = _Catalog()
    tables = _account_table(ctx, catalog)
    danish_company = ctx.per_company([c.language == "da" for c in companies]).astype(bool)
    base_of = ctx.per_company([c.base_index for c in companies])

    # purchase orders
    n_po = max(1, round(PURCHASE_ORDERS * ctx.scale))
    po_company = pick_weighted(rng, n_po, ctx.shares)
    order_date = random_days(rng, n_po, DAY0, DAY_END - 5)
    order = np.lexsort((po_company, order_date))
    po_company, order_date = po_company[order], order_date[order]
    orderable = np.isin(vendors.category, [CATEGORIES.index(c) for c in ORDERED_CATEGORIES])
    po_pool = Pool.of(vendors.company, vendors.usable & orderable, len(companies), fallback=vendors.usable)
    po_vendor = po_pool.pick(rng, po_company)
    po_currency = vendors.currency[po_vendor]
    po_rate = ctx.org.rates_micro[base_of[po_company], po_currency, month_index(order_date)]
    status = pick_weighted(rng, n_po, _STATUS_WEIGHTS)
    po_danish = danish_company[po_company]
    po_updated = stamps_after(rng, order_date, 20)

    counts = 1 + rng.binomial(5, 0.4, n_po).astype(np.int64)
    owner, position = expand(counts)
    line_company = po_company[owner]
    scope = vendors.scope[po_vendor][owner]
    items = _price_lines(ctx, rng, catalog, tables, line_company, vendors.category[po_vendor][owner], scope,
                         po_rate[owner], po_danish[owner])
    po_lines = _order_lines(ctx, rng, catalog, items, owner, position, po_company, scope, po_danish)
    received, invoiced = _order_quantities(rng, po_lines, status)
    po_line_id = np.arange(1, len(po_lines["owner"]) + 1, dtype=np.int64)

    seq = rank_in_group(po_company * 10_000 + years(order_date), order_date.astype(np.int64))
    po_prefix = take_strings(("BE", "IK"), po_danish.astype(np.int64))
    buyers = ctx.partners.buyers
    pick = rng.integers(0, 10_000, n_po)
    descriptions = [PO_DESCRIPTIONS["da" if d else "de"] for d in po_danish]
    purchase_order = build_table("purchase_order", {
        "po_id": np.arange(1, n_po + 1, dtype=np.int64),
        "company_id": po_company + 1,
        "po_no": document_numbers(po_prefix, years(order_date), seq, 5),
        "vendor_id": vendors.ids[po_vendor],
        "order_date": order_date,
        "description": [d[p % len(d)] for d, p in zip(descriptions, pick, strict=True)],
        "status": take_strings(PO_STATUSES, status),
        "currency_code": take_strings(CURRENCY_CODES, po_currency),
        "buyer": [buyers[c][p % len(buyers[c])][:40] for c, p in zip(po_company, pick, strict=True)],
        "updated_at": po_updated,
    })
    po_owner = po_lines["owner"]
    purchase_order_line = build_table("purchase_order_line", {
        "po_line_id": po_line_id,
        "po_id": po_owner + 1,
        "line_no": po_lines["line_no"],
        "line_type": po_lines["line_type"],
        "item_no": po_lines["item_no"],
        "description": po_lines["description"],
        "quantity_ordered": po_lines["qty"],
        "quantity_received": received,
        "quantity_invoiced": invoiced,
        "unit": po_lines["unit"],
        "unit_price": po_lines["price"],
        "price_unit": po_lines["price_unit"],
        "net_amount": po_lines["net"],
        "gl_account_no": take_strings(ctx.accounts.strings, po_lines["account"]),
        "cost_center_id": ctx.random_ids(rng, po_company[po_owner], "cost_center_ids", 0.6),
        "cost_unit_id": ctx.random_ids(rng, po_company[po_owner], "cost_unit_ids", 0.25),
        "tax_code_id": po_lines["tax_code_id"],
        "surcharged_line_id": po_lines["surcharged_line_id"],
        "surcharge_category": po_lines["surcharge_category"],
        "surcharge_value": po_lines["surcharge_value"],
        "updated_at": po_updated[po_owner],
    })

    receipts = _goods_receipts(rng, status, order_date, po_company, po_vendor, po_danish, vendors.style,
                               vendors.ids, po_lines, received, po_line_id)
    purchase = _purchase_invoices(ctx, rng, catalog, tables, attachment_budget, status, order_date, po_company,
                                  po_vendor, po_currency, po_lines, invoiced, po_line_id)
    purchase.tables.update({
        "purchase_order": purchase_order, "purchase_order_line": purchase_order_line, **receipts,
    })
    return purchase


def _order_lines(
    ctx: Context, rng: np.random.Generator, catalog: _Catalog, items: _Lines, owner: Ints, position: Ints,
    po_company: Ints, scope: Ints, po_danish: Bools,
) -> dict[str, Any]:
    """Item lines plus line surcharges (right after their item) and header surcharges (last), in order."""
    n_po = len(po_company)
    n_items = len(owner)
    # surcharges (alloy, small quantities, freight, packaging) come with goods, not with services
    goods = catalog.goods[items.item]
    line_surcharge = np.flatnonzero((rng.random(n_items) < 0.06) & goods & (items.price_unit == 10_000))
    goods_order = np.zeros(n_po, dtype=bool)
    goods_order[owner[goods]] = True
    header = np.flatnonzero((rng.random(n_po) < 0.2) & goods_order)
    n_ls, n_hs = len(line_surcharge), len(header)
    ls_kind = rng.integers(0, len(LINE_SURCHARGES), n_ls)
    hs_kind = rng.integers(0, len(HEADER_SURCHARGES), n_hs)

    # line surcharges: 'pcs' = an amount per unit of the item line, 'fixed' = a flat amount
    ls_pcs = np.array([LINE_SURCHARGES[k][2] == "pcs" for k in ls_kind], dtype=bool)
    ls_value = np.where(ls_pcs, rng.integers(5, 150, n_ls) * 100, rng.integers(15, 46, n_ls) * 10_000)
    ls_qty = np.where(ls_pcs, items.qty[line_surcharge], 10_000)
    ls_net = half_up_div(ls_qty * ls_value, 1_000_000)
    # header surcharges: 'fixed' freight or a 'percent' of the order's item value
    hs_percent = np.array([HEADER_SURCHARGES[k][2] == "percent" for k in hs_kind], dtype=bool)
    hs_value = np.where(hs_percent, rng.integers(15, 41, n_hs) * 1_000, rng.integers(25, 181, n_hs) * 10_000)
    item_value = group_sum(items.net, owner, n_po)[header]
    hs_net = np.where(hs_percent, half_up_div(item_value * hs_value, 1_000_000), hs_value // 100)
    header_scope = scope[np.searchsorted(owner, header)]
    hs_role = np.select([header_scope == 0, header_scope == 1], [0, 3], default=2)

    po_of = np.concatenate([owner, owner[line_surcharge], header])
    sort_key = np.concatenate([position * 2, position[line_surcharge] * 2 + 1, np.full(n_hs, 10**6)])
    order = np.lexsort((sort_key, po_of))
    final_id = np.empty(len(order), dtype=np.int64)
    final_id[order] = np.arange(1, len(order) + 1)
    _, line_no = expand(np.bincount(po_of, minlength=n_po).astype(np.int64))
    take = pa.array(order, pa.int64())

    danish = po_danish[po_of]
    item_text = take_strings(catalog.texts, items.item + catalog.size * danish[:n_items])
    ls_text = [LINE_SURCHARGES[k][1 if po_danish[owner[i]] else 0]
               for k, i in zip(ls_kind, line_surcharge, strict=True)]
    hs_text = [HEADER_SURCHARGES[k][1 if po_danish[p] else 0] for k, p in zip(hs_kind, header, strict=True)]
    units = take_strings(catalog.units, items.item)
    company_of = po_company[po_of]
    role = np.concatenate([items.role, items.role[line_surcharge], hs_role])
    tax_table = np.stack([ctx.tax_ids(r) for r in PURCHASE_ROLES], axis=1)
    incidental = ctx.accounts.column("incidental_costs")
    surcharged = np.concatenate([np.zeros(n_items, np.int64), final_id[line_surcharge], np.zeros(n_hs, np.int64)])
    value = np.concatenate([np.zeros(n_items, np.int64), ls_value, hs_value])
    is_item = np.concatenate([np.ones(n_items, bool), np.zeros(n_ls + n_hs, bool)])
    category = [None] * n_items + [LINE_SURCHARGES[k][2] for k in ls_kind] + [HEADER_SURCHARGES[k][2] for k in hs_kind]
    line_type = ["item"] * n_items + ["line_surcharge"] * n_ls + ["header_surcharge"] * n_hs
    return {
        "owner": po_of[order],
        "line_no": line_no + 1,
        "line_type": pa.array(line_type, pa.string()).take(take),
        "is_item": is_item[order],
        "item": np.concatenate([items.item, items.item[line_surcharge], np.zeros(n_hs, np.int64)])[order],
        "item_no": pa.concat_arrays([take_strings(catalog.de.item_no, items.item),
                                     pa.nulls(n_ls + n_hs, pa.string())]).take(take),
        "description": pa.concat_arrays([item_text, pa.array(ls_text + hs_text, pa.string())]).take(take),
        "qty": np.concatenate([items.qty, ls_qty, np.full(n_hs, 10_000)])[order],
        "unit": pa.concat_arrays([units, pc.if_else(pa.array(ls_pcs), units.take(pa.array(line_surcharge, pa.int64())),
                                                    "Psch"), pa.array(["Psch"] * n_hs, pa.string())]).take(take),
        "price": np.concatenate([items.price, ls_value, hs_net * 100])[order],
        "price_unit": np.concatenate([items.price_unit, np.full(n_ls + n_hs, 10_000)])[order],
        "net": np.concatenate([items.net, ls_net, hs_net])[order],
        "account": np.concatenate([items.account, incidental[company_of[n_items:]]])[order],
        "role": role[order],
        "tax_code_id": tax_table[company_of, role][order],
        "surcharged_line_id": pa.array(surcharged[order], pa.int64(), mask=surcharged[order] == 0),
        "surcharge_category": pa.array(category, pa.string()).take(take),
        "surcharge_value": scaled_decimal(value[order], pa.decimal128(18, 4), is_item[order] == 0),
    }


def _order_quantities(rng: np.random.Generator, lines: dict[str, Any], status: Ints) -> tuple[Ints, Ints]:
    """Received and invoiced quantities consistent with each order's status."""
    ordered = lines["qty"]
    line_status = status[lines["owner"]]
    code = {name: i for i, name in enumerate(PO_STATUSES)}
    full_receipt = (line_status >= code["received"]) & (line_status != code["cancelled"])
    partial = line_status == code["partially_received"]
    fraction = rng.integers(3_000, 9_000, len(ordered))
    part = np.maximum((ordered * fraction // 10_000) // 10_000 * 10_000, np.minimum(ordered, 10_000))
    received = np.where(full_receipt, ordered, np.where(partial & lines["is_item"], part, 0))
    received = np.where(partial & ~lines["is_item"], 0, received)
    invoiced_all = line_status == code["invoiced"]
    # a partial invoice bills the first line, the surcharges and some of the other lines
    some = (rng.random(len(ordered)) < 0.6) | ~lines["is_item"] | (lines["line_no"] == 1)
    invoiced_some = (line_status == code["partially_invoiced"]) & some
    invoiced = np.where(invoiced_all | invoiced_some, ordered, 0)
    return received.astype(np.int64), invoiced.astype(np.int64)


def _goods_receipts(
    rng: np.random.Generator, status: Ints, order_date: Days, po_company: Ints, po_vendor: Ints, po_danish: Bools,
    vendors_style: Ints, vendor_ids: Ints, lines: dict[str, Any], received: Ints, po_line_id: Ints,
) -> dict[str, pa.Table]:
    """One goods receipt per order with received goods; lines reference the order lines."""
    code = {name: i for i, name in enumerate(PO_STATUSES)}
    has_receipt = (status >= code["partially_received"]) & (status <= code["invoiced"])
    po_index = np.flatnonzero(has_receipt)
    receipt_of_po = np.full(len(status), -1, dtype=np.int64)
    receipt_of_po[po_index] = np.arange(len(po_index))
    n = len(po_index)
    date = clip_days(order_date[po_index] + rng.integers(3, 26, n).astype("timedelta64[D]"), DAY0, DAY_END)
    company = po_company[po_index]
    seq = rank_in_group(company * 10_000 + years(date), date.astype(np.int64))
    prefix = take_strings(("WE", "VM"), po_danish[po_index].astype(np.int64))
    note_prefix = take_strings(("LS-", "", "DN-", "LF", "LS/", "D-", "", "L"), vendors_style[po_vendor[po_index]])
    note_no = pa.array(rng.integers(100_000, 999_999, n), pa.int64()).cast(pa.string())
    updated = stamps_after(rng, date, 3)

    line_rows = np.flatnonzero(lines["is_item"] & (received > 0) & (receipt_of_po[lines["owner"]] >= 0))
    owner = receipt_of_po[lines["owner"][line_rows]]
    _, line_no = expand(np.bincount(owner, minlength=n).astype(np.int64))
    posted = clip_days(date[owner] + rng.integers(0, 3, len(owner)).astype("timedelta64[D]"), DAY0, DAY_END)
    return {
        "goods_receipt": build_table("goods_receipt", {
            "receipt_id": np.arange(1, n + 1, dtype=np.int64),
            "company_id": company + 1,
            "receipt_no": document_numbers(prefix, years(date), seq, 5),
            "vendor_id": vendor_ids[po_vendor[po_index]],
            "receipt_date": date,
            "delivery_note_no": join_text(note_prefix, note_no, separator=""),
            "updated_at": updated,
        }),
        "goods_receipt_line": build_table("goods_receipt_line", {
            "receipt_line_id": np.arange(1, len(line_rows) + 1, dtype=np.int64),
            "receipt_id": owner + 1,
            "line_no": line_no + 1,
            "po_line_id": po_line_id[line_rows],
            "quantity": received[line_rows],
            "posted_date": posted,
            "updated_at": updated[owner],
        }),
    }


def _vendor_invoice_numbers(style: Ints, number: Ints, year: Ints) -> list[str]:
    """Invoice numbers as different vendors print them (all within DATEV's Belegfeld 1 charset)."""
    formats = (
        lambda n, y: f"{n}",
        lambda n, y: f"R{y % 100:02d}{n:05d}",
        lambda n, y: f"INV-{y}-{n:04d}",
        lambda n, y: f"{y}/{n:05d}",
        lambda n, y: f"RG{n:07d}",
        lambda n, y: f"F-{n}",
        lambda n, y: f"{y % 100:02d}-{n:04d}",
        lambda n, y: f"FAK{n}",
    )
    return [formats[s](n, y) for s, n, y in zip(style.tolist(), number.tolist(), year.tolist(), strict=True)]


def _purchase_invoices(
    ctx: Context, rng: np.random.Generator, catalog: _Catalog, tables: tuple[Ints, Ints], attachment_budget: int,
    status: Ints, order_date: Days, po_company: Ints, po_vendor: Ints, po_currency: Ints,
    po_lines: dict[str, Any], invoiced: Ints, po_line_id: Ints,
) -> Purchasing:
    """Invoices for invoiced orders (lines copied from the order) plus free invoices."""
    companies = ctx.org.companies
    vendors = ctx.partners.vendors
    danish_company = ctx.per_company([c.language == "da" for c in companies]).astype(bool)
    base_of = ctx.per_company([c.base_index for c in companies])

    # A: one invoice per (partially) invoiced order
    code = {name: i for i, name in enumerate(PO_STATUSES)}
    billed_po = np.flatnonzero((status == code["invoiced"]) | (status == code["partially_invoiced"]))
    n_a = len(billed_po)
    a_lines = np.flatnonzero(invoiced > 0)
    a_lines = a_lines[np.isin(po_lines["owner"][a_lines], billed_po)]
    invoice_of_po = np.full(len(status), -1, dtype=np.int64)
    invoice_of_po[billed_po] = np.arange(n_a)
    a_owner = invoice_of_po[po_lines["owner"][a_lines]]
    a_date = clip_days(order_date[billed_po] + rng.integers(10, 46, n_a).astype("timedelta64[D]"), DAY0, DAY_END)
    # unit price per single unit, so quantity x unit_price = net
    a_price = half_up_div(po_lines["price"][a_lines] * 10_000, po_lines["price_unit"][a_lines])

    # B: free invoices
    n_b = max(0, max(1, round(PURCHASE_INVOICES * ctx.scale)) - n_a)
    b_company = pick_weighted(rng, n_b, ctx.shares)
    b_date = random_days(rng, n_b, DAY0, DAY_END)
    b_vendor = vendors.active.pick(rng, b_company)
    b_currency = vendors.currency[b_vendor]
    b_rate = ctx.org.rates_micro[base_of[b_company], b_currency, month_index(b_date)]
    b_counts = 1 + rng.binomial(5, 0.5, n_b).astype(np.int64)
    b_owner, _ = expand(b_counts)
    b_line_company = b_company[b_owner]
    b_items = _price_lines(ctx, rng, catalog, tables, b_line_company, vendors.category[b_vendor][b_owner],
                           vendors.scope[b_vendor][b_owner], b_rate[b_owner], danish_company[b_line_company])
    b_price = half_up_div(b_items.price * 10_000, b_items.price_unit)

    # combine, then number invoices by date
    company = np.concatenate([po_company[billed_po], b_company])
    date = np.concatenate([a_date, b_date])
    vendor_row = np.concatenate([po_vendor[billed_po], b_vendor])
    currency = np.concatenate([po_currency[billed_po], b_currency])
    rate = ctx.org.rates_micro[base_of[company], currency, month_index(date)]
    po_id = np.concatenate([billed_po + 1, np.zeros(n_b, np.int64)])
    n = n_a + n_b
    by_date = np.lexsort((company, date))
    new_index = np.empty(n, dtype=np.int64)
    new_index[by_date] = np.arange(n)
    company, date, vendor_row, currency, rate, po_id = (
        a[by_date] for a in (company, date, vendor_row, currency, rate, po_id))
    is_credit = (po_id == 0) & (rng.random(n) < 0.05)

    owner = new_index[np.concatenate([a_owner, b_owner + n_a])]
    item = np.concatenate([po_lines["item"][a_lines], b_items.item])
    qty = np.concatenate([invoiced[a_lines], b_items.qty])
    price = np.concatenate([a_price, b_price])
    account = np.concatenate([po_lines["account"][a_lines], b_items.account])
    role = np.concatenate([po_lines["role"][a_lines], b_items.role])
    line_po = np.concatenate([po_line_id[a_lines], np.zeros(len(b_owner), np.int64)])
    description = pa.concat_arrays([
        po_lines["description"].take(pa.array(a_lines, pa.int64())),
        take_strings(catalog.texts, b_items.item + catalog.size * danish_company[b_line_company]),
    ])
    original_order = np.arange(len(owner))
    line_order = np.lexsort((original_order, owner))
    owner, item, qty, price, account, role, line_po = (
        a[line_order] for a in (owner, item, qty, price, account, role, line_po))
    description = description.take(pa.array(line_order, pa.int64()))
    _, position = expand(np.bincount(owner, minlength=n).astype(np.int64))
    lines = len(owner)
    line_company = company[owner]

    taken = np.zeros(lines, dtype=bool)
    budget = split_budget("purchase_invoice_line", lines)
    zero = choose(rng, np.ones(lines, dtype=bool), budget["zero_amount"], taken)
    price[zero] = 0
    net = half_up_div(qty * price, 1_000_000)
    rate_table = np.stack([ctx.tax_rates(r) for r in PURCHASE_ROLES], axis=1)
    charged = role <= 1  # the vendor charges VAT only on domestic taxable supplies
    tax = np.where(charged, half_up_div(net * rate_table[line_company, role], 10_000), 0)
    unknown = choose(rng, np.ones(lines, dtype=bool), budget["unknown_account"], taken)
    account[unknown] = ctx.accounts.unknown(rng, line_company[unknown])
    account_no = take_strings(ctx.accounts.strings, account)
    ctx.log.add("purchase_invoice_line", zero + 1, "zero_amount",
                ["line net amount 0.00 (unit price 0): a free replacement part on the invoice"] * len(zero))
    ctx.log.add("purchase_invoice_line", unknown + 1, "unknown_account", [
        f"expense account {account_no[int(i)].as_py()} is not in the chart of accounts of company "
        f"{companies[int(line_company[i])].spec.code}" for i in unknown])
    total_net = group_sum(net, owner, n)
    total_tax = group_sum(tax, owner, n)

    danish = danish_company[company]
    year = years(date)
    seq = rank_in_group(company * 10_000 + year, date.astype(np.int64))
    internal_no = document_numbers(take_strings(("ER", "KF"), danish.astype(np.int64)), year, seq, 6).to_pylist()
    vendor_seq = rank_in_group(vendor_row, date.astype(np.int64))
    number = (vendors.ids[vendor_row] * 7_919) % 9_000 + 1_000 + vendor_seq * rng.integers(1, 4, n)
    vendor_invoice_no = _vendor_invoice_numbers(vendors.style[vendor_row], number, year)
    rnd = ctx.rnd("purchase-faults")
    bad = choose(rng, np.ones(n, dtype=bool), split_budget("purchase_invoice", n)["invalid_document_number"],
                 np.zeros(n, dtype=bool))
    for i in bad:
        vendor_invoice_no[i] = fault_text.invalid_document_number(rnd, vendor_invoice_no[i])
    ctx.log.add("purchase_invoice", bad + 1, "invalid_document_number",
                [fault_text.describe_document_number("vendor_invoice_no", vendor_invoice_no[i]) for i in bad])

    updated = stamps_after(rng, date, 15)
    rng.random(n)  # the former cancellation draw (now `lifecycle`), kept so every other value stays the same
    pick = rng.integers(0, 1_000, n)
    present = rng.random(n) < 0.4
    header_text = [
        PURCHASE_HEADER_TEXTS["da" if d else "de"][p % len(PURCHASE_HEADER_TEXTS["da" if d else "de"])] if h else None
        for d, p, h in zip(danish, pick, present, strict=True)
    ]
    doc_types = np.array([[c.document_type_id["AP-INV"], c.document_type_id["AP-CRN"]] for c in companies])
    attachment_id = _attachments(ctx, attachment_budget, company, vendor_row, date, currency, internal_no,
                                 vendor_invoice_no, total_net, total_tax, updated)
    has_service = rng.random(n) < 0.85
    result = {
        "purchase_invoice": build_table("purchase_invoice", {
            "invoice_id": np.arange(1, n + 1, dtype=np.int64),
            "company_id": company + 1,
            "document_type_id": doc_types[company, is_credit.astype(np.int64)],
            "internal_no": internal_no,
            "vendor_invoice_no": vendor_invoice_no,
            "vendor_id": vendors.ids[vendor_row],
            "po_id": pa.array(po_id, pa.int64(), mask=po_id == 0),
            "invoice_date": date,
            "service_date": pa.array(date - rng.integers(0, 16, n).astype("timedelta64[D]"), pa.date32(),
                                     mask=~has_service),
            "due_date": date + vendors.net_days[vendor_row].astype("timedelta64[D]"),
            "currency_code": take_strings(CURRENCY_CODES, currency),
            "exchange_rate": rate,
            "total_net": total_net,
            "total_tax": total_tax,
            "total_gross": total_net + total_tax,
            "payment_term_id": vendors.term_id[vendor_row],
            "header_text": header_text,
            "attachment_id": attachment_id,
            "status": ["posted"] * n,
            "cancelled_on": pa.nulls(n, pa.date32()),
            "amended_from": pa.nulls(n, pa.string()),
            "updated_at": updated,
        }),
        "purchase_invoice_line": build_table("purchase_invoice_line", {
            "line_id": np.arange(1, lines + 1, dtype=np.int64),
            "invoice_id": owner + 1,
            "line_no": position + 1,
            "po_line_id": pa.array(line_po, pa.int64(), mask=line_po == 0),
            "description": description,
            "quantity": qty,
            "unit_price": price,
            "net_amount": net,
            "tax_code_id": np.stack([ctx.tax_ids(r) for r in PURCHASE_ROLES], axis=1)[line_company, role],
            "tax_amount": tax,
            "expense_account_no": account_no,
            "cost_center_id": ctx.random_ids(rng, line_company, "cost_center_ids", 0.6),
            "cost_unit_id": ctx.random_ids(rng, line_company, "cost_unit_ids", 0.25),
            "updated_at": updated[owner],
        }),
    }
    life_rng = ctx.rng(21)
    clean = unfaulted(ctx.log, "purchase_invoice", "purchase_invoice_line", n, owner)
    life = lifecycle.plan(life_rng, date, clean, clean & (po_id == 0))  # an order's invoiced quantities stay true
    invoice, line = lifecycle.amend_invoices(life_rng, result["purchase_invoice"], result["purchase_invoice_line"],
                                             life, "internal_no", ctx.tax_rate_by_id())
    result.update({"purchase_invoice": invoice, "purchase_invoice_line": line})
    # what payments need, replacements included: only posted documents are paid
    every = np.concatenate([np.arange(n), life.amended])
    return Purchasing(result, company[every], vendor_row[every], np.concatenate([date, life.amended_on]),
                      currency[every], unscaled(invoice.column("total_gross")), is_credit[every],
                      invoice.column("status").to_numpy() == "posted", invoice.column("vendor_invoice_no").to_pylist())


def _attachments(
    ctx: Context, budget: int, company: Ints, vendor_row: Ints, date: Days, currency: Ints, internal_no: list[str],
    vendor_invoice_no: list[str], net: Ints, tax: Ints, updated: Any,
) -> pa.Array:
    """The vendor's invoice as a PDF, for up to `budget` invoices spread evenly over time."""
    n = len(company)
    chosen = np.unique(np.linspace(0, n - 1, min(budget, n)).astype(np.int64)) if budget > 0 else np.zeros(0, int)
    ids = np.zeros(n, dtype=np.int64)
    vendors = ctx.partners.vendors
    for i in chosen:
        info = ctx.org.companies[int(company[i])]
        cur = CURRENCY_CODES[int(currency[i])]
        day = date[i].astype(object)
        lines = [
            vendors.names[int(vendor_row[i])], "",
            f"An: {info.spec.name}, {info.spec.street}, {info.spec.zip_code} {info.spec.city}",
            f"Datum: {day:%d.%m.%Y}", "",
            f"Netto: {format_amount(int(net[i]), 'de')} {cur}",
            f"Steuer: {format_amount(int(tax[i]), 'de')} {cur}",
            f"Gesamt: {format_amount(int(net[i] + tax[i]), 'de')} {cur}",
        ]
        stamp = updated[i].astype(object)
        content = receipt_pdf(f"Rechnung {vendor_invoice_no[i]}", lines, stamp)
        file_name = f"{safe_file_name(internal_no[i])}_{safe_file_name(vendor_invoice_no[i])}.pdf"
        ids[i] = ctx.add_attachment(info.company_id, file_name, content, stamp)
    return pa.array(ids, pa.int64(), mask=ids == 0)
