"""Function configuration: the environment parsed once into a typed model, checked at start.

A handler loads its settings at import (`settings_for(__name__)`), so a function the
stack left without a variable it needs fails at init with a sentence naming it,
instead of on its first AWS call. Hand-written rather than Powertools' parser: the
parser validates events, not the environment, and the names come from `contract.Env`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .contract import REQUIRED_ENV, Env
from .domain.execution import FILTERABLE_USER_ATTRIBUTES, parse_overrides
from .domain.policy import ApprovalPolicy, InvalidPolicy, policy_from_json


class MissingConfiguration(RuntimeError):
    """The function's environment lacks a variable it needs, or holds an invalid value."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    memory_id: str = Field(default="", validation_alias=Env.MEMORY_ID)
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    state_machine_arn: str = Field(default="", validation_alias=Env.STATE_MACHINE_ARN)
    signing_secret_arn: str = Field(default="", validation_alias=Env.SIGNING_SECRET_ARN)
    sender_email: str = Field(default="", validation_alias=Env.SENDER_EMAIL)
    approver_email: str = Field(default="", validation_alias=Env.APPROVER_EMAIL)
    operator_email: str = Field(default="", validation_alias=Env.OPERATOR_EMAIL)
    public_base_url: str = Field(default="http://127.0.0.1:8000", validation_alias=Env.PUBLIC_BASE_URL)
    approval_link_ttl_seconds: int = Field(default=72 * 3600, gt=0, validation_alias=Env.APPROVAL_LINK_TTL_SECONDS)
    # How long Await approval waits: lets the API tell a timed-out task from one decided by someone else.
    approval_timeout_seconds: int = Field(default=72 * 3600, gt=0, validation_alias=Env.APPROVAL_TIMEOUT_SECONDS)
    # How many review rounds a ticket may have (the first proposal and the revisions); the last offers no revise.
    max_approval_rounds: int = Field(default=3, ge=1, le=10, validation_alias=Env.MAX_APPROVAL_ROUNDS)
    # The approval policy as JSON (the stack validates the YAML file and passes it); empty: one approver.
    approval_policy: str = Field(default="", validation_alias=Env.APPROVAL_POLICY)
    # "catalog": each action by the executor the catalog declares; "simulated": nothing is changed (the demo).
    resolution_executor: Literal["simulated", "catalog"] = Field(
        default="simulated", validation_alias=Env.RESOLUTION_EXECUTOR
    )
    # JSON {action id: executor} over the catalog's declarations (domain/execution.py).
    executor_overrides: str = Field(default="", validation_alias=Env.EXECUTOR_OVERRIDES)
    # Identity actions: the Cognito user pool, and the (filterable) attribute that holds the customer id.
    identity_user_pool_id: str = Field(default="", validation_alias=Env.IDENTITY_USER_POOL_ID)
    identity_user_attribute: str = Field(default="preferred_username", validation_alias=Env.IDENTITY_USER_ATTRIBUTE)
    # Device actions: JSON {command name: SSM document name} of the stack's documents, and the bounded wait.
    device_command_documents: str = Field(default="", validation_alias=Env.DEVICE_COMMAND_DOCUMENTS)
    device_command_wait_seconds: int = Field(default=60, ge=1, le=600, validation_alias=Env.DEVICE_COMMAND_WAIT_SECONDS)
    # The customer's confirmation: how long "Is your issue resolved?" waits for an answer (and its link lives),
    # how often a ticket may be reopened before it goes to a specialist, and the specialist's address.
    confirmation_timeout_seconds: int = Field(
        default=7 * 24 * 3600, gt=0, validation_alias=Env.CONFIRMATION_TIMEOUT_SECONDS
    )
    max_reopenings: int = Field(default=2, ge=0, le=10, validation_alias=Env.MAX_REOPENINGS)
    specialist_email: str = Field(default="", validation_alias=Env.SPECIALIST_EMAIL)
    # Person steps: with the catalog's executors, Execute stops at a customer or engineer step and the workflow
    # waits (Await step report) for the person's report, at most this long; off: those steps run simulated.
    person_steps: bool = Field(default=False, validation_alias=Env.PERSON_STEPS)
    person_step_timeout_seconds: int = Field(
        default=2 * 24 * 3600, gt=0, validation_alias=Env.PERSON_STEP_TIMEOUT_SECONDS
    )
    engineer_email: str = Field(default="", validation_alias=Env.ENGINEER_EMAIL)
    # A Bedrock model id or inference profile; "none" or empty: the rules and the catalog answer.
    model_id: str = Field(default="none", validation_alias=Env.MODEL_ID)
    # Lifecycle events: the bus every checkpoint is published on, and the queue that keeps what it refused.
    event_bus_name: str = Field(default="", validation_alias=Env.EVENT_BUS_NAME)
    event_retry_queue_url: str = Field(default="", validation_alias=Env.EVENT_RETRY_QUEUE_URL)
    events_include_customer_text: bool = Field(default=False, validation_alias=Env.EVENTS_INCLUDE_CUSTOMER_TEXT)
    # Webhooks: the subscribers' URLs (a JSON list), the signing secret, where deliveries that failed for good go.
    webhook_urls: str = Field(default="[]", validation_alias=Env.WEBHOOK_URLS)
    webhook_secret_arn: str = Field(default="", validation_alias=Env.WEBHOOK_SECRET_ARN)
    webhook_dead_letter_queue_url: str = Field(default="", validation_alias=Env.WEBHOOK_DEAD_LETTER_QUEUE_URL)
    webhook_retry_base_seconds: int = Field(default=30, ge=0, le=900, validation_alias=Env.WEBHOOK_RETRY_BASE_SECONDS)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, required: Iterable[Env] = ()) -> Settings:
        """The settings in `env` (default: the process environment); `required` names must be set."""
        source = os.environ if env is None else env
        missing = sorted(name.value for name in required if not source.get(name.value, "").strip())
        if missing:
            raise MissingConfiguration(
                f"supportflow: the function's environment lacks {', '.join(missing)}; "
                "the stack sets it (infra/stack.py), so redeploy or set it."
            )
        known = {f.validation_alias for f in cls.model_fields.values() if isinstance(f.validation_alias, str)}
        try:
            return cls.model_validate({k: v for k, v in source.items() if k in known})
        except ValidationError as error:
            first = error.errors()[0]
            name = first["loc"][0] if first["loc"] else Env.APPROVAL_POLICY.value
            raise MissingConfiguration(
                f"supportflow: the environment variable {name} is invalid: {first['msg'].removeprefix('Value error, ')}"
            ) from None

    @model_validator(mode="after")
    def _policy_is_valid(self) -> Settings:
        if self.approval_policy:
            try:
                policy_from_json(self.approval_policy)
            except InvalidPolicy as bad:
                raise ValueError(str(bad)) from None
        return self

    @field_validator("executor_overrides")
    @classmethod
    def _overrides_are_valid(cls, text: str) -> str:
        from .domain.catalog import load_catalog

        parse_overrides(text, set(load_catalog().actions()))
        return text

    @field_validator("identity_user_attribute")
    @classmethod
    def _attribute_can_be_filtered(cls, name: str) -> str:
        if name not in FILTERABLE_USER_ATTRIBUTES:
            raise ValueError(
                f"Cognito cannot filter users on {name!r}; use one of {sorted(FILTERABLE_USER_ATTRIBUTES)}"
            )
        return name

    @field_validator("device_command_documents")
    @classmethod
    def _documents_are_valid(cls, text: str) -> str:
        _documents(text)
        return text

    @property
    def device_documents(self) -> dict[str, str]:
        """The stack's command documents by command name (empty: device actions run simulated)."""
        return _documents(self.device_command_documents)

    @property
    def policy(self) -> ApprovalPolicy:
        """The approval policy; without one, today's: the configured approver decides every ticket."""
        if not self.approval_policy:
            return ApprovalPolicy.single_approver(self.approver_email)
        return _parsed_policy(self.approval_policy)

    @property
    def subscribers(self) -> list[str]:
        """The webhook subscribers' URLs, in the order the stack numbered them."""
        import json

        urls = json.loads(self.webhook_urls or "[]")
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise MissingConfiguration(f"supportflow: {Env.WEBHOOK_URLS.value} must be a JSON list of URLs.")
        return urls

    @property
    def model_enabled(self) -> bool:
        return self.model_id.strip().lower() not in ("", "none")

    @property
    def base_url(self) -> str:
        return self.public_base_url.rstrip("/")


def settings_for(handler_module: str, env: Mapping[str, str] | None = None) -> Settings:
    """The settings of the function whose handler lives in `handler_module`, its required names checked."""
    return Settings.from_env(env, required=REQUIRED_ENV[handler_module])


@cache
def _parsed_policy(text: str) -> ApprovalPolicy:
    return policy_from_json(text)


def _documents(text: str) -> dict[str, str]:
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError("not JSON") from None
    if not isinstance(parsed, dict) or not all(isinstance(v, str) and v for v in parsed.values()):
        raise ValueError("must map command names to document names")
    return {str(k): v for k, v in parsed.items()}
