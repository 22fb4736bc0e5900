"""What an operator relies on: logs that expire, alarms on dead letters and worker errors, the
stack's outputs, and a template CloudFormation will accept (cfn-lint)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import resources
from infra.stack import FUNCTIONS, function_logical_id


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_logs_to_a_group_with_retention_made_before_it_runs(synthesized, function):
    logical_id = function_logical_id(function)
    props = synthesized.resource(logical_id)["Properties"]
    groups = {
        group_id: group
        for group_id, group in synthesized.resources("AWS::Logs::LogGroup").items()
        if group["Properties"].get("LogGroupName") == f"/aws/lambda/{props['FunctionName']}"
    }
    assert len(groups) == 1
    ((group_id, group),) = groups.items()
    assert group["Properties"]["RetentionInDays"] > 0
    assert group_id in synthesized.resource(logical_id).get("DependsOn", [])


def test_every_log_group_expires(synthesized):
    groups = synthesized.resources("AWS::Logs::LogGroup")
    assert groups
    assert all(g["Properties"].get("RetentionInDays") for g in groups.values())


def test_a_message_in_the_dead_letter_queue_raises_an_alarm(synthesized):
    main_queue = next(
        q
        for q in synthesized.resources("AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    )
    dlq_id = main_queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    alarms = [
        a["Properties"]
        for a in synthesized.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]
    assert len(alarms) == 1
    alarm = alarms[0]
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}
    ]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 0
    assert alarm["AlarmActions"]


def test_worker_errors_raise_an_alarm(synthesized):
    worker = synthesized.resource(function_logical_id(resources.WORKER_FUNCTION))
    alarms = [
        a["Properties"]
        for a in synthesized.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "Errors"
    ]
    assert len(alarms) == 1
    alarm = alarms[0]
    assert alarm["Namespace"] == "AWS/Lambda"
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": worker["Properties"]["FunctionName"]}
    ]
    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 0
    assert alarm["AlarmActions"]


def test_the_stack_tells_where_the_site_api_and_user_pool_are(synthesized):
    outputs = synthesized.raw["Outputs"]
    assert {"SiteUrl", "ApiUrl", "UserPoolId", "UserPoolClientId"} <= set(outputs)
    pool_id, _ = synthesized.only("AWS::Cognito::UserPool")
    client_id, _ = synthesized.only("AWS::Cognito::UserPoolClient")
    assert outputs["UserPoolId"]["Value"] == {"Ref": pool_id}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": client_id}
    assert outputs["DirectoryTableName"]["Value"] == {"Ref": resources.DIRECTORY.logical_id}
    assert '"RestAPI"' in str(outputs["ApiUrl"]["Value"]).replace("'", '"')


def _cfn_lint() -> str:
    beside_python = Path(sys.executable).with_name("cfn-lint")
    found = str(beside_python) if beside_python.exists() else shutil.which("cfn-lint")
    if found is None:
        pytest.fail("cfn-lint is not installed (it is a dev dependency)")
    return found


def test_cfn_lint_finds_no_errors_in_the_template(synthesized):
    result = subprocess.run(
        [_cfn_lint(), str(synthesized.template_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # cfn-lint's exit code is a bit field: 2 errors, 4 warnings, 8 informational.
    assert result.returncode & 2 == 0, result.stdout + result.stderr
    assert result.returncode & 1 == 0, result.stdout + result.stderr  # 1: cfn-lint itself failed
