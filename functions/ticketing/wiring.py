"""Builds the adapters a function needs from its settings, once per container."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .adapters.aws_clients import client
from .adapters.checkpoint_store import CheckpointStore
from .adapters.conversation_store import ConversationStore
from .adapters.mailer import SesMailer
from .adapters.signing_key import signing_key
from .adapters.workflow import TicketWorkflow
from .domain.approval_link import ApprovalLinkSigner
from .settings import Settings


@dataclass
class Services:
    settings: Settings

    @cached_property
    def checkpoints(self) -> CheckpointStore:
        return CheckpointStore(client("bedrock-agentcore", self.settings.aws_region), self.settings.memory_id)

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
    def workflow(self) -> TicketWorkflow:
        return TicketWorkflow(client("stepfunctions", self.settings.aws_region), self.settings.state_machine_arn)

    @cached_property
    def signer(self) -> ApprovalLinkSigner:
        secrets = client("secretsmanager", self.settings.aws_region)
        return ApprovalLinkSigner(signing_key(secrets, self.settings.signing_secret_arn))


def services() -> Services:
    """Services for the current environment (cheap: clients are cached per process)."""
    return Services(Settings.from_env())
