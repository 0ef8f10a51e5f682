"""The `erpload` command line (`erpload.cli.main`); commands import what they run when they run."""
