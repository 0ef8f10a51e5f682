"""Payloads are built in SQL: the row as JSON, without erpload's columns and without null members."""

from __future__ import annotations

import json
from typing import Any

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from erpload.push.pusher import _strip_null_members, payload_sql
from erpload.staging import sql_literal
from tests.support.json_payloads import without_nulls

# names and texts with the characters that could fool a text-level rewrite of JSON
tricky = st.text(alphabet=st.sampled_from(list('ab",:{}[]\\ null ø🙂')), max_size=12)
scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | tricky
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky, inner, max_size=4),
                      max_leaves=12)


_con = duckdb.connect()


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(tricky, values, max_size=6))
def test_null_members_are_dropped_and_nothing_else_changes(record: dict[str, Any]) -> None:
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    row = _con.execute(f"SELECT {_strip_null_members(sql_literal(text))}").fetchone()
    assert row is not None
    assert json.loads(row[0]) == without_nulls(record)


def test_payload_leaves_out_our_columns_and_nulls_and_hashes_what_is_sent() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA t")
    con.execute("""CREATE TABLE t.vendors AS SELECT * FROM (VALUES
        ('1/a', '1', '1', 'a', 'Müller "Ost", Flensburg', NULL, [{'id': 'x', 'qty': 2.5, 'note': NULL}]),
        ('1/b', '1', '1', 'b', 'Søren', 'DK', []))
        v(_key, _company_code, company_id, id, name, country, line_items)""")
    rows = con.execute(f"SELECT _key, _company_code, _hash, payload FROM ({payload_sql(con, 't', 'vendors')}) "
                       "ORDER BY _key").fetchall()
    payloads = {str(r[0]): json.loads(r[3]) for r in rows}
    assert payloads["1/a"] == {"company_id": "1", "id": "a", "name": 'Müller "Ost", Flensburg',
                               "line_items": [{"id": "x", "qty": 2.5}]}
    assert payloads["1/b"] == {"company_id": "1", "id": "b", "name": "Søren", "country": "DK", "line_items": []}
    digest = con.execute("SELECT md5(?)", [rows[0][3]]).fetchone()
    assert digest is not None
    assert rows[0][2] == digest[0]
    assert rows[0][1] == "1"


maybe = st.none() | tricky
lines = st.none() | st.lists(st.fixed_dictionaries({"id": maybe, "qty": st.none() | st.integers(-99, 99)}), max_size=3)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(maybe, st.none() | st.integers(-10**9, 10**9), st.none() | st.booleans(), lines),
                min_size=1, max_size=5))
def test_payload_bytes_equal_the_rows_json_without_nulls(rows: list[tuple[Any, ...]]) -> None:
    """The payload (and so its hash in the ledger) is byte for byte `to_json` of the row with its null
    members removed, however the members are joined."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA t")
    con.execute("CREATE TABLE t.e (_key VARCHAR, name VARCHAR, amount DECIMAL(18, 2), active BOOLEAN, "
                "day DATE, line_items STRUCT(id VARCHAR, qty INTEGER)[])")
    for n, (name, cents, active, items) in enumerate(rows):
        con.execute("INSERT INTO t.e VALUES (?, ?, ?::DECIMAL(18, 2) / 100, ?, DATE '2026-03-01' + ?, ?)",
                    [str(n), name, cents, active, None if cents is None else n, items])
    whole_row = _strip_null_members("to_json({name: name, amount: amount, active: active, day: day, "
                                    "line_items: line_items})::VARCHAR")
    expected = dict(con.execute(f"SELECT _key, {whole_row} FROM t.e").fetchall())
    built = {str(r[0]): r[3] for r in con.execute(payload_sql(con, "t", "e")).fetchall()}
    assert built == expected
