"""Loopback fake of Kombo's DATEV push: Bearer key and `X-Integration-Id` checked, files generated from each
integration's employees (or given verbatim by a knob), every `PLATFORM.*` error in Kombo's envelope, a concurrency
cap per integration and a journal of every push."""

from erpload.fakes.kombo.app import API, CHECK_API_KEY, GENERAL, PAYROLL, KomboFake
from erpload.fakes.kombo.models import (
    DEFAULT_STATUS,
    Employee,
    ErrorCode,
    FileKnob,
    InjectedError,
    Integration,
    IntegrationData,
    KomboFile,
    KomboPlan,
)
from erpload.fakes.kombo.seed import DEMO_API_KEY, DEMO_INTEGRATION, DEMO_INTEGRATION_2

__all__ = ["API", "CHECK_API_KEY", "DEFAULT_STATUS", "DEMO_API_KEY", "DEMO_INTEGRATION", "DEMO_INTEGRATION_2",
           "GENERAL", "PAYROLL", "Employee", "ErrorCode", "FileKnob", "InjectedError", "Integration",
           "IntegrationData", "KomboFake", "KomboFile", "KomboPlan"]
