"""Approvers' votes as AgentCore Memory events, one per (ticket, round, approver).

A vote is one event in the ticket's session (`kind=vote`, `round`, `approver` in the
metadata, the vote as a blob) written with a client token derived from ticket, round,
the request it answers and approver. AWS keeps the first event for a token: a second vote of the same approver
is the same request only if it says the same, and otherwise AWS refuses it as an
idempotent-parameter mismatch; either way the stored vote is the first one. The API
writes votes before it answers, so an accepted vote is never lost; it never writes
checkpoints (the workflow step after the decision records the votes in its checkpoint).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from ..domain.models import Vote
from .memory_events import blobs, session_events, store_errors
from .memory_events import tag as _tag

log = logging.getLogger(__name__)

KIND = "vote"


class AgentCoreVoteLog:
    def __init__(self, memory_client: Any, memory_id: str) -> None:
        self._client = memory_client
        self._memory_id = memory_id

    def record(self, vote: Vote, customer_id: str) -> Vote:
        started = vote.request_started.isoformat() if vote.request_started else ""
        token = hashlib.sha256(f"{vote.ticket_id}|{vote.round}|{started}|{vote.approver}".encode()).hexdigest()
        try:
            with store_errors("record the vote"):
                self._client.create_event(
                    memoryId=self._memory_id,
                    actorId=customer_id,
                    sessionId=vote.ticket_id,
                    eventTimestamp=vote.decided_at,
                    payload=[{"blob": vote.model_dump(mode="json")}],
                    clientToken=token,
                    metadata={
                        "kind": _tag(KIND),
                        "round": _tag(str(vote.round)),
                        "approver": _tag(vote.approver),
                    },
                )
        except ClientError as error:
            if error.response.get("reason") != "IdempotentParameterMismatchException":
                raise
            # The same approver voted before on this request with other words: the first vote stands.
            log.info("a second vote of %s in round %s was refused by its client token", vote.approver, vote.round)
            stored = [
                v
                for v in self.votes(vote.ticket_id, customer_id, vote.round)
                if v.approver == vote.approver and v.request_started == vote.request_started
            ]
            if not stored:
                raise
            return stored[0]
        # Stored now (a replay of the very same vote would have returned the same event): no read back.
        return vote

    def votes(self, ticket_id: str, customer_id: str, round_number: int) -> list[Vote]:
        found: dict[tuple[str, str], Vote] = {}
        with store_errors("read the votes"):
            for event in session_events(self._client, self._memory_id, ticket_id, customer_id, KIND):
                for vote in _votes_in(event, round_number):
                    key = (vote.request_started.isoformat() if vote.request_started else "", vote.approver)
                    kept = found.get(key)
                    if kept is None or vote.decided_at < kept.decided_at:
                        found[key] = vote
        return sorted(found.values(), key=lambda v: v.decided_at)


def _votes_in(event: dict[str, Any], round_number: int) -> list[Vote]:
    found = []
    for blob in blobs(event, KIND):
        try:
            vote = Vote.model_validate(blob)
        except ValidationError:
            log.warning("skipping a malformed vote in event %s", event.get("eventId"))
            continue
        if vote.round == round_number:
            found.append(vote)
    return found
