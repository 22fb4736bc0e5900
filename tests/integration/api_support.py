"""Helpers for the API tests: a token issuer with its own RSA key, and an identity provider on it.

Tokens are real RS256 JWTs checked by the production `CognitoIdentityProvider.verify`, so a token
signed by another key, or one that has expired, is refused by the very code that runs in AWS.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from chalicelib.adapters.cognito import CognitoIdentityProvider, StaticSigningKeys
from chalicelib.domain import admission
from chalicelib.domain.errors import ErpRejected, InvalidCredentials
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    CatalogEntry,
    ChangeRecord,
    ErpCatalog,
    ErpConnection,
    ErpCredentials,
    ErpLine,
    ErpProject,
    ErpProjectPage,
    Job,
    JobKind,
    JobStatus,
    LineItem,
    LineKind,
    Permission,
    PreviewBasis,
    WbsKey,
    utc_now,
)
from chalicelib.domain.ports import BudgetStore, Identity, JobStore, SessionToken
from chalicelib.services.ports import Ports
from devstack.memory import MemoryJobQueue
from tests import worlds

POOL_ID = "us-east-1_TestPool"
CLIENT_ID = "test-web-client"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
TOKEN_SECONDS = 3600


@dataclass
class TokenIssuer:
    """Signs Cognito-shaped ID tokens with a key of its own and publishes the matching JWKS."""

    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    @property
    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def token(self, email: str, *, expires_in: int = TOKEN_SECONDS, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "sub": f"sub-{email}",
            "email": email,
            "email_verified": True,
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "token_use": "id",
            "iat": now,
            "auth_time": now,
            "exp": now + expires_in,
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})


def verifier(issuer: TokenIssuer) -> CognitoIdentityProvider:
    """The production verifier, reading its keys from `issuer` instead of over HTTP."""
    return CognitoIdentityProvider(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        issuer=ISSUER,
        jwks_url="https://keys.invalid/jwks.json",
        signing_keys=StaticSigningKeys(issuer.jwks),
    )


@dataclass
class TestIdentityProvider:
    """An IdentityProvider holding passwords in memory; verification is the Cognito adapter's."""

    __test__ = False  # not a test class, whatever its name says

    issuer: TokenIssuer = field(default_factory=TokenIssuer)
    passwords: dict[str, str] = field(default_factory=dict)

    def add_user(self, email: str, password: str) -> None:
        self.passwords[email.lower()] = password

    def sign_in(self, email: str, password: str) -> SessionToken:
        if self.passwords.get(email.lower()) != password:
            raise InvalidCredentials("The email or password is incorrect.")
        return SessionToken(self.issuer.token(email.lower()), TOKEN_SECONDS)

    def verify(self, token: str) -> Identity:
        return verifier(self.issuer).verify(token)

    def bearer(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.token(email)}"}


# ---- a seeded world on moto's DynamoDB ---------------------------------------------------------

LEVELS = ("none", "read_only", "standard", "admin")
JSON_HEADERS = {"Content-Type": "application/json"}


class NotUsedByTheApi:
    """Stands in for ports the HTTP API never touches (secrets, ERP sources)."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the API should not need {name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the API should not build ERP sources")


@dataclass
class FakeErp:
    """An ErpSource for the API's live reads: each tenant's projects and catalog, no HTTP."""

    tenant: str
    calls: list[str] = field(default_factory=list)

    PROJECTS = {
        "Demo": ["P-1001", "P-1005", "P-1006", "P-1007"],
        "Other": ["P-2001", "P-2002"],
    }

    def fetch_budget(self, erp_job_id: str, on_page: Any = None) -> list[ErpLine]:
        """Two lines, for the mapping preview (the one API route that reads a budget live)."""
        self.calls.append("fetch_budget")
        return [
            ErpLine(
                1, "r1", WbsKey("01", "03-300", "M"), LineKind.COST, Decimal("1250.00"), "Rebar"
            ),
            ErpLine(
                2, "r2", WbsKey("", "01-100", ""), LineKind.REVENUE, Decimal("9000"), "Billing"
            ),
        ]

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        self.calls.append("list_projects")
        ids = self.PROJECTS.get(self.tenant, [])
        page = [ErpProject(i, f"Job {i}", "Active") for i in ids[offset : offset + limit]]
        return ErpProjectPage(page, has_more=offset + limit < len(ids))

    def cost_catalog(self) -> ErpCatalog:
        return ErpCatalog(
            [CatalogEntry("03-300", "Cast-in-place Concrete"), CatalogEntry("09-900", "Paint")],
            [CatalogEntry("L", "Labor"), CatalogEntry("M", "Material")],
        )


def fake_erp_sources(connection: ErpConnection, credentials: ErpCredentials) -> FakeErp:
    if connection.erp_system != "acumatica":
        raise ErpRejected(f"Budget Bridge has no connector for '{connection.erp_system}'.")
    return FakeErp(connection.setting("company"))


@dataclass
class World:
    """Two companies, their budgets, a job each, and members at every permission level."""

    ports: Ports
    identity: TestIdentityProvider
    queue: MemoryJobQueue  # what the API queued, in order; `available = False` refuses
    budgets: BudgetStore
    jobs: JobStore
    ids: dict[str, str]  # what each path parameter is filled with in company `demo`
    other_ids: dict[str, str]  # the same for company `other`

    def headers(self, email: str, **extra: str) -> dict[str, str]:
        return {**self.identity.bearer(email), **JSON_HEADERS, **extra}

    def restore(self) -> None:
        """Set up, or put back, what the adoption routes read and change: each company's ERP
        connection, a linked ERP job (demo's P-1005, ready to import) and a member."""
        directory, secrets = self.ports.directory, self.ports.secrets
        for company, job, project in (("demo", "P-1005", "p-1005"), ("other", "P-2001", "p-2001")):
            secret_id = f"budget-bridge/erp/{company}"
            secrets.put_erp_credentials(
                secret_id, ErpCredentials.of(username="u", password=ERP_PASSWORD)
            )
            directory.put_erp_connection(
                company,
                ErpConnection(
                    erp_system="acumatica",
                    base_url="https://erp.example.com",
                    settings={"company": company.title()},
                    credentials_secret_id=secret_id,
                ),
            )
            directory.delete_link(company, job)
            directory.put_link(company, job, project)
        number = "1005"
        self.budgets.create_budget(
            _budget("demo", number, BudgetStatus.READY_TO_IMPORT, erp_job_id="P-1005"), []
        )
        directory.put_member("demo", MEMBER, Permission.STANDARD, Permission.STANDARD)


ERP_PASSWORD = "erp-Secret-pa55"  # the demo ERP password; never to be seen in an answer or log
MEMBER = "member@demo.test"  # a member the member routes change and remove


def both_user(level: str) -> str:
    """A demo member with this permission in both tools."""
    return f"both-{level}@demo.test"


def erp_user(level: str) -> str:
    """A demo member with this ERP permission and Budget admin."""
    return f"erp-{level}@demo.test"


def running_preview(
    world: World, budget_id: str, job_id: str, requested_at: datetime | None = None
) -> Job:
    """A preview of a demo budget, queued and started as the worker starts one (previews hold no
    budget: many may be kept)."""
    job = Job(
        job_id=job_id,
        company_id="demo",
        budget_id=budget_id,
        kind=JobKind.PREVIEW,
        requested_by=erp_user("standard"),
        requested_at=requested_at or utc_now(),
    )
    world.jobs.enqueue(job, world.budgets.get("demo", budget_id), None)
    return world.jobs.start("demo", job_id, utc_now())


def finished_preview(
    world: World,
    budget_id: str,
    planned: JobKind | None = None,
    *,
    job_id: str | None = None,
    changes: Sequence[ChangeRecord] = (),
    requested_at: datetime | None = None,
) -> str:
    """A succeeded preview of the budget as it is now, as the worker leaves one, with `changes`
    (`planned`: the apply it planned, by default the one the budget's status calls for)."""
    budget = world.budgets.get("demo", budget_id)
    running = running_preview(world, budget_id, job_id or f"preview-{budget_id}", requested_at)
    basis = PreviewBasis(
        budget_version=budget.version,
        erp_digest="0" * 64,
        planned_kind=planned or admission.previewed_kind(budget),
    )
    finished = running.model_copy(
        update={
            "status": JobStatus.SUCCEEDED,
            "message": "Preview ready: some lines would change.",
            "finished_at": utc_now(),
            "change_count": len(changes),
            "basis": basis,
        }
    )
    return world.jobs.finish_preview(finished, list(changes)).job_id


def budget_user(level: str) -> str:
    """A demo member with this Budget permission and ERP admin."""
    return f"budget-{level}@demo.test"


def line(sub_job: str, code: str, kind: str, amount: str, **extra: Any) -> LineItem:
    return LineItem(WbsKey(sub_job, code, kind), f"{code} {kind}", Decimal(amount), **extra)


def _budget(company: str, number: str, status: BudgetStatus, **extra: Any) -> Budget:
    fields: dict[str, Any] = {
        "company_id": company,
        "budget_id": f"b-{number}",
        "project_id": f"p-{number}",
        "project_name": f"Project {number} of {company}",
        "erp_job_id": f"P-{number}",
        "erp_system": "acumatica",
        "status": status,
    }
    return Budget(**{**fields, **extra})


def build_world(backend: worlds.Backend = "memory") -> World:
    """Seed the stores and serve them through the API's ports.

    `backend` is "memory" (the in-memory twins) or "moto" (the real adapters on moto: call
    inside `mock_aws`).
    """
    stores = worlds.stores(backend)
    directory, budgets, jobs = stores.directory, stores.budgets, stores.jobs
    identity = TestIdentityProvider()
    directory.put_company("demo", "Demo Construction Co.")
    directory.put_company("other", "Other Builders")
    for company in ("demo", "other"):
        directory.put_erp_connection(company, ErpConnection(
            erp_system="acumatica", base_url="https://erp.example.com",
            credentials_secret_id=f"budget-bridge/erp/{company}"))  # fmt: skip
    for level in LEVELS:
        directory.put_member("demo", erp_user(level), Permission.parse(level), Permission.ADMIN)
        directory.put_member("demo", budget_user(level), Permission.ADMIN, Permission.parse(level))
        each = Permission.parse(level)
        directory.put_member("demo", both_user(level), each, each)
    directory.put_member("other", "admin@other.test", Permission.ADMIN, Permission.ADMIN)
    lines = [
        line("01", "03-300", "M", "1250.00", uom="CY", quantity=Decimal("10")),
        line("01", "03-300", "L", "800.00"),
        line("02", "05-100", "S", "0.00"),
    ]
    synced = BudgetStatus.SYNCED
    budgets.create_budget(_budget("demo", "1001", synced, last_synced_at=utc_now()), lines)
    budgets.create_budget(_budget("demo", "1002", synced, locked=True), lines)
    budgets.create_budget(_budget("demo", "1004", BudgetStatus.READY_TO_IMPORT), [])
    budgets.create_budget(_budget("other", "2001", synced), lines)
    jobs_seen = {}
    for company, budget_id in (("demo", "b-1003"), ("other", "b-2002")):
        budget = budgets.create_budget(_budget(company, budget_id[2:], synced), lines)
        job = Job(
            job_id=f"job-{budget_id}",
            company_id=company,
            budget_id=budget.budget_id,
            kind=JobKind.REIMPORT,
            requested_by="schedule",
            requested_at=utc_now(),
        )
        jobs_seen[company] = jobs.enqueue(job, budget, None).job_id
    queue = MemoryJobQueue()
    ports = worlds.ports(stores, queue=queue, erp_sources=fake_erp_sources, identity=identity)
    line_id = lines[0].line_item_id
    world = World(
        ports=ports,
        identity=identity,
        queue=queue,
        budgets=budgets,
        jobs=jobs,
        ids={
            "company_id": "demo",
            "budget_id": "b-1001",
            "project_id": "p-1001",
            "job_id": jobs_seen["demo"],
            "line_item_id": line_id,
            "erp_job_id": "P-1005",
            "email": MEMBER,
            "version": "0",
        },
        other_ids={
            "company_id": "other",
            "budget_id": "b-2001",
            "project_id": "p-2001",
            "job_id": jobs_seen["other"],
            "line_item_id": line_id,
            "erp_job_id": "P-2001",
            "email": "admin@other.test",
            "version": "0",
        },
    )
    return world


def finish_seeded_job(world: World) -> None:
    """Fail the queued job the seeded world keeps on b-1003, for tests of what may change only
    while no job of the company is queued or running (the budget target)."""
    queued = world.jobs.get("demo", world.ids["job_id"])
    world.jobs.fail(queued, "Finished before this test.", [], utc_now())
