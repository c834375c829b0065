"""End to end: after the last step the customer is asked "Is your issue resolved?" (customer_confirmation on).

"Yes, it works" ends CLOSED; "No, it still happens" reopens the ticket, which is analysed again and goes
to a second approval round; no answer within the confirmation timeout ends CLOSED with a note."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from local_runtime.http_client import ApiClient, approval_link
from local_runtime.runtime import LocalRuntime

from .conftest import emails_for, submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow

CONFIRMATION_TIMEOUT = 8
CONFIRMATION_LINK = re.compile(r"https?://\S+/confirmations/\S+")
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    context = {"customer_confirmation": True, "confirmation_timeout_seconds": CONFIRMATION_TIMEOUT}
    with LocalRuntime(context=context) as runtime:
        yield runtime


def confirmation_link(api: ApiClient, ticket_id: str, question: int = 1) -> str:
    deadline = time.monotonic() + 10
    while len(found := emails_for(api, ticket_id, "confirmation")) < question:
        assert time.monotonic() < deadline, "no confirmation email"
        time.sleep(0.02)
    match = CONFIRMATION_LINK.search(found[question - 1]["text"])
    assert match
    return match.group(0)


def answer(api: ApiClient, link: str, said: str, comment: str = "") -> Any:
    token = link.split("token=", 1)[1]
    from urllib.parse import unquote

    body = urlencode({"token": unquote(token), "answer": said, "comment": comment}).encode()
    return api.request("POST", link.split("?", 1)[0], body, FORM)


def approved_and_asked(api: ApiClient) -> tuple[str, str]:
    ticket_id, link = submit_and_wait_for_link(api)
    assert api.post_decision(link, "approve").status == 200
    wait_for_state(api, ticket_id, {"AWAITING_CONFIRMATION"})
    return ticket_id, confirmation_link(api, ticket_id)


def test_an_approved_plan_ends_closed_after_yes_it_works(api: ApiClient, stack: LocalRuntime) -> None:
    ticket_id, link = approved_and_asked(api)
    shown = api.open_page(link)
    assert shown.status == 200 and "Yes, it works" in shown.text
    assert api.ticket(ticket_id).json()["state"] == "AWAITING_CONFIRMATION"  # GET decided nothing
    reply = answer(api, link, "yes", "the connection seems stable now")
    assert reply.status == 200 and reply.json()["answer"]["outcome"] == "resolved"
    view = wait_for_state(api, ticket_id, {"CLOSED"})
    states = [c["state"] for c in view["checkpoints"]]
    assert states[-4:] == ["COMPLETED", "AWAITING_CONFIRMATION", "RESOLVED", "CLOSED"]
    assert view["answers"][0]["comment"] == "the connection seems stable now"
    assert view["closing_note"].startswith("Closed: the customer confirmed")
    assert stack.wait_for_execution(ticket_id)["status"] == "SUCCEEDED"
    assert answer(api, link, "no").status == 409  # a second click changes nothing
    assert emails_for(api, ticket_id, "closed-resolved")
    said = api.request(
        "POST", f"/tickets/{ticket_id}/messages", b'{"text": "Where are we?"}', {"Content-Type": "application/json"}
    )
    assert "closed" in said.json()["reply"]["text"].lower()


def test_no_reopens_the_ticket_into_a_second_approval_round(api: ApiClient, stack: LocalRuntime) -> None:
    ticket_id, link = approved_and_asked(api)
    assert answer(api, link, "no", "It still drops every evening").status == 200
    deadline = time.monotonic() + 30
    while len(requests := emails_for(api, ticket_id, "approval-request")) < 2:
        assert time.monotonic() < deadline, "no second approval request"
        time.sleep(0.05)
    view = wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    states = [c["state"] for c in view["checkpoints"]]
    assert "REOPENED" in states and states[states.index("REOPENED") + 1] == "ANALYZING"
    assert view["reopenings"] == 1 and len(view["earlier_rounds"]) == 1 and view["decision"] is None
    assert emails_for(api, ticket_id, "reopened")
    # The second round is approved with its own link; the customer is asked again, a second question.
    assert api.post_decision(approval_link(requests[1]), "approve").status == 200
    wait_for_state(api, ticket_id, {"AWAITING_CONFIRMATION"})
    second = confirmation_link(api, ticket_id, question=2)
    assert answer(api, second, "yes").status == 200
    view = wait_for_state(api, ticket_id, {"CLOSED"})
    assert [a["outcome"] for a in view["answers"]] == ["reopened", "resolved"]


def test_no_answer_closes_the_ticket_with_a_note(api: ApiClient, stack: LocalRuntime) -> None:
    ticket_id, link = approved_and_asked(api)
    view = wait_for_state(api, ticket_id, {"CLOSED"}, timeout=CONFIRMATION_TIMEOUT + 20)
    assert "did not answer" in view["closing_note"] and view["answers"] == []
    assert emails_for(api, ticket_id, "closed-unanswered")
    late = answer(api, link, "yes")
    assert late.status == 410 and late.json()["error"] in ("confirmation_closed", "confirmation_link_expired")
