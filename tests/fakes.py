"""In-memory implementations of the ports (`ticketing.ports`), for logic tests in milliseconds.

Each fake behaves as the port promises, including its domain errors, and records
what was asked of it so a test can say what happened and what did not.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketing.adapters.executors import SimulatedResolutionExecutor
from ticketing.domain.approval_link import ApprovalLinkSigner
from ticketing.domain.checkpoint import Checkpoint, in_order
from ticketing.domain.conversation import Role, Turn
from ticketing.domain.errors import (
    EmailRejected,
    EventsNotPublished,
    ResumeRefused,
    TaskNoLongerWaiting,
    TicketIdTaken,
    TicketNotFound,
)
from ticketing.domain.events import LifecycleEvent
from ticketing.domain.execution import JournalEntry
from ticketing.domain.models import ConfirmationAnswer, Decision, StepReport, Ticket, Vote, WorkflowRun, utc_now
from ticketing.domain.notifications import Email
from ticketing.ports import ResolutionExecutor
from ticketing.settings import Settings

SIGNING_KEY = b"k" * 32


class FakeCheckpointLog:
    def __init__(self) -> None:
        self.announced: list[Checkpoint] = []
        self.stored: dict[str, list[Checkpoint]] = {}
        self.owners: dict[str, str] = {}
        self.appends = 0

    def history(self, ticket_id: str, customer_id: str) -> list[Checkpoint]:
        if self.owners.get(ticket_id, customer_id) != customer_id:
            return []
        return in_order(self.stored.get(ticket_id, []))

    def append(self, checkpoint: Checkpoint, customer_id: str) -> None:
        assert checkpoint.verify(), "only sealed checkpoints are stored"
        self.appends += 1
        self.owners.setdefault(checkpoint.ticket_id, customer_id)
        self.stored.setdefault(checkpoint.ticket_id, []).append(checkpoint)

    def announce(self, checkpoint: Checkpoint) -> None:
        self.announced.append(checkpoint)


class FakeEventPublisher:
    """Events in publication order; `refuse` makes the next publishes fail as the bus and its queue would."""

    def __init__(self) -> None:
        self.published: list[LifecycleEvent] = []
        self.refuse = 0

    def publish(self, events: list[LifecycleEvent]) -> None:
        if self.refuse:
            self.refuse -= 1
            raise EventsNotPublished("the bus and the retry queue both refused")
        self.published.extend(events)


class FakeActionJournal:
    """Executors' journal entries in memory; the same entry twice keeps one, as the client token makes it on AWS."""

    def __init__(self) -> None:
        self.stored: list[JournalEntry] = []

    def record(self, entry: JournalEntry, customer_id: str) -> None:
        same = [
            e
            for e in self.stored
            if (e.ticket_id, e.action_id, e.kind, e.command_id)
            == (entry.ticket_id, entry.action_id, entry.kind, entry.command_id)
        ]
        if not same:
            self.stored.append(entry)

    def entries(self, ticket_id: str, customer_id: str, action_id: str) -> list[JournalEntry]:
        return [e for e in self.stored if e.ticket_id == ticket_id and e.action_id == action_id]


class FakeVoteLog:
    """Votes by (ticket, round, approver); the first stored stands, as the client token makes it on AWS."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, int, object, str], Vote] = {}
        self._lock = threading.Lock()

    def record(self, vote: Vote, customer_id: str) -> Vote:
        with self._lock:
            return self.stored.setdefault((vote.ticket_id, vote.round, vote.request_started, vote.approver), vote)

    def votes(self, ticket_id: str, customer_id: str, round_number: int) -> list[Vote]:
        found = [v for (t, r, _, _), v in self.stored.items() if t == ticket_id and r == round_number]
        return sorted(found, key=lambda v: v.decided_at)


class FakeConversationLog:
    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], list[Turn]] = {}

    def append(self, ticket: Ticket, role: Role, text: str) -> Turn:
        turn = Turn(role=role, text=text, at=utc_now())
        self.stored.setdefault((ticket.ticket_id, ticket.customer_id), []).append(turn)
        return turn

    def turns(self, ticket_id: str, customer_id: str) -> list[Turn]:
        return list(self.stored.get((ticket_id, customer_id), []))

    def last_turns(self, ticket_id: str, customer_id: str, k: int) -> list[Turn]:
        return self.turns(ticket_id, customer_id)[-k:] if k > 0 else []


@dataclass
class FakeRun:
    name: str
    input: dict[str, Any]
    status: str = "RUNNING"
    started_at: datetime = field(default_factory=utc_now)
    stopped_at: datetime | None = None


class FakeWorkflow:
    """Runs named like Step Functions executions; a task token accepts one result, as AWS does."""

    def __init__(self) -> None:
        self.runs_by_name: dict[str, FakeRun] = {}
        self.decisions: list[tuple[str, Decision]] = []
        self.closed_tokens: set[str] = set()
        self.answers: list[tuple[str, ConfirmationAnswer]] = []
        self.step_reports: list[tuple[str, StepReport]] = []
        self._lock = threading.Lock()

    def start(self, ticket: Ticket, *, request_fingerprint: str | None = None) -> None:
        payload: dict[str, Any] = {"ticket": ticket.model_dump(mode="json")}
        if request_fingerprint is not None:
            payload["request_fingerprint"] = request_fingerprint
        with self._lock:
            if ticket.ticket_id in self.runs_by_name:
                raise TicketIdTaken(ticket.ticket_id)
            self.runs_by_name[ticket.ticket_id] = FakeRun(ticket.ticket_id, payload)

    def runs(self, ticket_id: str) -> tuple[Ticket, list[WorkflowRun]]:
        first = self.runs_by_name.get(ticket_id)
        if first is None:
            raise TicketNotFound(ticket_id)
        found = [first]
        while found[-1].status != "RUNNING" and f"{ticket_id}-r{len(found)}" in self.runs_by_name:
            found.append(self.runs_by_name[f"{ticket_id}-r{len(found)}"])
        # Validated, so a test that stops a run with a status Step Functions does not know fails here.
        runs = [
            WorkflowRun.model_validate(
                {"name": r.name, "status": r.status, "started_at": r.started_at, "stopped_at": r.stopped_at}
            )
            for r in found
        ]
        return Ticket.model_validate(first.input["ticket"]), runs

    def submission(self, ticket_id: str) -> tuple[Ticket, str | None] | None:
        first = self.runs_by_name.get(ticket_id)
        if first is None:
            return None
        return Ticket.model_validate(first.input["ticket"]), first.input.get("request_fingerprint")

    def start_resumed(self, ticket_id: str, resume_number: int, resume_input: dict[str, Any]) -> str:
        name = f"{ticket_id}-r{resume_number}"
        with self._lock:
            if name in self.runs_by_name:
                raise ResumeRefused(f"Ticket {ticket_id} is already being resumed.")
            self.runs_by_name[name] = FakeRun(name, json.loads(json.dumps(resume_input, default=str)))
        return name

    def send_decision(self, task_token: str, decision: Decision) -> None:
        with self._lock:
            if task_token in self.closed_tokens:
                raise TaskNoLongerWaiting("TaskTimedOut")
            self.closed_tokens.add(task_token)
            self.decisions.append((task_token, decision))

    def send_answer(self, task_token: str, answer: ConfirmationAnswer) -> None:
        with self._lock:
            if task_token in self.closed_tokens:
                raise TaskNoLongerWaiting("TaskTimedOut")
            self.closed_tokens.add(task_token)
            self.answers.append((task_token, answer))

    def send_step_report(self, task_token: str, report: StepReport) -> None:
        with self._lock:
            if task_token in self.closed_tokens:
                raise TaskNoLongerWaiting("TaskTimedOut")
            self.closed_tokens.add(task_token)
            self.step_reports.append((task_token, report))

    def running_since(self) -> list[datetime]:
        return [r.started_at for r in self.runs_by_name.values() if r.status == "RUNNING"]

    # test controls

    def stop(self, name: str, status: str = "SUCCEEDED") -> None:
        run = self.runs_by_name[name]
        run.status, run.stopped_at = status, utc_now()


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.refuse_next = 0

    def send(self, email: Email) -> str:
        if self.refuse_next:
            self.refuse_next -= 1
            raise EmailRejected(f"refused the {email.kind} email")
        self.sent.append(email)
        return f"msg-{len(self.sent)}"

    def of_kind(self, kind: str) -> list[Email]:
        return [e for e in self.sent if e.kind == kind]


def fake_settings(**overrides: Any) -> Settings:
    values = {
        "MEMORY_ID": "mem-fake",
        "SENDER_EMAIL": "supportflow@example.com",
        "APPROVER_EMAIL": "approver@example.com",
        "OPERATOR_EMAIL": "ops@example.com",
        "PUBLIC_BASE_URL": "https://api.example.com/prod",
        "APPROVAL_LINK_TTL_SECONDS": "3600",
        "MAX_APPROVAL_ROUNDS": "3",
        "APPROVAL_TIMEOUT_SECONDS": "7200",
        "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:tickets",
    }
    values.update({k: str(v) for k, v in overrides.items()})
    return Settings.from_env(values)


@dataclass
class FakeServices:
    """A `ports.Services` built from fakes (what `bootstrap.AwsServices` is on AWS)."""

    settings: Settings = field(default_factory=fake_settings)
    checkpoints: FakeCheckpointLog = field(default_factory=FakeCheckpointLog)
    conversation: FakeConversationLog = field(default_factory=FakeConversationLog)
    workflow: FakeWorkflow = field(default_factory=FakeWorkflow)
    votes: FakeVoteLog = field(default_factory=FakeVoteLog)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    signer: ApprovalLinkSigner = field(default_factory=lambda: ApprovalLinkSigner(SIGNING_KEY))
    executor: ResolutionExecutor = field(default_factory=SimulatedResolutionExecutor)
    language_model: Any | None = None


@dataclass
class FakeLambdaContext:
    """The parts of Lambda's context that Powertools reads."""

    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def in_an_hour() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)
