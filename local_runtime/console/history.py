"""A ticket's executions as timings, and its checkpoint trail and history as text.

One reading of Step Functions' execution history for everyone who shows it: the
console's history table, `supportflow show`, and the demo's closing trail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class StateTiming(BaseModel):
    """One visit of a state: when it was entered (ms after the execution started) and how long it took."""

    name: str
    at_ms: float
    took_ms: float | None = None  # None: not left yet (the execution is there now)


class ExecutionTrace(BaseModel):
    """One execution of a ticket's workflow (the first, then `<ticket id>-rN` per resume)."""

    name: str
    status: str
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    states: list[StateTiming] = []
    last_event: str = ""

    @property
    def path(self) -> list[str]:
        """The states entered, in order."""
        return [state.name for state in self.states]


def trace(name: str, status: str, events: Sequence[Mapping[str, Any]]) -> ExecutionTrace:
    """The execution's state visits, read from its history events (oldest first)."""
    if not events:
        return ExecutionTrace(name=name, status=status)
    start: datetime = events[0]["timestamp"]
    visits: list[StateTiming] = []
    open_visit: dict[str, int] = {}  # a state's visit that has not exited yet
    entered: dict[str, datetime] = {}
    for event in events:
        if details := event.get("stateEnteredEventDetails"):
            state = details["name"]
            entered[state] = event["timestamp"]
            open_visit[state] = len(visits)
            visits.append(StateTiming(name=state, at_ms=_ms(event["timestamp"] - start)))
        elif details := event.get("stateExitedEventDetails"):
            state = details["name"]
            if state in open_visit:
                index = open_visit.pop(state)
                took = _ms(event["timestamp"] - entered[state])
                visits[index] = visits[index].model_copy(update={"took_ms": took})
    stopped = events[-1]["timestamp"] if status != "RUNNING" else None
    return ExecutionTrace(
        name=name, status=status, started_at=start, stopped_at=stopped, states=visits, last_event=events[-1]["type"]
    )


def _ms(delta: Any) -> float:
    return float(delta.total_seconds() * 1000)


def checkpoint_summary(checkpoint: Mapping[str, Any]) -> str:
    """A checkpoint of `GET /tickets/{id}` in a few words: its state and note."""
    note = checkpoint.get("note")
    return f"{checkpoint['state']} ({note})" if note else str(checkpoint["state"])


def trail_lines(checkpoints: Sequence[Mapping[str, Any]], executions: Sequence[ExecutionTrace]) -> list[str]:
    """The checkpoint trail and each execution's state history with timings, as the demo prints them."""
    lines = ["Checkpoint trail (AgentCore Memory):"]
    for c in checkpoints:
        lines.append(f"  #{c['sequence']:<2} {checkpoint_summary(c):<58} {c['created_at']}")
    lines.append("Step Functions execution history:")
    for execution in executions:
        indent = "  "
        if len(executions) > 1:
            lines.append(f"  execution {execution.name} ({execution.status}):")
            indent = "    "
        for state in execution.states:
            took = f"{state.took_ms:8.1f} ms" if state.took_ms is not None else "     (now)"
            lines.append(f"{indent}+{state.at_ms:8.1f} ms  {state.name:<20} {took}")
        lines.append(f"{indent}execution: {execution.last_event or execution.status}")
    return lines
