"""One local stack (moto + handlers + HTTP) per end-to-end test module.

Module scope, not session scope: a running stack keeps moto active process-wide,
which other test modules must not inherit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local_runtime.http_client import ApiClient, approval_link
from local_runtime.runtime import LocalRuntime


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    with LocalRuntime() as runtime:
        yield runtime


@pytest.fixture
def api(stack: LocalRuntime) -> ApiClient:
    return ApiClient(stack.base_url)


# A run writes its final checkpoint (and publishes its event) a moment before it stops.
_FINAL = {"COMPLETED", "REJECTED", "EXPIRED", "FAILED", "CLOSED", "ESCALATED"}


def wait_for_state(api: ApiClient, ticket_id: str, states: set[str], timeout: float = 30) -> dict[str, Any]:
    """The ticket once in one of `states`; for final states, once its run has stopped too (a resume may follow)."""
    deadline = time.monotonic() + timeout
    while True:
        view = api.ticket(ticket_id).json()
        settled = view["state"] not in _FINAL or view["workflow"]["status"] != "RUNNING"
        if view["state"] in states and settled:
            return dict(view)
        if time.monotonic() > deadline:
            raise AssertionError(f"{ticket_id} is {view['state']}, expected one of {states}")
        time.sleep(0.02)


def emails_for(api: ApiClient, ticket_id: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in api.outbox() if ticket_id in e["subject"] and e["kind"] == kind]


def submit_and_wait_for_link(
    api: ApiClient, description: str = "My wifi keeps dropping every few minutes."
) -> tuple[str, str]:
    reply = api.submit({"customer_id": "cust-e2e", "customer_email": "e2e@example.com", "description": description})
    assert reply.status == 202, reply.text
    ticket_id = reply.json()["ticket_id"]
    wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    deadline = time.monotonic() + 10
    while not (found := emails_for(api, ticket_id, "approval-request")):
        assert time.monotonic() < deadline, "no approval email"
        time.sleep(0.02)
    return ticket_id, approval_link(found[0])


def race_decisions(api: ApiClient, link: str, clicks: int) -> list[tuple[str, int, dict[str, Any]]]:
    """Post approve and reject (alternating) on one link from `clicks` threads released at once.

    Returns (decision, status, body) for every click.
    """
    replies: list[tuple[str, int, dict[str, Any]]] = []
    lock = threading.Lock()
    start = threading.Barrier(clicks)

    def click(decision: str) -> None:
        start.wait()
        reply = api.post_decision(link, decision, accept="application/json")
        with lock:
            replies.append((decision, reply.status, reply.json()))

    threads = [threading.Thread(target=click, args=("approve" if i % 2 else "reject",)) for i in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies


def in_parallel[T](count: int, make: Callable[[], T]) -> list[T]:
    """`make()` on `count` threads at once (e.g. submitting tickets to race on); the results, in any order."""
    made: list[T] = []
    lock = threading.Lock()

    def one() -> None:
        found = make()
        with lock:
            made.append(found)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == count
    return made
