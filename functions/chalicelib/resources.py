"""The one description of Budget Bridge's AWS resources: table keys, indexes, TTL and queue settings.

Both the CDK stack (infra/) and the local stack's provisioning (devstack/) read these definitions,
and a test checks that the synthesized template agrees with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class Table:
    logical_id: str
    env_var: str  # the environment variable that carries the deployed table name
    default_name: str  # the name used by the local stack
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None


# Budget headers and the packed line chunks of each budget version.
BUDGETS = Table(
    logical_id="BudgetsTable",
    env_var="BUDGETS_TABLE",
    default_name="budget-bridge-budgets",
    partition_key="pk",
    sort_key="sk",
    indexes=(Index("by_company_status", "gsi1pk", "gsi1sk"),),
    ttl_attribute="expires_at",
)

# Jobs, their packed change records and request idempotency keys (which expire after 24 hours).
JOBS = Table(
    logical_id="JobsTable",
    env_var="JOBS_TABLE",
    default_name="budget-bridge-jobs",
    partition_key="pk",
    sort_key="sk",
    indexes=(
        Index("by_company", "gsi1pk", "gsi1sk"),
        Index("by_budget", "gsi2pk", "gsi2sk"),
    ),
    ttl_attribute="expires_at",
)

# Companies, memberships and permissions, cost codes and types, ERP settings, projects.
DIRECTORY = Table(
    logical_id="DirectoryTable",
    env_var="DIRECTORY_TABLE",
    default_name="budget-bridge-directory",
    partition_key="pk",
    sort_key="sk",
    indexes=(Index("by_member", "gsi1pk", "gsi1sk"),),
)

# Powertools idempotency records for the worker, keyed on the job id.
IDEMPOTENCY = Table(
    logical_id="IdempotencyTable",
    env_var="IDEMPOTENCY_TABLE",
    default_name="budget-bridge-idempotency",
    partition_key="id",
    ttl_attribute="expiration",
)

TABLES: tuple[Table, ...] = (BUDGETS, JOBS, DIRECTORY, IDEMPOTENCY)


@dataclass(frozen=True)
class QueueSettings:
    env_var: str
    default_name: str
    dlq_default_name: str
    dlq_env_var: str
    worker_timeout_seconds: int
    visibility_timeout_seconds: int  # at least six times the worker's timeout
    max_receive_count: int  # receives before a message moves to the dead-letter queue
    batch_size: int
    maximum_concurrency: int
    dlq_retention_seconds: int


JOB_QUEUE = QueueSettings(
    env_var="JOB_QUEUE_URL",
    default_name="budget-bridge-jobs",
    dlq_default_name="budget-bridge-jobs-dlq",
    dlq_env_var="JOB_DLQ_URL",
    worker_timeout_seconds=120,
    visibility_timeout_seconds=720,
    max_receive_count=4,
    batch_size=5,
    maximum_concurrency=10,
    dlq_retention_seconds=14 * 24 * 3600,
)

# The schedule that looks for budgets due for an automatic re-import.
SCHEDULE_RATE_MINUTES = 15
SCHEDULE_RULE_NAME = "budget-bridge-auto-reimport"

# Cognito
USER_POOL_NAME = "budget-bridge-users"
USER_POOL_CLIENT_NAME = "budget-bridge-web"

# Names of the Lambda functions the Chalice app defines (besides the API handler).
WORKER_FUNCTION = "reimport_worker"
DEAD_LETTER_FUNCTION = "dead_letter_handler"
SCHEDULE_FUNCTION = "auto_reimport_schedule"

# ERP credentials live in Secrets Manager under this prefix; the worker may read no other secret.
ERP_SECRET_PREFIX = "budget-bridge/erp/"

# The metrics the functions emit (Powertools, CloudWatch embedded metric format) and the alarms and
# dashboard of infra/observability.py read: one namespace, a `service` dimension on each.
METRICS_NAMESPACE = "BudgetBridge"
METRICS_SERVICE = "budget-bridge"
METRIC_JOBS_SUCCEEDED = "JobsSucceeded"
METRIC_JOBS_FAILED = "JobsFailed"
METRIC_JOBS_DEAD_LETTERED = "JobsDeadLettered"
METRIC_LINES_APPLIED = "LinesApplied"
METRIC_TIME_TO_SUCCESS = "TimeToSuccess"  # ms from the request to the budget showing the ERP's amounts
METRIC_ERP_LATENCY = "ErpLatency"  # ms, with an `erp_system` dimension besides `service`
METRIC_ERP_SYSTEM_DIMENSION = "erp_system"
