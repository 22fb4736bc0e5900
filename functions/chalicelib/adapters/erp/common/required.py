"""The one check every connector makes of its connection's own settings before it calls anything:
are the fields it cannot work without filled in? (Which fields each ERP needs for a connection to
be saved is `domain/erp_fields.py`; this is the connector's own word when it is built.)"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.adapters.erp.common.names import erp_name
from chalicelib.domain.errors import ErpRejected


def require_settings(
    system: str, settings: Mapping[str, str], names: Sequence[str], then: str
) -> None:
    """ErpRejected naming every blank one of `names`; `then` says where the values come from."""
    missing = [name for name in names if not (settings.get(name) or "").strip()]
    if missing:
        raise ErpRejected(
            f"The {erp_name(system)} connection has no {' or '.join(missing)}: {then}"
        )
