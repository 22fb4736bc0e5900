"""Inviting someone whose account exists but was never signed in to invites them again.

An invitation makes a Cognito account with a temporary password; until that password is used the
account is FORCE_CHANGE_PASSWORD. Adding such a person again (removed before they signed in, or
invited by another company) must send a new temporary password and record them `invited`, not
`active` with nothing sent; someone who has signed in just joins (docs/adoption.md, "Members").
Through the API on moto: real Cognito sign-in, the local outbox, the DynamoDB directory; the AWS
adapter's RESEND and the operator's command on moto's Cognito too.

Several requests inviting one new person at once send one invitation: the membership is claimed
by a conditional write before anything is sent, so the requests that lose answer already_member
having sent nothing; an invitation that fails takes its claim back (services/members.py), on the
DynamoDB directory and on its in-memory twin alike.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, cast

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.directory import DynamoDirectory
from chalicelib.adapters.dynamodb.provision import create_tables
from chalicelib.adapters.dynamodb.tables import DynamoTables
from chalicelib.adapters.invitations import CognitoAccounts, OutboxAccounts
from chalicelib.domain.errors import AlreadyMember, ServiceUnavailable
from chalicelib.domain.model import Membership, MemberStatus, Permission
from chalicelib.domain.ports import Directory, Identity, NewPasswordChallenge
from chalicelib.services import audit, members
from chalicelib.services.ports import Ports
from devstack import company
from devstack.memory import MemoryAccounts, MemoryIdentityProvider
from devstack.moto_atomic import serialize_dynamodb
from devstack.provision import create_user_pool
from tests import worlds
from tests.fixtures.cognito import add_account, moto_identity

PASSWORD = "Admin-pass-123!"
CHOSEN = "Chosen-pass-456!"
JSON = {"Content-Type": "application/json"}
ANYONE = {"erp_permission": "read_only", "budget_permission": "standard"}


@dataclass
class World:
    client: Client
    accounts: OutboxAccounts
    cognito: Any
    pool_id: str

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        answer = self.client.http.post(
            f"/api/v1{path}", body=json.dumps(body), headers=headers or JSON
        )
        return answer.status_code, json.loads(answer.body) if answer.body else None

    def sign_in(self, email: str, password: str) -> tuple[int, Any]:
        return self.post("/session", {"email": email, "password": password})

    def admin(self, company_id: str) -> dict[str, str]:
        status, body = self.sign_in(f"admin@{company_id}.test", PASSWORD)
        assert status == 200, body
        return {"Authorization": f"Bearer {body['token']}", **JSON}

    def invite(self, company_id: str, email: str) -> tuple[int, Any]:
        return self.post(
            f"/companies/{company_id}/members", {"email": email, **ANYONE}, self.admin(company_id)
        )

    def remove(self, company_id: str, email: str) -> int:
        answer = self.client.http.delete(
            f"/api/v1/companies/{company_id}/members/{email}", headers=self.admin(company_id)
        )
        return answer.status_code

    def passwords(self, email: str) -> list[str]:
        """The temporary passwords the outbox holds for `email`, newest first."""
        return [m.temporary_password for m in self.accounts.outbox() if m.to == email]


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        stores = worlds.stores("moto")
        cognito = aws.client("cognito-idp")
        pool_id, client_id = create_user_pool(cognito)  # the local stack's pool, its policy
        for company_id, name in (("demo", "Demo Construction Co."), ("other", "Other Builders")):
            stores.directory.put_company(company_id, name)
            admin = f"admin@{company_id}.test"
            add_account(cognito, pool_id, admin, PASSWORD)
            stores.directory.put_member(company_id, admin, Permission.ADMIN, Permission.ADMIN)
        identity = moto_identity(pool_id, client_id)
        accounts = OutboxAccounts(pool_id, tables=DynamoTables())
        wiring.use_ports(worlds.ports(stores, identity=identity, accounts=accounts))
        try:
            with Client(app) as client:
                yield World(client, accounts, cognito, pool_id)
        finally:
            wiring.reset()


def test_a_person_removed_before_signing_in_is_invited_again_with_a_new_temporary_password(
    world: World,
) -> None:
    first = world.invite("demo", "late@demo.test")
    removed = world.remove("demo", "late@demo.test")
    again = world.invite("demo", "late@demo.test")

    assert first[0] == 201 and first[1]["status"] == "invited", first
    assert removed == 204
    assert again[0] == 201, again
    assert again[1]["status"] == "invited"
    newest, earlier = world.passwords("late@demo.test")
    assert newest != earlier
    assert world.sign_in("late@demo.test", earlier)[0] == 401
    status, signed_in = world.sign_in("late@demo.test", newest)
    assert (status, signed_in["challenge"]) == (200, "new_password_required")


def test_a_person_another_company_invited_who_never_signed_in_is_invited_and_once_signed_in_joins(
    world: World,
) -> None:
    elsewhere = world.invite("other", "pm@else.test")
    here = world.invite("demo", "pm@else.test")

    assert elsewhere[1]["status"] == "invited"
    assert here[0] == 201, here
    assert here[1]["status"] == "invited"
    newest, _ = world.passwords("pm@else.test")
    assert next(m for m in world.accounts.outbox() if m.to == "pm@else.test").subject == (
        "You are invited to Demo Construction Co. on Budget Bridge"
    )
    status, challenge = world.sign_in("pm@else.test", newest)
    assert (status, challenge["challenge"]) == (200, "new_password_required")
    chosen = world.post("/session/new-password", {
        "email": "pm@else.test", "session": challenge["session"], "new_password": CHOSEN})  # fmt: skip
    assert chosen[0] == 200, chosen

    # Someone who has signed in keeps their own password: they just join, nothing is sent.
    assert world.remove("demo", "pm@else.test") == 204
    joined = world.invite("demo", "pm@else.test")

    assert joined[0] == 201 and joined[1]["status"] == "active", joined
    assert len(world.passwords("pm@else.test")) == 2
    assert world.sign_in("pm@else.test", CHOSEN)[0] == 200


@pytest.fixture
def pool() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        yield cognito, create_user_pool(cognito)[0]


def test_in_aws_cognito_mails_a_never_used_account_again_and_leaves_a_used_one_alone(
    pool: tuple[Any, str],
) -> None:
    cognito, pool_id = pool
    creations: list[dict[str, Any]] = []
    cognito.meta.events.register(
        "provide-client-params.cognito-idp.AdminCreateUser",
        lambda params, **_: creations.append(dict(params)),
    )
    accounts = CognitoAccounts(pool_id, cognito)

    made = accounts.invite("late@demo.test", "Demo")
    again = accounts.invite("late@demo.test", "Demo")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="late@demo.test", Password=CHOSEN, Permanent=True
    )  # what the first sign-in's new password does
    used = accounts.invite("late@demo.test", "Demo")

    assert (made, again, used) == (True, True, False)
    # Each invitation first tries to make the account; only the never-used one is sent again.
    assert [c.get("MessageAction") for c in creations] == [None, None, "RESEND", None]
    assert creations[2]["DesiredDeliveryMediums"] == ["EMAIL"]


def test_the_operator_s_command_invites_again_an_admin_who_never_signed_in() -> None:
    with mock_aws():
        aws.reset_clients()
        create_tables(aws.dynamodb())
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        target = company.Target(
            dynamodb=boto3.client("dynamodb", region_name="us-east-1"),
            cognito=cognito,
            directory_table="budget-bridge-directory",
            user_pool_id=create_user_pool(cognito)[0],
            local=True,
        )

        company.create_company(target, "acme", "Acme Construction", "admin@acme.test")
        again = company.create_company(target, "acme", "Acme Construction", "admin@acme.test")

        outbox = OutboxAccounts(target.user_pool_id, cognito, DynamoTables(
            client=target.dynamodb, directory_table=target.directory_table)).outbox()  # fmt: skip
        member = DynamoDirectory(client=target.dynamodb).membership("acme", "admin@acme.test")

    assert "already has an account" not in again and "already had an account" not in again
    assert f"Temporary password: {outbox[0].temporary_password}" in again
    assert len(outbox) == 2 and outbox[0].temporary_password != outbox[1].temporary_password
    assert member is not None and member.status is MemberStatus.INVITED


RACERS = 6
FRESH = "race@fresh.test"
READ_ONLY = (Permission.READ_ONLY, Permission.NONE)
ACME_ADMIN = Identity(email="admin@acme.test", subject="admin@acme.test")


@dataclass
class Invitations:
    """Company "acme" and its admin on one backend's directory and audit log, invitations kept by
    the in-memory accounts (their identity provider signs the invited in)."""

    ports: Ports
    accounts: MemoryAccounts
    identity: MemoryIdentityProvider

    def added(self) -> int:
        entries = self.ports.audit.list("acme", 50, None).items
        return sum(entry.action == audit.MEMBER_ADDED for entry in entries)


@pytest.fixture(params=["memory", "moto"])
def invitations(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Invitations]:
    backend = request.param
    with mock_aws():
        if backend == "moto":
            serialize_dynamodb(monkeypatch.setattr)  # DynamoDB applies each request atomically
        stores = worlds.stores(backend)
        stores.directory.put_company("acme", "Acme Builders")
        stores.directory.put_member("acme", ACME_ADMIN.email, Permission.ADMIN, Permission.ADMIN)
        identity = MemoryIdentityProvider()
        accounts = MemoryAccounts(identity)
        ports = worlds.ports(stores, identity=identity, accounts=accounts)
        try:
            yield Invitations(ports, accounts, identity)
        finally:
            aws.reset_clients()


class _AllAtOnce:
    """The directory, where each request waits once it has found no member by the address until
    every one of `racers` has: the requests all land in the same moment."""

    def __init__(self, directory: Directory, racers: int) -> None:
        self._directory = directory
        self._gate = threading.Barrier(racers, timeout=30)

    def company_name(self, company_id: str) -> str | None:
        self._gate.wait()
        return self._directory.company_name(company_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._directory, name)


def test_of_several_requests_inviting_one_person_at_once_one_invites_and_the_others_send_nothing(
    invitations: Invitations,
) -> None:
    at_once = cast(Directory, _AllAtOnce(invitations.ports.directory, RACERS))
    ports = replace(invitations.ports, directory=at_once)
    outcomes: list[object] = []

    def request() -> None:
        try:
            outcomes.append(members.add_member(ports, ACME_ADMIN, "acme", FRESH, READ_ONLY))
        except Exception as error:  # noqa: BLE001 - the test sorts outcomes below
            outcomes.append(error)

    threads = [threading.Thread(target=request) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    added = [o for o in outcomes if isinstance(o, Membership)]
    refused = [o for o in outcomes if o not in added]
    assert len(added) == 1, outcomes
    assert len(refused) == RACERS - 1 and all(isinstance(o, AlreadyMember) for o in refused), (
        outcomes
    )
    sent = invitations.accounts.outbox()
    assert [m.to for m in sent] == [FRESH], "one invitation, from the request that added them"
    # ... and its temporary password is the one that signs in.
    signed_in = invitations.identity.sign_in(FRESH, sent[0].temporary_password)
    assert isinstance(signed_in, NewPasswordChallenge)
    member = invitations.ports.directory.membership("acme", FRESH)
    assert member is not None
    assert (member.erp_permission, member.budget_permission, member.status) == (
        Permission.READ_ONLY, Permission.NONE, MemberStatus.INVITED,
    )  # fmt: skip
    assert invitations.added() == 1


class _Unreachable:
    """Accounts whose service cannot be reached."""

    def invite(self, email: str, company_name: str) -> bool:
        raise ServiceUnavailable("The sign-in service is unavailable; try again in a minute.")

    def outbox(self) -> list[Any]:
        return []


def test_an_invitation_that_fails_leaves_no_member_and_can_be_sent_again(
    invitations: Invitations,
) -> None:
    failing = replace(invitations.ports, accounts=_Unreachable())

    with pytest.raises(ServiceUnavailable):
        members.add_member(failing, ACME_ADMIN, "acme", FRESH, READ_ONLY)

    assert invitations.ports.directory.membership("acme", FRESH) is None
    assert invitations.added() == 0
    again = members.add_member(invitations.ports, ACME_ADMIN, "acme", FRESH, READ_ONLY)
    assert again.status is MemberStatus.INVITED
    assert [m.to for m in invitations.accounts.outbox()] == [FRESH]
    assert invitations.added() == 1


def test_a_person_who_has_signed_in_before_joins_active_and_is_sent_nothing(
    invitations: Invitations,
) -> None:
    invitations.accounts.existing.add(FRESH)

    joined = members.add_member(invitations.ports, ACME_ADMIN, "acme", FRESH, READ_ONLY)

    assert joined.status is MemberStatus.ACTIVE
    stored = invitations.ports.directory.membership("acme", FRESH)
    assert stored is not None and stored.status is MemberStatus.ACTIVE
    assert invitations.accounts.outbox() == []
    assert invitations.added() == 1
