"""Canonical payment terms, customers, vendors and G/L accounts -> Zahlungsbedingungen,
Debitoren/Kreditoren and Kontenbeschriftungen rows.

A partner's VAT id is split the way DATEV wants it: the 2-letter prefix into EU-Land, the rest into
EU-UStID, for EU (and Northern Ireland, XI) VAT ids only. A vendor's bank accounts travel with it:
up to five, the primary one first and the only one marked as main bank account (Kennz. Hauptbankverb.;
of two marked primary in the ERP the first by IBAN, with a note: DATEV takes one). DATEV's record has 5
bank slots in front, 5 more further back; five cover every vendor the demo ERP has, and more are
reported by a rule. A partner's Zahlungsbedingung is
its payment term's number (found by the term's code, which is how the ERP links them), and only when
that term made it into the Zahlungsbedingungen records, so a file never refers to a term DATEV was not
given.
"""

from __future__ import annotations

from .bookings import DATEV_COMPANIES

#: VAT-id prefixes of the EU member states (Greece is EL) and Northern Ireland (XI)
EU_VAT_PREFIXES = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE",
                   "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI")
#: ISO country codes of the EU member states, for "this partner trades with us across an EU border"
EU_COUNTRIES = tuple(sorted({"GR" if p == "EL" else p for p in EU_VAT_PREFIXES} - {"XI"}))
MAX_BANK_ACCOUNTS = 5


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


BANK_FIELDS = ("iban", "bic", "bank_name", "holder", "is_primary")


def bank_column(n: int, name: str) -> str:
    """The flat column of bank account `n` (1-based): bank_1_iban, ..."""
    return f"bank_{n}_{name}"


def _flat_banks() -> str:
    return ", ".join(f"p.bank_accounts[{n}].{name} AS {bank_column(n, name)}"
                     for n in range(1, MAX_BANK_ACCOUNTS + 1) for name in BANK_FIELDS)


def payment_terms_sql() -> str:
    """SELECT of every Zahlungsbedingungen row (payment terms not deleted).

    Nummer (`payment_term_no`) is the term's DATEV number the profile maps, else its code, which must
    then be such a number; `same_no_codes` lists the codes of the company's terms sharing the number,
    for the rule that a number names one term. A discount of 0 % with no (or 0) discount days is how
    some ERPs spell "no discount": it becomes none."""
    return f"""
WITH co AS ({DATEV_COMPANIES}),
terms AS (
    SELECT t.*, coalesce(CAST(t.datev_term_no AS VARCHAR), t.payment_term_code) AS payment_term_no
    FROM erp.payment_terms t JOIN co USING (company_code)
    WHERE NOT coalesce(t.is_deleted, false)
)
SELECT t.company_code, t.payment_term_code, t.payment_term_no, t.name, t.net_days,
       CASE WHEN coalesce(t.discount_percent, 0) = 0 AND coalesce(t.discount_days, 0) = 0 THEN NULL
            ELSE t.discount_days END AS discount_days,
       nullif(t.discount_percent, 0) AS discount_percent,
       list_sort(list(t.payment_term_code) OVER (PARTITION BY t.company_code, t.payment_term_no)) AS same_no_codes
FROM terms t
"""


def partners_sql(payment_terms: str) -> str:
    """SELECT of every Debitoren/Kreditoren row with what the rules need to judge it.

    `payment_terms` is the table of the payment terms that will be written (checked, rejects removed):
    a partner's payment term is referenced only if it is there."""
    vat_is_eu = f"left(p.vat_id, 2) IN {_in(EU_VAT_PREFIXES)}"
    return f"""
WITH co AS ({DATEV_COMPANIES}),
banks AS (
    SELECT company_code, vendor_no,
           list({{'iban': iban, 'bic': bic, 'bank_name': bank_name, 'holder': account_holder,
                 'is_primary': is_primary AND main_rank = 1}} ORDER BY is_primary DESC, iban) AS bank_accounts,
           count(*) FILTER (WHERE is_primary) AS primary_bank_accounts
    FROM (SELECT *, row_number() OVER (PARTITION BY company_code, vendor_no ORDER BY is_primary DESC, iban)
                    AS main_rank
          FROM erp.vendor_bank_accounts WHERE NOT coalesce(is_deleted, false))
    GROUP BY company_code, vendor_no
),
parties AS (
    SELECT 'customer' AS role, company_code, customer_no AS account_no, name, name_2, street, zip_code, city,
           country_code, vat_id, tax_number, email, phone, payment_term_code,
           country_code IN {_in(EU_COUNTRIES)} AS trades_in_eu, CAST(NULL AS VARCHAR) AS tax_scope,
           CAST([] AS STRUCT(iban VARCHAR, bic VARCHAR, bank_name VARCHAR, holder VARCHAR,
                             is_primary BOOLEAN)[]) AS bank_accounts, 0 AS primary_bank_accounts
    FROM erp.customers WHERE NOT coalesce(is_deleted, false)
    UNION ALL
    SELECT 'vendor', v.company_code, v.vendor_no, v.name, v.name_2, v.street, v.zip_code, v.city, v.country_code,
           v.vat_id, v.tax_number, v.email, v.phone, v.payment_term_code, v.tax_scope = 'eu', v.tax_scope,
           coalesce(b.bank_accounts, []), coalesce(b.primary_bank_accounts, 0)
    FROM erp.vendors v LEFT JOIN banks b USING (company_code, vendor_no)
    WHERE NOT coalesce(v.is_deleted, false)
)
SELECT p.company_code, p.role, p.account_no, p.name, p.name_2,
       CASE WHEN {vat_is_eu} THEN left(p.vat_id, 2) END AS eu_country,
       CASE WHEN {vat_is_eu} THEN substr(p.vat_id, 3) END AS eu_vat_no,
       p.vat_id, p.street, p.zip_code, p.city, p.country_code, p.email, p.phone, p.tax_number,
       p.bank_accounts, {_flat_banks()}, p.trades_in_eu, p.tax_scope, co.account_length,
       comp.country_code AS company_country, p.payment_term_code, t.payment_term_no, p.primary_bank_accounts
FROM parties p JOIN co USING (company_code) JOIN erp.companies comp USING (company_code)
LEFT JOIN {payment_terms} t ON t.company_code = p.company_code AND t.payment_term_code = p.payment_term_code
"""


def account_labels_sql() -> str:
    """SELECT of every Kontenbeschriftungen row (G/L accounts not deleted)."""
    return f"""
WITH co AS ({DATEV_COMPANIES})
SELECT g.company_code, g.account_no, g.name AS label, 'de-DE' AS language, co.account_length
FROM erp.gl_accounts g JOIN co USING (company_code)
WHERE NOT coalesce(g.is_deleted, false)
"""
