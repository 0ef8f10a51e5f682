"""Demo-ERP tables in, Odoo-shaped tables out: bulk SQL in an in-memory DuckDB.

The demo tables are registered as `demo_<table>`; each step below creates `odoo_<table>` with
the columns of `schema.sql` (plus helper columns starting with `_`, which are not loaded).
Ids of tables that map one-to-one keep the demo id; tables that merge several demo tables
(res_partner, account_move, account_move_line, account_analytic_account, res_partner_bank)
number their rows afresh and keep `_kind`/`_src_id` to find a demo row's Odoo id.

Lossless by construction: every demo value lands in some Odoo column; optional references to
rows that do not exist become NULL (as the demo profile's left joins see them), required ones
are left to the foreign keys to reject; account numbers missing from the chart are kept as
text in `x_account_code`.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from erpload.sources.odoo_erp import settings


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _case(expression: str, mapping: Mapping[str, str | None]) -> str:
    """SQL that maps `expression` through `mapping` and passes any other value through."""
    whens = " ".join(f"WHEN {_literal(key)} THEN {_literal(value)}" for key, value in mapping.items())
    return f"CASE {expression} {whens} ELSE {expression} END"


def _translated(expression: str) -> str:
    """A translatable field's JSONB value, as Odoo 16+ stores names: {"en_US": "..."}."""
    return f"CASE WHEN {expression} IS NULL THEN NULL ELSE json_object('{settings.LANGUAGE}', {expression}) END"


def _analytic_distribution(cost_center_id: str, cost_unit_id: str) -> str:
    """Odoo's analytic_distribution JSON: each analytic account id with its share in percent."""
    cc, cu = f"CAST({cost_center_id} AS VARCHAR)", f"CAST({cost_unit_id} AS VARCHAR)"
    return (
        f"CASE WHEN {cost_center_id} IS NOT NULL AND {cost_unit_id} IS NOT NULL "
        f"THEN json_object({cc}, 100, {cu}, 100) "
        f"WHEN {cost_center_id} IS NOT NULL THEN json_object({cc}, 100) "
        f"WHEN {cost_unit_id} IS NOT NULL THEN json_object({cu}, 100) END"
    )


def _purchase_state_column(position: int) -> str:
    """SQL for one of Odoo's three purchase status fields: 0 state, 1 receipt_status, 2 invoice_status."""
    mapping = {status: states[position] for status, states in settings.PURCHASE_STATES.items()}
    whens = " ".join(f"WHEN {_literal(status)} THEN {_literal(value)}" for status, value in mapping.items())
    fallback = "o.status" if position == 0 else ("'no'" if position == 2 else "NULL")
    return f"CASE o.status {whens} ELSE {fallback} END"


def _steps() -> list[tuple[str, str]]:
    """(table, SELECT) in dependency order; each creates `odoo_<table>` or a helper table."""
    # Master data the demo ERP has no rows for (countries, plans, ...) was "installed" with the
    # group's first company.
    installed = "(SELECT installed_at FROM setup)"
    countries = ", ".join(f"({_literal(c)}, {_literal(n)})" for c, n in settings.COUNTRY_NAMES.items())
    symbols = ", ".join(f"({_literal(c)}, {_literal(s)})" for c, s in settings.CURRENCY_SYMBOLS.items())
    plans = ", ".join(f"({i}, {_literal(n)})" for i, n in enumerate(settings.ANALYTIC_PLANS, start=1))
    sign_sales = "CASE WHEN m.move_type = 'out_refund' THEN 1 ELSE -1 END"  # revenue is a credit
    sign_purchase = "CASE WHEN m.move_type = 'in_refund' THEN -1 ELSE 1 END"  # expense is a debit
    return [
        (
            "setup",
            "SELECT coalesce(min(updated_at), TIMESTAMP '2000-01-01') AS installed_at FROM demo_company",
        ),
        (
            "odoo_res_country",
            f"""SELECT row_number() OVER (ORDER BY u.code) AS id, u.code,
                       json_object('{settings.LANGUAGE}', coalesce(n.name, u.code)) AS name,
                       {installed} AS write_date
                FROM (SELECT country_code AS code FROM demo_company
                      UNION SELECT country_code FROM demo_customer
                      UNION SELECT country_code FROM demo_vendor
                      UNION SELECT country_code FROM demo_employee) u
                LEFT JOIN (VALUES {countries}) n(code, name) ON n.code = u.code
                WHERE u.code IS NOT NULL""",
        ),
        (
            # Currencies documents use but the currency table lacks stay archived, as the
            # ~170 ISO currencies an Odoo database ships with are.
            "odoo_res_currency",
            f"""WITH used AS (
                    SELECT local_currency AS code FROM demo_company
                    UNION SELECT base_currency FROM demo_exchange_rate
                    UNION SELECT currency_code FROM demo_exchange_rate
                    UNION SELECT currency_code FROM demo_customer
                    UNION SELECT currency_code FROM demo_vendor
                    UNION SELECT currency_code FROM demo_sales_invoice
                    UNION SELECT currency_code FROM demo_purchase_invoice
                    UNION SELECT currency_code FROM demo_journal_entry
                    UNION SELECT currency_code FROM demo_purchase_order),
                rows AS (
                    SELECT currency_code AS code, description AS full_name, decimals, true AS active,
                           updated_at AS write_date
                    FROM demo_currency
                    UNION ALL
                    SELECT code, code, 2, false, {installed} FROM used
                    WHERE code IS NOT NULL AND code NOT IN (SELECT currency_code FROM demo_currency))
                SELECT row_number() OVER (ORDER BY r.code) AS id, r.code AS name, r.full_name,
                       coalesce(s.symbol, r.code) AS symbol,
                       CAST(power(10, -r.decimals) AS DECIMAL(12,6)) AS rounding, r.active, r.write_date
                FROM rows r LEFT JOIN (VALUES {symbols}) s(code, symbol) ON s.code = r.code""",
        ),
        (
            "odoo_product_pricelist",
            f"""SELECT row_number() OVER (ORDER BY c.name) AS id,
                       json_object('{settings.LANGUAGE}', 'Public Pricelist (' || c.name || ')') AS name,
                       c.id AS currency_id, NULL::INTEGER AS company_id, true AS active, {installed} AS write_date
                FROM odoo_res_currency c
                WHERE c.name IN (SELECT currency_code FROM demo_customer)""",
        ),
        (
            "odoo_account_fiscal_position",
            f"""SELECT row_number() OVER (ORDER BY company_id, tax_scope) AS id, company_id,
                       json_object('{settings.LANGUAGE}', {_case("tax_scope", settings.FISCAL_POSITIONS)}) AS name,
                       true AS active, {installed} AS write_date, tax_scope AS _scope
                FROM (SELECT DISTINCT company_id, tax_scope FROM demo_vendor WHERE tax_scope IS NOT NULL)""",
        ),
        (
            "odoo_account_payment_term",
            f"""SELECT payment_term_id AS id, {_translated("description")} AS name, term_code AS x_code,
                       company_id, (discount_days IS NOT NULL OR discount_percent IS NOT NULL) AS early_discount,
                       discount_percent AS discount_percentage, discount_days, is_deleted = 0 AS active,
                       updated_at AS write_date
                FROM demo_payment_term""",
        ),
        (
            "odoo_account_payment_term_line",
            """SELECT payment_term_id AS id, payment_term_id AS payment_id, 'percent' AS value,
                      100 AS value_amount, net_days AS nb_days, updated_at AS write_date
               FROM demo_payment_term""",
        ),
        (
            "odoo_res_partner",
            """WITH rows AS (
                    SELECT 0 AS _rank, 'company' AS _kind, company_id AS _src_id, name, true AS is_company,
                           street, zip_code AS zip, city, country_code AS _country, vat_id AS vat,
                           tax_number AS company_registry, company_id, true AS active, updated_at AS write_date
                    FROM demo_company
                    UNION ALL BY NAME
                    SELECT 1 AS _rank, 'customer' AS _kind, x.customer_id AS _src_id, x.name, x.name_2 AS x_name2,
                           true AS is_company, x.street, x.zip_code AS zip, x.city, x.country_code AS _country,
                           x.vat_id AS vat, x.tax_number AS company_registry, x.email, x.phone,
                           x.customer_no AS ref, 1 AS customer_rank, t.payment_term_id AS property_payment_term_id,
                           x.currency_code AS _pricelist_currency, x.credit_limit, x.company_id,
                           x.is_deleted = 0 AS active, x.created_at AS create_date, x.updated_at AS write_date
                    FROM demo_customer x LEFT JOIN demo_payment_term t ON t.payment_term_id = x.payment_term_id
                    UNION ALL BY NAME
                    SELECT 2 AS _rank, 'vendor' AS _kind, v.vendor_id AS _src_id, v.name, v.name_2 AS x_name2,
                           true AS is_company, v.street, v.zip_code AS zip, v.city, v.country_code AS _country,
                           v.vat_id AS vat, v.tax_number AS company_registry, v.email, v.phone,
                           v.vendor_no AS ref, 1 AS supplier_rank,
                           t.payment_term_id AS property_supplier_payment_term_id,
                           v.currency_code AS _purchase_currency, v.tax_scope AS _tax_scope,
                           v.default_gl_account_no AS x_default_expense_account_code,
                           CASE WHEN v.is_blocked <> 0 THEN 'block' ELSE 'no-message' END AS purchase_warn,
                           v.company_id, v.is_deleted = 0 AS active, v.created_at AS create_date,
                           v.updated_at AS write_date
                    FROM demo_vendor v LEFT JOIN demo_payment_term t ON t.payment_term_id = v.payment_term_id
                    UNION ALL BY NAME
                    SELECT 3 AS _rank, 'employee' AS _kind, employee_id AS _src_id,
                           first_name || ' ' || last_name AS name, false AS is_company, email, company_id,
                           is_deleted = 0 AS active, updated_at AS write_date
                    FROM demo_employee)
                SELECT row_number() OVER (ORDER BY r._rank, r._src_id) AS id,
                       r.* EXCLUDE (customer_rank, supplier_rank), 'contact' AS type,
                       coalesce(r.customer_rank, 0) AS customer_rank, coalesce(r.supplier_rank, 0) AS supplier_rank,
                       country.id AS country_id, pricelist.id AS property_product_pricelist,
                       purchase_currency.id AS property_purchase_currency_id,
                       position.id AS property_account_position_id
                FROM rows r
                LEFT JOIN odoo_res_country country ON country.code = r._country
                LEFT JOIN odoo_res_currency pricelist_currency ON pricelist_currency.name = r._pricelist_currency
                LEFT JOIN odoo_product_pricelist pricelist ON pricelist.currency_id = pricelist_currency.id
                LEFT JOIN odoo_res_currency purchase_currency ON purchase_currency.name = r._purchase_currency
                LEFT JOIN odoo_account_fiscal_position position
                       ON position.company_id = r.company_id AND position._scope = r._tax_scope""",
        ),
        (
            "odoo_res_company",
            f"""SELECT c.company_id AS id, c.name, c.company_code AS x_company_code, p.id AS partner_id,
                       cur.id AS currency_id,
                       {_case("c.chart_of_accounts", settings.CHART_TEMPLATES)} AS chart_template,
                       CASE (c.fiscal_year_start_month + 10) % 12 + 1
                            WHEN 2 THEN 28 WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31
                       END AS fiscalyear_last_day,
                       -- Odoo keeps the last month of the fiscal year, as the text of a selection
                       CAST((c.fiscal_year_start_month + 10) % 12 + 1 AS VARCHAR) AS fiscalyear_last_month,
                       c.datev_consultant_no AS x_datev_consultant_number,
                       c.datev_client_no AS x_datev_client_number,
                       c.gl_account_length AS x_datev_account_length,
                       c.datev_lock_batches <> 0 AS x_datev_lock_batches, c.updated_at AS write_date
                FROM demo_company c
                JOIN odoo_res_partner p ON p._kind = 'company' AND p._src_id = c.company_id
                LEFT JOIN odoo_res_currency cur ON cur.name = c.local_currency""",
        ),
        (
            "odoo_res_currency_rate",
            """SELECT r.rate_id AS id, r.valid_from AS name, r.rate, cur.id AS currency_id,
                      base.company_id, r.updated_at AS write_date, r.base_currency AS _base_currency
               FROM demo_exchange_rate r
               JOIN odoo_res_currency cur ON cur.name = r.currency_code
               LEFT JOIN (SELECT local_currency, min(company_id) AS company_id
                          FROM demo_company GROUP BY local_currency) base
                      ON base.local_currency = r.base_currency""",
        ),
        (
            "odoo_res_users",
            f"""SELECT row_number() OVER (ORDER BY buyer) AS id, buyer AS login, NULL::INTEGER AS company_id,
                       {installed} AS write_date
                FROM (SELECT DISTINCT buyer FROM demo_purchase_order WHERE buyer IS NOT NULL)""",
        ),
        (
            "odoo_account_account_tag",
            f"""SELECT 1 AS id, json_object('{settings.LANGUAGE}', {_literal(settings.TAX_ACCOUNT_TAG)}) AS name,
                       'accounts' AS applicability, true AS active, {installed} AS write_date""",
        ),
        (
            "odoo_account_account",
            f"""SELECT gl_account_id AS id, account_no AS code, {_translated("description")} AS name,
                       {_case("account_class", settings.ACCOUNT_TYPES)} AS account_type, company_id,
                       is_blocked <> 0 AS deprecated, is_deleted = 0 AS active, updated_at AS write_date,
                       'gl' AS _kind
                FROM demo_gl_account
                UNION ALL
                SELECT (SELECT coalesce(max(gl_account_id), 0) FROM demo_gl_account)
                           + row_number() OVER (ORDER BY company_id, kind),
                       code, json_object('{settings.LANGUAGE}', name),
                       CASE kind WHEN 'receivable' THEN '{settings.RECEIVABLE_TYPE}'
                                 ELSE '{settings.PAYABLE_TYPE}' END,
                       company_id, false, true, {installed}, kind
                FROM control_accounts""",
        ),
        (
            "odoo_account_account_account_tag",
            """SELECT row_number() OVER (ORDER BY gl_account_id) AS id, gl_account_id AS account_account_id,
                      1 AS account_account_tag_id, updated_at AS write_date
               FROM demo_gl_account WHERE account_class = 'tax'""",
        ),
        (
            "odoo_account_tax",
            f"""SELECT tax_code_id AS id, {_translated("tax_code")} AS name,
                       {_translated("description")} AS description, rate_percent AS amount,
                       'percent' AS amount_type, {_case("direction", settings.TAX_USES)} AS type_tax_use,
                       scope AS x_tax_scope, datev_bu_key AS l10n_de_datev_code, company_id,
                       is_deleted = 0 AS active, updated_at AS write_date
                FROM demo_tax_code""",
        ),
        (
            "odoo_account_tax_repartition_line",
            """SELECT row_number() OVER (ORDER BY t.tax_code_id, d.document_type, r.repartition_type) AS id,
                      t.tax_code_id AS tax_id, d.document_type, r.repartition_type, 100 AS factor_percent,
                      CASE WHEN r.repartition_type = 'tax' THEN a.gl_account_id END AS account_id,
                      CASE WHEN r.repartition_type = 'tax' AND a.gl_account_id IS NULL
                           THEN t.tax_account_no END AS x_account_code,
                      CASE r.repartition_type WHEN 'base' THEN 1 ELSE 2 END AS sequence, t.company_id,
                      t.updated_at AS write_date
               FROM demo_tax_code t
               CROSS JOIN (VALUES ('invoice'), ('refund')) d(document_type)
               CROSS JOIN (VALUES ('base'), ('tax')) r(repartition_type)
               LEFT JOIN demo_gl_account a ON a.company_id = t.company_id AND a.account_no = t.tax_account_no""",
        ),
        (
            "odoo_account_account_tax_default_rel",
            """SELECT row_number() OVER (ORDER BY a.gl_account_id) AS id, a.gl_account_id AS account_id,
                      t.tax_code_id AS tax_id, a.updated_at AS write_date
               FROM demo_gl_account a JOIN demo_tax_code t ON t.tax_code_id = a.auto_tax_code_id""",
        ),
        (
            "odoo_account_analytic_plan",
            f"""SELECT id, json_object('{settings.LANGUAGE}', name) AS name, {installed} AS write_date
                FROM (VALUES {plans}) p(id, name)""",
        ),
        (
            "odoo_account_analytic_account",
            """WITH rows AS (
                   SELECT 1 AS plan_id, 'cost_center' AS _kind, cost_center_id AS _src_id, description AS name,
                          code, company_id, is_deleted = 0 AS active, updated_at AS write_date
                   FROM demo_cost_center
                   UNION ALL
                   SELECT 2, 'cost_unit', cost_unit_id, description, code, company_id, is_deleted = 0, updated_at
                   FROM demo_cost_unit)
               SELECT row_number() OVER (ORDER BY plan_id, _src_id) AS id, * FROM rows""",
        ),
        (
            "odoo_account_journal",
            f"""SELECT document_type_id AS id, code, {_translated("description")} AS name,
                       {_case("ledger", settings.JOURNAL_TYPES)} AS type, is_credit_note <> 0 AS x_credit_note,
                       company_id, true AS active, updated_at AS write_date
                FROM demo_document_type""",
        ),
        (
            "odoo_uom_uom",
            f"""SELECT row_number() OVER (ORDER BY unit) AS id, json_object('{settings.LANGUAGE}', unit) AS name,
                       true AS active, {installed} AS write_date, unit AS _name
                FROM (SELECT unit FROM demo_sales_invoice_line UNION SELECT unit FROM demo_purchase_order_line)
                WHERE unit IS NOT NULL""",
        ),
        (
            "odoo_product_product",
            f"""SELECT row_number() OVER (ORDER BY item_no) AS id, item_no AS default_code, true AS active,
                       {installed} AS write_date
                FROM (SELECT item_no FROM demo_sales_invoice_line
                      UNION SELECT item_no FROM demo_purchase_order_line)
                WHERE item_no IS NOT NULL""",
        ),
        (
            "odoo_account_move",
            f"""WITH rows AS (
                    SELECT 0 AS _rank, 'sales' AS _kind, i.invoice_id AS _src_id, i.invoice_no AS name,
                           CASE WHEN d.is_credit_note <> 0 THEN 'out_refund' ELSE 'out_invoice' END AS move_type,
                           i.document_type_id AS journal_id, i.company_id, p.id AS partner_id,
                           i.invoice_date AS date, i.invoice_date, i.service_date AS delivery_date,
                           i.due_date AS invoice_date_due, i.currency_code AS _currency,
                           i.exchange_rate AS invoice_currency_rate, i.total_net AS amount_untaxed,
                           i.total_tax AS amount_tax, i.total_gross AS amount_total,
                           t.payment_term_id AS invoice_payment_term_id, i.header_text AS narration,
                           a.attachment_id AS message_main_attachment_id,
                           {_case("i.status", settings.MOVE_STATES)} AS state, i.cancelled_on AS x_cancel_date,
                           amended.invoice_id AS _amended_src_id, i.updated_at AS write_date
                    FROM demo_sales_invoice i
                    LEFT JOIN demo_sales_invoice amended
                           ON amended.company_id = i.company_id AND amended.invoice_no = i.amended_from
                    LEFT JOIN demo_document_type d ON d.document_type_id = i.document_type_id
                    LEFT JOIN odoo_res_partner p ON p._kind = 'customer' AND p._src_id = i.customer_id
                    LEFT JOIN demo_payment_term t ON t.payment_term_id = i.payment_term_id
                    LEFT JOIN demo_attachment a ON a.attachment_id = i.attachment_id
                    UNION ALL BY NAME
                    SELECT 1 AS _rank, 'purchase' AS _kind, i.invoice_id AS _src_id, i.internal_no AS name,
                           CASE WHEN d.is_credit_note <> 0 THEN 'in_refund' ELSE 'in_invoice' END AS move_type,
                           i.document_type_id AS journal_id, i.company_id, p.id AS partner_id,
                           i.invoice_date AS date, i.invoice_date, i.service_date AS delivery_date,
                           i.due_date AS invoice_date_due, i.currency_code AS _currency,
                           i.exchange_rate AS invoice_currency_rate, i.total_net AS amount_untaxed,
                           i.total_tax AS amount_tax, i.total_gross AS amount_total,
                           t.payment_term_id AS invoice_payment_term_id, i.vendor_invoice_no AS ref,
                           i.header_text AS narration, o.po_no AS invoice_origin,
                           a.attachment_id AS message_main_attachment_id,
                           {_case("i.status", settings.MOVE_STATES)} AS state, i.cancelled_on AS x_cancel_date,
                           amended.invoice_id AS _amended_src_id, i.updated_at AS write_date
                    FROM demo_purchase_invoice i
                    LEFT JOIN demo_purchase_invoice amended
                           ON amended.company_id = i.company_id AND amended.internal_no = i.amended_from
                    LEFT JOIN demo_document_type d ON d.document_type_id = i.document_type_id
                    LEFT JOIN odoo_res_partner p ON p._kind = 'vendor' AND p._src_id = i.vendor_id
                    LEFT JOIN demo_purchase_order o ON o.po_id = i.po_id
                    LEFT JOIN demo_payment_term t ON t.payment_term_id = i.payment_term_id
                    LEFT JOIN demo_attachment a ON a.attachment_id = i.attachment_id
                    UNION ALL BY NAME
                    SELECT 2 AS _rank, 'journal' AS _kind, e.entry_id AS _src_id, e.entry_no AS name,
                           'entry' AS move_type, e.document_type_id AS journal_id, e.company_id,
                           e.posting_date AS date, e.document_date AS invoice_date, e.currency_code AS _currency,
                           e.exchange_rate AS invoice_currency_rate, e.description AS ref,
                           a.attachment_id AS message_main_attachment_id,
                           {_case("e.status", settings.MOVE_STATES)} AS state, e.cancelled_on AS x_cancel_date,
                           amended.entry_id AS _amended_src_id, e.source AS x_entry_source,
                           e.is_reversal <> 0 AS x_is_reversal, e.updated_at AS write_date
                    FROM demo_journal_entry e
                    LEFT JOIN demo_journal_entry amended
                           ON amended.company_id = e.company_id AND amended.entry_no = e.amended_from
                    LEFT JOIN demo_attachment a ON a.attachment_id = e.attachment_id),
                numbered AS (
                    SELECT row_number() OVER (ORDER BY r._rank, r._src_id) AS id, r.* EXCLUDE (x_is_reversal),
                           coalesce(r.x_is_reversal, false) AS x_is_reversal, cur.id AS currency_id
                    FROM rows r LEFT JOIN odoo_res_currency cur ON cur.name = r._currency)
                -- the replaced move by its Odoo id, as a many2one field holds it
                SELECT n.*, replaced.id AS x_amended_from_id
                FROM numbered n
                LEFT JOIN numbered replaced ON replaced._kind = n._kind AND replaced._src_id = n._amended_src_id
                ORDER BY n.id""",
        ),
        (
            "odoo_ir_attachment",
            """SELECT a.attachment_id AS id, a.file_name AS name, 'binary' AS type, a.mime_type AS mimetype,
                      a.content AS db_datas, a.size_bytes AS file_size, sha1(a.content) AS checksum,
                      CASE WHEN first_use.res_id IS NOT NULL THEN 'account.move' END AS res_model,
                      first_use.res_id, a.company_id, a.updated_at AS write_date
               FROM demo_attachment a
               LEFT JOIN (SELECT message_main_attachment_id, min(id) AS res_id FROM odoo_account_move
                          WHERE message_main_attachment_id IS NOT NULL GROUP BY 1) first_use
                      ON first_use.message_main_attachment_id = a.attachment_id""",
        ),
        (
            "invoice_product_lines",
            f"""SELECT 0 AS _rank, l.line_id AS _src_id, m.id AS move_id, l.line_no AS sequence,
                       l.description AS name, a.gl_account_id AS account_id,
                       CASE WHEN a.gl_account_id IS NULL THEN l.revenue_account_no END AS x_account_code,
                       m.partner_id, product.id AS product_id, uom.id AS product_uom_id, l.quantity,
                       l.unit_price AS price_unit, l.net_amount AS price_subtotal,
                       l.net_amount + l.tax_amount AS price_total, {sign_sales} AS _sign,
                       l.tax_amount AS _tax_amount, t.tax_code_id AS _tax_id, NULL::INTEGER AS purchase_line_id,
                       {_analytic_distribution("cc.id", "cu.id")} AS analytic_distribution,
                       m.invoice_currency_rate AS _rate, m.currency_id, m.company_id, m.date,
                       l.updated_at AS write_date
                FROM demo_sales_invoice_line l
                JOIN odoo_account_move m ON m._kind = 'sales' AND m._src_id = l.invoice_id
                LEFT JOIN demo_gl_account a ON a.company_id = m.company_id AND a.account_no = l.revenue_account_no
                LEFT JOIN odoo_product_product product ON product.default_code = l.item_no
                LEFT JOIN odoo_uom_uom uom ON uom._name = l.unit
                LEFT JOIN demo_tax_code t ON t.tax_code_id = l.tax_code_id
                LEFT JOIN odoo_account_analytic_account cc
                       ON cc._kind = 'cost_center' AND cc._src_id = l.cost_center_id
                LEFT JOIN odoo_account_analytic_account cu ON cu._kind = 'cost_unit' AND cu._src_id = l.cost_unit_id
                UNION ALL BY NAME
                SELECT 1 AS _rank, l.line_id AS _src_id, m.id AS move_id, l.line_no AS sequence,
                       l.description AS name, a.gl_account_id AS account_id,
                       CASE WHEN a.gl_account_id IS NULL THEN l.expense_account_no END AS x_account_code,
                       m.partner_id, l.quantity, l.unit_price AS price_unit, l.net_amount AS price_subtotal,
                       l.net_amount + l.tax_amount AS price_total, {sign_purchase} AS _sign,
                       l.tax_amount AS _tax_amount, t.tax_code_id AS _tax_id, po_line.po_line_id AS purchase_line_id,
                       {_analytic_distribution("cc.id", "cu.id")} AS analytic_distribution,
                       m.invoice_currency_rate AS _rate, m.currency_id, m.company_id, m.date,
                       l.updated_at AS write_date
                FROM demo_purchase_invoice_line l
                JOIN odoo_account_move m ON m._kind = 'purchase' AND m._src_id = l.invoice_id
                LEFT JOIN demo_gl_account a ON a.company_id = m.company_id AND a.account_no = l.expense_account_no
                LEFT JOIN demo_purchase_order_line po_line ON po_line.po_line_id = l.po_line_id
                LEFT JOIN demo_tax_code t ON t.tax_code_id = l.tax_code_id
                LEFT JOIN odoo_account_analytic_account cc
                       ON cc._kind = 'cost_center' AND cc._src_id = l.cost_center_id
                LEFT JOIN odoo_account_analytic_account cu
                       ON cu._kind = 'cost_unit' AND cu._src_id = l.cost_unit_id""",
        ),
        (
            # Odoo books each tax of an invoice on its own line, on the tax's account.
            "invoice_tax_lines",
            """SELECT 2 AS _rank, l.move_id AS _src_id, l.move_id, NULL::INTEGER AS sequence,
                      coalesce(t.tax_code, 'Tax') AS name, r.account_id, r.x_account_code,
                      any_value(l.partner_id) AS partner_id,
                      any_value(l._sign) * sum(l._tax_amount) AS _amount, l._tax_id AS tax_line_id,
                      any_value(l._rate) AS _rate, any_value(l.currency_id) AS currency_id,
                      any_value(l.company_id) AS company_id, any_value(l.date) AS date,
                      max(l.write_date) AS write_date
               FROM invoice_product_lines l
               LEFT JOIN demo_tax_code t ON t.tax_code_id = l._tax_id
               LEFT JOIN odoo_account_tax_repartition_line r
                      ON r.tax_id = l._tax_id AND r.document_type = 'invoice' AND r.repartition_type = 'tax'
               GROUP BY l.move_id, l._tax_id, t.tax_code, r.account_id, r.x_account_code
               HAVING sum(l._tax_amount) <> 0""",
        ),
        (
            "odoo_account_move_line",
            f"""WITH product_and_tax AS (
                    SELECT * EXCLUDE (_tax_amount, _tax_id, _sign), 'product' AS display_type,
                           _sign * price_subtotal AS amount_currency, _tax_id
                    FROM invoice_product_lines
                    UNION ALL BY NAME
                    SELECT * EXCLUDE (_amount), 'tax' AS display_type, _amount AS amount_currency
                    FROM invoice_tax_lines),
                invoice_lines AS (
                    SELECT * EXCLUDE (_rate),
                           CAST(round(amount_currency / coalesce(nullif(_rate, 0), 1), 2) AS DECIMAL(18,2)) AS balance
                    FROM product_and_tax),
                -- the receivable/payable line balances the move, as Odoo's payment_term line does
                payment_term_lines AS (
                    SELECT 3 AS _rank, m.id AS _src_id, m.id AS move_id, NULL::INTEGER AS sequence,
                           'payment_term' AS display_type, m.name, control.id AS account_id, m.partner_id,
                           -coalesce(sum(l.amount_currency), 0) AS amount_currency,
                           -coalesce(sum(l.balance), 0) AS balance, m.currency_id, m.company_id, m.date,
                           m.write_date
                    FROM odoo_account_move m
                    LEFT JOIN invoice_lines l ON l.move_id = m.id
                    LEFT JOIN odoo_account_account control ON control.company_id = m.company_id
                          AND control._kind = CASE WHEN m.move_type LIKE 'out_%' THEN 'receivable' ELSE 'payable' END
                    WHERE m.move_type <> 'entry'
                    GROUP BY m.id, m.name, control.id, m.partner_id, m.currency_id, m.company_id, m.date,
                             m.write_date),
                journal_lines AS (
                    SELECT 4 AS _rank, l.line_id AS _src_id, m.id AS move_id, l.line_no AS sequence,
                           'product' AS display_type, l.line_text AS name,
                           CASE l.account_type WHEN 'customer' THEN receivable.id WHEN 'vendor' THEN payable.id
                                ELSE a.gl_account_id END AS account_id,
                           coalesce(customer.id, vendor.id) AS partner_id,
                           CASE WHEN coalesce(a.gl_account_id, customer.id, vendor.id) IS NULL
                                THEN l.account_no END AS x_account_code,
                           l.debit_lc AS debit, l.credit_lc AS credit, l.debit_lc - l.credit_lc AS balance,
                           l.debit - l.credit AS amount_currency,
                           -- kept only where debit - credit cannot tell them apart
                           CASE WHEN (l.debit <> 0 AND l.credit <> 0) OR l.debit < 0 OR l.credit < 0
                                THEN l.debit END AS x_debit_currency,
                           CASE WHEN (l.debit <> 0 AND l.credit <> 0) OR l.debit < 0 OR l.credit < 0
                                THEN l.credit END AS x_credit_currency,
                           t.tax_code_id AS _tax_id,
                           {_analytic_distribution("cc.id", "cu.id")} AS analytic_distribution,
                           m.currency_id, m.company_id, m.date, l.updated_at AS write_date
                    FROM demo_journal_line l
                    JOIN odoo_account_move m ON m._kind = 'journal' AND m._src_id = l.entry_id
                    -- the CASE keys keep these equi-joins (a condition on l alone would not)
                    LEFT JOIN demo_gl_account a ON a.company_id = m.company_id
                          AND a.account_no = CASE WHEN l.account_type NOT IN ('customer', 'vendor')
                                                  THEN l.account_no END
                    LEFT JOIN odoo_res_partner customer ON customer._kind = 'customer'
                          AND customer.company_id = m.company_id
                          AND customer.ref = CASE WHEN l.account_type = 'customer' THEN l.account_no END
                    LEFT JOIN odoo_res_partner vendor ON vendor._kind = 'vendor'
                          AND vendor.company_id = m.company_id
                          AND vendor.ref = CASE WHEN l.account_type = 'vendor' THEN l.account_no END
                    LEFT JOIN odoo_account_account receivable
                           ON receivable.company_id = m.company_id AND receivable._kind = 'receivable'
                    LEFT JOIN odoo_account_account payable
                           ON payable.company_id = m.company_id AND payable._kind = 'payable'
                    LEFT JOIN demo_tax_code t ON t.tax_code_id = l.tax_code_id
                    LEFT JOIN odoo_account_analytic_account cc
                           ON cc._kind = 'cost_center' AND cc._src_id = l.cost_center_id
                    LEFT JOIN odoo_account_analytic_account cu
                           ON cu._kind = 'cost_unit' AND cu._src_id = l.cost_unit_id),
                all_lines AS (
                    SELECT *, CASE WHEN balance > 0 THEN balance ELSE 0 END AS debit,
                           CASE WHEN balance < 0 THEN -balance ELSE 0 END AS credit
                    FROM invoice_lines
                    UNION ALL BY NAME
                    SELECT *, CASE WHEN balance > 0 THEN balance ELSE 0 END AS debit,
                           CASE WHEN balance < 0 THEN -balance ELSE 0 END AS credit
                    FROM payment_term_lines
                    UNION ALL BY NAME
                    SELECT * FROM journal_lines)
                SELECT row_number() OVER (ORDER BY move_id, _rank, sequence, _src_id) AS id, *
                FROM all_lines""",
        ),
        (
            "odoo_account_move_line_account_tax_rel",
            """SELECT row_number() OVER (ORDER BY id) AS id, id AS account_move_line_id, _tax_id AS account_tax_id,
                      write_date
               FROM odoo_account_move_line WHERE _tax_id IS NOT NULL AND display_type = 'product'""",
        ),
        (
            "odoo_purchase_order",
            f"""SELECT o.po_id AS id, o.po_no AS name, p.id AS partner_id, o.company_id, cur.id AS currency_id,
                       CAST(o.order_date AS TIMESTAMP) AS date_order, o.description AS notes,
                       {_purchase_state_column(0)} AS state, {_purchase_state_column(1)} AS receipt_status,
                       {_purchase_state_column(2)} AS invoice_status, u.id AS user_id, o.updated_at AS write_date
                FROM demo_purchase_order o
                LEFT JOIN odoo_res_partner p ON p._kind = 'vendor' AND p._src_id = o.vendor_id
                LEFT JOIN odoo_res_currency cur ON cur.name = o.currency_code
                LEFT JOIN odoo_res_users u ON u.login = o.buyer""",
        ),
        (
            "odoo_purchase_order_line",
            f"""SELECT l.po_line_id AS id, l.po_id AS order_id, l.line_no AS sequence, l.description AS name,
                       product.id AS product_id, uom.id AS product_uom, l.quantity_ordered AS product_qty,
                       l.quantity_received AS qty_received, l.quantity_invoiced AS qty_invoiced,
                       l.unit_price AS price_unit, l.net_amount AS price_subtotal, l.price_unit AS x_price_quantity,
                       l.gl_account_no AS x_account_code,
                       {_analytic_distribution("cc.id", "cu.id")} AS analytic_distribution,
                       nullif(l.line_type, 'item') AS x_line_type, surcharged.po_line_id AS x_surcharged_line_id,
                       l.surcharge_category AS x_surcharge_category, l.surcharge_value AS x_surcharge_value,
                       o.company_id, l.updated_at AS write_date, t.tax_code_id AS _tax_id
                FROM demo_purchase_order_line l
                JOIN demo_purchase_order o ON o.po_id = l.po_id
                LEFT JOIN demo_purchase_order_line surcharged ON surcharged.po_line_id = l.surcharged_line_id
                LEFT JOIN odoo_product_product product ON product.default_code = l.item_no
                LEFT JOIN odoo_uom_uom uom ON uom._name = l.unit
                LEFT JOIN demo_tax_code t ON t.tax_code_id = l.tax_code_id
                LEFT JOIN odoo_account_analytic_account cc
                       ON cc._kind = 'cost_center' AND cc._src_id = l.cost_center_id
                LEFT JOIN odoo_account_analytic_account cu ON cu._kind = 'cost_unit' AND cu._src_id = l.cost_unit_id""",
        ),
        (
            "odoo_account_tax_purchase_order_line_rel",
            """SELECT row_number() OVER (ORDER BY id) AS id, id AS purchase_order_line_id,
                      _tax_id AS account_tax_id, write_date
               FROM odoo_purchase_order_line WHERE _tax_id IS NOT NULL""",
        ),
        (
            "odoo_stock_picking",
            """SELECT r.receipt_id AS id, r.receipt_no AS name, p.id AS partner_id, r.company_id,
                      'incoming' AS picking_type_code, CAST(r.receipt_date AS TIMESTAMP) AS date_done,
                      r.delivery_note_no AS x_delivery_note_no, 'done' AS state, r.updated_at AS write_date
               FROM demo_goods_receipt r
               LEFT JOIN odoo_res_partner p ON p._kind = 'vendor' AND p._src_id = r.vendor_id""",
        ),
        (
            "odoo_stock_move",
            """SELECT g.receipt_line_id AS id, g.receipt_id AS picking_id, g.line_no AS sequence,
                      po_line.name, po_line.product_id, po_line.id AS purchase_line_id, g.quantity,
                      CAST(g.posted_date AS TIMESTAMP) AS date, 'done' AS state, r.company_id,
                      g.updated_at AS write_date
               FROM demo_goods_receipt_line g
               JOIN demo_goods_receipt r ON r.receipt_id = g.receipt_id
               LEFT JOIN odoo_purchase_order_line po_line ON po_line.id = g.po_line_id""",
        ),
        (
            "odoo_res_bank",
            f"""SELECT row_number() OVER (ORDER BY bic, bank_name) AS id, bank_name AS name, bic,
                       {installed} AS write_date
                FROM (SELECT DISTINCT bic, bank_name FROM demo_vendor_bank_account
                      WHERE bic IS NOT NULL OR bank_name IS NOT NULL)""",
        ),
        (
            "odoo_res_partner_bank",
            """WITH rows AS (
                   SELECT 0 AS _rank, 'vendor' AS _kind, b.bank_account_id AS _src_id, b.iban AS acc_number,
                          p.id AS partner_id, bank.id AS bank_id, b.account_holder AS acc_holder_name,
                          -- the main account sorts first
                          CASE WHEN b.is_primary <> 0 THEN 1 ELSE 10 END AS sequence, p.company_id,
                          b.is_deleted = 0 AS active, b.updated_at AS write_date
                   FROM demo_vendor_bank_account b
                   JOIN odoo_res_partner p ON p._kind = 'vendor' AND p._src_id = b.vendor_id
                   LEFT JOIN odoo_res_bank bank
                          ON bank.bic IS NOT DISTINCT FROM b.bic AND bank.name IS NOT DISTINCT FROM b.bank_name
                   UNION ALL
                   SELECT 1, 'employee', e.employee_id, e.iban, p.id, NULL, p.name, 10, e.company_id,
                          e.is_deleted = 0, e.updated_at
                   FROM demo_employee e
                   JOIN odoo_res_partner p ON p._kind = 'employee' AND p._src_id = e.employee_id
                   WHERE e.iban IS NOT NULL)
               SELECT row_number() OVER (ORDER BY _rank, _src_id) AS id, * FROM rows""",
        ),
        (
            "odoo_resource_calendar",
            f"""SELECT row_number() OVER (ORDER BY company_id, weekly_hours) AS id,
                       CAST(weekly_hours AS VARCHAR) || ' hours/week' AS name, weekly_hours AS hours_per_week,
                       company_id, {installed} AS write_date
                FROM (SELECT DISTINCT company_id, weekly_hours FROM demo_employee WHERE weekly_hours IS NOT NULL)""",
        ),
        (
            "odoo_hr_employee",
            """SELECT e.employee_id AS id, e.first_name || ' ' || e.last_name AS name, e.first_name AS firstname,
                      e.last_name AS lastname, e.personnel_no AS registration_number, e.email AS work_email,
                      e.birth_date AS birthday, e.street AS private_street, e.zip_code AS private_zip,
                      e.city AS private_city, country.id AS private_country_id, e.tax_id AS identification_id,
                      contact.id AS work_contact_id, bank.id AS bank_account_id, calendar.id AS resource_calendar_id,
                      e.company_id, e.is_deleted = 0 AS active, e.updated_at AS write_date
               FROM demo_employee e
               JOIN odoo_res_partner contact ON contact._kind = 'employee' AND contact._src_id = e.employee_id
               LEFT JOIN odoo_res_country country ON country.code = e.country_code
               LEFT JOIN odoo_res_partner_bank bank ON bank._kind = 'employee' AND bank._src_id = e.employee_id
               LEFT JOIN odoo_resource_calendar calendar
                      ON calendar.company_id = e.company_id AND calendar.hours_per_week = e.weekly_hours""",
        ),
        (
            "odoo_hr_contract",
            """SELECT e.employee_id AS id, 'Contract ' || e.personnel_no AS name, e.employee_id,
                      e.hire_date AS date_start, e.termination_date AS date_end, e.monthly_salary AS wage,
                      cc.id AS analytic_account_id,
                      CASE WHEN e.termination_date IS NULL THEN 'open' ELSE 'close' END AS state,
                      e.company_id, e.updated_at AS write_date
               FROM demo_employee e
               LEFT JOIN odoo_account_analytic_account cc
                      ON cc._kind = 'cost_center' AND cc._src_id = e.cost_center_id""",
        ),
        (
            "odoo_ir_model_data",
            f"""SELECT x.reference_id AS id, x.system_code AS module, x.external_id AS name,
                       {_case("x.object_type", settings.MODELS)} AS model,
                       CASE x.object_type
                            WHEN 'company' THEN company.company_id
                            WHEN 'customer' THEN partner.id WHEN 'vendor' THEN partner.id
                            WHEN 'employee' THEN employee.employee_id
                            ELSE move.id END AS res_id,
                       x.updated_at AS write_date
                FROM demo_external_reference x
                LEFT JOIN demo_company company
                       ON company.company_id = CASE WHEN x.object_type = 'company' THEN x.object_id END
                LEFT JOIN odoo_res_partner partner
                       ON partner._kind = x.object_type AND partner._src_id = x.object_id
                      AND x.object_type IN ('customer', 'vendor')
                LEFT JOIN demo_employee employee
                       ON employee.employee_id = CASE WHEN x.object_type = 'employee' THEN x.object_id END
                LEFT JOIN odoo_account_move move ON move._src_id = x.object_id AND move._kind =
                       CASE x.object_type WHEN 'sales_invoice' THEN 'sales'
                                          WHEN 'purchase_invoice' THEN 'purchase'
                                          WHEN 'journal_entry' THEN 'journal' END""",
        ),
    ]


def reshape(connection: duckdb.DuckDBPyConnection) -> None:
    """Create every `odoo_<table>` from the registered `demo_<table>` and `control_accounts` relations."""
    for table, select in _steps():
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select}")
