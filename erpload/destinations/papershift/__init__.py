"""Papershift Pulse's DATEV document syncs, triggered per company and followed to the end (see
transforms/papershift)."""
