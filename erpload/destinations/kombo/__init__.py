"""Kombo's DATEV push, triggered per company and run; its files written, checked and compared (see transforms/kombo)."""
