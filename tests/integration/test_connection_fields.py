"""What each ERP's connection must carry, checked when it is saved (docs/adoption.md).

The spreadsheet import calls no ERP: it is saved without a Base URL or credentials, keeps no secret
(the previous ERP's is deleted), and a job is linked by the id the admin names, since its exports
list a job only once one is uploaded. The accounting ERPs' missing fields answer 422
`invalid_connection` naming the field at save, not later at Test Connection.
Through the API on moto, with the real connector registry and Secrets Manager.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters import aws
from chalicelib.domain.errors import ErpUnavailable
from chalicelib.domain.model import utc_now
from tests.fixtures.api import app_client, moto_world_with_connectors
from tests.integration.api_support import World, both_user, erp_user

PREFIX = "/api/v1/companies/demo"
SECRET_NAME = "budget-bridge/erp/demo"


@pytest.fixture
def world() -> Iterator[World]:
    with moto_world_with_connectors() as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


def call(client: Client, world: World, method: str, path: str, body: Any = None) -> Any:
    answer = getattr(client.http, method)(
        PREFIX + path, headers=world.headers(both_user("admin")),
        **({} if body is None else {"body": json.dumps(body)}),
    )  # fmt: skip
    return answer.status_code, json.loads(answer.body) if answer.body else None


def secret_names() -> set[str]:
    return {s["Name"] for s in aws.secretsmanager().list_secrets()["SecretList"]}


def test_the_spreadsheet_import_is_saved_without_address_or_credentials_and_keeps_no_secret(
    client: Client, world: World
) -> None:
    acumatica = {"erp_system": "acumatica", "base_url": "https://erp.example.com",
                 "settings": {"company": "Demo"}, "credentials": {"username": "u", "password": "p"}}  # fmt: skip
    assert call(client, world, "put", "/erp/connection", acumatica)[0] == 200
    assert SECRET_NAME in secret_names()

    status, saved = call(client, world, "put", "/erp/connection", {"erp_system": "spreadsheet"})
    tested = call(client, world, "post", "/erp/connection/test")
    linked = call(client, world, "post", "/erp/projects/S-42/link", {"project_name": "Quay"})
    budgets = call(client, world, "get", "/erp/budgets?filter=ready_to_import")

    assert status == 200, saved
    assert saved["connection"] | {"last_tested_at": None} == {
        "erp_system": "spreadsheet", "base_url": "", "settings": {}, "credentials_set": False,
        "credentials_fields": [], "status": "untested", "last_tested_at": None, "last_error": None,
    }  # fmt: skip
    assert SECRET_NAME not in secret_names()
    assert tested[0] == 200 and tested[1]["ok"] is True, tested
    assert tested[1]["message"] == "Ready: 0 jobs have an uploaded budget export."
    assert linked[0] == 201, linked
    row = next(b for b in budgets[1]["budgets"] if b["project_name"] == "Quay")
    assert row["erp_system"] == "spreadsheet"


def test_a_spreadsheet_job_id_longer_than_any_erp_uses_is_not_linked(
    client: Client, world: World
) -> None:
    call(client, world, "put", "/erp/connection", {"erp_system": "spreadsheet"})

    status, body = call(client, world, "post", f"/erp/projects/{'J' * 65}/link", {})

    assert status == 404, body


def test_back_from_the_spreadsheet_import_an_erp_needs_its_credentials_again(
    client: Client, world: World
) -> None:
    call(client, world, "put", "/erp/connection", {"erp_system": "spreadsheet"})
    body = {"erp_system": "acumatica", "base_url": "https://erp.example.com",
            "settings": {"company": "Demo"}}  # fmt: skip

    status, answer = call(client, world, "put", "/erp/connection", body)

    assert (status, answer["error"]["code"], answer["error"]["field"]) == (
        422, "invalid_connection", "credentials"
    )  # fmt: skip


def test_a_spreadsheet_connection_is_deleted_with_no_secret_to_delete(
    client: Client, world: World
) -> None:
    call(client, world, "put", "/erp/connection", {"erp_system": "spreadsheet"})
    world.jobs.fail(world.jobs.get("demo", world.ids["job_id"]), "Stopped.", [], utc_now())

    status, _ = call(client, world, "delete", "/erp/connection")

    assert status == 204
    assert call(client, world, "get", "/erp/connection")[1] == {"connection": None}


QBO = {"realm_id": "9130350000000001", "default_cost_type": "O"}
XERO = {"tenant_id": "b1f2c3d4", "tracking_category": "Jobs", "default_cost_type": "O"}
NETSUITE = {"account_id": "1234567", "certificate_id": "bb-cert"}
TOKENS = {"client_id": "c", "client_secret": "s", "refresh_token": "r"}
MISSING = [
    ("acumatica", {"company": "Demo"}, {"username": "u", "password": "p"}, "base_url", ""),
    *[("qbo", QBO, TOKENS, f"settings.{name}", name) for name in QBO],
    *[("qbo", QBO, TOKENS, f"credentials.{name}", name) for name in TOKENS],
    *[("xero", XERO, TOKENS, f"settings.{name}", name) for name in XERO],
    *[("xero", XERO, TOKENS, f"credentials.{name}", name) for name in TOKENS],
    *[("netsuite", NETSUITE, {"client_id": "c", "private_key": "k"}, f"settings.{name}", name)
      for name in NETSUITE],
    *[("netsuite", NETSUITE, {"client_id": "c", "private_key": "k"}, f"credentials.{name}", name)
      for name in ("client_id", "private_key")],
]  # fmt: skip


@pytest.mark.parametrize(("erp", "settings", "credentials", "field", "left_out"), MISSING,
                         ids=[f"{m[0]}-{m[3]}" for m in MISSING])  # fmt: skip
def test_a_missing_field_is_refused_at_save_naming_it_and_nothing_changes(
    client: Client,
    world: World,
    erp: str,
    settings: dict[str, str],
    credentials: dict[str, str],
    field: str,
    left_out: str,
) -> None:
    before = call(client, world, "get", "/erp/connection")[1]
    body = {
        "erp_system": erp,
        "base_url": "" if field == "base_url" else "https://erp.example.com",
        "settings": {k: v for k, v in settings.items() if k != left_out},
        "credentials": {k: v for k, v in credentials.items() if k != left_out},
    }

    status, answer = call(client, world, "put", "/erp/connection", body)

    assert status == 422, answer
    assert (answer["error"]["code"], answer["error"]["field"]) == ("invalid_connection", field)
    assert (left_out or "Base URL") in answer["error"]["message"]
    assert call(client, world, "get", "/erp/connection")[1] == before


@pytest.mark.parametrize(
    ("erp", "settings", "credentials"),
    [("qbo", QBO, TOKENS), ("xero", XERO, TOKENS),
     ("netsuite", NETSUITE, {"client_id": "c", "private_key": "k"})],
)  # fmt: skip
def test_an_accounting_erp_with_every_field_is_saved(
    client: Client, world: World, erp: str, settings: dict[str, str], credentials: dict[str, str]
) -> None:
    body = {"erp_system": erp, "base_url": "https://erp.example.com", "settings": settings,
            "credentials": credentials}  # fmt: skip

    status, answer = call(client, world, "put", "/erp/connection", body)

    assert status == 200, answer
    assert answer["connection"]["credentials_set"] is True


@pytest.mark.parametrize(
    ("settings", "credentials", "field"),
    [
        ({"company": "Demo", "password": "InSettings-Secret-55"}, None, "settings.password"),
        ({"company": "Demo"}, {"username": "u", "password": "p", "token": "Token-Secret-55"},
         "credentials.token"),
    ],
    ids=["settings.password", "credentials.token"],
)  # fmt: skip
def test_a_field_the_erp_does_not_have_is_refused_naming_it_and_no_reader_ever_sees_it(
    client: Client,
    world: World,
    settings: dict[str, str],
    credentials: dict[str, str] | None,
    field: str,
) -> None:
    reader = world.headers(erp_user("read_only"))
    before = client.http.get(PREFIX + "/erp/connection", headers=reader)
    body = {"erp_system": "acumatica", "base_url": "https://erp.example.com", "settings": settings,
            **({} if credentials is None else {"credentials": credentials})}  # fmt: skip

    status, answer = call(client, world, "put", "/erp/connection", body)
    after = client.http.get(PREFIX + "/erp/connection", headers=reader)

    assert status == 422, answer
    assert (answer["error"]["code"], answer["error"]["field"]) == ("invalid_connection", field)
    assert f"'{field.split('.')[1]}'" in answer["error"]["message"]
    assert (before.status_code, after.status_code) == (200, 200)
    assert after.body == before.body
    assert b"Secret-55" not in after.body + json.dumps(answer).encode()
    manager = aws.secretsmanager()
    stored = [manager.get_secret_value(SecretId=name)["SecretString"] for name in secret_names()]
    assert not any("Secret-55" in value for value in stored)


ACUMATICA = {"erp_system": "acumatica", "base_url": "https://erp.example.com",
             "settings": {"company": "Demo"}}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in ACUMATICA.items() if k != "erp_system"}, "erp_system"),
        ({**ACUMATICA, "erp_system": 7}, "erp_system"),
        ({**ACUMATICA, "settings": {"company": 5}}, "settings.company"),
        ({**ACUMATICA, "credentials": {"username": "u", "password": ["p"]}},
         "credentials.password"),
        ({**ACUMATICA, "base_url": "https://erp.example.com/" + "x" * 3000}, "base_url"),
        ({**ACUMATICA, "region": "eu"}, "region"),
    ],
    ids=["erp_system-missing", "erp_system-type", "setting-type", "credential-type",
         "base_url-length", "unknown-field"],
)  # fmt: skip
def test_a_field_of_the_wrong_shape_is_an_invalid_connection_naming_it_and_nothing_changes(
    client: Client, world: World, body: dict[str, Any], field: str
) -> None:
    """Any bad field of a connection answers the one refusal docs/adoption.md promises."""
    before = call(client, world, "get", "/erp/connection")[1]

    status, answer = call(client, world, "put", "/erp/connection", body)

    assert status == 422, answer
    assert (answer["error"]["code"], answer["error"]["field"]) == ("invalid_connection", field)
    assert f"'{field}'" in answer["error"]["message"]
    assert call(client, world, "get", "/erp/connection")[1] == before


def test_the_spreadsheet_mapping_saved_by_its_own_route_is_saved_back_with_the_connection(
    client: Client, world: World
) -> None:
    call(client, world, "put", "/erp/connection", {"erp_system": "spreadsheet"})
    mapping = {"cost_code_column": "Code", "cost_type_column": "Type", "amount_column": "Budget"}
    assert call(client, world, "put", "/erp/spreadsheet/mapping", mapping)[0] == 200
    saved = call(client, world, "get", "/erp/connection")[1]["connection"]["settings"]

    # As the web app's Connection form does: the settings it does not show are sent back.
    status, answer = call(client, world, "put", "/erp/connection",
                          {"erp_system": "spreadsheet", "settings": saved})  # fmt: skip

    assert status == 200, answer
    assert answer["connection"]["settings"] == saved
    assert saved["exports_prefix"] == "demo" and saved["amount_column"] == "Budget"
    assert call(client, world, "get", "/erp/spreadsheet/mapping")[1]["amount_column"] == "Budget"


def test_the_spreadsheet_folder_of_another_company_is_refused(client: Client, world: World) -> None:
    body = {"erp_system": "spreadsheet", "settings": {"exports_prefix": "other"}}

    status, answer = call(client, world, "put", "/erp/connection", body)

    assert status == 422, answer
    assert (answer["error"]["code"], answer["error"]["field"]) == (
        "invalid_connection", "settings.exports_prefix"
    )  # fmt: skip
    assert call(client, world, "get", "/erp/connection")[1]["connection"]["erp_system"] == (
        "acumatica"
    )


INTACCT = {"erp_system": "intacct", "base_url": "https://api.intacct.com",
           "credentials": {"client_id": "c", "client_secret": "s"}}  # fmt: skip


@pytest.mark.parametrize("value", ["phase", "Task", "child project", "none,task"])
def test_a_sub_job_from_sage_intacct_does_not_have_is_refused_naming_it(
    client: Client, world: World, value: str
) -> None:
    before = call(client, world, "get", "/erp/connection")[1]

    status, answer = call(client, world, "put", "/erp/connection",
                          {**INTACCT, "settings": {"sub_job_from": value}})  # fmt: skip

    assert status == 422, answer
    error = answer["error"]
    assert (error["code"], error["field"]) == ("invalid_connection", "settings.sub_job_from")
    assert "none, child_project, task" in error["message"]
    assert call(client, world, "get", "/erp/connection")[1] == before


@pytest.mark.parametrize("value", ["none", "child_project", "task", ""])
def test_each_sub_job_from_sage_intacct_has_is_saved(
    client: Client, world: World, value: str
) -> None:
    status, answer = call(client, world, "put", "/erp/connection",
                          {**INTACCT, "settings": {"sub_job_from": value}})  # fmt: skip

    assert status == 200, answer
    assert answer["connection"]["settings"] == {"sub_job_from": value}


ACUMATICA_SECRETS = {"username": "u-7f3a41", "password": "p-9c1e07", "client_secret": "cs-51d0b2"}


def test_the_connection_names_the_stored_secret_fields_never_their_values(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Acumatica's optional OAuth2 client_secret, saved, is named as set beside the required
    fields; a GET and a PUT that keeps the credentials read the secret once each, a PUT that
    saves them reads none."""
    body = {"erp_system": "acumatica", "base_url": "https://erp.example.com",
            "settings": {"company": "Demo"}, "credentials": ACUMATICA_SECRETS}  # fmt: skip
    kept = {k: v for k, v in body.items() if k != "credentials"}
    reads: list[str] = []
    read = world.ports.secrets.erp_credentials
    monkeypatch.setattr(
        world.ports.secrets,
        "erp_credentials",
        lambda secret_id: reads.append(secret_id) or read(secret_id),
    )

    answers = [
        call(client, world, "put", "/erp/connection", body),
        call(client, world, "get", "/erp/connection"),
        call(client, world, "put", "/erp/connection", kept),
        call(client, world, "get", "/erp/connection"),
    ]

    for status, answer in answers:
        assert status == 200, answer
        assert answer["connection"]["credentials_set"] is True
        assert answer["connection"]["credentials_fields"] == [
            "username",
            "password",
            "client_secret",
        ]
        text = json.dumps(answer)
        assert not any(value in text for value in ACUMATICA_SECRETS.values()), text
    assert reads == [SECRET_NAME] * 3


def test_only_the_secret_fields_saved_with_a_value_are_named(client: Client, world: World) -> None:
    """New credentials replace the stored ones: an optional field left out, or sent blank, is not
    set any more."""
    body = {"erp_system": "acumatica", "base_url": "https://erp.example.com",
            "settings": {"company": "Demo"}, "credentials": ACUMATICA_SECRETS}  # fmt: skip
    assert call(client, world, "put", "/erp/connection", body)[0] == 200

    replaced = {**body, "credentials": {"username": "u2", "password": "p2", "client_id": ""}}
    status, saved = call(client, world, "put", "/erp/connection", replaced)
    read = call(client, world, "get", "/erp/connection")[1]

    assert status == 200, saved
    assert saved["connection"]["credentials_fields"] == ["username", "password"]
    assert read["connection"]["credentials_fields"] == ["username", "password"]


def test_without_the_secret_the_connection_names_no_field_and_is_still_answered(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret deleted behind Budget Bridge's back names none; a secret store that cannot
    answer now answers null (unknown), not an error and not 'none set'."""
    body = {"erp_system": "acumatica", "base_url": "https://erp.example.com",
            "settings": {"company": "Demo"}, "credentials": ACUMATICA_SECRETS}  # fmt: skip
    assert call(client, world, "put", "/erp/connection", body)[0] == 200

    def unavailable(secret_id: str) -> Any:
        raise ErpUnavailable("The ERP credentials could not be read right now.")

    with monkeypatch.context() as patch:
        patch.setattr(world.ports.secrets, "erp_credentials", unavailable)
        status, down = call(client, world, "get", "/erp/connection")
    aws.secretsmanager().delete_secret(SecretId=SECRET_NAME, ForceDeleteWithoutRecovery=True)
    gone = call(client, world, "get", "/erp/connection")[1]

    assert status == 200, down
    assert (down["connection"]["credentials_set"], down["connection"]["credentials_fields"]) == (
        True, None,
    )  # fmt: skip
    assert (gone["connection"]["credentials_set"], gone["connection"]["credentials_fields"]) == (
        True, [],
    )  # fmt: skip
