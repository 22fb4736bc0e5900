"""Which fields an ERP connection must carry, per ERP (docs/erps/<erp>.md describes each).

`settings` are the non-secret fields, `secrets` the ones kept in the secret store only. An ERP not
listed here asks for nothing beyond a base URL and some credentials; its connector says what is
missing when it is tested. The spreadsheet import calls no ERP: it has neither an address nor
credentials (docs/erps/spreadsheet.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_FIELD_VALUE = 4096


@dataclass(frozen=True, slots=True)
class ErpFields:
    settings: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    calls_erp: bool = True  # False: no base URL, no credentials, no secret


REQUIRED: dict[str, ErpFields] = {
    "acumatica": ErpFields(settings=("company",), secrets=("username", "password")),
    "myob": ErpFields(settings=("company",), secrets=("username", "password")),
    "intacct": ErpFields(secrets=("client_id", "client_secret")),
    "cmic": ErpFields(settings=("company_code",), secrets=("username", "password")),
    "qbo": ErpFields(
        settings=("realm_id", "default_cost_type"),
        secrets=("client_id", "client_secret", "refresh_token"),
    ),
    "xero": ErpFields(
        settings=("tenant_id", "tracking_category", "default_cost_type"),
        secrets=("client_id", "client_secret", "refresh_token"),
    ),
    "netsuite": ErpFields(
        settings=("account_id", "certificate_id"), secrets=("client_id", "private_key")
    ),
    "workday": ErpFields(settings=("tenant", "owner", "report"), secrets=("username", "password")),
    "yardi": ErpFields(
        settings=("server", "database", "platform", "interface_entity"),
        secrets=("username", "password"),
    ),
    "mri": ErpFields(settings=("client_id", "database"), secrets=("username", "password")),
    "spreadsheet": ErpFields(calls_erp=False),
}


def required(erp_system: str) -> ErpFields:
    return REQUIRED.get(erp_system, ErpFields())
