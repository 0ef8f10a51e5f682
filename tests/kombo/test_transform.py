"""`erpload transform kombo`: one row per company with a Kombo integration, its active employees counted, the
companies without one noted."""

from __future__ import annotations

from tests.kombo.conftest import KomboProject, said


def test_the_plan_lists_each_integration_with_its_active_employees(kombo: KomboProject) -> None:
    result = kombo.ws.cli("transform", "kombo")
    assert result.exit_code == 0, result.output
    planned = kombo.ws.query("SELECT _company_code, kombo_integration_id, active_employees, state "
                             "FROM kombo.integrations ORDER BY 1")
    expected = kombo.ws.query("""
        SELECT c.company_code, c.kombo_integration_id,
               count(e.personnel_no) FILTER (WHERE NOT e.is_deleted AND (e.termination_date IS NULL
                                                                        OR e.termination_date >= current_date))
        FROM erp.companies c LEFT JOIN erp.employees e USING (company_code)
        WHERE c.kombo_integration_id IS NOT NULL GROUP BY ALL ORDER BY 1""")
    assert [(r[0], r[1], r[2]) for r in planned] == [(r[0], r[1], r[2]) for r in expected]
    assert {r[3] for r in planned} == {"ready"}
    assert len(planned) == 3
    assert "without a Kombo integration id (3000)" in said(result)
    # each company's count as the demo ERP holds it (deleted and departed employees left out)
    demo = {str(code): n for code, n in kombo.ws.erp("""
        SELECT c.company_code, count(*) FROM employee e JOIN company c USING (company_id)
        WHERE e.is_deleted = 0 AND (e.termination_date IS NULL OR e.termination_date >= date('now'))
        GROUP BY 1""")}
    assert {str(r[0]): r[2] for r in planned} == {c: demo[c] for c in ("1000", "2000", "4000")}
