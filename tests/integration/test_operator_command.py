"""The operator's command against a deployed stack: outputs read, company and admin written."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.directory import DynamoDirectory
from chalicelib.adapters.dynamodb.provision import create_tables
from chalicelib.domain.model import MemberStatus, Permission
from devstack import company
from devstack.provision import create_user_pool


@pytest.fixture
def deployed() -> Iterator[company.Target]:
    with mock_aws():
        aws.reset_clients()
        create_tables(aws.dynamodb())
        pool, _ = create_user_pool(boto3.client("cognito-idp"))
        yield company.Target(
            dynamodb=boto3.client("dynamodb"),
            cognito=boto3.client("cognito-idp"),
            directory_table="budget-bridge-directory",
            user_pool_id=pool,
            local=False,
        )


def test_the_stack_s_outputs_name_the_table_and_the_pool() -> None:
    class Outputs:
        def describe_stacks(self, StackName: str) -> dict:  # noqa: N803 - boto3's naming
            assert StackName == "budget-bridge-prod"
            return {"Stacks": [{"Outputs": [
                {"OutputKey": "DirectoryTableName", "OutputValue": "prod-directory"},
                {"OutputKey": "UserPoolId", "OutputValue": "us-east-1_Pool"},
            ]}]}  # fmt: skip

    assert company.stack_outputs(Outputs(), "budget-bridge-prod") == {
        "DirectoryTableName": "prod-directory",
        "UserPoolId": "us-east-1_Pool",
    }


def test_a_company_and_its_invited_admin_are_created_and_a_second_run_changes_nothing(
    deployed: company.Target,
) -> None:
    said = company.create_company(deployed, "acme", "Acme Construction", "Admin@Acme.com")
    again = company.create_company(deployed, "acme", "Acme Renamed", "admin@acme.com")

    directory = DynamoDirectory(client=deployed.dynamodb)
    member = directory.membership("acme", "admin@acme.com")
    assert member is not None and member.company_name == "Acme Construction"
    assert (member.erp_permission, member.budget_permission) == (Permission.ADMIN,) * 2
    assert member.status is MemberStatus.INVITED
    user = deployed.cognito.admin_get_user(
        UserPoolId=deployed.user_pool_id, Username="admin@acme.com"
    )
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert "Cognito has emailed admin@acme.com" in said
    assert "was already ERP admin and Budget admin; the membership is unchanged" in again
    # Never signed in: the second run has Cognito mail a new temporary password.
    assert "Cognito has emailed admin@acme.com a temporary password" in again
    assert [m.email for m in directory.members("acme")] == ["admin@acme.com"]


def test_a_company_id_that_cannot_be_a_key_is_refused(deployed: company.Target) -> None:
    with pytest.raises(SystemExit):
        company.create_company(deployed, "Acme Co#1", "Acme", "admin@acme.com")
