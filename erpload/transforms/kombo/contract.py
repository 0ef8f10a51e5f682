"""What the Kombo target reads from the canonical model (`erpload model --target kombo`)."""

from __future__ import annotations

from erpload.targets import TargetContract

CONTRACT = TargetContract(
    name="kombo",
    doc="Kombo's DATEV push: per company with a Kombo integration one push per run; the DATEV files Kombo "
        "returns are saved, EXTF ones checked, and their employees compared with the ERP's active ones",
    reads={
        "companies": ("company_code", "name", "kombo_integration_id"),
        "employees": ("company_code", "personnel_no", "first_name", "last_name", "termination_date",
                      "is_deleted"),
    },
)
