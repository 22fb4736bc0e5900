"""The moto, worker and API fixtures this tier's tests share, found by name."""

from tests.fixtures.api import client, world
from tests.fixtures.aws import aws_env, dynamodb_tables, serialized_dynamodb
from tests.fixtures.erp import sandbox, switch
from tests.fixtures.worker import worker_stack

__all__ = [
    "aws_env", "client", "dynamodb_tables", "sandbox", "serialized_dynamodb", "switch",
    "worker_stack", "world",
]  # fmt: skip
