"""The fields of an ERP connection, per ERP: the one declaration of them (docs/erps/<erp>.md
describes each).

`settings` are the non-secret fields, `secrets` the ones kept in the secret store only; each comes
as the fields a connection cannot be saved without and the ones it may carry besides. A field
declared nowhere here is not saved: `PUT /erp/connection` answers 422 `invalid_connection` naming
it (a password typed into `settings` would otherwise be stored beside the company and answered to
every ERP reader). An ERP not listed here has no connector. The spreadsheet import calls no ERP:
it has neither an address nor credentials (docs/erps/spreadsheet.md); its settings are the export's
column mapping and `exports_prefix`, which Budget Bridge writes itself (services/exports.py).
`choices` are the optional settings that take one of a few values (a blank one means the first).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_FIELD_VALUE = 4096

# Settings several ERPs share.
_MAPPING_TABLES = (
    "account_cost_codes",
    "class_cost_types",
)  # `5105=5100, ...` (common/accounts.py)
_COLUMNS = (  # a report's or an export's column for each part of a line
    "sub_job_column", "cost_code_column", "cost_type_column", "amount_column", "kind_column",
    "description_column",
)  # fmt: skip
_SIGN_IN = ("username", "password")
_OAUTH2_CLIENT = ("client_id", "client_secret")
_ROTATING = ("client_id", "client_secret", "refresh_token")
# Sage Intacct: where a line's sub job comes from (docs/erps/intacct.md); none is the default.
INTACCT_SUB_JOB_FROM = ("none", "child_project", "task")


@dataclass(frozen=True, slots=True)
class ErpFields:
    settings: tuple[str, ...] = ()  # required to save a connection
    secrets: tuple[str, ...] = ()  # required whenever credentials are given
    optional_settings: tuple[str, ...] = ()
    optional_secrets: tuple[str, ...] = ()
    # Settings Budget Bridge writes itself with the company's id as the value: a save may send
    # them back, with that value only (another company's would reach that company's data).
    company_settings: tuple[str, ...] = ()
    calls_erp: bool = True  # False: no base URL, no credentials, no secret
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def choice(self, name: str, settings: Mapping[str, str]) -> str | None:
        """The setting's value (blank: the first choice), or None when it is none of them."""
        value = (settings.get(name) or "").strip() or self.choices[name][0]
        return value if value in self.choices[name] else None

    @property
    def known_settings(self) -> tuple[str, ...]:
        return self.settings + self.optional_settings + tuple(self.choices) + self.company_settings

    @property
    def known_secrets(self) -> tuple[str, ...]:
        return self.secrets + self.optional_secrets


FIELDS: dict[str, ErpFields] = {
    "acumatica": ErpFields(
        settings=("company",), optional_settings=("endpoint_version",),
        secrets=_SIGN_IN, optional_secrets=_OAUTH2_CLIENT,
    ),
    "myob": ErpFields(
        settings=("company",), optional_settings=("endpoint_version",),
        secrets=_SIGN_IN, optional_secrets=_OAUTH2_CLIENT,
    ),
    "intacct": ErpFields(
        optional_settings=("company_id", "revenue_accumulation_type"),
        secrets=_OAUTH2_CLIENT, optional_secrets=("username",),
        choices={"sub_job_from": INTACCT_SUB_JOB_FROM},
    ),
    "cmic": ErpFields(
        settings=("company_code",), optional_settings=("amount_attribute",), secrets=_SIGN_IN
    ),
    "qbo": ErpFields(
        settings=("realm_id", "default_cost_type"),
        optional_settings=("budget_name", *_MAPPING_TABLES, "token_url"),
        secrets=_ROTATING,
    ),
    "xero": ErpFields(
        settings=("tenant_id", "tracking_category", "default_cost_type"),
        optional_settings=("budget_id", "account_cost_types", "account_cost_codes", "token_url"),
        secrets=_ROTATING,
    ),
    "netsuite": ErpFields(
        settings=("account_id", "certificate_id"),
        optional_settings=("default_cost_type", "budget_category", *_MAPPING_TABLES),
        secrets=("client_id", "private_key"),
    ),
    "workday": ErpFields(
        settings=("tenant", "owner", "report"),
        optional_settings=("project_column", *_COLUMNS, "projects_report", "cost_codes_report",
                           "cost_types_report"),
        secrets=_SIGN_IN,
    ),
    "yardi": ErpFields(
        settings=("server", "database", "platform", "interface_entity"),
        optional_settings=("service_path",),
        secrets=_SIGN_IN,
    ),
    "mri": ErpFields(
        settings=("client_id", "database"), optional_settings=("default_cost_type",),
        secrets=_SIGN_IN,
    ),
    "spreadsheet": ErpFields(
        optional_settings=_COLUMNS, company_settings=("exports_prefix",), calls_erp=False
    ),
}  # fmt: skip


def fields_of(erp_system: str) -> ErpFields | None:
    """The ERP's fields; None for an ERP Budget Bridge has no connector for."""
    return FIELDS.get(erp_system)


def required(erp_system: str) -> ErpFields:
    """The ERP's fields; an unknown ERP asks for nothing (its connector cannot be built)."""
    return FIELDS.get(erp_system, ErpFields())
