"""`erpload push kombo` end to end over loopback HTTP against the Kombo fake: one push per company and run,
files saved under sanitised names and staged, EXTF files checked, employees compared with the ERP."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from tests.kombo.conftest import KomboProject, said

COMPANIES = ("1000", "2000", "4000")  # the demo ERP's companies with a Kombo integration


def run_folder(kombo: KomboProject, company: str, run_id: str) -> Path:
    return kombo.ws.root / "out" / "datev" / "kombo" / company / run_id


def test_one_push_per_company_and_run_files_saved_and_staged(kombo: KomboProject) -> None:
    result = kombo.ws.cli("push", "kombo")
    assert result.exit_code == 0, result.output
    run_id = kombo.last_run()
    for company in COMPANIES:
        assert len(kombo.fake.calls(kombo.integration(company))) == 1
    assert kombo.fake.refused() == []
    assert "company(ies) without a Kombo integration id (3000)" in said(result)
    staged = kombo.ws.query("SELECT company_code, name_given, name_written, path, size, sha256, format, checked, "
                            "errors FROM kombo.files WHERE run_id = ? ORDER BY ALL", [run_id])
    assert [(r[0], r[1], r[6]) for r in staged] == [
        (c, n, f) for c in COMPANIES for n, f in (("EXTF_Stammdaten.csv", "extf"), ("LODAS_Stammdaten.txt", "lodas"))]
    for code, _given, written, path, size, sha, fmt, checked, errors in staged:
        on_disk = run_folder(kombo, str(code), run_id) / str(written)
        assert str(on_disk) == path
        data = on_disk.read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, sha)
        assert checked is (fmt == "extf")
        assert errors == (0 if fmt == "extf" else None)
    # the journal's files are what Kombo sent; ours are the same text in Windows-1252
    sent = {f["name"] for c in kombo.fake.calls() for f in c["files"]}
    assert sent == {"EXTF_Stammdaten.csv", "LODAS_Stammdaten.txt"}
    assert "LODAS ASCII, saved and not checked" in said(result)
    assert "EXTF checked: 0 error(s), 0 warning(s)" in said(result)

    again = kombo.ws.cli("push", "kombo", "--company", "2000")
    assert again.exit_code == 0, again.output
    assert len(kombo.fake.calls(kombo.integration("2000"))) == 2  # a new run pushes again, once
    assert len(kombo.fake.calls(kombo.integration("1000"))) == 1


def test_the_files_are_compared_with_the_erps_active_employees(kombo: KomboProject) -> None:
    result = kombo.ws.cli("push", "kombo", "--company", "1000")
    assert result.exit_code == 0, result.output
    differences = kombo.ws.query("SELECT personnel_no, difference, erp_state FROM kombo.employee_differences "
                                 "WHERE run_id = ? ORDER BY ALL", [kombo.last_run()])
    # the demo's HR system holds one employee the ERP does not know (transforms/kombo/demo.py)
    assert differences == [("99901", "not an active employee in the ERP", "not in the ERP")]
    assert "1 in the files but not active employees in the ERP: 99901 (not in the ERP)" in said(result)

    # an active ERP employee Kombo no longer lists, and one Kombo lists that left the ERP
    active = kombo.ws.query("SELECT personnel_no FROM erp.employees WHERE company_code = '1000' AND NOT is_deleted "
                            "AND termination_date IS NULL ORDER BY personnel_no LIMIT 2")
    dropped, left = str(active[0][0]), str(active[1][0])
    data = kombo.fake.integrations()
    integration = next(i for i in data if i.id == kombo.integration("1000"))
    integration.employees = [e for e in integration.employees if e.personnel_no != dropped]
    kombo.fake.put_integration(integration)
    with duckdb.connect(str(kombo.ws.staging)) as con:  # the canonical dataset as a later extract would have it
        con.execute("UPDATE erp.employees SET termination_date = DATE '2020-01-31' WHERE company_code = '1000' "
                    "AND personnel_no = ?", [left])
    try:
        result = kombo.ws.cli("push", "kombo", "--company", "1000")
        assert result.exit_code == 0, result.output
        differences = kombo.ws.query("SELECT personnel_no, difference, erp_state FROM kombo.employee_differences "
                                     "WHERE run_id = ? ORDER BY ALL", [kombo.last_run()])
        assert differences == [(dropped, "in no file", "active"),
                               (left, "not an active employee in the ERP", "left on 2020-01-31"),
                               ("99901", "not an active employee in the ERP", "not in the ERP")]
    finally:
        with duckdb.connect(str(kombo.ws.staging)) as con:
            con.execute("UPDATE erp.employees SET termination_date = NULL WHERE company_code = '1000' "
                        "AND personnel_no = ?", [left])


def test_a_dry_run_calls_nothing(kombo: KomboProject) -> None:
    result = kombo.ws.cli("push", "kombo", "--dry-run")
    assert result.exit_code == 0, result.output
    assert kombo.fake.calls() == []
    assert kombo.fake.refused() == []
    assert said(result).count("would call Kombo for") == len(COMPANIES)


def test_company_repeated_pushes_each_company_named_and_no_other(kombo: KomboProject) -> None:
    result = kombo.ws.cli("push", "kombo", "--company", "1000", "--company", "4000")
    assert result.exit_code == 0, result.output
    assert [len(kombo.fake.calls(kombo.integration(c))) for c in COMPANIES] == [1, 0, 1]
