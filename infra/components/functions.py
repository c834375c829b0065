"""The Lambda functions of the ticket workflow: one per step, the API, and the approval monitor.

Each function has its own role (no AWS managed policy: it may write only to its own
log group) and active X-Ray tracing. Functions that run a model get the agent code
asset; the others get the base asset without the agent SDK.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..bundling import AGENT_REQUIREMENTS, BASE_REQUIREMENTS, LAMBDA_RUNTIME, function_code

SERVICE_NAME = "supportflow"
METRICS_NAMESPACE = "Supportflow"


@dataclass(frozen=True)
class LambdaSpec:
    handler: str
    description: str
    runs_model: bool = False
    timeout_seconds: int = 60


SPECS = {
    "Analyze": LambdaSpec(
        "ticketing.handlers.analyze.handler", "Analyze issue: category and severity", runs_model=True
    ),
    "FindResolution": LambdaSpec(
        "ticketing.handlers.find_resolution.handler", "Find resolution: a plan from the catalog", runs_model=True
    ),
    "RevisePlan": LambdaSpec(
        "ticketing.handlers.revise_plan.handler",
        "Revise plan: a new proposal from the approver's feedback and edits",
        runs_model=True,
    ),
    "ApprovalTimer": LambdaSpec(
        "ticketing.handlers.approval_timer.handler",
        "Approval timer: how long to wait next; reminders, escalations and the policy's own approvals",
    ),
    "RequestApproval": LambdaSpec(
        "ticketing.handlers.request_approval.handler", "Await approval: checkpoint and email a signed link"
    ),
    # Device commands are waited for (bounded, DEVICE_COMMAND_WAIT_SECONDS each) inside the invocation.
    "Execute": LambdaSpec(
        "ticketing.handlers.execute.handler", "Execute resolution: run exactly the approved plan", timeout_seconds=900
    ),
    "CloseTicket": LambdaSpec(
        "ticketing.handlers.close_ticket.handler", "Close a ticket as rejected, expired or failed"
    ),
    # API Gateway gives up after 29 s, so the function must too.
    "Api": LambdaSpec("ticketing.handlers.api.handler", "HTTP API: tickets, conversations, approvals", True, 29),
    "ApprovalMonitor": LambdaSpec(
        "ticketing.handlers.approval_monitor.handler", "Publishes the age of the oldest open ticket", False, 30
    ),
}


@dataclass
class TicketFunctions:
    analyze: lambda_.Function
    find_resolution: lambda_.Function
    revise_plan: lambda_.Function
    approval_timer: lambda_.Function
    request_approval: lambda_.Function
    execute: lambda_.Function
    close_ticket: lambda_.Function
    api: lambda_.Function
    approval_monitor: lambda_.Function

    def all(self) -> list[lambda_.Function]:
        return [
            self.analyze,
            self.find_resolution,
            self.revise_plan,
            self.approval_timer,
            self.request_approval,
            self.execute,
            self.close_ticket,
            self.api,
            self.approval_monitor,
        ]

    def steps(self) -> list[lambda_.Function]:
        """The functions the state machine invokes: all but the API and the approval monitor."""
        return [fn for fn in self.all() if fn is not self.api and fn is not self.approval_monitor]

    def model_runners(self) -> list[lambda_.Function]:
        names = [name for name, spec in SPECS.items() if spec.runs_model]
        return [fn for fn in self.all() if fn.node.id.removesuffix("Function") in names]


def build_functions(
    scope: Construct, environment: dict[str, str], model_environment: dict[str, str]
) -> TicketFunctions:
    """`environment` goes to every function, `model_environment` only to those that run a model."""
    base_code = function_code(BASE_REQUIREMENTS)
    agent_code = function_code(AGENT_REQUIREMENTS)
    observability = {
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }

    def function(name: str) -> lambda_.Function:
        spec = SPECS[name]
        log_group = logs.LogGroup(scope, f"{name}Logs", retention=logs.RetentionDays.ONE_MONTH)
        role = iam.Role(
            scope,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"supportflow {name} function: only the calls its code makes",
        )
        log_group.grant_write(role)
        return lambda_.Function(
            scope,
            f"{name}Function",
            runtime=LAMBDA_RUNTIME,
            handler=spec.handler,
            code=agent_code if spec.runs_model else base_code,
            description=spec.description,
            memory_size=1024 if spec.runs_model else 512,
            timeout=Duration.seconds(spec.timeout_seconds),
            # str(): the names may be `contract.Env` members; CloudFormation wants plain strings.
            environment={
                str(k): v
                for k, v in {**observability, **environment, **(model_environment if spec.runs_model else {})}.items()
            },
            log_group=log_group,
            role=role,
            tracing=lambda_.Tracing.ACTIVE,
        )

    return TicketFunctions(
        analyze=function("Analyze"),
        find_resolution=function("FindResolution"),
        revise_plan=function("RevisePlan"),
        approval_timer=function("ApprovalTimer"),
        request_approval=function("RequestApproval"),
        execute=function("Execute"),
        close_ticket=function("CloseTicket"),
        api=function("Api"),
        approval_monitor=function("ApprovalMonitor"),
    )
