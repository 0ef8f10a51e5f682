"""Loopback fake of d.velop smart invoice's master-data API (batch jobs, single PUT, import jobs)."""

from erpload.fakes.dvelop.app import API, DEMO_API_KEY, DvelopFake, create_app
from erpload.fakes.dvelop.models import ENTITIES

__all__ = ["API", "DEMO_API_KEY", "ENTITIES", "DvelopFake", "create_app"]
