"""Identity actions through Amazon Cognito, on the one user pool named in configuration.

The customer id names a user by a configured attribute (`ListUsers` with a filter; only
standard attributes can be filtered). Each action is idempotent per (ticket, action): the
executor's journal says "requested" before the call and "done" after it. A retry that finds
"done" calls nothing; one that finds only "requested" sends a password reset again only if
the user is not already waiting for one (`RESET_REQUIRED`); the other operations are
idempotent in Cognito itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import ExecutorUnavailable
from ..domain.execution import ActionExecutor, ExecutorKind, JournalEntry
from ..domain.models import ResolutionStep, StepResult, Ticket, utc_now
from ..ports import ActionJournal
from .aws_errors import error_code, error_message, is_passing

NAME = ExecutorKind.IDENTITY.value
# Cognito answers these (or a 5xx) when a later attempt may succeed.
_PASSING = frozenset({"TooManyRequestsException", "LimitExceededException", "InternalErrorException"})


class StepRefused(Exception):
    """Cognito refused the action for good (unknown user, not allowed in the user's state)."""


class CognitoIdentityExecutor:
    name = NAME

    def __init__(self, cognito: Any, user_pool_id: str, user_attribute: str, journal: ActionJournal) -> None:
        self._cognito = cognito
        self._pool = user_pool_id
        self._attribute = user_attribute
        self._journal = journal

    def run(self, ticket: Ticket, step: ResolutionStep, how: ActionExecutor) -> StepResult:
        operation = how.operation or ""
        try:
            with _cognito_errors(operation):
                detail = self._run(ticket, step, operation)
        except StepRefused as refused:
            return _result(step, "failed", str(refused))
        return _result(step, "succeeded", detail)

    def _run(self, ticket: Ticket, step: ResolutionStep, operation: str) -> str:
        entries = {e.kind for e in self._journal.entries(ticket.ticket_id, ticket.customer_id, step.action_id)}
        username = self._username(ticket.customer_id)
        if "identity-done" in entries and operation != "mfa-report":
            return f"Cognito {operation} for user {username} was done before for this ticket; not repeated."
        if "identity-requested" not in entries:
            self._note(ticket, step, "identity-requested")
        elif operation == "reset-password" and self._status(username) == "RESET_REQUIRED":
            self._note(ticket, step, "identity-done")
            return f"A password reset for user {username} was already sent for this ticket; not sent twice."
        detail = self._act(operation, username)
        self._note(ticket, step, "identity-done")
        return detail

    def _act(self, operation: str, username: str) -> str:
        user = {"UserPoolId": self._pool, "Username": username}
        actions: dict[str, Callable[[], str]] = {
            "reset-password": lambda: _done(
                self._cognito.admin_reset_user_password(**user),
                f"Sent user {username} a password reset; their current password no longer works.",
            ),
            "sign-out-everywhere": lambda: _done(
                self._cognito.admin_user_global_sign_out(**user),
                f"Signed user {username} out of every session.",
            ),
            "enable-user": lambda: _done(
                self._cognito.admin_enable_user(**user), f"User {username} is enabled and can sign in."
            ),
            "mfa-report": lambda: _mfa_report(username, self._cognito.admin_get_user(**user)),
        }
        if operation not in actions:
            raise StepRefused(f"Cognito operation {operation!r} is not one this executor knows.")
        return actions[operation]()

    def _username(self, customer_id: str) -> str:
        found = self._cognito.list_users(
            UserPoolId=self._pool, Filter=f'{self._attribute} = "{customer_id}"', Limit=2
        ).get("Users", [])
        if not found:
            raise StepRefused(f"No Cognito user has {self._attribute} = {customer_id}; nothing was changed.")
        if len(found) > 1:
            raise StepRefused(f"More than one Cognito user has {self._attribute} = {customer_id}; nothing was changed.")
        return str(found[0]["Username"])

    def _status(self, username: str) -> str:
        return str(self._cognito.admin_get_user(UserPoolId=self._pool, Username=username).get("UserStatus", ""))

    def _note(self, ticket: Ticket, step: ResolutionStep, kind: str) -> None:
        entry = JournalEntry.model_validate(
            {"ticket_id": ticket.ticket_id, "action_id": step.action_id, "kind": kind, "recorded_at": utc_now()}
        )
        self._journal.record(entry, ticket.customer_id)


def _done(_: Any, detail: str) -> str:
    return detail


def _mfa_report(username: str, user: dict[str, Any]) -> str:
    """The user's MFA settings in words (never a secret: Cognito returns none here)."""
    enabled = user.get("UserMFASettingList") or [o.get("DeliveryMedium", "") for o in user.get("MFAOptions") or []]
    preferred = user.get("PreferredMfaSetting") or "none"
    listed = ", ".join(str(m) for m in enabled) if enabled else "none"
    status = user.get("UserStatus", "unknown status")
    return f"User {username} ({status}): MFA methods enabled: {listed}; preferred: {preferred}."


def _result(step: ResolutionStep, status: str, detail: str) -> StepResult:
    return StepResult.model_validate(
        {
            "action_id": step.action_id,
            "status": status,
            "detail": detail,
            "finished_at": utc_now(),
            "executor": NAME,
        }
    )


@contextmanager
def _cognito_errors(operation: str) -> Iterator[None]:
    """Passing failures become `ExecutorUnavailable` (Execute retries); refusals become a failed step."""
    try:
        yield
    except ClientError as error:
        code, message = error_code(error), error_message(error)
        if is_passing(error, _PASSING):
            raise ExecutorUnavailable(f"Cognito could not {operation} right now ({code}).") from error
        raise StepRefused(f"Cognito refused {operation}: {code}: {message}"[:500]) from error
    except BotoCoreError as error:
        raise ExecutorUnavailable(f"Cognito could not be reached for {operation}: {error}") from error
