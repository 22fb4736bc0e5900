"""OAuth2 with rotating refresh tokens (QuickBooks Online, Xero): one refresh at a time per connection.

Each refresh answers a new refresh token and retires the old one, so two workers refreshing at
once would leave one of them (and the stored secret) holding a dead token. Hence:

- the access token and its expiry are kept in the connection's own secret next to the refresh
  token, so every worker (every Lambda instance) reuses the one access token until it expires;
- a worker refreshes only while it holds the connection's lease, a DynamoDB item written with a
  condition (the jobs table; the lease expires by itself if its holder dies); the others wait,
  then read the secret again and use the token the holder stored;
- the new refresh token is written back to the secret BEFORE the access token is used.

docs/erps/qbo.md and docs/erps/xero.md describe what an admin sees when a token is refused.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws
from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits
from chalicelib.domain.errors import ErpAuthFailed, ErpRejected, ErpUnavailable
from chalicelib.domain.model import ErpConnection, ErpCredentials

if TYPE_CHECKING:
    from chalicelib.adapters.erp.common.deployment import ConnectorSettings

ACCESS_TOKEN = "access_token"
EXPIRES_AT = "access_token_expires_at"  # epoch seconds: comparable across Lambda instances
_EARLY_SECONDS = 60.0  # renew a little before the ERP's own expiry
LEASE_SECONDS = 30  # longer than a token call with its retries; a dead holder's lease lapses
_POLL_SECONDS = 0.2
_PATIENCE_SECONDS = 20.0


class TokenVault(Protocol):
    """Where one connection's tokens live, and its refresh lease."""

    def read(self) -> ErpCredentials: ...

    def write(self, credentials: ErpCredentials) -> None: ...

    def try_lease(self) -> bool: ...

    def release(self) -> None: ...


class MemoryVault:
    """Tokens held in this process only (tests, and a connection without a stored secret)."""

    def __init__(self, credentials: ErpCredentials) -> None:
        self._values = dict(credentials.values)
        self._lock = threading.Lock()
        self._held = threading.Lock()

    def read(self) -> ErpCredentials:
        with self._lock:
            return ErpCredentials(dict(self._values))

    def write(self, credentials: ErpCredentials) -> None:
        with self._lock:
            self._values = dict(credentials.values)

    def try_lease(self) -> bool:
        return self._held.acquire(blocking=False)

    def release(self) -> None:
        self._held.release()


class SecretStorePort(Protocol):
    def erp_credentials(self, secret_id: str) -> ErpCredentials: ...

    def replace_erp_credentials(self, secret_id: str, credentials: ErpCredentials) -> None: ...


class SecretsVault:
    """The connection's Secrets Manager secret, with a lease item in the jobs table."""

    def __init__(self, secret_id: str, store: SecretStorePort, lease: DynamoLease) -> None:
        self._secret_id = secret_id
        self._store = store
        self._lease = lease

    def read(self) -> ErpCredentials:
        return self._store.erp_credentials(self._secret_id)

    def write(self, credentials: ErpCredentials) -> None:
        try:
            self._store.replace_erp_credentials(self._secret_id, credentials)
        except (ClientError, BotoCoreError) as error:
            raise ErpUnavailable(
                "The renewed ERP sign-in could not be stored right now; the job will try again."
            ) from error

    def try_lease(self) -> bool:
        return self._lease.acquire()

    def release(self) -> None:
        self._lease.release()


class DynamoLease:
    """A lease item `erp-token-lease#<name>` taken with a conditional put, across Lambda instances."""

    def __init__(
        self, name: str, table: str, client: Any = None, seconds: int = LEASE_SECONDS
    ) -> None:
        self._key = {"pk": {"S": f"erp-token-lease#{name}"}, "sk": {"S": "lease"}}
        self._client = client
        self._seconds = seconds
        self.table = table  # the jobs table: leases are short-lived items beside the jobs
        self._owner = ""

    @property
    def client(self) -> Any:
        return self._client or aws.dynamodb()

    def acquire(self) -> bool:
        owner, now = uuid.uuid4().hex, int(time.time())
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**self._key, "owner": {"S": owner},
                      "expires_at": {"N": str(now + self._seconds)}},
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )  # fmt: skip
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise ErpUnavailable("The ERP sign-in lease could not be taken right now.") from error
        except BotoCoreError as error:
            raise ErpUnavailable("The ERP sign-in lease could not be taken right now.") from error
        self._owner = owner
        return True

    def release(self) -> None:
        # Someone else's lease by now, or unreachable: either way it lapses by itself.
        with contextlib.suppress(ClientError, BotoCoreError):
            self.client.delete_item(
                TableName=self.table, Key=self._key,
                ConditionExpression="#o = :owner", ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":owner": {"S": self._owner}},
            )  # fmt: skip


class RotatingOAuth2SignIn:
    """A `SignIn` whose tokens live in a `TokenVault`; the token call goes to `token_client`."""

    def __init__(
        self,
        token_client: ErpHttp,
        token_path: str,
        vault: TokenVault,
        *,
        wait: Callable[[float], None] = time.sleep,
        patience: float = _PATIENCE_SECONDS,
    ) -> None:
        self._http = token_client
        self._path = token_path
        self._vault = vault
        self._wait = wait
        self._patience = patience
        self._token: tuple[str, float] | None = None
        self.refreshes = 0  # token calls this sign-in made (tests)

    def headers(self, client: ErpHttp) -> dict[str, str]:
        if self._token is None or self._token[1] <= time.time():
            self._token = self._obtain(stale=None)
        return {"Authorization": f"Bearer {self._token[0]}"}

    def refresh(self, client: ErpHttp) -> None:
        """After a 401: this access token is dead, whatever its stored expiry says."""
        stale = self._token[0] if self._token else None
        self._token = self._obtain(stale=stale)

    def _obtain(self, stale: str | None) -> tuple[str, float]:
        waited = 0.0
        while True:
            usable = _stored(self._vault.read(), stale)
            if usable is not None:
                return usable
            if self._vault.try_lease():
                try:
                    current = self._vault.read()  # another worker may have just finished
                    return _stored(current, stale) or self._renew(current)
                finally:
                    self._vault.release()
            if waited >= self._patience:
                raise ErpUnavailable(
                    f"Another job is renewing the sign-in to {self._http.name}; the job will try "
                    "again."
                )
            self._wait(_POLL_SECONDS)
            waited += _POLL_SECONDS

    def _renew(self, current: ErpCredentials) -> tuple[str, float]:
        answer = self._token_call(current)
        access = answer.get("access_token")
        rotated = answer.get("refresh_token") or current.get("refresh_token")
        if not isinstance(access, str) or not isinstance(rotated, str):
            raise ErpRejected(
                f"{self._http.title}'s token answer had no access token: check the "
                f"{self._http.erp} connection's address."
            )
        try:
            lifetime = float(answer.get("expires_in", 1800))
        except (TypeError, ValueError):
            lifetime = 1800.0
        expires = time.time() + max(0.0, lifetime - _EARLY_SECONDS)
        # Stored before use: the old refresh token is retired the moment this answer was sent.
        self._vault.write(ErpCredentials({**current.values, "refresh_token": rotated,
                                          ACCESS_TOKEN: access, EXPIRES_AT: f"{expires:.0f}"}))  # fmt: skip
        return access, expires

    def _token_call(self, current: ErpCredentials) -> dict[str, Any]:
        self.refreshes += 1
        pair = f"{current.get('client_id')}:{current.get('client_secret')}".encode()
        form = {"grant_type": "refresh_token", "refresh_token": current.get("refresh_token")}
        doing = f"renew the sign-in to {self._http.name}"
        try:
            answer = self._http.call(
                "POST", self._path, doing, form=form, authenticated=False,
                headers={"Authorization": "Basic " + base64.b64encode(pair).decode()},
            )  # fmt: skip
        except HttpFailure as failure:
            if failure.status in (400, 401, 403):  # invalid_grant / invalid_client: never quoted
                raise ErpAuthFailed(
                    f"{self._http.title} refused the sign-in with the connection's refresh token "
                    f"or client: check the {self._http.erp} connection's client id and secret, "
                    f"and connect {self._http.name} again to get a new refresh token."
                ) from None
            raise self._http.explain(failure, doing, quote_body=False) from None
        if not isinstance(answer, dict):
            raise ErpRejected(f"{self._http.title}'s token answer was not a JSON object.")
        return answer


def _stored(credentials: ErpCredentials, stale: str | None) -> tuple[str, float] | None:
    """The stored access token when it is still good (and is not the one the ERP just refused)."""
    token = credentials.get(ACCESS_TOKEN)
    try:
        expires = float(credentials.get(EXPIRES_AT) or 0)
    except ValueError:
        return None
    if not token or token == stale or expires <= time.time():
        return None
    return token, expires


def vault_for(secret_id: str, credentials: ErpCredentials, lease_table: str) -> TokenVault:
    """The connection's secret as its vault, leased in `lease_table`; without a secret id, this
    process's memory."""
    if not secret_id:
        return MemoryVault(credentials)
    from chalicelib.adapters.secrets import SecretsManagerSecretStore

    lease = DynamoLease(secret_id, lease_table)
    return SecretsVault(secret_id, SecretsManagerSecretStore(), lease)


_Source = TypeVar("_Source")


def from_rotating_connection(
    make: Callable[..., _Source],
    connection: ErpConnection,
    credentials: ErpCredentials,
    deployment: ConnectorSettings,
) -> _Source:
    """A connector whose tokens rotate (QuickBooks Online, Xero), built as each of them is: from
    the connection's address and settings, a vault over its secret, and the deployment's limits."""
    vault = vault_for(connection.credentials_secret_id, credentials, deployment.lease_table)
    return make(connection.base_url, dict(connection.settings), vault, limits=deployment.limits())


def token_base(base_url: str, setting: str, hosts: tuple[str, str]) -> str:
    """Where the token endpoint lives: the setting, the vendor's identity host, or the API's own."""
    if setting:
        return setting.rstrip("/")
    api_host, identity = hosts
    if api_host in base_url:
        return identity
    return base_url.rstrip("/")


@dataclass(frozen=True)
class TokenEndpoint:
    base: str  # see `token_base`
    path: str  # the vendor's token path under it


def rotating_client(
    erp: str,
    base_url: str,
    endpoint: TokenEndpoint,
    vault: TokenVault,
    *,
    limits: Limits,
    sleep: Callable[[float], None] | None,
    client_class: type[ErpHttp] = ErpHttp,
) -> ErpHttp:
    """The API client of a connection whose refresh token rotates (its token calls go to
    `endpoint`); every secret of the vault is kept out of both clients' messages."""
    from chalicelib.adapters.erp.common.names import erp_name

    name = erp_name(erp)
    secrets = tuple(vault.read().values.values())
    tokens = ErpHttp(endpoint.base, limits=limits, secrets=secrets, sleep=sleep, erp_name=name)
    sign_in = RotatingOAuth2SignIn(tokens, endpoint.path, vault)
    return client_class(
        base_url, sign_in, limits=limits, secrets=secrets, sleep=sleep, erp_name=name
    )
