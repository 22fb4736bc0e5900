"""Runtime settings: the one reader of the environment, read when first asked for (never at
import time). `wiring.py` hands each adapter the settings it needs; an adapter built without them
(a tool, a test) falls back to these same settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from chalicelib import resources

ERP_ALLOW_LOCAL_URLS = "ERP_ALLOW_LOCAL_URLS"
INVITATIONS = "INVITATIONS"
FUNCTIONS_SHARE_PROCESS = "FUNCTIONS_SHARE_PROCESS"


def functions_share_process() -> bool:
    """Whether the API, worker, dead-letter handler and schedule run as threads of one process,
    as on the local stack (FUNCTIONS_SHARE_PROCESS=true); in Lambda each is a process of its own.
    Read apart from `settings()`: the logger asks before anything else is configured."""
    return os.environ.get(FUNCTIONS_SHARE_PROCESS, "").strip().lower() == "true"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    region: str
    budgets_table: str
    jobs_table: str
    directory_table: str
    idempotency_table: str
    exports_bucket: str
    # Where browsers POST uploads: the bucket's regional address in AWS (the CDK app sets it, as
    # the web app's CSP allows exactly that origin), the local stack's web server locally; unset,
    # the bucket's regional address.
    exports_upload_url: str | None = None
    # Empty: the queue is looked up by its default name (tools against the local stack).
    job_queue_url: str = ""
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    # Where the pool's keys are published; in AWS derived from the pool, locally moto's endpoint.
    jwks_url: str
    token_issuer: str
    # The local stack's sandbox ERPs listen on http://127.0.0.1:<port>; only there may an ERP
    # connection use that exact form (ERP_ALLOW_LOCAL_URLS=true). The CDK app sets it false.
    erp_allow_local_urls: bool = False
    # Invitations: "cognito" (Cognito emails the temporary password) or "outbox" (the local stack
    # keeps the message for GET /dev/outbox). Only the local stack sets "outbox".
    invitations: str = "cognito"

    def table_name(self, table: resources.Table) -> str:
        """The deployed name of one of resources.TABLES."""
        names = {
            resources.BUDGETS.logical_id: self.budgets_table,
            resources.JOBS.logical_id: self.jobs_table,
            resources.DIRECTORY.logical_id: self.directory_table,
            resources.IDEMPOTENCY.logical_id: self.idempotency_table,
        }
        return names[table.logical_id]


def from_environment(env: Mapping[str, str]) -> Settings:
    """The settings the CDK app (infra/stack.py) and the local stack (devstack/provision.py) set,
    under the names they set them."""
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    pool = env.get("USER_POOL_ID", "")
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool}"
    endpoint = env.get("AWS_ENDPOINT_URL")
    default_jwks = (
        f"{endpoint.rstrip('/')}/{pool}/.well-known/jwks.json"
        if endpoint
        else f"{issuer}/.well-known/jwks.json"
    )

    def named(spec: resources.Table | resources.Bucket) -> str:
        return env.get(spec.env_var) or spec.default_name

    return Settings(
        region=region,
        budgets_table=named(resources.BUDGETS),
        jobs_table=named(resources.JOBS),
        directory_table=named(resources.DIRECTORY),
        idempotency_table=named(resources.IDEMPOTENCY),
        exports_bucket=named(resources.EXPORTS),
        exports_upload_url=env.get(resources.EXPORTS.upload_url_env_var) or None,
        job_queue_url=env.get(resources.JOB_QUEUE.env_var, ""),
        user_pool_id=pool,
        user_pool_client_id=env.get("USER_POOL_CLIENT_ID", ""),
        jwks_url=env.get("JWKS_URL", default_jwks),
        token_issuer=issuer,
        erp_allow_local_urls=env.get(ERP_ALLOW_LOCAL_URLS, "").strip().lower() == "true",
        invitations=env.get(INVITATIONS, "cognito").strip().lower() or "cognito",
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return from_environment(os.environ)


def reset_settings() -> None:
    settings.cache_clear()
