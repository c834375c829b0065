"""One webhook delivery: what is sent, and what each answer means for the next try."""

from __future__ import annotations

import json

import pytest

from ticketing.domain.webhook_signature import verify
from ticketing.logic.webhooks import body_of, deliver, retry_delay
from ticketing.ports import DeliveryFailed

SECRET = b"whsec"
EVENT = {"id": "e-1", "detail-type": "Ticket Received", "detail": {"event_id": "tkt-20261130-0a1b2c3d4e5f:1"}}
NOW = 1_796_000_000


class Receiver:
    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.requests.append((url, body, headers))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_delivery_posts_the_event_signed_with_its_id_and_attempt():
    receiver = Receiver(204)
    result = deliver(EVENT, "https://hooks.example.com/a", secret=SECRET, post=receiver, now=NOW, attempt=2)
    assert (result.outcome, result.status) == ("delivered", 204)
    ((url, body, headers),) = receiver.requests
    assert url == "https://hooks.example.com/a" and json.loads(body) == EVENT and body == body_of(EVENT)
    assert verify(headers["Supportflow-Signature"], body, SECRET, now=NOW) == NOW
    assert headers["Supportflow-Event-Id"] == "tkt-20261130-0a1b2c3d4e5f:1"
    assert headers["Supportflow-Attempt"] == "2" and headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (200, "delivered"),
        (299, "delivered"),
        (500, "retry"),
        (503, "retry"),
        (429, "retry"),
        (408, "retry"),
        (DeliveryFailed("connection refused"), "retry"),
        (400, "refused"),
        (401, "refused"),
        (404, "refused"),
        (301, "refused"),
    ],
)
def test_what_each_answer_means(answer, outcome):
    result = deliver(EVENT, "https://h.example", secret=SECRET, post=Receiver(answer), now=NOW, attempt=1)
    assert result.outcome == outcome


def test_retries_double_from_the_base_up_to_the_cap():
    assert [retry_delay(n, 30) for n in range(1, 7)] == [30, 60, 120, 240, 480, 900]
    assert retry_delay(1, 0) == 0
