"""The stateful resources: DynamoDB tables and the job queue with its dead-letter queue, built from
chalicelib.resources so the cloud and the local stack share one description."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib import resources

# Idempotency records are a cache of recent work: losing them on stack deletion loses nothing.
DISPOSABLE_TABLES = frozenset({resources.IDEMPOTENCY.logical_id})


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def build_table(scope: Construct, spec: resources.Table) -> dynamodb.Table:
    data = spec.logical_id not in DISPOSABLE_TABLES
    table = dynamodb.Table(
        scope,
        spec.logical_id,
        partition_key=_string(spec.partition_key),
        sort_key=_string(spec.sort_key) if spec.sort_key else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=spec.ttl_attribute,
        removal_policy=RemovalPolicy.RETAIN if data else RemovalPolicy.DESTROY,
        deletion_protection=data,
    )
    for index in spec.indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=_string(index.partition_key),
            sort_key=_string(index.sort_key),
            projection_type=dynamodb.ProjectionType.ALL,
        )
    # Keep the logical id equal to resources.py's, so the template reads like the contract.
    table.node.default_child.override_logical_id(spec.logical_id)  # type: ignore[union-attr]
    return table


def build_tables(scope: Construct) -> dict[str, dynamodb.Table]:
    return {spec.logical_id: build_table(scope, spec) for spec in resources.TABLES}


def build_exports_bucket(scope: Construct) -> s3.Bucket:
    """The uploaded budget exports: private, TLS only, encrypted; browsers POST to it (presigned).

    Old uploads are deleted after a year: a re-import only ever reads a job's latest upload, and a
    year keeps a trail of what was imported.
    """
    spec = resources.EXPORTS
    bucket = s3.Bucket(
        scope,
        spec.logical_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        versioned=False,
        removal_policy=RemovalPolicy.RETAIN,
        lifecycle_rules=[s3.LifecycleRule(prefix=spec.key_prefix, expiration=Duration.days(365))],
        # The web app's origin differs from the bucket's: the browser's presigned POST needs CORS.
        cors=[
            s3.CorsRule(
                allowed_methods=[s3.HttpMethods.POST],
                allowed_origins=["*"],  # the form is signed per upload; the origin adds nothing
                allowed_headers=["*"],
                max_age=3000,
            )
        ],
    )
    bucket.node.default_child.override_logical_id(spec.logical_id)  # type: ignore[union-attr]
    return bucket


def build_queues(
    scope: Construct, dead_letter_handler_timeout: Duration
) -> tuple[sqs.Queue, sqs.Queue]:
    """The job queue and its dead-letter queue; returns (queue, dead_letter_queue)."""
    settings = resources.JOB_QUEUE
    dead_letters = sqs.Queue(
        scope,
        "JobDeadLetterQueue",
        retention_period=Duration.seconds(settings.dlq_retention_seconds),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        # Six times the consumer's timeout, as for the job queue: a slow batch is not redelivered
        # while it is still being handled.
        visibility_timeout=Duration.seconds(6 * dead_letter_handler_timeout.to_seconds()),
    )
    queue = sqs.Queue(
        scope,
        "JobQueue",
        visibility_timeout=Duration.seconds(settings.visibility_timeout_seconds),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        dead_letter_queue=sqs.DeadLetterQueue(
            queue=dead_letters, max_receive_count=settings.max_receive_count
        ),
    )
    return queue, dead_letters
