"""Deployment settings, read from CDK context (cdk.json or `-c key=value`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Node

DEFAULTS: dict[str, Any] = {
    "approver_email": "approver@example.com",
    "sender_email": "supportflow@example.com",
    "operator_email": "operations@example.com",
    "approval_timeout_seconds": 72 * 3600,
    "approval_link_ttl_seconds": 0,  # 0: the approval timeout
    "memory_expiry_days": 90,
    "public_base_url": "",
    "retry_interval_seconds": 2,
    # A Bedrock model or inference profile id; "none" runs the rules analyzer and the catalog only.
    "model_id": "us.anthropic.claude-sonnet-4-6",
}


@dataclass(frozen=True)
class StackConfig:
    approver_email: str
    sender_email: str
    operator_email: str
    approval_timeout_seconds: int
    approval_link_ttl_seconds: int
    memory_expiry_days: int
    public_base_url: str
    retry_interval_seconds: int
    model_id: str

    @classmethod
    def from_context(cls, node: Node) -> StackConfig:
        values = {}
        for key, default in DEFAULTS.items():
            raw = node.try_get_context(key)
            values[key] = default if raw in (None, "") else type(default)(raw)
        config = cls(**values)
        if config.approval_timeout_seconds < 1:
            raise ValueError("approval_timeout_seconds must be a positive number of seconds")
        return config
