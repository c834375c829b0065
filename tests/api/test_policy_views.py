"""What the page and GET /tickets show of a round that needs two approvals, on the fakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.api.test_app import call
from tests.conftest import make_ticket
from tests.fakes import FakeServices, fake_settings
from tests.journey import await_approval, signed_link
from ticketing.domain.policy import parse_policy

EXAMPLE = parse_policy(yaml.safe_load((Path(__file__).resolve().parents[2] / "policies" / "example.yaml").read_text()))
ALEX, SAM = EXAMPLE.members("account-admins")
ACCOUNT = make_ticket("I can't log in to the app; it says my password is wrong.", customer_id="cust-42")


@pytest.fixture
def services() -> FakeServices:
    return FakeServices(settings=fake_settings(APPROVAL_POLICY=EXAMPLE.model_dump_json()))


@pytest.fixture
def tokens(services: FakeServices) -> dict[str, str]:
    waiting = await_approval(services, ACCOUNT)
    return {approver: signed_link(services, waiting, approver) for approver in (ALEX, SAM)}


def approve(services: FakeServices, token: str) -> Any:
    body = {"token": token, "decision": "approve"}
    return call(
        services,
        "POST",
        f"/approvals/{ACCOUNT.ticket_id}",
        body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )


def page(services: FakeServices, token: str) -> str:
    answer = call(
        services, "GET", f"/approvals/{ACCOUNT.ticket_id}", headers={"Accept": "text/html"}, query={"token": [token]}
    )
    assert answer.status == 200
    return answer.text


def test_the_page_says_who_decides_who_else_was_asked_and_what_is_still_needed(services, tokens):
    first = page(services, tokens[SAM])
    assert f"<dd id='approver'>{SAM}</dd>" in first and "needs 2 approvals" in first and "No approval yet" in first
    recorded = approve(services, tokens[ALEX])
    assert recorded.status == 200 and recorded.json()["decision"] is None
    assert (recorded.json()["approvals"], recorded.json()["approvals_needed"]) == (1, 2)
    after = page(services, tokens[SAM])
    assert f"Approved so far: {ALEX}" in after and "Still needed: 1" in after


def test_the_ticket_shows_the_votes_so_far_and_how_many_are_missing(services, tokens):
    approve(services, tokens[ALEX])
    view = call(services, "GET", f"/tickets/{ACCOUNT.ticket_id}").json()
    approval = view["approval"]
    assert (approval["approvers"], approval["approvals_needed"], approval["group"]) == (
        [ALEX, SAM],
        2,
        "account-admins",
    )
    assert [v["approver"] for v in approval["votes"]] == [ALEX] and approval["approvals_missing"] == 1
    assert approval["plan_risk"] == "high" and view["state"] == "AWAITING_APPROVAL"
