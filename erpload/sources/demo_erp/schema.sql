-- The embedded demo ERP: a mid-size ERP for a German/Danish group, in SQLite.
-- Shaped like an ERP (surrogate integer keys, ERP vocabulary), not like any target.
-- Every table has a primary key and `updated_at` (text 'YYYY-MM-DD HH:MM:SS.ffffff', UTC);
-- master data that can be retired carries `is_deleted` (0/1) instead of being removed.
-- Amounts are NUMERIC(18,2) in the document currency; `*_lc` columns are in the company's
-- local currency; exchange rates are "document currency units per 1 local currency unit".

CREATE TABLE company (
    company_id              INTEGER PRIMARY KEY,
    company_code            VARCHAR(10) NOT NULL UNIQUE,   -- '1000', '2000', ...
    name                    VARCHAR(100) NOT NULL,
    street                  VARCHAR(100),
    zip_code                VARCHAR(10),
    city                    VARCHAR(60),
    country_code            CHAR(2) NOT NULL,              -- ISO 3166-1 alpha-2
    vat_id                  VARCHAR(20),                   -- with country prefix: DE123456789, DK12345678
    tax_number              VARCHAR(20),                   -- Steuernummer / CVR
    local_currency          CHAR(3) NOT NULL,              -- EUR, DKK
    datev_consultant_no     INTEGER,                       -- DATEV Beraternummer (1001-9999999)
    datev_client_no         INTEGER,                       -- DATEV Mandantennummer (1-99999)
    fiscal_year_start_month INTEGER NOT NULL,              -- 1..12
    chart_of_accounts       VARCHAR(10) NOT NULL,          -- 'SKR03', 'SKR04', 'DK-STD'
    gl_account_length       INTEGER NOT NULL,              -- 4..8
    datev_lock_batches      INTEGER NOT NULL DEFAULT 0,    -- Festschreibung wanted by the adviser
    updated_at              TIMESTAMP NOT NULL
);

-- Integration ids other systems gave this ERP's records (Kombo, Papershift, Telecom X, Uniconta, Maesn).
CREATE TABLE external_reference (
    reference_id   INTEGER PRIMARY KEY,
    object_type    VARCHAR(20) NOT NULL,    -- 'company', 'customer', 'vendor', 'employee', 'sales_invoice'
    object_id      INTEGER NOT NULL,
    system_code    VARCHAR(20) NOT NULL,    -- 'kombo', 'papershift', 'telecomx', 'uniconta', 'maesn'
    external_id    VARCHAR(64) NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    UNIQUE (object_type, object_id, system_code)
);

CREATE TABLE currency (
    currency_code  CHAR(3) PRIMARY KEY,     -- ISO 4217
    description    VARCHAR(60) NOT NULL,
    decimals       INTEGER NOT NULL DEFAULT 2,
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE exchange_rate (
    rate_id        INTEGER PRIMARY KEY,
    base_currency  CHAR(3) NOT NULL,        -- the local currency the rate is quoted against
    currency_code  CHAR(3) NOT NULL,
    valid_from     DATE NOT NULL,
    rate           NUMERIC(18,6) NOT NULL,  -- currency_code units per 1 base_currency
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE payment_term (
    payment_term_id   INTEGER PRIMARY KEY,
    company_id        INTEGER NOT NULL REFERENCES company(company_id),
    term_code         VARCHAR(10) NOT NULL,
    description       VARCHAR(60) NOT NULL,
    net_days          INTEGER NOT NULL,
    discount_days     INTEGER,
    discount_percent  NUMERIC(5,2),
    updated_at        TIMESTAMP NOT NULL,
    is_deleted        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tax_code (
    tax_code_id     INTEGER PRIMARY KEY,
    company_id      INTEGER NOT NULL REFERENCES company(company_id),
    tax_code        VARCHAR(10) NOT NULL,          -- 'V19', 'V7', 'VS19', 'IGE19', 'RC19', 'EX0', 'DK25' ...
    description     VARCHAR(60) NOT NULL,
    rate_percent    NUMERIC(5,2) NOT NULL,
    direction       VARCHAR(10) NOT NULL,          -- 'output' (sales) | 'input' (purchase)
    scope           VARCHAR(20) NOT NULL,          -- 'domestic' | 'eu' | 'third_country' | 'reverse_charge' | 'exempt'
    datev_bu_key    VARCHAR(4),                    -- DATEV BU-Schlüssel for this code, if any
    tax_account_no  VARCHAR(10),                   -- G/L account the tax posts to
    updated_at      TIMESTAMP NOT NULL,
    is_deleted      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE gl_account (
    gl_account_id   INTEGER PRIMARY KEY,
    company_id      INTEGER NOT NULL REFERENCES company(company_id),
    account_no      VARCHAR(10) NOT NULL,
    description     VARCHAR(100) NOT NULL,
    account_class   VARCHAR(20) NOT NULL,          -- 'asset','liability','equity','revenue','expense','tax','bank'
    auto_tax_code_id INTEGER REFERENCES tax_code(tax_code_id),   -- DATEV automatic account (Automatikkonto)
    is_blocked      INTEGER NOT NULL DEFAULT 0,
    updated_at      TIMESTAMP NOT NULL,
    is_deleted      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (company_id, account_no)
);

CREATE TABLE cost_center (
    cost_center_id  INTEGER PRIMARY KEY,
    company_id      INTEGER NOT NULL REFERENCES company(company_id),
    code            VARCHAR(20) NOT NULL,
    description     VARCHAR(60) NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    is_deleted      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE cost_unit (
    cost_unit_id    INTEGER PRIMARY KEY,
    company_id      INTEGER NOT NULL REFERENCES company(company_id),
    code            VARCHAR(20) NOT NULL,
    description     VARCHAR(60) NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    is_deleted      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE document_type (
    document_type_id INTEGER PRIMARY KEY,
    company_id       INTEGER NOT NULL REFERENCES company(company_id),
    code             VARCHAR(10) NOT NULL,         -- 'AR-INV','AR-CRN','AP-INV','AP-CRN','GJ','BANK','PAY'
    description      VARCHAR(60) NOT NULL,
    ledger           VARCHAR(10) NOT NULL,         -- 'sales' | 'purchase' | 'general'
    is_credit_note   INTEGER NOT NULL DEFAULT 0,
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE customer (
    customer_id      INTEGER PRIMARY KEY,
    company_id       INTEGER NOT NULL REFERENCES company(company_id),
    customer_no      VARCHAR(10) NOT NULL,         -- the AR personal account number (Sachkontenlänge + 1 digits)
    name             VARCHAR(120) NOT NULL,
    name_2           VARCHAR(120),
    street           VARCHAR(100),
    zip_code         VARCHAR(10),
    city             VARCHAR(60),
    country_code     CHAR(2),
    vat_id           VARCHAR(20),
    tax_number       VARCHAR(20),
    email            VARCHAR(120),
    phone            VARCHAR(40),
    payment_term_id  INTEGER REFERENCES payment_term(payment_term_id),
    currency_code    CHAR(3),
    credit_limit     NUMERIC(18,2),
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    is_deleted       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (company_id, customer_no)
);

CREATE TABLE vendor (
    vendor_id        INTEGER PRIMARY KEY,
    company_id       INTEGER NOT NULL REFERENCES company(company_id),
    vendor_no        VARCHAR(10) NOT NULL,         -- the AP personal account number (Sachkontenlänge + 1 digits)
    name             VARCHAR(120) NOT NULL,
    name_2           VARCHAR(120),
    street           VARCHAR(100),
    zip_code         VARCHAR(10),
    city             VARCHAR(60),
    country_code     CHAR(2),
    vat_id           VARCHAR(20),
    tax_number       VARCHAR(20),
    email            VARCHAR(120),
    phone            VARCHAR(40),
    payment_term_id  INTEGER REFERENCES payment_term(payment_term_id),
    currency_code    CHAR(3),
    tax_scope        VARCHAR(20) NOT NULL,         -- 'domestic' | 'eu' | 'third_country'
    default_gl_account_no VARCHAR(10),             -- expense account proposed for this vendor's invoices
    is_blocked       INTEGER NOT NULL DEFAULT 0,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    is_deleted       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (company_id, vendor_no)
);

CREATE TABLE vendor_bank_account (
    bank_account_id  INTEGER PRIMARY KEY,
    vendor_id        INTEGER NOT NULL REFERENCES vendor(vendor_id),
    iban             VARCHAR(34) NOT NULL,
    bic              VARCHAR(11),
    bank_name        VARCHAR(60),
    account_holder   VARCHAR(70),
    is_primary       INTEGER NOT NULL DEFAULT 0,
    updated_at       TIMESTAMP NOT NULL,
    is_deleted       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE attachment (
    attachment_id    INTEGER PRIMARY KEY,
    company_id       INTEGER NOT NULL REFERENCES company(company_id),
    file_name        VARCHAR(255) NOT NULL,
    mime_type        VARCHAR(60) NOT NULL,          -- 'application/pdf'
    content          BLOB NOT NULL,                 -- a small real PDF
    sha256           CHAR(64) NOT NULL,
    size_bytes       INTEGER NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE sales_invoice (
    invoice_id        INTEGER PRIMARY KEY,
    company_id        INTEGER NOT NULL REFERENCES company(company_id),
    document_type_id  INTEGER NOT NULL REFERENCES document_type(document_type_id),
    invoice_no        VARCHAR(40) NOT NULL,
    customer_id       INTEGER NOT NULL REFERENCES customer(customer_id),
    invoice_date      DATE NOT NULL,
    service_date      DATE,                         -- Leistungsdatum
    due_date          DATE,
    currency_code     CHAR(3) NOT NULL,
    exchange_rate     NUMERIC(18,6) NOT NULL,       -- 1.0 in local currency
    total_net         NUMERIC(18,2) NOT NULL,
    total_tax         NUMERIC(18,2) NOT NULL,
    total_gross       NUMERIC(18,2) NOT NULL,
    payment_term_id   INTEGER REFERENCES payment_term(payment_term_id),
    header_text       VARCHAR(200),
    attachment_id     INTEGER REFERENCES attachment(attachment_id),
    status            VARCHAR(10) NOT NULL,         -- 'draft' | 'posted' | 'cancelled'
    cancelled_on      DATE,                         -- a posted invoice cancelled later: the day it takes effect
    amended_from      VARCHAR(40),                  -- the invoice_no of the cancelled invoice this one replaces
    updated_at        TIMESTAMP NOT NULL
);

CREATE TABLE sales_invoice_line (
    line_id          INTEGER PRIMARY KEY,
    invoice_id       INTEGER NOT NULL REFERENCES sales_invoice(invoice_id),
    line_no          INTEGER NOT NULL,
    item_no          VARCHAR(30),
    description      VARCHAR(200) NOT NULL,
    quantity         NUMERIC(18,4) NOT NULL,
    unit             VARCHAR(10),
    unit_price       NUMERIC(18,4) NOT NULL,
    net_amount       NUMERIC(18,2) NOT NULL,
    tax_code_id      INTEGER REFERENCES tax_code(tax_code_id),
    tax_amount       NUMERIC(18,2) NOT NULL,
    revenue_account_no VARCHAR(10) NOT NULL,
    cost_center_id   INTEGER REFERENCES cost_center(cost_center_id),
    cost_unit_id     INTEGER REFERENCES cost_unit(cost_unit_id),
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE purchase_order (
    po_id            INTEGER PRIMARY KEY,
    company_id       INTEGER NOT NULL REFERENCES company(company_id),
    po_no            VARCHAR(20) NOT NULL,
    vendor_id        INTEGER NOT NULL REFERENCES vendor(vendor_id),
    order_date       DATE NOT NULL,
    description      VARCHAR(120) NOT NULL,
    status           VARCHAR(20) NOT NULL,         -- 'open','approved','confirmed','partially_received','received','partially_invoiced','invoiced','cancelled'
    currency_code    CHAR(3) NOT NULL,
    buyer            VARCHAR(40),
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE purchase_order_line (
    po_line_id         INTEGER PRIMARY KEY,
    po_id              INTEGER NOT NULL REFERENCES purchase_order(po_id),
    line_no            INTEGER NOT NULL,
    line_type          VARCHAR(20) NOT NULL,       -- 'item' | 'header_surcharge' | 'line_surcharge'
    item_no            VARCHAR(30),
    description        VARCHAR(200) NOT NULL,
    quantity_ordered   NUMERIC(18,4) NOT NULL,
    quantity_received  NUMERIC(18,4) NOT NULL,
    quantity_invoiced  NUMERIC(18,4) NOT NULL,
    unit               VARCHAR(10) NOT NULL,
    unit_price         NUMERIC(18,4) NOT NULL,
    price_unit         NUMERIC(18,4) NOT NULL DEFAULT 1,
    net_amount         NUMERIC(18,2) NOT NULL,
    gl_account_no      VARCHAR(10),
    cost_center_id     INTEGER REFERENCES cost_center(cost_center_id),
    cost_unit_id       INTEGER REFERENCES cost_unit(cost_unit_id),
    tax_code_id        INTEGER REFERENCES tax_code(tax_code_id),
    surcharged_line_id INTEGER REFERENCES purchase_order_line(po_line_id),
    surcharge_category VARCHAR(10),                -- 'pcs' | 'fixed' | 'percent'
    surcharge_value    NUMERIC(18,4),
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE goods_receipt (
    receipt_id        INTEGER PRIMARY KEY,
    company_id        INTEGER NOT NULL REFERENCES company(company_id),
    receipt_no        VARCHAR(20) NOT NULL,
    vendor_id         INTEGER NOT NULL REFERENCES vendor(vendor_id),
    receipt_date      DATE NOT NULL,
    delivery_note_no  VARCHAR(40) NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

CREATE TABLE goods_receipt_line (
    receipt_line_id   INTEGER PRIMARY KEY,
    receipt_id        INTEGER NOT NULL REFERENCES goods_receipt(receipt_id),
    line_no           INTEGER NOT NULL,
    po_line_id        INTEGER REFERENCES purchase_order_line(po_line_id),
    quantity          NUMERIC(18,4) NOT NULL,
    posted_date       DATE NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

CREATE TABLE purchase_invoice (
    invoice_id        INTEGER PRIMARY KEY,
    company_id        INTEGER NOT NULL REFERENCES company(company_id),
    document_type_id  INTEGER NOT NULL REFERENCES document_type(document_type_id),
    internal_no       VARCHAR(40) NOT NULL,          -- our booking number
    vendor_invoice_no VARCHAR(40) NOT NULL,          -- the number printed on the vendor's invoice
    vendor_id         INTEGER NOT NULL REFERENCES vendor(vendor_id),
    po_id             INTEGER REFERENCES purchase_order(po_id),
    invoice_date      DATE NOT NULL,
    service_date      DATE,
    due_date          DATE,
    currency_code     CHAR(3) NOT NULL,
    exchange_rate     NUMERIC(18,6) NOT NULL,
    total_net         NUMERIC(18,2) NOT NULL,
    total_tax         NUMERIC(18,2) NOT NULL,
    total_gross       NUMERIC(18,2) NOT NULL,
    payment_term_id   INTEGER REFERENCES payment_term(payment_term_id),
    header_text       VARCHAR(200),
    attachment_id     INTEGER REFERENCES attachment(attachment_id),
    status            VARCHAR(10) NOT NULL,          -- 'draft' | 'posted' | 'cancelled'
    cancelled_on      DATE,                          -- a posted invoice cancelled later: the day it takes effect
    amended_from      VARCHAR(40),                   -- the internal_no of the cancelled invoice this one replaces
    updated_at        TIMESTAMP NOT NULL
);

CREATE TABLE purchase_invoice_line (
    line_id          INTEGER PRIMARY KEY,
    invoice_id       INTEGER NOT NULL REFERENCES purchase_invoice(invoice_id),
    line_no          INTEGER NOT NULL,
    po_line_id       INTEGER REFERENCES purchase_order_line(po_line_id),
    description      VARCHAR(200) NOT NULL,
    quantity         NUMERIC(18,4) NOT NULL,
    unit_price       NUMERIC(18,4) NOT NULL,
    net_amount       NUMERIC(18,2) NOT NULL,
    tax_code_id      INTEGER REFERENCES tax_code(tax_code_id),
    tax_amount       NUMERIC(18,2) NOT NULL,
    expense_account_no VARCHAR(10) NOT NULL,
    cost_center_id   INTEGER REFERENCES cost_center(cost_center_id),
    cost_unit_id     INTEGER REFERENCES cost_unit(cost_unit_id),
    updated_at       TIMESTAMP NOT NULL
);

-- General-ledger postings that are not invoices: bank, payroll, accruals, depreciation, manual.
CREATE TABLE journal_entry (
    entry_id          INTEGER PRIMARY KEY,
    company_id        INTEGER NOT NULL REFERENCES company(company_id),
    document_type_id  INTEGER NOT NULL REFERENCES document_type(document_type_id),
    entry_no          VARCHAR(30) NOT NULL,          -- the voucher number (Belegnummer)
    posting_date      DATE NOT NULL,
    document_date     DATE NOT NULL,
    currency_code     CHAR(3) NOT NULL,
    exchange_rate     NUMERIC(18,6) NOT NULL,
    description       VARCHAR(200),
    source            VARCHAR(20) NOT NULL,          -- 'manual','bank','payroll','accrual','depreciation'
    attachment_id     INTEGER REFERENCES attachment(attachment_id),
    is_reversal       INTEGER NOT NULL DEFAULT 0,
    status            VARCHAR(10) NOT NULL,          -- 'draft' | 'posted' | 'cancelled'
    cancelled_on      DATE,                          -- a posted entry cancelled later: the day it takes effect
    amended_from      VARCHAR(30),                   -- the entry_no of the cancelled entry this one replaces
    updated_at        TIMESTAMP NOT NULL
);

CREATE TABLE journal_line (
    line_id          INTEGER PRIMARY KEY,
    entry_id         INTEGER NOT NULL REFERENCES journal_entry(entry_id),
    line_no          INTEGER NOT NULL,
    account_type     VARCHAR(10) NOT NULL,          -- 'gl' | 'customer' | 'vendor'
    account_no       VARCHAR(10) NOT NULL,          -- G/L account or personal account number
    debit            NUMERIC(18,2) NOT NULL DEFAULT 0,     -- document currency
    credit           NUMERIC(18,2) NOT NULL DEFAULT 0,
    debit_lc         NUMERIC(18,2) NOT NULL DEFAULT 0,     -- local currency
    credit_lc        NUMERIC(18,2) NOT NULL DEFAULT 0,
    tax_code_id      INTEGER REFERENCES tax_code(tax_code_id),
    cost_center_id   INTEGER REFERENCES cost_center(cost_center_id),
    cost_unit_id     INTEGER REFERENCES cost_unit(cost_unit_id),
    line_text        VARCHAR(200),
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE employee (
    employee_id      INTEGER PRIMARY KEY,
    company_id       INTEGER NOT NULL REFERENCES company(company_id),
    personnel_no     VARCHAR(10) NOT NULL,
    first_name       VARCHAR(60) NOT NULL,
    last_name        VARCHAR(60) NOT NULL,
    email            VARCHAR(120),
    birth_date       DATE,
    hire_date        DATE NOT NULL,
    termination_date DATE,
    street           VARCHAR(100),
    zip_code         VARCHAR(10),
    city             VARCHAR(60),
    country_code     CHAR(2),
    iban             VARCHAR(34),
    tax_id           VARCHAR(20),                   -- Steuer-IdNr. / CPR
    cost_center_id   INTEGER REFERENCES cost_center(cost_center_id),
    weekly_hours     NUMERIC(5,2),
    monthly_salary   NUMERIC(18,2),
    updated_at       TIMESTAMP NOT NULL,
    is_deleted       INTEGER NOT NULL DEFAULT 0
);
