"""Webhook deliveries to a subscriber that fails: a local HTTP server given as the webhook URL
answers each customer's first event as the test scripts it (500, 400, ...) and everything
else with 200. Retries are spaced (1 s, doubling, locally), a delivery is made once, what
keeps failing or is refused ends in the webhook dead-letter queue, and
`/_local/webhooks` tells each delivery's status and attempts.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from local_runtime.http_client import ApiClient
from local_runtime.runtime import LOCAL_CONTEXT, LocalRuntime
from local_runtime.template import REGION
from ticketing.domain.webhook_signature import HEADER, verify

pytestmark = pytest.mark.slow

SECRET = "whsec-e2e-only-not-a-real-secret"
MAX_ATTEMPTS = LOCAL_CONTEXT["webhook_max_attempts"]


@dataclass(frozen=True)
class Received:
    customer_id: str
    sequence: int
    answered: int
    signature_ok: bool
    attempt: str


class ScriptedSubscriber:
    """A webhook receiver on a local port: the first event of a scripted customer's ticket gets the
    scripted answers in turn (then 200); every other delivery gets 200. Checks each signature."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, Iterator[int]] = {}
        self.received: list[Received] = []
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(subscriber.receive(self.headers.get(HEADER), body, self.headers))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/supportflow"

    def script(self, customer_id: str, answers: Iterable[int]) -> None:
        with self._lock:
            self._scripts[customer_id] = iter(answers)

    def receive(self, signature: str | None, body: bytes, headers: Any) -> int:
        detail = json.loads(body)["detail"]
        try:
            verify(signature, body, SECRET.encode(), now=int(time.time()))
            signature_ok = True
        except ValueError:
            signature_ok = False
        with self._lock:
            script = self._scripts.get(detail["customer_id"]) if detail["sequence"] == 1 else None
            answer = next(script, 200) if script is not None else 200
            self.received.append(
                Received(
                    detail["customer_id"],
                    detail["sequence"],
                    answer,
                    signature_ok,
                    headers.get("Supportflow-Attempt", ""),
                )
            )
        return answer

    def first_event_of(self, customer_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.customer_id == customer_id and r.sequence == 1]

    def __enter__(self) -> ScriptedSubscriber:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def subscriber() -> Iterator[ScriptedSubscriber]:
    with ScriptedSubscriber() as running:
        yield running


@pytest.fixture(scope="module")
def stack(subscriber: ScriptedSubscriber) -> Iterator[LocalRuntime]:
    with LocalRuntime(webhook_url=subscriber.url, webhook_secret=SECRET) as runtime:
        yield runtime


def submit(api: ApiClient, customer_id: str) -> str:
    reply = api.submit({"customer_id": customer_id, "customer_email": "hooks@example.com", "description": "wifi drops"})
    assert reply.status == 202, reply.text
    return str(reply.json()["ticket_id"])


def first_delivery(api: ApiClient, ticket_id: str, statuses: set[str], timeout: float) -> dict[str, Any]:
    """The ledger's entry for the ticket's first event, once its status is one of `statuses`."""
    deadline = time.monotonic() + timeout
    while True:
        found = [d for d in api.request("GET", f"/_local/webhooks?ticket_id={ticket_id}").json() if d["sequence"] == 1]
        if found and found[0]["status"] in statuses:
            assert len(found) == 1, found
            return dict(found[0])
        assert time.monotonic() < deadline, f"the first delivery of {ticket_id} is {found}"
        time.sleep(0.05)


def dead_letters_of(ticket_id: str, timeout: float) -> list[dict[str, Any]]:
    """The ticket's messages in the webhook dead-letter queue (read from moto, left there)."""
    sqs = boto3.client("sqs", region_name=REGION)
    urls = sqs.list_queues(QueueNamePrefix="supportflow-local-")["QueueUrls"]
    (queue,) = [u for u in urls if "WebhookDeadLetters" in u]
    deadline = time.monotonic() + timeout
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
        ).get("Messages", [])
        mine = [m for m in messages if json.loads(m["Body"])["event"]["detail"]["ticket_id"] == ticket_id]
        if mine or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)


def test_a_subscriber_that_answers_500_twice_gets_the_event_once_on_the_third_attempt(api, stack, subscriber):
    subscriber.script("cust-flaky", [500, 500, 200])
    ticket_id = submit(api, "cust-flaky")
    delivery = first_delivery(api, ticket_id, {"delivered", "dead-lettered"}, timeout=30)
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 3)
    assert delivery["subscriber"] == subscriber.url
    received = subscriber.first_event_of("cust-flaky")
    assert [(r.answered, r.attempt) for r in received] == [(500, "1"), (500, "2"), (200, "3")]
    assert all(r.signature_ok for r in received)
    assert [r.answered for r in received].count(200) == 1  # accepted once: the message was deleted
    assert dead_letters_of(ticket_id, timeout=0) == []


def test_a_subscriber_that_keeps_failing_ends_dead_lettered_with_the_message_kept(api, stack, subscriber):
    subscriber.script("cust-down", itertools.repeat(500))
    ticket_id = submit(api, "cust-down")
    delivery = first_delivery(api, ticket_id, {"dead-lettered"}, timeout=30)
    assert delivery["attempts"] == MAX_ATTEMPTS
    # SQS moves the message on the receive after its last attempt: once the last retry delay has passed.
    (kept,) = dead_letters_of(ticket_id, timeout=30)
    message = json.loads(kept["Body"])
    assert message["subscriber"] == 0 and message["event"]["detail"]["event_id"] == f"{ticket_id}:1"
    assert message["event"]["detail-type"] == "Ticket Received"
    assert [r.answered for r in subscriber.first_event_of("cust-down")] == [500] * MAX_ATTEMPTS
    # The ticket's other events were delivered: one subscriber's failure holds nothing else up.
    others = [d for d in api.request("GET", f"/_local/webhooks?ticket_id={ticket_id}").json() if d["sequence"] != 1]
    assert others and {d["status"] for d in others} == {"delivered"}


def test_a_subscriber_that_refuses_a_delivery_dead_letters_it_at_once(api, stack, subscriber):
    subscriber.script("cust-refuses", [400])
    ticket_id = submit(api, "cust-refuses")
    delivery = first_delivery(api, ticket_id, {"delivered", "dead-lettered"}, timeout=30)
    assert (delivery["status"], delivery["attempts"]) == ("dead-lettered", 1)
    (kept,) = dead_letters_of(ticket_id, timeout=10)
    assert json.loads(kept["Body"])["event"]["detail"]["sequence"] == 1
    assert "HTTP 400" in kept["MessageAttributes"]["reason"]["StringValue"]
    assert [r.answered for r in subscriber.first_event_of("cust-refuses")] == [400]
