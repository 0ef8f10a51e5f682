"""Loopback fake of Papershift's Pulse API for DATEV document syncs: sign-in with the token in a response header,
JSON:API bodies, an initial sync that advances per poll to a configured end, its items, schedules, rate limits."""

from erpload.fakes.papershift.app import DOCUMENT_SYNCS, INTEGRATIONS, SIGN_IN, PapershiftFake
from erpload.fakes.papershift.models import JSON_API, DocumentType, Integration, ItemStatus, PulsePlan, SyncStatus, User
from erpload.fakes.papershift.seed import ALPENBLICK, BERGWERK, DEMO_EMAIL, DEMO_PASSWORD

__all__ = ["ALPENBLICK", "BERGWERK", "DEMO_EMAIL", "DEMO_PASSWORD", "DOCUMENT_SYNCS", "INTEGRATIONS", "JSON_API",
           "SIGN_IN", "DocumentType", "Integration", "ItemStatus", "PapershiftFake", "PulsePlan", "SyncStatus", "User"]
