"""The EventBridge publisher: events reach the bus; refused entries are retried; what stays refused is kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.stub import Stubber

from local_runtime import event_docs
from ticketing.adapters.event_bus import EventBridgePublisher
from ticketing.domain.errors import EventsNotPublished
from ticketing.domain.events import lifecycle_event
from ticketing.domain.models import TicketState

from .conftest import client

EXAMPLES = event_docs.example_checkpoints()


def events(*states: TicketState):
    return [lifecycle_event(EXAMPLES[s], base_url="https://x.example") for s in states]


def test_published_events_reach_a_rule_on_the_bus_whole_and_in_order(moto_stack):
    publisher = EventBridgePublisher(client("events"), moto_stack.bus_name)
    publisher.publish(events(TicketState.ANALYZING, TicketState.FINDING_SOLUTION))
    received = moto_stack.published()
    assert [(e["source"], e["detail-type"]) for e in received] == [
        ("supportflow", "Ticket Received"),
        ("supportflow", "Ticket Analyzed"),
    ]
    assert [e["detail"]["sequence"] for e in received] == [1, 2]


def _stubbed(responses: list[dict[str, object] | str]) -> tuple[object, Stubber]:
    """An events client whose PutEvents answers come from `responses` (validated against botocore's model)."""
    events_client = client("events")
    stubber = Stubber(events_client)
    for response in responses:
        if isinstance(response, str):
            stubber.add_client_error("put_events", service_error_code=response, http_status_code=400)
        else:
            stubber.add_response("put_events", response)
    return events_client, stubber


def test_entries_refused_in_a_partial_failure_are_sent_again_and_only_they():
    ok = {"EventId": "e"}
    refused = {"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"}
    events_client, stubber = _stubbed(
        [{"FailedEntryCount": 1, "Entries": [ok, refused]}, {"FailedEntryCount": 0, "Entries": [ok]}]
    )
    sent = events(TicketState.ANALYZING, TicketState.FINDING_SOLUTION)
    calls: list[list[dict[str, object]]] = []
    events_client.meta.events.register(  # type: ignore[attr-defined]
        "provide-client-params.events.PutEvents", lambda params, **_: calls.append(params["Entries"])
    )
    naps: list[float] = []
    with stubber:
        EventBridgePublisher(events_client, "bus", sleep=naps.append).publish(sent)
    assert [len(c) for c in calls] == [2, 1]
    assert json.loads(calls[1][0]["Detail"])["sequence"] == 2  # the refused one, not the first
    assert naps == [0.1]


def test_what_the_bus_keeps_refusing_goes_to_the_retry_queue(moto_stack):
    events_client, stubber = _stubbed(["InternalException"] * 3)
    with stubber:
        EventBridgePublisher(
            events_client, "bus", retry_queue=(client("sqs"), moto_stack.retry_queue_url), sleep=lambda _: None
        ).publish(events(TicketState.ANALYZING))
    (message,) = client("sqs").receive_message(QueueUrl=moto_stack.retry_queue_url)["Messages"]
    (entry,) = json.loads(message["Body"])["entries"]
    assert entry["DetailType"] == "Ticket Received" and entry["EventBusName"] == "bus"
    assert datetime.fromisoformat(entry["Time"]) == EXAMPLES[TicketState.ANALYZING].created_at.astimezone(UTC)


def test_when_the_retry_queue_refuses_too_the_publisher_says_so(moto_stack):
    events_client, stubber = _stubbed(["InternalException"] * 3)
    gone = "https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue"
    with stubber, pytest.raises(EventsNotPublished, match="retry queue refused them too"):
        EventBridgePublisher(events_client, "bus", retry_queue=(client("sqs"), gone), sleep=lambda _: None).publish(
            events(TicketState.ANALYZING)
        )


def test_without_a_retry_queue_a_refusal_raises():
    events_client, stubber = _stubbed(["InternalException"] * 3)
    with stubber, pytest.raises(EventsNotPublished, match="after 3 attempts"):
        EventBridgePublisher(events_client, "bus", sleep=lambda _: None).publish(events(TicketState.ANALYZING))


def test_more_than_ten_entries_go_in_calls_of_ten(moto_stack):
    publisher = EventBridgePublisher(client("events"), moto_stack.bus_name)
    many = events(*list(TicketState)) * 2
    assert len(many) > 20
    publisher.publish(many)
    assert len(moto_stack.published()) == len(many)
