"""Typed errors of the support domain.

They say what went wrong in the domain's words and nothing about transport: the API
maps them to HTTP statuses and error codes in one place (`api/errors.py`), and the
state machine's Retry and Catch match their class names (`contract.py`). Adapters
turn AWS errors into these.
"""

from __future__ import annotations

from datetime import datetime


class SupportflowError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TicketNotFound(SupportflowError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"No ticket with id {ticket_id!r} exists. Check the id in your confirmation.")


class TicketIdTaken(SupportflowError):
    """A workflow was already started under this ticket id."""


class ApprovalLinkInvalid(SupportflowError):
    """Forged, altered, truncated, or issued for another ticket or plan."""


class ApprovalLinkExpired(SupportflowError):
    """The link's own lifetime ended."""


class ApprovalWindowClosed(SupportflowError):
    """The ticket no longer waits for this decision (timed out, or superseded)."""


class ApprovalExpired(ApprovalWindowClosed):
    """Nobody decided before the approval request timed out."""


class AlreadyDecided(SupportflowError):
    def __init__(
        self,
        message: str,
        *,
        outcome: str | None = None,
        decided_at: datetime | None = None,
        plan_hash: str | None = None,
    ) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.decided_at = decided_at
        self.plan_hash = plan_hash


class TaskNoLongerWaiting(SupportflowError):
    """The workflow's waiting task refused a result: it already has one, timed out, or its run ended."""


class InvalidPlanEdit(SupportflowError):
    """An approver's edit breaks a plan rule (unknown or foreign action, duplicate, empty, too long)."""


class RevisionRefused(SupportflowError):
    """The plan cannot be sent back again: the last review round is under way."""


class ResumeRefused(SupportflowError):
    """The ticket cannot be resumed: it ended well, or its workflow still runs."""


class IdempotencyKeyReused(SupportflowError):
    """The same Idempotency-Key came with a different ticket: a client bug, never a retry."""


class WorkflowUnavailable(SupportflowError):
    """The workflow service could not be reached or refused for a reason a later retry may fix."""


class StoreUnavailable(SupportflowError):
    """The ticket store (checkpoints, conversations) refused for a reason a later retry may fix."""


class EventsNotPublished(SupportflowError):
    """Neither the event bus nor the retry queue took the events (both refused, after retries)."""


class EmailRejected(SupportflowError):
    """SES refused an email for good (the message or the account); retrying cannot help."""


class CheckpointNotFound(SupportflowError):
    pass


class PlanNotApproved(SupportflowError):
    """Execute was asked to run a plan other than the one approved."""


class ResolutionStepFailed(SupportflowError):
    pass


class ExecutorUnavailable(SupportflowError):
    """A system an executor acts on (Cognito, Systems Manager) refused for a reason a later retry may fix,
    or a device command is still running when the bounded wait ends; Execute's retry carries on from the
    executor's journal, so nothing is sent twice."""


class ConfirmationLinkInvalid(SupportflowError):
    """A customer's confirmation link that is forged, altered, truncated, or issued for another ticket."""


class ConfirmationLinkExpired(SupportflowError):
    """The confirmation link's own lifetime ended."""


class ConfirmationClosed(SupportflowError):
    """The ticket no longer waits for this answer: the question timed out, or a newer one replaced it."""


class AlreadyAnswered(SupportflowError):
    """The customer already answered this question (a second click, or two racing)."""


class StepLinkInvalid(SupportflowError):
    """A step-report link that is forged, altered, truncated, or issued for another ticket or purpose."""


class StepLinkExpired(SupportflowError):
    """The step-report link's own lifetime ended."""


class StepReportClosed(SupportflowError):
    """The step no longer waits for a report: it timed out, the ticket moved on, or its workflow stopped."""


class AlreadyReported(SupportflowError):
    """The step was already reported on (a second click, or two racing)."""
