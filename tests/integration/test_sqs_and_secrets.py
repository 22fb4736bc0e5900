"""The SQS job queue and the Secrets Manager secret store on moto."""

from __future__ import annotations

import json

import pytest

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.adapters.secrets import SecretsManagerSecretStore
from chalicelib.adapters.sqs import SqsJobQueue, create_queues
from chalicelib.domain.errors import ErpRejected, ServiceUnavailable
from chalicelib.domain.model import ErpCredentials
from chalicelib.domain.ports import JobMessage


def test_a_sent_job_message_is_received_hidden_and_deleted(aws_env):
    url, dlq_url = create_queues(aws.sqs())
    attributes = aws.sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == str(resources.JOB_QUEUE.visibility_timeout_seconds)
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 4
    queue = SqsJobQueue()  # finds the queue by its default name

    queue.send(JobMessage(job_id="job-1", company_id="demo", budget_id="P-1001"))
    [received] = _receive(url)
    assert JobMessage.model_validate_json(received["Body"]).job_id == "job-1"
    assert _receive(url) == []  # hidden while being worked on
    queue.postpone(received["ReceiptHandle"], 0)
    [again] = _receive(url)
    aws.sqs().delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    assert _receive(url) == []


def _receive(url: str) -> list:
    return list(aws.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))


def test_a_queue_that_cannot_take_the_message_is_a_service_unavailable(aws_env):
    queue = SqsJobQueue(queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/missing")
    with pytest.raises(ServiceUnavailable):
        queue.send(JobMessage(job_id="job-1", company_id="demo", budget_id="P-1001"))


def test_a_batch_goes_out_ten_messages_a_call_and_every_message_arrives(aws_env):
    create_queues(aws.sqs())
    queue = SqsJobQueue()
    calls: list[str] = []
    aws.sqs().meta.events.register("before-call.sqs", lambda model, **_: calls.append(model.name))
    messages = [
        JobMessage(job_id=f"job-{i}", company_id="demo", budget_id=f"P-{i}") for i in range(25)
    ]

    assert queue.send_batch(messages) == []
    assert calls.count("SendMessageBatch") == 3
    assert "SendMessage" not in calls
    received: list[str] = []
    while batch := _receive(queue.url):
        received += [JobMessage.model_validate_json(m["Body"]).job_id for m in batch]
    assert sorted(received) == sorted(m.job_id for m in messages)


def test_a_batch_the_queue_cannot_take_answers_every_message_refused(aws_env):
    queue = SqsJobQueue(queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/missing")
    messages = [
        JobMessage(job_id=f"job-{i}", company_id="demo", budget_id="P-1") for i in range(12)
    ]
    assert queue.send_batch(messages) == messages


def test_erp_credentials_are_read_from_the_secret_and_bad_secrets_are_refused(aws_env):
    secrets = SecretsManagerSecretStore()
    secrets.put_erp_credentials("demo/erp", ErpCredentials.of(username="admin", password="sandbox"))
    secrets.put_erp_credentials("demo/erp", ErpCredentials.of(username="admin", password="changed"))
    aws.secretsmanager().create_secret(Name="broken", SecretString="not json")

    assert secrets.erp_credentials("demo/erp") == ErpCredentials.of(
        username="admin", password="changed"
    )
    with pytest.raises(ErpRejected):
        secrets.erp_credentials("missing")
    with pytest.raises(ErpRejected):
        secrets.erp_credentials("broken")
