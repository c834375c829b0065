"""A decision that reaches Step Functions after the approval task timed out gets a clear 410.

The expiry step is held back, so the checkpoint still says AWAITING_APPROVAL when the
click arrives: the API's own checks pass and Step Functions itself must refuse the
late result (TaskTimedOut). That refusal is mapped, never a 500, and changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local_runtime.http_client import ApiClient
from local_runtime.runtime import LocalRuntime
from tests.figures import record

from .conftest import submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    with LocalRuntime(context={"approval_timeout_seconds": 2, "approval_link_ttl_seconds": 3600}) as runtime:
        yield runtime


@pytest.fixture
def expiry_held(stack: LocalRuntime) -> Iterator[tuple[threading.Event, threading.Event]]:
    """The expiry step waits until released; `entered` says the timeout fired."""
    from ticketing.handlers import close_ticket  # imported once the stack set the functions' environment

    entered, release = threading.Event(), threading.Event()
    name = stack.function_named("ticketing.handlers.close_ticket")

    def held(event: dict[str, Any], context: Any) -> Any:
        if event.get("outcome") == "EXPIRED":
            entered.set()
            release.wait(30)
        return close_ticket.handler(event, context)

    stack.replace_handler(name, held)
    yield entered, release
    release.set()
    stack.replace_handler(name, close_ticket.handler)


def test_a_decision_after_the_task_timed_out_is_410_expired_and_runs_nothing(api: ApiClient, stack, expiry_held):
    entered, release = expiry_held
    ticket_id, link = submit_and_wait_for_link(api)
    assert entered.wait(20), "the approval task never timed out"
    assert api.ticket(ticket_id).json()["state"] == "AWAITING_APPROVAL"  # only Step Functions knows yet

    late = [api.post_decision(link, d, accept="application/json") for d in ("approve", "reject", "approve")]
    page = api.post_decision(link, "approve")
    assert [r.status for r in late] == [410, 410, 410] and page.status == 410
    assert all(r.json()["error"] == "approval_expired" and "expired" in r.json()["message"] for r in late)
    assert "expired" in page.text

    release.set()
    view = wait_for_state(api, ticket_id, {"EXPIRED"})
    assert view["decision"] is None and view["step_results"] == []
    assert [c["state"] for c in view["checkpoints"]][-2:] == ["AWAITING_APPROVAL", "EXPIRED"]
    assert any(e["type"] == "TaskTimedOut" for e in stack.history(ticket_id))
    record("decision_after_timeout", {"late_decisions": len(late) + 1, "accepted": 0, "status": 410})
