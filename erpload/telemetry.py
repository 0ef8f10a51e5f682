"""dlt's anonymous usage events stay off wherever erpload runs.

dlt sends them to dltHub unless `runtime.dlthub_telemetry` is false, and reads that from the current folder's
`.dlt/config.toml`: outside the repository nothing turned it off. The environment variable wins over every
toml file and reaches the processes erpload starts; it must be set before dlt resolves its runtime
configuration, which it does once, when the first pipeline or config lookup needs it.
"""

from __future__ import annotations

import os
import sys

TELEMETRY_ENV = "RUNTIME__DLTHUB_TELEMETRY"


def telemetry_off() -> None:
    os.environ[TELEMETRY_ENV] = "false"
    if "dlt" in sys.modules:  # imported before erpload (a host process): its tracker may already run
        from dlt.common.runtime.anon_tracker import disable_anon_tracker

        disable_anon_tracker()
