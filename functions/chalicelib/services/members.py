"""A company's members: invite, change permissions, remove; never its last admin of a tool.

Any admin of either tool manages members, but each tool's permission is its own admins' to give
(docs/domain-rules.md, "Who gives which permission"): an admin of one tool may set or change only
that tool's permission. Inviting someone with a permission above `none` in a tool, or changing a
member's permission in a tool (up or down), takes an admin of that tool, else 403 naming it: a
Budget admin cannot make themselves, or anyone, an ERP admin. Removing a member takes an admin of
either tool, and of every tool the member is an admin of. A removed member's next request in the
company answers 404 at once, because every request reads the membership fresh (services/access.py).
A change or removal is written only while the member, and the admin it leaves each tool with, still
hold what was read, so concurrent requests cannot leave a tool without an admin or write a removed
member back (docs/adoption.md, "Members").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import TypeVar

from chalicelib.domain import limits
from chalicelib.domain.errors import (
    AlreadyMember,
    ConcurrentChange,
    InvalidRequest,
    LastAdmin,
    NotFound,
    PermissionDenied,
)
from chalicelib.domain.model import Membership, MemberStatus, Permission
from chalicelib.domain.ports import Identity
from chalicelib.observability import logger
from chalicelib.services import audit
from chalicelib.services.access import Tool, held_in
from chalicelib.services.audit import require_any_admin
from chalicelib.services.ports import Ports

TOOLS = (Tool.ERP, Tool.BUDGET)  # in the order of (erp_permission, budget_permission)
MAX_EMAIL_LENGTH = 254  # RFC 5321's longest path, and Cognito's longest email
MAX_LOCAL_PART_LENGTH = 64
MAX_DOMAIN_LABEL_LENGTH = 63
# Characters a person cannot see (limits.UNSEEN), and spaces, which no address holds either. An
# address holding one is sent an invitation a person cannot read right, or shows one name and is
# another.
_UNSEEN = {**limits.UNSEEN, "Zs": "a space"}
# RFC 5322's specials: valid only in a quoted local part, which no one invites, and a "," or "<"
# could make a mailer read one address as two.
_LOCAL_PART_REFUSED = frozenset('()<>[]:;@\\,"')
# A domain label: letters (any script, as internationalized domains are written), digits and inner
# hyphens; marks for the scripts that combine them.
_LABEL_CATEGORIES = ("L", "M", "Nd")
# A change or removal whose conditions failed (the member or the admin it relied on changed
# meanwhile) is read and judged again this many times in all before answering concurrent_change.
_ATTEMPTS = 3
_Written = TypeVar("_Written")


def normal_email(email: str) -> str:
    """The address as the directory and Cognito keep it (trimmed, lower case), or InvalidRequest
    saying why it cannot be one. The one check of an address a person is given an account or a
    membership by (docs/adoption.md, "Members"); sign-in does not apply it, as no account can have
    such an address and it answers every unknown one alike (docs/api.md, "Authentication")."""
    cleaned = email.strip(" \t\r\n").lower()  # what a paste carries; any other space is refused
    unseen = limits.unseen_in(cleaned, _UNSEEN)
    if unseen is not None:  # not echoed: the address itself would hide or reorder the sentence
        raise InvalidRequest(
            f"An email address cannot contain {unseen}; type the address again without it."
        )
    if len(cleaned) > MAX_EMAIL_LENGTH:
        raise InvalidRequest(
            f"An email address has at most {MAX_EMAIL_LENGTH} characters; this one has "
            f"{len(cleaned)}."
        )
    why = _not_an_address(cleaned)
    if why:
        raise InvalidRequest(
            f"'{cleaned[:80]}' is not an email address: {why}; write it as name@example.com."
        )
    return cleaned


def _not_an_address(email: str) -> str | None:
    """Why a trimmed address free of unseen characters is not shaped local@domain; None if it is."""
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return "it needs a name before a single @"
    if len(local) > MAX_LOCAL_PART_LENGTH:
        return f"the part before the @ has more than {MAX_LOCAL_PART_LENGTH} characters"
    if any(c in _LOCAL_PART_REFUSED for c in local):
        return 'the part before the @ holds one of ( ) < > [ ] : ; @ \\ , "'
    labels = domain.split(".")
    if len(labels) < 2:
        return "the part after the @ needs a dot, as in example.com"
    for label in labels:
        if not label or len(label) > MAX_DOMAIN_LABEL_LENGTH:
            return f"each part of the domain has 1 to {MAX_DOMAIN_LABEL_LENGTH} characters"
        if label.startswith("-") or label.endswith("-") or not all(map(_in_label, label)):
            return "the domain has letters, digits and inner hyphens only"
    if len(labels[-1]) < 2 or labels[-1].isdigit():
        return "the domain ends in a name such as .com"
    return None


def _in_label(character: str) -> bool:
    return character == "-" or unicodedata.category(character).startswith(_LABEL_CATEGORIES)


def list_members(ports: Ports, identity: Identity, company_id: str) -> list[Membership]:
    require_any_admin(ports, identity, company_id)
    return ports.directory.members(company_id)


def add_member(
    ports: Ports,
    identity: Identity,
    company_id: str,
    email: str,
    permissions: tuple[Permission, Permission],
) -> Membership:
    """Invite a new person (a temporary password by email, or the local outbox); a person who
    has signed in before just gains the membership. One whose account was made by an earlier
    invitation (of any company) and never signed in to is invited again, with a new temporary
    password: they could not sign in otherwise."""
    caller = require_any_admin(ports, identity, company_id)
    email = normal_email(email)
    for tool, given in zip(TOOLS, permissions, strict=True):
        if given is not Permission.NONE:
            _require_admin_of(caller, tool, f"give {tool.value} permission to {email}")
    if ports.directory.membership(company_id, email) is not None:
        raise AlreadyMember(f"{email} is already a member of this company.")
    name = ports.directory.company_name(company_id) or company_id
    # The membership is claimed before anything is sent: of several requests inviting one person
    # at once, only the one whose conditional write lands invites; the others answer
    # already_member having sent nothing (no second mail, no second temporary password).
    claimed = Membership(
        company_id=company_id, company_name=name, email=email,
        erp_permission=permissions[0], budget_permission=permissions[1],
        status=MemberStatus.INVITED,
    )  # fmt: skip
    ports.directory.add_member(company_id, email, *permissions, MemberStatus.INVITED)
    try:
        invited = ports.accounts.invite(email, name)
    except Exception:
        _withdraw(ports, claimed)  # no member left whom no invitation reached
        raise
    if not invited:  # someone who has signed in before just joins
        ports.directory.activate_member(company_id, email)
    audit.record(
        ports, company_id, identity.email, audit.MEMBER_ADDED, email,
        erp_permission=permissions[0].label, budget_permission=permissions[1].label,
        invited=invited,
    )  # fmt: skip
    return _member(ports, company_id, email)


def _withdraw(ports: Ports, claimed: Membership) -> None:
    """Take back a membership claimed for an invitation that failed. One removed or changed by
    an admin meanwhile is theirs now and stays; a failure to take it back is logged, so the
    invitation's own error is the one the caller gets."""
    try:
        ports.directory.remove_member(claimed)
    except ConcurrentChange:
        pass
    except Exception:
        logger().exception(
            "a membership claimed for a failed invitation could not be taken back",
            extra={"company_id": claimed.company_id},
        )


def change_member(
    ports: Ports,
    identity: Identity,
    company_id: str,
    email: str,
    erp_permission: Permission | None,
    budget_permission: Permission | None,
) -> Membership:
    def judge_and_write() -> tuple[Membership, Permission, Permission]:
        caller = require_any_admin(ports, identity, company_id)
        current = _member(ports, company_id, email)
        erp = current.erp_permission if erp_permission is None else erp_permission
        budget = current.budget_permission if budget_permission is None else budget_permission
        for tool, after in zip(TOOLS, (erp, budget), strict=True):
            if after is not held_in(current, tool):
                _require_admin_of(
                    caller, tool, f"change the {tool.value} permission of {current.email}"
                )
        keeping = _keep_an_admin(ports, current, erp, budget)
        ports.directory.change_member(current, erp, budget, keeping)
        return current, erp, budget

    current, erp, budget = _until_written(judge_and_write)
    audit.record(
        ports, company_id, identity.email, audit.MEMBER_CHANGED, current.email,
        erp_permission=erp.label, budget_permission=budget.label,
        was={"erp_permission": current.erp_permission.label,
             "budget_permission": current.budget_permission.label},
    )  # fmt: skip
    return _member(ports, company_id, current.email)


def remove_member(ports: Ports, identity: Identity, company_id: str, email: str) -> None:
    def judge_and_write() -> Membership:
        caller = require_any_admin(ports, identity, company_id)
        current = _member(ports, company_id, email)
        for tool in TOOLS:
            if held_in(current, tool) is Permission.ADMIN:
                _require_admin_of(caller, tool, f"remove {current.email}, an admin of that tool")
        keeping = _keep_an_admin(ports, current, Permission.NONE, Permission.NONE)
        ports.directory.remove_member(current, keeping)
        return current

    current = _until_written(judge_and_write)
    audit.record(ports, company_id, identity.email, audit.MEMBER_REMOVED, current.email)


def _until_written(judge_and_write: Callable[[], _Written]) -> _Written:
    """Read, judge and write again while the store answers that what was read changed
    meanwhile, _ATTEMPTS times in all; then concurrent_change."""
    for _ in range(_ATTEMPTS - 1):
        try:
            return judge_and_write()
        except ConcurrentChange:
            continue
    return judge_and_write()


def _require_admin_of(caller: Membership, tool: Tool, to: str) -> None:
    """Each tool's permissions are its own admins' to give: 403 naming the tool otherwise."""
    if held_in(caller, tool) is not Permission.ADMIN:
        raise PermissionDenied(
            f"You need admin permission in the {tool.value} tool of {caller.company_name} to {to}; "
            "an admin of one tool sets only that tool's permissions."
        )


def _member(ports: Ports, company_id: str, email: str) -> Membership:
    found = ports.directory.membership(company_id, email.strip().lower())
    if found is None:
        raise NotFound("There is no such member in this company.")
    return found


def _keep_an_admin(
    ports: Ports, member: Membership, erp: Permission, budget: Permission
) -> list[Membership]:
    """Each tool keeps at least one admin: refuse to remove or demote the last one.

    Answers, for each tool the change takes an admin from, another admin of it: the store writes
    the change only while that admin still holds what it holds now, so two admins demoting (or
    removing) each other at once cannot both succeed; the second is read again and refused.
    """
    others = [m for m in ports.directory.members(member.company_id) if m.email != member.email]
    keeping: list[Membership] = []
    for tool, held, after, attribute in (
        ("ERP Integrations", member.erp_permission, erp, "erp_permission"),
        ("Budget", member.budget_permission, budget, "budget_permission"),
    ):
        if held is not Permission.ADMIN or after is Permission.ADMIN:
            continue
        admin = next((m for m in others if getattr(m, attribute) is Permission.ADMIN), None)
        if admin is None:
            raise LastAdmin(
                f"{member.email} is the last admin of the {tool} tool; make someone else admin "
                "first."
            )
        if admin not in keeping:
            keeping.append(admin)
    return keeping
