"""`Idempotency-Key` on POST /tickets: a client's retry returns the same ticket and starts nothing new."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import boto3
import pytest

from ticketing.domain.models import TICKET_ID_PATTERN, TicketRequest
from ticketing.logic import tickets

from .test_api_handler import VALID, call, executions

JSON = {"Content-Type": "application/json"}


def submit(key: str | None, body: dict = VALID) -> tuple[int, dict]:
    headers = {**JSON, **({"Idempotency-Key": key} if key is not None else {})}
    return call("POST", "/tickets", body, headers=headers)


def test_a_retry_with_the_same_key_returns_the_same_ticket_and_starts_nothing(moto_stack):
    first_status, first = submit("order-1234-try")
    again_status, again = submit("order-1234-try")
    assert first_status == again_status == 202
    assert again == first  # same id, same submission time, same links
    assert len(executions(moto_stack)) == 1


def test_the_replayed_answer_says_so_in_a_header(moto_stack):
    from ticketing.handlers import api

    from .test_api_handler import event

    api.handler(event("POST", "/tickets", VALID, headers={**JSON, "Idempotency-Key": "k-1"}), None)
    replay = api.handler(event("POST", "/tickets", VALID, headers={**JSON, "Idempotency-Key": "k-1"}), None)
    headers = {**(replay.get("headers") or {}), **{k: v[0] for k, v in (replay.get("multiValueHeaders") or {}).items()}}
    assert headers.get("Idempotent-Replayed") == "true"


def test_the_same_key_with_another_ticket_is_409_and_starts_nothing(moto_stack):
    submit("k-2")
    status, body = submit("k-2", {**VALID, "description": "Something else entirely."})
    assert status == 409 and body["error"] == "idempotency_key_reused"
    assert "different ticket" in body["message"]
    assert len(executions(moto_stack)) == 1


def test_different_keys_and_no_key_are_different_tickets(moto_stack):
    ids = {submit("k-a")[1]["ticket_id"], submit("k-b")[1]["ticket_id"], submit(None)[1]["ticket_id"]}
    ids.add(submit(None)[1]["ticket_id"])
    assert len(ids) == 4 and len(executions(moto_stack)) == 4


def test_keys_are_scoped_to_the_customer(moto_stack):
    mine = submit("shared-key")[1]
    theirs = submit("shared-key", {**VALID, "customer_id": "cust-43"})
    assert theirs[0] == 202 and theirs[1]["ticket_id"] != mine["ticket_id"]


def test_a_keyed_ticket_id_has_the_ticket_id_shape(moto_stack):
    import re

    assert re.fullmatch(TICKET_ID_PATTERN, submit("k-shape")[1]["ticket_id"])


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "caf\u00e9", "line\nbreak", "tab\there"])
def test_a_malformed_key_is_400_and_starts_nothing(moto_stack, key):
    status, body = submit(key)
    assert status == 400 and body["error"] == "invalid_idempotency_key"
    assert executions(moto_stack) == []


def test_two_keys_in_one_request_are_400(moto_stack):
    from ticketing.handlers import api

    from .test_api_handler import event

    request = event("POST", "/tickets", VALID, headers={**JSON, "Idempotency-Key": "a"})
    request["multiValueHeaders"]["Idempotency-Key"] = ["a", "b"]
    response = api.handler(request, None)
    assert response["statusCode"] == 400 and executions(moto_stack) == []


def test_concurrent_retries_with_one_key_start_one_execution(moto_stack):
    replies: list[tuple[int, dict]] = []
    threads = [threading.Thread(target=lambda: replies.append(submit("burst"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in replies} == {202}
    assert len({body["ticket_id"] for _, body in replies}) == 1
    assert len(executions(moto_stack)) == 1


def test_a_retry_just_after_midnight_finds_yesterdays_ticket(moto_stack, svc, monkeypatch):
    request = TicketRequest.model_validate(VALID)
    monkeypatch.setattr(tickets, "utc_now", lambda: datetime(2026, 11, 24, 23, 59, 59, tzinfo=UTC))
    first = tickets.submit_ticket_once(svc, request, "late-night")
    monkeypatch.setattr(tickets, "utc_now", lambda: datetime(2026, 11, 25, 0, 0, 5, tzinfo=UTC))
    retry = tickets.submit_ticket_once(svc, request, "late-night")
    assert retry.replayed and retry.ticket == first.ticket
    assert len(executions(moto_stack)) == 1


def test_moto_refuses_a_second_execution_of_the_same_name_with_other_input(moto_stack):
    # What the concurrent-retry path relies on, as AWS documents it for StartExecution.
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    sfn.start_execution(stateMachineArn=moto_stack.state_machine_arn, name="same", input='{"a": 1}')
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=moto_stack.state_machine_arn, name="same", input='{"a": 2}')


def test_a_random_id_that_collides_is_503_not_someone_elses_ticket(moto_stack, monkeypatch):
    monkeypatch.setattr(tickets, "new_ticket_id", lambda now: "tkt-20261125-000000000000")
    assert submit(None)[0] == 202
    status, body = submit(None, {**VALID, "customer_id": "cust-other"})
    assert status == 503 and body["error"] == "workflow_unavailable"
    assert len(executions(moto_stack)) == 1


def test_a_retry_after_the_ticket_was_resumed_still_finds_the_ticket(moto_stack):
    """The newest execution (`-r1`) holds no request fingerprint; the first one does."""
    first_status, first = submit("order-77")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    original = f"{moto_stack.state_machine_arn.replace(':stateMachine:', ':execution:')}:{first['ticket_id']}"
    if sfn.describe_execution(executionArn=original)["status"] == "RUNNING":
        sfn.stop_execution(executionArn=original)  # a resume starts only after the newest execution stopped
    sfn.start_execution(
        stateMachineArn=moto_stack.state_machine_arn,
        name=f"{first['ticket_id']}-r1",
        input='{"ticket": {}, "resume": {"from": "approval"}}',
    )
    again_status, again = submit("order-77")
    assert first_status == again_status == 202 and again == first
    assert len(executions(moto_stack)) == 2  # the original and the resume; the retry started nothing
