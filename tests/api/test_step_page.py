"""A step-report link over HTTP (`/steps/{id}`), on the fakes: GET shows the step and never decides; POST
reports once; forged, foreign, expired, closed and replayed links change nothing (the confirmation's rules)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from tests.api.test_app import call, world
from tests.fakes import FakeServices
from tests.journey import TICKET, latest
from tests.logic.test_person_steps import approved, ask, execute, person_services, reported
from ticketing.domain.approval_link import CONFIRMATION_PURPOSE, STEP_PURPOSE
from ticketing.domain.errors import ResolutionStepFailed

PATH = f"/steps/{TICKET.ticket_id}"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


@pytest.fixture
def services() -> FakeServices:
    return person_services()


def asked(services: FakeServices) -> str:
    return ask(services, execute(services, approved(services)))


def test_get_shows_the_step_and_decides_nothing(services: FakeServices) -> None:
    token = asked(services)
    before = world(services)
    page = call(services, "GET", PATH, headers={"Accept": "text/html"}, query={"token": [token]})
    assert page.status == 200 and "Restart the router" in page.text
    assert "Done" in page.text and "Didn&#x27;t help" in page.text
    as_json = call(services, "GET", PATH, headers={"Accept": "application/json"}, query={"token": [token]})
    shown = as_json.json()
    assert shown["step"]["action_id"] == "network.restart-router" and shown["kind"] == "customer"
    assert shown["outcomes"] == ["done", "failed"]
    assert world(services) == before and services.workflow.step_reports == []


def test_the_pages_form_reports_done_once_and_a_replay_is_409(services: FakeServices) -> None:
    approval = approved(services)
    token = ask(services, execute(services, approval))
    body = urlencode({"token": token, "note": "rebooted, lights are green", "outcome": "done"})
    first = call(services, "POST", PATH, body, headers=FORM)
    assert first.status == 200 and "Thank you" in first.text
    ((_, given),) = services.workflow.step_reports
    assert (given.outcome, given.note, given.action_id) == (
        "done",
        "rebooted, lights are green",
        "network.restart-router",
    )
    execute(services, approval, reported(services))
    before = world(services)
    replay = call(services, "POST", PATH, {"token": token, "outcome": "failed"})
    assert replay.error == (409, "already_reported")
    assert call(services, "GET", PATH, headers={"Accept": "application/json"}, query={"token": [token]}).error == (
        409,
        "already_reported",
    )
    assert world(services) == before


def test_the_engineers_page_offers_done_and_failed_and_takes_json(services: FakeServices) -> None:
    approval = approved(services)
    first = ask(services, execute(services, approval))
    assert call(services, "POST", PATH, {"token": first, "outcome": "done"}).status == 200
    token = ask(services, execute(services, approval, reported(services)), "step-token-2")
    page = call(services, "GET", PATH, headers={"Accept": "text/html"}, query={"token": [token]})
    assert "Check for a provider outage" in page.text and "Failed" in page.text and "Didn&#x27;t" not in page.text
    answer = call(services, "POST", PATH, {"token": token, "outcome": "failed", "note": "Outage until 18:00"})
    assert answer.status == 200 and answer.json()["report"]["kind"] == "engineer"


@pytest.mark.parametrize(
    "mangle",
    [lambda t: t[:-3] + "abc", lambda t: t[:20], lambda t: "x" + t, lambda t: t.replace(".", "..")],
    ids=["altered-mac", "truncated", "prefixed", "two-dots"],
)
def test_a_forged_link_is_403_and_changes_nothing(services: FakeServices, mangle) -> None:  # type: ignore[no-untyped-def]
    token = asked(services)
    before = world(services)
    assert call(services, "POST", PATH, {"token": mangle(token), "outcome": "done"}).error == (
        403,
        "step_link_invalid",
    )
    get = call(services, "GET", PATH, headers={"Accept": "application/json"}, query={"token": [mangle(token)]})
    assert get.error[0] == 403
    assert world(services) == before


@pytest.mark.parametrize("purpose", ["ticket-approval", CONFIRMATION_PURPOSE])
def test_an_approval_or_confirmation_link_cannot_report_a_step(services: FakeServices, purpose: str) -> None:
    asked(services)
    waiting = latest(services)
    other = services.signer.issue(
        ticket_id=TICKET.ticket_id,
        checkpoint_hash=waiting.content_hash,
        plan_hash="p",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        round=waiting.sequence,
        purpose=purpose,
    )
    before = world(services)
    assert call(services, "POST", PATH, {"token": other, "outcome": "done"}).error == (403, "step_link_invalid")
    assert world(services) == before


def test_a_link_for_another_ticket_is_403(services: FakeServices) -> None:
    token = asked(services)
    other = "/steps/tkt-20261125-0123456789ac"
    assert call(services, "POST", other, {"token": token, "outcome": "done"}).error == (403, "step_link_invalid")


def test_an_expired_link_is_410_and_changes_nothing(services: FakeServices) -> None:
    asked(services)
    waiting = latest(services)
    expired = services.signer.issue(
        ticket_id=TICKET.ticket_id,
        checkpoint_hash=waiting.content_hash,
        plan_hash="p",
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
        round=waiting.sequence,
        purpose=STEP_PURPOSE,
    )
    before = world(services)
    assert call(services, "POST", PATH, {"token": expired, "outcome": "done"}).error == (410, "step_link_expired")
    assert world(services) == before


def test_a_step_that_timed_out_is_410_as_a_page_for_a_browser(services: FakeServices) -> None:
    approval = approved(services)
    token = ask(services, execute(services, approval))
    with pytest.raises(ResolutionStepFailed):
        execute(services, approval, {"Error": "States.Timeout"})
    answer = call(services, "POST", PATH, urlencode({"token": token, "outcome": "done"}), headers=FORM)
    assert answer.status == 410 and "step_report_closed" in answer.text and "<!doctype html>" in answer.text


@pytest.mark.parametrize(
    ("body", "code"),
    [({"outcome": "maybe"}, "invalid_report"), ({"outcome": "done"}, "invalid_request")],
    ids=["unknown-outcome", "no-token"],
)
def test_a_malformed_report_is_400_and_changes_nothing(services: FakeServices, body, code) -> None:  # type: ignore[no-untyped-def]
    token = asked(services)
    before = world(services)
    sent = {**({"token": token} if body.get("outcome") == "maybe" else {}), **body}
    assert call(services, "POST", PATH, sent).error == (400, code)
    assert world(services) == before


def test_the_ticket_view_and_the_conversation_know_the_waiting_step(services: FakeServices) -> None:
    asked(services)
    view = call(services, "GET", f"/tickets/{TICKET.ticket_id}").json()
    assert view["state"] == "AWAITING_STEP_REPORT"
    assert view["step_request"]["action_id"] == "network.restart-router" and view["step_request"]["kind"] == "customer"
    assert "step-token-1" not in json.dumps(view)
    assert view["checkpoints"][-1]["note"] == "network.restart-router waits for the customer's report"
    said = call(services, "POST", f"/tickets/{TICKET.ticket_id}/messages", {"text": "What do I need to do?"})
    assert "'Restart the router or modem' is for you to do" in said.json()["reply"]["text"]
