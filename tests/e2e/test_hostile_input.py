"""Hostile input over real HTTP: oversized and mistyped bodies, markup and control
characters in every text field, ids that are not ticket ids, tokens repeated or missing.

Each is refused with a clear 4xx, or kept as inert text; none starts a workflow or changes a ticket.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode, urlsplit

import pytest

from local_runtime.http_client import ApiClient, approval_link
from local_runtime.runtime import LocalRuntime
from ticketing.api.http import MAX_BODY_BYTES

from .conftest import emails_for, submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow

VALID = {"customer_id": "cust-hostile", "customer_email": "h@example.com", "description": "Wifi drops."}
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
MARKUP = "<script>alert('x')</script><img src=x onerror=alert(1)>\"'&"
CONTROL = "\x00\x07\x08\x1b[2J\x7f\u202e\u200b\r\nBcc: evil@example.com"


def executions(stack: LocalRuntime) -> int:
    pages = stack.sfn.get_paginator("list_executions").paginate(stateMachineArn=stack.state_machine_arn)
    return sum(len(page["executions"]) for page in pages)


def wait_for_email(api: ApiClient, ticket_id: str, kind: str) -> list[dict]:
    deadline = time.monotonic() + 10
    while not (found := emails_for(api, ticket_id, kind)):
        assert time.monotonic() < deadline, f"no {kind} email"
        time.sleep(0.05)
    return found


def assert_refused(reply, status: int, code: str | None = None) -> None:
    assert reply.status == status, reply.text
    body = reply.json()
    assert set(body) == {"error", "message"} and body["message"].endswith(".")
    if code:
        assert body["error"] == code


def test_bodies_over_the_size_limit_are_413_and_start_nothing(api: ApiClient, stack: LocalRuntime):
    before = executions(stack)
    huge = json.dumps({**VALID, "description": "x" * MAX_BODY_BYTES}).encode()
    assert_refused(api.request("POST", "/tickets", huge, JSON), 413, "payload_too_large")
    form = urlencode({"token": "t" * MAX_BODY_BYTES, "decision": "approve"}).encode()
    assert_refused(api.request("POST", "/approvals/tkt-20261125-0123456789ab", form, FORM), 413)
    assert executions(stack) == before


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
def test_a_ticket_not_sent_as_json_is_415_and_starts_nothing(api, stack, content_type):
    before = executions(stack)
    reply = api.request("POST", "/tickets", json.dumps(VALID).encode(), {"Content-Type": content_type})
    assert_refused(reply, 415, "unsupported_media_type")
    assert executions(stack) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_a_decision_neither_form_nor_json_is_415_and_decides_nothing(api, content_type):
    ticket_id, link = submit_and_wait_for_link(api)
    token = urlsplit(link).query.removeprefix("token=")
    body = urlencode({"token": token, "decision": "approve"}).encode()
    reply = api.request("POST", urlsplit(link).path, body, {"Content-Type": content_type, "Accept": "application/json"})
    assert_refused(reply, 415, "unsupported_media_type")
    assert api.ticket(ticket_id).json()["state"] == "AWAITING_APPROVAL"
    api.post_decision(link, "reject")


def test_a_body_that_is_not_utf8_is_400(api, stack):
    before = executions(stack)
    reply = api.request("POST", "/tickets", b'{"description": "\xff\xfe\x8c"}', JSON)
    assert_refused(reply, 400, "malformed_body")
    assert executions(stack) == before


def test_markup_and_control_characters_stay_inert_text_in_pages_and_emails(api: ApiClient, stack: LocalRuntime):
    description = f"My router {MARKUP} keeps dropping {CONTROL} end"
    subject = f"{MARKUP} {CONTROL}"[:200]
    reply = api.submit({**VALID, "description": description, "subject": subject})
    assert reply.status == 202, reply.text
    ticket_id = reply.json()["ticket_id"]
    view = wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    assert view["description"] == description and view["subject"] == subject.strip()  # kept exactly, as data

    (email,) = wait_for_email(api, ticket_id, "approval-request")
    link = approval_link(email)
    page = api.open_page(link)
    assert page.status == 200
    for html in (page.text, email["html"]):
        assert "<script>" not in html and "<img" not in html and "onerror=alert(1)>" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")

    # As comment (shown back on the page) and as the reason the customer reads (notify_customer).
    hostile = f"no {MARKUP} {CONTROL}"
    decided = api.post_decision(link, "reject", hostile, reason=hostile, notify_customer=True)
    assert decided.status == 200 and "<script>" not in decided.text and "&lt;script&gt;" in decided.text
    wait_for_state(api, ticket_id, {"REJECTED"})
    stack.wait_for_execution(ticket_id)  # the notice is sent before the execution ends
    (notice,) = emails_for(api, ticket_id, "rejected")
    assert "<script>" not in notice["html"] and "&lt;script&gt;" in notice["html"]
    assert notice["subject"] == f"Update on your ticket {ticket_id}"  # no customer text reaches a mail header


NOT_TICKET_IDS = [
    "tkt-20261125-0123456789aG",
    "TKT-20261125-0123456789ab",
    "tkt-2026112-0123456789ab",
    "tkt-20261125-0123456789ab%0A",
    "tkt-20261125-0123456789ab%00",
    "tkt-20261125-0123456789ab%20",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "..",
    "tkt-20261125-0123456789ab%2F..%2F..",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "'%20OR%201=1%20--",
    "%E2%80%AEbatt",
    "arn:aws:states:us-east-1:123456789012:execution:SupportflowTicketWorkflow:x",
    "x" * 4000,
]


@pytest.mark.parametrize("ticket_id", NOT_TICKET_IDS, ids=lambda i: i[:40])
def test_an_id_that_is_not_a_ticket_id_is_404_on_every_route(api: ApiClient, ticket_id: str):
    form = urlencode({"token": "a.b", "decision": "approve"}).encode()
    for reply in (
        api.request("GET", f"/tickets/{ticket_id}"),
        api.request("GET", f"/approvals/{ticket_id}?token=a.b", headers={"Accept": "application/json"}),
        api.request("POST", f"/approvals/{ticket_id}", form, FORM),
    ):
        assert reply.status == 404, (ticket_id, reply.status, reply.text[:200])
        assert reply.json()["error"] in {"ticket_not_found", "not_found"}
    page = api.request("GET", f"/approvals/{ticket_id}?token=a.b", headers={"Accept": "text/html"})
    assert page.status == 404 and "<script>" not in page.text


@pytest.mark.parametrize("path", ["/tickets/../approvals/x", "/tickets/a/b", "/tickets/", "/approvals//x", "/%2e%2e/"])
def test_path_traversal_finds_no_route(api: ApiClient, path: str):
    reply = api.request("GET", path)
    assert reply.status == 404 and reply.json()["error"] in {"not_found", "ticket_not_found"}


def test_tokens_repeated_or_missing_are_400_and_decide_nothing(api: ApiClient):
    ticket_id, link = submit_and_wait_for_link(api)
    path, token = urlsplit(link).path, urlsplit(link).query.removeprefix("token=")
    before = api.ticket(ticket_id).json()["checkpoints"]
    json_accept = {"Accept": "application/json"}
    for query in ("", "?", "?token=", f"?token={token}&token={token}", f"?token={token}&token=x", f"?TOKEN={token}"):
        assert_refused(api.request("GET", path + query, headers=json_accept), 400)
    forms = [
        f"token={token}&token={token}&decision=approve",
        f"token={token}&decision=approve&decision=reject",
        "decision=approve",
        f"token={token}",
        f"token={token}&decision=APPROVE",
        f"token={token}&decision=approve&comment=" + "c" * 1001,
    ]
    for form in forms:
        assert_refused(api.request("POST", path, form.encode(), FORM), 400)
    bodies = [{"token": token, "decision": ["approve"]}, {"token": token, "decision": None}, [token, "approve"]]
    for body in bodies:
        reply = api.request("POST", path, json.dumps(body).encode(), {**JSON, **json_accept})
        assert_refused(reply, 400, "malformed_json")
    assert api.ticket(ticket_id).json()["checkpoints"] == before
    assert api.request("GET", f"{path}?token={token}&utm_source=mail", headers=json_accept).status == 200
    assert api.post_decision(link, "approve").status == 200
    wait_for_state(api, ticket_id, {"COMPLETED"})


def test_a_retried_submission_with_its_idempotency_key_is_the_same_ticket(api: ApiClient, stack: LocalRuntime):
    before = executions(stack)
    headers = {**JSON, "Idempotency-Key": "retry-after-timeout-7"}
    first = api.request("POST", "/tickets", json.dumps(VALID).encode(), headers)
    retries = [api.request("POST", "/tickets", json.dumps(VALID).encode(), headers) for _ in range(3)]
    assert first.status == 202 and all(r.status == 202 and r.json() == first.json() for r in retries)
    assert all(r.headers.get("Idempotent-Replayed") == "true" for r in retries)
    other = api.request("POST", "/tickets", json.dumps({**VALID, "description": "Another issue."}).encode(), headers)
    assert_refused(other, 409, "idempotency_key_reused")
    assert executions(stack) == before + 1
