"""The Lambda functions: one per workflow step, the API, the approval monitor, and the event senders.

Each function has its own role (no AWS managed policy: it may write only to its own
log group) and active X-Ray tracing. Functions that run a model get the agent code
asset; the others get the base asset without the agent SDK.

SnapStart (`snap_start` in the stack's context): a function with it on publishes a
version per code or configuration change, Lambda snapshots its initialised memory, and
the state machine and API Gateway invoke the `live` alias of that version, never
$LATEST. It pays where a person waits on a cold start, so by default ("where-it-pays")
only the API function has it: a snapshot is billed for as long as it is cached, while
the workflow's steps run in the background and the approval monitor runs on a schedule.
"all" turns it on for every function, "none" for none. The hooks that keep per-environment
state out of the snapshot are in `ticketing/snapstart.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    # Somebody waits on this function's cold start (see the module docstring).
    snap_start_pays: bool = False


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
    "AwaitConfirmation": LambdaSpec(
        "ticketing.handlers.request_confirmation.handler",
        "Await confirmation: checkpoint and email the customer a signed 'is it resolved?' link",
    ),
    "RecordConfirmation": LambdaSpec(
        "ticketing.handlers.record_confirmation.handler",
        "Record confirmation: close, reopen or escalate on the customer's answer (or its absence)",
    ),
    "AwaitStepReport": LambdaSpec(
        "ticketing.handlers.request_step_report.handler",
        "Await step report: checkpoint and email a customer or engineer step with a signed report link",
    ),
    "CloseTicket": LambdaSpec(
        "ticketing.handlers.close_ticket.handler", "Close a ticket as rejected, expired or failed"
    ),
    # API Gateway gives up after 29 s, so the function must too.
    "Api": LambdaSpec(
        "ticketing.handlers.api.handler", "HTTP API: tickets, conversations, approvals", True, 29, snap_start_pays=True
    ),
    "ApprovalMonitor": LambdaSpec(
        "ticketing.handlers.approval_monitor.handler", "Publishes the age of the oldest open ticket", False, 30
    ),
    "WebhookSender": LambdaSpec(
        "ticketing.handlers.webhook_sender.handler", "Delivers lifecycle events to the webhook subscribers", False, 60
    ),
    "RepublishEvents": LambdaSpec(
        "ticketing.handlers.republish_events.handler", "Publishes lifecycle events the event bus refused", False, 60
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
    await_confirmation: lambda_.Function
    record_confirmation: lambda_.Function
    await_step_report: lambda_.Function
    close_ticket: lambda_.Function
    api: lambda_.Function
    approval_monitor: lambda_.Function
    webhook_sender: lambda_.Function
    republish_events: lambda_.Function
    # By function construct id: the alias callers invoke, for the functions with SnapStart on.
    aliases: dict[str, lambda_.Alias] = field(default_factory=dict)

    def target(self, function: lambda_.Function) -> lambda_.IFunction:
        """What a caller (the state machine, API Gateway) invokes: the function's live alias, else the function."""
        return self.aliases.get(function.node.id, function)

    def all(self) -> list[lambda_.Function]:
        return [
            self.analyze,
            self.find_resolution,
            self.revise_plan,
            self.approval_timer,
            self.request_approval,
            self.execute,
            self.await_confirmation,
            self.record_confirmation,
            self.await_step_report,
            self.close_ticket,
            self.api,
            self.approval_monitor,
            self.webhook_sender,
            self.republish_events,
        ]

    def steps(self) -> list[lambda_.Function]:
        """The functions the state machine invokes: each writes its ticket's checkpoints."""
        return [
            self.analyze,
            self.find_resolution,
            self.revise_plan,
            self.approval_timer,
            self.request_approval,
            self.execute,
            self.await_confirmation,
            self.record_confirmation,
            self.await_step_report,
            self.close_ticket,
        ]

    def mailers(self) -> list[lambda_.Function]:
        """The functions that send email (approval requests, notices, the customer's confirmation)."""
        return [
            self.request_approval,
            self.execute,
            self.await_confirmation,
            self.record_confirmation,
            self.await_step_report,
            self.close_ticket,
        ]

    def model_runners(self) -> list[lambda_.Function]:
        names = [name for name, spec in SPECS.items() if spec.runs_model]
        return [fn for fn in self.all() if fn.node.id.removesuffix("Function") in names]


SNAP_START_CHOICES = ("where-it-pays", "all", "none")
LIVE_ALIAS = "live"


def snap_start_for(spec: LambdaSpec, choice: str) -> bool:
    if choice not in SNAP_START_CHOICES:
        raise ValueError(f"snap_start must be one of {', '.join(SNAP_START_CHOICES)}, not {choice!r}")
    return choice == "all" or (choice == "where-it-pays" and spec.snap_start_pays)


def build_functions(
    scope: Construct,
    environment: dict[str, str],
    model_environment: dict[str, str],
    snap_start: str = "where-it-pays",
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
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start_for(spec, snap_start) else None,
        )

    functions = TicketFunctions(
        analyze=function("Analyze"),
        find_resolution=function("FindResolution"),
        revise_plan=function("RevisePlan"),
        approval_timer=function("ApprovalTimer"),
        request_approval=function("RequestApproval"),
        execute=function("Execute"),
        await_confirmation=function("AwaitConfirmation"),
        record_confirmation=function("RecordConfirmation"),
        await_step_report=function("AwaitStepReport"),
        close_ticket=function("CloseTicket"),
        api=function("Api"),
        approval_monitor=function("ApprovalMonitor"),
        webhook_sender=function("WebhookSender"),
        republish_events=function("RepublishEvents"),
    )
    for fn in functions.all():
        if snap_start_for(SPECS[fn.node.id.removesuffix("Function")], snap_start):
            # current_version: a new version whenever the code or configuration changes (hashed at synthesis,
            # so environment variables the stack adds later are part of it).
            functions.aliases[fn.node.id] = lambda_.Alias(
                scope, f"{fn.node.id}LiveAlias", alias_name=LIVE_ALIAS, version=fn.current_version
            )
    return functions
