"""Each role may make exactly the calls its code makes, on the resources it makes them on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_runtime.template import resources_of_type
from tests.infra.conftest import CUSTOM_CONTEXT

LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
MEMORY = {"bedrock-agentcore:CreateEvent", "bedrock-agentcore:ListEvents"}
MODEL = {"bedrock:InvokeModelWithResponseStream"}
# Every step writes checkpoints, and publishes each one (what the bus refuses goes to the retry queue).
PUBLISH = {"events:PutEvents", "sqs:SendMessage"}
# What Lambda's SQS event source mapping calls with the function's role (CDK grants these with the mapping).
CONSUME = {
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}
# Systems Manager calls without resource-level permissions (the Service Authorization Reference lists none).
SSM_UNSCOPED = {"ssm:DescribeInstanceInformation", "ssm:GetCommandInvocation"}
DEVICE = SSM_UNSCOPED | {"ssm:SendCommand"}
IDENTITY = {
    "cognito-idp:ListUsers",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminResetUserPassword",
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:AdminEnableUser",
}

EXPECTED = {
    "Analyze": LOGS | XRAY | MEMORY | PUBLISH | MODEL,
    "FindResolution": LOGS | XRAY | MEMORY | PUBLISH | MODEL,
    "RevisePlan": LOGS | XRAY | MEMORY | PUBLISH | MODEL,
    # Reads the round's checkpoints and writes the policy's own approval; sends no mail, answers no task.
    "ApprovalTimer": LOGS | XRAY | MEMORY | PUBLISH,
    "RequestApproval": LOGS | XRAY | MEMORY | PUBLISH | {"ses:SendEmail", "secretsmanager:GetSecretValue"},
    # Runs device commands on tagged instances; identity actions only where a user pool is configured (below).
    "Execute": LOGS | XRAY | MEMORY | PUBLISH | DEVICE | {"ses:SendEmail"},
    # Asks the customer "Is your issue resolved?" with a signed link; records the answer (no link, no task).
    "AwaitConfirmation": LOGS | XRAY | MEMORY | PUBLISH | {"ses:SendEmail", "secretsmanager:GetSecretValue"},
    "RecordConfirmation": LOGS | XRAY | MEMORY | PUBLISH | {"ses:SendEmail"},
    # Emails a customer or engineer step with a signed report link; the report itself goes through the API.
    "AwaitStepReport": LOGS | XRAY | MEMORY | PUBLISH | {"ses:SendEmail", "secretsmanager:GetSecretValue"},
    "CloseTicket": LOGS | XRAY | MEMORY | PUBLISH | {"ses:SendEmail"},
    "Api": LOGS
    | XRAY
    | MODEL
    | {
        "bedrock-agentcore:CreateEvent",
        "bedrock-agentcore:ListEvents",
        "secretsmanager:GetSecretValue",
        "states:StartExecution",
        "states:DescribeExecution",
        "states:SendTaskSuccess",
    },
    "ApprovalMonitor": LOGS | XRAY | {"states:ListExecutions"},
    # Reads the webhook secret, dead-letters what a receiver refused for good, and spaces its retries.
    "WebhookSender": LOGS | XRAY | CONSUME | {"secretsmanager:GetSecretValue", "sqs:SendMessage"},
    "RepublishEvents": LOGS | XRAY | CONSUME | {"events:PutEvents"},
}
STEPS = (
    "Analyze",
    "FindResolution",
    "RevisePlan",
    "ApprovalTimer",
    "RequestApproval",
    "Execute",
    "AwaitConfirmation",
    "RecordConfirmation",
    "AwaitStepReport",
    "CloseTicket",
)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def permissions(template: dict[str, Any], role_prefix: str) -> dict[str, list[Any]]:
    """Action -> resources, over every policy attached to the function's role."""
    roles = [k for k in resources_of_type(template, "AWS::IAM::Role") if k.startswith(f"{role_prefix}Role")]
    assert len(roles) == 1, roles
    granted: dict[str, list[Any]] = {}
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        if {"Ref": roles[0]} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in _listed(statement["Action"]):
                granted.setdefault(action, []).extend(_listed(statement["Resource"]))
    return granted


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_each_role_allows_only_what_its_code_calls(template, function):
    assert set(permissions(template, function)) == EXPECTED[function]


def test_every_function_of_the_stack_has_its_permissions_pinned_here(template):
    functions = set(resources_of_type(template, "AWS::Lambda::Function"))
    pinned = {name for name in EXPECTED if any(f.startswith(f"{name}Function") for f in functions)}
    assert len(functions) == len(EXPECTED) == len(pinned), sorted(functions)


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_no_wildcard_resource_where_a_resource_can_be_named(template, function):
    for action, resources in permissions(template, function).items():
        if "*" in resources:
            assert action in XRAY | SSM_UNSCOPED, f"{function} has {action} on '*'"


def test_mail_to_sandbox_recipients_is_allowed_only_from_the_sender(template):
    for function in (
        "RequestApproval",
        "Execute",
        "AwaitConfirmation",
        "RecordConfirmation",
        "AwaitStepReport",
        "CloseTicket",
    ):
        role = [k for k in resources_of_type(template, "AWS::IAM::Role") if k.startswith(f"{function}Role")][0]
        conditioned = [
            statement
            for policy in resources_of_type(template, "AWS::IAM::Policy").values()
            if {"Ref": role} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if "identity/*" in json.dumps(statement["Resource"])
        ]
        (statement,) = conditioned
        assert statement["Action"] == "ses:SendEmail"
        assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": "supportflow@example.com"}}


def test_function_roles_carry_no_managed_policies(template):
    for logical_id, role in resources_of_type(template, "AWS::IAM::Role").items():
        if logical_id.split("Role")[0] in EXPECTED:
            assert "ManagedPolicyArns" not in role["Properties"], logical_id


def test_each_function_writes_only_to_its_own_log_group(template):
    for function in EXPECTED:
        (log_group,) = permissions(template, function)["logs:PutLogEvents"]
        assert log_group["Fn::GetAtt"][0].startswith(f"{function}Logs")


def test_memory_and_email_grants_name_the_stack_resources(template):
    (memory,) = resources_of_type(template, "AWS::BedrockAgentCore::Memory")
    (identity,) = resources_of_type(template, "AWS::SES::EmailIdentity")
    for function in ("Analyze", "RequestApproval", "Execute", "CloseTicket"):
        granted = permissions(template, function)
        assert granted["bedrock-agentcore:CreateEvent"] == [{"Fn::GetAtt": [memory, "MemoryArn"]}]
    for function in (
        "RequestApproval",
        "Execute",
        "AwaitConfirmation",
        "RecordConfirmation",
        "AwaitStepReport",
        "CloseTicket",
    ):
        sender, recipients = permissions(template, function)["ses:SendEmail"]
        assert {"Ref": identity} in sender["Fn::Join"][1]
        assert json.dumps(recipients).endswith(':identity/*"]]}')  # conditioned on the sender, tested below


def test_model_invocation_is_limited_to_the_configured_profile_and_its_model(template):
    (profile, model) = permissions(template, "Analyze")["bedrock:InvokeModelWithResponseStream"]
    assert json.dumps(profile).endswith(':inference-profile/us.anthropic.claude-sonnet-4-6"]]}')
    assert json.dumps(model).endswith(':bedrock:*::foundation-model/anthropic.claude-sonnet-4-6"]]}')


def test_without_a_model_no_function_may_invoke_one(custom_template):
    assert CUSTOM_CONTEXT["model_id"] == "none"
    for function in EXPECTED:
        assert not MODEL & set(permissions(custom_template, function)), function


def test_the_api_function_cannot_read_execution_history(template):
    """History events carry task tokens; the API needs DescribeExecution only."""
    assert not {"states:GetExecutionHistory", "states:ListExecutions"} & set(permissions(template, "Api"))


def test_only_the_api_function_may_answer_the_waiting_task(template):
    answering = [f for f in EXPECTED if "states:SendTaskSuccess" in permissions(template, f)]
    assert answering == ["Api"]


def _only(template: dict[str, Any], type_name: str, prefix: str) -> str:
    (found,) = [k for k in resources_of_type(template, type_name) if k.startswith(prefix)]
    return found


def test_events_go_only_to_the_stacks_bus_and_refused_ones_only_to_its_retry_queue(template):
    bus = _only(template, "AWS::Events::EventBus", "LifecycleEventsBus")
    retry_queue = _only(template, "AWS::SQS::Queue", "LifecycleEventsEventRetryQueue")
    for function in (*STEPS, "RepublishEvents"):
        assert permissions(template, function)["events:PutEvents"] == [{"Fn::GetAtt": [bus, "Arn"]}], function
    for function in STEPS:
        assert permissions(template, function)["sqs:SendMessage"] == [{"Fn::GetAtt": [retry_queue, "Arn"]}]


def test_the_webhook_sender_reads_only_its_secret_and_sends_only_to_its_dead_letter_queue(template):
    granted = permissions(template, "WebhookSender")
    secret = _only(template, "AWS::SecretsManager::Secret", "LifecycleEventsWebhookSigningSecret")
    dead_letters = _only(template, "AWS::SQS::Queue", "LifecycleEventsWebhookDeadLetters")
    deliveries = _only(template, "AWS::SQS::Queue", "LifecycleEventsWebhookDeliveries")
    assert granted["secretsmanager:GetSecretValue"] == [{"Ref": secret}]
    assert granted["sqs:SendMessage"] == [{"Fn::GetAtt": [dead_letters, "Arn"]}]
    for action in CONSUME - {"sqs:GetQueueAttributes", "sqs:GetQueueUrl"}:
        assert granted[action] == [{"Fn::GetAtt": [deliveries, "Arn"]}], action


def test_no_other_function_may_read_the_webhook_secret_or_publish_events(template):
    secret = _only(template, "AWS::SecretsManager::Secret", "LifecycleEventsWebhookSigningSecret")
    for function in EXPECTED:
        granted = permissions(template, function)
        if function != "WebhookSender":
            assert {"Ref": secret} not in granted.get("secretsmanager:GetSecretValue", []), function
        if function not in (*STEPS, "RepublishEvents"):
            assert "events:PutEvents" not in granted, function


def test_without_a_user_pool_no_function_may_touch_cognito(template):
    for function in EXPECTED:
        assert not any(a.startswith("cognito-idp:") for a in permissions(template, function)), function


def test_identity_actions_are_allowed_on_the_configured_user_pool_only(custom_template):
    granted = permissions(custom_template, "Execute")
    assert set(granted) == EXPECTED["Execute"] | IDENTITY
    for action in IDENTITY:
        (pool,) = granted[action]
        assert json.dumps(pool).endswith(':userpool/us-east-1_Example1"]]}')
    others = [f for f in EXPECTED if f != "Execute" and IDENTITY & set(permissions(custom_template, f))]
    assert others == []


def test_commands_are_sent_only_with_the_stacks_documents_to_instances_tagged_with_a_customer(template):
    documents = set(resources_of_type(template, "AWS::SSM::Document"))
    role = [k for k in resources_of_type(template, "AWS::IAM::Role") if k.startswith("ExecuteRole")][0]
    statements = [
        statement
        for policy in resources_of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "ssm:SendCommand"
    ]
    on_documents, on_instances = sorted(statements, key=lambda s: "Condition" in s)
    named = {ref for r in on_documents["Resource"] for ref in documents if json.dumps({"Ref": ref}) in json.dumps(r)}
    assert len(on_documents["Resource"]) == len(documents)
    assert all(':document/"' in json.dumps(r) for r in on_documents["Resource"])
    assert named == documents and "Condition" not in on_documents
    assert [json.dumps(r).rsplit(":", 1)[-1] for r in on_instances["Resource"]] == [
        'instance/*"]]}',
        'managed-instance/*"]]}',
    ]
    assert on_instances["Condition"] == {"StringLike": {"ssm:resourceTag/supportflow:customer": "*"}}
    others = [f for f in EXPECTED if f != "Execute" and DEVICE & set(permissions(template, f))]
    assert others == []
