"""Purchase orders with their lines and surcharges, goods receipts with their lines.

Headers and lines are two SELECTs: the lines carry their document's `_key`, the transform checks
them row by row and nests them into the header's `line_items`. A line id is company/document/line
(`expressions.line_id`). Surcharges are lines of their own at d.velop too: a line surcharge names the
id of the line it applies to, a header surcharge none. The rule columns (`*_known`, `erp_status`)
say whether a reference points at a record this transform sends; they are not part of the payload.
"""

from __future__ import annotations

from .expressions import decimal_text, line_id, not_deleted, record_key

#: canonical purchase-order status -> d.velop status (seed: 1 Offen ... 8 Storniert)
PO_STATUS = {"open": 1, "approved": 2, "confirmed": 3, "partially_received": 4, "received": 5,
             "partially_invoiced": 6, "invoiced": 7, "cancelled": 8}
#: canonical purchase-order line type -> d.velop line `type`
LINE_TYPE = {"item": "item", "header_surcharge": "header_surcharge", "line_surcharge": "line_item_surcharge"}


def _vendor_known(alias: str) -> str:
    return (f"EXISTS (SELECT 1 FROM erp.vendors v WHERE v.company_code = {alias}.company_code "
            f"AND v.vendor_no = {alias}.vendor_no AND {not_deleted('v')})")


def purchase_orders_sql() -> str:
    """One row per purchase order."""
    status = " ".join(f"WHEN '{k}' THEN {v}" for k, v in PO_STATUS.items())
    return f"""
SELECT {record_key('o.company_code', 'o.po_no')} AS _key, o.company_code AS _company_code,
       o.company_code AS company_id, o.po_no AS id, o.po_no AS nr, o.description AS name, o.vendor_no AS vendor_id,
       CAST(CASE o.status {status} END AS INTEGER) AS status,
       o.status AS erp_status, {_vendor_known('o')} AS vendor_known
FROM erp.purchase_orders o
"""


def _known(table: str, code_column: str, value: str, extra: str = "") -> str:
    """SQL: the line's `value` is empty or names a record of `table` this transform sends."""
    return (f"({value} IS NULL OR EXISTS (SELECT 1 FROM erp.{table} x WHERE x.company_code = l.company_code "
            f"AND x.{code_column} = {value} AND {not_deleted('x')}{extra}))")


def purchase_order_lines_sql() -> str:
    """One row per purchase-order line, with its order's `_key`."""
    line_type = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LINE_TYPE.items())
    return f"""
SELECT {record_key('l.company_code', 'l.po_no')} AS _key,
       l.company_code AS company_id, l.po_no AS purchase_order_id,
       {line_id('l.company_code', 'l.po_no', 'l.line_no')} AS id, l.line_no,
       l.quantity_ordered, l.quantity_received,
       greatest(l.quantity_ordered - l.quantity_invoiced, 0) AS quantity_not_invoiced,
       coalesce(l.item_no, '') AS item, l.description, l.unit, l.unit_price, l.price_unit, l.net_amount AS subtotal,
       l.account_no AS gl_account, l.cost_center_code AS cost_center, l.cost_unit_code AS cost_unit,
       l.tax_code AS tax_code_id, l.erp_id,
       CASE l.line_type {line_type} ELSE l.line_type END AS type,
       {line_id('l.company_code', 'l.po_no', 'l.surcharged_line_no')} AS surcharged_line_item_id,
       l.surcharge_category, {decimal_text('l.surcharge_value')} AS surcharge_value,
       o.buyer AS responsible,
       {_known('gl_accounts', 'account_no', 'l.account_no', " AND NOT coalesce(x.is_blocked, false)")}
           AS gl_account_known,
       {_known('cost_centers', 'cost_center_code', 'l.cost_center_code')} AS cost_center_known,
       {_known('cost_units', 'cost_unit_code', 'l.cost_unit_code')} AS cost_unit_known,
       {_known('tax_codes', 'tax_code', 'l.tax_code', " AND x.direction = 'input'")} AS tax_code_known
FROM erp.purchase_order_lines l
JOIN erp.purchase_orders o ON o.company_code = l.company_code AND o.po_no = l.po_no
"""


def goods_receipts_sql() -> str:
    """One row per goods receipt."""
    return f"""
SELECT {record_key('r.company_code', 'r.receipt_no')} AS _key, r.company_code AS _company_code,
       r.company_code AS company_id, r.vendor_no AS vendor_id, r.receipt_no AS id, r.receipt_no AS nr,
       strftime(r.receipt_date, '%Y-%m-%d') AS creation_date, r.delivery_note_no AS delivery_slip_nr,
       {_vendor_known('r')} AS vendor_known
FROM erp.goods_receipts r
"""


def goods_receipt_lines_sql() -> str:
    """One row per goods-receipt line, with its receipt's `_key`; the order line it books, by d.velop id."""
    return f"""
SELECT {record_key('l.company_code', 'l.receipt_no')} AS _key,
       l.company_code AS company_id, {line_id('l.company_code', 'l.receipt_no', 'l.line_no')} AS id, l.line_no,
       strftime(l.posted_date, '%Y-%m-%d') AS goods_receipt_date, l.quantity,
       {line_id('l.company_code', 'l.po_no', 'l.po_line_no')} AS purchase_order_line_id,
       l.po_no IS NULL OR EXISTS (SELECT 1 FROM erp.purchase_order_lines p WHERE p.company_code = l.company_code
                                  AND p.po_no = l.po_no AND p.line_no = l.po_line_no) AS po_line_known
FROM erp.goods_receipt_lines l
JOIN erp.goods_receipts r ON r.company_code = l.company_code AND r.receipt_no = l.receipt_no
"""
