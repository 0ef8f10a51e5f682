"""Journal entries and lines: bank receipts and payments of the invoices, payroll, depreciation,
accruals and manual postings, generated column-wise.

Each entry has split lines on one side, optionally an input-tax line on the same side, and
counter lines on the other side that add up to the splits, so entries balance in the document
currency by construction. Local-currency amounts are document amount / rate rounded half up;
the first counter line absorbs the rounding difference, so entries balance in local currency
too. A line with `tax_code_id` is a net amount whose tax is posted on its own line in the same
entry (to the tax code's `tax_account_no`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import faults as fault_text
from . import lifecycle
from .catalog import JOURNAL_TEXTS, MANUAL_PURPOSES
from .context import Context
from .faults import choose, split_budget
from .lifecycle import unfaulted
from .organisation import CURRENCY_CODES
from .purchasing import Purchasing
from .sales import Sales
from .schema import build_table
from .settings import DAY0, DAY_END, JOURNAL_ENTRIES
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

# Entry kinds. Payments come from invoices; the others are drawn with these weights.
RECEIPT, REFUND_OUT, PAYMENT, REFUND_IN, PAYROLL, DEPRECIATION, ACCRUAL, MANUAL_TAXED, MANUAL = range(9)
_OTHER_KINDS = (PAYROLL, DEPRECIATION, ACCRUAL, MANUAL_TAXED, MANUAL)
_OTHER_WEIGHTS = (0.30, 0.20, 0.15, 0.25, 0.10)
_SOURCE = ("bank", "bank", "bank", "bank", "payroll", "depreciation", "accrual", "manual", "manual")
_DOCUMENT_TYPE = ("BANK", "BANK", "PAY", "PAY", "GJ", "GJ", "GJ", "GJ", "GJ")
_PREFIX = {"de": ("BK", "BK", "ZA", "ZA", "LG", "AFA", "RS", "UB", "UB"),
           "da": ("BK", "BK", "BET", "BET", "LON", "AFS", "PER", "KAS", "KAS")}
# Typical split amount per kind in EUR (lognormal median, sigma).
_AMOUNT = {PAYROLL: (18_000, 0.5), DEPRECIATION: (900, 0.8), ACCRUAL: (2_500, 0.8), MANUAL_TAXED: (45, 0.9),
           MANUAL: (120, 1.0)}
# Account pools by kind: (split accounts, counter accounts); one is drawn per line.
_POOLS = {
    PAYROLL: (("salaries", "wages"), ("wage_liab", "wage_tax_liab", "social_liab")),
    DEPRECIATION: (("machines", "office_equipment", "vehicles", "software", "low_value_assets"), ("depreciation",)),
    ACCRUAL: (("audit", "legal_advice", "it_maintenance", "energy", "other_expense"),
              ("accrual_other", "accrual_audit")),
    MANUAL_TAXED: (tuple(MANUAL_PURPOSES), ("cash", "transit", "bank")),
    MANUAL: (("bank_fees", "interest_expense", "travel", "other_expense"), ("bank", "transit")),
}
_PAYROLL_SHARES_BP = (6_000, 2_200)  # net pay, wage tax; social security gets the rest


@dataclass
class _Payments:
    kind: Ints
    company: Ints
    date: Days
    currency: Ints
    gross: Ints
    discount: Ints
    partner: Ints  # index into AccountIndex strings of the customer/vendor account
    partner_no: list[str]
    document_no: list[str]


def _payments(ctx: Context, rng: np.random.Generator, sales: Sales, purchasing: Purchasing) -> _Payments:
    """Which invoices were paid when, with cash discount (Skonto) if paid early."""
    customers, vendors = ctx.partners.customers, ctx.partners.vendors
    first_customer = ctx.accounts.append(customers.numbers)
    first_vendor = ctx.accounts.append(vendors.numbers)
    parts = []
    for side, docs, partner_rows, arrays, first, share in (
        (0, sales, sales.customer_row, customers, first_customer, 0.55),
        (1, purchasing, purchasing.vendor_row, vendors, first_vendor, 0.60),
    ):
        n = len(docs.company)
        net_days = np.maximum(arrays.net_days[partner_rows], 7)
        discount_days = arrays.discount_days[partner_rows]
        early = (discount_days > 0) & ~docs.is_credit & (rng.random(n) < 0.6)
        days = np.where(early, rng.integers(1, np.maximum(discount_days, 1) + 1),
                        (rng.random(n) * (net_days + 20)).astype(np.int64) + 3)
        date = docs.date + days.astype("timedelta64[D]")
        paid = docs.posted & (docs.gross > 0) & (rng.random(n) < share) & (date <= DAY_END)
        rows = np.flatnonzero(paid)
        discount = np.where(early, half_up_div(docs.gross * arrays.discount_bp[partner_rows], 10_000), 0)[rows]
        kind = np.where(docs.is_credit[rows], REFUND_OUT if side == 0 else REFUND_IN, RECEIPT if side == 0 else PAYMENT)
        numbers = sales.invoice_no if side == 0 else purchasing.vendor_invoice_no
        parts.append((kind, docs.company[rows], date[rows], docs.currency[rows], docs.gross[rows], discount,
                      first + partner_rows[rows], [arrays.numbers[int(partner_rows[r])] for r in rows],
                      [numbers[r] for r in rows]))
    def joined(i: int) -> Ints:
        return np.concatenate([np.asarray(part[i], dtype=np.int64) for part in parts])

    return _Payments(
        kind=joined(0), company=joined(1), date=np.concatenate([part[2] for part in parts]), currency=joined(3),
        gross=joined(4), discount=joined(5), partner=joined(6), partner_no=parts[0][7] + parts[1][7],
        document_no=parts[0][8] + parts[1][8],
    )


def _month_ends(rng: np.random.Generator, n: int) -> Days:
    months = rng.integers(0, int(month_index(np.array([DAY_END]))[0]) + 1, n)
    first = DAY0.astype("datetime64[M]") + months.astype("timedelta64[M]")
    ends: Days = (first + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    return ends


def build_journal(ctx: Context, sales: Sales, purchasing: Purchasing) -> dict[str, pa.Table]:
    """Journal entries (≈ 1,000 x scale) and lines (≈ 3,000 x scale)."""
    rng = ctx.rng(30)
    companies = ctx.org.companies
    accounts = ctx.accounts
    pay = _payments(ctx, rng, sales, purchasing)
    n_pay = len(pay.kind)

    n_other = max(len(companies), round(JOURNAL_ENTRIES * ctx.scale) - n_pay)
    o_kind = np.asarray(_OTHER_KINDS)[pick_weighted(rng, n_other, _OTHER_WEIGHTS)]
    o_company = pick_weighted(rng, n_other, ctx.shares)
    o_company[: len(companies)] = np.arange(len(companies))  # every company has general postings
    o_date = np.where(np.isin(o_kind, (PAYROLL, DEPRECIATION, ACCRUAL)), _month_ends(rng, n_other),
                      random_days(rng, n_other, DAY0, DAY_END))
    local = ctx.per_company([CURRENCY_CODES.index(c.spec.local_currency) for c in companies])
    foreign = (o_kind == MANUAL) & (rng.random(n_other) < 0.3)
    o_currency = np.where(foreign, rng.integers(0, len(CURRENCY_CODES), n_other), local[o_company])
    is_reversal = (o_kind == ACCRUAL) & (rng.random(n_other) < 0.2)

    # all entries, numbered by posting date
    kind = np.concatenate([pay.kind, o_kind])
    company = np.concatenate([pay.company, o_company])
    date = np.concatenate([pay.date, o_date])
    currency = np.concatenate([pay.currency, o_currency])
    reversal = np.concatenate([np.zeros(n_pay, bool), is_reversal])
    order = np.lexsort((kind, company, date))
    kind, company, date, currency, reversal = (a[order] for a in (kind, company, date, currency, reversal))
    pay_slot = np.where(order < n_pay, order, -1)  # row in `pay`, or -1 for general postings
    n = len(kind)
    base = ctx.per_company([c.base_index for c in companies])[company]
    rate = ctx.org.rates_micro[base, currency, month_index(date)]
    danish = ctx.per_company([c.language == "da" for c in companies]).astype(bool)[company]

    # line layout: splits, optional tax line, counters
    has_discount = np.zeros(n, dtype=bool)
    slot = np.maximum(pay_slot, 0)
    has_discount[pay_slot >= 0] = pay.discount[slot[pay_slot >= 0]] > 0
    n_split = np.select(
        [kind == PAYROLL, kind == DEPRECIATION, (kind == ACCRUAL) | (kind == MANUAL), kind == MANUAL_TAXED],
        [rng.integers(2, 7, n), rng.integers(1, 4, n), rng.integers(1, 3, n), rng.integers(1, 4, n)],
        default=1 + has_discount,
    ).astype(np.int64)
    has_tax = kind == MANUAL_TAXED
    n_counter = np.where(kind == PAYROLL, 3, 1).astype(np.int64)
    # the side of the split lines: 0 = debit, 1 = credit
    split_side = np.isin(kind, (REFUND_OUT, PAYMENT, DEPRECIATION)).astype(np.int64)
    split_side = np.where(reversal, 1 - split_side, split_side)
    owner, position = expand(n_split + has_tax + n_counter)
    lines = len(owner)
    e_kind, e_company = kind[owner], company[owner]
    is_split = position < n_split[owner]
    is_tax = has_tax[owner] & (position == n_split[owner])
    is_counter = ~is_split & ~is_tax
    counter_no = position - n_split[owner] - has_tax[owner]
    side = np.where(is_counter, 1 - split_side[owner], split_side[owner])

    # split amounts: from the invoice for payments, random otherwise
    amount = np.zeros(lines, dtype=np.int64)
    line_slot = pay_slot[owner]
    from_invoice = is_split & (line_slot >= 0)
    gross = pay.gross[np.maximum(line_slot, 0)]
    discount = pay.discount[np.maximum(line_slot, 0)]
    amount[from_invoice] = np.where(position[from_invoice] == 0, (gross - discount)[from_invoice],
                                    discount[from_invoice])
    local_factor = np.where(ctx.per_company([c.spec.local_currency == "DKK" for c in companies])[e_company], 746, 100)
    for k, (median, sigma) in _AMOUNT.items():
        rows = np.flatnonzero(is_split & (e_kind == k))
        euros = rng.lognormal(np.log(median), sigma, len(rows))
        cents_local = np.maximum(np.rint(euros * local_factor[rows]), 1).astype(np.int64)
        amount[rows] = np.maximum(half_up_div(cents_local * rate[owner[rows]], 1_000_000), 1)

    line_budget = split_budget("journal_line", lines)
    taken = np.zeros(lines, dtype=bool)
    zero_ok = is_split & (position == 1) & (line_slot < 0)  # at most one zero line per entry, never a payment
    zero = choose(rng, zero_ok, line_budget["zero_amount"], taken)
    amount[zero] = 0

    tax_rate = ctx.tax_rates("purchase_full")[e_company]
    taxed = is_split & (e_kind == MANUAL_TAXED)
    split_tax = np.where(taxed, half_up_div(amount * tax_rate, 10_000), 0)
    amount[is_tax] = group_sum(split_tax, owner, n)[owner[is_tax]]
    total = group_sum(np.where(is_counter, 0, amount), owner, n)[owner]
    payroll_share = np.where(counter_no == 0, _PAYROLL_SHARES_BP[0], _PAYROLL_SHARES_BP[1])
    partial = np.where(is_counter & (e_kind == PAYROLL) & (counter_no < 2), total * payroll_share // 10_000, 0)
    amount[is_counter] = np.where(
        (e_kind == PAYROLL)[is_counter] & (counter_no[is_counter] < 2), partial[is_counter],
        (total - group_sum(partial, owner, n)[owner])[is_counter],
    )

    line_rate = rate[owner]
    amount_lc = half_up_div(amount * 1_000_000, line_rate)
    signed = np.where(side == 0, amount_lc, -amount_lc)
    difference = group_sum(signed, owner, n)
    first_counter = is_counter & (counter_no == 0)
    amount_lc[first_counter] += np.where(side[first_counter] == 1, 1, -1) * difference[owner[first_counter]]

    account, account_type, choice = _accounts(ctx, rng, e_kind, e_company, position, is_split, is_counter,
                                              counter_no, line_slot, pay)
    unknown = choose(rng, account_type == 0, line_budget["unknown_account"], taken)
    account[unknown] = accounts.unknown(rng, e_company[unknown])
    account_no = take_strings(accounts.strings, account)

    # entry-level faults
    entry_budget = split_budget("journal_entry", n)
    taken_entries = np.zeros(n, dtype=bool)
    unbalanced = choose(rng, np.ones(n, dtype=bool), entry_budget["unbalanced_entry"], taken_entries)
    first_line = np.cumsum(n_split + has_tax + n_counter) - (n_split + has_tax + n_counter)
    delta = rng.integers(1, 5_000, len(unbalanced))
    target = first_line[unbalanced]
    amount[target] += delta
    amount_lc[target] += np.maximum(half_up_div(delta * 1_000_000, rate[unbalanced]), 1)
    debit = np.where(side == 0, amount, 0)
    credit = np.where(side == 1, amount, 0)
    debit_lc = np.where(side == 0, amount_lc, 0)
    credit_lc = np.where(side == 1, amount_lc, 0)
    ctx.log.add("journal_entry", unbalanced + 1, "unbalanced_entry", [
        f"{('debits', 'credits')[int(split_side[e])]} exceed {('credits', 'debits')[int(split_side[e])]} by "
        f"{delta[i] / 100:.2f} {CURRENCY_CODES[int(currency[e])]} (and in local currency)"
        for i, e in enumerate(unbalanced)])

    posting = date.copy()
    document_date = clip_days(date - np.where(kind <= REFUND_IN, rng.integers(0, 4, n),
                                              np.where(kind >= MANUAL_TAXED, rng.integers(0, 11, n), 0))
                              .astype("timedelta64[D]"), DAY0, DAY_END)
    document_date = np.minimum(document_date, posting)
    updated = stamps_after(rng, posting, 5)
    outside = choose(rng, np.ones(n, dtype=bool), entry_budget["date_outside_fiscal_year"], taken_entries)
    for e in outside:
        day = posting[e].astype(object)
        posting[e] = np.datetime64(day.replace(year=2019), "D")
    ctx.log.add("journal_entry", outside + 1, "date_outside_fiscal_year", [
        f"posting_date {posting[e]} lies years before the company's data (2025-2026): a typo for "
        f"{document_date[e].astype(object).year}" for e in outside])

    language_rows = danish.astype(np.int64)
    prefixes = [_PREFIX["da" if d else "de"][k] for d, k in zip(danish.tolist(), kind.tolist(), strict=True)]
    prefix_code = np.unique(np.array(prefixes), return_inverse=True)[1].astype(np.int64)
    seq = rank_in_group((company * 100 + prefix_code) * 10_000 + years(date), date.astype(np.int64))
    entry_no = document_numbers(pa.array(prefixes, pa.string()), years(date), seq, 6).to_pylist()
    rnd = ctx.rnd("journal-faults")
    bad = choose(rng, np.ones(n, dtype=bool), entry_budget["invalid_document_number"], taken_entries)
    for e in bad:
        entry_no[e] = fault_text.invalid_document_number(rnd, entry_no[e])
    ctx.log.add("journal_entry", bad + 1, "invalid_document_number",
                [fault_text.describe_document_number("entry_no", entry_no[e]) for e in bad])

    reference = _references(pay, pay_slot, date)
    purpose = take_strings([text for pair in MANUAL_PURPOSES.values() for text in pair],
                           np.maximum(choice[first_line], 0) * 2 + language_rows)
    description = _descriptions(kind, language_rows, reference, pay, pay_slot, reversal, purpose)
    line_text = _line_texts(kind, language_rows, reference, owner, position, is_split, is_tax, counter_no,
                            reversal, choice, purpose)
    emoji = choose(rng, np.ones(lines, dtype=bool), line_budget["unmappable_character"], taken)
    if len(emoji):
        texts = line_text.to_pylist()
        details = []
        for i in emoji:
            texts[i], chars = fault_text.with_unmappable(rnd, texts[i] or "Teamevent")
            details.append(fault_text.describe_unmappable("line_text", chars))
        line_text = pa.array(texts, pa.string())
        ctx.log.add("journal_line", emoji + 1, "unmappable_character", details)
    ctx.log.add("journal_line", zero + 1, "zero_amount",
                ["journal line with debit and credit 0.00 (the entry still balances)"] * len(zero))
    ctx.log.add("journal_line", unknown + 1, "unknown_account", [
        f"account {account_no[int(i)].as_py()} is not in the chart of accounts of company "
        f"{companies[int(e_company[i])].spec.code}" for i in unknown])

    expense_line = (account_type == 0) & (
        (is_split & np.isin(e_kind, (PAYROLL, ACCRUAL, MANUAL_TAXED, MANUAL)))
        | (is_counter & (e_kind == DEPRECIATION)))
    cost_center = ctx.random_ids(rng, e_company, "cost_center_ids", 0.85)
    cost_unit = ctx.random_ids(rng, e_company, "cost_unit_ids", 0.2)
    doc_types = np.array([[c.document_type_id[code] for code in _DOCUMENT_TYPE] for c in companies])
    entry = build_table("journal_entry", {
        "entry_id": np.arange(1, n + 1, dtype=np.int64),
        "company_id": company + 1,
        "document_type_id": doc_types[company, kind],
        "entry_no": entry_no,
        "posting_date": posting,
        "document_date": document_date,
        "currency_code": take_strings(CURRENCY_CODES, currency),
        "exchange_rate": rate,
        "description": description,
        "source": take_strings(_SOURCE, kind),
        "attachment_id": pa.nulls(n, pa.int64()),
        "is_reversal": reversal.astype(np.int64),
        "status": ["posted"] * n,
        "cancelled_on": pa.nulls(n, pa.date32()),
        "amended_from": pa.nulls(n, pa.string()),
        "updated_at": updated,
    })
    line = build_table("journal_line", {
        "line_id": np.arange(1, lines + 1, dtype=np.int64),
        "entry_id": owner + 1,
        "line_no": position + 1,
        "account_type": take_strings(("gl", "customer", "vendor"), account_type),
        "account_no": account_no,
        "debit": debit,
        "credit": credit,
        "debit_lc": debit_lc,
        "credit_lc": credit_lc,
        "tax_code_id": pa.array(ctx.tax_ids("purchase_full")[e_company], pa.int64(), mask=~taxed),
        "cost_center_id": pc.if_else(pa.array(expense_line), cost_center, pa.scalar(None, pa.int64())),
        "cost_unit_id": pc.if_else(pa.array(expense_line), cost_unit, pa.scalar(None, pa.int64())),
        "line_text": line_text,
        "updated_at": updated[owner],
    })
    life_rng = ctx.rng(31)
    clean = unfaulted(ctx.log, "journal_entry", "journal_line", n, owner)
    # an amendment changes the amount of a two-line entry; payments stay as the bank statement shows them
    amendable = clean & (n_split + has_tax + n_counter == 2) & (kind > REFUND_IN)
    life = lifecycle.plan(life_rng, posting, clean, amendable)
    entry, line = lifecycle.amend_entries(life_rng, entry, line, life)
    return {"journal_entry": entry, "journal_line": line}


def _accounts(
    ctx: Context, rng: np.random.Generator, kind: Ints, company: Ints, position: Ints, is_split: Bools,
    is_counter: Bools, counter_no: Ints, slot: Ints, pay: _Payments,
) -> tuple[Ints, Ints, Ints]:
    """Account index, type (0 gl, 1 customer, 2 vendor) and pool choice (or -1) of every line."""
    accounts = ctx.accounts
    lines = len(kind)
    account = np.zeros(lines, dtype=np.int64)
    account_type = np.zeros(lines, dtype=np.int64)
    choice = np.full(lines, -1, dtype=np.int64)
    bank = accounts.column("bank")[company]
    partner = pay.partner[np.maximum(slot, 0)]
    # payments: the bank (and cash-discount) lines are the splits, the customer/vendor line the counter
    is_payment = kind <= REFUND_IN
    partner_line = is_payment & is_counter
    account[partner_line] = partner[partner_line]
    account_type[partner_line] = np.where(np.isin(kind[partner_line], (RECEIPT, REFUND_OUT)), 1, 2)
    bank_line = is_payment & is_split & (position == 0)
    account[bank_line] = bank[bank_line]
    skonto = is_payment & is_split & (position == 1)
    account[skonto] = np.where(kind[skonto] == RECEIPT, accounts.column("skonto_granted")[company[skonto]],
                               accounts.column("skonto_received")[company[skonto]])
    tax_line = (kind == MANUAL_TAXED) & ~is_split & ~is_counter
    account[tax_line] = accounts.column("input_tax_19")[company[tax_line]]
    for k, (split_keys, counter_keys) in _POOLS.items():
        for mask, keys, ordered in ((is_split & (kind == k), split_keys, False),
                                    (is_counter & (kind == k), counter_keys, k == PAYROLL)):
            rows = np.flatnonzero(mask)
            table = np.stack([accounts.column(key, "other_expense") for key in keys], axis=1)
            picked = counter_no[rows] if ordered else rng.integers(0, len(keys), len(rows))
            account[rows] = table[company[rows], picked]
            choice[rows] = picked
    return account, account_type, choice


def _references(pay: _Payments, pay_slot: Ints, date: Days) -> pa.Array:
    """Per entry: the paid document number, or 'MM/YYYY' for periodic postings."""
    period = pc.strftime(pa.array(date, pa.date32()).cast(pa.timestamp("s")), format="%m/%Y")
    documents = take_strings(pay.document_no, np.maximum(pay_slot, 0))
    return pc.if_else(pa.array(pay_slot >= 0), documents, period)


def _descriptions(
    kind: Ints, danish: Ints, reference: pa.Array, pay: _Payments, pay_slot: Ints, reversal: Bools,
    purpose: pa.Array,
) -> pa.Array:
    """Entry descriptions: what happened, with partner number or period."""
    texts = (
        ("Zahlungseingang Debitor", "Indbetaling debitor"),
        ("Erstattung an Debitor", "Tilbagebetaling til debitor"),
        ("Zahlung an Kreditor", "Betaling til kreditor"),
        ("Erstattung von Kreditor", "Tilbagebetaling fra kreditor"),
        ("Lohn und Gehalt", "Løn"),
        ("Abschreibungen", "Afskrivninger"),
        JOURNAL_TEXTS["accrual"],
        JOURNAL_TEXTS["manual"],
        JOURNAL_TEXTS["reclass"],
        JOURNAL_TEXTS["accrual_release"],
    )
    pool = [text for pair in texts for text in pair]
    template = np.where(reversal, 9, kind)
    head = take_strings(pool, template * 2 + danish)
    head = pc.if_else(pa.array(kind == MANUAL_TAXED), purpose, head)
    partner = take_strings(pay.partner_no, np.maximum(pay_slot, 0))
    suffix = pc.if_else(pa.array(pay_slot >= 0), partner, reference)
    plain = ~np.isin(kind, (PAYROLL, DEPRECIATION)) & (pay_slot < 0)
    return pc.if_else(pa.array(plain), head, join_text(head, suffix))


def _line_texts(
    kind: Ints, danish: Ints, reference: pa.Array, owner: Ints, position: Ints, is_split: Bools, is_tax: Bools,
    counter_no: Ints, reversal: Bools, choice: Ints, purpose: pa.Array,
) -> pa.Array:
    """Posting texts: payment lines name the document, payroll and depreciation the period."""
    keys = ("receipt", "refund", "payment", "refund", "salaries", "depreciation", "accrual", "manual", "reclass",
            "discount", "input_tax", "net_pay", "wage_tax", "social", "accrual_release")
    pool = [JOURNAL_TEXTS[k][lang] for k in keys for lang in (0, 1)]
    e_kind = kind[owner]
    template = e_kind.copy()
    template[(e_kind <= PAYMENT) & is_split & (position == 1)] = 9
    template[is_tax] = 10
    payroll_counter = (e_kind == PAYROLL) & ~is_split
    template[payroll_counter] = 11 + counter_no[payroll_counter]
    template[(e_kind == ACCRUAL) & reversal[owner]] = 14
    head = take_strings(pool, template * 2 + danish[owner])
    with_reference = (e_kind <= REFUND_IN) | np.isin(e_kind, (PAYROLL, DEPRECIATION))
    text = pc.if_else(pa.array(with_reference), join_text(head, reference.take(pa.array(owner, pa.int64()))), head)
    # cash receipts: each expense line names its purchase, the cash line the entry's first one
    purposes = [t for pair in MANUAL_PURPOSES.values() for t in pair]
    manual = e_kind == MANUAL_TAXED
    own = take_strings(purposes, np.maximum(choice, 0) * 2 + danish[owner])
    text = pc.if_else(pa.array(manual & is_split), own, text)
    return pc.if_else(pa.array(manual & ~is_split & ~is_tax), purpose.take(pa.array(owner, pa.int64())), text)
