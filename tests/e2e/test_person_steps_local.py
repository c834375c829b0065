"""End to end on the local stack: an approved plan runs each step through its executor (Run Command and Cognito on
moto, the customer and the engineer through their signed step links), and ends CLOSED after the customer's "Yes".

The network plan: check the connection (device), restart the router (customer), reset the adapter (made an
identity step here by an executor override: sign out everywhere), check for a provider outage (engineer)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlencode

import pytest

from local_runtime.customer_systems import Customer, CustomerSystems
from local_runtime.http_client import ApiClient, approval_link
from local_runtime.runtime import LocalRuntime

from .conftest import emails_for, wait_for_state
from .test_customer_confirmation import answer, confirmation_link

pytestmark = pytest.mark.slow

SYSTEMS = CustomerSystems([Customer("cust-steps", "steps@example.com")])
STEP_TIMEOUT = 6
STEP_LINK = re.compile(r"https?://\S+/steps/\S+")
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    context = {
        "resolution_executor": "catalog",
        "person_steps": True,
        "person_step_timeout_seconds": STEP_TIMEOUT,
        "engineer_email": "engineer@example.com",
        "customer_confirmation": True,
        "executor_overrides": {"network.reset-adapter": {"kind": "identity", "operation": "sign-out-everywhere"}},
    }
    with LocalRuntime(context=context, emulations=[SYSTEMS]) as runtime:
        yield runtime


def approved(api: ApiClient) -> str:
    reply = api.submit(
        {"customer_id": "cust-steps", "customer_email": "steps@example.com", "description": "My wifi keeps dropping."}
    )
    ticket_id = str(reply.json()["ticket_id"])
    wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    deadline = time.monotonic() + 10
    while not (sent := emails_for(api, ticket_id, "approval-request")):
        assert time.monotonic() < deadline, "no approval email"
        time.sleep(0.02)
    assert api.post_decision(approval_link(sent[0]), "approve").status == 200
    return ticket_id


def step_link(api: ApiClient, ticket_id: str, kind: str) -> tuple[dict[str, Any], str]:
    """The step email to the customer or the engineer, and its link, once the workflow waits for the report."""
    wait_for_state(api, ticket_id, {"AWAITING_STEP_REPORT"})
    deadline = time.monotonic() + 10
    while not (found := emails_for(api, ticket_id, f"step-{kind}")):
        assert time.monotonic() < deadline, f"no {kind} step email"
        time.sleep(0.02)
    match = STEP_LINK.search(found[-1]["text"])
    assert match
    return found[-1], match.group(0)


def report(api: ApiClient, link: str, outcome: str, note: str = "") -> Any:
    body = urlencode({"token": unquote(link.split("token=", 1)[1]), "outcome": outcome, "note": note}).encode()
    return api.request("POST", link.split("?", 1)[0], body, FORM)


def test_each_step_runs_through_its_executor_and_yes_closes_the_ticket(api: ApiClient, stack: LocalRuntime) -> None:
    ticket_id = approved(api)
    email, link = step_link(api, ticket_id, "customer")
    assert email["to"] == ["steps@example.com"] and "Power-cycle the router" in email["text"]
    view = api.ticket(ticket_id).json()
    assert [r["action_id"] for r in view["step_results"]] == ["network.check-connection-status"]
    page = api.open_page(link)
    assert page.status == 200 and "Restart the router" in page.text
    assert api.ticket(ticket_id).json()["state"] == "AWAITING_STEP_REPORT"  # GET decided nothing
    assert report(api, link, "done", "rebooted; all lights green").status == 200

    email, engineer_link = step_link(api, ticket_id, "engineer")
    assert email["to"] == ["engineer@example.com"]
    assert report(api, engineer_link, "done", "No outage listed for the area.").status == 200
    assert report(api, link, "done").status == 409  # the customer's link answered once

    wait_for_state(api, ticket_id, {"AWAITING_CONFIRMATION"})
    assert answer(api, confirmation_link(api, ticket_id), "yes", "stable since the reboot").status == 200
    view = wait_for_state(api, ticket_id, {"CLOSED"})
    ran = {r["action_id"]: r for r in view["step_results"]}
    assert {a: r["executor"] for a, r in ran.items()} == {
        "network.check-connection-status": "device",
        "network.restart-router": "customer",
        "network.reset-adapter": "identity",
        "network.check-isp-outage": "engineer",
    }
    assert all(r["status"] == "succeeded" for r in ran.values())
    assert "rebooted; all lights green" in ran["network.restart-router"]["detail"]
    assert [i["instance_id"] for i in ran["network.check-connection-status"]["instances"]] == SYSTEMS.instances[
        "cust-steps"
    ]
    states = [c["state"] for c in view["checkpoints"]]
    assert states.count("AWAITING_STEP_REPORT") == 2
    assert states[-4:] == ["COMPLETED", "AWAITING_CONFIRMATION", "RESOLVED", "CLOSED"]
    assert stack.wait_for_execution(ticket_id)["status"] == "SUCCEEDED"


def test_didnt_help_fails_the_step_and_the_ticket(api: ApiClient) -> None:
    ticket_id = approved(api)
    _, link = step_link(api, ticket_id, "customer")
    assert report(api, link, "failed", "still drops every few minutes").status == 200
    view = wait_for_state(api, ticket_id, {"FAILED"})
    failed = view["step_results"][-1]
    assert (failed["action_id"], failed["status"], failed["executor"]) == (
        "network.restart-router",
        "failed",
        "customer",
    )
    assert "Didn't help" in failed["detail"]
    assert report(api, link, "done").status == 409


def test_no_report_in_time_fails_the_step(api: ApiClient) -> None:
    ticket_id = approved(api)
    _, link = step_link(api, ticket_id, "customer")
    view = wait_for_state(api, ticket_id, {"FAILED"}, timeout=STEP_TIMEOUT + 20)
    assert "did not report" in view["step_results"][-1]["detail"]
    late = report(api, link, "done")
    assert late.status == 410 and late.json()["error"] in ("step_report_closed", "step_link_expired")
