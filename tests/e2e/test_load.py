"""Load: hundreds of tickets at once over HTTP, each decided through its email link.

Every ticket must end in the state its decision calls for, with a complete and
gap-free checkpoint trail: none lost, none duplicated (one execution, one approval
email and one closing email each). Run alone with figures:
`.venv/bin/pytest -s tests/e2e/test_load.py`.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local_runtime.http_client import ApiClient, approval_link
from local_runtime.runtime import LocalRuntime

pytestmark = pytest.mark.slow

TICKETS = int(os.environ.get("SUPPORTFLOW_LOAD_TICKETS", "200"))
# Concurrent HTTP clients. All tickets are in flight at once (every one waits for its
# decision before any is decided); more clients only queue on the GIL of this process.
CLIENTS = 8
DESCRIPTIONS = (
    "My wifi keeps dropping every few minutes.",
    "I can't log in to the app, my password reset email never arrives.",
    "The application crashes with an error when I open a report.",
    "My laptop screen flickers and the battery does not charge.",
)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    with LocalRuntime() as runtime:
        yield runtime


def in_parallel[T, R](work: Callable[[T], R], items: list[T]) -> list[R]:
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(work, items))


def until[T](found: Callable[[], T | None], what: str, timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while (value := found()) is None:
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)  # polling costs the stack CPU too
    return value


def by_ticket(api: ApiClient, kind: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for email in api.outbox():
        if email["kind"] == kind:
            ticket_id = next(w for w in email["subject"].replace("(", " ").split() if w.startswith("tkt-"))
            found.setdefault(ticket_id, []).append(email)
    return found


def expected_trail(view: dict[str, Any], approved: bool) -> list[str]:
    head = ["ANALYZING", "FINDING_SOLUTION", "AWAITING_APPROVAL"]
    if not approved:
        return [*head, "REJECTED"]
    return [*head, "EXECUTING", *["EXECUTING"] * len(view["plan"]["steps"]), "COMPLETED"]


def test_hundreds_of_concurrent_tickets_each_end_as_decided_with_a_complete_trail(stack: LocalRuntime) -> None:
    api = ApiClient(stack.base_url, timeout=180)  # a request may queue behind hundreds of steps
    started = time.monotonic()
    requests = [
        {
            "customer_id": f"load-{i}",
            "customer_email": f"load-{i}@example.com",
            "description": DESCRIPTIONS[i % len(DESCRIPTIONS)],
        }
        for i in range(TICKETS)
    ]
    replies = in_parallel(api.submit, requests)
    assert [r.status for r in replies] == [202] * TICKETS
    ticket_ids = [r.json()["ticket_id"] for r in replies]
    assert len(set(ticket_ids)) == TICKETS
    submitted = time.monotonic()

    def all_asked() -> dict[str, list[dict[str, Any]]] | None:
        asked = by_ticket(api, "approval-request")
        return asked if set(ticket_ids) <= set(asked) else None

    asked = until(all_asked, "every approval email", timeout=240)
    approve = {ticket_id: i % 2 == 0 for i, ticket_id in enumerate(ticket_ids)}

    def decide(ticket_id: str) -> int:
        link = approval_link(asked[ticket_id][0])
        return api.post_decision(link, "approve" if approve[ticket_id] else "reject", accept="application/json").status

    assert in_parallel(decide, ticket_ids) == [200] * TICKETS
    decided = time.monotonic()

    def all_stopped() -> bool | None:
        running = stack.sfn.list_executions(stateMachineArn=stack.state_machine_arn, statusFilter="RUNNING")
        return True if not running["executions"] else None

    until(all_stopped, "every execution to stop", timeout=240)
    finished = time.monotonic()
    statuses = [stack.sfn.describe_execution(executionArn=stack.execution_arn(t))["status"] for t in ticket_ids]
    assert statuses == ["SUCCEEDED"] * TICKETS

    views = {t: v.json() for t, v in zip(ticket_ids, in_parallel(api.ticket, ticket_ids), strict=True)}
    end_states = Counter(v["state"] for v in views.values())
    for ticket_id, view in views.items():
        assert view["state"] == ("COMPLETED" if approve[ticket_id] else "REJECTED"), view
        assert [c["state"] for c in view["checkpoints"]] == expected_trail(view, approve[ticket_id]), ticket_id
        assert [c["sequence"] for c in view["checkpoints"]] == list(range(1, len(view["checkpoints"]) + 1))
        assert view["decision"]["outcome"] == ("approved" if approve[ticket_id] else "rejected")
        assert [e["name"] for e in view["executions"]] == [ticket_id]

    # Nothing duplicated: one execution, one approval request, one closing email per ticket.
    executions = stack.sfn.list_executions(stateMachineArn=stack.state_machine_arn, maxResults=1000)["executions"]
    assert sorted(e["name"] for e in executions) == sorted(ticket_ids)
    assert {t: len(e) for t, e in by_ticket(api, "approval-request").items()} == dict.fromkeys(ticket_ids, 1)
    closing = {**by_ticket(api, "completed"), **by_ticket(api, "rejected")}
    assert {t: len(e) for t, e in closing.items()} == dict.fromkeys(ticket_ids, 1)

    print(
        f"\nload: {TICKETS} tickets, {CLIENTS} HTTP clients; end states {dict(end_states)}; lost 0, duplicated 0; "
        f"submit {submitted - started:.1f}s, all asked + decided {decided - submitted:.1f}s, "
        f"all finished {finished - decided:.1f}s, wall {finished - started:.1f}s"
    )
