"""The Lambda functions of the ticket workflow, one per step, sharing one code asset."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..bundling import LAMBDA_RUNTIME, function_code

HANDLERS = {
    "Analyze": ("ticketing.handlers.analyze.handler", "Analyze issue: triage category and severity"),
    "FindResolution": ("ticketing.handlers.find_resolution.handler", "Find resolution: plan from the catalog"),
    "RequestApproval": (
        "ticketing.handlers.request_approval.handler",
        "Await approval: checkpoint and email a signed link",
    ),
    "Execute": ("ticketing.handlers.execute.handler", "Execute resolution: run exactly the approved plan"),
    "CloseTicket": ("ticketing.handlers.close_ticket.handler", "Close a ticket as rejected, expired or failed"),
    "Api": ("ticketing.handlers.api.handler", "HTTP API: tickets and approvals"),
}


@dataclass
class TicketFunctions:
    analyze: lambda_.Function
    find_resolution: lambda_.Function
    request_approval: lambda_.Function
    execute: lambda_.Function
    close_ticket: lambda_.Function
    api: lambda_.Function

    def all(self) -> list[lambda_.Function]:
        return [self.analyze, self.find_resolution, self.request_approval, self.execute, self.close_ticket, self.api]


def build_functions(scope: Construct, environment: dict[str, str]) -> TicketFunctions:
    code = function_code()

    def function(name: str) -> lambda_.Function:
        handler, description = HANDLERS[name]
        log_group = logs.LogGroup(scope, f"{name}Logs", retention=logs.RetentionDays.ONE_MONTH)
        return lambda_.Function(
            scope,
            f"{name}Function",
            runtime=LAMBDA_RUNTIME,
            handler=handler,
            code=code,
            description=description,
            memory_size=512,
            timeout=Duration.seconds(29 if name == "Api" else 60),
            environment=dict(environment),
            log_group=log_group,
        )

    return TicketFunctions(
        analyze=function("Analyze"),
        find_resolution=function("FindResolution"),
        request_approval=function("RequestApproval"),
        execute=function("Execute"),
        close_ticket=function("CloseTicket"),
        api=function("Api"),
    )
