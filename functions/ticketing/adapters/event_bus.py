"""The `EventPublisher` port on Amazon EventBridge, with an SQS queue for what it refused.

`PutEvents` does not raise when some entries fail: it answers `FailedEntryCount` and
an `ErrorCode` per failed entry. Those entries, and whole calls that fail (botocore
has already retried throttling), are sent again with backoff. What the bus still
refuses goes to the retry queue, from which `handlers/republish_events.py` publishes
it later; so a checkpoint's event is never dropped and the step that wrote the
checkpoint is never held up by the bus.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import EventsNotPublished
from ..domain.events import LifecycleEvent
from .aws_clients import client

log = logging.getLogger(__name__)

MAX_ENTRIES_PER_CALL = 10  # PutEvents' limit
# One try per call: the publisher retries refused entries itself and then keeps them on the retry
# queue. botocore's own retries (5 tries, backoff up to 20 s each) under each of its attempts held a
# step about 25 s per checkpoint on a throttled bus, and Execute, with a checkpoint per action,
# past its Lambda timeout.
PUBLISH_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=2, read_timeout=5)


def events_client(region: str) -> Any:
    """The EventBridge client that publishers use: it fails fast, so a refusal reaches the retry queue quickly."""
    return client("events", region, purpose="publish", config=PUBLISH_CLIENT_CONFIG)


class EventBridgePublisher:
    def __init__(
        self,
        events_client: Any,
        bus_name: str,
        *,
        retry_queue: tuple[Any, str] | None = None,
        attempts: int = 3,
        backoff_seconds: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._events = events_client
        self._bus = bus_name
        self._retry_queue = retry_queue  # (sqs client, queue url), or None to raise instead
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._sleep = sleep

    def publish(self, events: list[LifecycleEvent]) -> None:
        entries = [_serializable(e.entry(self._bus)) for e in events]
        self.put_entries(entries)

    def put_entries(self, entries: list[dict[str, Any]]) -> None:
        """Put `entries` on the bus; what it refuses after retries goes to the retry queue (or raises)."""
        refused: list[dict[str, Any]] = []
        for start in range(0, len(entries), MAX_ENTRIES_PER_CALL):
            refused += self._put(entries[start : start + MAX_ENTRIES_PER_CALL])
        if not refused:
            return
        if self._retry_queue is None:
            raise EventsNotPublished(f"EventBridge refused {len(refused)} event(s) after {self._attempts} attempts.")
        self._keep_for_later(refused)

    def _put(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        pending = entries
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                answer = self._events.put_events(Entries=pending)
            except (ClientError, BotoCoreError) as error:
                log.warning("PutEvents failed (attempt %d of %d): %s", attempt + 1, self._attempts, error)
                continue
            if not answer.get("FailedEntryCount"):
                return []
            # Entries come back in request order; a failed one carries an ErrorCode instead of an EventId.
            failed = [e for e, result in zip(pending, answer["Entries"], strict=True) if result.get("ErrorCode")]
            codes = sorted({str(r.get("ErrorCode")) for r in answer["Entries"] if r.get("ErrorCode")})
            log.warning("PutEvents refused %d of %d entries (%s)", len(failed), len(pending), ", ".join(codes))
            pending = failed
        return pending

    def _keep_for_later(self, entries: list[dict[str, Any]]) -> None:
        assert self._retry_queue is not None
        sqs, queue_url = self._retry_queue
        try:
            sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"entries": entries}))
        except (ClientError, BotoCoreError) as error:
            raise EventsNotPublished(
                f"EventBridge refused {len(entries)} event(s) and the retry queue refused them too: {error}"
            ) from error
        log.warning("kept %d event(s) on the retry queue for a later publish", len(entries))


def _serializable(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with its time as ISO 8601 text, which botocore accepts and a queue message can carry."""
    return {**entry, "Time": entry["Time"].isoformat()}
