"""What lets a team run a deployment at night: X-Ray on every product function (arm64), alarms that
page and say what to do (each pointing at its section of docs/operations.md), the re-import
dashboard, and retention on the logs of every function, CDK's helpers included."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib import resources
from infra import observability
from infra.stack import API_STAGE, FUNCTIONS, function_logical_id, role_logical_id

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "operations.md"


def _alarms(synthesized) -> list[dict[str, Any]]:
    return [a["Properties"] for a in synthesized.resources("AWS::CloudWatch::Alarm").values()]


def _metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric an alarm reads, plain or inside its metric math, as {namespace, name, dims}."""
    if "MetricName" in alarm:
        plain = [
            {
                "Namespace": alarm["Namespace"],
                "MetricName": alarm["MetricName"],
                "Dimensions": alarm.get("Dimensions", []),
                "Stat": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
                "Period": alarm["Period"],
            }
        ]
        return plain
    return [
        {
            **m["MetricStat"]["Metric"],
            "Stat": m["MetricStat"]["Stat"],
            "Period": m["MetricStat"]["Period"],
        }
        for m in alarm.get("Metrics", [])
        if "MetricStat" in m
    ]


def _alarms_reading(synthesized, namespace: str, metric: str) -> list[dict[str, Any]]:
    return [
        alarm
        for alarm in _alarms(synthesized)
        if any(
            s["Namespace"] == namespace and s["MetricName"] == metric for s in _metric_stats(alarm)
        )
    ]


def _dimensions(stat: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in stat["Dimensions"]}


def _function_name(synthesized, function: str) -> str:
    return synthesized.resource(function_logical_id(function))["Properties"]["FunctionName"]


def _runbook_anchors() -> set[str]:
    headings = re.findall(r"^#+ (.+)$", RUNBOOK.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-") for h in headings}


def _job_queue_id(synthesized) -> str:
    (queue_id,) = [
        logical_id
        for logical_id, q in synthesized.resources("AWS::SQS::Queue").items()
        if "RedrivePolicy" in q["Properties"]
    ]
    return queue_id


def _dead_letter_queue_id(synthesized) -> str:
    queue = synthesized.resource(_job_queue_id(synthesized))
    (dead_letters, _) = queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"]
    return dead_letters


# --- tracing and arm64 --------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_product_function_is_traced_by_x_ray_and_runs_on_arm64(synthesized, function):
    props = synthesized.resource(function_logical_id(function))["Properties"]
    assert props["Tracing"] == "Active"
    assert props["Architectures"] == ["arm64"]


def test_every_function_of_the_stack_runs_on_arm64_cdks_helpers_included(synthesized):
    functions = {
        **synthesized.resources("AWS::Lambda::Function"),
        **synthesized.resources("AWS::Serverless::Function"),
    }
    assert len(functions) >= len(FUNCTIONS) + 2
    for logical_id, function in functions.items():
        assert function["Properties"].get("Architectures") == ["arm64"], logical_id


def test_the_deployment_package_carries_arm64_builds_of_the_compiled_dependencies(synthesized):
    import zipfile

    key = synthesized.resource(function_logical_id(FUNCTIONS[0]))["Properties"]["CodeUri"]["Key"]
    package = synthesized.template_path.parent / f"asset.{key}"
    compiled = [n for n in zipfile.ZipFile(package).namelist() if n.endswith(".so")]
    assert any("pydantic_core" in name for name in compiled)
    assert [n for n in compiled if "x86_64" in n] == []
    assert [n for n in compiled if "aarch64" in n]


def test_the_api_stage_is_traced(synthesized):
    assert synthesized.resource("RestAPI")["Properties"]["TracingEnabled"] is True


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_product_function_may_send_its_traces(synthesized, function):
    role = role_logical_id(function)
    granted = [
        (policy_id, policy["Properties"])
        for policy_id, policy in synthesized.resources("AWS::IAM::Policy").items()
        if {"Ref": role} in policy["Properties"].get("Roles", [])
    ]
    actions = {
        action
        for _, props in granted
        for statement in props["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    }
    assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= actions
    # The function is created after the grant, so its first traces are not refused.
    depends_on = synthesized.resource(function_logical_id(function)).get("DependsOn", [])
    assert any(policy_id in depends_on for policy_id, _ in granted)


def test_the_trace_grant_is_the_only_grant_of_a_function_role_on_every_resource(synthesized):
    # X-Ray takes no resource-level permissions; every other grant names this stack's resources.
    roles = [{"Ref": role_logical_id(function)} for function in FUNCTIONS]
    for policy in synthesized.resources("AWS::IAM::Policy").values():
        if not any(role in policy["Properties"].get("Roles", []) for role in roles):
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Resource"] == "*":
                assert set(statement["Action"]) == set(observability.TRACE_WRITE)


# --- log retention ------------------------------------------------------------------------


def test_every_function_of_the_stack_logs_to_a_group_with_retention(synthesized):
    groups = synthesized.resources("AWS::Logs::LogGroup")
    by_name = {
        g["Properties"].get("LogGroupName"): g
        for g in groups.values()
        if "LogGroupName" in g["Properties"]
    }
    functions = {
        **synthesized.resources("AWS::Lambda::Function"),
        **synthesized.resources("AWS::Serverless::Function"),
    }
    assert len(functions) >= len(FUNCTIONS) + 2  # CDK's bucket helpers too
    for logical_id, function in functions.items():
        props = function["Properties"]
        configured = props.get("LoggingConfig", {}).get("LogGroup")
        if configured is not None:
            group = groups[configured["Ref"]]
        else:
            group = by_name[f"/aws/lambda/{props['FunctionName']}"]
        assert group["Properties"]["RetentionInDays"] > 0, logical_id


# --- alarms -------------------------------------------------------------------------------


def test_every_alarm_pages_the_alarm_topic_and_says_what_to_do(synthesized):
    topic_id, _ = synthesized.only("AWS::SNS::Topic")
    anchors = _runbook_anchors()
    alarms = _alarms(synthesized)
    assert {a["AlarmName"].rsplit("-", 1)[1] for a in alarms} == {
        "Api5xxRate",
        "ApiLatencyP99",
        "WorkerErrors",
        "WorkerThrottles",
        "JobQueueOldestMessage",
        "DeadLettersReceived",
        "DeadLettersWaiting",
        "FailedJobsPerHour",
        "ScheduleNotRunning",
    }
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]
        description = alarm["AlarmDescription"]
        assert "What to do: " in description, description
        link = re.search(r"docs/operations\.md#([a-z0-9-]+)$", description)
        assert link is not None, description
        assert link.group(1) in anchors, f"{link.group(1)} is not a heading of {RUNBOOK.name}"


def test_api_5xx_rate_pages(synthesized):
    (alarm,) = _alarms_reading(synthesized, "AWS/ApiGateway", "5XXError")
    api_name = synthesized.resource("RestAPI")["Properties"]["Name"]
    for stat in _metric_stats(alarm):
        assert _dimensions(stat) == {"ApiName": api_name, "Stage": API_STAGE}
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    assert "errors / requests" in expression
    assert alarm["Threshold"] == observability.API_5XX_PERCENT
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_api_p99_latency_pages(synthesized):
    (alarm,) = _alarms_reading(synthesized, "AWS/ApiGateway", "Latency")
    assert alarm["ExtendedStatistic"] == "p99"
    assert alarm["Threshold"] == observability.API_P99_LATENCY_MS
    assert _dimensions(_metric_stats(alarm)[0])["Stage"] == API_STAGE


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_worker_errors_and_throttles_page(synthesized, metric):
    worker = _function_name(synthesized, resources.WORKER_FUNCTION)
    alarms = [
        a
        for a in _alarms_reading(synthesized, "AWS/Lambda", metric)
        if all(_dimensions(s) == {"FunctionName": worker} for s in _metric_stats(a))
    ]
    (alarm,) = alarms
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 0


def test_the_job_queues_oldest_message_age_pages(synthesized):
    (alarm,) = _alarms_reading(synthesized, "AWS/SQS", "ApproximateAgeOfOldestMessage")
    (stat,) = _metric_stats(alarm)
    assert _dimensions(stat) == {
        "QueueName": {"Fn::GetAtt": [_job_queue_id(synthesized), "QueueName"]}
    }
    assert alarm["Threshold"] == observability.QUEUE_OLDEST_MESSAGE_SECONDS
    # Longer than the worst retry path: a timed-out worker's message returns after the
    # queue's visibility timeout.
    assert alarm["Threshold"] > resources.JOB_QUEUE.visibility_timeout_seconds


def test_every_message_that_reaches_the_dead_letter_queue_pages(synthesized):
    """The handler's mapping takes a dead letter within seconds, before SQS samples the queue's
    visible count: the alarm counts the handler's receives instead, each dead letter's included."""
    dead_letters = _dead_letter_queue_id(synthesized)
    (alarm,) = _alarms_reading(synthesized, "AWS/SQS", "NumberOfMessagesReceived")
    (stat,) = _metric_stats(alarm)
    assert _dimensions(stat) == {"QueueName": {"Fn::GetAtt": [dead_letters, "QueueName"]}}
    assert stat["Stat"] == "Sum" and stat["Period"] == 300
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Threshold"] == 0
    assert alarm["EvaluationPeriods"] == 1
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmDescription"].endswith("docs/operations.md#dead-letters")
    # Every dead letter is received: the handler's mapping reads the dead-letter queue, enabled.
    (mapping,) = [
        m["Properties"]
        for m in synthesized.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [dead_letters, "Arn"]}
    ]
    assert mapping.get("Enabled", True) is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # A dead letter the handler keeps failing is received again within every period, so the alarm
    # stays in alarm rather than clearing (and paging) between its returns.
    visibility = synthesized.resource(dead_letters)["Properties"]["VisibilityTimeout"]
    assert visibility < stat["Period"]


def test_dead_letters_nobody_takes_page(synthesized):
    """What the receive count cannot see: dead letters left visible because the handler's mapping
    is off (paused for a redrive and not turned back on)."""
    dead_letters = _dead_letter_queue_id(synthesized)
    (alarm,) = _alarms_reading(synthesized, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    (stat,) = _metric_stats(alarm)
    assert _dimensions(stat) == {"QueueName": {"Fn::GetAtt": [dead_letters, "QueueName"]}}
    # Visible for whole periods, not caught once between arrival and the handler's receive.
    assert stat["Stat"] == "Minimum" and stat["Period"] == 300
    assert alarm["EvaluationPeriods"] == observability.DEAD_LETTERS_WAITING_PERIODS == 3
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Threshold"] == 0
    assert alarm["AlarmDescription"].endswith("docs/operations.md#dead-letters-waiting")


def test_failed_jobs_per_hour_page(synthesized):
    (alarm,) = _alarms_reading(
        synthesized, resources.METRICS_NAMESPACE, resources.METRIC_JOBS_FAILED
    )
    (stat,) = _metric_stats(alarm)
    assert _dimensions(stat) == {"service": resources.METRICS_SERVICE}
    assert stat["Period"] == 3600 and stat["Stat"] == "Sum"
    assert alarm["Threshold"] == observability.FAILED_JOBS_PER_HOUR
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_a_schedule_that_stops_running_pages(synthesized):
    schedule = _function_name(synthesized, resources.SCHEDULE_FUNCTION)
    (alarm,) = _alarms_reading(synthesized, "AWS/Lambda", "Invocations")
    stats = _metric_stats(alarm)
    assert {s["MetricName"] for s in stats} == {"Invocations", "Errors"}
    assert all(_dimensions(s) == {"FunctionName": schedule} for s in stats)
    # Two scheduled runs in a row that did not happen, or failed.
    assert {s["Period"] for s in stats} == {2 * resources.SCHEDULE_RATE_MINUTES * 60}
    assert alarm["ComparisonOperator"] == "LessThanThreshold" and alarm["Threshold"] == 1
    # A rule that stopped firing leaves no data at all: that must page too.
    assert alarm["TreatMissingData"] == "breaching"


# --- dashboard ----------------------------------------------------------------------------


def _dashboard(synthesized) -> dict[str, Any]:
    _, dashboard = synthesized.only("AWS::CloudWatch::Dashboard")
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    # References (queue names, the region) become a placeholder inside their JSON strings.
    return json.loads("".join(p if isinstance(p, str) else "<ref>" for p in parts))


def _widget(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    (widget,) = [w for w in dashboard["widgets"] if w["properties"].get("title") == title]
    return widget["properties"]


def _plotted(widget: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(namespace, metric, stat) of each plain metric line; ("", expression, None) of math."""
    lines = []
    for line in widget["metrics"]:
        options = line[-1] if isinstance(line[-1], dict) else {}
        if "expression" in options:
            lines.append(("", options["expression"], None))
        else:
            lines.append((line[0], line[1], options.get("stat")))
    return lines


def test_the_dashboard_follows_a_reimport_from_request_to_applied_budget(synthesized):
    dashboard = _dashboard(synthesized)
    namespace = resources.METRICS_NAMESPACE

    api = _plotted(_widget(dashboard, "API requests and errors"))
    assert {("AWS/ApiGateway", "Count"), ("AWS/ApiGateway", "5XXError")} <= {p[:2] for p in api}

    jobs = {p[:2] for p in _plotted(_widget(dashboard, "Jobs queued / succeeded / failed"))}
    assert {
        ("AWS/SQS", "NumberOfMessagesSent"),
        (namespace, resources.METRIC_JOBS_SUCCEEDED),
        (namespace, resources.METRIC_JOBS_FAILED),
    } <= jobs

    waited = _plotted(_widget(dashboard, "Time from request to success (ms)"))
    assert {(namespace, resources.METRIC_TIME_TO_SUCCESS, s) for s in ("p50", "p95")} == set(waited)

    lines = _plotted(_widget(dashboard, "Lines applied"))
    assert lines == [(namespace, resources.METRIC_LINES_APPLIED, "Sum")]

    erp = _plotted(_widget(dashboard, "ERP latency per ERP system (ms)"))
    assert len(erp) == 2
    for _, expression, _ in erp:
        assert expression.startswith("SEARCH(")
        assert resources.METRIC_ERP_SYSTEM_DIMENSION in expression
        assert resources.METRIC_ERP_LATENCY in expression

    tables = len(resources.TABLES)
    capacity = _plotted(_widget(dashboard, "DynamoDB consumed capacity"))
    assert [p[1] for p in capacity].count("ConsumedWriteCapacityUnits") == tables
    assert [p[1] for p in capacity].count("ConsumedReadCapacityUnits") == tables
    throttles = _plotted(_widget(dashboard, "DynamoDB throttles"))
    assert {p[1] for p in throttles} == {"ReadThrottleEvents", "WriteThrottleEvents"}


def test_every_alarm_has_a_runbook_section_and_the_runbook_covers_the_operations():
    text = RUNBOOK.read_text()
    for topic in (
        "Deploy",
        "first company",
        "Rotate an ERP secret",
        "dashboard",
        "Redrive dead letters",
        "point-in-time",
        "Limits",
    ):
        assert topic.lower() in text.lower(), topic


def test_the_runbooks_first_company_is_the_operators_command_not_writes_to_the_tables():
    """A deployment needs nothing typed into a database (docs/adoption.md): the runbook's first
    company is `make company` against the stack, then the admin's own steps in the web app."""
    text = RUNBOOK.read_text()
    section = text[text.index("## First company") :]
    section = section[: section.index("\n## ", 1)]
    assert "make company" in section and "STACK=" in section
    assert "directory table" not in section.lower()
    assert "put-item" not in section.lower()
