"""The ERP registry: which connector speaks to which ERP; adding an ERP adds one line here."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.adapters.erp.acumatica import AcumaticaSource, MyobSource
from chalicelib.adapters.erp.cmic import CmicSource
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.intacct import IntacctSource
from chalicelib.adapters.erp.mri import MriSource
from chalicelib.adapters.erp.netsuite import NetSuiteSource
from chalicelib.adapters.erp.qbo import QboSource
from chalicelib.adapters.erp.spreadsheet import SpreadsheetSource
from chalicelib.adapters.erp.workday import WorkdaySource
from chalicelib.adapters.erp.xero import XeroSource
from chalicelib.adapters.erp.yardi import YardiSource
from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import ErpConnection, ErpCredentials
from chalicelib.domain.ports import ErpSource

# A connector is built from the company's connection, its credentials and what the deployment
# tells connectors (common/deployment.py).
Connector = Callable[[ErpConnection, ErpCredentials, ConnectorSettings], ErpSource]


CONNECTORS: dict[str, Connector] = {
    "acumatica": AcumaticaSource.from_connection,
    "myob": MyobSource.from_connection,
    "intacct": IntacctSource.from_connection,
    "cmic": CmicSource.from_connection,
    "qbo": QboSource.from_connection,
    "xero": XeroSource.from_connection,
    "netsuite": NetSuiteSource.from_connection,
    "workday": WorkdaySource.from_connection,
    "yardi": YardiSource.from_connection,
    "mri": MriSource.from_connection,
    "spreadsheet": SpreadsheetSource.from_connection,
}


class ErpSources:
    """The connector for each connection's ERP (an `ErpSourceFactory`); `wiring.py` builds it with
    the deployment's settings."""

    def __init__(self, deployment: ConnectorSettings) -> None:
        self.deployment = deployment

    def __call__(self, connection: ErpConnection, credentials: ErpCredentials) -> ErpSource:
        connector = CONNECTORS.get(connection.erp_system.strip().lower())
        if connector is None:
            known = ", ".join(sorted(CONNECTORS))
            raise ErpRejected(
                f"Budget Bridge has no connector for the ERP system '{connection.erp_system}' "
                f"(it knows: {known}): check the company's ERP connection."
            )
        return connector(connection, credentials, self.deployment)
