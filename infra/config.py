"""Deployment settings, read from CDK context (cdk.json or `-c key=value`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from constructs import Node

from ticketing.domain.policy import ApprovalPolicy, InvalidPolicy, parse_policy

DEFAULTS: dict[str, Any] = {
    "approver_email": "approver@example.com",
    "sender_email": "supportflow@example.com",
    "operator_email": "operations@example.com",
    "approval_timeout_seconds": 72 * 3600,
    "approval_link_ttl_seconds": 0,  # 0: the approval timeout
    # Review rounds per ticket: the first proposal and up to max-1 revisions the approver asks for.
    "max_approval_rounds": 3,
    "memory_expiry_days": 90,
    "public_base_url": "",
    "retry_interval_seconds": 2,
    # A Bedrock model or inference profile id; "none" runs the rules analyzer and the catalog only.
    "model_id": "us.anthropic.claude-sonnet-4-6",
    # The approval-age alarm fires when a ticket has waited this long for a decision.
    "approval_alarm_age_seconds": 24 * 3600,
    # true writes state inputs and outputs (customer text) to the execution log.
    "log_execution_data": False,
    # Requests per second (steady, burst) for the whole API stage.
    "api_rate_limit": 20,
    "api_burst_limit": 40,
    # The approval policy file (YAML), relative to the repository; validated at synthesis.
    "approval_policy": "policies/default.yaml",
    # Webhook subscribers' https URLs (a list in cdk.json, or comma-separated with -c); none: no webhooks.
    "webhook_urls": [],
    # Delay before a failed delivery's first retry, doubling each time; deliveries tried this many times at most.
    "webhook_retry_base_seconds": 30,
    "webhook_max_attempts": 8,
    # true puts the customer's subject and description in every event (off: events carry facts, not their words).
    "events_include_customer_text": False,
    # Lambda SnapStart: "where-it-pays" (the API function, where a person waits on a cold start), "all" or "none".
    "snap_start": "where-it-pays",
    # How approved steps run: "catalog" (each action by the executor the catalog declares) or "simulated".
    "resolution_executor": "catalog",
    # JSON {action id: executor} over the catalog's declarations, e.g. {"network.reset-adapter": "simulated"}.
    "executor_overrides": "",
    # Identity actions: an existing Cognito user pool (empty: they run simulated) and the attribute
    # that holds the customer id (one Cognito's ListUsers can filter on).
    "identity_user_pool_id": "",
    "identity_user_attribute": "preferred_username",
    # How long Execute waits for one device command before its retry waits again (the command is not resent).
    "device_command_wait_seconds": 120,
    # After the last step the customer is asked "Is your issue resolved?" (true) or the ticket ends COMPLETED.
    "customer_confirmation": True,
    # How long the question waits before the ticket closes unanswered (7 days), how often a customer may
    # reopen a ticket before it goes to the specialist (empty: the operator address).
    "confirmation_timeout_seconds": 7 * 24 * 3600,
    "max_reopenings": 2,
    "specialist_email": "",
    # Person steps (with the catalog's executors): Execute stops at a customer or engineer step and the workflow
    # waits for the person's report through a signed link, at most this long (2 days), then counts it failed;
    # the engineer who gets engineer steps (empty: the operator address). false: those steps run simulated.
    "person_steps": True,
    "person_step_timeout_seconds": 2 * 24 * 3600,
    "engineer_email": "",
}
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class StackConfig:
    approver_email: str
    sender_email: str
    operator_email: str
    approval_timeout_seconds: int
    approval_link_ttl_seconds: int
    max_approval_rounds: int
    memory_expiry_days: int
    public_base_url: str
    retry_interval_seconds: int
    model_id: str
    approval_alarm_age_seconds: int
    log_execution_data: bool
    api_rate_limit: int
    api_burst_limit: int
    approval_policy: str
    webhook_urls: list[str]
    webhook_retry_base_seconds: int
    webhook_max_attempts: int
    events_include_customer_text: bool
    snap_start: str
    resolution_executor: str
    executor_overrides: str
    identity_user_pool_id: str
    identity_user_attribute: str
    device_command_wait_seconds: int
    customer_confirmation: bool
    confirmation_timeout_seconds: int
    max_reopenings: int
    specialist_email: str
    person_steps: bool
    person_step_timeout_seconds: int
    engineer_email: str

    @classmethod
    def from_context(cls, node: Node) -> StackConfig:
        values = {}
        for key, default in DEFAULTS.items():
            raw = node.try_get_context(key)
            values[key] = default if raw in (None, "") else _parse(key, raw, default)
        config = cls(**values)
        if not 1 <= config.max_approval_rounds <= 10:
            raise ValueError("max_approval_rounds must be between 1 and 10")
        for key in ("approval_timeout_seconds", "approval_alarm_age_seconds", "api_rate_limit", "api_burst_limit"):
            if getattr(config, key) < 1:
                raise ValueError(f"{key} must be a positive number")
        config.check_executors()
        # A negative lifetime would stop every function at start (their settings refuse it).
        for url in config.webhook_urls:
            if not url.startswith("https://") or any(c.isspace() for c in url):
                raise ValueError(f"webhook_urls: {url!r} is not an https:// URL")
        if not 0 <= config.webhook_retry_base_seconds <= 900 or not 1 <= config.webhook_max_attempts <= 1000:
            raise ValueError("webhook_retry_base_seconds must be 0-900 and webhook_max_attempts 1-1000")
        if config.snap_start not in ("where-it-pays", "all", "none"):
            raise ValueError("snap_start must be where-it-pays, all or none")
        if config.confirmation_timeout_seconds < 1 or not 0 <= config.max_reopenings <= 10:
            raise ValueError("confirmation_timeout_seconds must be positive and max_reopenings between 0 and 10")
        if config.person_step_timeout_seconds < 1:
            raise ValueError("person_step_timeout_seconds must be a positive number")
        if config.approval_link_ttl_seconds < 0:
            raise ValueError("approval_link_ttl_seconds must be 0 (the approval timeout) or a positive number")
        return config

    def check_executors(self) -> None:
        """The executor settings as the functions will read them: a bad one stops synthesis, naming it."""
        from ticketing.contract import Env
        from ticketing.settings import MissingConfiguration, Settings

        try:
            Settings.from_env(
                {
                    Env.RESOLUTION_EXECUTOR: self.resolution_executor,
                    Env.EXECUTOR_OVERRIDES: self.executor_overrides,
                    Env.IDENTITY_USER_ATTRIBUTE: self.identity_user_attribute,
                    Env.DEVICE_COMMAND_WAIT_SECONDS: str(self.device_command_wait_seconds),
                }
            )
        except MissingConfiguration as bad:
            raise ValueError(str(bad).removeprefix("supportflow: ")) from None

    def policy(self) -> ApprovalPolicy:
        """The approval policy file, validated (a bad one stops synthesis with a sentence naming the field)."""
        return load_policy(self.approval_policy, self.approver_email)

    @property
    def waits_for_people(self) -> bool:
        """Customer and engineer steps wait for the person's report (the catalog's executors, person_steps on)."""
        return self.person_steps and self.resolution_executor == "catalog"

    @property
    def runs_model(self) -> bool:
        return self.model_id.lower() not in ("", "none")


def load_policy(approval_policy: str | Path, approver_email: str = DEFAULTS["approver_email"]) -> ApprovalPolicy:
    """The approval policy file (relative to the repository unless absolute), validated: `InvalidPolicy` names
    the field. `supportflow serve --policy` checks its file with this, as synthesis does."""
    path = Path(approval_policy)
    path = path if path.is_absolute() else ROOT / path
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as error:
        raise InvalidPolicy(f"approval_policy: cannot read {path}: {error.strerror}.") from None
    except yaml.YAMLError as error:
        raise InvalidPolicy(f"approval_policy: {path} is not YAML: {error}.") from None
    return parse_policy(data, f"The approval policy {path.name}").with_approver(approver_email)


def _parse(key: str, raw: Any, default: Any) -> Any:
    if isinstance(default, list):  # a JSON list from cdk.json, or "a,b" from -c
        items = raw if isinstance(raw, list) else [part for part in str(raw).split(",")]
        return [str(item).strip() for item in items if str(item).strip()]
    if isinstance(raw, dict):  # cdk.json may hold the executor overrides as an object
        return json.dumps(raw)
    if isinstance(default, bool):  # bool("false") is True, so read the words
        if str(raw).lower() not in ("true", "false"):
            raise ValueError(f"{key} must be true or false")
        return str(raw).lower() == "true"
    return type(default)(raw)
