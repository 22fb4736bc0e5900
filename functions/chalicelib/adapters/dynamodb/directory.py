"""The Directory port on DynamoDB: companies, members, cost catalogs, ERP connections, settings."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import resources
from chalicelib.adapters.dynamodb.base import batch_get, deserialize, error_code, key, serialize
from chalicelib.adapters.dynamodb.items import (
    META,
    TARGET,
    CatalogItem,
    CompanyItem,
    LinkItem,
    MemberItem,
    SettingsItem,
    TargetItem,
    company_pk,
    link_sk,
    member_sk,
    to_item,
)
from chalicelib.adapters.dynamodb.tables import DynamoTables
from chalicelib.domain.errors import AlreadyLinked, AlreadyMember, ConcurrentChange, NotFound
from chalicelib.domain.model import (
    CatalogEntry,
    CostCatalog,
    ErpCatalog,
    ErpConnection,
    ErpSettings,
    Membership,
    MemberStatus,
    Permission,
    ProjectLink,
    TargetConfig,
    catalog_codes,
)

# The schedule scans for companies with auto re-import; a directory holds few companies, but the
# scan stops after this many pages all the same.
MAX_SCAN_PAGES = 50


# What a job reads of its company (reading_company): the connection, target, catalog and settings.
_COMPANY_ITEMS = (META, TARGET, "CATALOG", "SETTINGS")


class DynamoDirectory(DynamoTables):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_ahead = threading.local()  # per thread: the API and the worker share a process

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        view: dict[tuple[str, str], dict[str, Any] | None] | None = getattr(
            self._read_ahead, "view", None
        )
        if view is not None and (pk, sk) in view:
            return view[(pk, sk)]
        return self.read_item(self.directory_table, pk, sk)

    def _wrote(self, pk: str, sk: str) -> None:
        """A write inside `reading_company`: that item is read afresh from now on."""
        view = getattr(self._read_ahead, "view", None)
        if view is not None:
            view.pop((pk, sk), None)

    def _put(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.directory_table, Item=serialize(item))
        self._wrote(item["pk"], item["sk"])

    def _put_new(self, item: dict[str, Any], taken: Exception) -> None:
        """Put an item that must not exist yet; `taken` is raised when it does."""
        try:
            self.client.put_item(
                TableName=self.directory_table,
                Item=serialize(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise taken from None
            raise
        self._wrote(item["pk"], item["sk"])

    def _update(self, pk: str, sk: str, **update: Any) -> None:
        self.client.update_item(TableName=self.directory_table, Key=key(pk, sk), **update)
        self._wrote(pk, sk)

    @contextlib.contextmanager
    def reading_company(self, company_id: str) -> Iterator[None]:
        pk = company_pk(company_id)
        keys = [key(pk, sk) for sk in _COMPANY_ITEMS]
        found = {item["sk"]: item for item in batch_get(self.client, self.directory_table, keys)}
        outer = getattr(self._read_ahead, "view", None)
        self._read_ahead.view = {(pk, sk): found.get(sk) for sk in _COMPANY_ITEMS}
        try:
            yield
        finally:
            self._read_ahead.view = outer

    # --- the port ---------------------------------------------------------------------------

    def memberships(self, email: str) -> list[Membership]:
        members: list[MemberItem] = []
        query: dict[str, Any] = {
            "TableName": self.directory_table,
            "IndexName": resources.DIRECTORY.indexes[0].name,
            "KeyConditionExpression": "gsi1pk = :m",
            "ExpressionAttributeValues": {":m": {"S": f"MEMBER#{email.lower()}"}},
        }
        while True:
            answer = self.client.query(**query)
            members += [MemberItem.model_validate(deserialize(i)) for i in answer["Items"]]
            if "LastEvaluatedKey" not in answer:
                break
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        names = self._company_names(m.company_id for m in members)
        return sorted(
            (_membership(m, names.get(m.company_id, m.company_id)) for m in members),
            key=lambda m: (m.company_name.lower(), m.company_id),
        )

    def membership(self, company_id: str, email: str) -> Membership | None:
        """The member item and the company's name in one BatchGetItem: every API request asks
        this first, so it costs one round trip, not two (docs/performance.md)."""
        pk = company_pk(company_id)
        found = {
            item["sk"]: item
            for item in batch_get(
                self.client, self.directory_table, [key(pk, member_sk(email)), key(pk, META)]
            )
        }
        raw = found.get(member_sk(email))
        if raw is None:
            return None
        company = found.get(META)
        name = company["name"] if company else company_id
        return _membership(MemberItem.model_validate(raw), name)

    def members(self, company_id: str) -> list[Membership]:
        name = self.company_name(company_id) or company_id
        items = self._query_prefix(company_pk(company_id), "MEMBER#")
        return [_membership(MemberItem.model_validate(item), name) for item in items]

    def company_name(self, company_id: str) -> str | None:
        company = self._get(company_pk(company_id), META)
        return str(company["name"]) if company else None

    def activate_member(self, company_id: str, email: str) -> None:
        with contextlib.suppress(ClientError):  # removed meanwhile: nothing to activate
            self._update(
                company_pk(company_id),
                member_sk(email),
                UpdateExpression="SET #s = :a",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":a": {"S": MemberStatus.ACTIVE.value}},
            )

    def change_member(
        self,
        before: Membership,
        erp_permission: Permission,
        budget_permission: Permission,
        keeping: Sequence[Membership] = (),
    ) -> None:
        """An UpdateItem conditioned on the member's permissions as read (so a member removed
        meanwhile is not written back), in one transaction with a check of each member of
        `keeping` when there are any (so two admins demoting each other at once cannot both
        succeed: the second finds the first no longer admin)."""
        write = _held(before) | {
            "UpdateExpression": "SET erp_permission = :e, budget_permission = :b",
        }
        write["ExpressionAttributeValues"] |= {
            ":e": {"S": erp_permission.label},
            ":b": {"S": budget_permission.label},
        }
        self._write_if_held(write, "Update", keeping)

    def remove_member(self, before: Membership, keeping: Sequence[Membership] = ()) -> None:
        self._write_if_held(_held(before), "Delete", keeping)

    def _write_if_held(
        self, write: dict[str, Any], kind: str, keeping: Sequence[Membership]
    ) -> None:
        write["TableName"] = self.directory_table
        checks = [
            {"ConditionCheck": _held(m) | {"TableName": self.directory_table}} for m in keeping
        ]
        try:
            if checks:
                self.client.transact_write_items(TransactItems=[{kind: write}, *checks])
            elif kind == "Update":
                self.client.update_item(**write)
            else:
                self.client.delete_item(**write)
        except ClientError as error:
            if error_code(error) not in (
                "ConditionalCheckFailedException",
                "TransactionCanceledException",
            ):
                raise
            raise ConcurrentChange(
                "The members changed meanwhile; reload them and try again."
            ) from None

    def cost_catalog(self, company_id: str) -> CostCatalog:
        return catalog_codes(self.catalog_entries(company_id))

    def catalog_entries(self, company_id: str) -> ErpCatalog:
        raw = self._get(company_pk(company_id), "CATALOG")
        if raw is None:
            return ErpCatalog([], [])
        item = CatalogItem.model_validate(raw)
        return ErpCatalog(
            [CatalogEntry(c, item.code_descriptions.get(c, "")) for c in sorted(item.cost_codes)],
            [CatalogEntry(c, item.type_descriptions.get(c, "")) for c in sorted(item.cost_types)],
        )

    def save_catalog(self, company_id: str, catalog: ErpCatalog) -> None:
        item = CatalogItem(
            pk=company_pk(company_id),
            cost_codes=sorted(e.code for e in catalog.cost_codes),
            cost_types=sorted(e.code for e in catalog.cost_types),
            code_descriptions={e.code: e.description for e in catalog.cost_codes},
            type_descriptions={e.code: e.description for e in catalog.cost_types},
        )
        self._put(to_item(item))

    def delete_erp_connection(self, company_id: str) -> None:
        self._update(company_pk(company_id), META, UpdateExpression="REMOVE erp")

    def links(self, company_id: str) -> dict[str, str]:
        return {job: link.project_id for job, link in self.project_links(company_id).items()}

    def project_links(self, company_id: str) -> dict[str, ProjectLink]:
        items = map(LinkItem.model_validate, self._query_prefix(company_pk(company_id), "LINK#"))
        return {i.erp_job_id: ProjectLink(i.project_id, i.project_name) for i in items}

    def put_link(
        self, company_id: str, erp_job_id: str, project_id: str, project_name: str = ""
    ) -> None:
        item = LinkItem(
            pk=company_pk(company_id),
            sk=link_sk(erp_job_id),
            erp_job_id=erp_job_id,
            project_id=project_id,
            project_name=project_name,
        )
        self._put_new(
            to_item(item),
            AlreadyLinked(f"The ERP job {erp_job_id} is already linked to a project."),
        )

    def delete_link(self, company_id: str, erp_job_id: str) -> None:
        self.client.delete_item(
            TableName=self.directory_table, Key=key(company_pk(company_id), link_sk(erp_job_id))
        )

    def _query_prefix(self, pk: str, prefix: str) -> list[dict[str, Any]]:
        query: dict[str, Any] = {
            "TableName": self.directory_table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": {":p": {"S": pk}, ":s": {"S": prefix}},
            "ConsistentRead": True,
        }
        found: list[dict[str, Any]] = []
        while True:
            answer = self.client.query(**query)
            found += [deserialize(raw) for raw in answer["Items"]]
            if "LastEvaluatedKey" not in answer:
                return found
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def erp_connection(self, company_id: str) -> ErpConnection:
        raw = self._get(company_pk(company_id), META)
        connection = CompanyItem.model_validate(raw).connection() if raw else None
        if connection is None:
            raise NotFound("This company has no ERP connection yet; an ERP admin can set one up.")
        return connection

    def erp_settings(self, company_id: str) -> ErpSettings:
        raw = self._get(company_pk(company_id), "SETTINGS")
        if raw is None:
            return ErpSettings()
        return ErpSettings.model_validate_json(SettingsItem.model_validate(raw).settings)

    def save_erp_settings(self, company_id: str, settings: ErpSettings) -> ErpSettings:
        item = SettingsItem(
            pk=company_pk(company_id),
            company_id=company_id,
            settings=settings.model_dump_json(),
            auto_reimport=settings.auto_reimport.enabled,
        )
        self._put(to_item(item))
        return settings

    def target(self, company_id: str) -> TargetConfig:
        raw = self._get(company_pk(company_id), TARGET)
        if raw is None:
            return TargetConfig()
        return TargetConfig.model_validate_json(TargetItem.model_validate(raw).target)

    def save_target(self, company_id: str, config: TargetConfig) -> TargetConfig:
        item = TargetItem(pk=company_pk(company_id), target=config.model_dump_json())
        self._put(to_item(item))
        return config

    def companies_with_auto_reimport(self) -> list[tuple[str, ErpSettings]]:
        scan: dict[str, Any] = {
            "TableName": self.directory_table,
            "FilterExpression": "sk = :s AND auto_reimport = :t",
            "ExpressionAttributeValues": {":s": {"S": "SETTINGS"}, ":t": {"BOOL": True}},
        }
        found = []
        for _ in range(MAX_SCAN_PAGES):
            answer = self.client.scan(**scan)
            for raw in answer["Items"]:
                item = SettingsItem.model_validate(deserialize(raw))
                found.append((item.company_id, ErpSettings.model_validate_json(item.settings)))
            if "LastEvaluatedKey" not in answer:
                break
            scan["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return sorted(found, key=lambda pair: pair[0])

    # --- seeding (local stack, tests) -------------------------------------------------------

    def put_company(self, company_id: str, name: str) -> None:
        existing = self._get(company_pk(company_id), META)
        erp = existing.get("erp") if existing else None
        self._put(to_item(CompanyItem(pk=company_pk(company_id), company_id=company_id, name=name,
                                      erp=erp)))  # fmt: skip

    def put_erp_connection(self, company_id: str, connection: ErpConnection) -> None:
        self._update(
            company_pk(company_id),
            META,
            UpdateExpression="SET erp = :e, company_id = :c, #n = if_not_exists(#n, :c)",
            ExpressionAttributeNames={"#n": "name"},
            ExpressionAttributeValues={
                ":e": {"S": connection.model_dump_json()},
                ":c": {"S": company_id},
            },
        )

    def put_member(
        self,
        company_id: str,
        email: str,
        erp_permission: Permission,
        budget_permission: Permission,
        status: MemberStatus = MemberStatus.ACTIVE,
    ) -> None:
        self._put(_member_item(company_id, email, erp_permission, budget_permission, status))

    def add_member(
        self,
        company_id: str,
        email: str,
        erp_permission: Permission,
        budget_permission: Permission,
        status: MemberStatus,
    ) -> None:
        """A put conditioned on no member by that address: of two invitations of one person at
        once, the second answers already_member instead of overwriting the first (and, as the
        service writes this before inviting, sends nothing)."""
        self._put_new(
            _member_item(company_id, email, erp_permission, budget_permission, status),
            AlreadyMember(f"{email.lower()} is already a member of this company."),
        )

    def put_cost_catalog(self, company_id: str, catalog: CostCatalog) -> None:
        """Seeding: codes without descriptions."""
        self.save_catalog(
            company_id,
            ErpCatalog(
                [CatalogEntry(code, "") for code in catalog.cost_codes],
                [CatalogEntry(code, "") for code in catalog.cost_types],
            ),
        )

    def _company_names(self, company_ids: Iterable[str]) -> dict[str, str]:
        keys = [key(company_pk(cid), META) for cid in dict.fromkeys(company_ids)]
        if not keys:
            return {}
        return {
            item["company_id"]: item["name"]
            for item in batch_get(self.client, self.directory_table, keys)
        }


def _member_item(
    company_id: str,
    email: str,
    erp_permission: Permission,
    budget_permission: Permission,
    status: MemberStatus,
) -> dict[str, Any]:
    return to_item(
        MemberItem(
            pk=company_pk(company_id),
            sk=member_sk(email),
            gsi1pk=f"MEMBER#{email.lower()}",
            gsi1sk=company_pk(company_id),
            company_id=company_id,
            email=email.lower(),
            erp_permission=erp_permission.label,
            budget_permission=budget_permission.label,
            status=status.value,
        )
    )


def _held(member: Membership) -> dict[str, Any]:
    """The member's item, on condition that it still holds `member`'s permissions."""
    return {
        "Key": key(company_pk(member.company_id), member_sk(member.email)),
        "ConditionExpression": "erp_permission = :was_e AND budget_permission = :was_b",
        "ExpressionAttributeValues": {
            ":was_e": {"S": member.erp_permission.label},
            ":was_b": {"S": member.budget_permission.label},
        },
    }


def _membership(item: MemberItem, company_name: str) -> Membership:
    return Membership(
        company_id=item.company_id,
        company_name=company_name,
        email=item.email,
        erp_permission=Permission.parse(item.erp_permission),
        budget_permission=Permission.parse(item.budget_permission),
        status=MemberStatus(item.status),
    )
