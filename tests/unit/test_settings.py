"""The app's settings come from the environment the local stack and the CDK app set, read in one
place (`config.Settings`), and reach the adapters through the wiring."""

from __future__ import annotations

import pytest

from chalicelib import config, resources, wiring
from devstack.provision import Provisioned

LOCAL = Provisioned(
    tables=["t-budgets", "t-jobs", "t-directory", "t-idempotency"],
    job_queue_url="http://127.0.0.1:5000/123456789012/jobs",
    job_queue_arn="arn:aws:sqs:eu-west-1:123456789012:jobs",
    job_dlq_url="http://127.0.0.1:5000/123456789012/jobs-dlq",
    job_dlq_arn="arn:aws:sqs:eu-west-1:123456789012:jobs-dlq",
    user_pool_id="eu-west-1_pool",
    user_pool_client_id="client-1",
    schedule_rule_arn="arn:aws:events:eu-west-1:123456789012:rule/schedule",
    exports_bucket="exports-1",
    account_id="123456789012",
    region="eu-west-1",
)


def test_the_local_stacks_environment_names_every_resource_the_app_uses() -> None:
    env = {**LOCAL.environment(), "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://aws:5000"}

    settings = config.from_environment(env)

    assert settings.table_name(resources.BUDGETS) == "t-budgets"
    assert settings.jobs_table == "t-jobs" and settings.directory_table == "t-directory"
    assert settings.idempotency_table == "t-idempotency"
    assert settings.job_queue_url == LOCAL.job_queue_url
    assert settings.exports_bucket == "exports-1"
    assert settings.exports_upload_url == f"{resources.EXPORTS.local_upload_path}exports-1"
    assert settings.user_pool_client_id == "client-1"
    assert settings.token_issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool"
    assert settings.jwks_url == "http://aws:5000/eu-west-1_pool/.well-known/jwks.json"


def test_without_the_variables_the_local_stacks_default_names_are_used() -> None:
    settings = config.from_environment({})

    assert settings.region == "us-east-1"
    assert settings.budgets_table == resources.BUDGETS.default_name
    assert settings.exports_bucket == resources.EXPORTS.default_name
    assert settings.exports_upload_url is None  # browsers post to the bucket's own address
    assert settings.job_queue_url == ""  # looked up by the queue's default name
    assert not settings.erp_allow_local_urls and settings.invitations == "cognito"


def test_the_wiring_hands_the_adapters_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(resources.BUDGETS.env_var, "deployed-budgets")
    monkeypatch.setenv(resources.JOB_QUEUE.env_var, "https://sqs.invalid/123/jobs")
    monkeypatch.setenv(resources.EXPORTS.env_var, "deployed-exports")
    wiring.reset()

    ports = wiring.ports()  # builds adapters only: no AWS call until one is used

    assert ports.budgets.budgets_table == "deployed-budgets"  # type: ignore[attr-defined]
    assert ports.jobs.budgets_table == "deployed-budgets"  # type: ignore[attr-defined]
    assert ports.queue.url == "https://sqs.invalid/123/jobs"  # type: ignore[attr-defined]
    assert ports.exports._bucket == "deployed-exports"  # type: ignore[attr-defined]


def test_settings_are_read_once_until_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(resources.JOBS.env_var, "first")
    config.reset_settings()
    assert config.settings().jobs_table == "first"

    monkeypatch.setenv(resources.JOBS.env_var, "second")
    assert config.settings().jobs_table == "first"
    config.reset_settings()
    assert config.settings().jobs_table == "second"
