"""cdk-nag AwsSolutions findings this stack accepts, each on the narrowest construct, with the reason.

`app.py` adds the AwsSolutions pack, so synthesis fails on any finding not listed here.
Each acknowledgment names the exact finding (with its evidence where cdk-nag gives one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, CfnElement, Stack, Token, Validations
from constructs import IConstruct

from .bundling import LAMBDA_PYTHON_VERSION

if TYPE_CHECKING:
    from .components.api import TicketApi
    from .components.functions import TicketFunctions
    from .components.lifecycle_events import LifecycleEvents
    from .components.workflow import TicketStateMachine

XRAY_AND_LOG_DELIVERY = (
    "X-Ray (PutTraceSegments, PutTelemetryRecords) and CloudWatch Logs vended delivery (the state machine's "
    "log delivery actions) support no resource-level permissions: Resource '*' is the only form AWS accepts."
)
CROSS_REGION_MODEL = (
    "A cross-region inference profile sends each request to the model in one of several regions, so the "
    "foundation-model ARN must allow any region. The model is named exactly, and the inference profile ARN "
    "is pinned to this account and region."
)
EXECUTION_BY_NAME = (
    "The API reads one ticket's execution (DescribeExecution) by its name, the ticket id, created at run time, "
    "so the ARN ends in a wildcard under this state machine only. GetExecutionHistory (task tokens) is not granted."
)
SANDBOX_RECIPIENTS = (
    "While an account is in the SES sandbox, SES also checks ses:SendEmail on each recipient's verified "
    "identity, and recipients (customers) are not known at deploy time. The statement is conditioned on "
    "ses:FromAddress being the configured sender, so it allows nothing but mail from supportflow."
)
TESTED_RUNTIME = (
    f"The functions run on Python {LAMBDA_PYTHON_VERSION}, the Python every test runs on (the Makefile builds the "
    "test venv from it), rather than on the newest Lambda runtime, which is not installed on the machine that runs "
    "the tests and CI. Move the runtime and the tests together (infra/bundling.py) when it is."
)
TAGGED_INSTANCES = (
    "Run Command targets the customer's managed instances, which the stack does not own and cannot name: "
    "SendCommand is allowed on instances only when they carry the supportflow:customer tag, and only with the "
    "stack's own command documents (named in a separate statement)."
)
STEP_FUNCTION_VERSIONS = (
    "CDK grants lambda:InvokeFunction on each step's function and its versions (ARN:*). Only this stack's own "
    "step functions are named."
)


def _ack(scope: IConstruct, finding: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::AwsSolutions-{finding}", reason=reason))


def _logical_id(construct: IConstruct) -> str:
    """The CloudFormation logical id cdk-nag prints for a construct's resource."""
    resource = construct.node.default_child
    assert isinstance(resource, CfnElement)
    stack = Stack.of(construct)
    return str(stack.resolve(stack.get_logical_id(resource)))


def acknowledge(
    stack: IConstruct,
    *,
    lifecycle: LifecycleEvents,
    functions: TicketFunctions,
    workflow: TicketStateMachine,
    api: TicketApi,
    foundation_model: str | None,
) -> None:
    _ack(
        stack.node.find_child("ApprovalLinkSigningKey"),
        "SMG4",
        "Automatic rotation would invalidate every approval link already emailed (links live until the approval "
        "timeout). Only the two functions that sign and verify links can read the key; rotate it by hand when no "
        "approval is pending (README, Deploy).",
    )
    _ack(
        lifecycle.webhook_secret,
        "SMG4",
        "Subscribers verify deliveries with this key, so rotating it is coordinated with every subscriber "
        "(README, Webhooks): a receiver accepts the old and the new key for a while. Only the sender reads it.",
    )
    rest_api = api.rest_api
    _ack(
        rest_api.node.find_child("CloudWatchRole"),
        "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        "API Gateway's account-level logging role; AWS documents this managed policy for it, and it only lets "
        "API Gateway write its own execution logs.",
    )
    _ack(
        rest_api,
        "COG4",
        "There are no end users to sign in: client routes use IAM (SigV4) authorization for the support "
        "portal's backend, and approval routes are authenticated by the signed, expiring link.",
    )
    _ack(
        rest_api.root.resource_for_path("/approvals/{ticket_id}"),
        "APIG4",
        "Approval pages are opened from an email by an approver with no AWS identity. The HMAC-signed, expiring "
        "token in the link is the credential; the API function verifies it before showing or deciding anything.",
    )
    _ack(
        rest_api.root.resource_for_path("/confirmations/{ticket_id}"),
        "APIG4",
        "The customer's 'Is your issue resolved?' page is opened from an email by a customer with no AWS identity. "
        "The HMAC-signed, expiring token in the link (purpose: confirmation) is the credential; the API function "
        "verifies it before showing or answering anything.",
    )
    _ack(
        rest_api.root.resource_for_path("/steps/{ticket_id}"),
        "APIG4",
        "A customer or engineer step page is opened from an email by a customer or an engineer with no AWS "
        "identity. The HMAC-signed, expiring token in the link (purpose: step report) is the credential; the API "
        "function verifies it before showing or recording anything.",
    )
    _ack(
        rest_api.root.resource_for_path("/openapi.json"),
        "APIG4",
        "The OpenAPI description of this API is public documentation generated from the code; it holds no "
        "ticket data and no secret, and every route it describes enforces its own authorization.",
    )
    _ack(
        rest_api.deployment_stage,
        "APIG3",
        "Stage throttling and IAM authorization on the client routes bound abuse. A WAF web ACL is a per-account "
        "cost and policy choice: associate one with the stage if your organisation requires it.",
    )
    for function in functions.all():
        assert function.role is not None
        _ack(function.role, "IAM5[Resource::*]", XRAY_AND_LOG_DELIVERY)
        _ack(function, "L1", TESTED_RUNTIME)
    if foundation_model is not None:
        for runner in functions.model_runners():
            assert runner.role is not None
            model_arn = f"arn:<AWS::Partition>:bedrock:*::foundation-model/{foundation_model}"
            _ack(runner.role, f"IAM5[Resource::{model_arn}]", CROSS_REGION_MODEL)
    assert functions.api.role is not None
    state_machine = workflow.state_machine
    name_of_machine = '{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"' + _logical_id(state_machine) + '"}]}]}'
    here = Stack.of(stack)
    region = "<AWS::Region>" if Token.is_unresolved(here.region) else here.region
    account = "<AWS::AccountId>" if Token.is_unresolved(here.account) else here.account
    executions = f"arn:<AWS::Partition>:states:{region}:{account}:execution:{name_of_machine}:*"
    _ack(functions.api.role, f"IAM5[Resource::{executions}]", EXECUTION_BY_NAME)
    identities = f"arn:<AWS::Partition>:ses:{region}:{account}:identity/*"
    for mailing in functions.mailers():
        assert mailing.role is not None
        _ack(mailing.role, f"IAM5[Resource::{identities}]", SANDBOX_RECIPIENTS)
    _ack(state_machine.role, "IAM5[Resource::*]", XRAY_AND_LOG_DELIVERY)
    for step in functions.steps():
        _ack(state_machine.role, f"IAM5[Resource::<{_logical_id(step)}.Arn>:*]", STEP_FUNCTION_VERSIONS)
    assert functions.execute.role is not None
    for kind in ("ec2", "ssm"):
        resource = "instance" if kind == "ec2" else "managed-instance"
        instances = f"arn:<AWS::Partition>:{kind}:{region}:{account}:{resource}/*"
        _ack(functions.execute.role, f"IAM5[Resource::{instances}]", TAGGED_INSTANCES)
