"""The Budget Bridge stack: the Chalice app (API, worker, dead-letter handler, schedule) with the
queue, tables, user pool, web site, IAM, logs and alarms around it."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aws_cdk import Aspects, CfnOutput, Duration, RemovalPolicy, Stack, Stage
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sam as sam
from chalice.cdk import Chalice
from chalice.utils import to_cfn_resource_name
from constructs import Construct

from chalicelib import resources
from infra import access, gateway, observability, protection
from infra.data import build_exports_bucket, build_queues, build_tables
from infra.site import Site

API_FUNCTION = "api_handler"
FUNCTIONS = (
    API_FUNCTION,
    resources.WORKER_FUNCTION,
    resources.DEAD_LETTER_FUNCTION,
    resources.SCHEDULE_FUNCTION,
)
API_STAGE = "api"  # Chalice's api_gateway_stage in chalice.json
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# Chalice needs a policy file when it does not write policies itself; the stack replaces the
# policy of every function's role with the statements below, so the file grants nothing.
PLACEHOLDER_POLICY = Path(__file__).with_name("chalice-policy-placeholder.json")
DEAD_LETTER_BATCH_SIZE = 5
DEAD_LETTER_MAX_CONCURRENCY = 2  # the smallest maximum concurrency AWS allows on an SQS mapping


def function_logical_id(name: str) -> str:
    # Chalice names the API's function APIHandler but its role ApiHandlerRole.
    return "APIHandler" if name == API_FUNCTION else to_cfn_resource_name(name)


def role_logical_id(name: str) -> str:
    return f"{to_cfn_resource_name(name)}Role"


@contextlib.contextmanager
def _packaging_sandbox(work_dir: Path) -> Iterator[None]:
    """Chalice packages into `./chalice.out` and may put the stage's environment variables into
    os.environ while it loads the app: keep both out of the caller's process and working tree."""
    saved_environ = dict(os.environ)
    saved_cwd = Path.cwd()
    # Each packaging adds a ~9 MB copy under a fresh name; earlier synths' copies are not needed.
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(work_dir)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environ)


class BudgetBridgeStack(Stack):
    def __init__(
        self,
        scope: Construct,
        stage: str,
        *,
        functions_dir: Path,
        dist_dir: Path,
        alarm_email: str | None = None,
        **kwargs: Any,
    ) -> None:
        # The Chalice construct takes the stack's id as its stage (chalice.json `stages`).
        super().__init__(scope, stage, **kwargs)
        self.stage_name = stage

        self.chalice = self._package(functions_dir)
        self.functions = {name: self._function(name) for name in FUNCTIONS}
        worker = self.functions[resources.WORKER_FUNCTION]
        # resources.py is the worker timeout's one source; the queue's visibility derives from it.
        worker.timeout = resources.JOB_QUEUE.worker_timeout_seconds

        self.tables = build_tables(self)
        self.queue, self.dead_letter_queue = build_queues(
            self,
            Duration.seconds(int(self.functions[resources.DEAD_LETTER_FUNCTION].timeout)),
        )
        self.user_pool, self.user_pool_client = self._user_pool()
        self.exports_bucket = build_exports_bucket(self)
        # The one origin besides the site's own that the web app reaches: where a budget export
        # is POSTed. The API hands out exactly this address, and the CSP allows exactly it.
        self.upload_origin = f"https://{self.exports_bucket.bucket_regional_domain_name}"

        self._environment()
        self.log_groups = {name: self._log_group(name) for name in FUNCTIONS}
        self._permissions()
        self._event_sources()
        self._schedule_name()

        api = self.chalice.get_resource("RestAPI")
        assert isinstance(api, sam.CfnApi), api
        self.guarded_routes = gateway.protect(
            api, self.user_pool.user_pool_arn, gateway.load_chalice_app(functions_dir)
        )
        api_domain = f"{api.ref}.execute-api.{self.region}.{self.url_suffix}"
        self.site = Site(
            self,
            "Site",
            api_domain=api_domain,
            api_stage=API_STAGE,
            dist_dir=dist_dir,
            runtime_config={
                "apiBase": "",
                "userPoolId": self.user_pool.user_pool_id,
                "userPoolClientId": self.user_pool_client.user_pool_client_id,
                "region": self.region,
            },
            log_retention=LOG_RETENTION,
            upload_origin=self.upload_origin,
        )
        self._operations(api, alarm_email)

        CfnOutput(
            self, "SiteUrl", value=f"https://{self.site.distribution.distribution_domain_name}"
        )
        CfnOutput(self, "ApiUrl", value=f"https://{api_domain}/{API_STAGE}/")
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        # Where the first company and its members are written (README, "Deploy to AWS").
        CfnOutput(
            self,
            "DirectoryTableName",
            value=self.tables[resources.DIRECTORY.logical_id].table_name,
        )

    # --- the Chalice app ------------------------------------------------------------------

    def _function_name(self, name: str) -> str:
        return f"budget-bridge-{self.stage_name}-{name}"

    def _package(self, functions_dir: Path) -> Chalice:
        outdir = Path(Stage.of(self).outdir)  # type: ignore[union-attr]
        with _packaging_sandbox(outdir / "chalice-work"):
            return Chalice(
                self,
                "App",
                source_dir=str(functions_dir),
                stage_config={
                    "api_gateway_stage": API_STAGE,
                    "api_gateway_endpoint_type": "REGIONAL",
                    "autogen_policy": False,
                    "iam_policy_file": str(PLACEHOLDER_POLICY),
                },
            )

    def _function(self, name: str) -> sam.CfnFunction:
        function = self.chalice.get_resource(function_logical_id(name))
        assert isinstance(function, sam.CfnFunction), function
        # A known name gives each function a log group the stack can create (with retention)
        # before the function first runs, and its role a policy on exactly that group.
        function.function_name = self._function_name(name)
        return function

    def _environment(self) -> None:
        variables = {
            spec.env_var: self.tables[spec.logical_id].table_name for spec in resources.TABLES
        }
        variables |= {
            resources.JOB_QUEUE.env_var: self.queue.queue_url,
            resources.JOB_QUEUE.dlq_env_var: self.dead_letter_queue.queue_url,
            "USER_POOL_ID": self.user_pool.user_pool_id,
            "USER_POOL_CLIENT_ID": self.user_pool_client.user_pool_client_id,
            resources.EXPORTS.env_var: self.exports_bucket.bucket_name,
            resources.EXPORTS.upload_url_env_var: f"{self.upload_origin}/",
            # Deployment settings (docs/adoption.md): no ERP at http://127.0.0.1 in AWS, and
            # invitations go out through Cognito (the outbox is the local stack's alone).
            "ERP_ALLOW_LOCAL_URLS": "false",
            "INVITATIONS": "cognito",
        }
        for name in FUNCTIONS:
            for key, value in variables.items():
                self.chalice.add_environment_variable(key, value, function_logical_id(name))

    def _log_group(self, name: str) -> logs.LogGroup:
        group = logs.LogGroup(
            self,
            f"{to_cfn_resource_name(name)}Logs",
            log_group_name=f"/aws/lambda/{self._function_name(name)}",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Created before the function can run, so Lambda never makes one without retention.
        self.functions[name].add_resource_dependency(group.node.default_child)  # type: ignore[arg-type]
        return group

    def _permissions(self) -> None:
        t = {spec.logical_id: self.tables[spec.logical_id] for spec in resources.TABLES}
        budgets, jobs = t[resources.BUDGETS.logical_id], t[resources.JOBS.logical_id]
        directory = t[resources.DIRECTORY.logical_id]
        grants: dict[str, list[iam.PolicyStatement]] = {
            API_FUNCTION: [
                access.read_update("Budgets", budgets),
                access.read_write("JobsAndDirectory", jobs, directory),
                access.send(self.queue),
                access.upload_exports(self.exports_bucket),
                # Linking a spreadsheet job, the connection test, the project list and the
                # catalog sync read the uploaded exports (adapters/exports.py).
                *access.read_exports(self.exports_bucket),
                access.manage_erp_secrets(self),
                access.manage_target_secrets(self),
                access.invite_users(self.user_pool.user_pool_arn),
            ],
            resources.WORKER_FUNCTION: [
                access.read_update("Budgets", budgets),
                access.read_write("Jobs", jobs),
                access.read("Directory", directory),
                access.write("CatalogUpdates", directory, *access.CATALOG_WRITE),
                access.idempotency(t[resources.IDEMPOTENCY.logical_id]),
                access.consume("ConsumeJobs", self.queue, postpone=True),
                access.erp_secrets(self),
                access.rotated_erp_tokens(self),
                access.target_secrets(self),
                *access.read_exports(self.exports_bucket),
            ],
            resources.DEAD_LETTER_FUNCTION: [
                access.read_update("Budgets", budgets),
                access.read_write("Jobs", jobs),
                access.read("Directory", directory),
                access.consume("ConsumeDeadLetters", self.dead_letter_queue),
                # Putting back what a stopped job wrote to Procore signs in to Procore.
                access.target_secrets(self),
            ],
            resources.SCHEDULE_FUNCTION: [
                access.read_update("Budgets", budgets),
                access.read_write("Jobs", jobs),
                access.read("Directory", directory),
                access.scan("CompaniesWithAutoReimport", directory),
                access.write("AuditEntries", directory, *access.AUDIT_WRITE),
                access.send(self.queue),
            ],
        }
        for name, statements in grants.items():
            document = iam.PolicyDocument(
                statements=[access.write_logs(self.log_groups[name].log_group_arn), *statements]
            )
            role = self.chalice.get_resource(role_logical_id(name))
            role.add_property_override(
                "Policies",
                [{"PolicyName": "least-privilege", "PolicyDocument": document.to_json()}],
            )

    def _event_sources(self) -> None:
        settings = resources.JOB_QUEUE
        lambda_.EventSourceMapping(
            self,
            "WorkerJobs",
            target=self.chalice.get_function(function_logical_id(resources.WORKER_FUNCTION)),
            event_source_arn=self.queue.queue_arn,
            batch_size=settings.batch_size,
            max_concurrency=settings.maximum_concurrency,
            # Chalice's on_sqs_message cannot report partial failures: the mapping lives here.
            report_batch_item_failures=True,
        )
        lambda_.EventSourceMapping(
            self,
            "DeadLetters",
            target=self.chalice.get_function(function_logical_id(resources.DEAD_LETTER_FUNCTION)),
            event_source_arn=self.dead_letter_queue.queue_arn,
            batch_size=DEAD_LETTER_BATCH_SIZE,
            max_concurrency=DEAD_LETTER_MAX_CONCURRENCY,
            report_batch_item_failures=True,
        )

    def _schedule_name(self) -> None:
        # Chalice declares the rule (rate from resources.SCHEDULE_RATE_MINUTES in app.py); name it.
        schedule = self.functions[resources.SCHEDULE_FUNCTION]
        event = f"{to_cfn_resource_name(resources.SCHEDULE_FUNCTION)}Event"
        schedule.add_property_override(
            f"Events.{event}.Properties.Name",
            f"{resources.SCHEDULE_RULE_NAME}-{self.stage_name}",
        )

    # --- users ----------------------------------------------------------------------------

    def _user_pool(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{resources.USER_POOL_NAME}-{self.stage_name}",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            # The API knows people by their email: a changed address counts only once verified.
            keep_original=cognito.KeepOriginalAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=resources.PASSWORD_POLICY.min_length,
                require_lowercase=resources.PASSWORD_POLICY.require_lowercase,
                require_uppercase=resources.PASSWORD_POLICY.require_uppercase,
                require_digits=resources.PASSWORD_POLICY.require_digits,
                require_symbols=resources.PASSWORD_POLICY.require_symbols,
                temp_password_validity=Duration.days(
                    resources.PASSWORD_POLICY.temporary_password_days
                ),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        client = pool.add_client(
            "WebClient",
            user_pool_client_name=resources.USER_POOL_CLIENT_NAME,
            # The API signs users in with USER_PASSWORD_AUTH; SRP stays open for other clients.
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            generate_secret=False,
            # Users may not rewrite their own email through the public client (it is who they
            # are to the API); tokens carry email and email_verified, which the API checks.
            read_attributes=cognito.ClientAttributes().with_standard_attributes(
                email=True, email_verified=True, fullname=True
            ),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        return pool, client

    # --- operations (infra/observability.py, infra/protection.py) ----------------------------

    def _operations(self, api: sam.CfnApi, alarm_email: str | None) -> None:
        # Named per stage, so each stage's API metrics (ApiName dimension) stand apart.
        api.name = f"budget-bridge-{self.stage_name}"
        protection.throttle_api(api)
        self.web_acl_arn = protection.protect_site(
            self, self.site.distribution, protection.web_acl_name(self.stage_name), LOG_RETENTION
        )
        roles = [self.chalice.get_resource(role_logical_id(name)) for name in FUNCTIONS]
        observability.enable_tracing(self, api, self.functions, roles)
        watched = observability.Watched(
            function_names={name: self._function_name(name) for name in FUNCTIONS},
            api_name=api.name,
            api_stage=API_STAGE,
            queue=self.queue,
            dead_letter_queue=self.dead_letter_queue,
            tables=self.tables,
        )
        self.alarm_topic, self.alarms = observability.build_alarms(self, watched, alarm_email)
        self.dashboard = observability.build_dashboard(self, watched)
        Aspects.of(self).add(observability.HelperFunctionDefaults(LOG_RETENTION))
