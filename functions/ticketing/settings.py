"""Function configuration, parsed once from the environment into a typed model."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    memory_id: str = Field(alias="MEMORY_ID")
    aws_region: str = Field(default="us-east-1", alias="AWS_REGION")
    state_machine_arn: str = Field(default="", alias="STATE_MACHINE_ARN")
    signing_secret_arn: str = Field(default="", alias="SIGNING_SECRET_ARN")
    sender_email: str = Field(default="", alias="SENDER_EMAIL")
    approver_email: str = Field(default="", alias="APPROVER_EMAIL")
    operator_email: str = Field(default="", alias="OPERATOR_EMAIL")
    public_base_url: str = Field(default="http://127.0.0.1:8000", alias="PUBLIC_BASE_URL")
    approval_link_ttl_seconds: int = Field(default=72 * 3600, gt=0, alias="APPROVAL_LINK_TTL_SECONDS")
    # How long Await approval waits: lets the API tell a timed-out task from one decided by someone else.
    approval_timeout_seconds: int = Field(default=72 * 3600, gt=0, alias="APPROVAL_TIMEOUT_SECONDS")
    resolution_executor: str = Field(default="simulated", alias="RESOLUTION_EXECUTOR")
    # A Bedrock model id or inference profile; "none" or empty: the rules and the catalog answer.
    model_id: str = Field(default="none", alias="MODEL_ID")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        known = {f.alias for f in cls.model_fields.values() if f.alias}
        return cls.model_validate({k: v for k, v in source.items() if k in known})

    @property
    def model_enabled(self) -> bool:
        return self.model_id.strip().lower() not in ("", "none")

    @property
    def base_url(self) -> str:
        return self.public_base_url.rstrip("/")
