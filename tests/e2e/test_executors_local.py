"""The catalog's real executors on the local stack: Cognito and Run Command in moto, through the whole workflow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from local_runtime.customer_systems import Customer, CustomerSystems
from local_runtime.http_client import ApiClient, approval_link
from local_runtime.runtime import LocalRuntime
from tests.e2e.conftest import emails_for, wait_for_state

SYSTEMS = CustomerSystems([Customer("cust-exec", "exec@example.com"), Customer("cust-bare", "bare@example.com", 0)])


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    with LocalRuntime(context={"resolution_executor": "catalog"}, emulations=[SYSTEMS]) as runtime:
        yield runtime


def approve(api: ApiClient, customer_id: str, description: str) -> str:
    reply = api.submit({"customer_id": customer_id, "customer_email": "c@example.com", "description": description})
    ticket_id = str(reply.json()["ticket_id"])
    wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    deadline = time.monotonic() + 10
    while not (sent := emails_for(api, ticket_id, "approval-request")):
        assert time.monotonic() < deadline, "no approval email"
        time.sleep(0.02)
    api.post_decision(approval_link(sent[0]), "approve")
    return ticket_id


def results(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["action_id"]: r for r in view["step_results"]}


def test_device_steps_run_through_run_command_on_the_customers_tagged_instance(api: ApiClient):
    ticket_id = approve(api, "cust-exec", "My wifi keeps dropping every few minutes.")
    ran = results(wait_for_state(api, ticket_id, {"COMPLETED"}))
    check = ran["network.check-connection-status"]
    assert check["executor"] == "device" and "supportflow-local-DeviceCommandsCheckConnection" in check["detail"]
    assert [i["instance_id"] for i in check["instances"]] == SYSTEMS.instances["cust-exec"]
    assert ran["network.restart-router"]["executor"] == "simulated"  # a customer step: not wired yet


def test_identity_steps_run_through_cognito_on_the_customers_user(api: ApiClient):
    ticket_id = approve(api, "cust-exec", "I forgot my password and cannot sign in to my account.")
    ran = results(wait_for_state(api, ticket_id, {"COMPLETED"}))
    assert ran["account.reset-password"]["executor"] == "identity"
    assert SYSTEMS.user_status("cust-exec") == "RESET_REQUIRED"


def test_no_managed_instance_fails_the_ticket_with_the_reason(api: ApiClient):
    ticket_id = approve(api, "cust-bare", "My wifi keeps dropping every few minutes.")
    view = wait_for_state(api, ticket_id, {"FAILED"})
    assert "No managed instance is tagged supportflow:customer=cust-bare" in view["step_results"][0]["detail"]
