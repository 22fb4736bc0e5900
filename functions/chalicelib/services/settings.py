"""A company's ERP settings: automatic re-import on a schedule."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.model import ErpSettings, Permission
from chalicelib.domain.ports import Identity
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize
from chalicelib.services.ports import Ports


def get_erp_settings(ports: Ports, identity: Identity, company_id: str) -> ErpSettings:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.READ_ONLY)
    return ports.directory.erp_settings(company_id)


def put_erp_settings(
    ports: Ports, identity: Identity, company_id: str, settings: ErpSettings
) -> ErpSettings:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    saved = ports.directory.save_erp_settings(company_id, settings)
    audit.record(
        ports, company_id, identity.email, audit.SETTINGS_CHANGED, "ERP settings",
        **saved.model_dump(mode="json"),
    )  # fmt: skip
    return saved


def update_erp_settings(
    ports: Ports,
    identity: Identity,
    company_id: str,
    change: Callable[[ErpSettings], ErpSettings],
) -> ErpSettings:
    """Apply `change` to the current settings (a field a request leaves out keeps its value)."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    return put_erp_settings(
        ports, identity, company_id, change(ports.directory.erp_settings(company_id))
    )
