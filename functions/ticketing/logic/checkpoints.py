"""Reading and writing a ticket's checkpoints through the `CheckpointLog` port."""

from __future__ import annotations

import time
from typing import Any

from ..domain.checkpoint import Checkpoint, successor
from ..domain.errors import CheckpointNotFound
from ..domain.models import Ticket, TicketState, utc_now
from ..ports import CheckpointLog


def latest_checkpoint(log: CheckpointLog, ticket: Ticket) -> Checkpoint:
    history = log.history(ticket.ticket_id, ticket.customer_id)
    if not history:
        raise CheckpointNotFound(f"Ticket {ticket.ticket_id} has no checkpoint yet.")
    return history[-1]


def record_checkpoint(
    log: CheckpointLog,
    ticket: Ticket,
    state: TicketState,
    step_key: str,
    *,
    after: Checkpoint | None = None,
    **changes: Any,
) -> Checkpoint:
    """Write the checkpoint for `state` (idempotent per `step_key`) and return the newest one.

    `after`: the newest checkpoint, when the caller just wrote or read it (a step is its
    ticket's only writer), saves a read.

    A retried step finds its own checkpoint and writes nothing; it announces it again, so
    what follows a write (its lifecycle event) happens at least once even when the first
    attempt died between the write and the publish.
    """
    if after is None:
        history = log.history(ticket.ticket_id, ticket.customer_id)
        after = history[-1] if history else None
    written = successor(after, ticket=ticket, state=state, step_key=step_key, changes=changes, now=utc_now())
    if written is None:
        assert after is not None
        log.announce(after)
        return after
    log.append(written, ticket.customer_id)
    return written


# How long a refused answer waits for the step after it to write its checkpoint (seconds, one pause at a time).
VISIBLE_WITHIN = (0.1, 0.2, 0.4, 0.8)


def checkpoint_after(log: CheckpointLog, ticket: Ticket, waited: Checkpoint) -> Checkpoint:
    """The newest checkpoint once one newer than `waited` is written (or after a short wait: `waited` again).

    Step Functions refused an answer to a waiting task: the step that took the first answer
    (or the timeout) writes its checkpoint a moment later, and the refusal is explained by it.
    """
    current = latest_checkpoint(log, ticket)
    for pause in VISIBLE_WITHIN:
        if current.content_hash != waited.content_hash:
            break
        time.sleep(pause)
        current = latest_checkpoint(log, ticket)
    return current
