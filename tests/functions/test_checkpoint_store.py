"""Checkpoints round-trip through AgentCore Memory: moto for behaviour, Stubber for AWS's order and pages."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from botocore.stub import ANY, Stubber

from ticketing.adapters.checkpoint_store import CheckpointStore
from ticketing.domain.checkpoint import Checkpoint, CheckpointData
from ticketing.domain.models import TicketState

from ..conftest import make_ticket

TICKET = make_ticket()
MEMORY_ID = "supportflow_tickets-abcdefghij"


def test_round_trip_on_moto_returns_the_newest_although_moto_lists_oldest_first(svc, moto_stack):
    store = svc.checkpoints
    for state in (TicketState.ANALYZING, TicketState.FINDING_SOLUTION, TicketState.AWAITING_APPROVAL):
        store.advance(TICKET, state, f"exec/{state.value}")
    latest = store.latest(TICKET.ticket_id, TICKET.customer_id)
    assert (latest.sequence, latest.state) == (3, TicketState.AWAITING_APPROVAL)
    assert [c.state for c in store.history(TICKET.ticket_id, TICKET.customer_id)] == [
        TicketState.ANALYZING,
        TicketState.FINDING_SOLUTION,
        TicketState.AWAITING_APPROVAL,
    ]


def test_the_event_is_a_json_blob_with_metadata_tags(svc, moto_stack):
    svc.checkpoints.advance(TICKET, TicketState.ANALYZING, "exec/ANALYZING")
    client = boto3.client("bedrock-agentcore", region_name="us-east-1")
    (event,) = client.list_events(
        memoryId=moto_stack.memory_id, actorId=TICKET.customer_id, sessionId=TICKET.ticket_id, includePayloads=True
    )["events"]
    blob = event["payload"][0]["blob"]
    assert isinstance(blob, dict) and blob["state"] == "ANALYZING" and blob["ticket_id"] == TICKET.ticket_id
    assert blob["created_at"].endswith("Z")
    assert event["metadata"]["kind"] == {"stringValue": "checkpoint"}
    assert event["metadata"]["state"] == {"stringValue": "ANALYZING"}
    assert Checkpoint.model_validate(blob).verify()


def test_a_retried_step_writes_nothing_new(svc):
    first = svc.checkpoints.advance(TICKET, TicketState.ANALYZING, "exec/ANALYZING")
    again = svc.checkpoints.advance(TICKET, TicketState.ANALYZING, "exec/ANALYZING")
    assert again == first
    assert len(svc.checkpoints.history(TICKET.ticket_id, TICKET.customer_id)) == 1


def test_data_is_carried_forward_and_changes_replace_fields(svc):
    from ticketing.domain.triage import analyze_ticket

    analysis = analyze_ticket(TICKET)
    svc.checkpoints.advance(TICKET, TicketState.ANALYZING, "e/1")
    svc.checkpoints.advance(TICKET, TicketState.FINDING_SOLUTION, "e/2", analysis=analysis)
    third = svc.checkpoints.advance(TICKET, TicketState.AWAITING_APPROVAL, "e/3")
    assert third.data.analysis == analysis and third.data.ticket == TICKET


def test_conversation_turns_in_the_same_session_are_not_checkpoints(svc, moto_stack):
    client = boto3.client("bedrock-agentcore", region_name="us-east-1")
    client.create_event(
        memoryId=moto_stack.memory_id,
        actorId=TICKET.customer_id,
        sessionId=TICKET.ticket_id,
        eventTimestamp=datetime.now(UTC),
        payload=[{"conversational": {"content": {"text": "hello"}, "role": "USER"}}],
    )
    svc.checkpoints.advance(TICKET, TicketState.ANALYZING, "e/1")
    assert len(svc.checkpoints.history(TICKET.ticket_id, TICKET.customer_id)) == 1


def _event(checkpoint: Checkpoint) -> dict:
    return {
        "memoryId": MEMORY_ID,
        "actorId": TICKET.customer_id,
        "sessionId": TICKET.ticket_id,
        "eventId": f"0000000000000#{checkpoint.sequence:016x}",
        "eventTimestamp": checkpoint.created_at.replace(microsecond=0),
        "payload": [{"blob": checkpoint.model_dump(mode="json")}],
        "metadata": {"kind": {"stringValue": "checkpoint"}, "state": {"stringValue": checkpoint.state.value}},
    }


def _checkpoint(sequence: int, state: TicketState) -> Checkpoint:
    return Checkpoint.seal(
        ticket_id=TICKET.ticket_id,
        state=state,
        sequence=sequence,
        created_at=datetime(2026, 11, 25, 9, 0, 0, 1000 * sequence, tzinfo=UTC),
        step_key=f"e/{sequence}",
        data=CheckpointData(ticket=TICKET),
    )


def test_aws_order_newest_first_across_pages_with_same_second_ties():
    """As AWS answers: newest first, several pages, every event in the same second."""
    client = boto3.client("bedrock-agentcore", region_name="us-east-1")
    states = [TicketState.ANALYZING, TicketState.FINDING_SOLUTION, TicketState.AWAITING_APPROVAL, TicketState.EXECUTING]
    checkpoints = [_checkpoint(i + 1, s) for i, s in enumerate(states)]
    newest_first = [_event(c) for c in reversed(checkpoints)]
    # same-second ties can come back in either order within a page
    page_one, page_two = [newest_first[1], newest_first[0]], newest_first[2:]
    expected = {
        "memoryId": MEMORY_ID,
        "actorId": TICKET.customer_id,
        "sessionId": TICKET.ticket_id,
        "includePayloads": True,
        "maxResults": 100,
        "filter": ANY,
    }
    with Stubber(client) as stub:
        stub.add_response("list_events", {"events": page_one, "nextToken": "page-2"}, expected)
        stub.add_response("list_events", {"events": page_two}, {**expected, "nextToken": "page-2"})
        latest = CheckpointStore(client, MEMORY_ID).latest(TICKET.ticket_id, TICKET.customer_id)
        stub.assert_no_pending_responses()
    assert (latest.sequence, latest.state) == (4, TicketState.EXECUTING)


def test_a_tampered_checkpoint_is_ignored():
    client = boto3.client("bedrock-agentcore", region_name="us-east-1")
    good = _checkpoint(1, TicketState.ANALYZING)
    forged = _event(_checkpoint(2, TicketState.FINDING_SOLUTION))
    forged["payload"][0]["blob"]["state"] = "COMPLETED"
    with Stubber(client) as stub:
        stub.add_response("list_events", {"events": [forged, _event(good)]})
        latest = CheckpointStore(client, MEMORY_ID).latest(TICKET.ticket_id, TICKET.customer_id)
    assert latest.sequence == 1


def test_the_write_request_matches_the_service_model():
    client = boto3.client("bedrock-agentcore", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("list_events", {"events": []})
        stub.add_response(
            "create_event",
            {
                "event": {
                    "memoryId": MEMORY_ID,
                    "actorId": "a",
                    "sessionId": "s",
                    "eventId": "e",
                    "eventTimestamp": datetime.now(UTC),
                    "payload": [],
                }
            },
            {
                "memoryId": MEMORY_ID,
                "actorId": TICKET.customer_id,
                "sessionId": TICKET.ticket_id,
                "eventTimestamp": ANY,
                "payload": ANY,
                "clientToken": ANY,
                "metadata": ANY,
            },
        )
        CheckpointStore(client, MEMORY_ID).advance(TICKET, TicketState.ANALYZING, "e/1")
        stub.assert_no_pending_responses()
