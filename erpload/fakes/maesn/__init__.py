"""Loopback fake of Maesn's booking-proposal API for five target systems (multipart POSTs, async tasks)."""

from erpload.fakes.maesn.app import ACCOUNTING, DEMO_ACCOUNT_KEYS, DEMO_API_KEY, DEMO_COMPANY_IDS, MaesnFake, create_app
from erpload.fakes.maesn.models import SYSTEMS
from erpload.fakes.maesn.store import TaskPlan, TaskRule

__all__ = ["ACCOUNTING", "DEMO_ACCOUNT_KEYS", "DEMO_API_KEY", "DEMO_COMPANY_IDS", "SYSTEMS", "MaesnFake", "TaskPlan",
           "TaskRule", "create_app"]
