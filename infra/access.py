"""Least-privilege IAM statements for the Lambda functions: named actions on this stack's ARNs."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from chalicelib import resources

# The calls the DynamoDB adapters and Powertools idempotency make (transactions need the per-item
# actions of their parts, ConditionCheckItem included).
TABLE_READ = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
# Budget items are never deleted by a call: superseded versions and chunks carry a TTL and DynamoDB
# expires them (adapters/dynamodb/items.py), so the budgets table is granted these alone.
TABLE_UPDATE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem")
# The jobs table (idempotency markers, ERP sign-in leases) and the directory (connections, links,
# members) also delete.
TABLE_WRITE = TABLE_UPDATE + ("dynamodb:DeleteItem",)
IDEMPOTENCY = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# The senders are given the queue's URL in their environment (infra/stack.py), so they never look it
# up; SendMessageBatch is authorized as SendMessage.
QUEUE_SEND = ("sqs:SendMessage",)
# What the event source mapping does with the function's role, plus the worker's retry back-off.
QUEUE_CONSUME = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
QUEUE_POSTPONE = ("sqs:ChangeMessageVisibility",)

# ERP credentials live in Secrets Manager under this prefix (the company's ERP connection names the
# secret); the worker may read those secrets and no others.
ERP_SECRET_PREFIX = resources.ERP_SECRET_PREFIX
# The company's budget target credentials (Procore): the API stores and reads them, and deletes
# them when the company goes back to Budget Bridge; the worker reads them to write a budget there.
TARGET_SECRET_PREFIX = resources.TARGET_SECRET_PREFIX
TARGET_SECRET_MANAGE = (
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:GetSecretValue",
    "secretsmanager:DeleteSecret",
)


def _statement(sid: str, actions: tuple[str, ...], resources: list[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, actions=sorted(set(actions)), resources=resources)


def table_arns(table: dynamodb.Table) -> list[str]:
    return [table.table_arn, f"{table.table_arn}/index/*"]


def read(sid: str, *tables: dynamodb.Table) -> iam.PolicyStatement:
    return _statement(sid, TABLE_READ, [arn for t in tables for arn in table_arns(t)])


def scan(sid: str, table: dynamodb.Table) -> iam.PolicyStatement:
    """The one table scan: the schedule listing the companies that enabled automatic re-imports
    (adapters/dynamodb/directory.py)."""
    return _statement(sid, ("dynamodb:Scan",), [table.table_arn])


def read_write(sid: str, *tables: dynamodb.Table) -> iam.PolicyStatement:
    return _statement(sid, TABLE_READ + TABLE_WRITE, [a for t in tables for a in table_arns(t)])


def read_update(sid: str, *tables: dynamodb.Table) -> iam.PolicyStatement:
    """Read, put and update, but never delete (the budgets table)."""
    return _statement(sid, TABLE_READ + TABLE_UPDATE, [a for t in tables for a in table_arns(t)])


def write(sid: str, table: dynamodb.Table, *actions: str) -> iam.PolicyStatement:
    """Only the named write actions, on one table's items (for a function that mostly reads it)."""
    assert set(actions) <= set(TABLE_WRITE), actions
    return _statement(sid, actions, [table.table_arn])


# The schedule records an audit entry per queued job (one, or a batch of them).
AUDIT_WRITE = ("dynamodb:PutItem", "dynamodb:BatchWriteItem")
# A re-import with "add unknown cost codes" on saves the company's extended catalog and its audit
# entry (both items of the directory table).
CATALOG_WRITE = ("dynamodb:PutItem",)


def idempotency(table: dynamodb.Table) -> iam.PolicyStatement:
    return _statement("IdempotencyRecords", IDEMPOTENCY, [table.table_arn])


def send(queue: sqs.Queue) -> iam.PolicyStatement:
    return _statement("SendJobs", QUEUE_SEND, [queue.queue_arn])


def consume(sid: str, queue: sqs.Queue, *, postpone: bool = False) -> iam.PolicyStatement:
    return _statement(sid, QUEUE_CONSUME + (QUEUE_POSTPONE if postpone else ()), [queue.queue_arn])


def erp_secrets(stack: Stack) -> iam.PolicyStatement:
    arn = _erp_secret_arn(stack)
    return _statement("ReadErpCredentials", ("secretsmanager:GetSecretValue",), [arn])


# What the API does with a company's ERP secret: save it (create, or a new value), read it to test
# the connection, read the ERP's projects, catalog and mapping preview, store a rotated refresh
# token (QuickBooks Online, Xero) as a new value, delete it with the connection.
ERP_SECRET_MANAGE = (
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:GetSecretValue",
    "secretsmanager:DeleteSecret",
)
# Inviting a member: Cognito creates the account and emails the temporary password.
USER_POOL_ADMIN = ("cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser")


def _erp_secret_arn(stack: Stack) -> str:
    return _secret_arn(stack, ERP_SECRET_PREFIX)


def _secret_arn(stack: Stack, prefix: str) -> str:
    return stack.format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=f"{prefix}*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def manage_target_secrets(stack: Stack) -> iam.PolicyStatement:
    arn = _secret_arn(stack, TARGET_SECRET_PREFIX)
    return _statement("ManageTargetCredentials", TARGET_SECRET_MANAGE, [arn])


def target_secrets(stack: Stack) -> iam.PolicyStatement:
    arn = _secret_arn(stack, TARGET_SECRET_PREFIX)
    return _statement("ReadTargetCredentials", ("secretsmanager:GetSecretValue",), [arn])


def manage_erp_secrets(stack: Stack) -> iam.PolicyStatement:
    return _statement("ManageErpCredentials", ERP_SECRET_MANAGE, [_erp_secret_arn(stack)])


def invite_users(user_pool_arn: str) -> iam.PolicyStatement:
    return _statement("InviteMembers", USER_POOL_ADMIN, [user_pool_arn])


def rotated_erp_tokens(stack: Stack) -> iam.PolicyStatement:
    """QuickBooks Online and Xero rotate refresh tokens: the worker stores the new one back
    (docs/erps/qbo.md); a new version of an existing ERP secret, never a new secret. The API
    does the same through ManageErpCredentials when a connection test or mapping preview refreshes."""
    arn = _erp_secret_arn(stack)
    return _statement("StoreRotatedErpTokens", ("secretsmanager:PutSecretValue",), [arn])


def write_logs(log_group_arn: str) -> iam.PolicyStatement:
    actions = ("logs:CreateLogStream", "logs:PutLogEvents")
    return _statement("WriteOwnLogs", actions, [log_group_arn])


def upload_exports(bucket: s3.Bucket) -> iam.PolicyStatement:
    """The API signs presigned uploads with its role: it may put objects under the exports prefix."""
    arn = bucket.arn_for_objects(f"{resources.EXPORTS.key_prefix}*")
    return _statement("SignExportUploads", ("s3:PutObject",), [arn])


def read_exports(bucket: s3.Bucket) -> list[iam.PolicyStatement]:
    """The worker lists a job's uploads and reads the latest; nothing outside the prefix."""
    objects = _statement(
        "ReadExports",
        ("s3:GetObject",),
        [bucket.arn_for_objects(f"{resources.EXPORTS.key_prefix}*")],
    )
    listing = iam.PolicyStatement(
        sid="ListExports",
        actions=["s3:ListBucket"],
        resources=[bucket.bucket_arn],
        conditions={"StringLike": {"s3:prefix": [f"{resources.EXPORTS.key_prefix}*"]}},
    )
    return [objects, listing]
