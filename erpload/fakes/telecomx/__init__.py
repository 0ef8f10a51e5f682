"""Loopback fake of Telecom X's Uniconta invoice export: sign-in with expiring tokens, an export that goes on
after its answer and may roll back, 422 sub-errors from its own customers and products."""

from erpload.fakes.telecomx.app import EXPORT, LOGIN, TelecomXFake
from erpload.fakes.telecomx.models import AccessLevel, Customer, ExportPlan, Invoice, Reseller, User
from erpload.fakes.telecomx.seed import DEMO_ADMIN, DEMO_MONTH, DEMO_PASSWORD, DEMO_USERNAME, FJORDTEL, NORDLYS

__all__ = ["DEMO_ADMIN", "DEMO_MONTH", "DEMO_PASSWORD", "DEMO_USERNAME", "EXPORT", "FJORDTEL", "LOGIN", "NORDLYS",
           "AccessLevel", "Customer", "ExportPlan", "Invoice", "Reseller", "TelecomXFake", "User"]
