"""Builds the real adapters behind the ports, lazily and once per container.

Logic takes a `ports.Services`; here it is backed by AWS. Tests build one from
in-memory fakes instead (`tests/fakes.py`). Each adapter module is imported when its
port is first used, so a function loads only the adapters it calls (the approval
monitor, for one, never loads the memory or mail adapters).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from .adapters.aws_clients import client
from .settings import Settings

if TYPE_CHECKING:
    from .adapters.conversation_store import ConversationStore
    from .adapters.event_bus import EventBridgePublisher
    from .adapters.mailer import SesMailer
    from .adapters.vote_log import AgentCoreVoteLog
    from .adapters.workflow import StepFunctionsWorkflow
    from .domain.approval_link import ApprovalLinkSigner
    from .ports import CheckpointLog, ResolutionExecutor


class AwsServices:
    """The ports on AWS. Each adapter is built on first use, so a function pays only for what it calls."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def checkpoints(self) -> CheckpointLog:
        """The checkpoint log; in a function that publishes events, each checkpoint written is published."""
        from .adapters.checkpoint_store import AgentCoreCheckpointLog

        stored = AgentCoreCheckpointLog(client("bedrock-agentcore", self.settings.aws_region), self.settings.memory_id)
        if not self.settings.event_bus_name:
            return stored
        from .logic.lifecycle import PublishingCheckpointLog

        return PublishingCheckpointLog(
            stored,
            self.events,
            base_url=self.settings.base_url,
            include_customer_text=self.settings.events_include_customer_text,
        )

    @cached_property
    def events(self) -> EventBridgePublisher:
        from .adapters.event_bus import EventBridgePublisher, events_client

        region, queue_url = self.settings.aws_region, self.settings.event_retry_queue_url
        retry_queue = (client("sqs", region), queue_url) if queue_url else None
        return EventBridgePublisher(events_client(region), self.settings.event_bus_name, retry_queue=retry_queue)

    @cached_property
    def votes(self) -> AgentCoreVoteLog:
        from .adapters.vote_log import AgentCoreVoteLog

        return AgentCoreVoteLog(client("bedrock-agentcore", self.settings.aws_region), self.settings.memory_id)

    @cached_property
    def conversation(self) -> ConversationStore:
        from .adapters.conversation_store import ConversationStore

        # A client of its own: the SDK re-wires its client's timestamp serializer, which the
        # checkpoint log's writes must not depend on.
        memory = client("bedrock-agentcore", self.settings.aws_region, purpose="conversation")
        return ConversationStore(memory, self.settings.memory_id)

    @cached_property
    def language_model(self) -> Any | None:
        """The agents' Bedrock model, or None when none is configured (the rules and the catalog answer)."""
        if not self.settings.model_enabled:
            return None
        from .agents.bedrock import bedrock_model  # deferred: loads strands

        return bedrock_model(self.settings.model_id, self.settings.aws_region)

    @cached_property
    def mailer(self) -> SesMailer:
        from .adapters.mailer import SesMailer

        return SesMailer(client("sesv2", self.settings.aws_region), self.settings.sender_email)

    @cached_property
    def workflow(self) -> StepFunctionsWorkflow:
        from .adapters.workflow import StepFunctionsWorkflow

        return StepFunctionsWorkflow(client("stepfunctions", self.settings.aws_region), self.settings.state_machine_arn)

    @cached_property
    def signer(self) -> ApprovalLinkSigner:
        from .adapters.signing_key import signing_key
        from .domain.approval_link import ApprovalLinkSigner

        secrets = client("secretsmanager", self.settings.aws_region)
        return ApprovalLinkSigner(signing_key(secrets, self.settings.signing_secret_arn))

    @cached_property
    def executor(self) -> ResolutionExecutor:
        from .adapters.executors import executor_named

        return executor_named(self.settings.resolution_executor, self.settings)


def aws_services(settings: Settings) -> AwsServices:
    """Services for one invocation (cheap: clients, keys and the model are cached per process)."""
    return AwsServices(settings)
