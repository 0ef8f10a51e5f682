"""The fake's demo world: two DATEV integrations with a few employees each, and the demo API key.

Made-up ids, names and key only this fake knows (fine to print). The second integration has an inactive employee
and one without a salary, so its pushes carry both kinds of warning.
"""

from __future__ import annotations

from decimal import Decimal

from erpload.fakes.kombo.models import Employee, Integration

DEMO_API_KEY = "erpload-demo-kombo-api-key"
#: `datev:` + 24 base62 characters, as Kombo's example id
DEMO_INTEGRATION = "datev:Kq7ZfakeDemoIntegration1"
DEMO_INTEGRATION_2 = "datev:Vt3YfakeDemoIntegration2"


def demo_integrations() -> list[Integration]:
    return [
        Integration(id=DEMO_INTEGRATION, name="Bäckerei Sonnenschein GmbH", consultant_no=29098, client_no=55003,
                    employees=[
                        Employee(personnel_no="1001", first_name="Anna", last_name="Schäfer",
                                 monthly_salary=Decimal("3450.00")),
                        Employee(personnel_no="1002", first_name="Jonas", last_name="Weber",
                                 monthly_salary=Decimal("2980.50")),
                        Employee(personnel_no="1003", first_name="Mira", last_name="Öztürk",
                                 monthly_salary=Decimal("4100.00")),
                    ]),
        Integration(id=DEMO_INTEGRATION_2, name="Holzbau Kranich KG", consultant_no=29098, client_no=55004,
                    employees=[
                        Employee(personnel_no="2001", first_name="Lukas", last_name="Brandt",
                                 monthly_salary=Decimal("3890.00")),
                        Employee(personnel_no="2002", first_name="Emma", last_name="Krüger",
                                 monthly_salary=None),
                        Employee(personnel_no="2003", first_name="Paul", last_name="Neumann", active=False,
                                 monthly_salary=Decimal("3100.00")),
                    ]),
    ]
