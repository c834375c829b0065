"""Lifecycle events end to end: every checkpoint a path writes is published once, in order,
on the local bus (moto) and delivered, signed, to the built-in webhook inbox; the ticket's
external reference rides along; nothing secret leaves; a bus that refuses a ticket's event
neither loses it nor holds the ticket up.

Webhook subscribers that fail (retries, dead-letter queue) are in test_webhook_delivery.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import jsonschema
import pytest

from local_runtime.http_client import ApiClient, approval_link
from local_runtime.runtime import LocalRuntime
from local_runtime.template import REGION
from tests.support.faults import Faults
from ticketing.domain.events import detail_schema

from .conftest import emails_for, submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow

APPROVAL_TIMEOUT = 5
# The contract a consumer's EventBridge rule matches on (README, "Lifecycle events and webhooks").
DETAIL_TYPES = {
    "ANALYZING": "Ticket Received",
    "FINDING_SOLUTION": "Ticket Analyzed",
    "AWAITING_APPROVAL": "Approval Requested",
    "EXECUTING": "Ticket Executing",
    "COMPLETED": "Ticket Completed",
    "REJECTED": "Ticket Rejected",
    "EXPIRED": "Approval Expired",
    "FAILED": "Ticket Failed",
}
JIRA_REF = {"system": "jira", "id": "SUP-42", "url": "https://example.atlassian.net/browse/SUP-42"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def stack(faults: Faults) -> Iterator[LocalRuntime]:
    # A short approval wait for the expiry path; decisions in the other paths are posted at once.
    context = {"approval_timeout_seconds": APPROVAL_TIMEOUT, "approval_link_ttl_seconds": 3600}
    with LocalRuntime(context=context) as runtime:
        faults.plug_into(runtime.interceptors)
        yield runtime
        faults.unplug(runtime.interceptors)


@pytest.fixture(autouse=True)
def no_fault_left(faults: Faults) -> Iterator[None]:
    yield
    faults.clear()


def events_of(api: ApiClient, ticket_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.request("GET", f"/_local/events?ticket_id={ticket_id}").json()
    return found


def events_for_every_checkpoint(api: ApiClient, ticket_id: str, timeout: float = 15) -> tuple[dict, list[dict]]:
    """The ticket (settled on the state it is in) and its events, once there is an event per checkpoint.

    A step publishes right after its checkpoint write, so the checkpoint can be read a moment before its event.
    """
    deadline = time.monotonic() + timeout
    while True:
        view = api.ticket(ticket_id).json()
        events = events_of(api, ticket_id)
        if len(events) >= len(view["checkpoints"]) or time.monotonic() > deadline:
            return view, events
        time.sleep(0.05)


def assert_one_event_per_checkpoint_in_order(api: ApiClient, ticket_id: str) -> list[dict[str, Any]]:
    view, events = events_for_every_checkpoint(api, ticket_id)
    checkpoints = [(c["sequence"], c["state"]) for c in view["checkpoints"]]
    assert [(e["detail"]["sequence"], e["detail"]["state"]) for e in events] == checkpoints
    for event, checkpoint in zip(events, view["checkpoints"], strict=True):
        assert event["source"] == "supportflow"
        assert event["detail-type"] == DETAIL_TYPES[checkpoint["state"]]
        assert event["detail"]["event_id"] == f"{ticket_id}:{checkpoint['sequence']}"
        assert event["detail"]["ticket_id"] == ticket_id
        assert event["detail"]["links"]["ticket"].endswith(f"/tickets/{ticket_id}")
        jsonschema.validate(event["detail"], detail_schema(event["detail-type"]), cls=jsonschema.Draft202012Validator)
    return events


def inbox_events(api: ApiClient, ticket_id: str, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    """What the built-in inbox received for the ticket, once it holds `count` distinct events."""
    deadline = time.monotonic() + timeout
    while True:
        received = [
            r
            for r in api.request("GET", "/_local/webhook-inbox").json()
            if r["event"]["detail"]["ticket_id"] == ticket_id
        ]
        if len({r["event"]["detail"]["event_id"] for r in received}) >= count or time.monotonic() > deadline:
            return received
        time.sleep(0.05)


def executions(stack: LocalRuntime) -> int:
    return len(stack.sfn.list_executions(stateMachineArn=stack.state_machine_arn, maxResults=1000)["executions"])


def test_the_approve_path_publishes_one_event_per_checkpoint_in_order(api, stack):
    ticket_id, link = submit_and_wait_for_link(api)
    assert api.post_decision(link, "approve").status == 200
    wait_for_state(api, ticket_id, {"COMPLETED"})
    events = assert_one_event_per_checkpoint_in_order(api, ticket_id)
    assert [e["detail-type"] for e in events][:4] == [
        "Ticket Received",
        "Ticket Analyzed",
        "Approval Requested",
        "Ticket Executing",
    ]
    completed = events[-1]["detail"]
    assert completed["decision"]["outcome"] == "approved" and completed["decision"]["decided_by"]
    assert [s["action_id"] for s in completed["steps"]] == completed["plan"]["action_ids"]
    assert {s["status"] for s in completed["steps"]} == {"succeeded"}


def test_the_reject_path_publishes_one_event_per_checkpoint_in_order(api, stack):
    ticket_id, link = submit_and_wait_for_link(api, "I can't log in to the app")
    assert api.post_decision(link, "reject", reason="call them first").status == 200
    wait_for_state(api, ticket_id, {"REJECTED"})
    events = assert_one_event_per_checkpoint_in_order(api, ticket_id)
    assert [e["detail"]["state"] for e in events] == ["ANALYZING", "FINDING_SOLUTION", "AWAITING_APPROVAL", "REJECTED"]
    assert events[-1]["detail"]["decision"]["outcome"] == "rejected" and events[-1]["detail"]["steps"] == []


def test_the_expire_and_resume_paths_publish_one_event_per_checkpoint_in_order(api, stack):
    ticket_id, _ = submit_and_wait_for_link(api)
    wait_for_state(api, ticket_id, {"EXPIRED"}, timeout=APPROVAL_TIMEOUT + 20)
    expired = assert_one_event_per_checkpoint_in_order(api, ticket_id)
    assert expired[-1]["detail-type"] == "Approval Expired" and expired[-1]["detail"]["decision"] is None

    assert api.request("POST", f"/tickets/{ticket_id}/resume").status == 202
    wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    deadline = time.monotonic() + 10
    while len(requests := emails_for(api, ticket_id, "approval-request")) < 2:
        assert time.monotonic() < deadline, "no second approval email"
        time.sleep(0.05)
    assert api.post_decision(approval_link(requests[-1]), "approve").status == 200
    wait_for_state(api, ticket_id, {"COMPLETED"})
    resumed = assert_one_event_per_checkpoint_in_order(api, ticket_id)
    assert resumed[: len(expired)] == expired  # the resumed run adds events; it re-announces none
    asked_again = resumed[len(expired)]["detail"]
    assert asked_again["state"] == "AWAITING_APPROVAL" and asked_again["approval"]["round"] >= 1


def test_the_fail_and_resume_paths_publish_one_event_per_checkpoint_in_order(api, stack, faults):
    fault = faults.handler(stack.function_named("ticketing.handlers.execute"), "RuntimeError", times=100)
    ticket_id, link = submit_and_wait_for_link(api)
    assert api.post_decision(link, "approve").status == 200
    wait_for_state(api, ticket_id, {"FAILED"}, timeout=60)
    assert fault.injected == 4
    failed = assert_one_event_per_checkpoint_in_order(api, ticket_id)
    assert [e["detail"]["state"] for e in failed] == ["ANALYZING", "FINDING_SOLUTION", "AWAITING_APPROVAL", "FAILED"]
    assert failed[-1]["detail"]["failure"] == {"error": "RuntimeError", "failed_in": "AWAITING_APPROVAL"}

    faults.clear()
    assert api.request("POST", f"/tickets/{ticket_id}/resume").json()["resumed_from"] == "decision"
    wait_for_state(api, ticket_id, {"COMPLETED"}, timeout=60)
    resumed = assert_one_event_per_checkpoint_in_order(api, ticket_id)
    assert resumed[: len(failed)] == failed
    assert resumed[-1]["detail-type"] == "Ticket Completed"


def test_no_token_secret_or_customer_text_leaves_in_an_event_or_a_webhook(api, stack):
    from ticketing.bootstrap import aws_services
    from ticketing.settings import Settings

    description = "Quokka-7731: my wifi keeps dropping every few minutes since the storm."
    reply = api.submit(
        {
            "customer_id": "cust-private",
            "customer_email": "private@example.com",
            "subject": "Wombat-5120 wifi",
            "description": description,
        }
    )
    ticket_id = reply.json()["ticket_id"]
    wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    deadline = time.monotonic() + 10
    while not (requests := emails_for(api, ticket_id, "approval-request")):
        assert time.monotonic() < deadline, "no approval email"
        time.sleep(0.05)
    link = approval_link(requests[0])
    assert api.post_decision(link, "approve", comment="Kiwi-9902 looks right").status == 200
    wait_for_state(api, ticket_id, {"COMPLETED"})
    events = assert_one_event_per_checkpoint_in_order(api, ticket_id)
    webhooks = inbox_events(api, ticket_id, len(events))

    history = aws_services(Settings.from_env()).checkpoints.history(ticket_id, "cust-private")
    task_tokens = {c.data.approval.task_token for c in history if c.data.approval and c.data.approval.task_token}
    secrets_manager = boto3.client("secretsmanager", region_name=REGION)
    secret_values = {
        secrets_manager.get_secret_value(SecretId=s["ARN"])["SecretString"]
        for s in secrets_manager.list_secrets()["SecretList"]
    }
    link_token = parse_qs(urlsplit(link).query)["token"][0]
    assert task_tokens and len(secret_values) >= 2 and stack.webhook_secret in secret_values
    never = [*task_tokens, *secret_values, link_token, "Quokka-7731", "Wombat-5120", "Kiwi-9902", description]
    published = json.dumps(events) + json.dumps([r["event"] for r in webhooks])
    for text in never:
        assert text not in published
    assert "task_token" not in published and "token=" not in published
    assert all(e["detail"]["customer_text"] is None for e in events)


def test_every_webhook_the_inbox_received_is_signed_and_is_the_event_published(api, stack):
    ticket_id, link = submit_and_wait_for_link(api, "I can't log in to the app")
    assert api.post_decision(link, "reject").status == 200
    wait_for_state(api, ticket_id, {"REJECTED"})
    events = assert_one_event_per_checkpoint_in_order(api, ticket_id)
    received = inbox_events(api, ticket_id, len(events))
    assert [(r["signature_valid"], r["problem"]) for r in received] == [(True, "")] * len(received)
    by_id = {r["event"]["detail"]["event_id"]: r["event"] for r in received}
    assert set(by_id) == {e["detail"]["event_id"] for e in events}
    for event in events:
        delivered = by_id[event["detail"]["event_id"]]
        assert (delivered["source"], delivered["detail-type"], delivered["detail"]) == (
            event["source"],
            event["detail-type"],
            event["detail"],
        )
    deliveries = api.request("GET", f"/_local/webhooks?ticket_id={ticket_id}").json()
    assert sorted(d["sequence"] for d in deliveries) == [e["detail"]["sequence"] for e in events]
    assert {(d["status"], d["attempts"]) for d in deliveries} == {("delivered", 1)}
    page = api.request("GET", "/_local/webhook-deliveries", headers={"Accept": "text/html"})
    assert page.status == 200 and ticket_id in page.text and "delivered" in page.text


def test_a_forged_delivery_to_the_inbox_is_refused_and_kept_as_invalid(api, stack):
    body = json.dumps({"source": "supportflow", "detail": {"ticket_id": "tkt-forged", "event_id": "x:1"}}).encode()
    forged = api.request("POST", "/_local/webhook-inbox", body, {**JSON, "Supportflow-Signature": "t=1,v1=00"})
    assert forged.status == 400
    kept = [
        r
        for r in api.request("GET", "/_local/webhook-inbox").json()
        if r["event"]["detail"]["ticket_id"] == "tkt-forged"
    ]
    assert [r["signature_valid"] for r in kept] == [False]


def test_an_external_ref_is_kept_shown_and_carried_by_every_event_and_webhook(api, stack):
    ticket = {
        "customer_id": "cust-jira",
        "customer_email": "jira@example.com",
        "description": "My wifi keeps dropping every few minutes.",
        "external_ref": JIRA_REF,
    }
    reply = api.submit(ticket)
    assert reply.status == 202, reply.text
    ticket_id = reply.json()["ticket_id"]
    view = wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    assert view["external_ref"] == JIRA_REF

    again = api.submit(ticket)  # the ticketing system retries its webhook: no Idempotency-Key
    assert again.status == 202 and again.json()["ticket_id"] == ticket_id
    assert again.headers.get("Idempotent-Replayed") == "true"
    changed = api.submit({**ticket, "description": "Something else entirely."})
    assert changed.status == 409 and changed.json()["error"] == "idempotency_key_reused"
    assert [e["name"] for e in api.ticket(ticket_id).json()["executions"]] == [ticket_id]

    events = assert_one_event_per_checkpoint_in_order(api, ticket_id)
    assert [e["detail"]["external_ref"] for e in events] == [JIRA_REF] * len(events)
    received = inbox_events(api, ticket_id, len(events))
    assert [r["event"]["detail"]["external_ref"] for r in received] == [JIRA_REF] * len(received)


def test_an_event_without_an_external_ref_says_so(api, stack):
    ticket_id, link = submit_and_wait_for_link(api, "I can't log in to the app")
    assert api.ticket(ticket_id).json()["external_ref"] is None
    events = assert_one_event_per_checkpoint_in_order(api, ticket_id)
    assert {json.dumps(e["detail"]["external_ref"]) for e in events} == {"null"}
    api.post_decision(link, "reject")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "http://example.atlassian.net/browse/SUP-42"),
        ("url", "https://admin:hunter2@example.atlassian.net/browse/SUP-42"),
        ("url", "https://example.atlassian.net/browse/SUP 42"),
        ("system", "Jira Cloud"),
        ("system", ""),
        ("id", "S" * 129),
        ("id", "../../etc/passwd"),
    ],
)
def test_an_invalid_external_ref_gets_400_and_starts_nothing(api, stack, field, value):
    before = executions(stack)
    ticket = {
        "customer_id": "cust-bad-ref",
        "customer_email": "bad@example.com",
        "description": "My wifi keeps dropping.",
        "external_ref": {**JIRA_REF, field: value},
    }
    reply = api.submit(ticket)
    assert reply.status == 400, reply.text
    assert reply.json()["error"] == "invalid_ticket" and "external_ref" in reply.json()["message"]
    assert executions(stack) == before


class RefusingBus:
    """EventBridge answering a partial failure (HTTP 200, `FailedEntryCount` 1) for one customer's events.

    Registered on the events client the functions share (one per process), it refuses the first
    `times` `PutEvents` calls that carry the customer's events, and lets every other call through.
    """

    def __init__(self, customer_id: str, times: int) -> None:
        from ticketing.adapters.event_bus import events_client

        self.customer_id = customer_id
        self.times = times
        self.refused: list[str] = []  # the event_id of each entry refused
        self._events = events_client(REGION)

    def __enter__(self) -> RefusingBus:
        self._events.meta.events.register("before-parameter-build.eventbridge.PutEvents", self._stash)
        self._events.meta.events.register("before-call.eventbridge.PutEvents", self._answer)
        return self

    def __exit__(self, *_: object) -> None:
        self._events.meta.events.unregister("before-parameter-build.eventbridge.PutEvents", self._stash)
        self._events.meta.events.unregister("before-call.eventbridge.PutEvents", self._answer)

    @staticmethod
    def _stash(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["refusing_bus_entries"] = list(params.get("Entries", []))

    def _answer(self, context: dict[str, Any], **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        entries = context.get("refusing_bus_entries", [])
        details = [json.loads(e.get("Detail") or "{}") for e in entries]
        if len(self.refused) >= self.times or not all(d.get("customer_id") == self.customer_id for d in details):
            return None
        self.refused += [d["event_id"] for d in details]
        refused = {"ErrorCode": "InternalFailure", "ErrorMessage": "Injected partial failure"}
        parsed = {"FailedEntryCount": len(entries), "Entries": [refused] * len(entries)}
        return AWSResponse("local://", 200, {}, None), {**parsed, "ResponseMetadata": {"HTTPStatusCode": 200}}


@pytest.fixture
def republished(stack: LocalRuntime) -> Iterator[list[dict[str, Any]]]:
    """The entries the republisher (the retry queue's function) was given, in order."""
    from ticketing.handlers import republish_events

    name = stack.function_named("ticketing.handlers.republish_events")
    given: list[dict[str, Any]] = []

    def recording(event: dict[str, Any], context: Any) -> Any:
        for record in event["Records"]:
            given.extend(json.loads(record["body"])["entries"])
        return republish_events.handler(event, context)

    stack.replace_handler(name, recording)
    yield given
    stack.replace_handler(name, republish_events.handler)


def test_an_event_the_bus_refuses_reaches_it_later_through_the_retry_queue_and_holds_nothing_up(
    api, stack, republished
):
    # The analysis step's three PutEvents attempts are all refused; the event goes to the retry queue.
    with RefusingBus("cust-refused", times=3) as bus:
        reply = api.submit(
            {"customer_id": "cust-refused", "customer_email": "r@example.com", "description": "wifi drops"}
        )
        ticket_id = reply.json()["ticket_id"]
        view = wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
        assert bus.refused == [f"{ticket_id}:1"] * 3
        deadline = time.monotonic() + 15
        while len(events := events_of(api, ticket_id)) < len(view["checkpoints"]):
            assert time.monotonic() < deadline, f"only {len(events)} events"
            time.sleep(0.05)
    assert [json.loads(e["Detail"])["event_id"] for e in republished] == [f"{ticket_id}:1"]
    assert sorted((e["detail"]["sequence"], e["detail"]["state"]) for e in events) == [
        (c["sequence"], c["state"]) for c in view["checkpoints"]
    ]
    late = next(e for e in events if e["detail"]["sequence"] == 1)
    assert late["detail-type"] == "Ticket Received" and late["detail"]["ticket_id"] == ticket_id
    # A consumer de-duplicating by event_id sees it once, and so does the webhook subscriber.
    assert len({e["detail"]["event_id"] for e in events}) == len(events)
    assert {r["event"]["detail"]["event_id"] for r in inbox_events(api, ticket_id, len(events))} == {
        e["detail"]["event_id"] for e in events
    }


def test_a_throttled_bus_holds_no_step_and_the_event_arrives_through_the_republisher(api, stack, faults, republished):
    # The analysis step's three PutEvents attempts are throttled. Each is a single try (no botocore
    # backoff under it), so the step moves on at once and the event is published from the retry queue.
    fault = faults.call("eventbridge", "PutEvents", "ThrottlingException", times=3)
    reply = api.submit(
        {"customer_id": "cust-throttled", "customer_email": "t@example.com", "description": "wifi drops"}
    )
    ticket_id = reply.json()["ticket_id"]
    view = wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    assert fault.injected == 3
    deadline = time.monotonic() + 15
    while len(events := events_of(api, ticket_id)) < len(view["checkpoints"]):
        assert time.monotonic() < deadline, f"only {len(events)} events"
        time.sleep(0.05)
    assert [json.loads(e["Detail"])["event_id"] for e in republished] == [f"{ticket_id}:1"]
    assert sorted((e["detail"]["sequence"], e["detail"]["state"]) for e in events) == [
        (c["sequence"], c["state"]) for c in view["checkpoints"]
    ]
