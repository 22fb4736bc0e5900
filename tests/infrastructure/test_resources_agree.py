"""The deployed tables, queue, mappings and schedule are the ones chalicelib.resources describes
(the local stack provisions from the same description)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aws_cdk.assertions import Match

from chalicelib import resources
from infra.stack import FUNCTIONS, function_logical_id

ROOT_CHALICE_JSON = "chalice.json"


def _key_schema(partition: str, sort: str | None) -> list[dict[str, str]]:
    keys = [{"AttributeName": partition, "KeyType": "HASH"}]
    if sort:
        keys.append({"AttributeName": sort, "KeyType": "RANGE"})
    return keys


@pytest.mark.parametrize("spec", resources.TABLES, ids=lambda s: s.logical_id)
def test_each_table_has_the_keys_indexes_and_ttl_of_resources_py(synthesized, spec):
    table = synthesized.resource(spec.logical_id)
    props = table["Properties"]

    assert table["Type"] == "AWS::DynamoDB::Table"
    assert props["KeySchema"] == _key_schema(spec.partition_key, spec.sort_key)
    indexes = {
        gsi["IndexName"]: (gsi["KeySchema"], gsi["Projection"]["ProjectionType"])
        for gsi in props.get("GlobalSecondaryIndexes", [])
    }
    assert indexes == {
        index.name: (_key_schema(index.partition_key, index.sort_key), "ALL")
        for index in spec.indexes
    }
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {
            "AttributeName": spec.ttl_attribute,
            "Enabled": True,
        }
    else:
        assert "TimeToLiveSpecification" not in props


def test_the_stack_has_exactly_the_tables_of_resources_py(synthesized):
    tables = synthesized.resources("AWS::DynamoDB::Table")
    assert set(tables) == {spec.logical_id for spec in resources.TABLES}


@pytest.mark.parametrize("spec", resources.TABLES, ids=lambda s: s.logical_id)
def test_tables_are_on_demand_with_point_in_time_recovery(synthesized, spec):
    props = synthesized.resource(spec.logical_id)["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


@pytest.mark.parametrize(
    "spec", [resources.BUDGETS, resources.JOBS, resources.DIRECTORY], ids=lambda s: s.logical_id
)
def test_data_tables_survive_stack_deletion(synthesized, spec):
    table = synthesized.resource(spec.logical_id)
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_job_queue_settings_match_resources_py(synthesized):
    settings = resources.JOB_QUEUE
    queues = synthesized.resources("AWS::SQS::Queue")
    main = [q for q in queues.values() if "RedrivePolicy" in q["Properties"]]
    dead = [q for q in queues.values() if "RedrivePolicy" not in q["Properties"]]
    assert len(main) == 1 and len(dead) == 1
    (dlq_id,) = [k for k, q in queues.items() if q is dead[0]]

    assert main[0]["Properties"]["VisibilityTimeout"] == settings.visibility_timeout_seconds
    assert main[0]["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": settings.max_receive_count,
    }
    assert 3 <= settings.max_receive_count <= 5
    assert dead[0]["Properties"]["MessageRetentionPeriod"] == settings.dlq_retention_seconds
    # The local stack makes its dead-letter queue from resources.py (adapters/sqs.create_queues).
    visibility = settings.dlq_visibility_timeout_seconds
    assert dead[0]["Properties"]["VisibilityTimeout"] == visibility


def _queue_consumed_by(synthesized, function: str) -> tuple[str, dict]:
    for mapping in synthesized.resources("AWS::Lambda::EventSourceMapping").values():
        if function_logical_id(function) in json.dumps(mapping["Properties"]["FunctionName"]):
            queue_id = mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]
            return queue_id, mapping["Properties"]
    raise AssertionError(f"no event source mapping targets {function}")


def test_queue_visibility_is_at_least_six_times_its_consumers_timeout(synthesized):
    worker = synthesized.resource(function_logical_id(resources.WORKER_FUNCTION))
    assert worker["Properties"]["Timeout"] == resources.JOB_QUEUE.worker_timeout_seconds
    for function in (resources.WORKER_FUNCTION, resources.DEAD_LETTER_FUNCTION):
        queue_id, _ = _queue_consumed_by(synthesized, function)
        timeout = synthesized.resource(function_logical_id(function))["Properties"]["Timeout"]
        visibility = synthesized.resource(queue_id)["Properties"]["VisibilityTimeout"]
        assert visibility >= 6 * timeout, function


def test_worker_reads_the_job_queue_reporting_batch_item_failures(synthesized):
    queue_id, mapping = _queue_consumed_by(synthesized, resources.WORKER_FUNCTION)
    assert "RedrivePolicy" in synthesized.resource(queue_id)["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == resources.JOB_QUEUE.batch_size
    assert mapping["ScalingConfig"] == {
        "MaximumConcurrency": resources.JOB_QUEUE.maximum_concurrency
    }


def test_dead_letter_handler_reads_the_dead_letter_queue(synthesized):
    queue_id, mapping = _queue_consumed_by(synthesized, resources.DEAD_LETTER_FUNCTION)
    main = next(
        q
        for q in synthesized.resources("AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    )
    assert main["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] == queue_id
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_finds_its_resources_through_the_environment(synthesized, function):
    variables = synthesized.resource(function_logical_id(function))["Properties"]["Environment"][
        "Variables"
    ]
    for spec in resources.TABLES:
        assert variables[spec.env_var] == {"Ref": spec.logical_id}
    queue_id, _ = _queue_consumed_by(synthesized, resources.WORKER_FUNCTION)
    dlq_id, _ = _queue_consumed_by(synthesized, resources.DEAD_LETTER_FUNCTION)
    assert variables[resources.JOB_QUEUE.env_var] == {"Ref": queue_id}
    assert variables[resources.JOB_QUEUE.dlq_env_var] == {"Ref": dlq_id}
    pool_id, _ = synthesized.only("AWS::Cognito::UserPool")
    client_id, _ = synthesized.only("AWS::Cognito::UserPoolClient")
    assert variables["USER_POOL_ID"] == {"Ref": pool_id}
    assert variables["USER_POOL_CLIENT_ID"] == {"Ref": client_id}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "budget-bridge"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "BudgetBridge"


def test_automatic_reimports_run_on_the_schedule_of_resources_py(synthesized):
    synthesized.template.has_resource_properties(
        "AWS::Serverless::Function",
        {
            "Handler": f"app.{resources.SCHEDULE_FUNCTION}",
            "Events": Match.object_like(
                {
                    "AutoReimportScheduleEvent": {
                        "Type": "Schedule",
                        "Properties": {
                            "Schedule": f"rate({resources.SCHEDULE_RATE_MINUTES} minutes)",
                            "Name": Match.string_like_regexp(
                                f"^{re.escape(resources.SCHEDULE_RULE_NAME)}"
                            ),
                        },
                    }
                }
            ),
        },
    )


def test_chalice_config_agrees_with_resources_py_on_the_worker_timeout():
    # chalice.json serves the local stack; the stack takes the timeout from resources.py.
    config = json.loads((Path(__file__).resolve().parents[2] / ROOT_CHALICE_JSON).read_text())
    worker = config["lambda_functions"][resources.WORKER_FUNCTION]
    assert worker["lambda_timeout"] == resources.JOB_QUEUE.worker_timeout_seconds
    dead_letters = config["lambda_functions"][resources.DEAD_LETTER_FUNCTION]
    assert dead_letters["lambda_timeout"] == resources.JOB_QUEUE.dead_letter_timeout_seconds


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_apps_settings_read_every_resource_name_the_stack_sets(synthesized, function):
    """`config.Settings` reads the variables under the names the stack gives them: none of the
    app's resources falls back to the local stack's default name in AWS."""
    from chalicelib.config import from_environment

    variables = synthesized.resource(function_logical_id(function))["Properties"]["Environment"][
        "Variables"
    ]
    # Each Ref becomes a recognisable stand-in for the name CloudFormation will fill in.
    env = {
        name: value if isinstance(value, str) else f"<{name}>" for name, value in variables.items()
    }

    settings = from_environment(env)

    for spec in resources.TABLES:
        assert settings.table_name(spec) == f"<{spec.env_var}>"
    assert settings.job_queue_url == f"<{resources.JOB_QUEUE.env_var}>"
    assert settings.exports_bucket == f"<{resources.EXPORTS.env_var}>"
    assert settings.exports_upload_url == f"<{resources.EXPORTS.upload_url_env_var}>"
    assert settings.user_pool_id == "<USER_POOL_ID>"
    assert settings.user_pool_client_id == "<USER_POOL_CLIENT_ID>"
    assert settings.erp_allow_local_urls is False
    assert settings.invitations == "cognito"


def test_the_schedule_runs_on_a_full_vcpu_with_room_for_a_large_fleet(synthesized):
    """Lambda gives a function one full vCPU at 1,769 MB. The schedule's own CPU over 1,000
    companies is several seconds of one core (docs/performance.md, "Fleet"): at the default 512 MB,
    under a third of a vCPU, it would take most of a minute."""
    synthesized.template.has_resource_properties(
        "AWS::Serverless::Function",
        {"Handler": f"app.{resources.SCHEDULE_FUNCTION}", "MemorySize": 1769, "Timeout": 300},
    )
