"""Request shapes the adapters send, checked by botocore's Stubber against the service models."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from ticketing.adapters.mailer import SesMailer
from ticketing.adapters.workflow import TicketWorkflow
from ticketing.domain.errors import TicketNotFound
from ticketing.domain.notifications import Email

from ..conftest import make_ticket

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:tickets"


def test_mail_goes_out_with_a_text_and_an_html_part():
    client = boto3.client("sesv2", region_name="us-east-1")
    email = Email(to=("a@example.com",), subject="S", text="T", html="<p>H</p>", kind="k")
    with Stubber(client) as stub:
        stub.add_response(
            "send_email",
            {"MessageId": "m-1"},
            {
                "FromEmailAddress": "from@example.com",
                "Destination": {"ToAddresses": ["a@example.com"]},
                "Content": {
                    "Simple": {
                        "Subject": {"Data": "S", "Charset": "UTF-8"},
                        "Body": {
                            "Text": {"Data": "T", "Charset": "UTF-8"},
                            "Html": {"Data": "<p>H</p>", "Charset": "UTF-8"},
                        },
                    }
                },
                "EmailTags": [{"Name": "kind", "Value": "k"}],
            },
        )
        assert SesMailer(client, "from@example.com").send(email) == "m-1"


def test_a_ticket_starts_an_execution_named_after_it():
    client = boto3.client("stepfunctions", region_name="us-east-1")
    ticket = make_ticket()
    with Stubber(client) as stub:
        stub.add_response(
            "start_execution",
            {"executionArn": f"{ARN}:x", "startDate": datetime.now(UTC)},
            {
                "stateMachineArn": ARN,
                "name": ticket.ticket_id,
                "input": json.dumps({"ticket": ticket.model_dump(mode="json")}),
            },
        )
        TicketWorkflow(client, ARN).start(ticket)


def test_the_execution_arn_is_derived_from_the_ticket_id():
    workflow = TicketWorkflow(None, ARN)
    assert workflow.execution_arn("tkt-1") == "arn:aws:states:us-east-1:123456789012:execution:tickets:tkt-1"


def test_an_unknown_execution_is_an_unknown_ticket():
    client = boto3.client("stepfunctions", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("describe_execution", service_error_code="ExecutionDoesNotExist", http_status_code=400)
        with pytest.raises(TicketNotFound):
            TicketWorkflow(client, ARN).describe("tkt-20261125-000000000000")
