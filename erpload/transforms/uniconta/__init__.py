"""The Uniconta target: Telecom X exports a Danish reseller's invoices into its Uniconta company, per month."""
