"""The customer's confirmation link over HTTP (`/confirmations/{id}`), on the fakes: GET shows and never
decides; POST answers once; forged, expired, replayed and foreign links change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from tests.api.test_app import call, world
from tests.fakes import FakeServices
from tests.journey import TICKET, latest
from tests.logic.test_confirmation import asked, executed, record
from ticketing.domain.approval_link import CONFIRMATION_PURPOSE

PATH = f"/confirmations/{TICKET.ticket_id}"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


@pytest.fixture
def services() -> FakeServices:
    services = FakeServices()
    executed(services)
    return services


def test_get_shows_the_question_and_decides_nothing(services: FakeServices) -> None:
    token = asked(services)
    before = world(services)
    page = call(services, "GET", PATH, headers={"Accept": "text/html"}, query={"token": [token]})
    assert page.status == 200 and "Yes, it works" in page.text and "No, it still happens" in page.text
    as_json = call(services, "GET", PATH, headers={"Accept": "application/json"}, query={"token": [token]})
    assert as_json.json()["question"] == 1 and as_json.json()["answers"] == ["yes", "no"]
    assert world(services) == before and services.workflow.answers == []


def test_the_pages_form_posts_yes_once_and_a_replay_is_409(services: FakeServices) -> None:
    token = asked(services)
    body = urlencode({"token": token, "comment": "the connection seems stable now", "answer": "yes"})
    first = call(services, "POST", PATH, body, headers=FORM)
    assert first.status == 200 and "Thank you" in first.text
    ((_, given),) = services.workflow.answers
    assert (given.outcome, given.comment) == ("resolved", "the connection seems stable now")
    record(services, given)
    before = world(services)
    replay = call(services, "POST", PATH, {"token": token, "answer": "no"})
    assert replay.error == (409, "already_answered")
    assert world(services) == before


def test_no_with_a_comment_is_accepted_as_json(services: FakeServices) -> None:
    token = asked(services)
    answer = call(services, "POST", PATH, {"token": token, "answer": "no", "comment": "still drops"})
    assert answer.status == 200 and answer.json()["answer"]["outcome"] == "reopened"


@pytest.mark.parametrize(
    "mangle",
    [lambda t: t[:-3] + "abc", lambda t: t[:20], lambda t: "x" + t, lambda t: t.replace(".", "..")],
    ids=["altered-mac", "truncated", "prefixed", "two-dots"],
)
def test_a_forged_link_is_403_and_changes_nothing(services: FakeServices, mangle) -> None:  # type: ignore[no-untyped-def]
    token = asked(services)
    before = world(services)
    assert call(services, "POST", PATH, {"token": mangle(token), "answer": "yes"}).error == (
        403,
        "confirmation_link_invalid",
    )
    assert (
        call(services, "GET", PATH, headers={"Accept": "application/json"}, query={"token": [mangle(token)]}).error[0]
        == 403
    )
    assert world(services) == before


def test_an_approval_link_cannot_answer_the_question(services: FakeServices) -> None:
    asked(services)
    waiting = latest(services)
    approval_token = services.signer.issue(
        ticket_id=TICKET.ticket_id,
        checkpoint_hash=waiting.content_hash,
        plan_hash=waiting.data.plan_hash or "",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        round=1,
    )
    before = world(services)
    assert call(services, "POST", PATH, {"token": approval_token, "answer": "yes"}).error == (
        403,
        "confirmation_link_invalid",
    )
    assert world(services) == before


def test_an_expired_link_is_410_and_changes_nothing(services: FakeServices) -> None:
    asked(services)
    waiting = latest(services)
    expired = services.signer.issue(
        ticket_id=TICKET.ticket_id,
        checkpoint_hash=waiting.content_hash,
        plan_hash=(waiting.data.approved_plan or waiting.data.plan).plan_hash,  # type: ignore[union-attr]
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
        round=1,
        purpose=CONFIRMATION_PURPOSE,
    )
    before = world(services)
    assert call(services, "POST", PATH, {"token": expired, "answer": "yes"}).error == (
        410,
        "confirmation_link_expired",
    )
    assert world(services) == before


def test_a_question_closed_without_an_answer_is_410_as_a_page_for_a_browser(services: FakeServices) -> None:
    token = asked(services)
    record(services, None)
    answer = call(services, "POST", PATH, urlencode({"token": token, "answer": "yes"}), headers=FORM)
    assert answer.status == 410 and "confirmation_closed" in answer.text and "<!doctype html>" in answer.text


@pytest.mark.parametrize(
    ("body", "code"),
    [({"answer": "maybe"}, "invalid_answer"), ({"answer": "yes"}, "invalid_request")],
    ids=["unknown-answer", "no-token"],
)
def test_a_malformed_answer_is_400_and_changes_nothing(services: FakeServices, body, code) -> None:  # type: ignore[no-untyped-def]
    token = asked(services)
    before = world(services)
    sent = {**({"token": token} if body.get("answer") == "maybe" else {}), **body}
    assert call(services, "POST", PATH, sent).error == (400, code)
    assert world(services) == before
