"""How an approved resolution step is carried out.

`ResolutionExecutor` (in `ports.py`) is the interface. The only implementation shipped is
`SimulatedResolutionExecutor`: it does not touch any customer system; it records
that the step would run now and reports success. A real executor (remote
management, ticketing integrations) implements the same interface.
"""

from __future__ import annotations

from collections.abc import Callable

from ..domain.models import ResolutionStep, StepResult, Ticket, utc_now
from ..ports import ResolutionExecutor


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
