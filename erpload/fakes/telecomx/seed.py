"""The fake's demo world: two resellers with a month of invoices each, and users at several access levels.

Made-up names, ids and passwords only this fake knows (fine to print). Reseller Nordlys has one invoice of each
kind the export refuses, so a test or the demo can see every 422 sub-error by leaving the good ones out.
"""

from __future__ import annotations

from datetime import date

from erpload.fakes.telecomx.models import AccessLevel, Customer, Invoice, Reseller, User

DEMO_PASSWORD = "demo-telecomx-password"
DEMO_USERNAME = "reseller@fjordtel.example"
DEMO_ADMIN = "admin@telecomx.example"

FJORDTEL = "5f1a00000000000000000001"
NORDLYS = "5f1a00000000000000000002"
DEMO_MONTH = date(2026, 11, 1)


def _invoice(n: int, customer: str, *products: str, month: date = DEMO_MONTH) -> Invoice:
    return Invoice(id=f"7e1a{n:020x}", customer=customer, invoice_date=month.replace(day=30), products=list(products))


def demo_resellers() -> list[Reseller]:
    fjordtel = Reseller(
        id=FJORDTEL, name="Fjordtel ApS",
        customers=[Customer(id="c1", name="Bager Hansen", accounting_system_id="10001"),
                   Customer(id="c2", name="Smed Jensen", accounting_system_id="10002")],
        uniconta_products=["MOBIL-BASIS", "FIBER-500"],
        invoices=[_invoice(1, "c1", "MOBIL-BASIS"), _invoice(2, "c2", "FIBER-500", "MOBIL-BASIS"),
                  _invoice(3, "c1", "FIBER-500"),
                  _invoice(4, "c2", "MOBIL-BASIS", month=date(2026, 10, 1))],
    )
    nordlys = Reseller(
        id=NORDLYS, name="Nordlys Tele A/S",
        customers=[Customer(id="n1", name="Kro Larsen", accounting_system_id="20001"),
                   Customer(id="n2", name="Frisør Holm"),  # no accounting-system id
                   Customer(id="n3", name="Vognmand Berg", accounting_system_id="20003", in_uniconta=False)],
        uniconta_products=["MOBIL-BASIS"],
        invoices=[_invoice(11, "n1", "MOBIL-BASIS"), _invoice(12, "n2", "MOBIL-BASIS"),
                  _invoice(13, "n3", "MOBIL-BASIS"), _invoice(14, "n1", "IOT-SIM"),
                  _invoice(15, "n9", "MOBIL-BASIS")],  # a customer the reseller does not have
    )
    return [fjordtel, nordlys]


def demo_users() -> list[User]:
    return [
        User(username=DEMO_USERNAME, password=DEMO_PASSWORD, customer=FJORDTEL),
        User(username="reseller@nordlys.example", password=DEMO_PASSWORD, customer=NORDLYS),
        User(username=DEMO_ADMIN, password=DEMO_PASSWORD, access_level=AccessLevel.ADMIN,
             customer="5f1a0000000000000000ffff"),
        User(username="viewer@fjordtel.example", password=DEMO_PASSWORD, access_level=AccessLevel.VIEWER,
             customer=FJORDTEL),
        User(username="2fa@fjordtel.example", password=DEMO_PASSWORD, customer=FJORDTEL, sms_key="123456"),
    ]
