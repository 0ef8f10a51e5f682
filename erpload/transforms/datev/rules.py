"""Rules across fields and records (datev-extf.md section 7) that a field's own constraints cannot say.

Each rule is a `Check`: SQL selecting the rows that break it, and the reason as SQL, worded for a
bookkeeper. Field-level rules (lengths, patterns, bounds) come from the pydantic models instead.
"""

from __future__ import annotations

from erpload.validation import Check

from .tax import LINE_TOLERANCE

_FMT_AMOUNT = "replace(CAST({} AS VARCHAR), '.', ',')"


def _amount(sql: str) -> str:
    return _FMT_AMOUNT.format(sql)


def _account_rules(column: str, kind: str, label: str) -> list[Check]:
    gl_len = f"{kind} = 'gl' AND length({column}) <> account_length"
    personal_len = f"{kind} <> 'gl' AND length({column}) <> account_length + 1"
    return [
        Check(column, gl_len,
              f"'{label} ''' || {column} || ''' has ' || length({column}) || ' digits; company ' || company_code || "
              "' keeps G/L accounts with ' || account_length || ' digits (Sachkontenlänge)'",
              "use the company's G/L account number, or set the right account length for the company",
              column, code="datev.account.gl_digits"),
        Check(column, personal_len,
              f"'{label} ''' || {column} || ''' is a ' || {kind} || ' account with ' || length({column}) || "
              "' digits; DATEV personal accounts have ' || (account_length + 1) || ' (Sachkontenlänge + 1)'",
              "number customers and vendors with one digit more than the G/L accounts", column,
              code="datev.account.personal_digits"),
    ]


# DATEV's personal account ranges for Sachkontenlänge L: Debitoren 10^L .. 7*10^L-1, Kreditoren 7*10^L .. 10^(L+1)-1
_RANGES = (("customer", "Debitor", "pow(10, account_length)", "7 * pow(10, account_length) - 1"),
           ("vendor", "Kreditor", "7 * pow(10, account_length)", "pow(10, account_length + 1) - 1"))


def _range_rules(kind: str) -> list[Check]:
    """A customer's or vendor's account must lie in its DATEV range; `kind` is the column naming the role."""
    return [
        Check("account_no",
              f"{kind} = '{role}' AND TRY_CAST(account_no AS BIGINT) NOT BETWEEN {low} AND {high}",
              f"'{role} account ''' || account_no || ''' lies outside the DATEV {name} range ' || "
              f"CAST({low} AS BIGINT) || '-' || CAST({high} AS BIGINT)",
              f"renumber the {role} into the {name} range", "account_no",
              code=f"datev.account.outside_{name.lower()}_range")
        for role, name, low, high in _RANGES
    ]


_RATE = "replace(CAST(tax_rate AS VARCHAR), '.', ',') || ' %'"
#: the tax code the line is judged by, said so when it is its automatic account's
_TAXED_AS = ("'tax code ' || taxed_as || CASE WHEN tax_code IS NULL THEN ' (the automatic account''s; the line has "
             "none)' ELSE '' END")
_REISSUE = "(a posted invoice: cancel it and issue a corrected one)"

#: the tax of invoice lines (see `tax`); journal entries carry theirs on lines of their own
TAX_RULES: list[Check] = [
    Check("tax_code", "NOT tax_code_known", "'the line''s tax code is unknown to company ' || company_code",
          "create the tax code in the ERP or correct the line", "tax_code", code="datev.tax.unknown_code"),
    Check("tax_code", "tax_net IS NOT NULL AND tax_code IS NULL AND auto_tax_code IS NULL AND tax_amount <> 0",
          "'the line carries tax but has no tax code: DATEV would book the gross amount without a tax key, and the "
          "tax would be lost'",
          f"give the line its tax code in the ERP {_REISSUE}, or map the ERP's tax code to tax_code in the profile",
          _amount("tax_amount"), code="datev.tax.no_key_for_taxed_line"),
    Check("tax_code", "tax_direction <> CASE document_kind WHEN 'sales_invoice' THEN 'output' ELSE 'input' END",
          f"{_TAXED_AS} || ' is ' || CASE tax_direction WHEN 'input' THEN 'input tax (Vorsteuer), for purchases' "
          "ELSE 'output tax (Umsatzsteuer), for sales' END || ', but the line is on a ' || "
          "replace(document_kind, '_', ' ')",
          f"correct the line's tax code in the ERP {_REISSUE}", "taxed_as", code="datev.tax.wrong_direction"),
    Check("tax_code", "auto_tax_mismatch",
          f"{_TAXED_AS} || ' on an automatic account (Automatikkonto) of tax code ' || auto_tax_code || "
          "': DATEV would book the account''s tax, not the line''s'",
          "book the line to the account for its tax code (or one without automatic tax), or correct the line's "
          f"tax code in the ERP {_REISSUE}", "contra_account_no", code="datev.tax.automatic_account_mismatch"),
    Check("bu_key", "auto_tax_code IS NULL AND NOT bu_key_ok",
          f"{_TAXED_AS} || ' (' || tax_direction || ', ' || tax_scope || ', ' || {_RATE} || ') ' || "
          "CASE WHEN tax_code_bu_key IS NULL THEN 'has no DATEV BU key: DATEV would book the gross amount without "
          "its tax' ELSE 'carries BU key ' || tax_code_bu_key END || '; DATEV''s key for it is ' || "
          "coalesce(expected_bu_key, 'not in erpload''s reference table (ask the tax adviser)')",
          "set the tax code's DATEV BU key (datev_bu_key) in the ERP to the key named, then transform again",
          "tax_code_bu_key", code="datev.tax.bu_key"),
    Check("tax_amount", f"NOT tax_self_assessed AND abs(tax_diff) > {LINE_TOLERANCE}",
          f"'the line''s tax is not ' || {_RATE} || ' of its net amount: ' || {_TAXED_AS} || "
          "', more than the rounding tolerance of 0,01 apart'",
          f"correct the line's tax amount or tax code in the ERP {_REISSUE}",
          f"'tax ' || {_amount('tax_amount')} || ', net ' || {_amount('tax_net')}", code="datev.tax.amount_off_rate"),
    Check("tax_amount", "tax_self_assessed AND tax_amount <> 0",
          f"{_TAXED_AS} || ' is self-assessed (intra-EU acquisition or reverse charge § 13b): the vendor invoices "
          "without tax and DATEV books both taxes from the BU key, but the line carries tax'",
          f"book the line without tax, or give it the domestic tax code the vendor charged, in the ERP {_REISSUE}",
          _amount("tax_amount"), code="datev.tax.self_assessed_with_tax"),
    # `tax_document_diff` is set only on invoices beyond the tolerance (see `tax.tax_ctes`)
    Check("tax_amount", "tax_document_first AND NOT tax_self_assessed",
          f"'the invoice''s tax of ' || {_TAXED_AS} || ' is not ' || {_RATE} || ' of its net amounts: more than the "
          "rounding tolerance (0,01 and 0,005 per further line) apart; the whole document is held back'",
          f"correct the lines' tax amounts in the ERP {_REISSUE}",
          f"'tax off by ' || {_amount('CAST(tax_document_diff AS DECIMAL(18, 2))')} || ' over ' || "
          "tax_document_lines || ' lines'", code="datev.tax.document_off_rate"),
]


BOOKING_RULES: list[Check] = [
    *_account_rules("account_no", "account_kind", "Konto"),
    *_account_rules("contra_account_no", "contra_kind", "Gegenkonto"),
    Check("account_no", "NOT account_known",
          "'Konto ''' || account_no || ''' is not a ' || replace(account_kind, 'gl', 'G/L account') || "
          "' of company ' || company_code",
          "create the account in the ERP or correct the line's account", "account_no", code="datev.account.unknown"),
    Check("contra_account_no", "NOT contra_known",
          "'Gegenkonto ''' || coalesce(contra_account_no, '') || ''' is not a G/L account of company ' || company_code",
          "create the account in the ERP or correct the line's account", "contra_account_no",
          code="datev.account.unknown_contra"),
    Check("account_no", "uses_deleted_account",
          "'the line books to an account that is deleted in the ERP'",
          "restore the account or book the line to an active one", "account_no", code="datev.account.deleted"),
    *TAX_RULES,
    Check("amount", "imbalance <> 0 AND document_kind = 'journal_entry'",
          "'journal entry ' || document_no || ' does not balance: debits and credits differ by ' || "
          f"{_amount('abs(imbalance)')} || ' ' || currency_code || '; the whole entry is held back'",
          "correct the entry in the ERP so that debits equal credits", _amount("imbalance"),
          code="datev.balance.journal_entry"),
    Check("amount", "imbalance <> 0 AND document_kind <> 'journal_entry'",
          "replace(document_kind, '_', ' ') || ' ' || document_no || ': its lines add up to ' || "
          f"{_amount('imbalance')} || ' ' || currency_code || ' more than its total; the whole document is held back'",
          "correct the invoice lines or the invoice total in the ERP", _amount("imbalance"),
          code="datev.balance.document_total"),
    Check("posting_date", "abs(date_diff('day', document_date, posting_date)) > 366",
          "'posting date ' || strftime(posting_date, '%d.%m.%Y') || ' is more than a year away from the document "
          "date ' || strftime(document_date, '%d.%m.%Y') || ': DATEV would book it into another fiscal year'",
          "correct the posting date in the ERP (a typo in the year?)", "CAST(posting_date AS VARCHAR)",
          code="datev.date.posting_far_from_document"),
    Check("rate", "currency_code <> coalesce(base_currency, currency_code) AND (rate IS NULL OR rate <= 0)",
          "'the document is in ' || currency_code || ' but has no exchange rate to ' || base_currency",
          "store the exchange rate (document currency per 1 local currency) on the document",
          code="datev.currency.no_rate"),
    Check("eu_vat_id", "tax_scope = 'eu' AND eu_vat_id IS NULL",
          "'the line is an intra-community supply or acquisition, but the partner has no VAT id'",
          "store the partner's VAT id in the ERP (EU-Land u. UStID is required for this tax code)",
          code="datev.vat_id.missing_eu"),
    *_range_rules("account_kind"),
]

PARTNER_RULES: list[Check] = [
    Check("account_no", "length(account_no) <> account_length + 1",
          "'Konto ''' || account_no || ''' has ' || length(account_no) || ' digits; DATEV personal accounts of ' "
          "|| 'company ' || company_code || ' have ' || (account_length + 1)",
          "number customers and vendors with one digit more than the G/L accounts", "account_no",
          code="datev.account.personal_digits"),
    *_range_rules("role"),
    Check("vat_id", "vat_id IS NULL AND trades_in_eu AND country_code <> company_country",
          "'the ' || role || ' in ' || country_code || ' trades across an EU border but has no VAT id'",
          "store the partner's VAT id in the ERP; intra-community supplies and acquisitions need it",
          code="datev.vat_id.missing_cross_border"),
    Check("bank_accounts", f"len(bank_accounts) > {5}",
          "'the vendor has ' || len(bank_accounts) || ' bank accounts; the DATEV export carries 5'",
          "delete or mark as deleted the bank accounts the vendor no longer uses",
          code="datev.partner.too_many_bank_accounts"),
]

ACCOUNT_LABEL_RULES: list[Check] = [
    Check("account_no", "length(account_no) <> account_length",
          "'G/L account ''' || account_no || ''' has ' || length(account_no) || ' digits; company ' || "
          "company_code || ' keeps G/L accounts with ' || account_length",
          "correct the account number or the company's account length", "account_no", code="datev.account.gl_digits"),
]

_PERCENT = "replace(CAST(discount_percent AS VARCHAR), '.', ',') || ' %'"

PAYMENT_TERM_RULES: list[Check] = [
    # DATEV keeps one term per number: of two terms sharing one, neither can be told apart from the other
    Check("payment_term_no", "len(same_no_codes) > 1",
          "'Nummer ' || payment_term_no || ' is given to ' || len(same_no_codes) || ' payment terms of company ' || "
          "company_code || ' (' || array_to_string(same_no_codes, ', ') || '); DATEV identifies a term by its number'",
          "give each payment term of the company its own number: correct payment_terms.datev_term_no in the "
          "profile (or the ERP's numeric codes)", "payment_term_no", code="datev.payment_term.duplicate_number"),
    Check("discount_days", "discount_percent IS NOT NULL AND discount_days IS NULL",
          f"'a cash discount of ' || {_PERCENT} || ' without discount days: DATEV needs both (Skonto 1%, "
          "Skonto 1 Tage)'",
          "set the payment term's discount days in the ERP, or remove its discount",
          "CAST(discount_percent AS VARCHAR)", code="datev.payment_term.discount_without_days"),
    Check("discount_percent", "discount_percent IS NULL AND discount_days IS NOT NULL",
          "'' || discount_days || ' discount days without a discount percentage: DATEV needs both'",
          "set the payment term's discount percentage in the ERP, or remove its discount days",
          "CAST(discount_days AS VARCHAR)", code="datev.payment_term.days_without_discount"),
    # erpload's rule, not a documented DATEV check: a discount that outlasts the due date is a typo
    Check("discount_days", "discount_days > net_days",
          "'the discount period (' || discount_days || ' days) ends after the payment is due (' || net_days || "
          "' days)'",
          "correct the payment term's days in the ERP: the discount days come before the due date",
          "CAST(discount_days AS VARCHAR)", code="datev.payment_term.discount_after_due"),
]
