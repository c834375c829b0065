"""The webhook sender and the event republisher, as Lambda runs them from their SQS event sources, on moto."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from local_runtime import event_docs
from tests.adapters.conftest import client
from ticketing.contract import Env
from ticketing.domain.events import lifecycle_event
from ticketing.domain.models import TicketState
from ticketing.domain.webhook_signature import verify

from .conftest import CONTEXT, ImportHandler

SECRET = "whsec-handler-test"


class Subscriber:
    """A receiver on loopback that answers each POST with the next scripted status."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers.items()), body))
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    found = Subscriber()
    yield found
    found.close()


@pytest.fixture
def queues(moto_stack, monkeypatch, subscriber) -> dict[str, str]:
    sqs = client("sqs")
    dead = sqs.create_queue(QueueName="webhook-dead-letters")["QueueUrl"]
    deliveries = sqs.create_queue(QueueName="webhook-deliveries")["QueueUrl"]
    secret_arn = client("secretsmanager").create_secret(Name="webhook", SecretString=SECRET)["ARN"]
    monkeypatch.setenv(Env.WEBHOOK_URLS.value, json.dumps([subscriber.url]))
    monkeypatch.setenv(Env.WEBHOOK_SECRET_ARN.value, secret_arn)
    monkeypatch.setenv(Env.WEBHOOK_DEAD_LETTER_QUEUE_URL.value, dead)
    monkeypatch.setenv(Env.WEBHOOK_RETRY_BASE_SECONDS.value, "7")
    return {"dead": dead, "deliveries": deliveries}


def queued_event(queue_url: str, body: dict[str, Any] | str) -> dict[str, Any]:
    """Put `body` on the queue and receive it back as the SQS event Lambda would hand the function."""
    sqs = client("sqs")
    sqs.send_message(QueueUrl=queue_url, MessageBody=body if isinstance(body, str) else json.dumps(body))
    (message,) = sqs.receive_message(QueueUrl=queue_url, AttributeNames=["All"])["Messages"]
    name = queue_url.rsplit("/", 1)[-1]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message["Attributes"],
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{name}",
            }
        ]
    }


EVENT = {
    "id": "e-1",
    "source": "supportflow",
    "detail-type": "Ticket Received",
    "detail": lifecycle_event(
        event_docs.example_checkpoints()[TicketState.ANALYZING], base_url="https://x.example"
    ).detail.model_dump(mode="json"),
}


def dead_letters(url: str) -> list[dict[str, Any]]:
    return (
        client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        .get("Messages", [])
    )


def test_a_delivered_event_is_signed_with_the_secret_and_leaves_the_batch(
    import_handler: ImportHandler, queues, subscriber
):
    sender = import_handler("webhook_sender")
    answer = sender.handler(queued_event(queues["deliveries"], {"subscriber": 0, "event": EVENT}), CONTEXT)
    assert answer == {"batchItemFailures": []}
    ((headers, body),) = subscriber.received
    assert json.loads(body) == EVENT
    assert verify(headers["Supportflow-Signature"], body, SECRET.encode(), now=int(time.time()))


def test_a_5xx_is_reported_failed_and_hidden_for_the_retry_delay(import_handler: ImportHandler, queues, subscriber):
    subscriber.statuses = [503]
    sender = import_handler("webhook_sender")
    event = queued_event(queues["deliveries"], {"subscriber": 0, "event": EVENT})
    answer = sender.handler(event, CONTEXT)
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert client("sqs").receive_message(QueueUrl=queues["deliveries"]).get("Messages", []) == []  # hidden 7 s
    assert dead_letters(queues["dead"]) == []


def test_a_4xx_goes_to_the_dead_letter_queue_at_once_with_the_reason(import_handler: ImportHandler, queues, subscriber):
    subscriber.statuses = [401]
    sender = import_handler("webhook_sender")
    answer = sender.handler(queued_event(queues["deliveries"], {"subscriber": 0, "event": EVENT}), CONTEXT)
    assert answer == {"batchItemFailures": []}
    (kept,) = dead_letters(queues["dead"])
    assert json.loads(kept["Body"])["event"] == EVENT
    assert "HTTP 401" in kept["MessageAttributes"]["reason"]["StringValue"]


@pytest.mark.parametrize("body", ['{"subscriber": 5, "event": {}}', "not json", '{"subscriber": 0, "event": []}'])
def test_a_message_the_sender_cannot_deliver_is_dead_lettered_not_retried(
    import_handler: ImportHandler, queues, subscriber, body
):
    sender = import_handler("webhook_sender")
    assert sender.handler(queued_event(queues["deliveries"], body), CONTEXT) == {"batchItemFailures": []}
    assert len(dead_letters(queues["dead"])) == 1
    assert subscriber.received == []


def test_the_republisher_puts_kept_entries_on_the_bus(import_handler: ImportHandler, moto_stack):
    entry = lifecycle_event(
        event_docs.example_checkpoints()[TicketState.ANALYZING], base_url="https://x.example"
    ).entry(moto_stack.bus_name)
    entry["Time"] = entry["Time"].isoformat()
    republisher = import_handler("republish_events")
    event = queued_event(moto_stack.retry_queue_url, {"entries": [entry]})
    assert republisher.handler(event, CONTEXT) == {"batchItemFailures": []}
    (published,) = moto_stack.published()
    assert published["detail-type"] == "Ticket Received"


def test_the_republisher_reports_a_malformed_message_as_failed(import_handler: ImportHandler, moto_stack):
    republisher = import_handler("republish_events")
    event = queued_event(moto_stack.retry_queue_url, "not json")
    assert republisher.handler(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]
    }
