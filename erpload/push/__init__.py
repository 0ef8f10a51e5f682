"""The push framework: a target's dataset to a vendor API through a dlt destination, guarded by the ledger."""
