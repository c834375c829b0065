"""Shared fixtures: a synthesized template (once per session) and sample tickets."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from ticketing.domain.models import Ticket  # noqa: E402


def make_ticket(
    description: str = "My internet connection keeps dropping every few minutes.", **overrides: Any
) -> Ticket:
    values: dict[str, Any] = {
        "ticket_id": "tkt-20261125-0123456789ab",
        "customer_id": "cust-1",
        "customer_email": "jo@example.com",
        "subject": "",
        "description": description,
        "submitted_at": datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return Ticket(**values)


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """The stack's CloudFormation template, synthesized once with bundling off."""
    from local_runtime.synth import synthesize

    return synthesize()
