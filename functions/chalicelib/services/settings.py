"""A company's ERP settings: automatic re-import on a schedule."""

from __future__ import annotations

from chalicelib.domain.model import ErpSettings, Permission
from chalicelib.domain.ports import Identity
from chalicelib.services.access import Tool, authorize
from chalicelib.services.ports import Ports


def get_erp_settings(ports: Ports, identity: Identity, company_id: str) -> ErpSettings:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.READ_ONLY)
    return ports.directory.erp_settings(company_id)


def put_erp_settings(
    ports: Ports, identity: Identity, company_id: str, settings: ErpSettings
) -> ErpSettings:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    return ports.directory.save_erp_settings(company_id, settings)
