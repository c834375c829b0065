"""The approval wait times out: the ticket ends EXPIRED and the old link says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_runtime.http_client import ApiClient
from local_runtime.runtime import LocalRuntime

from .conftest import emails_for, submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    # The link outlives the wait, so a late click meets the closed request, not an expired link.
    with LocalRuntime(context={"approval_timeout_seconds": 2, "approval_link_ttl_seconds": 3600}) as runtime:
        yield runtime


def test_an_unanswered_request_expires_with_a_checkpoint_and_an_escalation(api: ApiClient, stack: LocalRuntime):
    ticket_id, link = submit_and_wait_for_link(api)
    view = wait_for_state(api, ticket_id, {"EXPIRED"}, timeout=20)
    assert [c["state"] for c in view["checkpoints"]][-2:] == ["AWAITING_APPROVAL", "EXPIRED"]
    assert view["step_results"] == [] and view["decision"] is None
    described = stack.wait_for_execution(ticket_id)
    assert described["status"] == "FAILED"
    assert any(e["type"] == "TaskTimedOut" for e in stack.history(ticket_id))
    (escalation,) = emails_for(api, ticket_id, "expired")
    assert set(escalation["to"]) == {"approver@example.com", "operations@example.com"}

    late = api.post_decision(link, "approve", accept="application/json")
    assert late.status == 410 and late.json()["error"] == "approval_expired"
    assert "expired" in late.json()["message"]
    assert api.open_page(link).status == 410
    assert api.ticket(ticket_id).json()["checkpoints"] == view["checkpoints"]
