"""Builds the real adapters on first use and hands them to entry points; tests swap them.

This is the only module that knows which adapter serves which port.
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import TYPE_CHECKING

from chalicelib.config import reset_settings, settings
from chalicelib.services.ports import Ports

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from chalicelib.adapters.erp.registry import ErpSources
    from chalicelib.adapters.exports import S3ExportStore

_override: Ports | None = None


def ports() -> Ports:
    return _override if _override is not None else _real_ports()


def use_ports(replacement: Ports | None) -> None:
    """Tests: serve these ports (for example the in-memory ones) until reset."""
    global _override
    _override = replacement


@lru_cache(maxsize=1)
def _real_ports() -> Ports:
    from chalicelib.adapters.cognito import CognitoIdentityProvider
    from chalicelib.adapters.dynamodb.audit import DynamoAuditLog
    from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
    from chalicelib.adapters.dynamodb.directory import DynamoDirectory
    from chalicelib.adapters.dynamodb.jobs import DynamoJobStore
    from chalicelib.adapters.dynamodb.tables import DynamoTables
    from chalicelib.adapters.exports import S3ExportStore
    from chalicelib.adapters.invitations import CognitoAccounts, OutboxAccounts
    from chalicelib.adapters.secrets import SecretsManagerSecretStore
    from chalicelib.adapters.sqs import SqsJobQueue
    from chalicelib.adapters.targets.procore import ProcoreBudget

    config = settings()
    tables = {
        "budgets_table": config.budgets_table,
        "jobs_table": config.jobs_table,
        "directory_table": config.directory_table,
    }
    accounts = (
        OutboxAccounts(config.user_pool_id, tables=DynamoTables(**tables))
        if config.invitations == "outbox"
        else CognitoAccounts(config.user_pool_id)
    )
    exports = S3ExportStore(config.exports_bucket, config.exports_upload_url, config.region)
    return Ports(
        budgets=DynamoBudgetStore(**tables),
        jobs=DynamoJobStore(**tables),
        queue=SqsJobQueue(config.job_queue_url),
        directory=DynamoDirectory(**tables),
        secrets=SecretsManagerSecretStore(),
        erp_sources=erp_sources(exports),
        exports=exports,
        identity=CognitoIdentityProvider(
            user_pool_id=config.user_pool_id,
            client_id=config.user_pool_client_id,
            issuer=config.token_issuer,
            jwks_url=config.jwks_url,
        ),
        audit=DynamoAuditLog(**tables),
        accounts=accounts,
        remote_budgets=partial(
            ProcoreBudget.from_config, allow_local_urls=config.erp_allow_local_urls
        ),
    )


def erp_sources(exports: S3ExportStore | None = None) -> ErpSources:
    """The ERP connector registry, handed what the deployment tells connectors (`exports`: the
    ports' export store, built here when not given); tests and tools use it as the app does."""
    from chalicelib.adapters.erp.common.deployment import ConnectorSettings
    from chalicelib.adapters.erp.registry import ErpSources
    from chalicelib.adapters.exports import S3ExportStore

    config = settings()
    if exports is None:
        exports = S3ExportStore(config.exports_bucket, config.exports_upload_url, config.region)
    return ErpSources(
        ConnectorSettings(
            allow_local_urls=config.erp_allow_local_urls,
            lease_table=config.jobs_table,
            exports=exports,
        )
    )


@lru_cache(maxsize=1)
def idempotency_store() -> DynamoDBPersistenceLayer:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from chalicelib.adapters.aws import client

    return DynamoDBPersistenceLayer(
        table_name=settings().idempotency_table, boto3_client=client("dynamodb")
    )


def reset() -> None:
    """Forget every built adapter and setting (tests, and the local stack after provisioning)."""
    use_ports(None)
    _real_ports.cache_clear()
    idempotency_store.cache_clear()
    reset_settings()
    try:
        from chalicelib.adapters.aws import reset_clients
    except ImportError:  # pragma: no cover - the adapters are always there in the product
        return
    reset_clients()
