"""The pipeline steps that read the ERP and build the canonical model: extract, map, reload."""
