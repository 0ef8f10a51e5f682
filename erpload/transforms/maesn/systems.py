"""Each accounting system's mapping: which Maesn field is which column of `documents`, per header and line.

A `SystemMapping` is built from the system's configuration (`config.SystemConfig`): the ledger names, account
maps and bank account id become SQL. Its `header` and `line` dicts are ordered like the system's models;
their keys are Maesn's field names, their values SQL over a row of `documents.documents_sql()` or
`documents.lines_sql()`. Rule columns that are not sent (the contact's number, the account number, the
receipt file) are added by the transform for every system.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from erpload.staging import sql_literal
from erpload.validation import Check

from .config import SystemConfig
from .expressions import amount_text, date_text, lookup, proposal_id, rate_text


@dataclass(frozen=True)
class SystemMapping:
    """One system's fields as SQL, and the checks beyond its models' own."""

    system: str
    header: dict[str, str]
    line: dict[str, str]
    #: the reason (SQL) and fix of a required field's "is empty", where a generic one would not name the record
    missing: dict[str, tuple[str, str]] = field(default_factory=dict)
    line_missing: dict[str, tuple[str, str]] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    line_checks: list[Check] = field(default_factory=list)


def _common_header() -> dict[str, str]:
    return {
        "bookingProposalDate": date_text("invoice_date"),
        "currency": "currency_code",
        "dueDate": date_text("due_date"),
        "notes": "header_text",
        "number": "number",
        "totalGrossAmount": amount_text("total_gross"),
    }


_CONTACT_MISSING = ("'the ' || contact_role || ' ' || contact_no || ' has no Maesn contact id'",
                    "add it in the ERP's external references for system 'maesn'")


def _account_missing(config: SystemConfig, key: str, what: str) -> tuple[str, str]:
    reason = (f"'G/L account ' || coalesce(account_no, '(none)') || ' has no {config.label} {what} in "
              f"[destination.maesn.{config.system}] {key}'")
    hint = (f'add "<account number>" = "<{config.label} {what}>" to {key} under '
            f"[destination.maesn.{config.system}] in .dlt/config.toml")
    return reason, hint


def _two_primary_accounts() -> Check:
    return Check("iban", "primary_accounts > 1",
                 "'the vendor ' || contact_no || ' has ' || primary_accounts || ' primary bank accounts'",
                 "mark exactly one of the vendor's bank accounts as primary in the ERP",
                 "CAST(primary_accounts AS VARCHAR)", code="maesn.contacts.two_primary_bank_accounts")


def _tax_code_unmapped(config: SystemConfig, key: str) -> Check:
    """A line's tax code the system's map does not know (only where a map is configured)."""
    return Check("taxCode", '"taxCode" IS NULL AND tax_code IS NOT NULL',
                 f"'tax code ''' || tax_code || ''' has no {config.label} tax code in "
                 f"[destination.maesn.{config.system}] {key}'",
                 f'add "<ERP tax code>" = "<{config.label} tax code>" to {key} under '
                 f"[destination.maesn.{config.system}] in .dlt/config.toml", "tax_code",
                 code="maesn.lines.unmapped_tax_code")


def mapping(config: SystemConfig) -> SystemMapping:
    """The SQL mapping of one configured system."""
    gross, net = amount_text("gross_amount"), amount_text("net_amount")
    rate = rate_text("rate_percent")
    if config.system == "datev_uo":
        ledger = (f"CASE booking_type WHEN 'INVOICE' THEN {sql_literal(config.ledger_name_invoice)} "
                  f"ELSE {sql_literal(config.ledger_name_bill)} END")
        return SystemMapping(
            config.system,
            {**_common_header(), "id": proposal_id("_key"), "contactAccountNumber": "contact_no",
             "contactName": "contact_name", "deliveryDate": date_text("service_date"), "iban": "iban",
             "ledgerName": ledger},
            {"accountName": "account_name", "accountNumber": "account_no",
             # an automatic account implies its tax: DATEV refuses a BU key beside it
             "bookingTaxCode": "CASE WHEN auto_tax_code IS NULL THEN datev_bu_key END",
             "description": "description", "dimension1": "cost_center_code", "dimension2": "cost_unit_code",
             "totalGrossAmount": gross, "totalNetAmount": net},
            checks=[_two_primary_accounts()],
        )
    if config.system == "exact":
        return SystemMapping(
            config.system,
            {**_common_header(), "contactId": "maesn_contact_id",
             "paymentTermsId": lookup(config.payment_term_ids, "payment_term_code", "payment_term_code")},
            {"accountId": lookup(config.account_ids, "account_no"), "description": "description",
             "dimension1": "cost_center_code", "dimension2": "cost_unit_code",
             "taxCode": lookup(config.tax_codes, "tax_code"), "totalNetAmount": net},
            missing={"contactId": _CONTACT_MISSING},
            line_missing={"accountId": _account_missing(config, "account_ids", "account id")},
            line_checks=[_tax_code_unmapped(config, "tax_codes")] if config.tax_codes else [],
        )
    if config.system == "lexware_office":
        return SystemMapping(
            config.system,
            {**_common_header(), "contactId": "maesn_contact_id"},
            {"accountId": lookup(config.account_ids, "account_no"), "description": "description",
             "taxRatePercentage": rate, "totalGrossAmount": gross, "totalNetAmount": net},
            missing={"contactId": _CONTACT_MISSING},
            line_missing={"accountId": _account_missing(config, "account_ids", "posting category id")},
        )
    if config.system == "sevdesk":
        return SystemMapping(
            config.system,
            {**_common_header(), "contactId": "maesn_contact_id", "contactName": "contact_name",
             "debitCreditIndicator": "CASE WHEN is_credit_note THEN 'CREDIT' ELSE 'DEBIT' END"},
            {"accountNumber": "account_no", "description": "description", "taxRatePercentage": rate,
             "totalGrossAmount": gross, "totalNetAmount": net},
        )
    if config.system == "xero":
        return SystemMapping(
            config.system,
            {**_common_header(), "bankAccountId": sql_literal(config.bank_account_id), "contactId": "maesn_contact_id"},
            {"accountCode": lookup(config.account_codes, "account_no", "account_no"), "description": "description",
             "taxRatePercentage": rate, "totalGrossAmount": gross, "totalNetAmount": net},
            missing={"contactId": _CONTACT_MISSING},
        )
    raise ValueError(f"no Maesn mapping for system {config.system!r}")
