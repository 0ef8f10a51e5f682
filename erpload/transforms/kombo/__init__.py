"""The Kombo target: Kombo builds DATEV payroll ASCII files from a company's HR data; erpload asks for them."""
