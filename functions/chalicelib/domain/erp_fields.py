"""Which fields an ERP connection must carry, per ERP (docs/erps/<erp>.md describes each).

`settings` are the non-secret fields, `secrets` the ones kept in the secret store only. An ERP not
listed here asks for nothing beyond a base URL and some credentials; its connector says what is
missing when it is tested.
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


REQUIRED: dict[str, ErpFields] = {
    "acumatica": ErpFields(settings=("company",), secrets=("username", "password")),
    "myob": ErpFields(settings=("company",), secrets=("username", "password")),
    "intacct": ErpFields(secrets=("client_id", "client_secret")),
    "cmic": ErpFields(settings=("company_code",), secrets=("username", "password")),
}


def required(erp_system: str) -> ErpFields:
    return REQUIRED.get(erp_system, ErpFields())
