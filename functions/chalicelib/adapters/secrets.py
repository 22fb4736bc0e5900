"""The SecretStore port on Secrets Manager: an ERP connection's secret fields as one JSON object
(`{"username", "password"}` for Acumatica's cookie sign-in, client secrets or tokens for others)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws
from chalicelib.domain.errors import ErpRejected, ErpUnavailable
from chalicelib.domain.model import ErpCredentials

_MISSING = ("ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure")


class SecretsManagerSecretStore:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.secretsmanager()

    def erp_credentials(self, secret_id: str) -> ErpCredentials:
        """Raises ErpRejected when the secret is missing or malformed (a person must fix it),
        ErpUnavailable when Secrets Manager cannot answer now (the job is retried)."""
        try:
            answer = self.client.get_secret_value(SecretId=secret_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise ErpRejected(
                    "The ERP credentials are missing; an ERP admin must set up the connection."
                ) from error
            raise ErpUnavailable("The ERP credentials could not be read right now.") from error
        except BotoCoreError as error:
            raise ErpUnavailable("The ERP credentials could not be read right now.") from error
        try:
            payload = json.loads(answer.get("SecretString") or "")
            if not isinstance(payload, dict) or not payload:
                raise ValueError("not a JSON object")
            return ErpCredentials({str(k): str(v) for k, v in payload.items()})
        except (ValueError, KeyError, TypeError):
            raise ErpRejected(
                "The ERP credentials are not valid; an ERP admin must set up the connection again."
            ) from None

    def replace_erp_credentials(self, secret_id: str, credentials: ErpCredentials) -> None:
        """A new version of an existing secret (a rotated refresh token): the worker's only write."""
        self.client.put_secret_value(
            SecretId=secret_id, SecretString=json.dumps(dict(credentials.values))
        )

    def put_erp_credentials(self, secret_id: str, credentials: ErpCredentials) -> None:
        """Create or replace the secret (the value is never logged)."""
        text = json.dumps(dict(credentials.values))
        try:
            self.client.create_secret(Name=secret_id, SecretString=text)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceExistsException":
                raise
            self.client.put_secret_value(SecretId=secret_id, SecretString=text)

    def delete_erp_credentials(self, secret_id: str) -> None:
        """Delete at once (no recovery window): a removed connection's secret must not linger."""
        try:
            self.client.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
