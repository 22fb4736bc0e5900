"""The Sage Intacct connector: REST `/ia/api/v1`, OAuth2 client credentials, the query service.

A job's budget is the `original` workflow lines of the project's primary, posted estimate
(`construction/project-estimate` and `construction/project-estimate-line`), read page by page
through `services/core/query` until `ia::meta.next` is null. Task → cost code, cost type → cost
type, no sub job; lines of the revenue accumulation type are revenue. docs/erps/intacct.md has
the connection fields and limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from chalicelib.adapters.erp.common import mapping
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits, read_pages
from chalicelib.adapters.erp.common.names import erp_name
from chalicelib.adapters.erp.common.signin import OAuth2SignIn
from chalicelib.domain.errors import ErpRejected
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


class _IaMeta(BaseModel):
    next: int | str | None = None  # the next page's start; null on the last page


class _IaPage(BaseModel):
    """The query service's envelope; the records stay as sent (amounts exact)."""

    result: list[dict[str, Any]] = Field(alias="ia::result")
    meta: _IaMeta = Field(alias="ia::meta")


API = "/ia/api/v1"
QUERY = f"{API}/services/core/query"
TOKEN = f"{API}/oauth2/token"
DEFAULT_PAGE_SIZE = 1000  # the query service allows up to 4,000
REVENUE_ACCUMULATION_TYPE = "Revenue"
_LINE_FIELDS = ["key", "task.id", "costType.id", "amount", "workflowType", "memo",
                "accumulationType.id"]  # fmt: skip


class IntacctSource:
    system = "intacct"

    def __init__(
        self,
        base_url: str,
        credentials: ErpCredentials,
        *,
        settings: dict[str, str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        limits: Limits | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._base_url = base_url
        self._credentials = credentials
        self._settings = settings or {}
        self._page_size = page_size
        self._limits = limits or Limits()
        self._sleep = sleep

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> IntacctSource:
        return cls(
            connection.base_url, credentials, settings=dict(connection.settings),
            limits=deployment.limits(),
        )  # fmt: skip

    def _client(self) -> ErpHttp:
        client_id = self._credentials.get("client_id")
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": self._credentials.get("client_secret"),
        }
        if self._credentials.get("username"):  # a user to act as, when the ERP asks for one
            form["username"] = self._credentials.get("username")
        return ErpHttp(
            self._base_url, OAuth2SignIn(TOKEN, form, f"client '{client_id}'"),
            limits=self._limits, secrets=tuple(self._credentials.values.values()),
            sleep=self._sleep, erp_name=erp_name(self.system),
        )  # fmt: skip

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        client = self._client()
        estimate = self._primary_estimate(client, erp_job_id)
        filters = [
            {"$eq": {"projectEstimate.key": estimate}},
            {"$eq": {"workflowType": "original"}},
        ]
        rows = self._query(client, "construction/project-estimate-line", _LINE_FIELDS, filters,
                           on_page)  # fmt: skip
        revenue = self._settings.get("revenue_accumulation_type") or REVENUE_ACCUMULATION_TYPE

        def native_of(row: dict[str, Any], number: int) -> mapping.NativeLine | None:
            if mapping.text(row, "workflowType") not in (None, "original"):
                return None  # the query filtered these out; an ERP that did not is not trusted
            is_revenue = mapping.text(row, "accumulationType.id") == revenue
            return mapping.NativeLine(
                ref=mapping.text(row, "key") or f"line-{number}",
                sub_job="",
                cost_code=mapping.text(row, "task.id"),
                cost_type=mapping.text(row, "costType.id"),
                kind=LineKind.REVENUE if is_revenue else LineKind.COST,
                amount=row.get("amount"),
                description=str(row.get("memo") or ""),
            )

        return mapping.collect(rows, native_of, ("task", "cost type"))

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        rows, more = self._page(
            self._client(), "projects/project", ["id", "name", "status"], [], offset, limit
        )
        projects = [
            ErpProject(erp_job_id=str(row["id"]), name=str(row.get("name") or ""),
                       erp_status=str(row.get("status") or ""))
            for row in rows if mapping.text(row, "id")
        ]  # fmt: skip
        return ErpProjectPage(projects=projects, has_more=more)

    def cost_catalog(self) -> ErpCatalog:
        client = self._client()
        tasks = self._query(client, "projects/task", ["id", "name"], [])
        types = self._query(client, "construction/cost-type", ["id", "name"], [])
        return ErpCatalog(cost_codes=_entries(tasks), cost_types=_entries(types))

    # -- the query service --------------------------------------------------------------------

    def _primary_estimate(self, client: ErpHttp, erp_job_id: str) -> str:
        filters: list[dict[str, Any]] = [
            {"$eq": {"project.id": erp_job_id}},
            {"$eq": {"isPrimary": True}},
        ]
        fields = ["key", "id", "isPrimary", "state"]
        for row in self._query(client, "construction/project-estimate", fields, filters):
            if row.get("isPrimary") is True and mapping.text(row, "state") == "posted":
                key = mapping.text(row, "key")
                if key:
                    return key
        raise ErpRejected(
            f"Sage Intacct has no primary, posted estimate for project '{erp_job_id}': post the "
            "project's estimate and mark it primary in Sage Intacct, or check the ERP job id."
        )

    def _query(
        self,
        client: ErpHttp,
        name: str,
        fields: list[str],
        filters: list[dict[str, Any]],
        on_page: Callable[[int], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        return read_pages(
            lambda offset: self._page(client, name, fields, filters, offset, self._page_size),
            on_page,
        )

    def _page(
        self, client: ErpHttp, name: str, fields: list[str], filters: list[dict[str, Any]],
        offset: int, size: int,
    ) -> tuple[list[dict[str, Any]], bool]:  # fmt: skip
        body = {"object": name, "fields": fields, "filters": filters, "start": offset + 1,
                "size": size}  # fmt: skip
        doing = f"read {client.name}'s {name} records"
        try:
            payload = client.call("POST", QUERY, doing, json_body=body)
        except HttpFailure as failure:
            raise client.explain(failure, doing) from None
        try:
            page = _IaPage.model_validate(payload)
        except ValidationError:
            raise ErpRejected(
                f"{client.title}'s answer for {name} records was not an ia::result list of records "
                f"with its ia::meta: check the {client.erp} connection's address."
            ) from None
        return page.result, page.meta.next is not None


def _entries(rows: Iterator[dict[str, Any]]) -> list[CatalogEntry]:
    entries = {}
    for row in rows:
        code = mapping.text(row, "id")
        if code:
            entries[code] = CatalogEntry(code=code, description=str(row.get("name") or ""))
    return [entries[code] for code in sorted(entries)]
