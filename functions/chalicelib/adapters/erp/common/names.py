"""The ERPs' own names, as their users know them, by registry name (docs/erps/README.md)."""

from __future__ import annotations

ERP_NAMES = {
    "acumatica": "Acumatica",
    "myob": "MYOB Advanced Construction",
    "intacct": "Sage Intacct",
    "cmic": "CMiC",
    "qbo": "QuickBooks Online",
    "xero": "Xero",
    "netsuite": "Oracle NetSuite",
    "workday": "Workday",
    "yardi": "Yardi Voyager",
    "mri": "MRI Platform X",
    "spreadsheet": "Spreadsheet import",
    "procore": "Procore",
}


def erp_name(erp_system: str) -> str:
    """The ERP's own name; an unknown one is named as the connection names it."""
    return ERP_NAMES.get(erp_system.strip().lower(), erp_system)
