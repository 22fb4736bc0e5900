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
        # Sparse: only a queued job carries queued_pk, so the lost-message sweep reads just the
        # jobs still waiting, however many finished jobs the table holds.
        Index("queued", "queued_pk", "queued_sk"),
        # Sparse: a job carries open_pk (its company) while queued or running, so "is any job of
        # this company unfinished?" (DELETE /erp/connection) is one small query, previews and
        # unlinked projects' jobs included, however many finished jobs the company has.
        Index("unfinished", "open_pk", "gsi1sk"),
    ),
    ttl_attribute="expires_at",
)

# A finished job (and its change records) expires this long after it finished. At least 365 days:
# a budget's history of versions is kept that long and reads a job's changes.
FINISHED_JOB_RETENTION_DAYS = 400

# Companies, memberships and permissions, cost codes and types, ERP settings, links to ERP jobs,
# and the audit log (whose entries expire after AUDIT_RETENTION_DAYS).
DIRECTORY = Table(
    logical_id="DirectoryTable",
    env_var="DIRECTORY_TABLE",
    default_name="budget-bridge-directory",
    partition_key="pk",
    sort_key="sk",
    indexes=(Index("by_member", "gsi1pk", "gsi1sk"),),
    ttl_attribute="expires_at",
)

# Audit entries are kept at least a year; a little more, so "a year ago" is always still there.
AUDIT_RETENTION_DAYS = 400

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
class Bucket:
    logical_id: str
    env_var: str
    default_name: str
    key_prefix: str  # every object lives under it: the IAM grants name it, nothing wider
    max_object_bytes: int
    # Where browsers POST uploads: in AWS the bucket's regional address, the one origin besides
    # 'self' the web app's CSP allows (SecurityHeaders); on the local stack a same-origin path
    # its web server passes to moto.
    upload_url_env_var: str = "EXPORTS_UPLOAD_URL"
    local_upload_path: str = "/_s3/"


# Budget exports (CSV/XLSX) admins upload for the spreadsheet import, one folder per company and
# job; the browser PUTs to a presigned URL, the worker reads the latest (docs/erps/spreadsheet.md).
EXPORTS = Bucket(
    logical_id="ExportsBucket",
    env_var="EXPORTS_BUCKET",
    default_name="budget-bridge-exports",
    key_prefix="exports/",
    max_object_bytes=10 * 1024 * 1024,
)


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
    dead_letter_timeout_seconds: int  # the dead-letter handler's timeout (chalice.json says it too)

    @property
    def dlq_visibility_timeout_seconds(self) -> int:
        """Six times its consumer's timeout, as for the job queue: a slow batch of dead letters is
        not handed out again while it is still being handled."""
        return 6 * self.dead_letter_timeout_seconds


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
    dead_letter_timeout_seconds=30,
)

# The schedule that looks for budgets due for an automatic re-import.
SCHEDULE_RATE_MINUTES = 15
SCHEDULE_RULE_NAME = "budget-bridge-auto-reimport"

# Cognito
USER_POOL_NAME = "budget-bridge-users"


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int
    require_lowercase: bool
    require_uppercase: bool
    require_digits: bool
    require_symbols: bool
    temporary_password_days: int


# The user pool's password rules, in AWS and on the local stack alike; the API says a broken rule
# in its own words before Cognito does (adapters/invitations.password_problem), and the web app's
# New Password hint says the same.
PASSWORD_POLICY = PasswordPolicy(
    min_length=12,
    require_lowercase=True,
    require_uppercase=True,
    require_digits=True,
    require_symbols=True,
    temporary_password_days=3,
)
# What Cognito counts as a symbol.
PASSWORD_SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"
USER_POOL_CLIENT_NAME = "budget-bridge-web"

# Names of the Lambda functions the Chalice app defines (besides the API handler).
WORKER_FUNCTION = "reimport_worker"
DEAD_LETTER_FUNCTION = "dead_letter_handler"
SCHEDULE_FUNCTION = "auto_reimport_schedule"

# ERP credentials live in Secrets Manager under this prefix; the worker may read no other secret.
ERP_SECRET_PREFIX = "budget-bridge/erp/"
# A company's budget target credentials (Procore's client id and secret) live under this one; the
# API stores them, the API and the worker read them.
TARGET_SECRET_PREFIX = "budget-bridge/target/"

# The metrics the functions emit (Powertools, CloudWatch embedded metric format) and the alarms and
# dashboard of infra/observability.py read: one namespace, a `service` dimension on each.
METRICS_NAMESPACE = "BudgetBridge"
METRICS_SERVICE = "budget-bridge"
METRIC_JOBS_SUCCEEDED = "JobsSucceeded"
METRIC_JOBS_FAILED = "JobsFailed"
METRIC_JOBS_DEAD_LETTERED = "JobsDeadLettered"
METRIC_LINES_APPLIED = "LinesApplied"
METRIC_TIME_TO_SUCCESS = (
    "TimeToSuccess"  # ms from the request to the budget showing the ERP's amounts
)
METRIC_ERP_LATENCY = "ErpLatency"  # ms, with an `erp_system` dimension besides `service`
METRIC_ERP_SYSTEM_DIMENSION = "erp_system"


@dataclass(frozen=True)
class SecurityHeaders:
    """The security headers every web answer carries: CloudFront in AWS, the local web server here.

    One definition, so the local stack shows exactly the policy a deployment enforces.
    """

    hsts_max_age_days: int = 730
    frame_option: str = "DENY"
    referrer_policy: str = "strict-origin-when-cross-origin"

    def content_security_policy(self, upload_origin: str = "") -> str:
        """The web app loads only its own scripts and styles and talks only to its own origin
        (the API is behind the same domain), so the policy can be this strict.

        `upload_origin` is the one other address it may reach: the exports bucket's own origin
        (`https://<bucket>.s3.<region>.amazonaws.com`), where the browser POSTs a budget export
        with a presigned form (docs/erps/spreadsheet.md). The CDK app knows the bucket; the local
        stack needs none, as its uploads go to a same-origin path its web server passes to moto.
        """
        connect = " ".join(["'self'", upload_origin]) if upload_origin else "'self'"
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self' data:",
                "font-src 'self'",
                f"connect-src {connect}",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )

    def http_headers(self, upload_origin: str = "") -> dict[str, str]:
        return {
            "Content-Security-Policy": self.content_security_policy(upload_origin),
            "Strict-Transport-Security": (
                f"max-age={self.hsts_max_age_days * 24 * 3600}; includeSubDomains; preload"
            ),
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": self.frame_option,
            "Referrer-Policy": self.referrer_policy,
        }


SECURITY_HEADERS = SecurityHeaders()
