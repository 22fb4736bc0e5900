"""Invitations: Cognito's own email in AWS, or the local stack's outbox (docs/adoption.md).

In AWS, `AdminCreateUser` makes the account and Cognito emails the temporary password. On the
local stack nothing can send mail, so the account is made with a temporary password we choose and
the message is kept in the directory table, where `GET /dev/outbox` shows it.

An account that exists but was never signed in to (Cognito's `FORCE_CHANGE_PASSWORD`: invited
earlier, by this company or another, and the temporary password never used) is invited again with
a new temporary password; only an account someone has signed in to is left alone.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import resources
from chalicelib.adapters.dynamodb.base import deserialize, serialize
from chalicelib.adapters.dynamodb.tables import DynamoTables
from chalicelib.domain.errors import InvalidRequest, ServiceUnavailable
from chalicelib.domain.model import OutboxMessage, iso_precise, utc_now
from chalicelib.observability import logger

OUTBOX_PK = "OUTBOX"
OUTBOX_DAYS = 30  # the local outbox forgets old messages; TTL on the directory table
POLICY = resources.PASSWORD_POLICY  # the user pool's, in AWS and on the local stack
_UNAVAILABLE = "Invitations cannot be sent right now. Please try again in a minute."


def password_problem(password: str) -> str | None:
    """What breaks the pool's password policy, in a sentence; None when the password is fine."""
    if len(password) < POLICY.min_length:
        return f"The new password must be at least {POLICY.min_length} characters long."
    if POLICY.require_uppercase and not any(c.isupper() for c in password):
        return "The new password must contain an upper-case letter."
    if POLICY.require_lowercase and not any(c.islower() for c in password):
        return "The new password must contain a lower-case letter."
    if POLICY.require_digits and not any(c.isdigit() for c in password):
        return "The new password must contain a number."
    if POLICY.require_symbols and not any(c in resources.PASSWORD_SYMBOLS for c in password):
        return "The new password must contain a symbol, such as ! or -."
    return None


def temporary_password() -> str:
    """A random password that meets the pool's policy, for one first sign-in."""
    alphabet = string.ascii_letters + string.digits + "!#%-_=+"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(max(16, POLICY.min_length)))
        if password_problem(candidate) is None:
            return candidate


def invitation(email: str, company_name: str, password: str, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        to=email,
        subject=f"You are invited to {company_name} on Budget Bridge",
        body=(
            f"You have been added to {company_name} on Budget Bridge. Sign in with your email "
            f"address and the temporary password {password}; you will then choose your own."
        ),
        temporary_password=password,
        sent_at=now,
    )


def _attributes(email: str) -> list[dict[str, str]]:
    # The invitation goes to this address, and owning it is what the membership is keyed on.
    return [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]


class CognitoAccounts:
    """Invitations through Cognito's AdminCreateUser, which emails the temporary password."""

    def __init__(self, user_pool_id: str, client: Any | None = None) -> None:
        self.user_pool_id = user_pool_id
        self._client = client

    @property
    def client(self) -> Any:
        from chalicelib.adapters.aws import client

        return self._client or client("cognito-idp")

    def invite(self, email: str, company_name: str) -> bool:
        if self._create(email, DesiredDeliveryMediums=["EMAIL"]):
            return True
        if self._signed_in(email):
            return False
        # RESEND makes Cognito mail the invitation again with a new temporary password.
        self._call(
            email,
            self.client.admin_create_user,
            UserPoolId=self.user_pool_id,
            Username=email,
            MessageAction="RESEND",
            DesiredDeliveryMediums=["EMAIL"],
        )
        return True

    def outbox(self) -> list[OutboxMessage]:
        return []

    def _create(self, email: str, **how: Any) -> bool:
        """Make the account; False when the pool has one for `email` already."""
        try:
            self._call(
                email,
                self.client.admin_create_user,
                UserPoolId=self.user_pool_id,
                Username=email,
                UserAttributes=_attributes(email),
                **how,
            )
        except _Exists:
            return False
        return True

    def _signed_in(self, email: str) -> bool:
        """Whether someone has signed in to the existing account, replacing its temporary
        password; one never signed in to is still FORCE_CHANGE_PASSWORD."""
        user = self._call(
            email, self.client.admin_get_user, UserPoolId=self.user_pool_id, Username=email
        )
        return user.get("UserStatus") != "FORCE_CHANGE_PASSWORD"

    def _call(self, email: str, operation: Callable[..., Any], **arguments: Any) -> Any:
        """One Cognito call, its refusals turned into the sentences a person is shown."""
        try:
            return operation(**arguments)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "UsernameExistsException":
                raise _Exists from None
            if code in ("InvalidParameterException", "InvalidPasswordException"):
                raise InvalidRequest(
                    f"Budget Bridge cannot invite {email}: check the address."
                ) from None
            logger().warning("cognito refused an invitation", extra={"aws_code": code})
            raise ServiceUnavailable(_UNAVAILABLE) from None
        except BotoCoreError as error:
            logger().warning("cognito unreachable", extra={"error": type(error).__name__})
            raise ServiceUnavailable(_UNAVAILABLE) from None


class _Exists(Exception):
    """AdminCreateUser found an account by that address."""


class OutboxAccounts(CognitoAccounts):
    """The local stack: the account is made with our temporary password, the mail is kept."""

    def __init__(
        self, user_pool_id: str, client: Any | None = None, tables: DynamoTables | None = None
    ) -> None:
        super().__init__(user_pool_id, client)
        self.tables = tables or DynamoTables()

    def invite(self, email: str, company_name: str) -> bool:
        password = temporary_password()
        if not self._create(email, TemporaryPassword=password, MessageAction="SUPPRESS"):
            if self._signed_in(email):
                return False
            # What RESEND does to the account, without its mail. Not RESEND itself: moto, in a
            # pool keyed by email, adds a second user instead and sign-in keeps the old password.
            self._call(
                email,
                self.client.admin_set_user_password,
                UserPoolId=self.user_pool_id,
                Username=email,
                Password=password,
                Permanent=False,
            )
        message = invitation(email, company_name, password, utc_now())
        item = {
            "pk": OUTBOX_PK,
            # To the microsecond: a person invited again within the second must find the newer
            # temporary password first.
            "sk": f"{iso_precise(message.sent_at)}#{uuid.uuid4().hex}",
            "message": message.model_dump_json(),
            "expires_at": int((message.sent_at + timedelta(days=OUTBOX_DAYS)).timestamp()),
        }
        self.tables.client.put_item(TableName=self.tables.directory_table, Item=serialize(item))
        return True

    def outbox(self) -> list[OutboxMessage]:
        answer = self.tables.client.query(
            TableName=self.tables.directory_table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": OUTBOX_PK}},
            ScanIndexForward=False,
            Limit=100,
        )
        return [
            OutboxMessage.model_validate_json(deserialize(raw)["message"])
            for raw in answer["Items"]
        ]
