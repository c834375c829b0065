"""How an approved resolution step is carried out: by the executor its catalog action declares.

`ResolutionExecutor` (in `ports.py`) is the interface Execute calls. `RESOLUTION_EXECUTOR`
picks the implementation:
- `catalog`: each action runs through the executor the catalog declares for it
  (`domain/execution.py`), unless `EXECUTOR_OVERRIDES` says otherwise; an executor the
  deployment has not configured (no user pool, no command documents, the person steps
  not yet wired) runs simulated, and the step result says so.
- `simulated`: every step is simulated (the local demo profile): nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from ..domain.catalog import load_catalog
from ..domain.execution import SIMULATED, ActionExecutor, ExecutorKind, parse_overrides
from ..domain.models import ResolutionStep, StepResult, Ticket, utc_now
from ..ports import ResolutionExecutor
from ..settings import Settings


class ActionRunner(Protocol):
    """Runs one step the way its action declares (`how`: the executor and its parameters)."""

    name: str

    def run(self, ticket: Ticket, step: ResolutionStep, how: ActionExecutor) -> StepResult: ...


class SimulatedResolutionExecutor:
    """Simulates each step: reports success without acting on any system."""

    name = ExecutorKind.SIMULATED.value

    def __init__(self, reason: str = "") -> None:
        self._reason = reason

    def run(self, ticket: Ticket, step: ResolutionStep, how: ActionExecutor = SIMULATED) -> StepResult:
        why = f" ({self._reason})" if self._reason else ""
        if how.kind is not ExecutorKind.SIMULATED and not why:
            why = f" ({how.kind.value} actions are not configured in this deployment)"
        return StepResult(
            action_id=step.action_id,
            status="succeeded",
            detail=f"Simulated{why}: '{step.title}' for {ticket.customer_id} (no system was changed).",
            finished_at=utc_now(),
            executor=self.name,
        )


class CatalogResolutionExecutor:
    """Sends each step to the runner of the executor kind its action declares; an unconfigured kind simulates."""

    name = "catalog"

    def __init__(self, routes: Mapping[str, ActionExecutor], runners: Mapping[ExecutorKind, ActionRunner]) -> None:
        self._routes = routes
        self._runners = runners
        self._simulated = SimulatedResolutionExecutor()

    def run(self, ticket: Ticket, step: ResolutionStep) -> StepResult:
        how = self._routes.get(step.action_id, SIMULATED)
        runner = self._runners.get(how.kind)
        if runner is None:
            return self._simulated.run(ticket, step, how)
        return runner.run(ticket, step, how)


def catalog_executor(settings: Settings) -> CatalogResolutionExecutor:
    """The catalog's executors on AWS, each with the clients and configuration it needs."""
    from .action_journal import AgentCoreActionJournal
    from .aws_clients import client

    catalog = load_catalog()
    routes = catalog.executors(parse_overrides(settings.executor_overrides, set(catalog.actions())))
    runners: dict[ExecutorKind, ActionRunner] = {}
    kinds = {how.kind for how in routes.values()}
    journal = AgentCoreActionJournal(client("bedrock-agentcore", settings.aws_region), settings.memory_id)
    if ExecutorKind.IDENTITY in kinds and settings.identity_user_pool_id:
        from .identity_executor import CognitoIdentityExecutor

        runners[ExecutorKind.IDENTITY] = CognitoIdentityExecutor(
            client("cognito-idp", settings.aws_region),
            settings.identity_user_pool_id,
            settings.identity_user_attribute,
            journal,
        )
    if ExecutorKind.DEVICE in kinds and settings.device_documents:
        from .device_executor import RunCommandDeviceExecutor

        runners[ExecutorKind.DEVICE] = RunCommandDeviceExecutor(
            client("ssm", settings.aws_region),
            settings.device_documents,
            journal,
            wait_seconds=settings.device_command_wait_seconds,
        )
    return CatalogResolutionExecutor(routes, runners)


# Name (the RESOLUTION_EXECUTOR setting) -> a factory of the executor.
EXECUTORS: dict[str, Callable[[Settings], ResolutionExecutor]] = {
    "simulated": lambda _: SimulatedResolutionExecutor(),
    "catalog": catalog_executor,
}


def executor_named(name: str, settings: Settings) -> ResolutionExecutor:
    try:
        factory = EXECUTORS[name]
    except KeyError:
        raise ValueError(f"unknown resolution executor {name!r}; known: {sorted(EXECUTORS)}") from None
    return factory(settings)
