"""Lifecycle events: one per checkpoint, facts only, valid against the published schema of its detail-type."""

from __future__ import annotations

import json

import jsonschema
import pytest

from local_runtime import event_docs
from ticketing.domain.events import DETAIL_TYPES, SOURCE, EventDetail, detail_schema, detail_type_of, lifecycle_event
from ticketing.domain.models import TicketState

EXAMPLES = event_docs.example_checkpoints()


def schema_file(detail_type: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        (event_docs.DOCS / f"{event_docs.slug(detail_type)}.schema.json").read_text()
    )
    return loaded


def assert_valid(detail_type: str, detail: dict[str, object]) -> None:
    """`detail` is valid against docs/events' published schema for `detail_type`."""
    jsonschema.validate(detail, schema_file(detail_type), cls=jsonschema.Draft202012Validator)


def test_every_state_has_its_own_stable_detail_type():
    assert set(DETAIL_TYPES) == set(TicketState)
    assert len(set(DETAIL_TYPES.values())) == len(TicketState)
    assert detail_type_of(TicketState.AWAITING_APPROVAL) == "Approval Requested"


@pytest.mark.parametrize("state", list(TicketState))
def test_each_example_event_is_valid_against_its_published_schema(state):
    event = lifecycle_event(EXAMPLES[state], base_url="https://api.example.com/prod")
    detail = event.detail.model_dump(mode="json")
    assert_valid(event.detail_type, detail)
    assert detail["state"] == state.value
    assert detail["event_id"] == f"{detail['ticket_id']}:{detail['sequence']}"


def test_a_detail_in_the_wrong_state_fails_its_detail_types_schema():
    completed = lifecycle_event(EXAMPLES[TicketState.COMPLETED], base_url="https://x.example")
    with pytest.raises(jsonschema.ValidationError):
        assert_valid("Approval Requested", completed.detail.model_dump(mode="json"))
    with pytest.raises(jsonschema.ValidationError):
        assert_valid("Ticket Completed", {**completed.detail.model_dump(mode="json"), "surprise": 1})


def test_no_task_token_comment_or_customer_text_leaves_in_an_event():
    for state, checkpoint in EXAMPLES.items():
        text = json.dumps(lifecycle_event(checkpoint, base_url="https://x.example").detail.model_dump(mode="json"))
        assert "task token" not in text, state
        assert "comment" not in text, state
        assert checkpoint.data.ticket.description not in text, state
        assert "(operators only)" not in text, state


def test_the_customers_text_is_carried_only_when_configured():
    checkpoint = EXAMPLES[TicketState.ANALYZING]
    event = lifecycle_event(checkpoint, base_url="https://x.example", include_customer_text=True)
    assert event.detail.customer_text is not None
    assert event.detail.customer_text.description == checkpoint.data.ticket.description
    assert_valid(event.detail_type, event.detail.model_dump(mode="json"))


def test_facts_a_consumer_acts_on_are_in_the_detail():
    done = lifecycle_event(EXAMPLES[TicketState.COMPLETED], base_url="https://api.example.com/prod/").detail
    assert done.external_ref is not None and done.external_ref.id == "SUP-42"
    assert done.category is not None and done.plan is not None and done.plan.action_ids
    assert done.decision is not None and done.decision.decided_by == "lee@example.com"
    assert [s.status for s in done.steps] == ["succeeded"] * len(done.plan.action_ids)
    assert done.links["ticket"] == f"https://api.example.com/prod/tickets/{done.ticket_id}"
    failed = lifecycle_event(EXAMPLES[TicketState.FAILED], base_url="https://x.example").detail
    assert failed.failure is not None and failed.failure.error == "StoreUnavailable"
    assert failed.failure.failed_in == "EXECUTING"
    waiting = lifecycle_event(EXAMPLES[TicketState.AWAITING_APPROVAL], base_url="https://x.example").detail
    assert waiting.approval is not None and waiting.approval.approvers == ["lee@example.com"]
    assert lifecycle_event(EXAMPLES[TicketState.EXECUTING], base_url="https://x.example").detail.approval is None


def test_the_put_events_entry_names_the_bus_source_and_time():
    event = lifecycle_event(EXAMPLES[TicketState.ANALYZING], base_url="https://x.example")
    entry = event.entry("supportflow-bus")
    assert entry["Source"] == SOURCE and entry["EventBusName"] == "supportflow-bus"
    assert entry["DetailType"] == "Ticket Received" and entry["Time"] == EXAMPLES[TicketState.ANALYZING].created_at
    assert EventDetail.model_validate_json(entry["Detail"]) == event.detail


def test_docs_events_are_the_generated_documents():
    for name, text in event_docs.documents().items():
        path = event_docs.DOCS / name
        assert path.is_file() and path.read_text() == text, (
            f"regenerate docs/events: .venv/bin/supportflow event-docs ({name})"
        )


def test_an_unknown_detail_type_has_no_schema():
    with pytest.raises(KeyError):
        detail_schema("Ticket Teleported")
