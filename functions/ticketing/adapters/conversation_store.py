"""A ticket's conversation as AgentCore Memory `conversational` events, through the AgentCore SDK.

Turns live in the ticket's session beside its checkpoints (same `actorId` and
`sessionId`), one event per turn with payload
`[{"conversational": {"content": {"text": ...}, "role": "USER" | "ASSISTANT"}}]`
and metadata `kind=turn`, `role`, and the turn's time to the microsecond (`at`).
The SDK's `MemorySessionManager` writes a turn (`add_turns`) and reads the session's
turns, filtered by kind, page after page (`list_events`). Why the SDK here and raw
boto3 for checkpoints: README, "AgentCore Memory through the SDK".

The SDK is imported on first use, not with the module: it loads its agent runtime
(starlette, about 0.2 s), which the functions that never touch a conversation skip.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..domain.conversation import Role, Turn
from ..domain.models import Ticket, utc_now
from .memory_events import store_errors

if TYPE_CHECKING:
    from bedrock_agentcore.memory import MemorySessionManager
    from bedrock_agentcore.memory.models import StringValue

log = logging.getLogger(__name__)

KIND = "turn"
_ROLE_ORDER = {"USER": 0, "ASSISTANT": 1}
# `turns` reads the whole conversation; the SDK pages 100 events at a time up to this bound.
EVERY_TURN = 100_000
# ListEvents' filter for turns as the API spells it (the SDK's TypedDict wants its operator enum; AWS takes the string).
_IS_TURN: Any = {
    "left": {"metadataKey": "kind"},
    "operator": "EQUALS_TO",
    "right": {"metadataValue": {"stringValue": KIND}},
}


class ConversationStore:
    """The turns of each ticket's conversation, kept in AgentCore Memory.

    `memory_client` is the process's boto3 `bedrock-agentcore` client: the SDK is
    handed that client instead of building its own, so it shares the client's
    connection pool and retry settings, and tests can stub it.
    """

    def __init__(self, memory_client: Any, memory_id: str) -> None:
        self._client = memory_client
        self._memory_id = memory_id

    def append(self, ticket: Ticket, role: Role, text: str) -> Turn:
        """Store one turn of the ticket's conversation."""
        from bedrock_agentcore.memory.constants import ConversationalMessage, MessageRole

        turn = Turn(role=role, text=text, at=utc_now())
        # No client token is passed: CreateEvent's is an idempotency token that botocore fills in
        # per call and keeps across its retries, and a turn is a new event on every call.
        with store_errors("save the conversation turn"):
            self._memory().add_turns(
                actor_id=ticket.customer_id,
                session_id=ticket.ticket_id,
                messages=[ConversationalMessage(text, MessageRole(role))],
                metadata={
                    "kind": _tag(KIND),
                    "role": _tag(role),
                    "at": _tag(turn.at.isoformat(timespec="microseconds")),
                },
                event_timestamp=turn.at,
            )
        return turn

    def turns(self, ticket_id: str, customer_id: str) -> list[Turn]:
        """Every USER and ASSISTANT turn of the ticket, oldest first."""
        return self._read(ticket_id, customer_id, EVERY_TURN)

    def last_turns(self, ticket_id: str, customer_id: str, k: int) -> list[Turn]:
        """The ticket's newest `k` turns, oldest first.

        Reads only as many events as it returns: ListEvents answers newest first
        and honours the `kind` filter (the local runtime's emulation does too).
        """
        return self._read(ticket_id, customer_id, k) if k > 0 else []

    def _memory(self) -> MemorySessionManager:
        return _session_manager(self._client, self._memory_id)

    def _read(self, ticket_id: str, customer_id: str, most: int) -> list[Turn]:
        with store_errors("read the conversation"):
            events = self._memory().list_events(
                actor_id=customer_id, session_id=ticket_id, eventMetadata=[_IS_TURN], max_results=most
            )
        found = [turn for event in events for turn in _turns_in(event)]
        # The listing's order is not the conversation's: events in one millisecond tie on AWS.
        return sorted(found, key=lambda t: (t.at, _ROLE_ORDER[t.role]))


class _OneClientSession:
    """What `MemorySessionManager` needs of a boto3 Session, answering with an existing client.

    The SDK asks its session for a `bedrock-agentcore` client and nothing else; any
    other service is refused, so a bundle never needs another botocore model for it.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self.region_name: str = client.meta.region_name

    def client(self, service_name: str, **_: Any) -> Any:
        if service_name != self._client.meta.service_model.service_name:
            raise ValueError(f"the conversation store holds no {service_name} client")
        return self._client


@functools.lru_cache(maxsize=8)
def _session_manager(client: Any, memory_id: str) -> MemorySessionManager:
    """One SDK session manager per client and memory.

    Built once because its constructor rewraps the client's timestamp serializer
    (as seconds with a fraction, which botocore 1.44 already sends) each time.
    """
    from bedrock_agentcore.memory import MemorySessionManager

    return MemorySessionManager(memory_id, region_name=client.meta.region_name, boto3_session=_OneClientSession(client))


def _tag(value: str) -> StringValue:
    return {"stringValue": value}


def _turns_in(event: Any) -> list[Turn]:  # an SDK `Event`: dict-like, not a Mapping
    tags = event.get("metadata") or {}
    if tags.get("kind", {}).get("stringValue") != KIND:
        return []  # a checkpoint or another event: moto ignores the filter
    at = _time(tags.get("at", {}).get("stringValue"), event.get("eventTimestamp"))
    found = []
    for item in event.get("payload") or []:
        said = item.get("conversational")
        if not isinstance(said, dict) or said.get("role") not in _ROLE_ORDER:
            continue
        text = (said.get("content") or {}).get("text")
        if isinstance(text, str) and at is not None:
            found.append(Turn(role=said["role"], text=text, at=at))
    return found


def _time(tagged: str | None, listed: Any) -> datetime | None:
    if tagged:
        try:
            return datetime.fromisoformat(tagged)
        except ValueError:
            log.warning("ignoring a turn time that is not ISO 8601: %r", tagged[:40])
    return listed if isinstance(listed, datetime) else None
