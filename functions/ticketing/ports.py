"""The ports the logic depends on: what it needs from the world, never how AWS does it.

Adapters (`adapters/`) implement them on AWS and turn AWS errors into domain errors;
tests implement them in memory (`tests/fakes.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from .domain.approval_link import ApprovalClaims
from .domain.checkpoint import Checkpoint
from .domain.conversation import Role, Turn
from .domain.events import LifecycleEvent
from .domain.execution import JournalEntry
from .domain.models import (
    ConfirmationAnswer,
    Decision,
    ResolutionStep,
    StepReport,
    StepResult,
    Ticket,
    Vote,
    WorkflowRun,
)
from .domain.notifications import Email
from .settings import Settings


class CheckpointLog(Protocol):
    """A ticket's checkpoints, append-only. One workflow step at a time writes (see ARCHITECTURE)."""

    def history(self, ticket_id: str, customer_id: str) -> list[Checkpoint]:
        """Every intact checkpoint of the ticket, oldest first, one per sequence number."""
        ...

    def append(self, checkpoint: Checkpoint, customer_id: str) -> None:
        """Store one sealed checkpoint; storing the same one twice keeps one."""
        ...

    def announce(self, checkpoint: Checkpoint) -> None:
        """Tell again what storing `checkpoint` tells (a retried step found it stored); writes nothing."""
        ...


class EventPublisher(Protocol):
    """Lifecycle events to other systems, at least once."""

    def publish(self, events: list[LifecycleEvent]) -> None:
        """Publish, or keep for a later publish; `EventsNotPublished` when neither could be done."""
        ...


class DeliveryFailed(Exception):
    """A webhook request got no HTTP answer (connection refused, DNS, TLS, timeout)."""


class HttpPost(Protocol):
    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST `body`; the HTTP status the receiver answered, or `DeliveryFailed` when none came."""
        ...


class ConversationLog(Protocol):
    """A ticket's conversation turns."""

    def append(self, ticket: Ticket, role: Role, text: str) -> Turn: ...

    def turns(self, ticket_id: str, customer_id: str) -> list[Turn]:
        """Every turn, oldest first."""
        ...

    def last_turns(self, ticket_id: str, customer_id: str, k: int) -> list[Turn]:
        """The newest `k` turns, oldest first."""
        ...


class VoteLog(Protocol):
    """Approvers' votes, one per (ticket, round, request, approver): the first stored wins; later ones change
    nothing."""

    def record(self, vote: Vote, customer_id: str) -> Vote:
        """Store the vote unless this approver already voted in this round; returns the vote that is stored."""
        ...

    def votes(self, ticket_id: str, customer_id: str, round_number: int) -> list[Vote]:
        """Every vote of the round (of each request in it), oldest first."""
        ...


class Workflow(Protocol):
    """The ticket workflow engine: one run per ticket, plus one per resume."""

    def start(self, ticket: Ticket, *, request_fingerprint: str | None = None) -> None:
        """Start the ticket's first run; `TicketIdTaken` when one exists under its id."""
        ...

    def runs(self, ticket_id: str) -> tuple[Ticket, list[WorkflowRun]]:
        """The ticket as submitted and every run of it, oldest first; `TicketNotFound` if none."""
        ...

    def submission(self, ticket_id: str) -> tuple[Ticket, str | None] | None:
        """The ticket first started under this id and its request fingerprint, or None."""
        ...

    def start_resumed(self, ticket_id: str, resume_number: int, resume_input: dict[str, Any]) -> str:
        """Start the `resume_number`-th resumed run; returns its name (`ResumeRefused` if it exists)."""
        ...

    def send_decision(self, task_token: str, decision: Decision) -> None:
        """Hand the decision to the waiting task; `TaskNoLongerWaiting` when it no longer accepts one."""
        ...

    def send_answer(self, task_token: str, answer: ConfirmationAnswer) -> None:
        """Hand the customer's confirmation to the waiting task; `TaskNoLongerWaiting` as for a decision."""
        ...

    def send_step_report(self, task_token: str, report: StepReport) -> None:
        """Hand a person's report on a step to the waiting task; `TaskNoLongerWaiting` as for a decision."""
        ...

    def running_since(self) -> list[datetime]:
        """When each running ticket's run started."""
        ...


class Mailer(Protocol):
    def send(self, email: Email) -> str:
        """Send one email; returns its message id (`EmailRejected` when refused for good)."""
        ...


class LinkSigner(Protocol):
    def issue(
        self,
        *,
        ticket_id: str,
        checkpoint_hash: str,
        plan_hash: str,
        expires_at: datetime,
        approver: str = "",
        round: int = 0,
        purpose: str = ...,
    ) -> str: ...

    def verify(self, token: str, *, ticket_id: str, now: datetime, purpose: str = ...) -> ApprovalClaims: ...


class ResolutionExecutor(Protocol):
    """Carries out one approved plan step.

    Execute never calls `run` again for an action whose success is recorded in the
    ticket's checkpoint. An action whose result could not be recorded (the write after
    it failed) is run again by the retry, so a real executor is idempotent per
    (ticket id, action id).
    """

    name: str

    def run(self, ticket: Ticket, step: ResolutionStep) -> StepResult: ...


class ActionJournal(Protocol):
    """Durable notes executors write per (ticket, action) before and after acting (e.g. a command id before
    waiting on it), so a retried Execute never acts twice. Recording the same entry twice keeps one."""

    def record(self, entry: JournalEntry, customer_id: str) -> None: ...

    def entries(self, ticket_id: str, customer_id: str, action_id: str) -> list[JournalEntry]:
        """The action's entries, oldest first."""
        ...


class Services(Protocol):
    """Everything a function's logic may use; `bootstrap.py` builds it on AWS, tests from fakes."""

    @property
    def settings(self) -> Settings: ...
    @property
    def checkpoints(self) -> CheckpointLog: ...
    @property
    def conversation(self) -> ConversationLog: ...
    @property
    def workflow(self) -> Workflow: ...
    @property
    def votes(self) -> VoteLog: ...
    @property
    def mailer(self) -> Mailer: ...
    @property
    def signer(self) -> LinkSigner: ...
    @property
    def executor(self) -> ResolutionExecutor: ...
    @property
    def language_model(self) -> Any | None: ...
