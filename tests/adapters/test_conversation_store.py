"""The conversation adapter on AgentCore Memory, through the bedrock-agentcore SDK.

Most tests answer as AWS does, with botocore's Stubber: ListEvents lists newest first
and pages with `nextToken`. The Stubber checks each answer against the service model,
and botocore's parameter validation checks each request the SDK builds. One test runs
on plain moto, which lists oldest first, ignores filters and never pages: there only
what moto does right is asserted (`last_turns` needs the local runtime's emulation).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.conftest import make_ticket
from ticketing.adapters import conversation_store
from ticketing.adapters.conversation_store import ConversationStore

REGION = "us-east-1"
MEMORY_ID = "supportflow_tickets-AbCdEf1234"
TICKET = make_ticket(customer_id="cust-42")
START = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
IS_TURN = {
    "eventMetadata": [
        {"left": {"metadataKey": "kind"}, "operator": "EQUALS_TO", "right": {"metadataValue": {"stringValue": "turn"}}}
    ]
}


def memory_client() -> Any:
    return boto3.client("bedrock-agentcore", region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture
def stubbed() -> Iterator[tuple[ConversationStore, Stubber]]:
    client = memory_client()
    with Stubber(client) as stubber:
        yield ConversationStore(client, MEMORY_ID), stubber
        stubber.assert_no_pending_responses()


def turn_event(n: int, role: str, text: str, at: datetime) -> dict[str, Any]:
    """A turn as ListEvents returns it (the shape `append` writes)."""
    return {
        "memoryId": MEMORY_ID,
        "actorId": TICKET.customer_id,
        "sessionId": TICKET.ticket_id,
        "eventId": f"{1_700_000_000_000 + n}#a{n:05x}",
        "eventTimestamp": at,
        "payload": [{"conversational": {"content": {"text": text}, "role": role}}],
        "metadata": {
            "kind": {"stringValue": "turn"},
            "role": {"stringValue": role},
            "at": {"stringValue": at.isoformat(timespec="microseconds")},
        },
    }


def conversation(count: int) -> list[dict[str, Any]]:
    """`count` alternating turns, newest first as AWS lists them; turn i says `t<i>`."""
    said = [
        turn_event(i, "USER" if i % 2 == 0 else "ASSISTANT", f"t{i}", START + timedelta(seconds=i))
        for i in range(count)
    ]
    return said[::-1]


def list_request(most: int, next_token: str | None = None) -> dict[str, Any]:
    request = {
        "memoryId": MEMORY_ID,
        "actorId": TICKET.customer_id,
        "sessionId": TICKET.ticket_id,
        "maxResults": most,
        "includePayloads": True,
        "filter": IS_TURN,
    }
    if next_token:
        request["nextToken"] = next_token
    return request


def test_a_turn_is_one_conversational_event_tagged_with_its_kind_role_and_time(stubbed, monkeypatch):
    store, stubber = stubbed
    at = START.replace(microsecond=123456)
    monkeypatch.setattr(conversation_store, "utc_now", lambda: at)
    written = turn_event(0, "USER", "My printer is jammed.", at)
    stubber.add_response(
        "create_event",
        {"event": written},
        {
            "memoryId": MEMORY_ID,
            "actorId": "cust-42",
            "sessionId": TICKET.ticket_id,
            "eventTimestamp": at,
            "payload": written["payload"],
            "metadata": {
                "kind": {"stringValue": "turn"},
                "role": {"stringValue": "USER"},
                "at": {"stringValue": "2026-11-25T09:30:00.123456+00:00"},
            },
        },
    )

    turn = store.append(TICKET, "USER", "My printer is jammed.")

    assert (turn.role, turn.text, turn.at) == ("USER", "My printer is jammed.", at)


def test_every_turn_is_read_across_pages_and_returned_oldest_first(stubbed):
    store, stubber = stubbed
    newest_first = conversation(5)
    stubber.add_response("list_events", {"events": newest_first[:2], "nextToken": "page-2"}, list_request(100))
    stubber.add_response(
        "list_events", {"events": newest_first[2:4], "nextToken": "page-3"}, list_request(100, "page-2")
    )
    stubber.add_response("list_events", {"events": newest_first[4:]}, list_request(100, "page-3"))

    turns = store.turns(TICKET.ticket_id, "cust-42")

    assert [t.text for t in turns] == ["t0", "t1", "t2", "t3", "t4"]
    assert [t.role for t in turns] == ["USER", "ASSISTANT", "USER", "ASSISTANT", "USER"]
    assert turns[0].at == START


def test_the_last_turns_are_read_from_the_newest_events_alone(stubbed):
    store, stubber = stubbed
    # More turns exist (a nextToken comes back), but three events are all the store asks for.
    stubber.add_response("list_events", {"events": conversation(8)[:3], "nextToken": "older"}, list_request(3))

    turns = store.last_turns(TICKET.ticket_id, "cust-42", 3)

    assert [t.text for t in turns] == ["t5", "t6", "t7"]


def test_the_last_turns_follow_next_token_when_a_page_comes_back_short(stubbed):
    store, stubber = stubbed
    newest_first = conversation(6)
    # AWS may answer fewer events than maxResults and still page on.
    stubber.add_response("list_events", {"events": newest_first[:1], "nextToken": "more"}, list_request(3))
    stubber.add_response("list_events", {"events": newest_first[1:3], "nextToken": "older"}, list_request(2, "more"))

    turns = store.last_turns(TICKET.ticket_id, "cust-42", 3)

    assert [t.text for t in turns] == ["t3", "t4", "t5"]


def test_asking_for_no_turns_reads_nothing(stubbed):
    store, _ = stubbed
    assert store.last_turns(TICKET.ticket_id, "cust-42", 0) == []


def test_turns_in_the_same_instant_keep_the_question_before_the_answer(stubbed):
    store, stubber = stubbed
    answer, question = turn_event(1, "ASSISTANT", "Try this.", START), turn_event(0, "USER", "Help?", START)
    stubber.add_response("list_events", {"events": [answer, question]}, list_request(100))

    assert [t.text for t in store.turns(TICKET.ticket_id, "cust-42")] == ["Help?", "Try this."]


def test_the_time_in_the_metadata_orders_turns_not_the_listing(stubbed):
    store, stubber = stubbed
    late = turn_event(0, "USER", "late", START + timedelta(seconds=5))
    early = turn_event(1, "ASSISTANT", "early", START + timedelta(seconds=9))
    early["metadata"]["at"] = {"stringValue": START.isoformat(timespec="microseconds")}
    stubber.add_response("list_events", {"events": [early, late]}, list_request(100))

    assert [t.text for t in store.turns(TICKET.ticket_id, "cust-42")] == ["early", "late"]


@pytest.fixture
def moto_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        control = boto3.client("bedrock-agentcore-control", region_name=REGION)
        yield control.create_memory(name="supportflow_tickets", eventExpiryDuration=90)["memory"]["id"]


def test_on_moto_turns_round_trip_beside_checkpoints_and_turns_stored_before_the_sdk(moto_memory):
    client = memory_client()
    store = ConversationStore(client, moto_memory)
    # A turn as the raw-boto3 adapter wrote it before the SDK (with its own client token), and a checkpoint.
    before = START.isoformat(timespec="microseconds")
    client.create_event(
        memoryId=moto_memory,
        actorId="cust-42",
        sessionId=TICKET.ticket_id,
        eventTimestamp=START,
        payload=[{"conversational": {"content": {"text": "stored before"}, "role": "USER"}}],
        clientToken="0" * 64,
        metadata={"kind": {"stringValue": "turn"}, "role": {"stringValue": "USER"}, "at": {"stringValue": before}},
    )
    client.create_event(
        memoryId=moto_memory,
        actorId="cust-42",
        sessionId=TICKET.ticket_id,
        eventTimestamp=START,
        payload=[{"blob": {"state": "ANALYZING"}}],
        metadata={"kind": {"stringValue": "checkpoint"}},
    )

    asked = store.append(TICKET, "USER", "Is it fixed?")
    answered = store.append(TICKET, "ASSISTANT", "Not yet.")

    turns = store.turns(TICKET.ticket_id, "cust-42")
    assert [(t.role, t.text) for t in turns] == [
        ("USER", "stored before"),
        ("USER", "Is it fixed?"),
        ("ASSISTANT", "Not yet."),
    ]
    assert turns[1:] == [asked, answered]
    assert store.turns(TICKET.ticket_id, "someone-else") == []
