"""Each function test runs against a fresh moto account with the stack's resources."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from ticketing.adapters.aws_clients import reset_clients
from ticketing.adapters.signing_key import forget_keys
from ticketing.wiring import services

REGION = "us-east-1"
SENDER = "supportflow@example.com"


@dataclass
class MotoStack:
    memory_id: str
    secret_arn: str
    state_machine_arn: str

    def sent_emails(self) -> list[dict]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


@pytest.fixture
def moto_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoStack]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        reset_clients()
        forget_keys()
        memory = boto3.client("bedrock-agentcore-control", region_name=REGION).create_memory(
            name="supportflow_tickets", eventExpiryDuration=90
        )["memory"]
        secret_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="signing", SecretString="s" * 64
        )["ARN"]
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}
        state_machine_arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name="tickets", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
        )["stateMachineArn"]
        env = {
            "AWS_REGION": REGION,
            "MEMORY_ID": memory["id"],
            "SIGNING_SECRET_ARN": secret_arn,
            "STATE_MACHINE_ARN": state_machine_arn,
            "SENDER_EMAIL": SENDER,
            "APPROVER_EMAIL": "approver@example.com",
            "OPERATOR_EMAIL": "ops@example.com",
            "PUBLIC_BASE_URL": "https://api.example.com/prod",
            "APPROVAL_LINK_TTL_SECONDS": "3600",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield MotoStack(memory["id"], secret_arn, state_machine_arn)
        reset_clients()
        forget_keys()


@pytest.fixture
def svc(moto_stack: MotoStack):
    return services()
