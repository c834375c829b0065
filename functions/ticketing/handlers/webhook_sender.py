"""Lambda: deliver lifecycle events to the webhook subscribers, from the delivery queue.

An EventBridge rule per subscriber puts `{"subscriber": <index>, "event": <the event>}`
on the queue. Each message is one delivery: delivered, it is deleted; to be retried,
it is hidden for a doubling delay and reported as failed, and SQS moves it to the
dead-letter queue after the queue's maxReceiveCount; refused for good (a 4xx), it is
sent to the dead-letter queue at once. Nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from ..adapters import http_post
from ..adapters.aws_clients import client
from ..adapters.signing_key import signing_key
from ..logic.webhooks import DeliveryResult, deliver, retry_delay
from ..observability import count, entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)
log = logging.getLogger(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        if not _handled(record):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _handled(record: dict[str, Any]) -> bool:
    """True when the message is done with (delivered, or dead-lettered on purpose); False to have it retried."""
    attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
    try:
        message = json.loads(record["body"])
        url = SETTINGS.subscribers[int(message["subscriber"])]
        event = message["event"]
        if not isinstance(event, dict):
            raise TypeError("the event is not a JSON object")
    except (ValueError, KeyError, IndexError, TypeError) as error:
        _dead_letter(record, f"not a delivery this function can make: {error}")
        return True
    secret = signing_key(client("secretsmanager", SETTINGS.aws_region), SETTINGS.webhook_secret_arn)
    result = deliver(event, url, secret=secret, post=http_post.post, now=int(time.time()), attempt=attempt)
    log.info(
        "webhook delivery %s",
        result.outcome,
        extra={"event_id": event.get("id"), "subscriber": url, "attempt": attempt, "detail": result.detail},
    )
    if result.outcome == "delivered":
        count("WebhooksDelivered")
        return True
    if result.outcome == "refused":
        _dead_letter(record, result.detail)
        return True
    _retry_later(record, attempt, result)
    return False


def _retry_later(record: dict[str, Any], attempt: int, result: DeliveryResult) -> None:
    count("WebhookRetries")
    log.warning("webhook delivery attempt %d failed (%s); it will be retried", attempt, result.detail)
    queue_url = _queue_url(record["eventSourceARN"])
    client("sqs", SETTINGS.aws_region).change_message_visibility(
        QueueUrl=queue_url,
        ReceiptHandle=record["receiptHandle"],
        VisibilityTimeout=retry_delay(attempt, SETTINGS.webhook_retry_base_seconds),
    )


def _dead_letter(record: dict[str, Any], reason: str) -> None:
    count("WebhooksDeadLettered")
    log.error("webhook delivery dead-lettered: %s", reason)
    client("sqs", SETTINGS.aws_region).send_message(
        QueueUrl=SETTINGS.webhook_dead_letter_queue_url,
        MessageBody=record["body"],
        MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:256]}},
    )


def _queue_url(queue_arn: str) -> str:
    """The queue's URL from its ARN (arn:aws:sqs:<region>:<account>:<name>), without a GetQueueUrl call."""
    _, partition, _, region, account, name = queue_arn.split(":", 5)
    domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sqs.{region}.{domain}/{account}/{name}"
