"""erpload: ERP tables in, tax-accountant-ready data out. Importing it switches dlt's telemetry off."""

from erpload.telemetry import telemetry_off

telemetry_off()
