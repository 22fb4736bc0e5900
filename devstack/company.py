"""The operator's first step: create a company and its first admin (docs/adoption.md).

    make company COMPANY_ID=acme COMPANY_NAME="Acme Construction" ADMIN_EMAIL=admin@acme.com
    make company ... STACK=budget-bridge-prod PROFILE=<profile>

Without STACK it writes to the local stack's embedded AWS (`make run` must be running; AWS_PORT,
5000 by default); the admin's temporary password is printed and also lands in the local outbox.
With STACK it reads the deployed stack's outputs (`DirectoryTableName`, `UserPoolId`) and Cognito
emails the admin the temporary password. Either way the admin is ERP admin and Budget admin, signs
in with the temporary password, chooses their own, and does everything else in the web app.
Running it again for an existing company adds the person named, or makes that member ERP admin and
Budget admin; a person who has never signed in is sent a new temporary password (as `POST
/members` does), one who has keeps their own.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.domain.model import Permission

LOCAL_REGION = "us-east-1"
_COMPANY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


@dataclass(frozen=True)
class Target:
    """Where the company is written: a DynamoDB client and table, a Cognito client and pool."""

    dynamodb: Any
    cognito: Any
    directory_table: str
    user_pool_id: str
    local: bool


def local_target(aws_port: int) -> Target:
    import boto3

    from chalicelib import resources

    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's, not a secret
        region_name=LOCAL_REGION,
    )
    endpoint = f"http://127.0.0.1:{aws_port}"
    cognito = session.client("cognito-idp", endpoint_url=endpoint)
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    pool = next((p["Id"] for p in pools if p["Name"] == resources.USER_POOL_NAME), None)
    if pool is None:
        raise SystemExit(f"No local stack answers on port {aws_port}: start it with `make run`.")
    return Target(
        dynamodb=session.client("dynamodb", endpoint_url=endpoint),
        cognito=cognito,
        directory_table=resources.DIRECTORY.default_name,
        user_pool_id=pool,
        local=True,
    )


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def deployed_target(stack_name: str, profile: str | None, region: str | None) -> Target:
    import boto3

    session = boto3.session.Session(profile_name=profile, region_name=region)
    outputs = stack_outputs(session.client("cloudformation"), stack_name)
    missing = {"DirectoryTableName", "UserPoolId"} - set(outputs)
    if missing:
        raise SystemExit(f"The stack {stack_name} has no output {', '.join(sorted(missing))}.")
    return Target(
        dynamodb=session.client("dynamodb"),
        cognito=session.client("cognito-idp"),
        directory_table=outputs["DirectoryTableName"],
        user_pool_id=outputs["UserPoolId"],
        local=False,
    )


def create_company(target: Target, company_id: str, name: str, admin_email: str) -> str:
    """Write the company and its first admin; answers what happened, for a person."""
    from chalicelib.adapters.dynamodb.audit import DynamoAuditLog
    from chalicelib.adapters.dynamodb.directory import DynamoDirectory
    from chalicelib.adapters.dynamodb.tables import DynamoTables
    from chalicelib.adapters.invitations import CognitoAccounts, OutboxAccounts
    from chalicelib.domain.errors import InvalidRequest
    from chalicelib.domain.model import AuditEvent, MemberStatus, Permission, utc_now
    from chalicelib.services import audit, members

    if not _COMPANY_ID.match(company_id):
        raise SystemExit("COMPANY_ID must be 2-40 lower-case letters, digits or dashes.")
    try:  # the same check as an invitation in the web app (docs/adoption.md, "Members")
        email = members.normal_email(admin_email)
    except InvalidRequest as refused:
        raise SystemExit(f"ADMIN_EMAIL: {refused}") from None
    tables = DynamoTables(client=target.dynamodb, directory_table=target.directory_table)
    directory = DynamoDirectory(client=target.dynamodb, directory_table=target.directory_table)
    existing = directory.company_name(company_id)
    if existing is None:
        directory.put_company(company_id, name)
    accounts = (
        OutboxAccounts(target.user_pool_id, target.cognito, tables)
        if target.local
        else CognitoAccounts(target.user_pool_id, target.cognito)
    )
    invited = accounts.invite(email, existing or name)
    admin = Permission.ADMIN
    member = directory.membership(company_id, email)
    action: str | None
    if member is None:
        status = MemberStatus.INVITED if invited else MemberStatus.ACTIVE
        directory.put_member(company_id, email, admin, admin, status)
        if existing is None:
            action, details = "company.created", {"company_name": name, "role": "first admin"}
        else:
            action = audit.MEMBER_ADDED
            details = {"erp_permission": admin.label, "budget_permission": admin.label,
                       "invited": invited}  # fmt: skip
    elif (member.erp_permission, member.budget_permission) != (admin, admin):
        # Only the permissions change; the write fails, changing nothing, if the member was
        # changed or removed meanwhile.
        directory.change_member(member, admin, admin)
        action = audit.MEMBER_CHANGED
        details = {
            "erp_permission": admin.label, "budget_permission": admin.label,
            "was": {"erp_permission": member.erp_permission.label,
                    "budget_permission": member.budget_permission.label},
        }  # fmt: skip
    else:
        action = None  # already ERP admin and Budget admin: nothing to record
    if action is not None:
        now = utc_now()
        DynamoAuditLog(client=target.dynamodb, directory_table=target.directory_table).record(
            AuditEvent(
                company_id=company_id, event_id=f"operator-{now.timestamp():.0f}", at=now,
                actor="operator", action=action, target=email, details=details,
            )
        )  # fmt: skip
    was = None if member is None else (member.erp_permission, member.budget_permission)
    company = f"Company {company_id} ({existing or name}){' created' if existing is None else ''}"
    return _report(company, email, was, invited, accounts, target)


def _report(
    company: str,
    email: str,
    was: tuple[Permission, Permission] | None,
    invited: bool,
    accounts: Any,
    target: Target,
) -> str:
    """What the command did, in sentences: `was` is the member's (ERP, Budget) permissions before
    it ran, None when it added them."""
    from chalicelib.domain.model import Permission

    both = "ERP admin and Budget admin"
    if was is None:
        what = f"{email} is {both}."
    elif was == (Permission.ADMIN, Permission.ADMIN):
        what = f"{email} was already {both}; the membership is unchanged."
    else:
        what = f"{email}, until now ERP {was[0].label} and Budget {was[1].label}, is now {both}."
    lines = [f"{company}: {what}"]
    if not invited:
        lines.append(f"{email} already has an account; they sign in with their own password.")
    elif target.local:
        message = next(m for m in accounts.outbox() if m.to == email)
        lines.append(f"Temporary password: {message.temporary_password} (also in GET /dev/outbox)")
    else:
        lines.append(f"Cognito has emailed {email} a temporary password.")
    if invited:
        lines.append("They sign in, choose their own password, and set up the rest in the web app.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("company_id")
    parser.add_argument("company_name")
    parser.add_argument("admin_email")
    parser.add_argument("--stack", help="a deployed stack's name; without it, the local stack")
    parser.add_argument("--profile", help="the AWS CLI profile for --stack")
    parser.add_argument("--region", help="the region of --stack")
    parser.add_argument("--aws-port", type=int, default=5000, help="the local stack's AWS_PORT")
    args = parser.parse_args(argv)
    target = (
        deployed_target(args.stack, args.profile, args.region)
        if args.stack
        else local_target(args.aws_port)
    )
    print(create_company(target, args.company_id, args.company_name, args.admin_email))
    return 0


if __name__ == "__main__":
    sys.exit(main())
