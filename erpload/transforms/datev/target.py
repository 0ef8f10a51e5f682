"""The DATEV target, declared once: EXTF files for the tax adviser (see `erpload.targets`)."""

from __future__ import annotations

from pathlib import Path

from erpload.targets import CliOption, Setting, Target
from erpload.transforms.datev.contract import CONTRACT

TARGET = Target(
    contract=CONTRACT,
    kind="files",
    title="DATEV",
    transform="erpload.transforms.datev.commands:transform",
    export="erpload.transforms.datev.commands:export",
    export_options=(
        CliOption("out_dir", "Directory for the EXTF files and manifest.json [erpload.datev.out; default out/datev]",
                  type=Path, flag_name="--out"),
        CliOption("company", "Only this company code (repeatable).", multiple=True),
        CliOption("period", "Only the period containing this month, YYYY-MM."),
        CliOption("reexport", "Write one replacement file for the period containing this month (YYYY-MM), marked "
                  "_reexport, to import INSTEAD of the period's files (lost or deleted in DATEV); refused where "
                  "batches are festgeschrieben."),
    ),
    settings=(  # each has a default: DATEV needs no setting to write files
        Setting("erpload.datev.out", required=False, folder="out/datev", doc="where export writes (default out/datev)"),
        Setting("erpload.datev.period", required=False,
                doc="month (default), quarter or fiscal_year: one Buchungsstapel per company and period"),
        Setting("erpload.datev.corrections", required=False,
                doc="reverse (default) or report: a document changed after its export"),
    ),
    demo_notes="erpload.transforms.datev.commands:demo_notes",
    cli="erpload.transforms.datev.cli:datev_app",
    cli_help="Check DATEV EXTF files before they go to the tax adviser; reconcile them with the ERP.",
)
