"""The audit log: every change a company's people (or the schedule) make, kept at least a year.

Any use case records its action with one line, after the action succeeded:

    audit.record(ports, company_id, identity.email, "budget.locked", project_id)

`details` are small facts for a person (names, permissions, counts), never a secret: connection
credentials are recorded only as the names of the fields that changed.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import PermissionDenied
from chalicelib.domain.model import AuditEvent, Membership
from chalicelib.domain.ports import Identity, Page
from chalicelib.services.access import membership_in
from chalicelib.services.ports import Ports

# The actions docs/adoption.md lists, by name.
CONNECTION_SAVED = "connection.saved"
CONNECTION_TESTED = "connection.tested"
CONNECTION_DELETED = "connection.deleted"
PROJECT_LINKED = "project.linked"
PROJECT_UNLINKED = "project.unlinked"
CATALOG_CHANGED = "catalog.changed"
CATALOG_SYNCED = "catalog.synced"
MEMBER_ADDED = "member.added"
MEMBER_CHANGED = "member.changed"
MEMBER_REMOVED = "member.removed"
SETTINGS_CHANGED = "settings.changed"
TARGET_CHANGED = "target.changed"
BUDGET_LOCKED = "budget.locked"
BUDGET_UNLOCKED = "budget.unlocked"
LINE_EDITED = "line.edited"
IMPORT_REQUESTED = "import.requested"
REIMPORT_REQUESTED = "reimport.requested"
PREVIEW_REQUESTED = "preview.requested"
RESTORE_REQUESTED = "restore.requested"


def record(
    ports: Ports, company_id: str, actor: str, action: str, target: str, **details: Any
) -> AuditEvent:
    """Write one entry; call it after the action succeeded."""
    event = entry(ports, company_id, actor, action, target, **details)
    ports.audit.record(event)
    return event


def entry(
    ports: Ports, company_id: str, actor: str, action: str, target: str, **details: Any
) -> AuditEvent:
    """An entry to write later (with others: `ports.audit.record_many`)."""
    return AuditEvent(
        company_id=company_id,
        event_id=ports.new_id(),
        at=ports.clock(),
        actor=actor,
        action=action,
        target=target,
        details=details,
    )


def list_events(
    ports: Ports, identity: Identity, company_id: str, limit: int, cursor: str | None
) -> Page[AuditEvent]:
    """Newest first; for admins of either tool."""
    require_any_admin(ports, identity, company_id)
    return ports.audit.list(company_id, limit, cursor)


def require_any_admin(ports: Ports, identity: Identity, company_id: str) -> Membership:
    membership = membership_in(ports.directory, identity, company_id)
    if not membership.is_admin_of_either_tool():
        raise PermissionDenied(
            "You need admin permission in the ERP Integrations or the Budget tool of "
            f"{membership.company_name} to do this."
        )
    return membership
