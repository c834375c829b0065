"""Every checkpoint written is published as a lifecycle event, right after the write.

`PublishingCheckpointLog` wraps the checkpoint log, so no step can write a
checkpoint without its event. The write comes first and stands on its own: a publish
that fails is logged and counted, never raised, so the bus can neither lose a
checkpoint nor hold a ticket up. A step retried after its write publishes the event
again (record_checkpoint announces the checkpoint it finds stored); consumers
de-duplicate by (ticket id, sequence).
"""

from __future__ import annotations

import logging

from ..domain.checkpoint import Checkpoint
from ..domain.events import lifecycle_event
from ..observability import count
from ..ports import CheckpointLog, EventPublisher

log = logging.getLogger(__name__)


class PublishingCheckpointLog:
    def __init__(
        self, log: CheckpointLog, publisher: EventPublisher, *, base_url: str, include_customer_text: bool = False
    ) -> None:
        self._log = log
        self._publisher = publisher
        self._base_url = base_url
        self._include_text = include_customer_text

    def history(self, ticket_id: str, customer_id: str) -> list[Checkpoint]:
        return self._log.history(ticket_id, customer_id)

    def append(self, checkpoint: Checkpoint, customer_id: str) -> None:
        self._log.append(checkpoint, customer_id)
        self.announce(checkpoint)

    def announce(self, checkpoint: Checkpoint) -> None:
        """Publish the checkpoint's event (again, for a retried step: consumers de-duplicate)."""
        event = lifecycle_event(checkpoint, base_url=self._base_url, include_customer_text=self._include_text)
        try:
            self._publisher.publish([event])
        except Exception:  # the checkpoint stands; the failure is an operator's alarm, not the ticket's
            log.exception("could not publish event %s (%s)", event.detail.event_id, event.detail_type)
            count("EventsNotPublished")
