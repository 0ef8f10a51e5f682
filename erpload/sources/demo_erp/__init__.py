"""The embedded demo ERP: a generated SQLite database of a German/Danish group.

`generate()` builds the tables in memory (Arrow), `write_sqlite()` stores them, and
`create_demo_erp()` does both once, atomically, for a path.
"""

from .generator import DemoData, generate
from .writer import create_demo_erp, write_sqlite

__all__ = ["DemoData", "create_demo_erp", "generate", "write_sqlite"]
