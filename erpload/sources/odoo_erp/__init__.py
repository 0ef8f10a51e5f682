"""A second ERP for erpload: the demo data in PostgreSQL, shaped the way Odoo stores it.

`profiles/odoo.toml` maps it to the same canonical model as the demo ERP's own profile maps the
SQLite demo ERP, which is the proof that a profile alone adapts erpload to a different schema.
"""

from erpload.sources.odoo_erp.writer import create_odoo_erp, write_postgres

__all__ = ["create_odoo_erp", "write_postgres"]
