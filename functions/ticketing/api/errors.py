"""Where errors become HTTP: each domain error's status and stable error code, in one table.

The domain raises errors in its own words; only this module knows what they mean on
the wire. The request errors below are the API's own (the body, the headers).
"""

from __future__ import annotations

from ..domain import errors as domain


class RequestError(Exception):
    """The HTTP request itself is wrong (body, headers, query); nothing was done."""

    status = 400

    def __init__(self, message: str, *, code: str = "invalid_request") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PayloadTooLarge(RequestError):
    status = 413

    def __init__(self, message: str) -> None:
        super().__init__(message, code="payload_too_large")


class UnsupportedMediaType(RequestError):
    status = 415

    def __init__(self, message: str) -> None:
        super().__init__(message, code="unsupported_media_type")


# Most specific first is not needed: the lookup walks each error's class hierarchy.
DOMAIN_ERRORS: dict[type[domain.SupportflowError], tuple[int, str]] = {
    domain.TicketNotFound: (404, "ticket_not_found"),
    domain.ApprovalLinkInvalid: (403, "approval_link_invalid"),
    domain.ApprovalLinkExpired: (410, "approval_link_expired"),
    domain.ApprovalWindowClosed: (410, "approval_closed"),
    domain.ApprovalExpired: (410, "approval_expired"),
    domain.AlreadyDecided: (409, "already_decided"),
    domain.ResumeRefused: (409, "not_resumable"),
    domain.IdempotencyKeyReused: (409, "idempotency_key_reused"),
    domain.WorkflowUnavailable: (503, "workflow_unavailable"),
    domain.TicketIdTaken: (503, "workflow_unavailable"),
    domain.StoreUnavailable: (503, "store_unavailable"),
    domain.CheckpointNotFound: (404, "checkpoint_not_found"),
    domain.InvalidPlanEdit: (400, "invalid_plan_edit"),
    domain.RevisionRefused: (409, "revision_limit_reached"),
    domain.ConfirmationLinkInvalid: (403, "confirmation_link_invalid"),
    domain.ConfirmationLinkExpired: (410, "confirmation_link_expired"),
    domain.ConfirmationClosed: (410, "confirmation_closed"),
    domain.AlreadyAnswered: (409, "already_answered"),
    domain.StepLinkInvalid: (403, "step_link_invalid"),
    domain.StepLinkExpired: (410, "step_link_expired"),
    domain.StepReportClosed: (410, "step_report_closed"),
    domain.AlreadyReported: (409, "already_reported"),
}
INTERNAL = (500, "internal_error")


def status_and_code(error: Exception) -> tuple[int, str]:
    """The HTTP status and error code of any error the routes raise."""
    if isinstance(error, RequestError):
        return error.status, error.code
    for cls in type(error).__mro__:
        if cls in DOMAIN_ERRORS:
            return DOMAIN_ERRORS[cls]
    return INTERNAL
