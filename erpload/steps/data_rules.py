"""Rules `map` applies to the values of every entity, so every target sees the same data.

Normalised in place, counted and noted in the run summary (none of them changes what a value means):
- keys and references (text): blanks around them are trimmed, because `70001 ` and `70001` are one
  partner to a bookkeeper; a key that is only blanks becomes empty and is rejected as such;
- IBANs: blanks, dots and dashes removed and upper case (python-stdnum's `iban.compact`), before a
  target checks or writes them;
- country codes: blanks trimmed and upper case.

Rejected, naming the field and the value:
- a country code that ISO 3166-1 does not assign (`XX`);
- a date before 1900 or more than a year after today: a typo in the year (9999-12-31, 0202-03-01)
  that DATEV would book into a fiscal year nobody looks at. Every date column of the model, except a
  contract's planned end (`termination_date`), which may lie years ahead.
"""

from __future__ import annotations

import duckdb

from erpload.canonical import DATE, TEXT, Entity
from erpload.iso3166 import COUNTRY_CODES
from erpload.runs import Run
from erpload.staging import quote_ident as quote
from erpload.wording import plural

#: (condition on row v, field, value, reason, fix), each an SQL expression, and the reason code (text)
RowCheck = tuple[str, str, str, str, str, str]

EARLIEST_DATE = "DATE '1900-01-01'"
LATEST_DATE = "CAST(current_date + INTERVAL 1 YEAR AS DATE)"
#: dates that may lie far ahead by their nature
FUTURE_ALLOWED = frozenset({"termination_date"})
_BLANKS = "' \t\r\n' || chr(160)"
_EDGE_BLANK = r"'^[\s\x{00A0}]|[\s\x{00A0}]$|^$'"


def _trimmed_columns(ent: Entity) -> list[str]:
    """Text columns that identify a record: its key and its references (not erp_id)."""
    names = [*ent.key, *(c for r in ent.references for c in r.columns)]
    return [n for n in dict.fromkeys(names) if ent.column(n).type == TEXT]


def _normalisations(ent: Entity) -> list[tuple[str, str, str, str]]:
    """(column, rows to change, new value, what it does) per column map normalises.

    The condition is a regular expression: cheaper than comparing each value with its trimmed self
    (a million rows are scanned for every key column, and almost none need a change)."""
    out = [(c, f"regexp_matches({quote(c)}, {_EDGE_BLANK})", f"nullif(trim({quote(c)}, {_BLANKS}), '')",
            "trimmed of blanks around it") for c in _trimmed_columns(ent)]
    names = set(ent.column_names)
    if "iban" in names:
        out.append(("iban", r"regexp_matches(iban, '[\s.\-a-z]')", r"upper(regexp_replace(iban, '[\s.\-]', '', 'g'))",
                    "compacted (blanks removed, upper case)"))
    if "country_code" in names:
        out.append(("country_code", f"country_code <> upper(trim(country_code, {_BLANKS}))",
                    f"upper(trim(country_code, {_BLANKS}))", "upper-cased and trimmed"))
    return out


def normalise(con: duckdb.DuckDBPyConnection, rows: str, ent: Entity, run: Run, target_table: str) -> None:
    """Normalise the staged rows in `rows` in place (see module doc) and refresh their row hash."""
    rules = _normalisations(ent)
    if not rules:
        return
    # one scan counts what each rule would change (usually nothing); only those columns are updated
    counts = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond, _, _ in rules)
                         + f" FROM {rows}").fetchone() or ()
    changed = False
    for (column, cond, new, what), count in zip(rules, counts, strict=True):
        if count:
            con.execute(f"UPDATE {rows} SET {quote(column)} = {new}, _row_hash = NULL WHERE {cond}")
            changed = True
            run.note(f"{target_table}: {column} {what} in {plural(int(count), 'record')}")
    if changed:
        cols = ", ".join(quote(c) for c in ent.column_names)
        con.execute(f"UPDATE {rows} SET _row_hash = hash({cols}) WHERE _row_hash IS NULL")


def row_checks(ent: Entity) -> list[RowCheck]:
    """Value rules for rows aliased `v` (see module doc)."""
    checks: list[RowCheck] = []
    if "country_code" in ent.column_names:
        codes = ", ".join(f"'{c}'" for c in sorted(COUNTRY_CODES))
        checks.append((f"v.country_code NOT IN ({codes})", "'country_code'", "v.country_code",
                       "'country code ''' || v.country_code || ''' is not an ISO 3166-1 alpha-2 country code'",
                       "'correct the country in the ERP: two letters as ISO 3166-1 assigns them (DE, AT, GR, ...)'",
                       "erp.country_code.not_iso_3166"))
    for col in ent.columns:
        if col.type != DATE:
            continue
        c = f"v.{quote(col.name)}"
        checks.append((f"{c} < {EARLIEST_DATE}", f"'{col.name}'", f"CAST({c} AS VARCHAR)",
                       f"'{col.name} ' || strftime({c}, '%Y-%m-%d') || ' lies before 1900'",
                       "'correct the date in the ERP (a typo in the year?)'", "erp.date.before_1900"))
        if col.name not in FUTURE_ALLOWED:
            checks.append((f"{c} > {LATEST_DATE}", f"'{col.name}'", f"CAST({c} AS VARCHAR)",
                           f"'{col.name} ' || strftime({c}, '%Y-%m-%d') || ' lies more than a year in the future'",
                           "'correct the date in the ERP (a typo in the year?)'", "erp.date.beyond_next_year"))
    return checks
