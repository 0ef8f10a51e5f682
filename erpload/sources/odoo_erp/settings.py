"""How demo-ERP values are spelled in Odoo: one mapping per vocabulary.

Every mapping must be one-to-one on the values the demo ERP uses, so `profiles/odoo.toml` can
map back without loss; a value missing here is written as it is (and the profile passes it
through the same way).
"""

from __future__ import annotations

SCHEMA_SQL_NAME = "schema.sql"
# schema.sql: tables above this line, keys/constraints/indexes (run after the bulk load) below it.
CONSTRAINTS_MARKER = "-- @constraints"

# Translatable fields (JSONB) get this language key, the one Odoo always fills.
LANGUAGE = "en_US"

# company.chart_of_accounts -> res_company.chart_template (Odoo 17's template codes)
CHART_TEMPLATES = {"SKR03": "de_skr03", "SKR04": "de_skr04", "DK-STD": "dk"}

# gl_account.account_class -> account_account.account_type. Odoo has no tax type: tax accounts
# are current liabilities carrying the account tag TAX_ACCOUNT_TAG.
ACCOUNT_TYPES = {
    "asset": "asset_current",
    "bank": "asset_cash",
    "liability": "liability_current",
    "tax": "liability_current",
    "equity": "equity",
    "revenue": "income",
    "expense": "expense",
}
TAX_ACCOUNT_TAG = "Tax"

# Collective accounts for receivable/payable lines; the partner on the line says whose.
RECEIVABLE_TYPE = "asset_receivable"
PAYABLE_TYPE = "liability_payable"
# (code before padding to the Sachkontenlänge, name); the code moves up if the chart already uses it
RECEIVABLE_ACCOUNT = ("1410", "Forderungen aus Lieferungen und Leistungen (Sammelkonto)")
PAYABLE_ACCOUNT = ("1610", "Verbindlichkeiten aus Lieferungen und Leistungen (Sammelkonto)")

# tax_code.direction -> account_tax.type_tax_use
TAX_USES = {"output": "sale", "input": "purchase"}

# document_type.ledger -> account_journal.type
JOURNAL_TYPES = {"sales": "sale", "purchase": "purchase", "general": "general"}

# vendor.tax_scope -> name of the fiscal position (as in Odoo's l10n_de charts)
FISCAL_POSITIONS = {
    "domestic": "Geschäftspartner Inland",
    "eu": "Geschäftspartner EU (mit USt-ID)",
    "third_country": "Geschäftspartner Ausland",
}

# sales/purchase_invoice.status and journal_entry.status -> account_move.state
MOVE_STATES = {"draft": "draft", "posted": "posted", "cancelled": "cancel"}

# purchase_order.status -> (state, receipt_status, invoice_status): Odoo spreads the demo's one
# status over three fields. The combination is what identifies the status.
PURCHASE_STATES: dict[str, tuple[str, str | None, str]] = {
    "open": ("draft", None, "no"),
    "approved": ("sent", None, "no"),
    "confirmed": ("purchase", "pending", "no"),
    "partially_received": ("purchase", "partial", "no"),
    "received": ("purchase", "full", "to invoice"),
    "partially_invoiced": ("purchase", "partial", "to invoice"),
    "invoiced": ("done", "full", "invoiced"),
    "cancelled": ("cancel", None, "no"),
}

# external_reference.object_type -> ir_model_data.model
MODELS = {
    "company": "res.company",
    "customer": "res.partner",
    "vendor": "res.partner",
    "employee": "hr.employee",
    "sales_invoice": "account.move",
    "purchase_invoice": "account.move",
    "journal_entry": "account.move",
}

ANALYTIC_PLANS = ("Cost Centers", "Cost Units")  # ids 1 and 2: KOST1 and KOST2

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "DKK": "kr", "SEK": "kr", "NOK": "kr", "PLN": "zł"}

COUNTRY_NAMES = {
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CH": "Switzerland",
    "CN": "China",
    "CY": "Cyprus",
    "CZ": "Czech Republic",
    "DE": "Germany",
    "DK": "Denmark",
    "EE": "Estonia",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "GB": "United Kingdom",
    "GR": "Greece",
    "HR": "Croatia",
    "HU": "Hungary",
    "IE": "Ireland",
    "IT": "Italy",
    "JP": "Japan",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "MT": "Malta",
    "NL": "Netherlands",
    "NO": "Norway",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SE": "Sweden",
    "SI": "Slovenia",
    "SK": "Slovakia",
    "US": "United States",
}
