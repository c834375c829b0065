"""How each catalog action is carried out: its executor, declared in the catalog data and overridable by configuration.

An action's executor is data (`resolution_catalog.json`, `"executor": {...}`), never code
and never text from a model or a ticket: an identity action names one Amazon Cognito
operation, a device action names one command document the stack defines
(`infra/ssm_documents/`). The README's table of actions and executors is generated from here.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from .models import Model

# What a device action's command may be called (a file name in infra/ssm_documents/ without .yaml).
COMMAND_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
# The tag that says which customer a managed instance belongs to.
CUSTOMER_TAG = "supportflow:customer"
# Cognito ListUsers filters on these attributes only (custom attributes cannot be filtered).
FILTERABLE_USER_ATTRIBUTES = frozenset(
    {
        "username",
        "email",
        "phone_number",
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "sub",
    }
)
IdentityOperation = Literal["reset-password", "sign-out-everywhere", "enable-user", "mfa-report"]


class ExecutorKind(StrEnum):
    SIMULATED = "simulated"  # changes nothing and says so
    IDENTITY = "identity"  # Amazon Cognito, on the user pool named in configuration
    DEVICE = "device"  # AWS Systems Manager Run Command on the customer's managed instances
    CUSTOMER = "customer"  # the customer does it and says so through a signed link
    ENGINEER = "engineer"  # the assigned engineer does it and says so through a signed link


class ActionExecutor(Model):
    """How one action runs, with its parameters."""

    kind: ExecutorKind = ExecutorKind.SIMULATED
    operation: IdentityOperation | None = None
    command: str | None = Field(default=None, pattern=COMMAND_PATTERN)

    @model_validator(mode="after")
    def _parameters_fit_the_kind(self) -> ActionExecutor:
        if (self.kind is ExecutorKind.IDENTITY) != (self.operation is not None):
            raise ValueError("an identity executor names its Cognito operation, and only it does")
        if (self.kind is ExecutorKind.DEVICE) != (self.command is not None):
            raise ValueError("a device executor names its command document, and only it does")
        return self

    def describe(self) -> str:
        """One line for the README and the step result: which executor, with what."""
        if self.kind is ExecutorKind.IDENTITY:
            return f"identity (Cognito: {self.operation})"
        if self.kind is ExecutorKind.DEVICE:
            return f"device (Run Command: {self.command})"
        return self.kind.value


SIMULATED = ActionExecutor()


class InvalidExecutorOverrides(ValueError):
    """The configured executor overrides are not JSON of known actions and valid executors."""


def parse_overrides(text: str, known_actions: set[str]) -> dict[str, ActionExecutor]:
    """Configuration's overrides (`{"action id": {"kind": ...}}`, or a kind's name alone) as executors."""
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidExecutorOverrides(f"executor overrides are not JSON: {error.msg}") from None
    if not isinstance(raw, dict):
        raise InvalidExecutorOverrides("executor overrides must map action ids to executors")
    unknown = sorted(set(raw) - known_actions)
    if unknown:
        raise InvalidExecutorOverrides(f"executor overrides name actions the catalog does not hold: {unknown}")
    parsed: dict[str, ActionExecutor] = {}
    for action_id, value in raw.items():
        spec: Any = {"kind": value} if isinstance(value, str) else value
        try:
            parsed[action_id] = ActionExecutor.model_validate(spec)
        except ValidationError as error:
            reason = error.errors()[0]["msg"].removeprefix("Value error, ")
            raise InvalidExecutorOverrides(f"executor override of {action_id}: {reason}") from None
    return parsed


class JournalEntry(Model):
    """A durable note an executor writes about one (ticket, action) before or after acting, so a retry
    never acts twice: `identity-requested` / `identity-done`, `command-sent` (with the command id)."""

    ticket_id: str
    action_id: str
    kind: Literal["identity-requested", "identity-done", "command-sent"]
    recorded_at: datetime
    command_id: str = ""
    instance_ids: list[str] = Field(default_factory=list)
    document: str = ""
