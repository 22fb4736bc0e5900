"""Runtime settings, read from the environment when first asked for (never at import time)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel

from chalicelib import resources

ERP_ALLOW_LOCAL_URLS = "ERP_ALLOW_LOCAL_URLS"
INVITATIONS = "INVITATIONS"


class Settings(BaseModel):
    region: str
    budgets_table: str
    jobs_table: str
    directory_table: str
    idempotency_table: str
    job_queue_url: str
    job_dlq_url: str
    user_pool_id: str
    user_pool_client_id: str
    # Where the pool's keys are published; in AWS derived from the pool, locally moto's endpoint.
    jwks_url: str
    token_issuer: str
    frontend_dist: str | None = None
    # The local stack's sandbox ERPs listen on http://127.0.0.1:<port>; only there may an ERP
    # connection use that exact form (ERP_ALLOW_LOCAL_URLS=true). The CDK app sets it false.
    erp_allow_local_urls: bool = False
    # Invitations: "cognito" (Cognito emails the temporary password) or "outbox" (the local stack
    # keeps the message for GET /dev/outbox). Only the local stack sets "outbox".
    invitations: str = "cognito"


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    pool = env.get("USER_POOL_ID", "")
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool}"
    endpoint = env.get("AWS_ENDPOINT_URL")
    default_jwks = (
        f"{endpoint.rstrip('/')}/{pool}/.well-known/jwks.json"
        if endpoint
        else f"{issuer}/.well-known/jwks.json"
    )
    return Settings(
        region=region,
        budgets_table=env.get(resources.BUDGETS.env_var, resources.BUDGETS.default_name),
        jobs_table=env.get(resources.JOBS.env_var, resources.JOBS.default_name),
        directory_table=env.get(resources.DIRECTORY.env_var, resources.DIRECTORY.default_name),
        idempotency_table=env.get(
            resources.IDEMPOTENCY.env_var, resources.IDEMPOTENCY.default_name
        ),
        job_queue_url=env.get(resources.JOB_QUEUE.env_var, ""),
        job_dlq_url=env.get(resources.JOB_QUEUE.dlq_env_var, ""),
        user_pool_id=pool,
        user_pool_client_id=env.get("USER_POOL_CLIENT_ID", ""),
        jwks_url=env.get("JWKS_URL", default_jwks),
        token_issuer=issuer,
        frontend_dist=env.get("FRONTEND_DIST"),
        erp_allow_local_urls=env.get(ERP_ALLOW_LOCAL_URLS, "").strip().lower() == "true",
        invitations=env.get(INVITATIONS, "cognito").strip().lower() or "cognito",
    )


def reset_settings() -> None:
    settings.cache_clear()
