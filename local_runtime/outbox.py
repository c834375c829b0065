"""The local outbox: every email SES (moto) accepted, as it was sent."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel


class OutboxEmail(BaseModel):
    message_id: str
    to: list[str]
    subject: str
    text: str
    html: str
    sent_at: datetime
    kind: str = ""


class Outbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._emails: list[OutboxEmail] = []

    def record(self, request: dict[str, Any], message_id: str) -> None:
        simple = request.get("Content", {}).get("Simple", {})
        body = simple.get("Body", {})
        tags = {t.get("Name"): t.get("Value") for t in request.get("EmailTags", [])}
        email = OutboxEmail(
            message_id=message_id,
            to=list(request.get("Destination", {}).get("ToAddresses", [])),
            subject=simple.get("Subject", {}).get("Data", ""),
            text=body.get("Text", {}).get("Data", ""),
            html=body.get("Html", {}).get("Data", ""),
            sent_at=datetime.now(UTC),
            kind=tags.get("kind", ""),
        )
        with self._lock:
            self._emails.append(email)

    def emails(self) -> list[OutboxEmail]:
        with self._lock:
            return list(self._emails)

    def find(self, message_id: str) -> OutboxEmail | None:
        return next((e for e in self.emails() if e.message_id == message_id), None)
