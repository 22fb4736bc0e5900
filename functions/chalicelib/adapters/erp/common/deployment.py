"""What the deployment tells the ERP connectors, handed to them by `wiring.py` (which alone reads
`config.settings()`), so a connector never reads the environment itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.adapters.erp.common.http import Limits

if TYPE_CHECKING:
    from chalicelib.adapters.erp.spreadsheet import ExportStore


@dataclass(frozen=True)
class ConnectorSettings:
    # The local stack's allowance for sandbox ERPs on http://127.0.0.1:<port> (url_guard.py).
    allow_local_urls: bool
    # The jobs table: a rotating refresh token's lease is a short-lived item beside the jobs
    # (common/rotation.py).
    lease_table: str
    # Where uploaded budget exports are kept (the spreadsheet "ERP" reads its latest upload).
    exports: ExportStore

    def limits(self) -> Limits:
        """The HTTP limits of a connector built for this deployment (its address allowance)."""
        return Limits(allow_local_urls=self.allow_local_urls)
