"""Creates on the embedded moto server every AWS resource the infra defines for the app.

Tables (through the app's own provisioning helper), the job queue and its dead-letter queue with
the redrive policy, the Cognito user pool and web client, one ERP credentials secret per company
and the EventBridge rule of the schedule. Everything is named from `chalicelib.resources`, so the
local stack and `infra/` describe the same account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import resources
from chalicelib.adapters.dynamodb.provision import create_tables
from chalicelib.adapters.secrets import SecretsManagerSecretStore
from chalicelib.adapters.sqs import create_queues as create_job_queues
from chalicelib.domain.model import ErpCredentials

# The pool's password policy, as the deployed pool's (resources.PASSWORD_POLICY).
_POLICY = resources.PASSWORD_POLICY
PASSWORD_POLICY = {
    "MinimumLength": _POLICY.min_length,
    "RequireUppercase": _POLICY.require_uppercase,
    "RequireLowercase": _POLICY.require_lowercase,
    "RequireNumbers": _POLICY.require_digits,
    "RequireSymbols": _POLICY.require_symbols,
    "TemporaryPasswordValidityDays": _POLICY.temporary_password_days,
}
AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
SECRET_PREFIX = resources.ERP_SECRET_PREFIX
APP_STAGE = "dev"


@dataclass(frozen=True)
class Provisioned:
    """What the app needs to know about the provisioned account (its environment)."""

    tables: list[str]
    job_queue_url: str
    job_queue_arn: str
    job_dlq_url: str
    job_dlq_arn: str
    user_pool_id: str
    user_pool_client_id: str
    schedule_rule_arn: str
    exports_bucket: str
    account_id: str
    region: str

    def environment(self) -> dict[str, str]:
        """The environment variables the app reads (chalicelib.config) for these resources."""
        env = {
            table.env_var: name for table, name in zip(resources.TABLES, self.tables, strict=True)
        }
        env.update(
            {
                resources.JOB_QUEUE.env_var: self.job_queue_url,
                resources.JOB_QUEUE.dlq_env_var: self.job_dlq_url,
                "USER_POOL_ID": self.user_pool_id,
                "USER_POOL_CLIENT_ID": self.user_pool_client_id,
                resources.EXPORTS.env_var: self.exports_bucket,
                # Browsers upload through the local web server (devstack/web.py), same-origin.
                resources.EXPORTS.upload_url_env_var: (
                    f"{resources.EXPORTS.local_upload_path}{self.exports_bucket}"
                ),
            }
        )
        return env


def function_name(name: str) -> str:
    """The deployed Lambda name of one of the app's functions, as Chalice names it."""
    return f"budget-bridge-{APP_STAGE}-{name}"


def function_arn(name: str, region: str, account_id: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{function_name(name)}"


def provision(session: Any) -> Provisioned:
    """Create everything (idempotent: running it twice on the same server changes nothing)."""
    region = session.region_name
    account_id = session.client("sts").get_caller_identity()["Account"]
    tables = create_tables(session.client("dynamodb"))
    queue_url, queue_arn, dlq_url, dlq_arn = create_queues(session.client("sqs"))
    pool_id, client_id = create_user_pool(session.client("cognito-idp"))
    rule_arn = create_schedule(session.client("events"), region, account_id)
    exports_bucket = create_exports_bucket(session.client("s3"), region)
    return Provisioned(
        tables=tables,
        job_queue_url=queue_url,
        job_queue_arn=queue_arn,
        job_dlq_url=dlq_url,
        job_dlq_arn=dlq_arn,
        user_pool_id=pool_id,
        user_pool_client_id=client_id,
        schedule_rule_arn=rule_arn,
        exports_bucket=exports_bucket,
        account_id=account_id,
        region=region,
    )


def create_exports_bucket(s3: Any, region: str) -> str:
    """The uploaded budget exports' bucket (resources.EXPORTS), with CORS for the web app's POST."""
    name = resources.EXPORTS.default_name
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if name not in existing:
        where = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        s3.create_bucket(Bucket=name, **where)
    s3.put_bucket_cors(
        Bucket=name,
        CORSConfiguration={"CORSRules": [
            {"AllowedMethods": ["POST"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"]}
        ]},
    )  # fmt: skip
    return name


def create_queues(sqs: Any) -> tuple[str, str, str, str]:
    """The job queue and its dead-letter queue (the SQS adapter's own helper, from resources.py).

    Answers (url, arn, dlq url, dlq arn).
    """
    queue_url, dlq_url = create_job_queues(sqs)
    return queue_url, _queue_arn(sqs, queue_url), dlq_url, _queue_arn(sqs, dlq_url)


def _queue_arn(sqs: Any, url: str) -> str:
    answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return answer["Attributes"]["QueueArn"]


def create_user_pool(cognito: Any) -> tuple[str, str]:
    """The user pool (email is the user name) and the web app's client; answers their ids."""
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    existing = next((p for p in pools if p["Name"] == resources.USER_POOL_NAME), None)
    if existing is not None:
        pool_id = existing["Id"]
    else:
        pool_id = cognito.create_user_pool(
            PoolName=resources.USER_POOL_NAME,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": PASSWORD_POLICY},
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        )["UserPool"]["Id"]
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client = next((c for c in clients if c["ClientName"] == resources.USER_POOL_CLIENT_NAME), None)
    if client is not None:
        return pool_id, client["ClientId"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=resources.USER_POOL_CLIENT_NAME,
        GenerateSecret=False,
        ExplicitAuthFlows=AUTH_FLOWS,
        PreventUserExistenceErrors="ENABLED",
        # As in AWS: tokens carry email_verified, and users cannot rewrite their own email.
        ReadAttributes=["email", "email_verified", "name"],
        WriteAttributes=["name"],
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def create_schedule(events: Any, region: str, account_id: str) -> str:
    """The schedule's rule and its target (the schedule function); answers the rule's ARN.

    On moto nothing fires it: the local timer (devstack.timer) sends the events it would send.
    """
    rule_arn = events.put_rule(
        Name=resources.SCHEDULE_RULE_NAME,
        ScheduleExpression=f"rate({resources.SCHEDULE_RATE_MINUTES} minutes)",
        State="ENABLED",
        Description="Looks for budgets due for an automatic re-import.",
    )["RuleArn"]
    events.put_targets(
        Rule=resources.SCHEDULE_RULE_NAME,
        Targets=[
            {
                "Id": resources.SCHEDULE_FUNCTION,
                "Arn": function_arn(resources.SCHEDULE_FUNCTION, region, account_id),
            }
        ],
    )
    return rule_arn


def put_erp_secret(
    secrets: Any, company_id: str, username: str = "", password: str = "", **fields: str
) -> str:
    """Store (or replace) a company's ERP credentials; answers the secret's id (its name).

    Acumatica's are a user name and password; other ERPs' are named fields (client id, ...).
    """
    name = f"{SECRET_PREFIX}{company_id}"
    values = {"username": username, "password": password} if username or password else {}
    SecretsManagerSecretStore(secrets).put_erp_credentials(
        name, ErpCredentials.of(**values, **fields)
    )
    return name
