"""The d.velop smart invoice target: canonical `erp` -> dataset `dvelop`, one table per master-data entity."""
