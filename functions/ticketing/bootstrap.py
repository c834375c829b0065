"""Builds the real adapters behind the ports, lazily and once per container.

Logic takes a `ports.Services`; here it is backed by AWS. Tests build one from
in-memory fakes instead (`tests/fakes.py`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from .adapters.aws_clients import client
from .adapters.checkpoint_store import AgentCoreCheckpointLog
from .adapters.conversation_store import ConversationStore
from .adapters.executors import executor_named
from .adapters.mailer import SesMailer
from .adapters.signing_key import signing_key
from .adapters.workflow import StepFunctionsWorkflow
from .domain.approval_link import ApprovalLinkSigner
from .ports import ResolutionExecutor
from .settings import Settings


class AwsServices:
    """The ports on AWS. Each adapter is built on first use, so a function pays only for what it calls."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def checkpoints(self) -> AgentCoreCheckpointLog:
        return AgentCoreCheckpointLog(client("bedrock-agentcore", self.settings.aws_region), self.settings.memory_id)

    @cached_property
    def conversation(self) -> ConversationStore:
        return ConversationStore(client("bedrock-agentcore", self.settings.aws_region), self.settings.memory_id)

    @cached_property
    def language_model(self) -> Any | None:
        """The agents' Bedrock model, or None when none is configured (the rules and the catalog answer)."""
        if not self.settings.model_enabled:
            return None
        from .agents.bedrock import bedrock_model  # deferred: loads strands

        return bedrock_model(self.settings.model_id, self.settings.aws_region)

    @cached_property
    def mailer(self) -> SesMailer:
        return SesMailer(client("sesv2", self.settings.aws_region), self.settings.sender_email)

    @cached_property
    def workflow(self) -> StepFunctionsWorkflow:
        return StepFunctionsWorkflow(client("stepfunctions", self.settings.aws_region), self.settings.state_machine_arn)

    @cached_property
    def signer(self) -> ApprovalLinkSigner:
        secrets = client("secretsmanager", self.settings.aws_region)
        return ApprovalLinkSigner(signing_key(secrets, self.settings.signing_secret_arn))

    @cached_property
    def executor(self) -> ResolutionExecutor:
        return executor_named(self.settings.resolution_executor)


def aws_services(settings: Settings) -> AwsServices:
    """Services for one invocation (cheap: clients, keys and the model are cached per process)."""
    return AwsServices(settings)
