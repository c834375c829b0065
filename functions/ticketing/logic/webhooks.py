"""One webhook delivery: sign the event, POST it, and say what should happen next.

A 2xx answer delivers it. A network error, a timeout, 408, 429 or a 5xx may pass, so
the delivery is tried again later; any other answer (the receiver refused this
request for good, e.g. 400 or 401) will not change on a retry, so it goes to the
dead-letter queue at once. The queue around this (handlers/webhook_sender.py) spaces
the retries and dead-letters what keeps failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from ..domain.webhook_signature import HEADER, signature_header
from ..ports import DeliveryFailed, HttpPost

USER_AGENT = "supportflow-webhooks/1"
RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Literal["delivered", "retry", "refused"]
    status: int | None
    detail: str


def body_of(event: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()


def deliver(
    event: dict[str, Any], url: str, *, secret: bytes, post: HttpPost, now: int, attempt: int
) -> DeliveryResult:
    body = body_of(event)
    detail = event.get("detail") or {}
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER: signature_header(secret, body, now),
        "Supportflow-Event-Id": str(detail.get("event_id", "")),
        "Supportflow-Attempt": str(attempt),
    }
    try:
        status = post(url, body, headers)
    except DeliveryFailed as error:
        return DeliveryResult("retry", None, f"no answer: {error}")
    if 200 <= status < 300:
        return DeliveryResult("delivered", status, f"HTTP {status}")
    if status >= 500 or status in RETRYABLE_STATUSES:
        return DeliveryResult("retry", status, f"HTTP {status}")
    return DeliveryResult("refused", status, f"HTTP {status}: the receiver refused it; a retry would not change that")


def retry_delay(attempt: int, base_seconds: int, cap_seconds: int = 900) -> int:
    """Seconds until the next try after `attempt` failed: doubling from `base_seconds`, at most `cap_seconds`."""
    delay: int = base_seconds * 2 ** max(attempt - 1, 0)
    return min(delay, cap_seconds)
