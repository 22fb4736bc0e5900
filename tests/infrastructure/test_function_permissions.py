"""Every AWS call a function makes is one its deployed role allows.

The functions' roles are least privilege, written by hand in infra/stack.py; the calls come from
the code and change with every feature. Each test here runs one function's entry point on moto as
Lambda would (the worker with a genuine SQS record, the schedule with EventBridge's event), records
every AWS call it makes — the IAM action and the resource it acts on, transaction items and batch
entries one by one — and checks the synthesized role grants each. A call the role does not allow
would fail in AWS with AccessDenied while every test on moto passes (moto does not enforce IAM).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.client import BaseClient

from chalicelib import resources, wiring
from chalicelib.adapters import aws
from chalicelib.domain.model import AutoReimport, ErpSettings, JobKind, TargetKind
from chalicelib.domain.ports import Identity
from chalicelib.entrypoints import schedule
from chalicelib.services.reimports import request_job
from devstack.timer import scheduled_event
from infra.stack import role_logical_id
from tests import worlds
from tests.fixtures.worker import COMPANY, FakeLambdaContext, WorkerStack, two_days_ago


@dataclass(frozen=True)
class Call:
    action: str  # as IAM names it: "dynamodb:PutItem"
    resource: str  # a table's, queue's or secret's name


# Transaction items and batch entries need the per-item action on their own table.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
# SQS's batch calls are authorized as their single-message actions.
_SQS_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def _as_iam(service: str, operation: str, params: dict[str, Any]) -> list[Call]:
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return [
                Call(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", body["TableName"])
                for item in params["TransactItems"]
                for kind, body in item.items()
            ]
        if operation in ("BatchWriteItem", "BatchGetItem"):
            return [Call(f"dynamodb:{operation}", table) for table in params["RequestItems"]]
        return [Call(f"dynamodb:{operation}", params["TableName"])]
    if service == "sqs":
        queue = params.get("QueueName") or params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
        return [Call(f"sqs:{_SQS_ACTIONS.get(operation, operation)}", queue)]
    if service == "secretsmanager":
        return [Call(f"secretsmanager:{operation}", params.get("SecretId") or params["Name"])]
    if service == "s3":
        # Listing is authorized on the bucket, object calls on the object's ARN.
        if operation.startswith("ListObjects"):
            return [Call("s3:ListBucket", params["Bucket"])]
        if "Key" in params:
            return [Call(f"s3:{operation}", f"{params['Bucket']}/{params['Key']}")]
        return [Call(f"s3:{operation}", params.get("Bucket", "*"))]
    if service == "cognito-idp":
        # The stack's one user pool; its id is made by the emulator, so the pool is the resource.
        return [Call(f"cognito-idp:{operation}", USER_POOL)]
    return [Call(f"{service}:{operation}", json.dumps(sorted(params)))]


USER_POOL = "the user pool"


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Call]]:
    """Every AWS call any boto3 client of this process makes from now on, as IAM actions."""
    calls: list[Call] = []
    original = BaseClient._make_api_call

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.extend(_as_iam(client.meta.service_model.signing_name, operation, params))
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    yield calls


def _allowed(synthesized: Any, function: str, call: Call) -> bool:
    """Whether the function's role has an Allow statement for the call's action on its
    resource: the table or queue the stack built under that name, or a secret name its ARN
    pattern matches."""
    stack = synthesized.stack

    def logical_id(construct: Any) -> str:
        return str(stack.resolve(construct.node.default_child.logical_id))

    logical_ids = {
        **{
            ("dynamodb", spec.default_name): logical_id(stack.tables[spec.logical_id])
            for spec in resources.TABLES
        },
        ("sqs", resources.JOB_QUEUE.default_name): logical_id(stack.queue),
        ("sqs", resources.JOB_QUEUE.dlq_default_name): logical_id(stack.dead_letter_queue),
        ("cognito-idp", USER_POOL): str(
            stack.resolve(stack.user_pool.node.default_child.logical_id)
        ),
    }
    # A table and a queue may share a name ("budget-bridge-jobs"): look up by service too.
    built = logical_ids.get((call.action.split(":", 1)[0], call.resource))
    role = synthesized.resource(role_logical_id(function))
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            if statement["Effect"] != "Allow" or call.action not in _listed(actions):
                continue
            for resource in _listed(statement["Resource"]):
                text = json.dumps(resource)
                if built is not None and f'"{built}"' in text:
                    return True
                if call.action.startswith("secretsmanager:") and _secret_pattern_matches(
                    resource, call.resource
                ):
                    return True
                if call.action.startswith("s3:") and _object_pattern_matches(
                    stack, resource, call.resource
                ):
                    return True
    return False


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _secret_pattern_matches(resource: Any, secret_name: str) -> bool:
    """A secret ARN pattern (`Fn::Join` of the partition, region, account and `:secret:<name*>`)
    against a secret's name."""
    parts = resource.get("Fn::Join", ["", []])[1] if isinstance(resource, dict) else [resource]
    tail = "".join(part for part in parts if isinstance(part, str))
    if ":secret:" not in tail:
        return False
    return fnmatch.fnmatchcase(secret_name, tail.rsplit(":secret:", 1)[1])


def _object_pattern_matches(stack: Any, resource: Any, name: str) -> bool:
    """The exports bucket (`ListBucket`) or an object ARN pattern of it (`<bucket arn>/<prefix>*`)
    against `bucket` or `bucket/key` as the call named it."""
    bucket_id = str(stack.resolve(stack.exports_bucket.node.default_child.logical_id))
    text = json.dumps(resource)
    if f'"{bucket_id}"' not in text:
        return False
    bucket, _, key = name.partition("/")
    if bucket != resources.EXPORTS.default_name:
        return False
    parts = resource.get("Fn::Join", ["", []])[1] if isinstance(resource, dict) else []
    tail = "".join(part for part in parts if isinstance(part, str))
    if not key:
        return not tail  # the bucket itself
    return bool(tail) and fnmatch.fnmatchcase("/" + key, tail)


def _refused(synthesized: Any, function: str, calls: list[Call]) -> list[Call]:
    assert calls, "the run made no AWS call: the recorder saw nothing"
    return sorted(
        {call for call in calls if not _allowed(synthesized, function, call)},
        key=lambda call: (call.action, call.resource),
    )


def test_the_schedule_may_make_every_call_of_its_run(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call]
) -> None:
    """A run that queues a due budget writes its job, claims the budget, sends the message and
    records the audit entry."""
    stack = worker_stack
    daily = ErpSettings(auto_reimport=AutoReimport(enabled=True, every_hours=24))
    wiring.ports().directory.save_erp_settings(COMPANY, daily)
    recorded.clear()
    event = scheduled_event(
        "arn:aws:events:us-east-1:123456789012:rule/r", "123456789012", "us-east-1"
    )
    answer = schedule.handle(event, FakeLambdaContext(function_name=resources.SCHEDULE_FUNCTION))
    assert answer["queued"], "no budget was due: the run did not exercise its writes"
    # Checked before the test's own look at the queue, which the recorder would count too.
    assert _refused(synthesized, resources.SCHEDULE_FUNCTION, recorded) == []
    assert stack.queue_depth() == len(answer["queued"])


def test_the_worker_may_make_every_call_of_a_reimport_that_extends_the_catalog(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call]
) -> None:
    """A re-import whose ERP budget has a cost code the company lacks, with "add unknown cost
    codes" on: the worker reads the credentials, the budget and the catalog, adds the code to the
    catalog, commits the new version and finishes the job."""
    stack = worker_stack
    wiring.ports().directory.save_erp_settings(COMPANY, ErpSettings(add_unknown_cost_codes=True))
    stack.erp.put_line(
        ProjectID="P-1001", ProjectTaskID="01", CostCode="99-999", AccountGroup="L",
        Type="Expense", Description="Added in the ERP", OriginalBudgetedAmount=250,
    )  # fmt: skip
    job = stack.request()
    records = stack.records(stack.receive())
    recorded.clear()
    assert stack.deliver(records) == []
    assert stack.job(job.job_id).status.value == "succeeded"
    assert "99-999" in wiring.ports().directory.cost_catalog(COMPANY).cost_codes
    assert _refused(synthesized, resources.WORKER_FUNCTION, recorded) == []


def _reimport_as_the_worker(
    stack: WorkerStack, recorded: list[Call], company: str, budget_id: str
) -> None:
    """The company's admin asks for a re-import; the worker runs it with `recorded` emptied first,
    so it holds the worker's calls only. The job must succeed."""
    admin = Identity(f"admin@{company}.test", f"admin@{company}.test")
    job = request_job(wiring.ports(), admin, company, budget_id, JobKind.REIMPORT)
    records = stack.records(stack.receive())
    recorded.clear()
    assert stack.deliver(records) == []
    done = stack.jobs.get(company, job.job_id)
    assert done.status.value == "succeeded", done.message


@pytest.mark.parametrize(("company", "budget_id"), [("qbo", "Q-8001"), ("xero", "X-9001")])
def test_the_worker_may_make_every_call_of_a_reimport_that_rotates_the_erp_token(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call], company: str, budget_id: str
) -> None:
    """QuickBooks Online and Xero hand out a new refresh token: the worker stores it back."""
    stack = worker_stack
    stores = worlds.stores("moto", tables=False)
    worlds.seed_company(stores, company, stack.sandbox.url, budgets_synced_at=two_days_ago())
    _reimport_as_the_worker(stack, recorded, company, budget_id)
    assert _refused(synthesized, resources.WORKER_FUNCTION, recorded) == []


def test_the_worker_may_make_every_call_of_a_reimport_from_an_uploaded_export(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call]
) -> None:
    """The spreadsheet import: the worker lists the job's uploads and reads the latest."""
    from chalicelib.adapters.erp.spreadsheet import Export
    from chalicelib.adapters.exports import S3ExportStore
    from devstack import demo_data
    from devstack.provision import create_exports_bucket

    stack = worker_stack
    bucket = create_exports_bucket(aws.s3(), "us-east-1")
    assert bucket == resources.EXPORTS.default_name
    stores = worlds.stores("moto", tables=False)
    worlds.seed_company(stores, "spreadsheet", stack.sandbox.url, budgets_synced_at=two_days_ago())
    company = demo_data.company("spreadsheet")
    (project,) = company.projects
    exports = S3ExportStore(bucket, None, "us-east-1")
    export = Export(f"{project.project_id}.csv", demo_data.export_csv(project))
    exports.put(company.erp_connection().settings["exports_prefix"], project.project_id, export)
    _reimport_as_the_worker(stack, recorded, "spreadsheet", project.project_id)
    assert any(call.action == "s3:GetObject" for call in recorded)
    assert _refused(synthesized, resources.WORKER_FUNCTION, recorded) == []


def _seed_pilot(stack: WorkerStack) -> None:
    """Company `pilot` as the local stack seeds it: budgets kept in the Procore sandbox, whose
    client secret is in Secrets Manager under the target's own prefix."""
    from devstack import demo_data
    from devstack.seed import link_project, project_budget, seed_target

    stores = worlds.stores("moto", tables=False)
    catalog = worlds.seed_company(stores, "pilot", stack.sandbox.url)
    target = seed_target(aws.secretsmanager(), stores.directory, "pilot", stack.sandbox.url)
    assert target is not None
    company = demo_data.company("pilot")
    for project in company.projects:
        budget, lines = project_budget(company, project, catalog, two_days_ago())
        budget.target_project_id = target.projects.get(project.project_id)
        stores.budgets.create_budget(budget, lines)
        link_project(stores.directory, budget)


def test_the_worker_may_make_every_call_of_a_reimport_into_procore(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call]
) -> None:
    """The worker reads the company's Procore credentials and writes the amounts there."""
    stack = worker_stack
    _seed_pilot(stack)
    _reimport_as_the_worker(stack, recorded, "pilot", "K-4001")
    assert _refused(synthesized, resources.WORKER_FUNCTION, recorded) == []


def test_the_api_may_store_a_procore_client_secret(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call]
) -> None:
    """An ERP admin choosing Procore as the target: the client secret goes to Secrets Manager."""
    from chalicelib.services.targets import TargetChoice, put_target

    stack = worker_stack
    _seed_pilot(stack)
    admin = Identity("admin@pilot.test", "admin@pilot.test")
    target = wiring.ports().directory.target("pilot")
    choice = TargetChoice(
        target=target.target, base_url=target.base_url,
        procore_company_id=target.procore_company_id,
        client_id="pilot-client", client_secret="a-new-Secret-1",
    )  # fmt: skip
    recorded.clear()
    put_target(wiring.ports(), admin, "pilot", choice, allow_local=True)
    assert _refused(synthesized, "api_handler", recorded) == []


def test_the_api_may_delete_the_procore_secret_when_the_company_goes_back_to_budget_bridge(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call]
) -> None:
    """The client secret does not outlive the choice of Procore (docs/targets/procore.md)."""
    from chalicelib.services.targets import TargetChoice, put_target

    stack = worker_stack
    _seed_pilot(stack)
    admin = Identity("admin@pilot.test", "admin@pilot.test")
    secret_id = wiring.ports().directory.target("pilot").credentials_secret_id
    assert secret_id is not None
    recorded.clear()
    put_target(
        wiring.ports(), admin, "pilot", TargetChoice(TargetKind.BUDGET_BRIDGE), allow_local=True
    )

    assert _refused(synthesized, "api_handler", recorded) == []
    assert any(call.action == "secretsmanager:DeleteSecret" for call in recorded)
    with pytest.raises(aws.secretsmanager().exceptions.ResourceNotFoundException):
        aws.secretsmanager().describe_secret(SecretId=secret_id)


def test_the_dead_letter_handler_may_make_every_call_of_failing_a_job(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call]
) -> None:
    stack = worker_stack
    job = stack.request()
    records = stack.records(stack.receive())
    recorded.clear()
    stack.deliver_dead_letters(records)
    assert stack.job(job.job_id).status.value == "failed"
    assert _refused(synthesized, resources.DEAD_LETTER_FUNCTION, recorded) == []


def test_the_dead_letter_handler_may_put_back_what_a_stopped_job_wrote_to_procore(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call]
) -> None:
    """A job stopped while writing to Procore left its write-ahead record: the dead-letter handler
    signs in to Procore with the target's credentials and puts the amounts back before it fails
    the job (docs/targets/procore.md)."""
    from decimal import Decimal

    from chalicelib.domain.model import TargetWrite, WbsKey, utc_now

    stack = worker_stack
    _seed_pilot(stack)
    admin = Identity("admin@pilot.test", "admin@pilot.test")
    job = request_job(wiring.ports(), admin, "pilot", "K-4001", JobKind.REIMPORT)
    records = stack.records(stack.receive())
    jobs = wiring.ports().jobs
    running = jobs.start("pilot", job.job_id, utc_now())
    write = TargetWrite("1", WbsKey("01", "01-100", "L"), Decimal("1.00"), Decimal("2.00"))
    jobs.record_writes(running, [write])
    recorded.clear()
    stack.deliver_dead_letters(records)
    assert stack.jobs.get("pilot", job.job_id).status.value == "failed"
    assert any(call.action == "secretsmanager:GetSecretValue" for call in recorded)
    assert _refused(synthesized, resources.DEAD_LETTER_FUNCTION, recorded) == []


def test_the_api_may_link_a_job_of_a_company_that_uploads_exports(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call]
) -> None:
    """Linking a spreadsheet job lists the company's uploaded exports, as the connection test,
    the project list and the catalog sync do."""
    from chalicelib.services.erp_projects import link
    from devstack.provision import create_exports_bucket

    stack = worker_stack
    create_exports_bucket(aws.s3(), "us-east-1")
    stores = worlds.stores("moto", tables=False)
    worlds.seed_company(stores, "spreadsheet", stack.sandbox.url, budgets_synced_at=two_days_ago())
    admin = Identity("admin@spreadsheet.test", "admin@spreadsheet.test")
    recorded.clear()
    link(wiring.ports(), admin, "spreadsheet", "S-1599", None)
    assert any(call.action == "s3:ListBucket" for call in recorded)
    assert _refused(synthesized, "api_handler", recorded) == []


def test_the_api_may_invite_a_member_and_invite_them_again(
    synthesized: Any, worker_stack: WorkerStack, recorded: list[Call]
) -> None:
    """An invitation creates the account in Cognito (AdminCreateUser mails the temporary
    password); inviting someone who never signed in asks Cognito about the account
    (AdminGetUser) and mails a new password (AdminCreateUser with RESEND)."""
    from chalicelib.adapters.invitations import CognitoAccounts

    pool = aws.client("cognito-idp").create_user_pool(PoolName="budget-bridge-users")
    accounts = CognitoAccounts(pool["UserPool"]["Id"])
    recorded.clear()

    assert accounts.invite("new.member@acme.test", "Acme Builders") is True
    assert accounts.invite("new.member@acme.test", "Acme Builders") is True

    actions = {call.action for call in recorded}
    assert actions == {"cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser"}
    assert _refused(synthesized, "api_handler", recorded) == []
