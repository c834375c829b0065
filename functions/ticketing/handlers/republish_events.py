"""Lambda: publish the events the bus refused when their checkpoint was written, from the retry queue.

Each message holds the `PutEvents` entries as they were refused. Published, the
message is deleted; refused again, it is reported as failed and SQS offers it again
after the visibility timeout, then moves it to the dead-letter queue (alarmed).
"""

from __future__ import annotations

import json
from typing import Any

from ..adapters.event_bus import EventBridgePublisher, events_client
from ..domain.errors import EventsNotPublished
from ..observability import count, entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    publisher = EventBridgePublisher(events_client(SETTINGS.aws_region), SETTINGS.event_bus_name)
    failures = []
    for record in event.get("Records", []):
        try:
            publisher.put_entries(json.loads(record["body"])["entries"])
        except (EventsNotPublished, ValueError, KeyError, TypeError):  # malformed: retried, then dead-lettered
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        count("EventsRepublished")
    return {"batchItemFailures": failures}
