"""DATEV settings from dlt's config (`[erpload.datev]` in .dlt/config.toml, or ERPLOAD__DATEV__* env)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import dlt

from erpload.errors import ConfigError

from .bookings import PeriodUnit


@dataclass(frozen=True)
class DatevSettings:
    out_dir: Path
    period: PeriodUnit


def load_datev_settings(out_dir: Path | None = None) -> DatevSettings:
    period: str = dlt.config.get("erpload.datev.period") or "month"
    if period not in get_args(PeriodUnit):
        raise ConfigError(f"erpload.datev.period is '{period}'",
                          hint=f"set it to one of {', '.join(get_args(PeriodUnit))} in .dlt/config.toml")
    out = out_dir or Path(dlt.config.get("erpload.datev.out") or "out/datev")
    return DatevSettings(out_dir=out, period=period)  # type: ignore[arg-type]  # checked above
