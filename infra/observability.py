"""What lets a small team run Budget Bridge at night: X-Ray tracing, alarms that page (each says
what to do, in the words of docs/operations.md), the re-import dashboard, and retention on every
log group, including those of the helper functions CDK adds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import jsii
from aws_cdk import CfnResource, Duration, IAspect, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sam as sam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from chalicelib import resources

RUNBOOK = "docs/operations.md"
NAMESPACE = resources.METRICS_NAMESPACE
SERVICE_DIMENSION = {"service": resources.METRICS_SERVICE}
FIVE_MINUTES = Duration.minutes(5)

# Thresholds (docs/operations.md explains each).
API_5XX_PERCENT = 5  # of requests, over five minutes with at least API_5XX_MIN_REQUESTS
API_5XX_MIN_REQUESTS = 10  # fewer requests than this never page: one error would be 100 %
API_P99_LATENCY_MS = 3000
# A timed-out worker's message comes back after the queue's visibility timeout (12 minutes), and
# retries wait up to 4 minutes: a message older than half an hour is stuck behind something.
QUEUE_OLDEST_MESSAGE_SECONDS = 1800
FAILED_JOBS_PER_HOUR = 5
# Dead letters nobody takes: the dead-letter handler's mapping takes each one within seconds, so a
# message left visible this long means the mapping is off (paused for a redrive and not turned
# back on) and new dead letters' jobs stay in progress with their budgets claimed.
DEAD_LETTERS_WAITING_PERIODS = 3  # five-minute periods: 15 minutes
# The schedule runs every SCHEDULE_RATE_MINUTES: page when two runs in a row did not succeed.
SCHEDULE_WINDOW = Duration.minutes(2 * resources.SCHEDULE_RATE_MINUTES)

# X-Ray takes no resource-level permissions: these two actions are granted on "*".
TRACE_WRITE = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")


@dataclass(frozen=True)
class Watched:
    """The deployed names and resources the alarms and the dashboard read."""

    function_names: Mapping[str, str]  # product function -> deployed FunctionName
    api_name: str
    api_stage: str
    queue: sqs.Queue
    dead_letter_queue: sqs.Queue
    tables: Mapping[str, dynamodb.Table]


# --- tracing ------------------------------------------------------------------------------


def enable_tracing(
    scope: Construct,
    api: sam.CfnApi,
    functions: Mapping[str, sam.CfnFunction],
    roles: list[CfnResource],
) -> iam.CfnPolicy:
    """X-Ray on the API stage, active tracing on every product function (chalice.json's `xray`
    already asks for it; it is set here too so the template cannot lose it), and the right to
    send segments for each function's role."""
    api.tracing_enabled = True
    statement = iam.PolicyStatement(sid="WriteTraces", actions=list(TRACE_WRITE), resources=["*"])
    policy = iam.CfnPolicy(
        scope,
        "WriteTraces",
        policy_name="write-traces",
        policy_document=iam.PolicyDocument(statements=[statement]).to_json(),
        roles=[role.ref for role in roles],
    )
    for function in functions.values():
        function.tracing = "Active"
        function.add_resource_dependency(policy)
    return policy


# --- log retention ------------------------------------------------------------------------


@jsii.implements(IAspect)
class HelperFunctionDefaults:
    """What the product functions have, given to every plain Lambda function too (CDK's
    custom-resource helpers): a log group with retention, where Lambda would otherwise create one
    that never expires, and arm64 for the Node.js ones (their handlers are plain JavaScript). A
    function that already names a log group or an architecture keeps it."""

    def __init__(self, retention: logs.RetentionDays) -> None:
        self.retention = retention

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource) or node.cfn_resource_type != "AWS::Lambda::Function":
            return
        if _runs_on_any_architecture(node):
            node.add_property_override("Architectures", ["arm64"])
        group_id = f"{node.node.id}Logs"
        scope = node.node.scope
        # Aspects run again on each synthesis of the same app: add the group once.
        if _names_a_log_group(node) or scope is None or scope.node.try_find_child(group_id):
            return
        group = logs.LogGroup(
            scope, group_id, retention=self.retention, removal_policy=RemovalPolicy.DESTROY
        )
        # The reference alone makes CloudFormation create the group first.
        node.add_property_override("LoggingConfig.LogGroup", group.log_group_name)


def _names_a_log_group(function: CfnResource) -> bool:
    if isinstance(function, lambda_.CfnFunction):
        config = function.logging_config
        return config is not None and getattr(config, "log_group", None) is not None
    return False


def _runs_on_any_architecture(function: CfnResource) -> bool:
    if isinstance(function, lambda_.CfnFunction):
        runtime = function.runtime or ""
        return not function.architectures and runtime.startswith("nodejs")
    # The rest are CDK's CustomResourceProvider handlers, which are always Node.js.
    return True


# --- alarms -------------------------------------------------------------------------------


def _lambda_metric(
    function_name: str, metric: str, statistic: str, period: Duration
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric,
        dimensions_map={"FunctionName": function_name},
        statistic=statistic,
        period=period,
    )


def _api_metric(watched: Watched, metric: str, statistic: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/ApiGateway",
        metric_name=metric,
        dimensions_map={"ApiName": watched.api_name, "Stage": watched.api_stage},
        statistic=statistic,
        period=FIVE_MINUTES,
    )


def product_metric(
    name: str, statistic: str = "Sum", period: Duration = FIVE_MINUTES
) -> cloudwatch.Metric:
    """A metric the functions emit through Powertools (namespace BudgetBridge, service dimension)."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map=SERVICE_DIMENSION,
        statistic=statistic,
        period=period,
    )


def _say(what: str, do: str, anchor: str) -> str:
    return f"{what} What to do: {do} Runbook: {RUNBOOK}#{anchor}"


@dataclass(frozen=True)
class AlarmSpec:
    construct_id: str
    description: str
    metric: cloudwatch.IMetric
    threshold: float
    comparison: cloudwatch.ComparisonOperator
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING


GREATER = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
LESS = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD


def alarm_specs(watched: Watched) -> list[AlarmSpec]:
    worker = watched.function_names[resources.WORKER_FUNCTION]
    schedule = watched.function_names[resources.SCHEDULE_FUNCTION]
    return [
        AlarmSpec(
            "Api5xxRate",
            _say(
                f"More than {API_5XX_PERCENT}% of API requests failed with a 5xx in five minutes.",
                "open the API function's logs for 'internal_error' and the X-Ray traces of failed "
                "requests; roll back the last deployment if it began with it.",
                "api-5xx-rate",
            ),
            cloudwatch.MathExpression(
                expression=f"IF(requests >= {API_5XX_MIN_REQUESTS}, 100 * errors / requests, 0)",
                using_metrics={
                    "errors": _api_metric(watched, "5XXError", "Sum"),
                    "requests": _api_metric(watched, "Count", "Sum"),
                },
                label="API 5xx (% of requests)",
                period=FIVE_MINUTES,
            ),
            API_5XX_PERCENT,
            GREATER,
            evaluation_periods=2,
        ),
        AlarmSpec(
            "ApiLatencyP99",
            _say(
                f"The API's p99 latency stayed above {API_P99_LATENCY_MS} ms for 15 minutes.",
                "find the slow route in X-Ray (annotation 'route'); check DynamoDB throttles on "
                "the dashboard and the API function's duration and concurrency.",
                "api-p99-latency",
            ),
            _api_metric(watched, "Latency", "p99"),
            API_P99_LATENCY_MS,
            GREATER,
            evaluation_periods=3,
        ),
        AlarmSpec(
            "WorkerErrors",
            _say(
                "The re-import worker failed: an error escaped its batch handler.",
                "open the worker's logs for the error and its job_id; the job's message is "
                "retried, so watch the dead-letter alarm; fix and redeploy if it repeats.",
                "worker-errors",
            ),
            _lambda_metric(worker, "Errors", "Sum", FIVE_MINUTES),
            0,
            GREATER,
        ),
        AlarmSpec(
            "WorkerThrottles",
            _say(
                "Lambda throttled the re-import worker for ten minutes.",
                "the account's concurrency is used up: check the other functions' concurrency, "
                "ask AWS for a higher limit, or lower the queue mapping's maximum concurrency.",
                "worker-throttles",
            ),
            _lambda_metric(worker, "Throttles", "Sum", FIVE_MINUTES),
            0,
            GREATER,
            evaluation_periods=2,
        ),
        AlarmSpec(
            "JobQueueOldestMessage",
            _say(
                f"A re-import job has waited in the queue for more than {QUEUE_OLDEST_MESSAGE_SECONDS // 60} minutes.",
                "check the worker's errors, throttles and the queue mapping (enabled?); look for "
                "one ERP answering slowly in the ERP latency graph.",
                "job-queue-oldest-message",
            ),
            watched.queue.metric_approximate_age_of_oldest_message(
                period=FIVE_MINUTES, statistic="Maximum"
            ),
            QUEUE_OLDEST_MESSAGE_SECONDS,
            GREATER,
            evaluation_periods=2,
        ),
        # Every message that reaches the dead-letter queue is received by the dead-letter handler
        # (the stack's "DeadLetters" event source mapping, enabled), so the queue's
        # NumberOfMessagesReceived counts each dead letter within seconds of its arrival. Not the
        # visible count: the mapping takes a dead letter long before SQS samples it (about once a
        # minute). Not NumberOfMessagesSent: SQS does not count redrive-policy moves there. Not the
        # app's JobsDeadLettered: the handler (entrypoints/worker.py) emits it only once it has
        # failed the job, never for a dead letter it drops (unreadable, no such job) or one whose
        # amounts it could not put back yet (services/reimports.fail_dead_letter raises). Such a
        # letter comes back every visibility timeout of the dead-letter queue (shorter than the
        # period), so the alarm stays in alarm instead of clearing and paging again.
        AlarmSpec(
            "DeadLettersReceived",
            _say(
                "A re-import job message reached the dead-letter queue.",
                "the dead-letter handler fails its job and frees the budget; read why in the "
                "worker's logs for that job_id, fix the cause; if the alarm does not clear, the "
                "handler cannot finish (its logs say why).",
                "dead-letters",
            ),
            watched.dead_letter_queue.metric_number_of_messages_received(
                period=FIVE_MINUTES, statistic="Sum"
            ),
            0,
            GREATER,
        ),
        # What the alarm above cannot see: dead letters nobody receives. The minimum over a period
        # stays above zero only when a dead letter was visible the whole time.
        AlarmSpec(
            "DeadLettersWaiting",
            _say(
                "Dead letters have waited in the dead-letter queue for "
                f"{DEAD_LETTERS_WAITING_PERIODS * 5} minutes: nothing is taking them.",
                "turn the dead-letter handler's event source mapping back on (it is paused during "
                "a redrive); until then their jobs stay in progress and their budgets claimed.",
                "dead-letters-waiting",
            ),
            watched.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=FIVE_MINUTES, statistic="Minimum"
            ),
            0,
            GREATER,
            evaluation_periods=DEAD_LETTERS_WAITING_PERIODS,
        ),
        AlarmSpec(
            "FailedJobsPerHour",
            _say(
                f"{FAILED_JOBS_PER_HOUR} or more re-import jobs failed in an hour.",
                "read the failed jobs' messages (worker logs, 'job failed'): one company's ERP "
                "credentials or connection are the usual cause; rotate the secret if so.",
                "failed-jobs",
            ),
            product_metric(resources.METRIC_JOBS_FAILED, "Sum", Duration.hours(1)),
            FAILED_JOBS_PER_HOUR,
            AT_LEAST,
        ),
        AlarmSpec(
            "ScheduleNotRunning",
            _say(
                f"The automatic re-import schedule has not run successfully for {SCHEDULE_WINDOW.to_minutes()} minutes.",
                "check that the EventBridge rule is enabled and the schedule function's logs "
                "and errors; it also re-sends lost job messages, so queued jobs may be waiting.",
                "schedule-not-running",
            ),
            cloudwatch.MathExpression(
                expression="invocations - errors",
                using_metrics={
                    "invocations": _lambda_metric(schedule, "Invocations", "Sum", SCHEDULE_WINDOW),
                    "errors": _lambda_metric(schedule, "Errors", "Sum", SCHEDULE_WINDOW),
                },
                label="successful schedule runs",
                period=SCHEDULE_WINDOW,
            ),
            1,
            LESS,
            # No runs at all leave no data: that is exactly what this alarm is for.
            missing=cloudwatch.TreatMissingData.BREACHING,
        ),
    ]


def build_alarms(
    scope: Construct, watched: Watched, alarm_email: str | None
) -> tuple[sns.Topic, list[cloudwatch.Alarm]]:
    """Every alarm pages the Alarms topic when it fires and again when it clears."""
    topic = sns.Topic(scope, "Alarms", display_name="Budget Bridge alarms", enforce_ssl=True)
    if alarm_email:
        topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
    action = cw_actions.SnsAction(topic)
    stage = Stack.of(scope).stack_name
    alarms = []
    for spec in alarm_specs(watched):
        alarm = cloudwatch.Alarm(
            scope,
            spec.construct_id,
            alarm_name=f"{stage}-{spec.construct_id}",
            alarm_description=spec.description,
            metric=spec.metric,
            threshold=spec.threshold,
            comparison_operator=spec.comparison,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=spec.missing,
        )
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        alarms.append(alarm)
    return topic, alarms


# --- dashboard ----------------------------------------------------------------------------


def _graph(title: str, left: list[cloudwatch.IMetric], **options: object) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=left, width=12, height=6, **options)  # type: ignore[arg-type]


def _erp_latency(statistic: str) -> cloudwatch.MathExpression:
    # One line per ERP system that reported, without listing the systems here.
    schema = (
        f"{{{NAMESPACE},{resources.METRIC_ERP_SYSTEM_DIMENSION},service}} "
        f'MetricName="{resources.METRIC_ERP_LATENCY}"'
    )
    return cloudwatch.MathExpression(
        expression=f"SEARCH('{schema}', '{statistic}', 300)",
        using_metrics={},
        label=f"ERP latency {statistic} (ms)",
        period=FIVE_MINUTES,
    )


def _table_metrics(tables: Mapping[str, dynamodb.Table], metric: str) -> list[cloudwatch.IMetric]:
    return [
        table.metric(metric, statistic="Sum", period=FIVE_MINUTES, label=f"{logical_id} {metric}")
        for logical_id, table in tables.items()
    ]


def dashboard_rows(watched: Watched) -> list[list[cloudwatch.IWidget]]:
    """The re-import path from request to applied budget, top to bottom (the runbook reads it
    in this order)."""
    worker = watched.function_names[resources.WORKER_FUNCTION]
    queue = watched.queue
    return [
        [
            _graph(
                "API requests and errors",
                [_api_metric(watched, "Count", "Sum")],
                right=[
                    _api_metric(watched, "4XXError", "Sum"),
                    _api_metric(watched, "5XXError", "Sum"),
                ],
            ),
            _graph(
                "API latency (ms)",
                [_api_metric(watched, "Latency", "p50"), _api_metric(watched, "Latency", "p99")],
            ),
        ],
        [
            _graph(
                "Jobs queued / succeeded / failed",
                [
                    queue.metric_number_of_messages_sent(
                        period=FIVE_MINUTES, statistic="Sum", label="queued (messages sent)"
                    ),
                    product_metric(resources.METRIC_JOBS_SUCCEEDED),
                    product_metric(resources.METRIC_JOBS_FAILED),
                    product_metric(resources.METRIC_JOBS_DEAD_LETTERED),
                ],
            ),
            _graph(
                "Time from request to success (ms)",
                [
                    product_metric(resources.METRIC_TIME_TO_SUCCESS, "p50"),
                    product_metric(resources.METRIC_TIME_TO_SUCCESS, "p95"),
                ],
            ),
        ],
        [
            _graph("Lines applied", [product_metric(resources.METRIC_LINES_APPLIED)]),
            _graph("ERP latency per ERP system (ms)", [_erp_latency("p50"), _erp_latency("p95")]),
        ],
        [
            _graph(
                "Job queue",
                [
                    queue.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum"
                    ),
                    watched.dead_letter_queue.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum", label="dead letters"
                    ),
                ],
                right=[
                    queue.metric_approximate_age_of_oldest_message(
                        period=FIVE_MINUTES, statistic="Maximum"
                    )
                ],
            ),
            _graph(
                "Worker",
                [
                    _lambda_metric(worker, "Invocations", "Sum", FIVE_MINUTES),
                    _lambda_metric(worker, "Errors", "Sum", FIVE_MINUTES),
                    _lambda_metric(worker, "Throttles", "Sum", FIVE_MINUTES),
                ],
                right=[
                    _lambda_metric(worker, "Duration", "p95", FIVE_MINUTES),
                    _lambda_metric(worker, "ConcurrentExecutions", "Maximum", FIVE_MINUTES),
                ],
            ),
        ],
        [
            _graph(
                "DynamoDB consumed capacity",
                _table_metrics(watched.tables, "ConsumedWriteCapacityUnits"),
                right=_table_metrics(watched.tables, "ConsumedReadCapacityUnits"),
            ),
            _graph(
                "DynamoDB throttles",
                _table_metrics(watched.tables, "WriteThrottleEvents")
                + _table_metrics(watched.tables, "ReadThrottleEvents"),
            ),
        ],
    ]


def build_dashboard(scope: Construct, watched: Watched) -> cloudwatch.Dashboard:
    return cloudwatch.Dashboard(
        scope,
        "Dashboard",
        dashboard_name=f"{Stack.of(scope).stack_name}-reimports",
        default_interval=Duration.hours(6),
        widgets=dashboard_rows(watched),
    )
