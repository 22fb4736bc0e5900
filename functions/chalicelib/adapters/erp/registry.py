"""The ERP registry: which connector speaks to which ERP; adding an ERP adds one line here."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.adapters.erp.acumatica import AcumaticaSource
from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import ErpConnection, ErpCredentials
from chalicelib.domain.ports import ErpSource

Connector = Callable[[ErpConnection, ErpCredentials], ErpSource]

CONNECTORS: dict[str, Connector] = {
    "acumatica": AcumaticaSource.from_connection,
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
