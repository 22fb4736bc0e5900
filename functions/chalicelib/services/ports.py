"""The bundle of ports a use case needs, so entry points can hand over real or in-memory ones."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.model import utc_now
from chalicelib.domain.ports import (
    BudgetStore,
    Directory,
    ErpSourceFactory,
    IdentityProvider,
    JobQueue,
    JobStore,
    RemoteBudgetFactory,
    SecretStore,
)


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
    clock: Callable[[], datetime] = field(default=utc_now)
    new_id: Callable[[], str] = field(default=new_job_id)
    # Budgets kept in another system (Procore); None where no company may choose one (tests).
    remote_budgets: RemoteBudgetFactory | None = None
