"""How an approved resolution step is carried out.

`ResolutionExecutor` is the interface. The only implementation shipped is
`SimulatedResolutionExecutor`: it does not touch any customer system; it records
that the step would run now and reports success. A real executor (remote
management, ticketing integrations) implements the same interface.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .models import ResolutionStep, StepResult, Ticket, utc_now


class ResolutionExecutor(Protocol):
    """Execute never calls `run` again for an action whose success is recorded in the
    ticket's checkpoint. An action whose result could not be recorded (the write after it
    failed) is run again by the retry, so a real executor is idempotent per (ticket id,
    action id)."""

    name: str

    def run(self, ticket: Ticket, step: ResolutionStep) -> StepResult:
        """Carry out one step for the ticket and report its outcome."""
        ...


class SimulatedResolutionExecutor:
    """Simulates each step: reports success without acting on any system."""

    name = "simulated"

    def run(self, ticket: Ticket, step: ResolutionStep) -> StepResult:
        return StepResult(
            action_id=step.action_id,
            status="succeeded",
            detail=f"Simulated: '{step.title}' for {ticket.customer_id} (no system was changed).",
            finished_at=utc_now(),
        )


# Name (the RESOLUTION_EXECUTOR setting) -> a factory of the executor.
EXECUTORS: dict[str, Callable[[], ResolutionExecutor]] = {"simulated": SimulatedResolutionExecutor}


def executor_named(name: str) -> ResolutionExecutor:
    try:
        return EXECUTORS[name]()
    except KeyError:
        raise ValueError(f"unknown resolution executor {name!r}; known: {sorted(EXECUTORS)}") from None
