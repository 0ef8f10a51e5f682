"""A small ERPNext-shaped ERP in SQLite: the third ERP shape, to prove a profile can be written from the README.

Shaped like ERPNext's database, not like erpload: tables are `tab<DocType>` with blanks and capitals,
every record's key is its `name` (a naming series such as `ACC-SINV-2026-00001`, or the customer's
name), links are by name, child tables point at their `parent`, documents carry `docstatus`
(0 draft, 1 submitted, 2 cancelled) and `amended_from`, returns (credit notes) are stored with negative
amounts, the ledger is `tabGL Entry` with `is_cancelled`, and the DATEV numbers live in the regional
`tabDATEV Settings` and in custom fields (`custom_datev_account_no`). A few dozen rows: drafts, a
cancellation, an amendment, a return, and a purchase invoice whose supplier was deleted.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

COMPANY = "Muster Handel GmbH"
ABBR = "MH"
MODIFIED = "2026-04-02 09:00:00.000000"

_DDL = """
CREATE TABLE "tabCompany" (name VARCHAR(140) PRIMARY KEY, abbr VARCHAR(140), default_currency VARCHAR(140),
    country VARCHAR(140), tax_id VARCHAR(140), chart_of_accounts VARCHAR(140), modified DATETIME);
CREATE TABLE "tabCountry" (name VARCHAR(140) PRIMARY KEY, code VARCHAR(140), modified DATETIME);
CREATE TABLE "tabFiscal Year" (name VARCHAR(140) PRIMARY KEY, year_start_date DATE, year_end_date DATE,
    modified DATETIME);
CREATE TABLE "tabDATEV Settings" (name VARCHAR(140) PRIMARY KEY, client VARCHAR(140), client_number VARCHAR(140),
    consultant_number VARCHAR(140), account_number_length INTEGER, modified DATETIME);
CREATE TABLE "tabAccount" (name VARCHAR(140) PRIMARY KEY, account_name VARCHAR(140), account_number VARCHAR(140),
    company VARCHAR(140), root_type VARCHAR(140), account_type VARCHAR(140), is_group INTEGER, disabled INTEGER,
    modified DATETIME);
CREATE TABLE "tabCost Center" (name VARCHAR(140) PRIMARY KEY, cost_center_name VARCHAR(140),
    cost_center_number VARCHAR(140), company VARCHAR(140), is_group INTEGER, modified DATETIME);
CREATE TABLE "tabSales Taxes and Charges Template" (name VARCHAR(140) PRIMARY KEY, title VARCHAR(140),
    company VARCHAR(140), tax_category VARCHAR(140), disabled INTEGER, custom_datev_bu_key VARCHAR(140),
    modified DATETIME);
CREATE TABLE "tabPurchase Taxes and Charges Template" (name VARCHAR(140) PRIMARY KEY, title VARCHAR(140),
    company VARCHAR(140), tax_category VARCHAR(140), disabled INTEGER, custom_datev_bu_key VARCHAR(140),
    modified DATETIME);
CREATE TABLE "tabSales Taxes and Charges" (name VARCHAR(140) PRIMARY KEY, parent VARCHAR(140),
    parenttype VARCHAR(140), idx INTEGER, charge_type VARCHAR(140), account_head VARCHAR(140),
    rate DECIMAL(21,9), modified DATETIME);
CREATE TABLE "tabPurchase Taxes and Charges" (name VARCHAR(140) PRIMARY KEY, parent VARCHAR(140),
    parenttype VARCHAR(140), idx INTEGER, charge_type VARCHAR(140), account_head VARCHAR(140),
    rate DECIMAL(21,9), modified DATETIME);
CREATE TABLE "tabCustomer" (name VARCHAR(140) PRIMARY KEY, customer_name VARCHAR(140), customer_type VARCHAR(140),
    tax_id VARCHAR(140), default_currency VARCHAR(140), disabled INTEGER, custom_datev_account_no VARCHAR(140),
    modified DATETIME);
CREATE TABLE "tabSupplier" (name VARCHAR(140) PRIMARY KEY, supplier_name VARCHAR(140), tax_id VARCHAR(140),
    default_currency VARCHAR(140), disabled INTEGER, custom_datev_account_no VARCHAR(140), modified DATETIME);
CREATE TABLE "tabAddress" (name VARCHAR(140) PRIMARY KEY, address_line1 VARCHAR(140), city VARCHAR(140),
    pincode VARCHAR(140), country VARCHAR(140), email_id VARCHAR(140), phone VARCHAR(140),
    is_primary_address INTEGER, modified DATETIME);
CREATE TABLE "tabDynamic Link" (name VARCHAR(140) PRIMARY KEY, parent VARCHAR(140), parenttype VARCHAR(140),
    link_doctype VARCHAR(140), link_name VARCHAR(140), modified DATETIME);
CREATE TABLE "tabBank" (name VARCHAR(140) PRIMARY KEY, swift_number VARCHAR(140), modified DATETIME);
CREATE TABLE "tabBank Account" (name VARCHAR(140) PRIMARY KEY, account_name VARCHAR(140), bank VARCHAR(140),
    party_type VARCHAR(140), party VARCHAR(140), iban VARCHAR(140), is_default INTEGER, disabled INTEGER,
    modified DATETIME);
CREATE TABLE "tabSales Invoice" (name VARCHAR(140) PRIMARY KEY, company VARCHAR(140), customer VARCHAR(140),
    posting_date DATE, due_date DATE, currency VARCHAR(140), conversion_rate DECIMAL(21,9),
    net_total DECIMAL(21,9), total_taxes_and_charges DECIMAL(21,9), grand_total DECIMAL(21,9),
    taxes_and_charges VARCHAR(140), is_return INTEGER, return_against VARCHAR(140), remarks TEXT,
    docstatus INTEGER, amended_from VARCHAR(140), modified DATETIME);
CREATE TABLE "tabSales Invoice Item" (name VARCHAR(140) PRIMARY KEY, parent VARCHAR(140), idx INTEGER,
    item_code VARCHAR(140), description TEXT, qty DECIMAL(21,9), uom VARCHAR(140), rate DECIMAL(21,9),
    net_amount DECIMAL(21,9), income_account VARCHAR(140), cost_center VARCHAR(140), modified DATETIME);
CREATE TABLE "tabPurchase Invoice" (name VARCHAR(140) PRIMARY KEY, company VARCHAR(140), supplier VARCHAR(140),
    bill_no VARCHAR(140), bill_date DATE, posting_date DATE, due_date DATE, currency VARCHAR(140),
    conversion_rate DECIMAL(21,9), net_total DECIMAL(21,9), total_taxes_and_charges DECIMAL(21,9),
    grand_total DECIMAL(21,9), taxes_and_charges VARCHAR(140), is_return INTEGER, remarks TEXT,
    docstatus INTEGER, amended_from VARCHAR(140), modified DATETIME);
CREATE TABLE "tabPurchase Invoice Item" (name VARCHAR(140) PRIMARY KEY, parent VARCHAR(140), idx INTEGER,
    item_code VARCHAR(140), description TEXT, qty DECIMAL(21,9), rate DECIMAL(21,9), net_amount DECIMAL(21,9),
    expense_account VARCHAR(140), cost_center VARCHAR(140), modified DATETIME);
CREATE TABLE "tabJournal Entry" (name VARCHAR(140) PRIMARY KEY, company VARCHAR(140), voucher_type VARCHAR(140),
    posting_date DATE, user_remark TEXT, docstatus INTEGER, amended_from VARCHAR(140), modified DATETIME);
CREATE TABLE "tabGL Entry" (name VARCHAR(140) PRIMARY KEY, company VARCHAR(140), posting_date DATE,
    account VARCHAR(140), party_type VARCHAR(140), party VARCHAR(140), cost_center VARCHAR(140),
    debit DECIMAL(21,9), credit DECIMAL(21,9), voucher_type VARCHAR(140), voucher_no VARCHAR(140),
    remarks TEXT, is_cancelled INTEGER, modified DATETIME);
"""


def _acc(number: str, name: str) -> str:
    """An ERPNext account's `name`: number, name and the company's abbreviation."""
    return f"{number} - {name} - {ABBR}"


RECEIVABLE, PAYABLE, BANK = _acc("1200", "Forderungen aLuL"), _acc("3300", "Verbindlichkeiten aLuL"), _acc(
    "1800", "Bank")
REVENUE, REVENUE_7 = _acc("4200", "Erlöse"), _acc("4210", "Erlöse ermäßigt")
OFFICE, PHONE, SALARIES = _acc("6815", "Bürobedarf"), _acc("6805", "Telefon"), _acc("6020", "Gehälter")
VAT_19, VAT_7, INPUT_VAT_19 = _acc("3806", "Umsatzsteuer 19%"), _acc("3801", "Umsatzsteuer 7%"), _acc(
    "1406", "Vorsteuer 19%")
SALES_19, SALES_7, PURCHASE_19 = f"USt 19% - {ABBR}", f"USt 7% - {ABBR}", f"VSt 19% - {ABBR}"
RATES = {SALES_19: Decimal(19), SALES_7: Decimal(7), PURCHASE_19: Decimal(19)}
SALES_CC = f"100 - Vertrieb - {ABBR}"

ACCOUNTS = [  # name, account_name, number, root_type, account_type, is_group
    (f"Application of Funds (Assets) - {ABBR}", "Application of Funds (Assets)", None, "Asset", None, 1),
    (RECEIVABLE, "Forderungen aLuL", "1200", "Asset", "Receivable", 0),
    (PAYABLE, "Verbindlichkeiten aLuL", "3300", "Liability", "Payable", 0),
    (BANK, "Bank", "1800", "Asset", "Bank", 0),
    (VAT_19, "Umsatzsteuer 19%", "3806", "Liability", "Tax", 0),
    (VAT_7, "Umsatzsteuer 7%", "3801", "Liability", "Tax", 0),
    (INPUT_VAT_19, "Vorsteuer 19%", "1406", "Asset", "Tax", 0),
    (REVENUE, "Erlöse", "4200", "Income", "Income Account", 0),
    (REVENUE_7, "Erlöse ermäßigt", "4210", "Income", "Income Account", 0),
    (OFFICE, "Bürobedarf", "6815", "Expense", "Expense Account", 0),
    (PHONE, "Telefon", "6805", "Expense", "Expense Account", 0),
    (SALARIES, "Gehälter", "6020", "Expense", "Expense Account", 0),
]

CUSTOMERS = [  # name, DATEV account, VAT id, disabled, (street, zip, city, country)
    ("Alpha Maschinenbau GmbH", "10001", "DE811569869", 0, ("Industriestr. 4", "70173", "Stuttgart", "Germany")),
    ("Bäckerei Sonnenschein", "10002", None, 0, ("Marktplatz 1", "80331", "München", "Germany")),
    ("Café Wien GmbH", "10003", None, 0, ("Wiener Str. 12", "10999", "Berlin", "Germany")),
    ("Altkunde AG", "10004", None, 1, None),
]
SUPPLIERS = [  # name, DATEV account, (street, zip, city, country), (iban, bank, bic)
    ("Büro Express GmbH", "70001", ("Lagerweg 2", "50667", "Köln", "Germany"),
     ("DE89370400440532013000", "Commerzbank", "COBADEFFXXX")),
    ("Telefonica Germany GmbH", "70002", ("Georg-Brauchle-Ring 50", "80992", "München", "Germany"),
     ("DE02120300000000202051", "Deutsche Kreditbank", "BYLADEM1001")),
]
#: a supplier deleted in the ERP after its invoice was posted: the invoice must be a reject, never lost
DELETED_SUPPLIER = "Alt Lieferant KG"


@dataclass(frozen=True)
class Invoice:
    name: str
    party: str
    posting_date: str
    docstatus: int
    lines: tuple[tuple[str, Decimal, Decimal, str], ...]  # description, qty, rate, account
    taxes: str
    is_return: bool = False
    amended_from: str | None = None
    return_against: str | None = None
    modified: str = MODIFIED

    def line_amounts(self) -> list[tuple[Decimal, Decimal]]:
        """(net, tax) per line, as ERPNext stores them: negative for a return."""
        sign = -1 if self.is_return else 1
        out = []
        for _, qty, rate, _ in self.lines:
            net = (sign * qty * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            out.append((net, (net * RATES[self.taxes] / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)))
        return out

    @property
    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        amounts = self.line_amounts()
        net, tax = sum(n for n, _ in amounts), sum(t for _, t in amounts)
        return Decimal(net), Decimal(tax), Decimal(net + tax)


def _d(value: str) -> Decimal:
    return Decimal(value)


SALES_INVOICES = [
    Invoice("ACC-SINV-2026-00001", "Alpha Maschinenbau GmbH", "2026-03-02", 1,
            (("Ersatzteil A", _d("2"), _d("100"), REVENUE), ("Montage", _d("3"), _d("85.50"), REVENUE)), SALES_19),
    Invoice("ACC-SINV-2026-00002", "Bäckerei Sonnenschein", "2026-03-05", 1,
            (("Brotkörbe", _d("10"), _d("12.90"), REVENUE_7),), SALES_7),
    Invoice("ACC-SINV-2026-00003", "Alpha Maschinenbau GmbH", "2026-03-09", 0,
            (("Angebot Wartung", _d("1"), _d("990"), REVENUE),), SALES_19),
    # cancelled in the ERP; never exported, so nothing is booked
    Invoice("ACC-SINV-2026-00004", "Café Wien GmbH", "2026-03-10", 2,
            (("Kaffeemaschine", _d("1"), _d("1499"), REVENUE),), SALES_19, modified="2026-03-11 10:00:00.000000"),
    # cancelled and amended: ERPNext's amendment is a new document, "-1", that replaces it
    Invoice("ACC-SINV-2026-00005", "Café Wien GmbH", "2026-03-12", 2,
            (("Tassen", _d("50"), _d("4.20"), REVENUE),), SALES_19, modified="2026-03-13 08:00:00.000000"),
    Invoice("ACC-SINV-2026-00005-1", "Café Wien GmbH", "2026-03-13", 1,
            (("Tassen", _d("40"), _d("4.20"), REVENUE),), SALES_19, amended_from="ACC-SINV-2026-00005"),
    # a return (credit note) against the first invoice: negative amounts in ERPNext
    Invoice("ACC-SINV-2026-00006", "Alpha Maschinenbau GmbH", "2026-04-01", 1,
            (("Ersatzteil A zurück", _d("1"), _d("100"), REVENUE),), SALES_19, is_return=True,
            return_against="ACC-SINV-2026-00001"),
    Invoice("ACC-SINV-2026-00007", "Bäckerei Sonnenschein", "2026-04-01", 0,
            (("Brötchentüten", _d("500"), _d("0.05"), REVENUE_7),), SALES_7),
]
PURCHASE_INVOICES = [  # name, supplier, bill_no, date, docstatus, lines
    Invoice("ACC-PINV-2026-00001", "Büro Express GmbH", "2026-03-03", 1,
            (("Druckerpapier", _d("20"), _d("4.99"), OFFICE),), PURCHASE_19),
    Invoice("ACC-PINV-2026-00002", "Telefonica Germany GmbH", "2026-03-31", 1,
            (("Mobilfunk März", _d("1"), _d("59.90"), PHONE), ("Festnetz März", _d("1"), _d("29.90"), PHONE)),
            PURCHASE_19),
    Invoice("ACC-PINV-2026-00003", "Büro Express GmbH", "2026-04-01", 0,
            (("Toner", _d("2"), _d("89"), OFFICE),), PURCHASE_19),
    Invoice("ACC-PINV-2026-00004", DELETED_SUPPLIER, "2026-03-20", 1,
            (("Altlieferung", _d("1"), _d("250"), OFFICE),), PURCHASE_19),
]
BILL_NO = {"ACC-PINV-2026-00001": "RE-4711", "ACC-PINV-2026-00002": "2026/118", "ACC-PINV-2026-00003": "RE-4790",
           "ACC-PINV-2026-00004": "A-77"}

JOURNAL_ENTRIES = [  # name, voucher_type, date, remark, docstatus, [(account, party_type, party, debit, credit)]
    ("ACC-JV-2026-00001", "Journal Entry", "2026-03-31", "Gehälter März", 1,
     [(SALARIES, None, None, _d("3000"), _d("0")), (BANK, None, None, _d("0"), _d("3000"))]),
    ("ACC-JV-2026-00002", "Bank Entry", "2026-03-20", "Zahlung ACC-SINV-2026-00001", 1,
     [(BANK, None, None, _d("543.24"), _d("0")),
      (RECEIVABLE, "Customer", "Alpha Maschinenbau GmbH", _d("0"), _d("543.24"))]),
    # posted, then cancelled: ERPNext marks its G/L entries and their reversal is_cancelled = 1
    ("ACC-JV-2026-00003", "Journal Entry", "2026-03-25", "Fehlbuchung", 2,
     [(OFFICE, None, None, _d("80"), _d("0")), (BANK, None, None, _d("0"), _d("80"))]),
    ("ACC-JV-2026-00004", "Journal Entry", "2026-04-01", "Entwurf Abgrenzung", 0,
     [(SALARIES, None, None, _d("500"), _d("0")), (BANK, None, None, _d("0"), _d("500"))]),
]


def create_erpnext_erp(path: Path) -> None:
    """Write the ERPNext-shaped ERP to `path` (SQLite), replacing any file there."""
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        con.executescript(_DDL)
        _insert_master_data(con)
        _insert_documents(con)
        con.commit()
    finally:
        con.close()


def _insert(con: sqlite3.Connection, table: str, rows: list[tuple[object, ...]]) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', [tuple(_sql(v) for v in r) for r in rows])


def _sql(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


def _insert_master_data(con: sqlite3.Connection) -> None:
    _insert(con, "tabCompany", [(COMPANY, ABBR, "EUR", "Germany", "DE136695976", "SKR04 mit Kontonummern",
                                 MODIFIED)])
    _insert(con, "tabCountry", [("Germany", "de", MODIFIED), ("Austria", "at", MODIFIED)])
    _insert(con, "tabFiscal Year", [("2026", "2026-01-01", "2026-12-31", MODIFIED)])
    _insert(con, "tabDATEV Settings", [(COMPANY, COMPANY, "55003", "29098", 4, MODIFIED)])
    _insert(con, "tabAccount", [(n, an, no, COMPANY, rt, at, g, 0, MODIFIED) for n, an, no, rt, at, g in ACCOUNTS])
    _insert(con, "tabCost Center", [(f"{ABBR} - {ABBR}", ABBR, None, COMPANY, 1, MODIFIED),
                                    (SALES_CC, "Vertrieb", "100", COMPANY, 0, MODIFIED)])
    _insert(con, "tabSales Taxes and Charges Template", [
        (SALES_19, "USt 19%", COMPANY, "Inland", 0, "3", MODIFIED),
        (SALES_7, "USt 7%", COMPANY, "Inland", 0, "2", MODIFIED)])
    _insert(con, "tabPurchase Taxes and Charges Template", [
        (PURCHASE_19, "VSt 19%", COMPANY, "Inland", 0, "9", MODIFIED)])
    _insert(con, "tabSales Taxes and Charges", [
        ("stc-1", SALES_19, "Sales Taxes and Charges Template", 1, "On Net Total", VAT_19, "19", MODIFIED),
        ("stc-2", SALES_7, "Sales Taxes and Charges Template", 1, "On Net Total", VAT_7, "7", MODIFIED)])
    _insert(con, "tabPurchase Taxes and Charges", [
        ("ptc-1", PURCHASE_19, "Purchase Taxes and Charges Template", 1, "On Net Total", INPUT_VAT_19, "19",
         MODIFIED)])
    _insert(con, "tabCustomer", [(name, name, "Company", vat, "EUR", disabled, no, MODIFIED)
                                 for name, no, vat, disabled, _ in CUSTOMERS])
    _insert(con, "tabSupplier", [(name, name, None, "EUR", 0, no, MODIFIED) for name, no, _, _ in SUPPLIERS])
    addresses, links = [], []
    parties = [("Customer", c[0], c[4]) for c in CUSTOMERS] + [("Supplier", s[0], s[2]) for s in SUPPLIERS]
    for doctype, party, address in parties:
        if address is None:
            continue
        name = f"{party}-Billing"
        addresses.append((name, *address[:3], address[3], None, None, 1, MODIFIED))
        links.append((f"dl-{len(links) + 1}", name, "Address", doctype, party, MODIFIED))
    _insert(con, "tabAddress", addresses)
    _insert(con, "tabDynamic Link", links)
    _insert(con, "tabBank", [(bank, bic, MODIFIED) for _, _, _, (_, bank, bic) in SUPPLIERS])
    _insert(con, "tabBank Account", [(f"{name} - {bank}", name, bank, "Supplier", name, iban, 1, 0, MODIFIED)
                                     for name, _, _, (iban, bank, _) in SUPPLIERS])


def _insert_documents(con: sqlite3.Connection) -> None:
    gl: list[tuple[object, ...]] = []

    def post(date: str, account: str, party_type: str | None, party: str | None, debit: Decimal, credit: Decimal,
             voucher_type: str, voucher_no: str, cancelled: bool) -> None:
        gl.append((f"ACC-GLE-2026-{len(gl) + 1:05d}", COMPANY, date, account, party_type, party, None, debit,
                   credit, voucher_type, voucher_no, None, int(cancelled), MODIFIED))

    for inv in SALES_INVOICES:
        net, tax, gross = inv.totals
        _insert(con, "tabSales Invoice", [(inv.name, COMPANY, inv.party, inv.posting_date, inv.posting_date, "EUR",
                                           1, net, tax, gross, inv.taxes, int(inv.is_return), inv.return_against,
                                           None, inv.docstatus, inv.amended_from, inv.modified)])
        _insert(con, "tabSales Invoice Item", [
            (f"{inv.name}-{i}", inv.name, i, f"ITEM-{i}", desc, (-qty if inv.is_return else qty), "Stk", rate,
             amount[0], account, SALES_CC, inv.modified)
            for i, ((desc, qty, rate, account), amount) in enumerate(zip(inv.lines, inv.line_amounts(), strict=True),
                                                                    start=1)])
        if inv.docstatus >= 1:  # submitted documents are in the ledger (a return with negative amounts)
            post(inv.posting_date, RECEIVABLE, "Customer", inv.party, max(gross, Decimal(0)), max(-gross, Decimal(0)),
                 "Sales Invoice", inv.name, inv.docstatus == 2)
            post(inv.posting_date, REVENUE, None, None, max(-net, Decimal(0)), max(net, Decimal(0)),
                 "Sales Invoice", inv.name, inv.docstatus == 2)
            post(inv.posting_date, VAT_19 if inv.taxes == SALES_19 else VAT_7, None, None, max(-tax, Decimal(0)),
                 max(tax, Decimal(0)), "Sales Invoice", inv.name, inv.docstatus == 2)
    for inv in PURCHASE_INVOICES:
        net, tax, gross = inv.totals
        _insert(con, "tabPurchase Invoice", [(inv.name, COMPANY, inv.party, BILL_NO[inv.name], inv.posting_date,
                                              inv.posting_date, inv.posting_date, "EUR", 1, net, tax, gross,
                                              inv.taxes, 0, None, inv.docstatus, None, inv.modified)])
        _insert(con, "tabPurchase Invoice Item", [
            (f"{inv.name}-{i}", inv.name, i, f"ITEM-{i}", desc, qty, rate, amount[0], account, None, inv.modified)
            for i, ((desc, qty, rate, account), amount) in enumerate(zip(inv.lines, inv.line_amounts(), strict=True),
                                                                    start=1)])
        if inv.docstatus == 1:
            post(inv.posting_date, PAYABLE, "Supplier", inv.party, Decimal(0), gross, "Purchase Invoice", inv.name,
                 False)
            post(inv.posting_date, OFFICE, None, None, net, Decimal(0), "Purchase Invoice", inv.name, False)
            post(inv.posting_date, INPUT_VAT_19, None, None, tax, Decimal(0), "Purchase Invoice", inv.name, False)
    for name, voucher_type, date, remark, docstatus, lines in JOURNAL_ENTRIES:
        modified = "2026-03-26 12:00:00.000000" if docstatus == 2 else MODIFIED
        _insert(con, "tabJournal Entry", [(name, COMPANY, voucher_type, date, remark, docstatus, None, modified)])
        if docstatus >= 1:
            for account, party_type, party, debit, credit in lines:
                post(date, account, party_type, party, debit, credit, "Journal Entry", name, docstatus == 2)
        if docstatus == 2:  # ERPNext's cancellation: the reversal of each entry, also marked cancelled
            for account, party_type, party, debit, credit in lines:
                post(date, account, party_type, party, credit, debit, "Journal Entry", name, True)
    _insert(con, "tabGL Entry", gl)
