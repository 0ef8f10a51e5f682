-- A second ERP for erpload: PostgreSQL, shaped and named the way Odoo (16/17) stores accounting data.
-- It holds the same business data as the demo ERP (sources/demo_erp/schema.sql) in Odoo's shape, so
-- that `profiles/odoo.toml` can prove a profile alone maps a different schema to the same canonical model.
--
-- Odoo conventions kept here:
--   * every table has `id serial` and `write_date` (UTC, no time zone, microseconds; the extract cursor);
--     Odoo's many2many tables (`*_rel`) have neither; here they carry both, so extraction stays
--     incremental (a profile for a real Odoo lists them without a cursor and reloads them in full);
--   * `active = false` archives a record (the inverse of the demo's is_deleted);
--   * translatable names are JSONB keyed by language ({"en_US": "..."}), as Odoo 16+ stores them;
--   * one res_partner table for companies' own addresses, customers, vendors and employees' contacts;
--     customers have customer_rank > 0, vendors supplier_rank > 0, `ref` is their DATEV personal account;
--   * one account_move table for customer invoices and credit notes, vendor bills and refunds and
--     journal entries (move_type), one account_move_line table for all their lines (display_type);
--   * receivable/payable lines post to a collective account (asset_receivable / liability_payable)
--     with the partner on the line; DATEV has no such Sammelkonto, so the profile leaves those out;
--   * amounts in company currency are debit/credit/balance, document currency is amount_currency (signed);
--   * custom fields a German Odoo installation would add are `x_` fields.
-- Amounts are NUMERIC with the scale the demo ERP declares (Odoo's own columns are unscaled numeric).
--
-- The tables come first, their keys and indexes after the marker line below, the way pg_dump
-- orders them: the writer bulk-loads the tables before the constraints exist.

CREATE TABLE res_country (
    id          serial PRIMARY KEY,
    code        varchar NOT NULL,              -- ISO 3166-1 alpha-2
    name        jsonb,
    write_date  timestamp NOT NULL
);

CREATE TABLE res_currency (
    id          serial PRIMARY KEY,
    name        varchar NOT NULL,              -- ISO 4217 code: 'EUR'
    full_name   varchar,
    symbol      varchar NOT NULL,
    rounding    numeric(12,6) NOT NULL,        -- 0.01 for two decimals; Odoo derives decimal_places from it
    active      boolean NOT NULL DEFAULT true,
    write_date  timestamp NOT NULL
);

-- Companies, customers, vendors and employees' private contacts.
CREATE TABLE res_partner (
    id                                  serial PRIMARY KEY,
    name                                varchar,
    x_name2                             varchar,        -- second name line (Namenszusatz)
    is_company                          boolean NOT NULL DEFAULT false,
    type                                varchar NOT NULL DEFAULT 'contact',
    street                              varchar,
    zip                                 varchar,
    city                                varchar,
    country_id                          integer,
    vat                                 varchar,        -- with country prefix
    company_registry                    varchar,        -- Steuernummer / CVR
    email                               varchar,
    phone                               varchar,
    ref                                 varchar,        -- customer or vendor number = DATEV personal account
    customer_rank                       integer NOT NULL DEFAULT 0,
    supplier_rank                       integer NOT NULL DEFAULT 0,
    property_payment_term_id            integer,        -- customer payment term
    property_supplier_payment_term_id   integer,        -- vendor payment term
    property_product_pricelist          integer,        -- a customer's currency comes from its pricelist
    property_purchase_currency_id       integer,        -- vendor currency
    property_account_position_id        integer,        -- fiscal position: domestic / EU / third country
    x_default_expense_account_code      varchar,        -- expense account proposed for the vendor's bills
    credit_limit                        numeric(18,2),
    purchase_warn                       varchar,        -- 'block' stops purchases from a vendor
    company_id                          integer,
    active                              boolean NOT NULL DEFAULT true,
    create_date                         timestamp,
    write_date                          timestamp NOT NULL
);

CREATE TABLE res_company (
    id                          serial PRIMARY KEY,
    name                        varchar NOT NULL,
    x_company_code              varchar NOT NULL,      -- Buchungskreis / DATEV Mandant key: '1000'
    partner_id                  integer NOT NULL,      -- address, VAT id and tax number live on the partner
    currency_id                 integer NOT NULL,
    chart_template              varchar,               -- 'de_skr03', 'de_skr04', 'dk', ...
    fiscalyear_last_day         integer NOT NULL DEFAULT 31,
    fiscalyear_last_month       varchar NOT NULL DEFAULT '12',  -- a selection '1'..'12', stored as text
    x_datev_consultant_number   integer,               -- DATEV Beraternummer
    x_datev_client_number       integer,               -- DATEV Mandantennummer
    x_datev_account_length      integer,               -- DATEV Sachkontenlänge
    x_datev_lock_batches        boolean NOT NULL DEFAULT false,  -- Festschreibung
    write_date                  timestamp NOT NULL
);

-- Units of `currency_id` per 1 unit of the company's currency, valid from `name`.
CREATE TABLE res_currency_rate (
    id          serial PRIMARY KEY,
    name        date NOT NULL,
    rate        numeric(18,6) NOT NULL,
    currency_id integer NOT NULL,
    company_id  integer,
    write_date  timestamp NOT NULL
);

CREATE TABLE res_bank (
    id          serial PRIMARY KEY,
    name        varchar,
    bic         varchar,
    write_date  timestamp NOT NULL
);

CREATE TABLE res_partner_bank (
    id              serial PRIMARY KEY,
    acc_number      varchar NOT NULL,               -- IBAN
    partner_id      integer NOT NULL,
    bank_id         integer,
    acc_holder_name varchar,
    sequence        integer NOT NULL DEFAULT 10,    -- the main account sorts first (sequence 1)
    company_id      integer,
    active          boolean NOT NULL DEFAULT true,
    write_date      timestamp NOT NULL
);

CREATE TABLE res_users (
    id          serial PRIMARY KEY,
    login       varchar NOT NULL,
    company_id  integer,
    write_date  timestamp NOT NULL
);

CREATE TABLE account_payment_term (
    id                  serial PRIMARY KEY,
    name                jsonb NOT NULL,
    x_code              varchar,                    -- the term's short code, for DATEV and APIs
    company_id          integer,
    early_discount      boolean NOT NULL DEFAULT false,
    discount_percentage numeric(5,2),
    discount_days       integer,
    active              boolean NOT NULL DEFAULT true,
    write_date          timestamp NOT NULL
);

CREATE TABLE account_payment_term_line (
    id              serial PRIMARY KEY,
    payment_id      integer NOT NULL,
    value           varchar NOT NULL,               -- 'percent' | 'fixed'
    value_amount    numeric(18,6) NOT NULL,
    nb_days         integer NOT NULL,
    write_date      timestamp NOT NULL
);

CREATE TABLE account_account_tag (
    id              serial PRIMARY KEY,
    name            jsonb NOT NULL,
    applicability   varchar NOT NULL,               -- 'accounts' | 'taxes' | 'products'
    active          boolean NOT NULL DEFAULT true,
    write_date      timestamp NOT NULL
);

CREATE TABLE account_account (
    id              serial PRIMARY KEY,
    code            varchar NOT NULL,
    name            jsonb NOT NULL,
    -- 'asset_receivable','asset_cash','asset_current','liability_payable','liability_current',
    -- 'equity','income','expense',...; tax accounts carry the account tag 'Tax' as well
    account_type    varchar NOT NULL,
    company_id      integer NOT NULL,
    deprecated      boolean NOT NULL DEFAULT false, -- blocked for new postings
    active          boolean NOT NULL DEFAULT true,
    write_date      timestamp NOT NULL
);

CREATE TABLE account_account_account_tag (
    id                      serial PRIMARY KEY,
    account_account_id      integer NOT NULL,
    account_account_tag_id  integer NOT NULL,
    write_date              timestamp NOT NULL
);

CREATE TABLE account_tax (
    id                  serial PRIMARY KEY,
    name                jsonb NOT NULL,             -- the tax code: 'V19', 'VS19', 'IGE19', ...
    description         jsonb,                      -- the label on documents
    amount              numeric(16,4) NOT NULL,
    amount_type         varchar NOT NULL DEFAULT 'percent',
    type_tax_use        varchar NOT NULL,           -- 'sale' | 'purchase'
    x_tax_scope         varchar,                    -- 'domestic','eu','third_country','reverse_charge','exempt'
    l10n_de_datev_code  varchar,                    -- DATEV BU-Schlüssel
    company_id          integer NOT NULL,
    active              boolean NOT NULL DEFAULT true,
    write_date          timestamp NOT NULL
);

-- Where a tax's base and tax amounts post, for invoices and for refunds.
CREATE TABLE account_tax_repartition_line (
    id                  serial PRIMARY KEY,
    tax_id              integer NOT NULL,
    document_type       varchar NOT NULL,           -- 'invoice' | 'refund'
    repartition_type    varchar NOT NULL,           -- 'base' | 'tax'
    factor_percent      numeric(8,4) NOT NULL DEFAULT 100,
    x_account_code      varchar,                    -- the tax account (may be outside the chart)
    account_id          integer,
    sequence            integer NOT NULL DEFAULT 1,
    company_id          integer,
    write_date          timestamp NOT NULL
);

-- Default taxes of an account: for a DATEV automatic account (Automatikkonto) the tax it implies.
CREATE TABLE account_account_tax_default_rel (
    id          serial PRIMARY KEY,
    account_id  integer NOT NULL,
    tax_id      integer NOT NULL,
    write_date  timestamp NOT NULL
);

CREATE TABLE account_analytic_plan (
    id          serial PRIMARY KEY,
    name        jsonb NOT NULL,                     -- 'Cost Centers' (KOST1) | 'Cost Units' (KOST2)
    write_date  timestamp NOT NULL
);

CREATE TABLE account_analytic_account (
    id          serial PRIMARY KEY,
    name        varchar NOT NULL,
    code        varchar,
    plan_id     integer NOT NULL,
    company_id  integer,
    active      boolean NOT NULL DEFAULT true,
    write_date  timestamp NOT NULL
);

CREATE TABLE account_fiscal_position (
    id          serial PRIMARY KEY,
    name        jsonb NOT NULL,                     -- 'Geschäftspartner Inland' / 'EU (mit USt-ID)' / 'Ausland'
    company_id  integer NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    write_date  timestamp NOT NULL
);

CREATE TABLE product_pricelist (
    id          serial PRIMARY KEY,
    name        jsonb NOT NULL,
    currency_id integer NOT NULL,
    company_id  integer,
    active      boolean NOT NULL DEFAULT true,
    write_date  timestamp NOT NULL
);

-- One journal per document type.
CREATE TABLE account_journal (
    id              serial PRIMARY KEY,
    code            varchar NOT NULL,
    name            jsonb NOT NULL,
    type            varchar NOT NULL,               -- 'sale' | 'purchase' | 'general' | 'bank'
    x_credit_note   boolean NOT NULL DEFAULT false, -- the journal holds credit notes only
    company_id      integer NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    write_date      timestamp NOT NULL
);

CREATE TABLE uom_uom (
    id          serial PRIMARY KEY,
    name        jsonb NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    write_date  timestamp NOT NULL
);

CREATE TABLE product_product (
    id              serial PRIMARY KEY,
    default_code    varchar NOT NULL,               -- the item number
    active          boolean NOT NULL DEFAULT true,
    write_date      timestamp NOT NULL
);

-- Receipt files stored in the database (Odoo's ir_attachment.location = 'db').
CREATE TABLE ir_attachment (
    id          serial PRIMARY KEY,
    name        varchar NOT NULL,
    type        varchar NOT NULL DEFAULT 'binary',
    mimetype    varchar,
    db_datas    bytea,
    file_size   bigint,
    checksum    varchar(40),                        -- SHA-1, as Odoo computes it
    x_sha256    varchar(64),                        -- SHA-256 that archives and DATEV document links use
    res_model   varchar,                            -- the first record it is attached to
    res_id      integer,
    company_id  integer,
    write_date  timestamp NOT NULL
);

CREATE TABLE account_move (
    id                          serial PRIMARY KEY,
    name                        varchar NOT NULL,   -- the document number
    move_type                   varchar NOT NULL,   -- 'out_invoice','out_refund','in_invoice','in_refund','entry'
    journal_id                  integer NOT NULL,
    company_id                  integer NOT NULL,
    partner_id                  integer,
    date                        date NOT NULL,      -- accounting date
    invoice_date                date,               -- document date
    delivery_date               date,               -- Leistungsdatum
    invoice_date_due            date,
    currency_id                 integer NOT NULL,
    invoice_currency_rate       numeric(18,6),      -- document currency per 1 company currency
    amount_untaxed              numeric(18,2),
    amount_tax                  numeric(18,2),
    amount_total                numeric(18,2),
    invoice_payment_term_id     integer,
    ref                         varchar,            -- vendor's bill number; a journal entry's description
    narration                   text,               -- terms and notes printed on invoices
    invoice_origin              varchar,            -- purchase order a vendor bill was created from
    message_main_attachment_id  integer,
    state                       varchar NOT NULL,   -- 'draft' | 'posted' | 'cancel'
    x_cancel_date               date,               -- a posted move reset to draft and cancelled: the day that takes effect
    x_amended_from_id           integer,            -- the cancelled move this one replaces (ERPNext's amended_from)
    x_entry_source              varchar,            -- journal entries: 'manual','bank','payroll','accrual','depreciation'
    x_is_reversal               boolean NOT NULL DEFAULT false,
    write_date                  timestamp NOT NULL
);

-- Invoice lines ('product'), their tax and receivable/payable lines ('tax', 'payment_term'),
-- and journal entry lines ('product' lines of moves with move_type 'entry').
CREATE TABLE account_move_line (
    id                      serial PRIMARY KEY,
    move_id                 integer NOT NULL,
    sequence                integer,                -- the line number
    display_type            varchar NOT NULL,       -- 'product' | 'tax' | 'payment_term'
    name                    varchar,                -- label
    account_id              integer,
    x_account_code          varchar,                -- account number when it is not in the chart
    partner_id              integer,
    product_id              integer,
    product_uom_id          integer,
    quantity                numeric(18,4),
    price_unit              numeric(18,4),
    price_subtotal          numeric(18,2),          -- net, document currency
    price_total             numeric(18,2),          -- gross, document currency
    debit                   numeric(18,2) NOT NULL DEFAULT 0,   -- company currency
    credit                  numeric(18,2) NOT NULL DEFAULT 0,
    balance                 numeric(18,2) NOT NULL DEFAULT 0,
    amount_currency         numeric(18,2) NOT NULL DEFAULT 0,   -- document currency, signed like balance
    -- journal lines whose document-currency debit/credit amount_currency cannot tell apart
    -- (both sides filled, or negative): the two amounts as they were entered
    x_debit_currency        numeric(18,2),
    x_credit_currency       numeric(18,2),
    currency_id             integer,
    analytic_distribution   jsonb,                  -- {"<account_analytic_account.id>": percent}
    tax_line_id             integer,                -- the tax a 'tax' line was computed for
    purchase_line_id        integer,
    company_id              integer NOT NULL,
    date                    date,
    write_date              timestamp NOT NULL
);

CREATE TABLE account_move_line_account_tax_rel (
    id                    serial PRIMARY KEY,
    account_move_line_id  integer NOT NULL,
    account_tax_id        integer NOT NULL,
    write_date            timestamp NOT NULL
);

CREATE TABLE purchase_order (
    id              serial PRIMARY KEY,
    name            varchar NOT NULL,               -- PO number
    partner_id      integer,
    company_id      integer NOT NULL,
    currency_id     integer,
    date_order      timestamp NOT NULL,
    notes           text,
    state           varchar NOT NULL,               -- 'draft','sent','purchase','done','cancel'
    receipt_status  varchar,                        -- 'pending' | 'partial' | 'full'
    invoice_status  varchar,                        -- 'no' | 'to invoice' | 'invoiced'
    user_id         integer,                        -- buyer
    write_date      timestamp NOT NULL
);

CREATE TABLE purchase_order_line (
    id                      serial PRIMARY KEY,
    order_id                integer NOT NULL,
    sequence                integer,                -- the line number
    name                    varchar NOT NULL,
    product_id              integer,
    product_uom             integer,
    product_qty             numeric(18,4) NOT NULL,
    qty_received            numeric(18,4) NOT NULL DEFAULT 0,
    qty_invoiced            numeric(18,4) NOT NULL DEFAULT 0,
    price_unit              numeric(18,4) NOT NULL, -- price of one unit (the demo's unit_price)
    price_subtotal          numeric(18,2),
    x_price_quantity        numeric(18,4),          -- Preiseinheit: price_unit is per this many units
    x_account_code          varchar,                -- G/L account proposed for the bill line
    analytic_distribution   jsonb,
    x_line_type             varchar,                -- surcharges: 'header_surcharge' | 'line_surcharge'
    x_surcharged_line_id    integer,
    x_surcharge_category    varchar,                -- 'pcs' | 'fixed' | 'percent'
    x_surcharge_value       numeric(18,4),
    company_id              integer,
    write_date              timestamp NOT NULL
);

CREATE TABLE account_tax_purchase_order_line_rel (
    id                      serial PRIMARY KEY,
    purchase_order_line_id  integer NOT NULL,
    account_tax_id          integer NOT NULL,
    write_date              timestamp NOT NULL
);

-- Goods receipts are incoming pickings; their lines are stock moves.
CREATE TABLE stock_picking (
    id                  serial PRIMARY KEY,
    name                varchar NOT NULL,
    partner_id          integer,
    company_id          integer NOT NULL,
    picking_type_code   varchar NOT NULL DEFAULT 'incoming',
    date_done           timestamp,
    x_delivery_note_no  varchar,                    -- the vendor's delivery note (Lieferschein)
    state               varchar NOT NULL DEFAULT 'done',
    write_date          timestamp NOT NULL
);

CREATE TABLE stock_move (
    id                  serial PRIMARY KEY,
    picking_id          integer NOT NULL,
    sequence            integer,
    name                varchar,
    product_id          integer,
    purchase_line_id    integer,
    quantity            numeric(18,4) NOT NULL,
    date                timestamp NOT NULL,
    state               varchar NOT NULL DEFAULT 'done',
    company_id          integer,
    write_date          timestamp NOT NULL
);

CREATE TABLE resource_calendar (
    id              serial PRIMARY KEY,
    name            varchar NOT NULL,
    hours_per_week  numeric(5,2),
    company_id      integer,
    write_date      timestamp NOT NULL
);

-- firstname/lastname as the OCA module hr_employee_firstname adds them; Odoo itself keeps only name.
CREATE TABLE hr_employee (
    id                      serial PRIMARY KEY,
    name                    varchar,
    firstname               varchar,
    lastname                varchar,
    registration_number     varchar,                -- personnel number
    work_email              varchar,
    birthday                date,
    private_street          varchar,
    private_zip             varchar,
    private_city            varchar,
    private_country_id      integer,
    identification_id       varchar,                -- Steuer-IdNr. / CPR
    work_contact_id         integer,
    bank_account_id         integer,
    resource_calendar_id    integer,
    company_id              integer NOT NULL,
    active                  boolean NOT NULL DEFAULT true,
    write_date              timestamp NOT NULL
);

CREATE TABLE hr_contract (
    id                  serial PRIMARY KEY,
    name                varchar NOT NULL,
    employee_id         integer NOT NULL,
    date_start          date NOT NULL,              -- hire date
    date_end            date,                       -- termination date
    wage                numeric(18,2),              -- monthly
    analytic_account_id integer,                    -- cost center
    state               varchar NOT NULL,           -- 'open' | 'close'
    company_id          integer,
    write_date          timestamp NOT NULL
);

-- External ids: `module` is the integration (kombo, papershift, telecomx, uniconta, maesn),
-- `name` the id that system gave the record `model`/`res_id`.
CREATE TABLE ir_model_data (
    id          serial PRIMARY KEY,
    module      varchar NOT NULL,
    name        varchar NOT NULL,
    model       varchar NOT NULL,
    res_id      integer,
    write_date  timestamp NOT NULL
);

-- @constraints: everything below runs after the bulk load.


ALTER TABLE res_partner ADD FOREIGN KEY (country_id) REFERENCES res_country(id);
ALTER TABLE res_partner ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE res_partner ADD FOREIGN KEY (property_payment_term_id) REFERENCES account_payment_term(id);
ALTER TABLE res_partner ADD FOREIGN KEY (property_supplier_payment_term_id) REFERENCES account_payment_term(id);
ALTER TABLE res_partner ADD FOREIGN KEY (property_product_pricelist) REFERENCES product_pricelist(id);
ALTER TABLE res_partner ADD FOREIGN KEY (property_purchase_currency_id) REFERENCES res_currency(id);
ALTER TABLE res_partner ADD FOREIGN KEY (property_account_position_id) REFERENCES account_fiscal_position(id);
ALTER TABLE res_company ADD FOREIGN KEY (partner_id) REFERENCES res_partner(id);
ALTER TABLE res_company ADD FOREIGN KEY (currency_id) REFERENCES res_currency(id);
ALTER TABLE res_currency_rate ADD FOREIGN KEY (currency_id) REFERENCES res_currency(id);
ALTER TABLE res_currency_rate ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE res_partner_bank ADD FOREIGN KEY (partner_id) REFERENCES res_partner(id);
ALTER TABLE res_partner_bank ADD FOREIGN KEY (bank_id) REFERENCES res_bank(id);
ALTER TABLE res_users ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE account_payment_term ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE account_payment_term_line ADD FOREIGN KEY (payment_id) REFERENCES account_payment_term(id);
ALTER TABLE account_account ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE account_account_account_tag ADD FOREIGN KEY (account_account_id) REFERENCES account_account(id);
ALTER TABLE account_account_account_tag ADD FOREIGN KEY (account_account_tag_id) REFERENCES account_account_tag(id);
ALTER TABLE account_tax ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE account_tax_repartition_line ADD FOREIGN KEY (tax_id) REFERENCES account_tax(id);
ALTER TABLE account_tax_repartition_line ADD FOREIGN KEY (account_id) REFERENCES account_account(id);
ALTER TABLE account_account_tax_default_rel ADD FOREIGN KEY (account_id) REFERENCES account_account(id);
ALTER TABLE account_account_tax_default_rel ADD FOREIGN KEY (tax_id) REFERENCES account_tax(id);
ALTER TABLE account_analytic_account ADD FOREIGN KEY (plan_id) REFERENCES account_analytic_plan(id);
ALTER TABLE account_analytic_account ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE account_fiscal_position ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE product_pricelist ADD FOREIGN KEY (currency_id) REFERENCES res_currency(id);
ALTER TABLE account_journal ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE ir_attachment ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE account_move ADD FOREIGN KEY (journal_id) REFERENCES account_journal(id);
ALTER TABLE account_move ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE account_move ADD FOREIGN KEY (partner_id) REFERENCES res_partner(id);
ALTER TABLE account_move ADD FOREIGN KEY (currency_id) REFERENCES res_currency(id);
ALTER TABLE account_move ADD FOREIGN KEY (invoice_payment_term_id) REFERENCES account_payment_term(id);
ALTER TABLE account_move ADD FOREIGN KEY (message_main_attachment_id) REFERENCES ir_attachment(id);
ALTER TABLE account_move ADD FOREIGN KEY (x_amended_from_id) REFERENCES account_move(id);
ALTER TABLE account_move_line ADD FOREIGN KEY (move_id) REFERENCES account_move(id);
ALTER TABLE account_move_line ADD FOREIGN KEY (account_id) REFERENCES account_account(id);
ALTER TABLE account_move_line ADD FOREIGN KEY (partner_id) REFERENCES res_partner(id);
ALTER TABLE account_move_line ADD FOREIGN KEY (product_id) REFERENCES product_product(id);
ALTER TABLE account_move_line ADD FOREIGN KEY (product_uom_id) REFERENCES uom_uom(id);
ALTER TABLE account_move_line ADD FOREIGN KEY (currency_id) REFERENCES res_currency(id);
ALTER TABLE account_move_line ADD FOREIGN KEY (tax_line_id) REFERENCES account_tax(id);
ALTER TABLE account_move_line ADD FOREIGN KEY (purchase_line_id) REFERENCES purchase_order_line(id);
ALTER TABLE account_move_line ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE account_move_line_account_tax_rel ADD FOREIGN KEY (account_move_line_id) REFERENCES account_move_line(id);
ALTER TABLE account_move_line_account_tax_rel ADD FOREIGN KEY (account_tax_id) REFERENCES account_tax(id);
ALTER TABLE purchase_order ADD FOREIGN KEY (partner_id) REFERENCES res_partner(id);
ALTER TABLE purchase_order ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE purchase_order ADD FOREIGN KEY (currency_id) REFERENCES res_currency(id);
ALTER TABLE purchase_order ADD FOREIGN KEY (user_id) REFERENCES res_users(id);
ALTER TABLE purchase_order_line ADD FOREIGN KEY (order_id) REFERENCES purchase_order(id);
ALTER TABLE purchase_order_line ADD FOREIGN KEY (product_id) REFERENCES product_product(id);
ALTER TABLE purchase_order_line ADD FOREIGN KEY (product_uom) REFERENCES uom_uom(id);
ALTER TABLE purchase_order_line ADD FOREIGN KEY (x_surcharged_line_id) REFERENCES purchase_order_line(id);
ALTER TABLE account_tax_purchase_order_line_rel ADD FOREIGN KEY (purchase_order_line_id) REFERENCES purchase_order_line(id);
ALTER TABLE account_tax_purchase_order_line_rel ADD FOREIGN KEY (account_tax_id) REFERENCES account_tax(id);
ALTER TABLE stock_picking ADD FOREIGN KEY (partner_id) REFERENCES res_partner(id);
ALTER TABLE stock_picking ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE stock_move ADD FOREIGN KEY (picking_id) REFERENCES stock_picking(id);
ALTER TABLE stock_move ADD FOREIGN KEY (product_id) REFERENCES product_product(id);
ALTER TABLE stock_move ADD FOREIGN KEY (purchase_line_id) REFERENCES purchase_order_line(id);
ALTER TABLE resource_calendar ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE hr_employee ADD FOREIGN KEY (private_country_id) REFERENCES res_country(id);
ALTER TABLE hr_employee ADD FOREIGN KEY (work_contact_id) REFERENCES res_partner(id);
ALTER TABLE hr_employee ADD FOREIGN KEY (bank_account_id) REFERENCES res_partner_bank(id);
ALTER TABLE hr_employee ADD FOREIGN KEY (resource_calendar_id) REFERENCES resource_calendar(id);
ALTER TABLE hr_employee ADD FOREIGN KEY (company_id) REFERENCES res_company(id);
ALTER TABLE hr_contract ADD FOREIGN KEY (employee_id) REFERENCES hr_employee(id);
ALTER TABLE hr_contract ADD FOREIGN KEY (analytic_account_id) REFERENCES account_analytic_account(id);

CREATE UNIQUE INDEX res_country_code_uniq ON res_country (code);
CREATE UNIQUE INDEX res_currency_name_uniq ON res_currency (name);
CREATE UNIQUE INDEX res_company_code_uniq ON res_company (x_company_code);
CREATE UNIQUE INDEX account_account_code_company_uniq ON account_account (code, company_id);
CREATE INDEX res_partner_ref_index ON res_partner (company_id, ref);
CREATE INDEX account_move_name_index ON account_move (company_id, name);
CREATE INDEX account_move_line_move_id_index ON account_move_line (move_id);
CREATE INDEX purchase_order_line_order_id_index ON purchase_order_line (order_id);
CREATE INDEX stock_move_picking_id_index ON stock_move (picking_id);
CREATE INDEX ir_model_data_model_res_id_index ON ir_model_data (model, res_id);
CREATE INDEX ir_model_data_write_date_index ON ir_model_data (write_date);
CREATE INDEX account_move_line_write_date_index ON account_move_line (write_date);
CREATE INDEX account_move_write_date_index ON account_move (write_date);
CREATE UNIQUE INDEX account_account_account_tag_uniq ON account_account_account_tag (account_account_id, account_account_tag_id);
CREATE UNIQUE INDEX account_account_tax_default_rel_uniq ON account_account_tax_default_rel (account_id, tax_id);
CREATE UNIQUE INDEX account_move_line_account_tax_rel_uniq ON account_move_line_account_tax_rel (account_move_line_id, account_tax_id);
CREATE UNIQUE INDEX account_tax_purchase_order_line_rel_uniq ON account_tax_purchase_order_line_rel (purchase_order_line_id, account_tax_id);
