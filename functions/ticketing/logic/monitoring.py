"""The approval monitor: how many tickets are open and how long the oldest has waited.

Every open ticket is a running execution, and a running execution spends all but
seconds of its life waiting for an approver, so the oldest one's age is how long
a ticket has waited for a decision. An alarm compares it with the configured age.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from ..domain.models import utc_now
from ..wiring import Services


class OpenTickets(BaseModel):
    open_tickets: int
    oldest_age_seconds: float


def open_tickets(services: Services, now: datetime | None = None) -> OpenTickets:
    now = now or utc_now()
    started = services.workflow.running_since()
    oldest = max(((now - start).total_seconds() for start in started), default=0.0)
    return OpenTickets(open_tickets=len(started), oldest_age_seconds=max(oldest, 0.0))
