"""The bundle of ports a use case needs, so entry points can hand over real or in-memory ones."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.model import utc_now
from chalicelib.domain.ports import (
    Accounts,
    AuditLog,
    BudgetStore,
    Directory,
    ErpSourceFactory,
    IdentityProvider,
    JobQueue,
    JobStore,
    RemoteBudgetFactory,
    SecretStore,
)


class ExportUploads(Protocol):
    def upload_form(self, prefix: str, erp_job_id: str, file_name: str) -> dict[str, Any]:
        """A presigned upload of one budget export: {url, fields, key}."""
        ...


def new_job_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Ports:
    budgets: BudgetStore
    jobs: JobStore
    queue: JobQueue
    directory: Directory
    secrets: SecretStore
    erp_sources: ErpSourceFactory
    identity: IdentityProvider
    exports: ExportUploads | None = None  # None where uploads are not wired (most tests)
    clock: Callable[[], datetime] = field(default=utc_now)
    new_id: Callable[[], str] = field(default=new_job_id)
    # How the worker waits before planning again after a concurrent edit; tests pass a no-op.
    sleep: Callable[[float], None] = field(default=time.sleep)
    # Always named by whoever builds the bundle: the wiring hands the real adapters, tests and
    # tools the in-memory twins of devstack/memory.py (which the Lambda package does not ship).
    audit: AuditLog = field(kw_only=True)
    accounts: Accounts = field(kw_only=True)
    # Budgets kept in another system (Procore); None where no company may choose one (tests).
    remote_budgets: RemoteBudgetFactory | None = None
