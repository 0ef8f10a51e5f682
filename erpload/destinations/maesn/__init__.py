"""Maesn's unified accounting API: booking proposals, with their receipts, for five accounting systems."""
