"""Tenancy and permissions (docs/domain-rules.md): who may see and do what in which company."""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.errors import NotFound, PermissionDenied
from chalicelib.domain.model import Membership, MemberStatus, Permission
from chalicelib.domain.ports import Directory, Identity


class Tool(StrEnum):
    ERP = "ERP Integrations"
    BUDGET = "Budget"


def membership_in(directory: Directory, identity: Identity, company_id: str) -> Membership:
    """The caller's membership; a company they do not belong to does not exist for them (404)."""
    membership = directory.membership(company_id, identity.email)
    if membership is None:
        raise NotFound("There is no such company, or you do not belong to it.")
    if membership.status is MemberStatus.INVITED:
        # The invitation is taken up by the first request in the company (once).
        directory.activate_member(company_id, identity.email)
    return membership


def held_in(membership: Membership, tool: Tool) -> Permission:
    """The member's permission in one tool."""
    return membership.erp_permission if tool is Tool.ERP else membership.budget_permission


def require(membership: Membership, tool: Tool, at_least: Permission) -> Membership:
    held = held_in(membership, tool)
    if held < at_least:
        raise PermissionDenied(
            f"You need {at_least.label.replace('_', '-')} permission in the {tool.value} tool "
            f"of {membership.company_name} to do this; you have {held.label.replace('_', '-')}."
        )
    return membership


def authorize(
    directory: Directory, identity: Identity, company_id: str, tool: Tool, at_least: Permission
) -> Membership:
    return require(membership_in(directory, identity, company_id), tool, at_least)
