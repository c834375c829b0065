"""Names the CDK stack and the functions must agree on, declared once and imported by both.

`infra/` reads these to set each function's environment and the state machine's
Retry; the functions read them to load their settings. A test holds the template to
them (tests/infra/test_contract.py).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import ValidationError

from .domain.errors import (
    CheckpointNotFound,
    EmailRejected,
    PlanNotApproved,
    ResolutionStepFailed,
)


class Env(StrEnum):
    """The environment variables the stack sets on the functions."""

    MEMORY_ID = "MEMORY_ID"
    STATE_MACHINE_ARN = "STATE_MACHINE_ARN"
    SIGNING_SECRET_ARN = "SIGNING_SECRET_ARN"
    SENDER_EMAIL = "SENDER_EMAIL"
    APPROVER_EMAIL = "APPROVER_EMAIL"
    OPERATOR_EMAIL = "OPERATOR_EMAIL"
    PUBLIC_BASE_URL = "PUBLIC_BASE_URL"
    APPROVAL_LINK_TTL_SECONDS = "APPROVAL_LINK_TTL_SECONDS"
    APPROVAL_TIMEOUT_SECONDS = "APPROVAL_TIMEOUT_SECONDS"
    MODEL_ID = "MODEL_ID"
    RESOLUTION_EXECUTOR = "RESOLUTION_EXECUTOR"
    MAX_APPROVAL_ROUNDS = "MAX_APPROVAL_ROUNDS"
    APPROVAL_POLICY = "APPROVAL_POLICY"
    EVENT_BUS_NAME = "EVENT_BUS_NAME"
    EVENT_RETRY_QUEUE_URL = "EVENT_RETRY_QUEUE_URL"
    EVENTS_INCLUDE_CUSTOMER_TEXT = "EVENTS_INCLUDE_CUSTOMER_TEXT"
    WEBHOOK_URLS = "WEBHOOK_URLS"
    WEBHOOK_SECRET_ARN = "WEBHOOK_SECRET_ARN"
    WEBHOOK_DEAD_LETTER_QUEUE_URL = "WEBHOOK_DEAD_LETTER_QUEUE_URL"
    WEBHOOK_RETRY_BASE_SECONDS = "WEBHOOK_RETRY_BASE_SECONDS"
    # How actions run (issue 14): overrides of the catalog's executors, the Cognito user pool and the
    # attribute that holds the customer id, and the stack's command documents by command name.
    EXECUTOR_OVERRIDES = "EXECUTOR_OVERRIDES"
    IDENTITY_USER_POOL_ID = "IDENTITY_USER_POOL_ID"
    IDENTITY_USER_ATTRIBUTE = "IDENTITY_USER_ATTRIBUTE"
    DEVICE_COMMAND_DOCUMENTS = "DEVICE_COMMAND_DOCUMENTS"
    DEVICE_COMMAND_WAIT_SECONDS = "DEVICE_COMMAND_WAIT_SECONDS"
    # The customer's confirmation after the last step (issue 14 b): how long the question waits, how often
    # a ticket may be reopened, and who gets a ticket reopened more often than that.
    CONFIRMATION_TIMEOUT_SECONDS = "CONFIRMATION_TIMEOUT_SECONDS"
    MAX_REOPENINGS = "MAX_REOPENINGS"
    SPECIALIST_EMAIL = "SPECIALIST_EMAIL"
    # Person steps (issue 14 c): whether Execute waits for the customer's and the engineer's reports, how long
    # a report may take (and its link lives), and the engineer assigned to engineer steps.
    PERSON_STEPS = "PERSON_STEPS"
    PERSON_STEP_TIMEOUT_SECONDS = "PERSON_STEP_TIMEOUT_SECONDS"
    ENGINEER_EMAIL = "ENGINEER_EMAIL"


# What each handler needs set to start; a function missing one fails at init, naming it.
# Every step writes checkpoints, and every checkpoint is published as an event (with a link to the ticket).
_STEP = frozenset({Env.MEMORY_ID, Env.EVENT_BUS_NAME, Env.EVENT_RETRY_QUEUE_URL, Env.PUBLIC_BASE_URL})
_READS_CHECKPOINTS = frozenset({Env.MEMORY_ID})
_MAILS = frozenset({Env.SENDER_EMAIL})
REQUIRED_ENV: dict[str, frozenset[Env]] = {
    "ticketing.handlers.analyze": _STEP | {Env.MODEL_ID},
    "ticketing.handlers.find_resolution": _STEP | {Env.MODEL_ID},
    "ticketing.handlers.revise_plan": _STEP | {Env.MODEL_ID, Env.MAX_APPROVAL_ROUNDS},
    "ticketing.handlers.approval_timer": _STEP | {Env.APPROVAL_POLICY, Env.APPROVAL_TIMEOUT_SECONDS},
    "ticketing.handlers.request_approval": _STEP
    | _MAILS
    | {
        Env.APPROVER_EMAIL,
        Env.SIGNING_SECRET_ARN,
        Env.PUBLIC_BASE_URL,
        Env.APPROVAL_LINK_TTL_SECONDS,
        Env.MAX_APPROVAL_ROUNDS,
        Env.APPROVAL_POLICY,
    },
    "ticketing.handlers.execute": _STEP | _MAILS,
    "ticketing.handlers.request_confirmation": _STEP
    | _MAILS
    | {Env.SIGNING_SECRET_ARN, Env.CONFIRMATION_TIMEOUT_SECONDS},
    "ticketing.handlers.record_confirmation": _STEP
    | _MAILS
    | {Env.MAX_REOPENINGS, Env.SPECIALIST_EMAIL, Env.CONFIRMATION_TIMEOUT_SECONDS},
    "ticketing.handlers.request_step_report": _STEP
    | _MAILS
    | {Env.SIGNING_SECRET_ARN, Env.PERSON_STEP_TIMEOUT_SECONDS, Env.ENGINEER_EMAIL},
    "ticketing.handlers.close_ticket": _STEP | _MAILS | {Env.APPROVER_EMAIL, Env.OPERATOR_EMAIL},
    "ticketing.handlers.api": _READS_CHECKPOINTS
    | {
        Env.STATE_MACHINE_ARN,
        Env.SIGNING_SECRET_ARN,
        Env.PUBLIC_BASE_URL,
        Env.APPROVAL_TIMEOUT_SECONDS,
        Env.MODEL_ID,
        Env.MAX_APPROVAL_ROUNDS,
        Env.APPROVAL_POLICY,
        Env.CONFIRMATION_TIMEOUT_SECONDS,
    },
    "ticketing.handlers.approval_monitor": frozenset({Env.STATE_MACHINE_ARN}),
    "ticketing.handlers.republish_events": frozenset({Env.EVENT_BUS_NAME}),
    "ticketing.handlers.webhook_sender": frozenset(
        {Env.WEBHOOK_URLS, Env.WEBHOOK_SECRET_ARN, Env.WEBHOOK_DEAD_LETTER_QUEUE_URL, Env.WEBHOOK_RETRY_BASE_SECONDS}
    ),
}

# Errors a retry cannot fix (the step's input or plan is wrong, or SES refused for good):
# the state machine sends them straight to the Catch. Derived from the classes, so a
# rename changes the retry policy with it and a test keeps the template in step.
NON_RETRYABLE_EXCEPTIONS: tuple[type[BaseException], ...] = (
    ValidationError,
    PlanNotApproved,
    ResolutionStepFailed,
    CheckpointNotFound,
    EmailRejected,
    ValueError,
    KeyError,
    TypeError,
)
# Lambda reports an uncaught exception's class name as the error name Step Functions matches.
NON_RETRYABLE_ERRORS: tuple[str, ...] = tuple(e.__name__ for e in NON_RETRYABLE_EXCEPTIONS)
