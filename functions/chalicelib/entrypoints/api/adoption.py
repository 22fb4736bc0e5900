"""The routes by which a company sets itself up (docs/adoption.md): its ERP connection, the ERP's
projects and links, the cost catalog, members, the first sign-in's new password, the audit log,
and the local stack's outbox. Each parses, calls one use case, maps the answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalicelib.adapters.erp.common import url_guard
from chalicelib.config import settings as runtime_settings
from chalicelib.domain.errors import InvalidConnection, NotFound
from chalicelib.domain.model import Permission
from chalicelib.domain.url_rules import UnsafeUrl
from chalicelib.entrypoints.api.framework import Answer, ApiBlueprint, Call
from chalicelib.entrypoints.api.schemas import (
    AuditEventOut,
    AuditList,
    CatalogBody,
    CatalogResponse,
    ConnectionTestResponse,
    ErpConnectionBody,
    ErpConnectionOut,
    ErpConnectionResponse,
    ErpProjectList,
    ErpProjectOut,
    LinkBody,
    LinkResponse,
    MemberBody,
    MemberList,
    MemberOut,
    MemberPatch,
    NewPasswordRequest,
    Outbox,
    OutboxMessageOut,
    PageQuery,
    SessionResponse,
    SyncResponse,
)
from chalicelib.services import audit, catalog, connections, erp_projects, members

adoption = ApiBlueprint(__name__)

COMPANY = "/companies/{company_id}"
_READ = (400, 401, 403, 404)
_WRITE = (400, 401, 403, 404, 409, 422)
_ERP = (502, 503)  # the ERP refused or did not answer


def judge_base_url(url: str) -> None:
    """The URL guard at save time: a name that does not resolve now is judged on each call."""
    try:
        url_guard.judge(url, allow_local=runtime_settings().erp_allow_local_urls)
    except UnsafeUrl as unsafe:
        raise InvalidConnection("base_url", str(unsafe)) from None
    except url_guard.Unresolvable:
        return


def _path_value(raw: str) -> str:
    """A path parameter as the person wrote it: the web app URL-encodes ERP job ids and emails
    (a space, an `@`), and the local Chalice server hands path parameters on still encoded."""
    return unquote(raw)


# ---- ERP connection ---------------------------------------------------------------------------


@adoption.operation(
    "GET",
    COMPANY + "/erp/connection",
    summary="The company's ERP connection, without its credentials",
    tag="ERP connection",
    answer=ErpConnectionResponse,
    errors=_READ,
)
def get_erp_connection(call: Call[Any, Any], company_id: str) -> ErpConnectionResponse:
    found = connections.get_connection(call.ports, call.caller, company_id)
    if found is None:
        return ErpConnectionResponse(connection=None)
    fields = connections.stored_secret_fields(call.ports, found)  # one secret read
    return ErpConnectionResponse(connection=ErpConnectionOut.of(found, fields))


@adoption.operation(
    "PUT",
    COMPANY + "/erp/connection",
    summary="Save the company's ERP connection (ERP admin)",
    tag="ERP connection",
    answer=ErpConnectionResponse,
    body=ErpConnectionBody,
    errors=_WRITE,
    invalid_body=InvalidConnection.code,
    description="`credentials` go to the secret store only and are never answered; without "
    "them the stored ones are kept. 422 `invalid_connection` names the `field` at fault.",
)
def put_erp_connection(
    call: Call[ErpConnectionBody, Any], company_id: str
) -> ErpConnectionResponse:
    body = call.body
    saved = connections.put_connection(
        call.ports,
        call.caller,
        company_id,
        connections.ConnectionInput(
            erp_system=body.erp_system,
            base_url=body.base_url,
            settings=body.settings,
            credentials=body.credentials,
        ),
        judge_base_url,
    )
    # Credentials just saved are named from the body; kept ones are read (one secret read).
    fields = connections.stored_secret_fields(call.ports, saved, body.credentials)
    return ErpConnectionResponse(connection=ErpConnectionOut.of(saved, fields))


@adoption.operation(
    "DELETE",
    COMPANY + "/erp/connection",
    summary="Delete the company's ERP connection and its credentials (ERP admin)",
    tag="ERP connection",
    answer=None,
    status=204,
    errors=_WRITE,
)
def delete_erp_connection(call: Call[Any, Any], company_id: str) -> Answer:
    connections.delete_connection(call.ports, call.caller, company_id)
    return Answer(body={}, status=204)


@adoption.operation(
    "POST",
    COMPANY + "/erp/connection/test",
    summary="Try the saved ERP connection and record the result (ERP admin)",
    tag="ERP connection",
    answer=ConnectionTestResponse,
    errors=_WRITE,
)
def test_erp_connection(call: Call[Any, Any], company_id: str) -> ConnectionTestResponse:
    result = connections.check_connection(call.ports, call.caller, company_id)
    return ConnectionTestResponse(
        ok=result.ok,
        code=result.code,  # type: ignore[arg-type]
        message=result.message,
        projects_visible=result.projects_visible,
    )


# ---- ERP projects and links -------------------------------------------------------------------


@adoption.operation(
    "GET",
    COMPANY + "/erp/projects",
    summary="The ERP's jobs/projects, read live from the ERP",
    tag="ERP projects",
    answer=ErpProjectList,
    query=PageQuery,
    errors=(*_READ, 409, *_ERP),
)
def list_erp_projects(call: Call[Any, PageQuery], company_id: str) -> ErpProjectList:
    q = call.query
    page = erp_projects.list_projects(call.ports, call.caller, company_id, q.limit, q.cursor)
    return ErpProjectList(
        projects=[
            ErpProjectOut(
                erp_job_id=row.project.erp_job_id,
                name=row.project.name,
                erp_status=row.project.erp_status,
                project_id=row.project_id,
                project_name=row.project_name,
            )
            for row in page.rows
        ],
        next_cursor=page.next_cursor,
    )


@adoption.operation(
    "POST",
    COMPANY + "/erp/projects/{erp_job_id}/link",
    summary="Link an ERP job to a new project, whose budget is then Ready to Import (ERP admin)",
    tag="ERP projects",
    answer=LinkResponse,
    status=201,
    body=LinkBody,
    body_required=False,
    errors=(*_WRITE, *_ERP),
    description="404 when the ERP has no such job. The spreadsheet import links any job id of "
    "1 to 64 printable characters without `/` or `\\`: its uploaded exports list a job only once "
    "one is uploaded, and uploading needs the job's budget (docs/erps/spreadsheet.md).",
)
def link_erp_project(call: Call[LinkBody, Any], company_id: str, erp_job_id: str) -> Any:
    name = call.body.project_name if call.body else None
    in_procore = call.body.procore_project_id if call.body else None
    job_id = _path_value(erp_job_id)
    budget = erp_projects.link(call.ports, call.caller, company_id, job_id, name, in_procore)
    return LinkResponse(
        project_id=budget.project_id,
        project_name=budget.project_name,
        budget_id=budget.budget_id,
        status=budget.status,
        procore_project_id=budget.target_project_id,
    )


@adoption.operation(
    "DELETE",
    COMPANY + "/erp/projects/{erp_job_id}/link",
    summary="Unlink an ERP job; the project and its lines stay (ERP admin)",
    tag="ERP projects",
    answer=None,
    status=204,
    errors=_WRITE,
)
def unlink_erp_project(call: Call[Any, Any], company_id: str, erp_job_id: str) -> Answer:
    erp_projects.unlink(call.ports, call.caller, company_id, _path_value(erp_job_id))
    return Answer(body={}, status=204)


# ---- cost catalog -----------------------------------------------------------------------------


@adoption.operation(
    "GET",
    COMPANY + "/cost-catalog",
    summary="The cost codes and cost types the company knows",
    tag="Cost catalog",
    answer=CatalogResponse,
    errors=_READ,
)
def get_cost_catalog(call: Call[Any, Any], company_id: str) -> CatalogResponse:
    return CatalogResponse.of(catalog.get_catalog(call.ports, call.caller, company_id))


@adoption.operation(
    "PUT",
    COMPANY + "/cost-catalog",
    summary="Replace the cost catalog (ERP admin)",
    tag="Cost catalog",
    answer=CatalogResponse,
    body=CatalogBody,
    errors=_WRITE,
    description="409 `in_use` (with the lines' `keys`) when a removed code is used by a budget.",
)
def put_cost_catalog(call: Call[CatalogBody, Any], company_id: str) -> CatalogResponse:
    saved = catalog.put_catalog(call.ports, call.caller, company_id, call.body.to_domain())
    return CatalogResponse.of(saved)


@adoption.operation(
    "POST",
    COMPANY + "/cost-catalog/sync",
    summary="Add the ERP's cost codes and cost types (never removes) (ERP admin)",
    tag="Cost catalog",
    answer=SyncResponse,
    errors=(*_WRITE, *_ERP),
)
def sync_cost_catalog(call: Call[Any, Any], company_id: str) -> SyncResponse:
    codes, types = catalog.sync_catalog(call.ports, call.caller, company_id)
    return SyncResponse(added_cost_codes=codes, added_cost_types=types)


# ---- members ----------------------------------------------------------------------------------


@adoption.operation(
    "GET",
    COMPANY + "/members",
    summary="The company's members (ERP admin or Budget admin)",
    tag="Members",
    answer=MemberList,
    errors=_READ,
)
def list_members(call: Call[Any, Any], company_id: str) -> MemberList:
    found = members.list_members(call.ports, call.caller, company_id)
    return MemberList(members=[MemberOut.of(m) for m in found])


@adoption.operation(
    "POST",
    COMPANY + "/members",
    summary="Invite a person, or add one who already has an account (ERP admin or Budget admin)",
    tag="Members",
    answer=MemberOut,
    status=201,
    body=MemberBody,
    errors=(*_WRITE, 503),
)
def add_member(call: Call[MemberBody, Any], company_id: str) -> MemberOut:
    body = call.body
    permissions = (Permission.parse(body.erp_permission), Permission.parse(body.budget_permission))
    added = members.add_member(call.ports, call.caller, company_id, body.email, permissions)
    return MemberOut.of(added)


@adoption.operation(
    "PATCH",
    COMPANY + "/members/{email}",
    summary="Change a member's permissions (ERP admin or Budget admin)",
    tag="Members",
    answer=MemberOut,
    body=MemberPatch,
    errors=_WRITE,
    description="409 `last_admin` when it would leave a tool without an admin.",
)
def change_member(call: Call[MemberPatch, Any], company_id: str, email: str) -> MemberOut:
    body = call.body
    changed = members.change_member(
        call.ports,
        call.caller,
        company_id,
        _path_value(email),
        Permission.parse(body.erp_permission) if body.erp_permission else None,
        Permission.parse(body.budget_permission) if body.budget_permission else None,
    )
    return MemberOut.of(changed)


@adoption.operation(
    "DELETE",
    COMPANY + "/members/{email}",
    summary="Remove a member; their next request here answers 404 (ERP admin or Budget admin)",
    tag="Members",
    answer=None,
    status=204,
    errors=_WRITE,
)
def remove_member(call: Call[Any, Any], company_id: str, email: str) -> Answer:
    members.remove_member(call.ports, call.caller, company_id, _path_value(email))
    return Answer(body={}, status=204)


# ---- audit log --------------------------------------------------------------------------------


@adoption.operation(
    "GET",
    COMPANY + "/audit",
    summary="The company's audit log, newest first (ERP admin or Budget admin)",
    tag="Audit",
    answer=AuditList,
    query=PageQuery,
    errors=_READ,
)
def list_audit(call: Call[Any, PageQuery], company_id: str) -> AuditList:
    q = call.query
    page = audit.list_events(call.ports, call.caller, company_id, q.limit, q.cursor)
    return AuditList(events=[AuditEventOut.of(e) for e in page.items], next_cursor=page.next_cursor)


# ---- session ----------------------------------------------------------------------------------


@adoption.operation(
    "POST",
    "/session/new-password",
    summary="Choose a new password after signing in with a temporary one",
    tag="Session",
    answer=SessionResponse,
    auth=False,
    body=NewPasswordRequest,
    errors=(400, 401, 422, 503),
    description="422 `weak_password` when the password breaks the password rules.",
)
def set_new_password(call: Call[NewPasswordRequest, Any]) -> SessionResponse:
    body = call.body
    token = call.ports.identity.set_new_password(body.email, body.session, body.new_password)
    return SessionResponse(token=token.token, expires_in=token.expires_in)


# ---- the local stack's outbox -------------------------------------------------------------------


@adoption.operation(
    "GET",
    "/dev/outbox",
    summary="The local stack's invitations, newest first (answers 404 in a deployment)",
    tag="Local stack",
    answer=Outbox,
    auth=False,
    errors=(404,),
)
def dev_outbox(call: Call[Any, Any]) -> Outbox:
    # Only the local stack keeps invitations instead of sending them; anywhere else the route
    # does not exist for anyone.
    if runtime_settings().invitations != "outbox":
        raise NotFound("There is nothing at this address.")
    return Outbox([OutboxMessageOut.of(m) for m in call.ports.accounts.outbox()])
