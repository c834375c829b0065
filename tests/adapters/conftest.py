"""A fresh moto account per test with the stack's resources, for the adapters and the handlers on AWS's APIs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ticketing.adapters.aws_clients import reset_clients
from ticketing.adapters.signing_key import forget_keys
from ticketing.bootstrap import AwsServices
from ticketing.contract import Env
from ticketing.domain.policy import ApprovalPolicy
from ticketing.settings import Settings

REGION = "us-east-1"
SENDER = "supportflow@example.com"
APPROVER = "approver@example.com"
OPERATOR = "ops@example.com"
BASE_URL = "https://api.example.com/prod"

# One session for the clients the tests make: a session loads each service model once (~0.1 s a client).
_SESSION = boto3.session.Session(region_name=REGION)


def client(service: str) -> Any:
    return _SESSION.client(service, region_name=REGION)


@dataclass
class MotoStack:
    memory_id: str
    secret_arn: str
    state_machine_arn: str
    bus_name: str
    retry_queue_url: str
    # Every event put on the bus (a catch-all rule's queue, as a consumer would read them).
    observed_queue_url: str

    def published(self) -> list[dict[str, Any]]:
        """The events the bus accepted so far, as EventBridge delivers them to a target."""
        sqs = client("sqs")
        found = []
        while True:
            messages = sqs.receive_message(QueueUrl=self.observed_queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.observed_queue_url, ReceiptHandle=message["ReceiptHandle"])

    def sent_emails(self) -> list[Any]:
        """What SES sent (moto keeps SES v2 mail in the v1 backend)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)

    def client(self, service: str) -> Any:
        return client(service)


@pytest.fixture
def moto_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoStack]:
    """The resources the stack creates, in moto, and the environment the stack gives every function."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        reset_clients()
        forget_keys()
        memory = client("bedrock-agentcore-control").create_memory(name="supportflow_tickets", eventExpiryDuration=90)[
            "memory"
        ]
        secret_arn = client("secretsmanager").create_secret(Name="signing", SecretString="s" * 64)["ARN"]
        client("ses").verify_email_identity(EmailAddress=SENDER)
        # Executions of this machine stay RUNNING until stopped (moto runs no ASL unless asked to).
        definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}
        state_machine_arn = client("stepfunctions").create_state_machine(
            name="tickets", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
        )["stateMachineArn"]
        bus_name = "supportflow-events"
        client("events").create_event_bus(Name=bus_name)
        sqs = client("sqs")
        retry_queue_url = sqs.create_queue(QueueName="event-retry")["QueueUrl"]
        observed_url = sqs.create_queue(QueueName="observed-events")["QueueUrl"]
        client("events").put_rule(
            Name="everything", EventBusName=bus_name, EventPattern=json.dumps({"source": ["supportflow"]})
        )
        client("events").put_targets(
            Rule="everything",
            EventBusName=bus_name,
            Targets=[{"Id": "observed", "Arn": "arn:aws:sqs:us-east-1:123456789012:observed-events"}],
        )
        env = {
            "AWS_REGION": REGION,
            Env.EVENT_BUS_NAME: bus_name,
            Env.EVENT_RETRY_QUEUE_URL: retry_queue_url,
            Env.MEMORY_ID: memory["id"],
            Env.SIGNING_SECRET_ARN: secret_arn,
            Env.STATE_MACHINE_ARN: state_machine_arn,
            Env.SENDER_EMAIL: SENDER,
            Env.APPROVER_EMAIL: APPROVER,
            Env.OPERATOR_EMAIL: OPERATOR,
            Env.PUBLIC_BASE_URL: BASE_URL,
            Env.APPROVAL_LINK_TTL_SECONDS: "3600",
            Env.APPROVAL_TIMEOUT_SECONDS: "7200",
            Env.MODEL_ID: "none",
            Env.MAX_APPROVAL_ROUNDS: "3",
            Env.APPROVAL_POLICY: ApprovalPolicy.single_approver(APPROVER).model_dump_json(),
            Env.CONFIRMATION_TIMEOUT_SECONDS: "3600",
            Env.MAX_REOPENINGS: "2",
            Env.SPECIALIST_EMAIL: OPERATOR,
        }
        for key, value in env.items():
            monkeypatch.setenv(str(key), value)
        yield MotoStack(memory["id"], secret_arn, state_machine_arn, bus_name, retry_queue_url, observed_url)
        reset_clients()
        forget_keys()


@pytest.fixture
def aws(moto_stack: MotoStack) -> AwsServices:
    """The real adapters, as `bootstrap` builds them, on moto."""
    return AwsServices(Settings.from_env())
