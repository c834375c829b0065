"""A ticket's conversation: turns in AgentCore Memory, the message routes, recovery answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.conftest import make_ticket
from tests.functions.test_api_handler import call
from ticketing.adapters.conversation_store import ConversationStore
from ticketing.domain.models import TicketState
from ticketing.wiring import services

RECOVERY_QUESTION = "What was the issue we were working on?"


def submit(text: str = "My wifi keeps dropping every few minutes.") -> str:
    status, body = call(
        "POST", "/tickets", {"customer_id": "cust-42", "customer_email": "jo@example.com", "description": text}
    )
    assert status == 202
    return str(body["ticket_id"])


def memory_events(moto_stack, ticket_id: str) -> list[dict]:
    client = boto3.client("bedrock-agentcore", region_name="us-east-1")
    return client.list_events(
        memoryId=moto_stack.memory_id, actorId="cust-42", sessionId=ticket_id, includePayloads=True
    )["events"]


def test_a_message_and_its_reply_are_conversational_events_in_the_tickets_session(moto_stack):
    ticket_id = submit()
    status, body = call("POST", f"/tickets/{ticket_id}/messages", {"text": RECOVERY_QUESTION})
    assert status == 200
    assert body["source"] == "template" and "no model" in body["fallback_reason"]
    payloads = [e["payload"][0]["conversational"] for e in memory_events(moto_stack, ticket_id)]
    assert payloads == [
        {"content": {"text": RECOVERY_QUESTION}, "role": "USER"},
        {"content": {"text": body["reply"]["text"]}, "role": "ASSISTANT"},
    ]


def test_the_recovery_question_is_answered_with_the_issue_the_state_and_what_is_next(moto_stack):
    ticket_id = submit()
    _, body = call("POST", f"/tickets/{ticket_id}/messages", {"text": RECOVERY_QUESTION})
    reply = body["reply"]["text"]
    assert body["state"] == "RECEIVED"
    assert "My wifi keeps dropping every few minutes." in reply
    assert "(RECEIVED)" in reply
    assert "What happens next: The workflow analyses the issue" in reply


def test_the_conversation_lists_every_turn_in_order(moto_stack):
    ticket_id = submit()
    for text in ("Hello?", RECOVERY_QUESTION, "Thanks."):
        assert call("POST", f"/tickets/{ticket_id}/messages", {"text": text})[0] == 200
    status, body = call("GET", f"/tickets/{ticket_id}/conversation")
    assert status == 200
    turns = body["turns"]
    assert [t["role"] for t in turns] == ["USER", "ASSISTANT"] * 3
    assert [t["text"] for t in turns[::2]] == ["Hello?", RECOVERY_QUESTION, "Thanks."]
    assert [t["at"] for t in turns] == sorted(t["at"] for t in turns)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": ""}, "invalid_message"),
        ({"text": "x" * 2001}, "invalid_message"),
        ({"words": "hi"}, "invalid_message"),
    ],
)
def test_an_invalid_message_is_a_400_and_stores_nothing(moto_stack, body, code):
    ticket_id = submit()
    status, answer = call("POST", f"/tickets/{ticket_id}/messages", body)
    assert (status, answer["error"]) == (400, code)
    assert memory_events(moto_stack, ticket_id) == []


def test_messages_to_an_unknown_ticket_are_404(moto_stack):
    for method, path, body in [
        ("POST", "/tickets/tkt-20261125-000000000000/messages", {"text": "hi"}),
        ("GET", "/tickets/tkt-20261125-000000000000/conversation", None),
        ("POST", "/tickets/not-a-ticket/messages", {"text": "hi"}),
    ]:
        status, answer = call(method, path, body)
        assert (status, answer["error"]) == (404, "ticket_not_found")


def test_turns_are_read_apart_from_checkpoints_and_ordered_by_their_time(moto_stack):
    svc = services()
    ticket = make_ticket(customer_id="cust-42")
    svc.checkpoints.advance(ticket, TicketState.ANALYZING, "x/ANALYZING")
    store = ConversationStore(svc.conversation._client, moto_stack.memory_id)
    first = store.append(ticket, "USER", "first")
    store.append(ticket, "ASSISTANT", "second")
    # AWS lists newest first: the store must not rely on the listing order.
    client = boto3.client("bedrock-agentcore", region_name="us-east-1")
    earlier = (first.at - timedelta(seconds=1)).isoformat(timespec="microseconds")
    client.create_event(
        memoryId=moto_stack.memory_id,
        actorId="cust-42",
        sessionId=ticket.ticket_id,
        eventTimestamp=datetime.now(UTC),
        payload=[{"conversational": {"content": {"text": "zeroth"}, "role": "USER"}}],
        metadata={"kind": {"stringValue": "turn"}, "at": {"stringValue": earlier}},
    )
    events = client.list_events(
        memoryId=moto_stack.memory_id, actorId="cust-42", sessionId=ticket.ticket_id, includePayloads=True
    )
    assert len(events["events"]) == 4  # one checkpoint, three turns
    assert [t.text for t in store.turns(ticket.ticket_id, "cust-42")] == ["zeroth", "first", "second"]
    assert len(svc.checkpoints.history(ticket.ticket_id, "cust-42")) == 1


def test_after_the_workflow_ended_a_fresh_reply_still_knows_the_issue_and_the_outcome(moto_stack):
    from ticketing.domain.catalog import load_catalog
    from ticketing.domain.triage import analyze_ticket

    ticket_id = submit("I cannot print anything; the printer shows a paper jam light.")
    svc = services()
    ticket, _ = svc.workflow.describe(ticket_id)
    analysis = analyze_ticket(ticket)
    plan = load_catalog().plan_for(analysis)
    svc.checkpoints.advance(ticket, TicketState.ANALYZING, "e/ANALYZING")
    svc.checkpoints.advance(ticket, TicketState.FINDING_SOLUTION, "e/FINDING", analysis=analysis)
    svc.checkpoints.advance(ticket, TicketState.REJECTED, "e/REJECTED", plan=plan, plan_hash=plan.plan_hash)
    boto3.client("stepfunctions", region_name="us-east-1").stop_execution(
        executionArn=svc.workflow.execution_arn(ticket_id)
    )
    _, body = call("POST", f"/tickets/{ticket_id}/messages", {"text": RECOVERY_QUESTION})
    reply = body["reply"]["text"]
    assert body["state"] == "REJECTED"
    assert "I cannot print anything; the printer shows a paper jam light." in reply
    assert "rejected" in reply and "What happens next: The workflow has ended." in reply
