"""What the console shows, gathered from the running local stack.

The public view of a ticket comes from the API function itself (`GET /tickets/{id}`
through the same invoker the HTTP server uses), so the console never disagrees with
the API. What the API does not show an operator reads directly, in-process: the full
checkpoints (their data and the step key of the step that wrote them) from AgentCore
Memory through the checkpoint log adapter, the votes of every round, the executions'
histories from Step Functions, the emails from the outbox. Events and webhook
deliveries come from the stack when it records them (`ActivitySource`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ticketing.domain.catalog import load_catalog
from ticketing.domain.checkpoint import Checkpoint
from ticketing.domain.models import ApprovalRound
from ticketing.logic.approvals import ApprovalReview
from ticketing.ports import Services

from ..http_api import ApiInvoker, SentMail, proxy_event
from ..outbox import OutboxEmail
from .graph import Lit, edges_of
from .history import ExecutionTrace, trace

# Whoever holds a task token can complete the approval task: the console shows that one is kept, never its value.
HIDDEN_TOKEN = "(kept in the checkpoint, not shown)"
_RESUMED = re.compile(r"^(?P<ticket>.+)-r\d+$")


class StackSource(Protocol):
    """The parts of the running stack the console reads (LocalRuntime has them once started)."""

    @property
    def definition(self) -> dict[str, Any]: ...

    @property
    def state_machine_arn(self) -> str: ...

    @property
    def sfn(self) -> Any: ...


class ActivitySource(Protocol):
    """Optional: a stack that records lifecycle events and webhook deliveries offers them per ticket.

    Each item is a flat JSON-like mapping (say `sequence`, `detail_type`, `at`, or `url`,
    `status`, `attempts`); the console lists them as a table, escaped, in the order given.
    """

    def ticket_events(self, ticket_id: str) -> list[Mapping[str, Any]]: ...

    def webhook_deliveries(self, ticket_id: str) -> list[Mapping[str, Any]]: ...


def activity(source: object, name: str, ticket_id: str) -> list[Mapping[str, Any]]:
    """`source.<name>(ticket_id)` when the stack offers it, else nothing (the section is then not drawn)."""
    found = getattr(source, name, None)
    if not callable(found):
        return []
    return [dict(item) if isinstance(item, Mapping) else _as_mapping(item) for item in found(ticket_id)]


def _as_mapping(item: Any) -> Mapping[str, Any]:
    dump = getattr(item, "model_dump", None)
    return dict(dump(mode="json")) if callable(dump) else {"value": item}


class TicketNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class TicketRow:
    """One line of the ticket list."""

    ticket_id: str
    customer_id: str
    subject: str
    state: str
    category: str
    severity: str
    submitted_at: datetime
    waits_on: str

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "customer_id": self.customer_id,
            "subject": self.subject,
            "state": self.state,
            "category": self.category,
            "severity": self.severity,
            "submitted_at": self.submitted_at.isoformat(),
            "age_seconds": round((now - self.submitted_at).total_seconds()),
            "waits_on": self.waits_on,
        }


def waits_on(view: Mapping[str, Any]) -> str:
    """Whom the ticket waits for: the approvers still to answer, or the person an AWAITING_<X> state names."""
    state = str(view.get("state", ""))
    if not state.startswith("AWAITING_"):
        return ""
    approval = view.get("approval")
    if state == "AWAITING_APPROVAL" and approval:
        answered = {v["approver"] for v in approval.get("votes", [])}
        pending = [a for a in approval.get("approvers") or [approval["approver_email"]] if a not in answered]
        needed = approval.get("approvals_needed", 1)
        count = f" ({len(answered)} of {needed})" if needed > 1 else ""
        return f"approver: {', '.join(pending)}{count}"
    return state.removeprefix("AWAITING_").lower()


def ticket_row(view: Mapping[str, Any]) -> TicketRow:
    analysis = view.get("analysis") or {}
    return TicketRow(
        ticket_id=view["ticket_id"],
        customer_id=view["customer_id"],
        subject=view.get("subject") or (analysis.get("summary") or view.get("description", ""))[:120],
        state=view["state"],
        category=analysis.get("category", ""),
        severity=analysis.get("severity", ""),
        submitted_at=datetime.fromisoformat(view["submitted_at"]),
        waits_on=waits_on(view),
    )


@dataclass(frozen=True)
class CheckpointEntry:
    checkpoint: Checkpoint
    execution: str
    written_by: str  # the state machine state whose run wrote it ("" if no history says)

    @property
    def data(self) -> dict[str, Any]:
        """The checkpoint's data as stored, the task token left out (as `GET /tickets/{id}` leaves it out)."""
        dumped: dict[str, Any] = self.checkpoint.data.model_dump(mode="json")
        if dumped.get("approval"):
            dumped["approval"]["task_token"] = HIDDEN_TOKEN
        return dumped

    @property
    def data_json(self) -> str:
        return json.dumps(self.data, indent=2)


@dataclass(frozen=True)
class TicketDetails:
    view: dict[str, Any]
    executions: list[ExecutionTrace]
    checkpoints: list[CheckpointEntry]
    emails: list[OutboxEmail]
    rounds: list[ApprovalRound]
    lit: Lit
    events: list[Mapping[str, Any]] = field(default_factory=list)
    webhooks: list[Mapping[str, Any]] = field(default_factory=list)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class ConsoleData:
    """Reads the stack for the console's pages; built before the stack starts, reads only when asked."""

    def __init__(
        self, invoke_api: ApiInvoker, outbox: SentMail, stack: StackSource, services: Callable[[], Services]
    ) -> None:
        self._invoke_api = invoke_api
        self._outbox = outbox
        self._stack = stack
        self._services = services

    def api_get(self, path: str) -> tuple[int, dict[str, Any]]:
        """`GET path` answered by the API function, as API Gateway would invoke it."""
        result, failed = self._invoke_api(proxy_event("GET", path, {"Accept": ["application/json"]}, b"", "127.0.0.1"))
        if failed:
            raise RuntimeError(f"the API function failed: {result.get('errorMessage')}")
        return int(result["statusCode"]), json.loads(result.get("body") or "{}")

    def ticket_view(self, ticket_id: str) -> dict[str, Any]:
        status, body = self.api_get(f"/tickets/{ticket_id}")
        if status == 404:
            raise TicketNotFoundError(ticket_id)
        if status != 200:
            raise RuntimeError(f"GET /tickets/{ticket_id} answered {status}: {body.get('message')}")
        return body

    def ticket_ids(self) -> list[str]:
        """Every ticket the state machine has run, from its executions (a resume names `<id>-rN`)."""
        found: dict[str, None] = {}
        pages = self._stack.sfn.get_paginator("list_executions").paginate(stateMachineArn=self._stack.state_machine_arn)
        for page in pages:
            for execution in page["executions"]:
                name = execution["name"]
                resumed = _RESUMED.match(name)
                found[resumed.group("ticket") if resumed else name] = None
        return list(found)

    def tickets(self, state: str | None = None) -> list[TicketRow]:
        """The ticket list, newest first, only those in `state` when given."""
        rows = []
        for ticket_id in self.ticket_ids():
            try:
                rows.append(ticket_row(self.ticket_view(ticket_id)))
            except TicketNotFoundError:  # an execution whose name is not a ticket id
                continue
        rows.sort(key=lambda r: r.submitted_at, reverse=True)
        return [r for r in rows if state is None or r.state == state]

    def execution_arn(self, name: str) -> str:
        prefix, machine = self._stack.state_machine_arn.split(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def history(self, execution_name: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        request: dict[str, Any] = {"executionArn": self.execution_arn(execution_name), "maxResults": 1000}
        while True:
            page = self._stack.sfn.get_execution_history(**request)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            request["nextToken"] = page["nextToken"]

    def executions(self, view: Mapping[str, Any]) -> list[ExecutionTrace]:
        return [trace(e["name"], e["status"], self.history(e["name"])) for e in view.get("executions", [])]

    def details(self, ticket_id: str) -> TicketDetails:
        view = self.ticket_view(ticket_id)
        histories = {e["name"]: self.history(e["name"]) for e in view.get("executions", [])}
        executions = [trace(e["name"], e["status"], histories[e["name"]]) for e in view.get("executions", [])]
        history = self._services().checkpoints.history(view["ticket_id"], view["customer_id"])
        entries = [CheckpointEntry(c, *_writer(c, histories)) for c in history]
        newest = executions[-1] if executions else None
        lit = Lit.of_paths(
            [e.path for e in executions],
            edges_of(self._stack.definition),
            running=newest is not None and newest.status == "RUNNING",
            ended_badly=newest is not None and newest.status in ("FAILED", "TIMED_OUT", "ABORTED"),
        )
        emails = [e for e in self._outbox.emails() if ticket_id in e.subject]
        rounds = list(history[-1].data.rounds) if history else []
        return TicketDetails(
            view=view,
            executions=executions,
            checkpoints=entries,
            emails=emails,
            rounds=rounds,
            lit=lit,
            events=activity(self._stack, "ticket_events", ticket_id),
            webhooks=activity(self._stack, "webhook_deliveries", ticket_id),
        )

    def approval_review(self, ticket_id: str) -> ApprovalReview | None:
        """What the approver's page shows for the open round, without a link: None when no round is open."""
        view = self.ticket_view(ticket_id)
        if view["state"] != "AWAITING_APPROVAL":
            return None
        services = self._services()
        history = services.checkpoints.history(view["ticket_id"], view["customer_id"])
        latest = history[-1] if history else None
        if latest is None or latest.data.approval is None or latest.data.plan is None:
            return None
        plan, approval = latest.data.plan, latest.data.approval
        proposed = set(plan.action_ids)
        allowed = load_catalog().allowed_actions(plan.category)
        ticket = latest.data.ticket
        votes = services.votes.votes(ticket.ticket_id, ticket.customer_id, approval.round)
        return ApprovalReview(
            ticket=ticket,
            checkpoint=latest,
            token="",
            round_number=approval.round,
            max_rounds=services.settings.max_approval_rounds,
            addable=[step for action_id, step in allowed.items() if action_id not in proposed],
            model_revises=services.settings.model_enabled,
            approver=", ".join(approval.asked) or approval.approver_email,
            votes=approval.own_votes(votes) if approval.approvals_needed > 1 else [],
        )


def _writer(checkpoint: Checkpoint, histories: Mapping[str, list[dict[str, Any]]]) -> tuple[str, str]:
    """The execution and the state whose run wrote the checkpoint.

    The step key starts with the execution's name (`WorkflowTask.checkpoint_key`); the state is
    the one of that execution that was running when the checkpoint was written.
    """
    execution = checkpoint.step_key.split("/", 1)[0]
    written = _utc(checkpoint.created_at)
    state = ""
    for event in histories.get(execution, []):
        if details := event.get("stateEnteredEventDetails"):
            if _utc(event["timestamp"]) > written:
                break
            state = details["name"]
    return execution, state
