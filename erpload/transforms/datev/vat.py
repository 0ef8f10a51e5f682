"""VAT ids checked with python-stdnum where it knows the country: check digits, length and format.

DATEV takes a partner's USt-IdNr. (EU-Land + EU-UStID) into its master data and a booking's
(column 40, EU-Mitgliedstaat u. UStID) into the VAT return and the recapitulative statement (ZM):
a wrong digit there is a wrong ZM line. A VAT id of a country python-stdnum has no rules for is
left alone (DATEV's own pattern still applies); the checks run once per distinct value.

>>> vat_problem("DE136695976") is None, vat_problem("XY12345") is None
(True, True)
>>> vat_problem("DE136695977")
'its check digit is wrong (python-stdnum, DE rules)'
>>> vat_problem("de 136 695 976") is None, vat_problem("EL094259216") is None
(True, True)
"""

from __future__ import annotations

import duckdb
import stdnum
from stdnum import vatin
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from erpload.validation import quote_ident, sql_literal

#: VAT prefixes that are no ISO country code: Greece writes EL, Northern Ireland XI (python-stdnum knows both)
_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}


def _known(prefix: str) -> bool:
    country = _PREFIX_COUNTRY.get(prefix, prefix).lower()
    return len(prefix) == 2 and prefix.isalpha() and stdnum.get_cc_module(country, "vat") is not None


def vat_problem(value: str) -> str | None:
    """Why python-stdnum refuses the VAT id; None when it passes or stdnum has no rules for its country."""
    compact = "".join(value.split()).upper()
    prefix = compact[:2]
    if not _known(prefix):
        return None
    try:
        vatin.validate(compact)
    except InvalidChecksum:
        return f"its check digit is wrong (python-stdnum, {prefix} rules)"
    except InvalidLength:
        return f"it has the wrong length for a VAT id of {prefix} (python-stdnum)"
    except (InvalidFormat, InvalidComponent):
        return f"it is not in the format of a VAT id of {prefix} (python-stdnum)"
    except ValidationError as exc:
        return f"python-stdnum refuses it: {exc}"
    return None


def find_vat_failures(con: duckdb.DuckDBPyConnection, table: str, column: str, key_sql: str, label: str,
                      fix: str, code: str) -> int:
    """Add a finding to `_findings` per row of `table` whose `column` holds a VAT id stdnum refuses (reason code
    `code`)."""
    col = quote_ident(column)
    values = [str(r[0]) for r in con.execute(f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL").fetchall()]
    bad = [(v, p) for v in values if (p := vat_problem(v)) is not None]
    if not bad:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE _bad_vat (value VARCHAR, problem VARCHAR)")
    for start in range(0, len(bad), 1000):
        con.execute("INSERT INTO _bad_vat VALUES " + ", ".join(
            f"({sql_literal(v)}, {sql_literal(p)})" for v, p in bad[start:start + 1000]))
    row = con.execute(f"""INSERT INTO _findings
                          SELECT r.rowid, {key_sql}, {sql_literal(column)}, x.value,
                                 {sql_literal(label)} || ' ''' || x.value || ''' is not a valid VAT id: ' || x.problem,
                                 {sql_literal(fix)}, {sql_literal(code)}
                          FROM {table} r JOIN _bad_vat x ON x.value = r.{col}""").fetchone()
    return int(row[0]) if row else 0
