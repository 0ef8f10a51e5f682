"""Document lifecycle: drafts, cancellations after posting, amendments and discarded drafts.

Sales invoices, purchase invoices and journal entries are generated as posted documents; this
module then turns a few of them, at the rates in `settings`, into what real ERPs hold as well:

- drafts: recent documents not posted yet (`status = 'draft'`);
- cancellations: posted documents cancelled later, `cancelled_on` on or after the document date,
  about half of them in a later month;
- amendments: a cancelled document replaced by a new posted one numbered `<original>-1` (ERPNext's
  scheme) with `amended_from` = the original number, dated on the cancellation day, usually with a
  changed amount (one line's quantity, or a journal entry's amount);
- discarded drafts: `status = 'cancelled'` without `cancelled_on` (never posted).

Only documents without a planted fault take part, so every fault stays where the fault log says
and every amendment is a valid document. Replacements are appended after the originals (new ids),
so no other row changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .faults import FaultLog, choose
from .schema import scaled_decimal, unscaled
from .settings import (
    AMEND_CHANGES_AMOUNT,
    AMEND_SHARE,
    CANCEL_RATE,
    DAY_END,
    DISCARD_RATE,
    DRAFT_RATE,
    DRAFT_WINDOW_DAYS,
    LAST_TIMESTAMP,
)
from .vectors import Bools, Days, Ints, group_sum, half_up_div, stamps_after

STATUSES = ("posted", "draft", "cancelled")
POSTED, DRAFT, CANCELLED = range(3)


@dataclass(frozen=True)
class Plan:
    """What happens to each of n original documents, and which get a replacement."""

    status: Ints  # POSTED / DRAFT / CANCELLED per original
    cancelled_on: Days  # meaningful where `cancelled_after_posting`
    cancelled_after_posting: Bools
    amended: Ints  # sorted indices of the originals replaced by an amendment
    changed: Bools  # per amendment: its amount differs from the original's

    @property
    def amended_on(self) -> Days:
        """The replacements' date: the day the original's cancellation takes effect."""
        on: Days = self.cancelled_on[self.amended]
        return on


def _count(n: int, rate: float) -> int:
    """At least one of each kind, so even a tiny demo runs every path."""
    return max(1, round(n * rate))


def plan(rng: np.random.Generator, date: Days, eligible: Bools, amendable: Bools) -> Plan:
    """Draw the lifecycle of n documents dated `date`; only `eligible` ones change, only `amendable` are amended."""
    n = len(date)
    taken = np.zeros(n, dtype=bool)
    recent = date > DAY_END - np.timedelta64(DRAFT_WINDOW_DAYS, "D")
    drafts = choose(rng, eligible & recent, _count(n, DRAFT_RATE), taken)
    cancellations = _count(n, CANCEL_RATE)
    amended = choose(rng, eligible & amendable, _count(cancellations, AMEND_SHARE), taken)
    cancelled = np.union1d(amended, choose(rng, eligible, cancellations - len(amended), taken))
    discarded = choose(rng, eligible, _count(n, DISCARD_RATE), taken)
    status = np.full(n, POSTED, dtype=np.int64)
    status[drafts] = DRAFT
    status[np.concatenate([cancelled, discarded])] = CANCELLED

    # every other cancellation takes effect within days, the rest weeks later (mostly a later month)
    late = np.arange(len(cancelled)) % 2 == 1
    delay = np.where(late, rng.integers(20, 76, len(cancelled)), rng.integers(0, 4, len(cancelled)))
    cancelled_on = date.copy()
    cancelled_on[cancelled] = np.minimum(date[cancelled] + delay.astype("timedelta64[D]"), DAY_END)
    after_posting = np.zeros(n, dtype=bool)
    after_posting[cancelled] = True

    changed = rng.random(len(amended)) < AMEND_CHANGES_AMOUNT
    return Plan(status, cancelled_on, after_posting, amended, changed)


def unfaulted(log: FaultLog, header: str, lines: str, n: int, line_owner: Ints) -> Bools:
    """Documents (0-based) without a planted fault on the document or one of its lines."""
    clean = np.ones(n, dtype=bool)
    clean[log.record_ids(header) - 1] = False
    clean[line_owner[log.record_ids(lines) - 1]] = False
    return clean


def _stamps(rng: np.random.Generator, days: Days, not_before: np.ndarray) -> np.ndarray:
    """Office-hour timestamps on `days` (or up to two days later), never before `not_before` (the row's last change)."""
    stamps: np.ndarray = np.minimum(np.maximum(stamps_after(rng, days, 2), not_before), LAST_TIMESTAMP)
    return stamps


def _set(table: pa.Table, columns: dict[str, object]) -> pa.Table:
    """`table` with some columns replaced, each keeping its schema type."""
    for name, values in columns.items():
        index = table.schema.get_field_index(name)
        field = table.schema.field(index)
        array = values if isinstance(values, pa.Array) else pa.array(values, field.type)
        table = table.set_column(index, field, array.cast(field.type))
    return table


def _line_rows(owner_ids: Ints, replaced_ids: Ints) -> tuple[Ints, Ints]:
    """Row numbers of the lines of the (sorted) `replaced_ids`, and each one's index into `replaced_ids`.

    Lines are stored grouped by document in ascending id order, so the rows come out grouped the same way."""
    rows = np.flatnonzero(np.isin(owner_ids, replaced_ids))
    return rows, np.searchsorted(replaced_ids, owner_ids[rows]).astype(np.int64)


def _with_status(
    rng: np.random.Generator, header: pa.Table, plan_: Plan,
) -> tuple[pa.Table, np.ndarray]:
    """The originals with status and cancelled_on set; a cancellation touches the row (updated_at)."""
    updated = header.column("updated_at").to_numpy()
    stamps = _stamps(rng, plan_.cancelled_on, updated)
    updated = np.where(plan_.cancelled_after_posting, stamps, updated)
    table = _set(header, {
        "status": pa.array(STATUSES, pa.string()).take(pa.array(plan_.status)),
        "cancelled_on": pa.array(plan_.cancelled_on, pa.date32(), mask=~plan_.cancelled_after_posting),
        "amended_from": pa.nulls(header.num_rows, pa.string()),
        "updated_at": updated,
    })
    return table, updated


def _replacement_headers(
    header: pa.Table, plan_: Plan, key: str, number: str, cancelled_stamp: np.ndarray,
) -> tuple[pa.Table, np.ndarray]:
    """Copies of the amended originals, numbered `<original>-1`, posted a few minutes after the cancellation."""
    originals = pa.array(plan_.amended, pa.int64())
    copies = header.take(originals)
    numbers = copies.column(number).combine_chunks()
    stamps = np.minimum(cancelled_stamp[plan_.amended] + np.timedelta64(7, "m"), LAST_TIMESTAMP)
    first = header.num_rows + 1
    copies = _set(copies, {
        key: np.arange(first, first + len(plan_.amended), dtype=np.int64),
        number: pc.binary_join_element_wise(numbers, pa.scalar("1"), "-"),
        "status": ["posted"] * len(plan_.amended),
        "cancelled_on": pa.nulls(len(plan_.amended), pa.date32()),
        "amended_from": numbers,
        "updated_at": stamps,
    })
    return copies, stamps


def amend_invoices(
    rng: np.random.Generator, header: pa.Table, lines: pa.Table, plan_: Plan, number: str, tax_rate_bp: Ints,
) -> tuple[pa.Table, pa.Table]:
    """Apply `plan_` to invoice tables: status on the originals, replacements appended with their lines.

    A changed replacement bills one unit more or less on its first line (at least one unit stays);
    its tax follows the line's tax code, and totals stay the sums of the lines.
    """
    header, cancelled_stamp = _with_status(rng, header, plan_)
    copies, stamps = _replacement_headers(header, plan_, "invoice_id", number, cancelled_stamp)
    a = len(plan_.amended)
    # the replacement keeps the original's payment term: its due date moves with its date
    shift = plan_.amended_on - header.column("invoice_date").to_numpy()[plan_.amended]
    copies = _set(copies, {
        "invoice_date": plan_.amended_on,
        "due_date": copies.column("due_date").to_numpy() + shift,
        "attachment_id": pa.nulls(a, pa.int64()),
    })

    owner_ids = lines.column("invoice_id").to_numpy()
    rows, new_owner = _line_rows(owner_ids, plan_.amended + 1)
    new_lines = lines.take(pa.array(rows, pa.int64()))
    qty = unscaled(new_lines.column("quantity"))
    price = unscaled(new_lines.column("unit_price"))
    net = unscaled(new_lines.column("net_amount"))
    tax = unscaled(new_lines.column("tax_amount"))
    first_line = new_lines.column("line_no").to_numpy() == 1
    change = first_line & plan_.changed[new_owner]
    qty = np.where(change, np.where(qty >= 20_000, qty - 10_000, qty + 10_000), qty)
    net = np.where(change, half_up_div(qty * price, 1_000_000), net)
    tax_code = new_lines.column("tax_code_id").fill_null(0).to_numpy()
    # lines without VAT on the invoice (exempt, intra-EU, reverse charge) stay without
    tax = np.where(change & (tax != 0), half_up_div(net * tax_rate_bp[tax_code], 10_000), tax)
    first_id = lines.num_rows + 1
    new_lines = _set(new_lines, {
        "line_id": np.arange(first_id, first_id + len(rows), dtype=np.int64),
        "invoice_id": copies.column("invoice_id").to_numpy()[new_owner],
        "quantity": _decimal(qty, new_lines, "quantity"),
        "net_amount": _decimal(net, new_lines, "net_amount"),
        "tax_amount": _decimal(tax, new_lines, "tax_amount"),
        "updated_at": stamps[new_owner],
    })
    total_net = group_sum(net, new_owner, a)
    total_tax = group_sum(tax, new_owner, a)
    copies = _set(copies, {
        "total_net": _decimal(total_net, copies, "total_net"),
        "total_tax": _decimal(total_tax, copies, "total_tax"),
        "total_gross": _decimal(total_net + total_tax, copies, "total_gross"),
    })
    return pa.concat_tables([header, copies]), pa.concat_tables([lines, new_lines])


def amend_entries(
    rng: np.random.Generator, header: pa.Table, lines: pa.Table, plan_: Plan,
) -> tuple[pa.Table, pa.Table]:
    """Apply `plan_` to journal tables. Amended entries have exactly two lines (one debit, one credit);
    a changed replacement posts 70-130 % of the amount on both, so it balances in both currencies."""
    header, cancelled_stamp = _with_status(rng, header, plan_)
    copies, stamps = _replacement_headers(header, plan_, "entry_id", "entry_no", cancelled_stamp)
    a = len(plan_.amended)
    copies = _set(copies, {"posting_date": plan_.amended_on})

    owner_ids = lines.column("entry_id").to_numpy()
    rows, new_owner = _line_rows(owner_ids, plan_.amended + 1)
    new_lines = lines.take(pa.array(rows, pa.int64()))
    if not np.array_equal(np.bincount(new_owner, minlength=a), np.full(a, 2)):
        raise ValueError("only journal entries of two lines can be amended")
    debit, credit = unscaled(new_lines.column("debit")), unscaled(new_lines.column("credit"))
    amount = debit + credit
    factor = np.where(plan_.changed, rng.integers(7_000, 13_001, a), 10_000)[new_owner]
    amount = np.maximum(half_up_div(amount * factor, 10_000), 1)
    rate = unscaled(copies.column("exchange_rate"))[new_owner]
    amount_lc = half_up_div(amount * 1_000_000, rate)
    is_debit = debit > 0
    first_id = lines.num_rows + 1
    new_lines = _set(new_lines, {
        "line_id": np.arange(first_id, first_id + len(rows), dtype=np.int64),
        "entry_id": copies.column("entry_id").to_numpy()[new_owner],
        "debit": _decimal(np.where(is_debit, amount, 0), new_lines, "debit"),
        "credit": _decimal(np.where(is_debit, 0, amount), new_lines, "credit"),
        "debit_lc": _decimal(np.where(is_debit, amount_lc, 0), new_lines, "debit_lc"),
        "credit_lc": _decimal(np.where(is_debit, 0, amount_lc), new_lines, "credit_lc"),
        "updated_at": stamps[new_owner],
    })
    return pa.concat_tables([header, copies]), pa.concat_tables([lines, new_lines])


def _decimal(values: Ints, table: pa.Table, column: str) -> pa.Array:
    """Integers x 10^scale as the decimal type of `table`'s column."""
    return scaled_decimal(values, table.schema.field(column).type)
