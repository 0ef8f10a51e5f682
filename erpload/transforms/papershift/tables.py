"""The names of the papershift dataset and its tables: imported by the CLI at start, so nothing else is here."""

TARGET = "papershift"
#: the plan (`erpload transform papershift`): one row per company with a DATEV integration in Papershift
INTEGRATIONS = "integrations"
#: what a push saw (`erpload push papershift`): the syncs it follows and their items
SYNCS = "syncs"
SYNC_ITEMS = "sync_items"
