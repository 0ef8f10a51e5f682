"""DATEV settings from dlt's config (`[erpload.datev]` in .dlt/config.toml, or ERPLOAD__DATEV__* env)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import dlt

from erpload.errors import ConfigError

from .bookings import PeriodUnit
from .corrections import CorrectionMode


@dataclass(frozen=True)
class DatevSettings:
    out_dir: Path
    period: PeriodUnit
    #: what export does with a record changed or cancelled after its export: book the correction, or report it
    corrections: CorrectionMode = "reverse"


def load_datev_settings(out_dir: Path | None = None) -> DatevSettings:
    period: str = dlt.config.get("erpload.datev.period") or "month"
    if period not in get_args(PeriodUnit):
        raise ConfigError(f"erpload.datev.period is '{period}'",
                          hint=f"set it to one of {', '.join(get_args(PeriodUnit))} in .dlt/config.toml")
    corrections: str = dlt.config.get("erpload.datev.corrections") or "reverse"
    if corrections not in get_args(CorrectionMode):
        raise ConfigError(f"erpload.datev.corrections is '{corrections}'",
                          hint=f"set it to one of {', '.join(get_args(CorrectionMode))} in .dlt/config.toml "
                               "([erpload.datev] corrections = \"reverse\")")
    out = out_dir or Path(dlt.config.get("erpload.datev.out") or "out/datev")
    return DatevSettings(out_dir=out, period=period,  # type: ignore[arg-type]  # both checked above
                         corrections=corrections)  # type: ignore[arg-type]
