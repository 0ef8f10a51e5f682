"""What went wrong opening the ERP database, said so a person knows which setting to change.

A driver's failure to connect is one exception type for many causes; its text tells them apart. A
refused login, a database name the server does not know, and a server that does not answer each get
their own sentence and fix; and a database that answers but holds none of the profile's tables is
named as probably the wrong database rather than a profile to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from erpload.errors import SourceError

#: where the ERP's URL is set, for every fix that changes it
CREDENTIALS_SETTING = ("sources.erp.credentials (.dlt/secrets.toml, or the environment variable "
                       "SOURCES__ERP__CREDENTIALS, or --erp-url)")
#: tables listed in a message before "and N more"
LISTED_TABLES = 8

# Drivers' words for a refused login (PostgreSQL, MySQL/MariaDB, SQL Server); the group is the reason shown.
_LOGIN_REFUSED = re.compile(
    r"(password authentication failed|no password supplied|peer authentication failed|ident authentication failed"
    r"|role \"[^\"]*\" does not exist|access denied for user|login failed for user|no pg_hba\.conf entry)",
    re.IGNORECASE)
_NO_DATABASE = re.compile(r"database \"[^\"]*\" does not exist|unknown database '[^']*'|cannot open database",
                          re.IGNORECASE)


def driver_reason(exc: BaseException) -> str:
    """The first line of the driver's own message (SQLAlchemy wraps it with SQL and a link)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connection_failure(exc: sa.exc.SQLAlchemyError, url: sa.URL, erp_label: str) -> SourceError:
    """The error for an ERP database that could not be opened: a refused login, a database the server does not
    know, a file that is no database, or a server that does not answer."""
    text = str(getattr(exc, "orig", None) or exc)
    user = url.username or "(none given)"
    if refused := _LOGIN_REFUSED.search(text):
        reason = refused.group(1).lower().removesuffix(" for user")
        if reason.startswith("no password"):
            reason = "no password given"
        elif reason.startswith("role"):
            reason = "the server knows no such user"
        elif reason.startswith("no pg_hba.conf"):
            return SourceError(
                f"the ERP database at {erp_label} refused the login of user {user} from this computer "
                "(no pg_hba.conf entry for it)",
                hint="ask the database's administrator to allow this host for that user in pg_hba.conf, or connect "
                     f"as a user that may log in from here: {CREDENTIALS_SETTING}")
        return SourceError(
            f"the ERP database at {erp_label} refused the login of user {user} ({reason})",
            hint=f"set the user and password the ERP's administrator gave you in {CREDENTIALS_SETTING}, as "
                 f"{url.get_backend_name()}://USER:PASSWORD@{_server(url)}/{url.database or ''}; percent-encode "
                 "'@' ':' '/' '#' '?' in the password (%40 %3A %2F %23 %3F)")
    if _NO_DATABASE.search(text):
        return SourceError(
            f"the ERP database server at {_server(url)} has no database '{url.database}'",
            hint=f"fix the database name (the URL's last part) in {CREDENTIALS_SETTING}")
    if url.get_backend_name() == "sqlite" and "file is not a database" in text:
        return SourceError(f"{url.database} is not a SQLite database",
                           hint=f"point {CREDENTIALS_SETTING} at the ERP's SQLite file")
    return SourceError(f"cannot reach the ERP database at {erp_label}: {driver_reason(exc)}",
                       hint=f"check that the database server runs and answers at {_server(url)}, and that "
                            f"{CREDENTIALS_SETTING} names that host and port")


def _server(url: sa.URL) -> str:
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"{url.host or 'localhost'}:{url.port}" if url.port else str(url.host or "localhost")


def missing_tables(wanted: Iterable[str], existing: Iterable[str], other_schemas: Iterable[str], erp_label: str,
                   profile: str) -> SourceError | None:
    """The error for a database that holds none of the profile's tables (None when it holds some): an empty one, or
    one that is not the ERP's. `other_schemas` are PostgreSQL schemas besides the default that hold tables."""
    wanted, existing, other_schemas = sorted(wanted), sorted(existing), sorted(other_schemas)
    if set(wanted) & set(existing):
        return None
    if not existing:
        where = (f"; tables are in schema {_listed(other_schemas)}, not in the default one" if other_schemas else "")
        hint = f"point {CREDENTIALS_SETTING} at the ERP's database"
        if other_schemas:
            hint += (f", or put the ERP's schema first in the search path: add "
                     f"?options=-csearch_path%3D{other_schemas[0]} to the URL")
        return SourceError(f"the ERP database at {erp_label} has no tables{where}: is it the right database?",
                           hint=hint)
    return SourceError(
        f"the ERP database at {erp_label} has none of the tables profile '{profile}' reads: is it the right "
        f"database? It has {_listed(existing)}; the profile reads {_listed(wanted)}",
        hint=f"point {CREDENTIALS_SETTING} at the ERP's database, or choose the profile written for this database "
             "(--profile or erpload.profile in .dlt/config.toml)")


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:LISTED_TABLES])
    return shown + (f" and {len(names) - LISTED_TABLES} more" if len(names) > LISTED_TABLES else "")
