"""AgentCore Memory failures that a retry may fix become `StoreUnavailable` (a 503 from the API);
the others stay as AWS raised them. botocore's Stubber checks each request against the model."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.conftest import make_ticket
from ticketing.adapters.checkpoint_store import AgentCoreCheckpointLog
from ticketing.adapters.conversation_store import ConversationStore
from ticketing.domain.errors import StoreUnavailable

TICKET = make_ticket()
MEMORY_ID = "supportflow_tickets-abcdefghij"


@pytest.fixture
def memory() -> boto3.client:
    return boto3.session.Session().client(
        "bedrock-agentcore", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


@pytest.mark.parametrize(
    ("code", "status"), [("ThrottlingException", 429), ("ServiceException", 500), ("InternalServerException", 500)]
)
def test_a_passing_failure_reading_checkpoints_is_store_unavailable(memory, code, status):
    with Stubber(memory) as stub:
        stub.add_client_error("list_events", service_error_code=code, http_status_code=status)
        with pytest.raises(StoreUnavailable, match=code):
            AgentCoreCheckpointLog(memory, MEMORY_ID).history(TICKET.ticket_id, TICKET.customer_id)


def test_a_refusal_a_retry_cannot_fix_is_not_dressed_up_as_unavailable(memory):
    with Stubber(memory) as stub:
        stub.add_client_error("list_events", service_error_code="AccessDeniedException", http_status_code=403)
        with pytest.raises(ClientError):
            AgentCoreCheckpointLog(memory, MEMORY_ID).history(TICKET.ticket_id, TICKET.customer_id)


def test_a_throttled_conversation_read_is_store_unavailable(memory):
    with Stubber(memory) as stub:
        stub.add_client_error("list_events", service_error_code="ThrottlingException", http_status_code=429)
        with pytest.raises(StoreUnavailable):
            ConversationStore(memory, MEMORY_ID).turns(TICKET.ticket_id, TICKET.customer_id)
