"""The ERP registry: which connector speaks to which ERP; adding an ERP adds one line here."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.adapters.erp.acumatica import AcumaticaSource, MyobSource
from chalicelib.adapters.erp.cmic import CmicSource
from chalicelib.adapters.erp.intacct import IntacctSource
from chalicelib.adapters.erp.netsuite import NetSuiteSource
from chalicelib.adapters.erp.qbo import QboSource
from chalicelib.adapters.erp.xero import XeroSource
from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import ErpConnection, ErpCredentials
from chalicelib.domain.ports import ErpSource

Connector = Callable[[ErpConnection, ErpCredentials], ErpSource]

CONNECTORS: dict[str, Connector] = {
    "acumatica": AcumaticaSource.from_connection,
    "myob": MyobSource.from_connection,
    "intacct": IntacctSource.from_connection,
    "cmic": CmicSource.from_connection,
    "qbo": QboSource.from_connection,
    "xero": XeroSource.from_connection,
    "netsuite": NetSuiteSource.from_connection,
}


def erp_source_for(connection: ErpConnection, credentials: ErpCredentials) -> ErpSource:
    """The connector for the connection's ERP; an `ErpSourceFactory`."""
    connector = CONNECTORS.get(connection.erp_system.strip().lower())
    if connector is None:
        known = ", ".join(sorted(CONNECTORS))
        raise ErpRejected(
            f"Budget Bridge has no connector for the ERP system '{connection.erp_system}' "
            f"(it knows: {known}): check the company's ERP connection."
        )
    return connector(connection, credentials)
