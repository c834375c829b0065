"""docs/events/: the JSON Schema of each lifecycle event's detail, and an example of each.

`supportflow event-docs` writes them; a test holds the committed files to what this
module generates, so the published schema cannot drift from the code. The examples
are built from one made-up ticket walked through every state with the domain's own
functions (rules triage, the catalog's plan, `successor`), at fixed times.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticketing.domain.catalog import load_catalog
from ticketing.domain.checkpoint import Checkpoint, successor
from ticketing.domain.events import DETAIL_TYPES, detail_schema, lifecycle_event
from ticketing.domain.models import (
    ApprovalRequest,
    ConfirmationAnswer,
    ConfirmationRequest,
    Decision,
    ExternalRef,
    FailureReport,
    StepReportRequest,
    StepResult,
    Ticket,
    TicketState,
)
from ticketing.domain.triage import analyze_ticket

DOCS = Path(__file__).resolve().parents[1] / "docs" / "events"
BASE_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
_START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def slug(detail_type: str) -> str:
    return detail_type.lower().replace(" ", "-")


def example_checkpoints() -> dict[TicketState, Checkpoint]:
    """One checkpoint per state, of one ticket that goes every way a ticket can go."""
    ticket = Ticket(
        ticket_id="tkt-20261130-0a1b2c3d4e5f",
        customer_id="cust-42",
        customer_email="jo@example.com",
        subject="Connection drops",
        description="My internet connection keeps dropping every few minutes since this morning.",
        submitted_at=_START,
        external_ref=ExternalRef(system="jira", id="SUP-42", url="https://example.atlassian.net/browse/SUP-42"),
    )
    analysis = analyze_ticket(ticket)
    plan = load_catalog().plan_for(analysis)
    approval = ApprovalRequest(
        task_token="an example task token: never in an event",
        approver_email="lee@example.com",
        requested_at=_START + timedelta(seconds=3),
        link_expires_at=_START + timedelta(hours=72),
        approvers=["lee@example.com"],
        rule="all",
        group="support-leads",
    )
    decision = Decision(
        outcome="approved",
        plan_hash=plan.plan_hash,
        decided_at=_START + timedelta(minutes=20),
        decided_by="lee@example.com",
        comment="an approver's comment: never in an event",
        proposed_plan_hash=plan.plan_hash,
        approved_plan=plan,
    )
    rejection = decision.model_copy(
        update={"outcome": "rejected", "approved_plan": None, "reason": "Needs a site visit first."}
    )
    results = [
        StepResult(
            action_id=s.action_id,
            status="succeeded",
            detail="simulated",
            finished_at=_START + timedelta(minutes=21),
        )
        for s in plan.steps
    ]
    steps: list[tuple[TicketState, dict[str, object]]] = [
        (TicketState.ANALYZING, {}),
        (TicketState.FINDING_SOLUTION, {"analysis": analysis}),
        (TicketState.AWAITING_APPROVAL, {"plan": plan, "plan_hash": plan.plan_hash, "approval": approval}),
        (TicketState.EXECUTING, {"decision": decision, "approved_plan": plan}),
        (TicketState.COMPLETED, {"step_results": results}),
    ]
    found: dict[TicketState, Checkpoint] = {}
    current: Checkpoint | None = None
    for number, (state, changes) in enumerate(steps):
        current = _next(current, ticket, state, changes, number)
        found[state] = current
    waiting = found[TicketState.AWAITING_APPROVAL]
    found[TicketState.REJECTED] = _next(waiting, ticket, TicketState.REJECTED, {"decision": rejection}, 4)
    found[TicketState.EXPIRED] = _next(waiting, ticket, TicketState.EXPIRED, {}, 4)
    failure = FailureReport(error="StoreUnavailable", cause="(operators only)", failed_in=TicketState.EXECUTING)
    found[TicketState.FAILED] = _next(found[TicketState.EXECUTING], ticket, TicketState.FAILED, {"failure": failure}, 5)
    # The customer's confirmation (stacks with customer_confirmation on): asked, then yes, no, or no answer.
    completed = found[TicketState.COMPLETED]
    question = ConfirmationRequest(
        task_token="an example task token: never in an event",
        number=1,
        requested_at=_START + timedelta(minutes=26),
        link_expires_at=_START + timedelta(days=7, minutes=26),
    )
    asked = _next(completed, ticket, TicketState.AWAITING_CONFIRMATION, {"confirmation": question}, 6)
    found[TicketState.AWAITING_CONFIRMATION] = asked
    yes = ConfirmationAnswer(
        outcome="resolved", comment="a customer's comment: never in an event", answered_at=_START + timedelta(hours=2)
    )
    no = yes.model_copy(update={"outcome": "reopened"})
    found[TicketState.RESOLVED] = _next(asked, ticket, TicketState.RESOLVED, {"answers": [yes]}, 7)
    found[TicketState.CLOSED] = _next(
        found[TicketState.RESOLVED],
        ticket,
        TicketState.CLOSED,
        {"closing_note": "Closed: the customer confirmed that the issue is resolved."},
        8,
    )
    found[TicketState.REOPENED] = _next(
        asked,
        ticket,
        TicketState.REOPENED,
        {"answers": [no], "decision": None, "approved_plan": None, "step_results": [], "confirmation": None},
        7,
    )
    found[TicketState.ESCALATED] = _next(
        asked,
        ticket,
        TicketState.ESCALATED,
        {"answers": [no], "closing_note": "Escalated to the specialist after 1 reopening."},
        7,
    )
    # A person step (the customer restarts the router) waits for its report in the middle of the plan.
    step = StepReportRequest(
        task_token="an example task token: never in an event",
        action_id=plan.steps[-1].action_id,
        kind="customer",
        recipient="jo@example.com",
        number=5,
        requested_at=_START + timedelta(minutes=21),
        link_expires_at=_START + timedelta(days=2, minutes=21),
    )
    found[TicketState.AWAITING_STEP_REPORT] = _next(
        found[TicketState.EXECUTING], ticket, TicketState.AWAITING_STEP_REPORT, {"step_request": step}, 5
    )
    return found


def _next(
    current: Checkpoint | None, ticket: Ticket, state: TicketState, changes: dict[str, object], number: int
) -> Checkpoint:
    written = successor(
        current,
        ticket=ticket,
        state=state,
        step_key=f"example/{state.value}",
        changes=changes,
        now=_START + timedelta(minutes=number * 5),
    )
    assert written is not None
    return written


def documents() -> dict[str, str]:
    """File name -> content, for every file in docs/events/."""
    files: dict[str, str] = {}
    examples = example_checkpoints()
    index = [
        "# supportflow lifecycle events",
        "",
        "| detail-type | state | schema | example |",
        "| --- | --- | --- | --- |",
    ]
    for state, detail_type in DETAIL_TYPES.items():
        name = slug(detail_type)
        event = lifecycle_event(examples[state], base_url=BASE_URL)
        example = {
            "version": "0",
            "id": "6f1c0b8e-0000-4000-8000-000000000000",
            "detail-type": detail_type,
            "source": "supportflow",
            "account": "123456789012",
            "time": event.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "eu-west-1",
            "resources": [],
            "detail": event.detail.model_dump(mode="json"),
        }
        files[f"{name}.schema.json"] = json.dumps(detail_schema(detail_type), indent=2) + "\n"
        files[f"{name}.example.json"] = json.dumps(example, indent=2) + "\n"
        index.append(
            f"| {detail_type} | {state.value} | [{name}.schema.json]({name}.schema.json) | "
            f"[{name}.example.json]({name}.example.json) |"
        )
    index += [
        "",
        "Each schema describes the event's `detail`; the examples are whole EventBridge events as a rule's target",
        "receives them (and as webhook subscribers receive them). Generated by `supportflow event-docs`; a test",
        "holds these files to the code.",
        "",
    ]
    files["README.md"] = "\n".join(index)
    return files


def write(directory: Path = DOCS) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in documents().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written
