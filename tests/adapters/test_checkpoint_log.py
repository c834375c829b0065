"""`AgentCoreCheckpointLog`: checkpoints as AgentCore Memory events.

moto for behaviour; botocore's Stubber (which checks each request against the service
model) for what moto cannot answer: AWS's newest-first order across pages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from tests.conftest import make_ticket
from ticketing.adapters.checkpoint_store import AgentCoreCheckpointLog
from ticketing.bootstrap import AwsServices
from ticketing.domain.checkpoint import Checkpoint, CheckpointData
from ticketing.domain.models import TicketState
from ticketing.logic.checkpoints import record_checkpoint

from .conftest import MotoStack, client

TICKET = make_ticket()
MEMORY_ID = "supportflow_tickets-abcdefghij"
STATES = [TicketState.ANALYZING, TicketState.FINDING_SOLUTION, TicketState.AWAITING_APPROVAL, TicketState.EXECUTING]


def sealed(sequence: int, state: TicketState) -> Checkpoint:
    return Checkpoint.seal(
        ticket_id=TICKET.ticket_id,
        state=state,
        sequence=sequence,
        created_at=datetime(2026, 11, 25, 9, 0, 0, 1000 * sequence, tzinfo=UTC),
        step_key=f"exec/{state.value}",
        data=CheckpointData(ticket=TICKET),
    )


def history(aws: AwsServices) -> list[Checkpoint]:
    return aws.checkpoints.history(TICKET.ticket_id, TICKET.customer_id)


def put_event(moto_stack: MotoStack, payload: list[dict[str, Any]], metadata: dict[str, Any] | None = None) -> None:
    """An event written by something other than the adapter (a turn, a corrupted or forged blob)."""
    moto_stack.client("bedrock-agentcore").create_event(
        memoryId=moto_stack.memory_id,
        actorId=TICKET.customer_id,
        sessionId=TICKET.ticket_id,
        eventTimestamp=datetime.now(UTC),
        payload=payload,
        **({"metadata": metadata} if metadata else {}),
    )


CHECKPOINT_TAG = {"kind": {"stringValue": "checkpoint"}}


# On moto


def test_history_is_every_appended_checkpoint_oldest_first(aws):
    for sequence, state in reversed(list(enumerate(STATES[:3], start=1))):  # appended out of order
        aws.checkpoints.append(sealed(sequence, state), TICKET.customer_id)
    assert [(c.sequence, c.state) for c in history(aws)] == list(enumerate(STATES[:3], start=1))


def test_a_checkpoint_is_one_json_blob_event_tagged_with_its_kind_state_and_sequence(aws, moto_stack):
    aws.checkpoints.append(sealed(1, TicketState.ANALYZING), TICKET.customer_id)
    (event,) = moto_stack.client("bedrock-agentcore").list_events(
        memoryId=moto_stack.memory_id, actorId=TICKET.customer_id, sessionId=TICKET.ticket_id, includePayloads=True
    )["events"]
    blob = event["payload"][0]["blob"]
    assert blob["state"] == "ANALYZING" and blob["ticket_id"] == TICKET.ticket_id
    assert blob["created_at"].endswith("Z")
    assert Checkpoint.model_validate(blob).verify()
    assert event["metadata"] == {
        "kind": {"stringValue": "checkpoint"},
        "state": {"stringValue": "ANALYZING"},
        "sequence": {"stringValue": "1"},
        "schema": {"stringValue": str(blob["schema_version"])},
    }


def test_a_checkpoint_stored_twice_is_read_once(aws):
    checkpoint = sealed(1, TicketState.ANALYZING)
    aws.checkpoints.append(checkpoint, TICKET.customer_id)
    aws.checkpoints.append(checkpoint, TICKET.customer_id)  # moto ignores the client token; the read dedupes
    assert history(aws) == [checkpoint]


def test_a_record_checkpoint_retried_with_the_same_step_key_writes_one_event(aws, moto_stack):
    first = record_checkpoint(aws.checkpoints, TICKET, TicketState.ANALYZING, "exec/ANALYZING")
    again = record_checkpoint(aws.checkpoints, TICKET, TicketState.ANALYZING, "exec/ANALYZING")
    assert again == first
    events = moto_stack.client("bedrock-agentcore").list_events(
        memoryId=moto_stack.memory_id, actorId=TICKET.customer_id, sessionId=TICKET.ticket_id
    )["events"]
    assert len(events) == 1


@pytest.mark.parametrize(
    "blob",
    [
        {"ticket_id": TICKET.ticket_id, "state": "ANALYZING"},  # fields missing
        {**sealed(2, TicketState.FINDING_SOLUTION).model_dump(mode="json"), "sequence": "two"},
    ],
    ids=["incomplete", "wrong-type"],
)
def test_a_malformed_blob_is_skipped(aws, moto_stack, blob):
    aws.checkpoints.append(sealed(1, TicketState.ANALYZING), TICKET.customer_id)
    put_event(moto_stack, [{"blob": blob}], CHECKPOINT_TAG)
    assert [c.sequence for c in history(aws)] == [1]


def test_a_blob_altered_after_sealing_is_skipped(aws, moto_stack):
    aws.checkpoints.append(sealed(1, TicketState.ANALYZING), TICKET.customer_id)
    forged = sealed(2, TicketState.FINDING_SOLUTION).model_dump(mode="json")
    forged["state"] = "COMPLETED"  # the content hash no longer matches
    put_event(moto_stack, [{"blob": forged}], CHECKPOINT_TAG)
    assert [(c.sequence, c.state) for c in history(aws)] == [(1, TicketState.ANALYZING)]


def test_conversation_turns_in_the_same_session_are_not_checkpoints(aws, moto_stack):
    put_event(moto_stack, [{"conversational": {"content": {"text": "hello"}, "role": "USER"}}])
    # Even a turn tagged like a checkpoint (moto ignores the filter; AWS would not) carries no blob.
    put_event(moto_stack, [{"conversational": {"content": {"text": "hi"}, "role": "USER"}}], CHECKPOINT_TAG)
    aws.checkpoints.append(sealed(1, TicketState.ANALYZING), TICKET.customer_id)
    assert [c.sequence for c in history(aws)] == [1]


def test_a_valid_blob_in_an_event_not_tagged_as_a_checkpoint_is_not_read(aws, moto_stack):
    put_event(moto_stack, [{"blob": sealed(1, TicketState.ANALYZING).model_dump(mode="json")}])
    assert history(aws) == []


def test_another_customer_reads_none_of_the_tickets_checkpoints(aws):
    aws.checkpoints.append(sealed(1, TicketState.ANALYZING), TICKET.customer_id)
    assert aws.checkpoints.history(TICKET.ticket_id, "cust-other") == []


# On the Stubber: what AWS answers and moto cannot


def aws_event(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "memoryId": MEMORY_ID,
        "actorId": TICKET.customer_id,
        "sessionId": TICKET.ticket_id,
        "eventId": f"0000000000000#{checkpoint.sequence:016x}",
        "eventTimestamp": checkpoint.created_at.replace(microsecond=0),
        "payload": [{"blob": checkpoint.model_dump(mode="json")}],
        "metadata": {"kind": {"stringValue": "checkpoint"}, "state": {"stringValue": checkpoint.state.value}},
    }


def test_history_reads_every_page_of_awss_newest_first_answer_with_same_second_ties():
    memory = client("bedrock-agentcore")
    checkpoints = [sealed(sequence, state) for sequence, state in enumerate(STATES, start=1)]
    newest_first = [aws_event(c) for c in reversed(checkpoints)]
    page_one, page_two = [newest_first[1], newest_first[0]], newest_first[2:]  # ties come in either order
    asked = {
        "memoryId": MEMORY_ID,
        "actorId": TICKET.customer_id,
        "sessionId": TICKET.ticket_id,
        "includePayloads": True,
        "maxResults": 100,
        "filter": {
            "eventMetadata": [
                {
                    "left": {"metadataKey": "kind"},
                    "operator": "EQUALS_TO",
                    "right": {"metadataValue": {"stringValue": "checkpoint"}},
                }
            ]
        },
    }
    with Stubber(memory) as stub:
        stub.add_response("list_events", {"events": page_one, "nextToken": "page-2"}, asked)
        stub.add_response("list_events", {"events": page_two}, {**asked, "nextToken": "page-2"})
        found = AgentCoreCheckpointLog(memory, MEMORY_ID).history(TICKET.ticket_id, TICKET.customer_id)
        stub.assert_no_pending_responses()
    assert found == checkpoints


def test_append_sends_a_request_the_service_model_accepts_with_a_token_per_step():
    memory = client("bedrock-agentcore")
    checkpoint = sealed(1, TicketState.ANALYZING)
    written = {"memoryId": MEMORY_ID, "actorId": "a", "sessionId": "s", "eventId": "e", "payload": []}
    tokens: list[str] = []
    with Stubber(memory) as stub:
        for _ in range(2):
            stub.add_response(
                "create_event",
                {"event": {**written, "eventTimestamp": datetime.now(UTC)}},
                {
                    "memoryId": MEMORY_ID,
                    "actorId": TICKET.customer_id,
                    "sessionId": TICKET.ticket_id,
                    "eventTimestamp": checkpoint.created_at,
                    "payload": [{"blob": checkpoint.model_dump(mode="json")}],
                    "clientToken": ANY,
                    "metadata": ANY,
                },
            )
        memory.meta.events.register(
            "provide-client-params.bedrock-agentcore.CreateEvent",
            lambda params, **_: tokens.append(params["clientToken"]),
        )
        log = AgentCoreCheckpointLog(memory, MEMORY_ID)
        log.append(checkpoint, TICKET.customer_id)
        log.append(checkpoint, TICKET.customer_id)
        stub.assert_no_pending_responses()
    assert tokens[0] == tokens[1], "a retried write carries the same client token, so AWS stores one event"
