"""Sales invoices and credit notes with their lines, generated column-wise.

Amounts are in the document currency (the customer's). Credit notes (document type AR-CRN)
carry positive amounts; the document type says they reduce revenue. Totals are exact sums
of the lines: total_gross = total_net + total_tax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from . import faults as fault_text
from . import lifecycle
from .catalog import CREDIT_NOTE_TEXT, SALES_HEADER_TEXTS, SALES_ITEMS, item_arrays, quantities
from .context import Context
from .faults import choose, split_budget
from .lifecycle import unfaulted
from .organisation import CURRENCY_CODES
from .pdf import format_amount, receipt_pdf
from .schema import build_table, unscaled
from .settings import DAY0, DAY_END, SALES_INVOICES
from .vectors import (
    Bools,
    Days,
    Ints,
    document_numbers,
    expand,
    group_sum,
    half_up_div,
    month_index,
    pick_weighted,
    random_days,
    rank_in_group,
    stamps_after,
    take_strings,
    years,
)

SALES_ROLES = ("sales_full", "sales_reduced", "sales_eu", "sales_export")
_PREFIXES = ("RE", "GS", "FAK", "KN")  # invoice / credit note, German / Danish
_CREDIT_REASONS = {"de": ("wegen Reklamation", "für Preisdifferenz", "für Rücksendung"),
                   "da": ("for reklamation", "for prisdifference", "for returvarer")}


@dataclass
class Sales:
    """The sales tables plus what the payment generator needs."""

    invoice: pa.Table
    line: pa.Table
    company: Ints
    customer_row: Ints
    date: Days
    currency: Ints
    gross: Ints
    is_credit: Bools
    posted: Bools
    invoice_no: list[str]
    telecomx_ids: tuple[Ints, list[str]]


def _header_texts(rng: np.random.Generator, danish: Bools, is_credit: Bools) -> list[str | None]:
    n = len(danish)
    texts: list[str | None] = []
    pools = {lang: SALES_HEADER_TEXTS[lang] for lang in ("de", "da")}
    pick = rng.integers(0, 1000, n)
    present = rng.random(n) < 0.7
    for i in range(n):
        lang = "da" if danish[i] else "de"
        if is_credit[i]:
            reasons = _CREDIT_REASONS[lang]
            texts.append(f"{CREDIT_NOTE_TEXT[lang]} {reasons[pick[i] % len(reasons)]}")
        elif present[i]:
            texts.append(pools[lang][pick[i] % len(pools[lang])])
        else:
            texts.append(None)
    return texts


def build_sales(ctx: Context, attachment_budget: int) -> Sales:
    """Sales invoices (≈ 600 x scale) with ≈ 3.3 lines each."""
    org, customers, accounts = ctx.org, ctx.partners.customers, ctx.accounts
    companies = org.companies
    rng = ctx.rng(10)
    n = max(1, round(SALES_INVOICES * ctx.scale))

    company = pick_weighted(rng, n, ctx.shares)
    date = random_days(rng, n, DAY0, DAY_END)
    order = np.lexsort((company, date))
    company, date = company[order], date[order]
    customer_row = customers.active.pick(rng, company)
    currency = customers.currency[customer_row]
    base = ctx.per_company([c.base_index for c in companies])[company]
    rate = org.rates_micro[base, currency, month_index(date)]
    is_credit = rng.random(n) < 0.08
    danish = ctx.per_company([c.language == "da" for c in companies]).astype(bool)[company]
    doc_types = np.array([[c.document_type_id["AR-INV"], c.document_type_id["AR-CRN"]] for c in companies])
    document_type = doc_types[company, is_credit.astype(np.int64)]
    rng.random(n)  # the former cancellation draw (now `lifecycle`), kept so every other value stays the same
    service_days = rng.integers(0, 21, n).astype("timedelta64[D]")
    has_service = rng.random(n) < 0.9
    due = date + customers.net_days[customer_row].astype("timedelta64[D]")
    updated = stamps_after(rng, date, 12)

    prefix = danish.astype(np.int64) * 2 + is_credit
    seq = rank_in_group((company * 4 + prefix) * 10_000 + years(date), date.astype(np.int64))
    invoice_no = document_numbers(take_strings(_PREFIXES, prefix), years(date), seq, 6).to_pylist()
    header_text = _header_texts(rng, danish, is_credit)

    # lines
    counts = np.where(is_credit, rng.integers(1, 3, n), 1 + rng.binomial(7, 0.35, n)).astype(np.int64)
    owner, position = expand(counts)
    lines = len(owner)
    line_company = company[owner]
    items = item_arrays([
        (SALES_ITEMS[c.spec.line_of_business], c.language, 7.46 if c.spec.local_currency == "DKK" else 1.0)
        for c in companies
    ])
    item = items.start[line_company] + (rng.random(lines) * items.count[line_company]).astype(np.int64)
    qty = quantities(rng, items.qty_kind[item], items.price4[item], items.price_unit4[item])
    discount_bp = np.array([0, 0, 300, 500], dtype=np.int64)[customers.ids[customer_row[owner]] % 4]
    price_local = half_up_div(items.price4[item] * (10_000 - discount_bp), 10_000)
    price = half_up_div(price_local * rate[owner], 1_000_000)
    whole_cents = items.price4[item] % 100 == 0
    price = np.where(whole_cents, half_up_div(price, 100) * 100, price)

    scope = customers.scope[customer_row[owner]]
    reduced = np.array([t == "reduced" for t in items.tax], dtype=bool)[item]
    role = np.where(scope == 1, 2, np.where(scope == 2, 3, reduced.astype(np.int64)))
    tax_table = np.stack([ctx.tax_ids(r) for r in SALES_ROLES], axis=1)
    rate_table = np.stack([ctx.tax_rates(r) for r in SALES_ROLES], axis=1)
    revenue_table = np.stack(
        [ctx.per_company([accounts.gl[c.index, accounts.keys[c.revenue_key(r)]] for c in companies])
         for r in SALES_ROLES], axis=1)
    account = revenue_table[line_company, role]

    taken = np.zeros(lines, dtype=bool)
    budget = split_budget("sales_invoice_line", lines)
    zero = choose(rng, np.ones(lines, dtype=bool), budget["zero_amount"], taken)
    price[zero] = 0
    net = half_up_div(qty * price, 1_000_000)
    tax = half_up_div(net * rate_table[line_company, role], 10_000)
    unknown = choose(rng, np.ones(lines, dtype=bool), budget["unknown_account"], taken)
    account[unknown] = accounts.unknown(rng, line_company[unknown])
    account_no = take_strings(accounts.strings, account)
    ctx.log.add("sales_invoice_line", zero + 1, "zero_amount",
                ["line net amount 0.00 (unit price 0): a free sample on a posted invoice"] * len(zero))
    ctx.log.add("sales_invoice_line", unknown + 1, "unknown_account", [
        f"revenue account {account_no[int(i)].as_py()} is not in the chart of accounts of company "
        f"{companies[int(line_company[i])].spec.code}" for i in unknown])

    total_net = group_sum(net, owner, n)
    total_tax = group_sum(tax, owner, n)

    taken_invoices = np.zeros(n, dtype=bool)
    budget = split_budget("sales_invoice", n)
    bad_numbers = choose(rng, np.ones(n, dtype=bool), budget["invalid_document_number"], taken_invoices)
    rnd = ctx.rnd("sales-faults")
    for i in bad_numbers:
        invoice_no[i] = fault_text.invalid_document_number(rnd, invoice_no[i])
    ctx.log.add("sales_invoice", bad_numbers + 1, "invalid_document_number",
                [fault_text.describe_document_number("invoice_no", invoice_no[i]) for i in bad_numbers])
    emoji = choose(rng, np.ones(n, dtype=bool), budget["unmappable_character"], taken_invoices)
    details = []
    for i in emoji:
        header_text[i], chars = fault_text.with_unmappable(rnd, header_text[i] or "Frohe Festtage")
        details.append(fault_text.describe_unmappable("header_text", chars))
    ctx.log.add("sales_invoice", emoji + 1, "unmappable_character", details)

    attachment_id = _attachments(ctx, attachment_budget, company, customer_row, date, currency, is_credit,
                                 invoice_no, total_net, total_tax, updated)
    invoice_id = np.arange(1, n + 1, dtype=np.int64)
    invoice = build_table("sales_invoice", {
        "invoice_id": invoice_id,
        "company_id": company + 1,
        "document_type_id": document_type,
        "invoice_no": invoice_no,
        "customer_id": customers.ids[customer_row],
        "invoice_date": date,
        "service_date": pa.array(date - service_days, pa.date32(), mask=~has_service),
        "due_date": due,
        "currency_code": take_strings(CURRENCY_CODES, currency),
        "exchange_rate": rate,
        "total_net": total_net,
        "total_tax": total_tax,
        "total_gross": total_net + total_tax,
        "payment_term_id": customers.term_id[customer_row],
        "header_text": header_text,
        "attachment_id": attachment_id,
        "status": ["posted"] * n,
        "cancelled_on": pa.nulls(n, pa.date32()),
        "amended_from": pa.nulls(n, pa.string()),
        "updated_at": updated,
    })
    line = build_table("sales_invoice_line", {
        "line_id": np.arange(1, lines + 1, dtype=np.int64),
        "invoice_id": owner + 1,
        "line_no": position + 1,
        "item_no": take_strings(items.item_no, item),
        "description": take_strings(items.text, item),
        "quantity": qty,
        "unit": take_strings(items.unit, item),
        "unit_price": price,
        "net_amount": net,
        "tax_code_id": tax_table[line_company, role],
        "tax_amount": tax,
        "revenue_account_no": account_no,
        "cost_center_id": ctx.random_ids(rng, line_company, "cost_center_ids", 0.65),
        "cost_unit_id": ctx.random_ids(rng, line_company, "cost_unit_ids", 0.35),
        "updated_at": updated[owner],
    })
    danish_ids = invoice_id[danish]
    hex_text = rng.bytes(12 * len(danish_ids)).hex()

    life_rng = ctx.rng(11)
    clean = unfaulted(ctx.log, "sales_invoice", "sales_invoice_line", n, owner)
    life = lifecycle.plan(life_rng, date, clean, clean)
    invoice, line = lifecycle.amend_invoices(life_rng, invoice, line, life, "invoice_no", ctx.tax_rate_by_id())
    every = np.concatenate([np.arange(n), life.amended])
    # a Danish replacement is a new invoice in Telecom X too
    replacement_ids = np.arange(n + 1, len(every) + 1, dtype=np.int64)
    danish_ids = np.concatenate([danish_ids, replacement_ids[danish[life.amended]]])
    hex_text += life_rng.bytes(12 * int(danish[life.amended].sum())).hex()
    telecomx = [hex_text[24 * i: 24 * i + 24] for i in range(len(danish_ids))]
    # what payments need, replacements included: only posted documents are paid
    gross = unscaled(invoice.column("total_gross"))
    return Sales(invoice, line, company[every], customer_row[every], np.concatenate([date, life.amended_on]),
                 currency[every], gross, is_credit[every], invoice.column("status").to_numpy() == "posted",
                 invoice.column("invoice_no").to_pylist(), (danish_ids, telecomx))


def safe_file_name(number: str) -> str:
    """A document number usable as a file name (anything but A-Z a-z 0-9 - becomes '_')."""
    return re.sub(r"[^A-Za-z0-9-]", "_", number)


def _attachments(
    ctx: Context, budget: int, company: Ints, customer_row: Ints, date: Days, currency: Ints, is_credit: Bools,
    invoice_no: list[str], net: Ints, tax: Ints, updated: Any,
) -> pa.Array:
    """Receipt PDFs for up to `budget` invoices, spread evenly over the year."""
    n = len(company)
    chosen = np.unique(np.linspace(0, n - 1, min(budget, n)).astype(np.int64)) if budget > 0 else np.array([], int)
    ids = np.zeros(n, dtype=np.int64)
    customers = ctx.partners.customers
    for i in chosen:
        info = ctx.org.companies[int(company[i])]
        danish = info.language == "da"
        kind = ("Kreditnota" if danish else "Gutschrift") if is_credit[i] else ("Faktura" if danish else "Rechnung")
        cur = CURRENCY_CODES[int(currency[i])]
        day = date[i].astype(object)
        row = int(customer_row[i])
        lines = [
            info.spec.name, f"{info.spec.street}, {info.spec.zip_code} {info.spec.city}", "",
            f"{'Kunde' if not danish else 'Kunde nr.'} {customers.numbers[row]}: {customers.names[row]}",
            f"{'Dato' if danish else 'Datum'}: {day:%d.%m.%Y}", "",
            f"Netto: {format_amount(int(net[i]), info.language)} {cur}",
            f"{'Moms' if danish else 'USt'}: {format_amount(int(tax[i]), info.language)} {cur}",
            f"{'I alt' if danish else 'Gesamt'}: {format_amount(int(net[i] + tax[i]), info.language)} {cur}",
        ]
        stamp = updated[i].astype(object)
        content = receipt_pdf(f"{kind} {invoice_no[i]}", lines, stamp)
        ids[i] = ctx.add_attachment(info.company_id, f"{safe_file_name(invoice_no[i])}.pdf", content, stamp)
    return pa.array(ids, pa.int64(), mask=ids == 0)
