"""Pulse's DATEV resources as erpload reads them (reference/vendor-apis.md §1.2): JSON:API resources, read
leniently (an attribute Pulse leaves out is None), each with a `from_resource`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: the media type every Pulse request declares, GETs and DELETEs included
JSON_API = "application/vnd.api+json"

SYNC_TYPE = "datev_document_sync"
SCHEDULE_TYPE = "datev_document_sync_schedule"

#: a sync's status while Papershift still fetches documents from DATEV
RUNNING = "running"


class _Resource(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str

    @classmethod
    def from_resource(cls, resource: Any) -> Any:
        """The model of one JSON:API resource object (`{"id", "type", "attributes"}`)."""
        if not isinstance(resource, dict) or not isinstance(resource.get("id"), str):
            raise ValueError(f"not a JSON:API resource: {str(resource)[:200]}")
        attributes = resource.get("attributes")
        return cls.model_validate({**(attributes if isinstance(attributes, dict) else {}), "id": resource["id"],
                                   "meta": resource.get("meta") or {}})


class DocumentSync(_Resource):
    """A DATEV document sync: Papershift fetching payslips (LOBN) and wage-tax certificates (LSTB) from DATEV."""

    status: str = RUNNING
    document_types: list[str] = Field(default_factory=list)
    notice: str | None = None
    range_in_months: int | None = None
    created_at: str | None = None

    @property
    def running(self) -> bool:
        return self.status == RUNNING


class DocumentSyncItem(_Resource):
    """One employee and month of a sync."""

    employee_number: int | None = None
    period: str | None = None
    status: str = RUNNING
    notice: str | None = None


class Schedule(_Resource):
    """A sync schedule: Papershift syncs the integration's documents on `day` of each month."""

    day: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def actions(self) -> list[str]:
        """What the signed-in user may do with it (`meta.permissions.actions`)."""
        permissions = self.meta.get("permissions")
        actions = permissions.get("actions") if isinstance(permissions, dict) else None
        return [str(a) for a in actions] if isinstance(actions, list) else []
