"""Typed errors of the support domain.

Each carries a stable `code` and the HTTP status it maps to; the API maps them in
one place, and the state machine's Catch matches the class name as the error name.
"""

from __future__ import annotations

from datetime import datetime


class SupportflowError(Exception):
    code = "internal_error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(SupportflowError):
    code = "invalid_request"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class PayloadTooLarge(InvalidRequest):
    code = "payload_too_large"
    status = 413


class UnsupportedMediaType(InvalidRequest):
    code = "unsupported_media_type"
    status = 415


class TicketNotFound(SupportflowError):
    code = "ticket_not_found"
    status = 404

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"No ticket with id {ticket_id!r} exists. Check the id in your confirmation.")


class ApprovalLinkInvalid(SupportflowError):
    code = "approval_link_invalid"
    status = 403


class ApprovalLinkExpired(SupportflowError):
    code = "approval_link_expired"
    status = 410


class ApprovalWindowClosed(SupportflowError):
    """The ticket no longer waits for this decision (timed out, or superseded)."""

    code = "approval_closed"
    status = 410


class ApprovalExpired(ApprovalWindowClosed):
    """Nobody decided before the approval request timed out."""

    code = "approval_expired"


class AlreadyDecided(SupportflowError):
    code = "already_decided"
    status = 409

    def __init__(self, message: str, *, outcome: str | None = None, decided_at: datetime | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.decided_at = decided_at


class ResumeRefused(SupportflowError):
    """The ticket cannot be resumed: it ended well, or its workflow still runs."""

    code = "not_resumable"
    status = 409


class IdempotencyKeyReused(SupportflowError):
    """The same Idempotency-Key came with a different ticket: a client bug, never a retry."""

    code = "idempotency_key_reused"
    status = 409


class WorkflowUnavailable(SupportflowError):
    code = "workflow_unavailable"
    status = 503


class EmailRejected(SupportflowError):
    """SES refused an email for good (the message or the account); retrying cannot help."""

    code = "email_rejected"
    status = 502


class CheckpointNotFound(SupportflowError):
    code = "checkpoint_not_found"
    status = 404


class PlanNotApproved(SupportflowError):
    """Execute was asked to run a plan other than the one approved."""

    code = "plan_not_approved"
    status = 409


class ResolutionStepFailed(SupportflowError):
    code = "resolution_step_failed"
    status = 500
