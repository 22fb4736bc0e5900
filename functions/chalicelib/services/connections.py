"""A company's ERP connection: save (secrets to the secret store only), read, test, delete.

The connection's non-secret fields live with the company; its credentials live in one secret named
`<ERP_SECRET_PREFIX><company_id>`, never in a table, a log, an answer or the audit log. The base
URL is judged by the one URL guard (`adapters/erp/common/url_guard.py`, passed in as `judge_url`), which
every connector also calls before each request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chalicelib import resources
from chalicelib.adapters.erp import acumatica, yardi
from chalicelib.adapters.erp.common.names import erp_name
from chalicelib.domain import admission
from chalicelib.domain.erp_fields import FIELD_NAME, FIELDS, MAX_FIELD_VALUE, fields_of, required
from chalicelib.domain.errors import (
    ErpAuthFailed,
    ErpRejected,
    ErpUnavailable,
    InvalidConnection,
    JobInProgress,
    NotFound,
    without_retry_promise,
)
from chalicelib.domain.model import (
    ConnectionStatus,
    ErpConnection,
    ErpCredentials,
    Permission,
)
from chalicelib.domain.ports import ErpSource, Identity
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize
from chalicelib.services.ports import Ports

PROJECTS_COUNTED = 5000  # the test counts the ERP's projects up to this many
_COUNT_PAGE = 500

UrlJudge = Callable[[str], None]  # raises InvalidConnection("base_url", ...) for a refused URL


@dataclass(frozen=True)
class ConnectionInput:
    erp_system: str
    base_url: str
    settings: Mapping[str, str]
    credentials: Mapping[str, str] | None  # None keeps the stored ones


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
    code: str | None = None
    projects_visible: int | None = None


def secret_id_for(company_id: str) -> str:
    return f"{resources.ERP_SECRET_PREFIX}{company_id}"


def get_connection(ports: Ports, identity: Identity, company_id: str) -> ErpConnection | None:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.READ_ONLY)
    return _current(ports, company_id)


def stored_secret_fields(
    ports: Ports, connection: ErpConnection, saved: Mapping[str, str] | None = None
) -> tuple[str, ...] | None:
    """The names of the connection's secret fields that hold a value, in the order its ERP declares
    them (domain/erp_fields.py): never a value. `saved` are the credentials a save just stored (no
    read); otherwise the stored secret is read, one call to the secret store. () for a connection
    without a secret, or whose secret is missing; None when the secret store cannot answer now (the
    connection is still answered, with `credentials_set`). A key the ERP does not declare (none is
    saved so) is left out."""
    if not connection.signs_in:
        return ()
    if saved is None:
        try:
            saved = ports.secrets.erp_credentials(connection.credentials_secret_id).values
        except ErpUnavailable:
            return None
        except ErpRejected:
            return ()
    return tuple(name for name in required(connection.erp_system).known_secrets if saved.get(name))


def _current(ports: Ports, company_id: str) -> ErpConnection | None:
    try:
        return ports.directory.erp_connection(company_id)
    except NotFound:
        return None


def put_connection(
    ports: Ports,
    identity: Identity,
    company_id: str,
    given: ConnectionInput,
    judge_url: UrlJudge,
) -> ErpConnection:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    erp_system = given.erp_system.strip().lower()
    _check_fields(erp_system, given)
    _check_path_settings(erp_system, given)
    _check_company_settings(company_id, erp_system, given)
    calls_erp = required(erp_system).calls_erp
    if calls_erp:
        judge_url(given.base_url)
        _judge_token_url(given, judge_url)
    existing = _current(ports, company_id)
    secret_id = secret_id_for(company_id) if calls_erp else ""
    if calls_erp and given.credentials is None:
        _check_credentials_kept(existing, erp_system, given)
    connection = ErpConnection(
        erp_system=erp_system,
        base_url=given.base_url if calls_erp else "",
        settings=dict(given.settings),
        credentials_secret_id=secret_id,
        status=ConnectionStatus.UNTESTED,
    )
    if (
        existing is not None
        and given.credentials is None
        and (existing.erp_system, _address(existing.base_url), existing.settings)
        == (connection.erp_system, _address(connection.base_url), connection.settings)
    ):
        # Saved again as it was: the last test still says whether this connection works.
        connection = connection.model_copy(
            update={
                "status": existing.status,
                "last_tested_at": existing.last_tested_at,
                "last_error": existing.last_error,
            }
        )
    _check_connector(ports, connection)
    if calls_erp and given.credentials is not None:
        ports.secrets.put_erp_credentials(secret_id, ErpCredentials(dict(given.credentials)))
    ports.directory.put_erp_connection(company_id, connection)
    if not calls_erp and existing and existing.credentials_secret_id:
        # An uploaded export needs no sign-in: the previous ERP's secret is not kept about.
        ports.secrets.delete_erp_credentials(existing.credentials_secret_id)
    audit.record(
        ports, company_id, identity.email, audit.CONNECTION_SAVED, erp_system,
        base_url=connection.base_url,
        settings=sorted(given.settings),
        credentials_changed=sorted(given.credentials or {}) if calls_erp else [],
    )  # fmt: skip
    return connection


def _check_fields(erp_system: str, given: ConnectionInput) -> None:
    if not FIELD_NAME.match(erp_system):
        raise InvalidConnection("erp_system", "The ERP system must be a name such as 'acumatica'.")
    needs = fields_of(erp_system)
    if needs is None:
        raise InvalidConnection(
            "erp_system",
            f"Budget Bridge has no connector for the ERP system '{erp_system}' (it knows: "
            f"{', '.join(sorted(FIELDS))}).",
        )
    if needs.calls_erp and not given.base_url.strip():
        raise InvalidConnection("base_url", "The Base URL of the ERP is required.")
    for kind, values, known in (
        ("settings", given.settings, needs.known_settings),
        ("credentials", given.credentials or {}, needs.known_secrets),
    ):
        for name, value in values.items():
            if not FIELD_NAME.match(name):
                raise InvalidConnection(
                    f"{kind}.{name}", f"'{name[:40]}' is not a field name ({kind})."
                )
            if name not in known:
                raise InvalidConnection(f"{kind}.{name}", _unknown(erp_system, kind, name, known))
            if len(value) > MAX_FIELD_VALUE:
                raise InvalidConnection(f"{kind}.{name}", f"The {kind} field {name} is too long.")
    for name in needs.settings:
        if not given.settings.get(name, "").strip():
            raise InvalidConnection(f"settings.{name}", f"The setting '{name}' is required.")
    for name, allowed in needs.choices.items():
        if needs.choice(name, given.settings) is None:
            raise InvalidConnection(
                f"settings.{name}", f"The setting '{name}' must be one of: {', '.join(allowed)}."
            )
    if given.credentials is not None:
        for name in needs.secrets:
            if not given.credentials.get(name, ""):
                raise InvalidConnection(
                    f"credentials.{name}", f"The credential '{name}' is required."
                )


def _check_credentials_kept(
    existing: ErpConnection | None, erp_system: str, given: ConnectionInput
) -> None:
    """A save without credentials keeps the stored ones, which are only of use to the ERP they
    were given for: switching to another ERP that signs in takes its own. Nor are they sent to
    another address than the one they were saved for: a save that changes the Base URL (or a
    setting that says where requests go, `ADDRESS_SETTINGS`) takes them again, so an admin who
    can change the address cannot have the stored secrets sent where they choose
    (docs/adoption.md, "The ERP connection")."""
    needed = ", ".join(required(erp_system).secrets)
    if existing is None or not existing.signs_in:
        raise InvalidConnection(
            "credentials", f"The credentials are required for a new connection: {needed}."
        )
    if existing.erp_system != erp_system:
        raise InvalidConnection(
            "credentials",
            f"The stored credentials are {erp_name(existing.erp_system)}'s; switching to "
            f"{erp_name(erp_system)} takes its credentials: {needed}.",
        )
    moved = ["Base URL"] if _address(existing.base_url) != _address(given.base_url) else []
    moved += [
        label
        for name, (label, where) in ADDRESS_SETTINGS.items()
        if name in required(erp_system).known_settings
        and where(erp_system, existing.settings) != where(erp_system, given.settings)
    ]
    if moved:
        raise InvalidConnection(
            "credentials",
            f"Enter the credentials again ({needed}): they are only sent to the address they "
            f"were saved for, and this save changes the {' and the '.join(moved)}.",
        )


def _check_path_settings(erp_system: str, given: ConnectionInput) -> None:
    """A setting that is a path under the Base URL must stay one: Yardi's `service_path` may
    name no other host and climb out of no path (docs/erps/yardi.md)."""
    if erp_system == yardi.YardiSource.system:
        problem = yardi.service_path_problem(given.settings.get(yardi.SERVICE_PATH, ""))
        if problem is not None:
            raise InvalidConnection(f"settings.{yardi.SERVICE_PATH}", problem)


# The setting that names where QuickBooks Online's and Xero's secrets are sent to renew a token
# (docs/erps/qbo.md, docs/erps/xero.md): an address of the secrets as much as the Base URL is.
TOKEN_URL = "token_url"


def _judge_token_url(given: ConnectionInput, judge_url: UrlJudge) -> None:
    """The token URL receives the client secret and refresh token as the Base URL receives the
    rest: judged at save by the same guard (each call judges it again), refused naming itself."""
    token_url = given.settings.get(TOKEN_URL, "").strip()
    if not token_url:
        return
    try:
        judge_url(token_url)
    except InvalidConnection as refused:
        sentence = refused.message.replace("The base URL", "The token URL", 1)
        raise InvalidConnection(f"settings.{TOKEN_URL}", sentence) from None


def _address(url: str) -> str:
    """An address as the connectors call it (they drop a trailing slash)."""
    return url.strip().rstrip("/")


def _endpoint_version(erp_system: str, settings: Mapping[str, str]) -> str:
    """Acumatica's or MYOB's endpoint version as the connector calls it: blank is its default."""
    source = (
        acumatica.MyobSource
        if erp_system == acumatica.MyobSource.system
        else acumatica.AcumaticaSource
    )
    return source.endpoint_version(settings)


# The settings that, beside the Base URL, say where a connector sends the stored secrets or the
# session and tokens they open; changing one is changing the address (docs/adoption.md, "The ERP
# connection"): QuickBooks Online's and Xero's token URL, where a token is renewed
# (docs/erps/qbo.md, docs/erps/xero.md); Yardi's service path, where every envelope carries the
# sign-in (docs/erps/yardi.md); Acumatica's and MYOB's endpoint version, path text every read
# carrying the session goes to (docs/erps/acumatica.md, docs/erps/myob.md). Each is compared as
# its connector calls it. Workday's report names, QuickBooks Online's realm and the like are
# escaped into one path segment by their connectors: they name a record at the address, not one.
ADDRESS_SETTINGS: dict[str, tuple[str, Callable[[str, Mapping[str, str]], str]]] = {
    TOKEN_URL: ("token URL", lambda _, settings: _address(settings.get(TOKEN_URL, ""))),
    yardi.SERVICE_PATH: ("service path", lambda _, settings: yardi.service_path(settings)),
    "endpoint_version": ("endpoint version", _endpoint_version),
}


def _check_company_settings(company_id: str, erp_system: str, given: ConnectionInput) -> None:
    """A setting Budget Bridge writes as the company's id (the spreadsheet import's folder of
    uploaded exports) may come back only unchanged: another value would read and write another
    company's exports."""
    for name in required(erp_system).company_settings:
        if name in given.settings and given.settings[name] != company_id:
            raise InvalidConnection(
                f"settings.{name}",
                f"The setting '{name}' is kept by Budget Bridge; leave it out or send it back "
                "unchanged.",
            )


def _unknown(erp_system: str, kind: str, name: str, known: tuple[str, ...]) -> str:
    """The sentence for a field the ERP does not have (never its value: it may be a secret)."""
    what = "setting" if kind == "settings" else "credential"
    system = erp_name(erp_system)
    if not known:
        return f"The {system} connection takes no {kind}; leave out '{name}'."
    return f"The {system} connection has no {what} '{name}'; its {kind} are {', '.join(known)}."


def _check_connector(ports: Ports, connection: ErpConnection) -> None:
    """The ERP must be one Budget Bridge has a connector for (building one calls nothing)."""
    try:
        ports.erp_sources(connection, ErpCredentials())
    except ErpRejected as why:
        raise InvalidConnection("erp_system", why.message) from None
    except (ValueError, KeyError, TypeError):
        # A connector that cannot be built without its secrets exists all the same; the
        # connection test tells what is missing.
        return


def delete_connection(ports: Ports, identity: Identity, company_id: str) -> None:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    existing = _current(ports, company_id)
    if existing is None:
        raise NotFound("This company has no ERP connection.")
    check_no_job_running(ports, company_id)
    ports.directory.delete_erp_connection(company_id)
    if existing.credentials_secret_id:  # the spreadsheet import keeps none
        ports.secrets.delete_erp_credentials(existing.credentials_secret_id)
    audit.record(ports, company_id, identity.email, audit.CONNECTION_DELETED, existing.erp_system)


def check_no_job_running(ports: Ports, company_id: str) -> None:
    """Any queued or running job of the company refuses: a preview (which holds no budget) and a
    job on an unlinked project's budget too (docs/adoption.md, "The ERP connection")."""
    running = ports.jobs.unfinished(company_id, 1)
    if not running:
        return
    job = running[0]
    try:
        where = f"the budget for {ports.budgets.get(company_id, job.budget_id).project_name}"
    except NotFound:
        where = "a budget"
    raise JobInProgress(
        f"{admission.with_article(job.kind).capitalize()} of {where} is queued or running; try "
        "again when it has finished.",
        job_id=job.job_id,
    )


def erp_source(ports: Ports, company_id: str) -> tuple[ErpConnection, ErpSource]:
    """The company's ERP, ready to be called; NotFound when there is no connection."""
    connection = ports.directory.erp_connection(company_id)
    credentials = (
        ports.secrets.erp_credentials(connection.credentials_secret_id)
        if connection.signs_in
        else ErpCredentials()
    )
    return connection, ports.erp_sources(connection, credentials)


def check_connection(ports: Ports, identity: Identity, company_id: str) -> ConnectionCheck:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    connection = ports.directory.erp_connection(company_id)
    result = _try(ports, company_id)
    status = ConnectionStatus.OK if result.ok else ConnectionStatus.FAILING
    ports.directory.put_erp_connection(
        company_id,
        connection.model_copy(
            update={
                "status": status,
                "last_tested_at": ports.clock(),
                "last_error": None if result.ok else result.message,
            }
        ),
    )
    audit.record(
        ports, company_id, identity.email, audit.CONNECTION_TESTED, connection.erp_system,
        ok=result.ok, code=result.code,
    )  # fmt: skip
    return result


def _try(ports: Ports, company_id: str) -> ConnectionCheck:
    try:
        connection, source = erp_source(ports, company_id)
        visible = count_projects(source)
    except ErpAuthFailed as why:
        return ConnectionCheck(False, why.message, "erp_auth_failed")
    except ErpUnavailable as why:
        return ConnectionCheck(False, without_retry_promise(why.message), "erp_unreachable")
    except ErpRejected as why:
        return ConnectionCheck(False, why.message, "erp_rejected")
    noun = "project" if visible == 1 else "projects"
    if not required(connection.erp_system).calls_erp:
        noun = "job has" if visible == 1 else "jobs have"
        sentence = f"Ready: {visible} {noun} an uploaded budget export."
        return ConnectionCheck(True, sentence, None, visible)
    return ConnectionCheck(True, f"Connected: the ERP shows {visible} {noun}.", None, visible)


def count_projects(source: ErpSource) -> int:
    counted = 0
    while counted < PROJECTS_COUNTED:
        page = source.list_projects(counted, _COUNT_PAGE)
        counted += len(page.projects)
        if not page.has_more or not page.projects:
            break
    return counted
