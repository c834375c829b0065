"""The approval monitor: how many tickets are open and how long the oldest has waited.

Every open ticket is a running workflow, and a running workflow spends all but
seconds of its life waiting for an approver, so the oldest one's age is how long a
ticket has waited for a decision. An alarm compares it with the configured age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.models import utc_now
from ..ports import Workflow


@dataclass(frozen=True)
class OpenTickets:
    open_tickets: int
    oldest_age_seconds: float


def open_tickets(workflow: Workflow, now: datetime | None = None) -> OpenTickets:
    now = now or utc_now()
    started = workflow.running_since()
    oldest = max(((now - start).total_seconds() for start in started), default=0.0)
    return OpenTickets(open_tickets=len(started), oldest_age_seconds=max(oldest, 0.0))
