"""Creates the tables of `resources.TABLES` for tests and the local stack (infra/ does AWS)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib import resources
from chalicelib.config import settings


def table_definition(table: resources.Table, name: str) -> dict[str, Any]:
    """The CreateTable request for `table`: on demand, every index projecting all attributes."""
    keys = [table.partition_key] + ([table.sort_key] if table.sort_key else [])
    for index in table.indexes:
        keys += [index.partition_key, index.sort_key]
    attributes = [{"AttributeName": key, "AttributeType": "S"} for key in dict.fromkeys(keys)]
    schema = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        schema.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": schema,
        "AttributeDefinitions": attributes,
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    return request


def create_tables(client: Any, tables: tuple[resources.Table, ...] = resources.TABLES) -> list[str]:
    """Create every table that does not exist yet (named as `config.settings()` says); idempotent.

    Returns the table names.
    """
    names = []
    for table in tables:
        name = settings().table_name(table)
        names.append(name)
        try:
            client.create_table(**table_definition(table, name))
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceInUseException":
                raise
            continue
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
        if table.ttl_attribute:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
    return names
