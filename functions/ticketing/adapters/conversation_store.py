"""A ticket's conversation as AgentCore Memory `conversational` events.

Turns live in the ticket's session beside its checkpoints (same `actorId` and
`sessionId`), one event per turn with payload
`[{"conversational": {"content": {"text": ...}, "role": "USER" | "ASSISTANT"}}]`
and metadata `kind=turn` plus the turn's time to the microsecond. Reading takes
every page and keeps only conversational payloads: moto ignores the metadata filter
and AWS lists newest first, so order comes from the recorded time, not the listing.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from ..domain.conversation import Role, Turn
from ..domain.models import Ticket, utc_now
from .memory_events import session_events
from .memory_events import tag as _tag

log = logging.getLogger(__name__)

KIND = "turn"
_ROLE_ORDER = {"USER": 0, "ASSISTANT": 1}


class ConversationStore:
    def __init__(self, memory_client: Any, memory_id: str) -> None:
        self._client = memory_client
        self._memory_id = memory_id

    def append(self, ticket: Ticket, role: Role, text: str) -> Turn:
        """Store one turn of the ticket's conversation."""
        turn = Turn(role=role, text=text, at=utc_now())
        at = turn.at.isoformat(timespec="microseconds")
        self._client.create_event(
            memoryId=self._memory_id,
            actorId=ticket.customer_id,
            sessionId=ticket.ticket_id,
            eventTimestamp=turn.at,
            payload=[{"conversational": {"content": {"text": text}, "role": role}}],
            clientToken=hashlib.sha256(f"{ticket.ticket_id}|{role}|{at}|{text}".encode()).hexdigest(),
            metadata={"kind": _tag(KIND), "role": _tag(role), "at": _tag(at)},
        )
        return turn

    def turns(self, ticket_id: str, customer_id: str) -> list[Turn]:
        """Every USER and ASSISTANT turn of the ticket, oldest first."""
        found: list[Turn] = []
        for event in session_events(self._client, self._memory_id, ticket_id, customer_id, KIND):
            found.extend(_turns_in(event))
        return sorted(found, key=lambda t: (t.at, _ROLE_ORDER[t.role]))

    def last_turns(self, ticket_id: str, customer_id: str, k: int) -> list[Turn]:
        """The newest `k` turns, oldest first."""
        return self.turns(ticket_id, customer_id)[-k:] if k > 0 else []


def _turns_in(event: dict[str, Any]) -> list[Turn]:
    tags = event.get("metadata") or {}
    if tags.get("kind", {}).get("stringValue") != KIND:
        return []  # a checkpoint or another event: the filter is not trusted
    at = _time(tags.get("at", {}).get("stringValue"), event.get("eventTimestamp"))
    found = []
    for item in event.get("payload", []):
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
