"""The console's pages: what customers, models and approvers wrote is escaped; sections say what the ticket did."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local_runtime.console.data import HIDDEN_TOKEN, CheckpointEntry, TicketDetails, ticket_row, waits_on
from local_runtime.console.graph import Lit
from local_runtime.console.history import ExecutionTrace, StateTiming
from local_runtime.console.pages import age, list_page, ticket_page
from local_runtime.outbox import OutboxEmail
from tests.conftest import make_ticket
from tests.fakes import FakeServices
from tests.journey import await_approval
from ticketing.api.contract import TicketView
from ticketing.logic.tickets import ticket_record

SCRIPT = "<script>alert('pwned')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
HOSTILE = make_ticket(description=f"My wifi drops. {SCRIPT}", subject=IMAGE, customer_id="cust-1")


@pytest.fixture
def details() -> TicketDetails:
    services = FakeServices()
    await_approval(services, HOSTILE, task_token="task-token-secret")
    view = TicketView.of(ticket_record(services, HOSTILE.ticket_id)).model_dump(mode="json")
    checkpoints = services.checkpoints.history(HOSTILE.ticket_id, HOSTILE.customer_id)
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    execution = ExecutionTrace(
        name=HOSTILE.ticket_id,
        status="RUNNING",
        started_at=start,
        states=[StateTiming(name="Resumed?", at_ms=0.0, took_ms=1.0), StateTiming(name="Await approval", at_ms=5.0)],
        last_event="TaskSubmitted",
    )
    return TicketDetails(
        view=view,
        executions=[execution],
        checkpoints=[CheckpointEntry(c, HOSTILE.ticket_id, "Await approval") for c in checkpoints],
        emails=[
            OutboxEmail(
                message_id="m-1",
                to=["approver@example.com"],
                subject=f"Approval needed: {HOSTILE.ticket_id} {SCRIPT}",
                text="",
                html="",
                sent_at=start,
                kind="approval-request",
            )
        ],
        rounds=[],
        lit=Lit(visited=frozenset({"Resumed?", "Await approval"}), current="Await approval", running=True),
    )


def no_markup_from(page: str) -> None:
    assert "<script" not in page and "<img" not in page and "onerror=alert(1)>" not in page


def test_the_ticket_page_escapes_what_the_customer_wrote(details: TicketDetails) -> None:
    page = ticket_page(details, "<svg></svg>")
    no_markup_from(page)
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_ticket_page_shows_the_trail_with_the_writing_step_and_never_the_task_token(
    details: TicketDetails,
) -> None:
    page = ticket_page(details, "<svg></svg>")
    assert [int(n) for n in re.findall(r"<tr id='checkpoint-(\d+)'>", page)] == [1, 2, 3]
    assert page.count("<td class='written-by'>Await approval") == 3
    assert "task-token-secret" not in page and HIDDEN_TOKEN in page
    assert "<details><summary>data</summary><pre>{" in page
    assert "Approval needed: " in page and "id='approval-view'" in page


def test_events_and_webhook_deliveries_appear_only_when_the_stack_records_them(details: TicketDetails) -> None:
    assert "id='events'" not in ticket_page(details, "") and "id='webhooks'" not in ticket_page(details, "")
    recorded = TicketDetails(
        **{
            **details.__dict__,
            "events": [{"sequence": 3, "detail_type": SCRIPT}],
            "webhooks": [{"url": "https://hooks.example.com/x", "status": IMAGE, "attempts": 1}],
        }
    )
    page = ticket_page(recorded, "")
    no_markup_from(page)
    assert "<h2 id='events'>Events</h2>" in page and "<th>detail_type</th>" in page
    assert "<h2 id='webhooks'>Webhook deliveries</h2>" in page and "<td>https://hooks.example.com/x</td>" in page


def view_of(**overrides: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "ticket_id": "tkt-20261125-0123456789ab",
        "customer_id": "cust-1",
        "subject": "",
        "description": "My wifi drops.",
        "submitted_at": "2026-11-25T09:00:00+00:00",
        "state": "AWAITING_APPROVAL",
        "analysis": {"category": "network", "severity": "medium", "summary": "Wifi drops"},
        "approval": {
            "approver_email": "alex@example.com",
            "approvers": ["alex@example.com", "sam@example.com"],
            "approvals_needed": 2,
            "votes": [{"approver": "alex@example.com", "outcome": "approved"}],
        },
    }
    return view | overrides


def test_a_ticket_waits_on_the_approvers_who_have_not_answered() -> None:
    assert waits_on(view_of()) == "approver: sam@example.com (1 of 2)"
    assert waits_on(view_of(state="EXECUTING")) == ""
    assert waits_on(view_of(state="AWAITING_CUSTOMER", approval=None)) == "customer"


def test_the_list_escapes_and_shows_one_row_per_ticket_in_the_order_given() -> None:
    rows = [
        ticket_row(view_of(ticket_id="tkt-20261125-00000000000b", subject=SCRIPT, customer_id="cust-2")),
        ticket_row(view_of()),
    ]
    now = datetime(2026, 11, 25, 9, 3, 12, tzinfo=UTC)
    page = list_page(rows, now, "AWAITING_APPROVAL")
    no_markup_from(page)
    assert re.findall(r"<tr data-ticket='([^']+)'>", page) == [r.ticket_id for r in rows]
    assert "<meta http-equiv='refresh' content='5'>" in page
    assert "<option value='AWAITING_APPROVAL' selected>" in page
    assert ">3m 12s<" in page and rows[1].subject == "Wifi drops"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(42, "42s"), (192, "3m 12s"), (7500, "2h 5m"), (timedelta(days=3, hours=4).total_seconds(), "3d 4h")],
)
def test_an_age_reads_in_its_two_largest_units(seconds: float, said: str) -> None:
    assert age(seconds) == said
