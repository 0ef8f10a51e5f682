"""Rules across records that no single field's constraints can say: references and unique keys.

Each is an `erpload.validation.Check` over a work table's columns (the rule columns the mapping
SQL adds, e.g. `vendor_known`). A reference must point at a record this transform sends, or d.velop
holds an order whose vendor, account or tax code it does not know.
"""

from __future__ import annotations

from erpload.validation import Check, RecordRule

from .models import Request

VENDOR_RULES = [
    Check("payment_terms_id", "NOT payment_term_known",
          "'payment term ''' || payment_terms_id || ''' is not a payment term in use at company ' || company_id",
          "give the vendor a payment term that exists (and is not deleted) in the ERP", "payment_terms_id",
          code="dvelop.reference.unknown_payment_term"),
]


def _vendor_known(document: str) -> Check:
    return Check("vendor_id", "NOT vendor_known",
                 f"'vendor ''' || vendor_id || ''' of the {document} is not a vendor in use at company ' || company_id",
                 f"give the {document} a vendor that exists (and is not deleted) in the ERP", "vendor_id",
                 code="dvelop.reference.unknown_vendor")


PURCHASE_ORDER_RULES = [
    _vendor_known("purchase order"),
    Check("status", "status IS NULL AND erp_status IS NOT NULL",
          "'order status ''' || erp_status || ''' has no d.velop status'",
          "use one of the order statuses open, approved, confirmed, partially_received, received, "
          "partially_invoiced, invoiced, cancelled", "erp_status", code="dvelop.purchase_orders.unknown_status"),
]


def _line_reference(field: str, what: str, known: str) -> Check:
    return Check(field, f"NOT {known}",
                 f"'{what} ''' || {field} || ''' is not one in use at company ' || company_id",
                 f"give the order line a {what} that exists (and is neither deleted nor blocked) in the ERP", field,
                 code=f"dvelop.reference.unknown_{field}")


PURCHASE_ORDER_LINE_RULES = [
    _line_reference("gl_account", "G/L account", "gl_account_known"),
    _line_reference("cost_center", "cost center", "cost_center_known"),
    _line_reference("cost_unit", "cost unit", "cost_unit_known"),
    _line_reference("tax_code_id", "input tax code", "tax_code_known"),
]

GOODS_RECEIPT_RULES = [_vendor_known("goods receipt")]

GOODS_RECEIPT_LINE_RULES = [
    Check("purchase_order_line_id", "NOT po_line_known",
          "'the receipt line books order line ''' || coalesce(purchase_order_line_id, '(none)') || "
          "''', which is not in the ERP'",
          "link the goods receipt line to an existing purchase order line in the ERP", "purchase_order_line_id",
          code="dvelop.reference.unknown_purchase_order_line"),
]


def unique(table: str, column: str, what: str) -> Check:
    """Rows whose `column` occurs more than once in `table`: all of them fail (d.velop would keep one)."""
    return Check(column, f"{column} IN (SELECT {column} FROM {table} GROUP BY {column} HAVING count(*) > 1)",
                 f"'{what} ''' || {column} || ''' occurs more than once'",
                 "make the number unique in the ERP", column, code=f"dvelop.duplicate.{column}")


def record_rule_checks(model: type[Request]) -> list[Check]:
    """The model's record rules (`RecordRule`) as Checks."""
    return [_check(rule) for rule in model.record_rules]


def _check(rule: RecordRule) -> Check:
    return Check(rule.field, rule.bad, rule.reason, rule.fix, f"CAST({rule.field} AS VARCHAR)", code=rule.code)

