"""What the Papershift target reads from the canonical model (`erpload model --target papershift`)."""

from __future__ import annotations

from erpload.targets import TargetContract

CONTRACT = TargetContract(
    name="papershift",
    doc="Papershift's DATEV document syncs: per company with a Papershift DATEV integration, the initial sync of "
        "its employees' payslips and wage-tax certificates, followed to the end and checked against the ERP's "
        "employees",
    reads={
        "companies": ("company_code", "name", "papershift_integration_id"),
        "employees": ("company_code", "personnel_no", "first_name", "last_name", "termination_date", "is_deleted"),
    },
)
