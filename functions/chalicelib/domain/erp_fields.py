"""Which fields an ERP connection must carry, per ERP (docs/erps/<erp>.md describes each).

`settings` are the non-secret fields, `secrets` the ones kept in the secret store only, `choices`
the optional settings that take one of a few values (a blank one means the first). An ERP not
listed here asks for nothing beyond a base URL and some credentials; its connector says what is
missing when it is tested. The spreadsheet import calls no ERP: it has neither an address nor
credentials (docs/erps/spreadsheet.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_FIELD_VALUE = 4096

# Sage Intacct: where a line's sub job comes from (docs/erps/intacct.md); none is the default.
INTACCT_SUB_JOB_FROM = ("none", "child_project", "task")


@dataclass(frozen=True, slots=True)
class ErpFields:
    settings: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    calls_erp: bool = True  # False: no base URL, no credentials, no secret
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def choice(self, name: str, settings: Mapping[str, str]) -> str | None:
        """The setting's value (blank: the first choice), or None when it is none of them."""
        value = (settings.get(name) or "").strip() or self.choices[name][0]
        return value if value in self.choices[name] else None


REQUIRED: dict[str, ErpFields] = {
    "acumatica": ErpFields(settings=("company",), secrets=("username", "password")),
    "myob": ErpFields(settings=("company",), secrets=("username", "password")),
    "intacct": ErpFields(
        secrets=("client_id", "client_secret"), choices={"sub_job_from": INTACCT_SUB_JOB_FROM}
    ),
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
