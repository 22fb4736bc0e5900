"""What the deployment tells the ERP connectors, handed to them by `wiring.py` (which alone reads
`config.settings()`), so a connector never reads the environment itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.adapters.erp.spreadsheet import ExportStore


@dataclass(frozen=True)
class ConnectorSettings:
    # The jobs table: a rotating refresh token's lease is a short-lived item beside the jobs
    # (common/rotation.py).
    lease_table: str
    # Where uploaded budget exports are kept (the spreadsheet "ERP" reads its latest upload).
    exports: ExportStore
