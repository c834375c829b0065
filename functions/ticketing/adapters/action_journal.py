"""Executors' journal as AgentCore Memory events: one event per entry in the ticket's session.

An entry (`kind=execution`, the action id in the metadata, the entry as a blob) is written
with a client token derived from ticket, action, entry kind and command id, so writing the
same entry twice keeps one on AWS (moto ignores the token; readers keep the first anyway).
Execute is the ticket's only writer while it runs, as for checkpoints.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from ..domain.execution import JournalEntry
from .memory_events import blobs, session_events, store_errors
from .memory_events import tag as _tag

log = logging.getLogger(__name__)

KIND = "execution"


class AgentCoreActionJournal:
    def __init__(self, memory_client: Any, memory_id: str) -> None:
        self._client = memory_client
        self._memory_id = memory_id

    def record(self, entry: JournalEntry, customer_id: str) -> None:
        key = f"{entry.ticket_id}|{entry.action_id}|{entry.kind}|{entry.command_id}"
        try:
            with store_errors("record what the executor did"):
                self._create(entry, customer_id, key)
        except ClientError as error:
            if error.response.get("reason") != "IdempotentParameterMismatchException":
                raise
            # A retry of a write that was stored (with another timestamp): the first entry stands.

    def _create(self, entry: JournalEntry, customer_id: str, key: str) -> None:
        self._client.create_event(
            memoryId=self._memory_id,
            actorId=customer_id,
            sessionId=entry.ticket_id,
            eventTimestamp=entry.recorded_at,
            payload=[{"blob": entry.model_dump(mode="json")}],
            clientToken=hashlib.sha256(key.encode()).hexdigest(),
            metadata={"kind": _tag(KIND), "action": _tag(entry.action_id)},
        )

    def entries(self, ticket_id: str, customer_id: str, action_id: str) -> list[JournalEntry]:
        found: dict[tuple[str, str], JournalEntry] = {}
        with store_errors("read what the executor did"):
            for event in session_events(self._client, self._memory_id, ticket_id, customer_id, KIND):
                for entry in _entries_in(event):
                    if entry.action_id != action_id or entry.ticket_id != ticket_id:
                        continue
                    kept = found.get((entry.kind, entry.command_id))
                    if kept is None or entry.recorded_at < kept.recorded_at:
                        found[(entry.kind, entry.command_id)] = entry
        return sorted(found.values(), key=lambda e: e.recorded_at)


def _entries_in(event: dict[str, Any]) -> list[JournalEntry]:
    found = []
    for blob in blobs(event, KIND):
        try:
            found.append(JournalEntry.model_validate(blob))
        except ValidationError:
            log.warning("skipping a malformed journal entry in event %s", event.get("eventId"))
    return found
