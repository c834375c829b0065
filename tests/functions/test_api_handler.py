"""The API function, called with API Gateway proxy events, on moto."""

from __future__ import annotations

import json
from typing import Any

import boto3

from ticketing.handlers import api

VALID = {"customer_id": "cust-42", "customer_email": "jo@example.com", "description": "My wifi keeps dropping."}


def event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
) -> dict:
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    hdrs = {"Content-Type": "application/json"} if headers is None else headers
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query,
        "pathParameters": None,
        "requestContext": {"stage": "prod", "path": path, "httpMethod": method, "requestId": "r"},
        "body": text,
        "isBase64Encoded": False,
    }


def call(*args: Any, **kwargs: Any) -> tuple[int, Any]:
    response = api.handler(event(*args, **kwargs), None)
    body = response["body"]
    is_json = "json" in (response.get("headers") or {}).get("Content-Type", "") or (
        response.get("multiValueHeaders") or {}
    ).get("Content-Type", [""])[0].startswith("application/json")
    return response["statusCode"], json.loads(body) if is_json else body


def executions(moto_stack) -> list[dict]:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    return sfn.list_executions(stateMachineArn=moto_stack.state_machine_arn)["executions"]


def test_submitting_a_ticket_starts_an_execution_named_after_it(moto_stack):
    status, body = call("POST", "/tickets", VALID)
    assert status == 202 and body["state"] == "RECEIVED"
    assert body["links"]["self"] == f"https://api.example.com/prod/tickets/{body['ticket_id']}"
    (execution,) = executions(moto_stack)
    assert execution["name"] == body["ticket_id"]
    started = boto3.client("stepfunctions", region_name="us-east-1").describe_execution(
        executionArn=execution["executionArn"]
    )
    assert json.loads(started["input"])["ticket"]["description"] == VALID["description"]


def test_invalid_ticket_input_is_a_clear_400_and_starts_nothing(moto_stack):
    cases = [
        ("{not json", "malformed_json"),
        ("[1, 2]", "malformed_json"),
        ({**VALID, "description": ""}, "invalid_ticket"),
        ({k: v for k, v in VALID.items() if k != "customer_email"}, "invalid_ticket"),
        ({**VALID, "customer_email": "nope"}, "invalid_ticket"),
        ({**VALID, "description": "x" * 6000}, "invalid_ticket"),
    ]
    for body, code in cases:
        status, answer = call("POST", "/tickets", body)
        assert (status, answer["error"]) == (400, code), body
        assert answer["message"].endswith(".")
    assert executions(moto_stack) == []


def test_missing_field_message_names_the_field(moto_stack):
    _, answer = call("POST", "/tickets", {k: v for k, v in VALID.items() if k != "description"})
    assert answer["message"] == "The field 'description' is required."


def test_oversized_body_is_413_and_wrong_content_type_is_415(moto_stack):
    status, answer = call("POST", "/tickets", json.dumps({**VALID, "pad": "x" * 70_000}))
    assert (status, answer["error"]) == (413, "payload_too_large")
    status, answer = call("POST", "/tickets", "customer_id=x", headers={"Content-Type": "text/plain"})
    assert (status, answer["error"]) == (415, "unsupported_media_type")
    assert executions(moto_stack) == []


def test_unknown_and_malformed_ticket_ids_are_404(moto_stack):
    for ticket_id in ("tkt-20261125-000000000000", "nope", "..%2F..%2Fetc"):
        status, answer = call("GET", f"/tickets/{ticket_id}")
        assert (status, answer["error"]) == (404, "ticket_not_found")


def test_a_submitted_ticket_without_checkpoints_reads_as_received(moto_stack):
    _, body = call("POST", "/tickets", VALID)
    status, view = call("GET", f"/tickets/{body['ticket_id']}")
    assert status == 200 and view["state"] == "RECEIVED" and view["checkpoints"] == []


def test_approval_routes_refuse_forged_tokens_without_touching_anything(moto_stack):
    _, body = call("POST", "/tickets", VALID)
    ticket_id = body["ticket_id"]
    status, page = call(
        "GET", f"/approvals/{ticket_id}", headers={"Accept": "text/html"}, query={"token": ["forged.token"]}
    )
    assert status == 403 and "Link not valid" in page
    status, answer = call(
        "POST",
        f"/approvals/{ticket_id}",
        {"token": "forged.token", "decision": "approve"},
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    assert (status, answer["error"]) == (403, "approval_link_invalid")


def test_approval_needs_exactly_one_token_and_a_known_decision(moto_stack):
    _, body = call("POST", "/tickets", VALID)
    ticket_id = body["ticket_id"]
    status, _ = call(
        "GET", f"/approvals/{ticket_id}", headers={"Accept": "application/json"}, query={"token": ["a", "b"]}
    )
    assert status == 400
    status, answer = call(
        "POST",
        f"/approvals/{ticket_id}",
        {"token": "x", "decision": "maybe"},
        headers={"Content-Type": "application/json"},
    )
    assert (status, answer["error"]) == (400, "invalid_decision")


def test_unknown_routes_are_json_404(moto_stack):
    status, answer = call("GET", "/nothing-here")
    assert (status, answer["error"]) == (404, "not_found")


def test_an_unexpected_error_is_a_json_500_without_details(moto_stack, monkeypatch):
    from ticketing.logic import tickets

    def boom(*_: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(tickets, "ticket_view", boom)
    status, answer = call("GET", "/tickets/tkt-20261125-000000000000")
    assert (status, answer["error"]) == (500, "internal_error") and "secret" not in answer["message"]


def test_a_workflow_that_cannot_start_is_503_and_creates_nothing(moto_stack, monkeypatch):
    monkeypatch.setenv("STATE_MACHINE_ARN", moto_stack.state_machine_arn.replace(":tickets", ":missing"))
    status, answer = call("POST", "/tickets", VALID)
    assert (status, answer["error"]) == (503, "workflow_unavailable") and "nothing was created" in answer["message"]
    assert executions(moto_stack) == []


def test_responses_are_not_cached_sniffed_or_leaked_by_referer(moto_stack):
    response = api.handler(
        event("GET", "/approvals/tkt-20261125-000000000000", headers={"Accept": "text/html"}, query={"token": ["x"]}),
        None,
    )
    headers = {k: v[0] for k, v in response["multiValueHeaders"].items()} | (response.get("headers") or {})
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_deeply_nested_json_is_a_400_not_a_crash(moto_stack):
    status, answer = call("POST", "/tickets", "[" * 50_000)
    assert (status, answer["error"]) == (400, "malformed_json")


def test_a_non_ascii_token_is_403(moto_stack):
    _, body = call("POST", "/tickets", VALID)
    status, answer = call(
        "GET", f"/approvals/{body['ticket_id']}", headers={"Accept": "application/json"}, query={"token": ["abc.é"]}
    )
    assert (status, answer["error"]) == (403, "approval_link_invalid")


def test_a_workflow_that_ended_without_a_final_checkpoint_is_not_shown_as_in_progress(moto_stack, svc):
    from ticketing.domain.models import Ticket, TicketState

    _, body = call("POST", "/tickets", VALID)
    ticket_id = body["ticket_id"]
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    execution = sfn.describe_execution(executionArn=svc.workflow.execution_arn(ticket_id))
    ticket = Ticket.model_validate(json.loads(execution["input"])["ticket"])
    svc.checkpoints.advance(ticket, TicketState.ANALYZING, "x/ANALYZING")
    assert call("GET", f"/tickets/{ticket_id}")[1]["state"] == "ANALYZING"
    sfn.stop_execution(executionArn=execution["executionArn"])
    assert call("GET", f"/tickets/{ticket_id}")[1]["state"] == "WORKFLOW_ABORTED"
