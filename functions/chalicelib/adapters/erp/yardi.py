"""The Yardi Voyager connector: a SOAP 1.1 job cost interface (`.asmx`).

Every call posts a SOAP envelope carrying the interface's sign-in in its body (user name,
password, server, database, platform, interface entity), as Yardi's interfaces do. Answers are
parsed with defusedxml with DTDs forbidden: no entity expansion (billion laughs), no external
entity, no fetch. A SOAP fault is permanent when its code is `Client` (the request will not pass
as sent) and transient when it is `Server`. Yardi names are inverted against Budget Bridge's:
Yardi's cost category → cost code, Yardi's cost code → cost type; there are no sub jobs.
The operation and element names are choices (docs/erps/yardi.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from xml.etree.ElementTree import Element, ParseError  # noqa: S405 - types only; parsing is defusedxml's
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeXml
from defusedxml import DefusedXmlException

from chalicelib.adapters.erp.common import mapping
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.http import (
    MAX_PAGES,
    ErpHttp,
    HttpFailure,
    Limits,
    retry_after_seconds,
)
from chalicelib.adapters.erp.common.jobs import no_such_job
from chalicelib.adapters.erp.common.names import erp_name
from chalicelib.adapters.erp.common.required import require_settings
from chalicelib.domain.errors import ErpAuthFailed, ErpRejected, ErpUnavailable
from chalicelib.domain.model import (
    CatalogEntry,
    ErpCatalog,
    ErpConnection,
    ErpCredentials,
    ErpLine,
    ErpProject,
    ErpProjectPage,
    LineKind,
)

SERVICE = "/Webservices/ItfJobCost.asmx"
SERVICE_PATH = "service_path"  # the setting that moves the service: a path under the Base URL
NAMESPACE = "http://tempuri.org/YSI.Interfaces.WebServices/ItfJobCost"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
PAGE_SIZE = 500
SIGN_IN_FIELDS = ("server", "database", "platform", "interface_entity")
_FAULT_LIMIT = 200

# One segment of the service's path (`service_path_problem`): the URL characters that cannot end
# the path (`?`, `#`), split it (a backslash) or start a host (`@`, `:` or `.` first), and escapes
# of anything but a slash, a backslash, a dot or a control character.
_SEGMENT = re.compile(
    r"(?![.:@])"
    r"(?:[A-Za-z0-9\-_~!$&'()*+,;=:@.]|%(?![01][0-9A-Fa-f]|2[EeFf]|5[Cc]|7[Ff])[0-9A-Fa-f]{2})+"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def service_path_problem(value: str) -> str | None:
    """Why `value` cannot be the `service_path` setting, as a sentence; None when it can.

    The envelope carries the sign-in, and saved credentials go only to the address they were
    saved for (docs/adoption.md, "The ERP connection"; docs/erps/yardi.md): the service is a
    path under the Base URL, of ordinary segments with one optional `/` before and after. No
    scheme or host, no `//`, no `..` or segment starting with `.`, `:` or `@`, no `?`, `#` or
    `\\`, no escaped `/`, `.`, `\\` or control character: each could name another host
    (`.attacker.net/x` after `https://yardi.example.com`) or climb out of the Base URL's path to
    another company's Voyager on a shared host. (`ErpHttp.url_of` joins the path with a `/`, so
    `60/steal` after `http://host:80` is a path there, not port 8060.)
    """
    path = value.strip()
    if not path:
        return None  # the default service
    relative = path.removeprefix("/").removesuffix("/")
    segments = relative.split("/")  # an empty one is a `//`
    if _SCHEME.match(relative) or not all(_SEGMENT.fullmatch(s) for s in segments):
        return (
            "The setting 'service_path' must be a path under the Base URL, such as "
            f"'{SERVICE}': segments of letters, digits and '-', '_', '.', '~', with no scheme, "
            "host, '//', '..', '?', '#' or '\\', and no segment starting with '.', ':' or '@'."
        )
    return None


def service_path(settings: Mapping[str, str]) -> str:
    """The service's path under the Base URL, as every call posts to it (blank: the default)."""
    return "/" + ((settings.get(SERVICE_PATH) or "").strip().strip("/") or SERVICE.strip("/"))


class _ClientFault(ErpRejected):
    """A `soap:Client` fault: the request will not pass as sent. Yardi answers a wrong sign-in and
    a job it does not have alike, so the budget read asks the job list which it was."""


class _SignInRefused(ErpAuthFailed):
    """A `soap:Client` fault to the first page of a call that names no job (the job list, the
    cost codes): only the sign-in in the envelope can be what Yardi refused."""


# The calls whose arguments are the sign-in and the page alone. A later page's fault, after the
# first passed with the same sign-in, is not the sign-in's.
_SIGN_IN_ONLY = frozenset({"GetJobs", "GetCostCategories", "GetCostCodes"})


class SoapFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # "Client" or "Server", without the envelope's prefix
        self.message = message


def parse(raw: bytes) -> Element:
    """An XML document from Yardi, with DTDs (and so every entity trick) refused."""
    try:
        return SafeXml.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError):
        raise ErpRejected(
            "Yardi Voyager's answer was not a SOAP document Budget Bridge reads (it was malformed "
            "or declared a DTD or entities): check the Yardi Voyager connection's address."
        ) from None


def fault_of(document: Element) -> SoapFault | None:
    fault = document.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    if fault is None:
        return None
    code = (fault.findtext("faultcode") or "").split(":")[-1].strip()
    # The fault's own words, whole: they are judged for secrets before being cut short.
    return SoapFault(code, fault.findtext("faultstring") or "")


class _SoapHttp(ErpHttp):
    def is_final(self, failure: HttpFailure) -> bool:
        try:
            fault = fault_of(parse(failure.body))
        except ErpRejected:
            return False
        return fault is not None and fault.code == "Client"


class YardiSource:
    system = "yardi"

    def __init__(
        self,
        base_url: str,
        settings: dict[str, str],
        credentials: ErpCredentials,
        *,
        page_size: int = PAGE_SIZE,
        limits: Limits | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._base_url = base_url
        self._settings = settings
        self._credentials = credentials
        self._page_size = page_size
        self._limits = limits or Limits()
        self._sleep = sleep

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> YardiSource:
        require_settings(cls.system, connection.settings, SIGN_IN_FIELDS,
                         "set them as Yardi's administrator gave them for the interface.")  # fmt: skip
        return cls(connection.base_url, dict(connection.settings), credentials,
                   limits=deployment.limits())  # fmt: skip

    def _client(self) -> ErpHttp:
        return _SoapHttp(
            self._base_url, None, limits=self._limits,
            secrets=tuple(self._credentials.values.values()),
            sleep=self._sleep, erp_name=erp_name(self.system),
        )  # fmt: skip

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        def native_of(row: dict[str, str], number: int) -> mapping.NativeLine:
            if row.get("JobCode") not in (None, "", erp_job_id):
                raise ErpRejected(
                    f"Line {number} of Yardi Voyager's answer belongs to job '{row['JobCode']}', "
                    f"not to '{erp_job_id}': the interface did not filter the budget by job."
                )
            return mapping.NativeLine(
                ref=row.get("LineId") or f"{erp_job_id}#{number}",
                sub_job="",
                cost_code=row.get("CostCategory") or None,  # Yardi's names are inverted
                cost_type=row.get("CostCode") or None,
                kind=LineKind.REVENUE if row.get("Type") == "Revenue" else LineKind.COST,
                amount=row.get("Amount"),
                description=row.get("Description") or "",
            )

        rows = self._all("GetJobCostBudget", {"JobCode": erp_job_id}, "Line", on_page)
        try:
            return mapping.collect(rows, native_of)
        except _ClientFault as refused:
            # The job list tells which it was: refused as well, the sign-in; answered without
            # the job, the job; answered with it, the first refusal stands.
            try:
                listed = self._job_ids()
            except _SignInRefused as wrong_sign_in:
                raise wrong_sign_in from None
            except ErpRejected:
                raise refused from None
            if erp_job_id.strip() not in set(listed):
                raise no_such_job(self.system, erp_job_id, "job") from None
            raise

    def _job_ids(self) -> list[object]:
        return [row.get("JobCode") for row in self._all("GetJobs", {}, "Job")]

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        projects = (
            ErpProject(erp_job_id=row["JobCode"], name=row.get("Name", ""),
                       erp_status=row.get("Status", ""))
            for row in self._all("GetJobs", {}, "Job")
            if row.get("JobCode")
        )  # fmt: skip
        return ErpProjectPage.window(projects, offset, limit)

    def cost_catalog(self) -> ErpCatalog:
        categories = self._all("GetCostCategories", {}, "CostCategory")
        codes = self._all("GetCostCodes", {}, "CostCode")
        return ErpCatalog(
            cost_codes=_entries(categories, "Code"),  # Yardi's categories are our cost codes
            cost_types=_entries(codes, "Code"),
        )

    def _all(
        self, operation: str, arguments: dict[str, str], element: str,
        on_page: Callable[[int], None] | None = None,
    ) -> Iterator[dict[str, str]]:  # fmt: skip
        client = self._client()
        done = 0
        for _ in range(MAX_PAGES):
            page = {**arguments, "StartIndex": str(done), "PageSize": str(self._page_size)}
            rows, more = self._page(client, operation, page, element)
            yield from rows
            done += len(rows)
            if on_page is not None:
                on_page(done)
            if not more or not rows:
                return
        raise ErpRejected(f"Yardi Voyager kept answering more pages of {operation}; stopped.")

    def _page(
        self, client: ErpHttp, operation: str, arguments: dict[str, str], element: str
    ) -> tuple[list[dict[str, str]], bool]:
        doing = f"run the {operation} call"
        # The first page of a call naming no job: a Client fault can only be the sign-in's.
        only_sign_in = operation in _SIGN_IN_ONLY and arguments.get("StartIndex") == "0"
        headers = {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml",
                   "SOAPAction": f'"{NAMESPACE}/{operation}"'}  # fmt: skip
        try:
            raw = client.call("POST", self._service(), doing, raw=self._envelope(operation, arguments),
                              headers=headers)  # fmt: skip
        except HttpFailure as failure:
            raise self._explain(client, failure, doing, only_sign_in) from None
        document = parse(raw)
        fault = fault_of(document)
        if fault is not None:
            raise self._fault_error(client, fault, doing, only_sign_in)
        result = document.find(f".//{{{NAMESPACE}}}{operation}Result")
        if result is None:
            raise ErpRejected(
                f"Yardi Voyager's answer to {operation} had no {operation}Result: check the Yardi "
                "Voyager connection's address."
            )
        rows = [_fields(item) for item in result.iter(f"{{{NAMESPACE}}}{element}")]
        return rows, (result.get("MoreRows") or "").lower() == "true"

    def _service(self) -> str:
        # A path saved before the rule was checked at save is refused here, before any envelope.
        problem = service_path_problem(self._settings.get(SERVICE_PATH) or "")
        if problem is not None:
            raise ErpRejected(problem)
        return service_path(self._settings)

    def _envelope(self, operation: str, arguments: dict[str, str]) -> bytes:
        sign_in = {
            "UserName": self._credentials.username,
            "Password": self._credentials.password,
            "ServerName": self._settings.get("server", ""),
            "Database": self._settings.get("database", ""),
            "Platform": self._settings.get("platform", ""),
            "InterfaceEntity": self._settings.get("interface_entity", ""),
        }
        body = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in {**sign_in, **arguments}.items())
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body>'
            f'<{operation} xmlns="{NAMESPACE}">{body}</{operation}>'
            "</soap:Body></soap:Envelope>"
        ).encode()

    def _explain(
        self, client: ErpHttp, failure: HttpFailure, doing: str, only_sign_in: bool
    ) -> ErpRejected | ErpUnavailable:
        try:
            fault = fault_of(parse(failure.body))
        except ErpRejected:
            fault = None
        if fault is None:
            return client.explain(failure, doing, quote_body=False)
        if fault.code != "Client":
            said = client.quote(fault.message, _FAULT_LIMIT)
            return ErpUnavailable(
                f"Yardi Voyager had a problem ({said or failure.status}) when trying to "
                f"{doing}; the job will try again.",
                retry_after=failure.retry_after,
                retry_after_seconds=retry_after_seconds(failure.retry_after),
            )
        return self._fault_error(client, fault, doing, only_sign_in)

    def _fault_error(
        self, client: ErpHttp, fault: SoapFault, doing: str, only_sign_in: bool
    ) -> ErpRejected | ErpUnavailable:
        said = client.quote(fault.message, _FAULT_LIMIT)  # never a credential the envelope sent
        if fault.code != "Client":
            return ErpUnavailable(f"Yardi Voyager had a problem when trying to {doing} ({said}); "
                                  "the job will try again.")  # fmt: skip
        if only_sign_in:
            return _SignInRefused(
                f"Yardi Voyager refused the sign-in when trying to {doing}"
                + (f" ({said})" if said else "")
                + ": check the Yardi Voyager connection's user name, password, server, database, "
                "platform and interface entity."
            )
        return _ClientFault(
            f"Yardi Voyager refused to {doing}" + (f" ({said})" if said else "") + ": check the "
            "Yardi Voyager connection's sign-in (user name, password, server, database, platform "
            "and interface entity) and that the job exists in Yardi Voyager."
        )


def _fields(item: Element) -> dict[str, str]:
    """An element's children as text by local name (the namespace is the interface's own)."""
    return {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in item}


def _entries(rows: Iterator[dict[str, Any]], code: str) -> list[CatalogEntry]:
    entries: dict[str, CatalogEntry] = {}
    for row in rows:
        value = (row.get(code) or "").strip()
        if value:
            entries[value] = CatalogEntry(code=value, description=row.get("Description") or "")
    return [entries[key] for key in sorted(entries)]
