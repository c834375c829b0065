"""Checkpoints as AgentCore Memory short-term events.

One ticket is one session (`sessionId` = ticket id, `actorId` = the customer). A
checkpoint is one event whose payload is `[{"blob": <checkpoint JSON document>}]`,
tagged with metadata so it can be filtered from conversation turns.

Loading reads every page and orders by (sequence, time) in code: AWS lists newest
first but events in the same second tie. Writing passes a client token derived from
the step, so a retried write stores one event.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from pydantic import ValidationError

from ..domain.checkpoint import Checkpoint, in_order
from .memory_events import blobs, session_events, store_errors
from .memory_events import tag as _tag

log = logging.getLogger(__name__)

KIND = "checkpoint"


class AgentCoreCheckpointLog:
    """The `CheckpointLog` port on AgentCore Memory (raw boto3: see the README's SDK section)."""

    def __init__(self, memory_client: Any, memory_id: str) -> None:
        self._client = memory_client
        self._memory_id = memory_id

    def history(self, ticket_id: str, customer_id: str) -> list[Checkpoint]:
        """All checkpoints of a ticket, oldest first."""
        with store_errors("read the ticket's checkpoints"):
            return in_order(self._read_all(ticket_id, customer_id))

    def append(self, checkpoint: Checkpoint, customer_id: str) -> None:
        with store_errors("save the ticket's checkpoint"):
            self._write(checkpoint, customer_id)

    def announce(self, checkpoint: Checkpoint) -> None:
        """Nothing to tell: the store is silent (the publishing log around it announces)."""

    def _write(self, checkpoint: Checkpoint, customer_id: str) -> None:
        token_source = f"{checkpoint.ticket_id}|{checkpoint.step_key}|{checkpoint.sequence}"
        self._client.create_event(
            memoryId=self._memory_id,
            actorId=customer_id,
            sessionId=checkpoint.ticket_id,
            eventTimestamp=checkpoint.created_at,
            payload=[{"blob": checkpoint.model_dump(mode="json")}],
            clientToken=hashlib.sha256(token_source.encode()).hexdigest(),
            metadata={
                "kind": _tag(KIND),
                "state": _tag(checkpoint.state.value),
                "sequence": _tag(str(checkpoint.sequence)),
                "schema": _tag(str(checkpoint.schema_version)),
            },
        )

    def _read_all(self, ticket_id: str, customer_id: str) -> list[Checkpoint]:
        found: list[Checkpoint] = []
        for event in session_events(self._client, self._memory_id, ticket_id, customer_id, KIND):
            found.extend(_checkpoints_in(event))
        return found


def _checkpoints_in(event: dict[str, Any]) -> list[Checkpoint]:
    found = []
    for blob in blobs(event, KIND):
        try:
            checkpoint = Checkpoint.model_validate(blob)
        except ValidationError:
            log.warning("skipping malformed checkpoint in event %s", event.get("eventId"))
            continue
        if not checkpoint.verify():
            log.warning("skipping checkpoint whose content hash does not match, event %s", event.get("eventId"))
            continue
        found.append(checkpoint)
    return found
